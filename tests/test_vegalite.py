"""spinedash.vegalite: the dict helpers every chart is built with, its JSON-safe rows, its schema check."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from spinedash import vegalite as vl


def test_channel_expands_altair_shorthand():
    assert vl.channel("p5:Q", title="Stay") == {"field": "p5", "type": "quantitative", "title": "Stay"}
    assert vl.channel("group:N")["type"] == "nominal"
    assert vl.channel("quarter:O")["type"] == "ordinal"
    assert vl.channel("time point:N")["field"] == "time point"  # surgeons' column names have spaces
    assert vl.secondary("p95") == {"field": "p95"}  # x2/y2 take no type in Vega-Lite
    assert vl.tooltip("n:Q", "Cases", ",") == {"field": "n", "type": "quantitative", "title": "Cases", "format": ","}


@pytest.mark.parametrize("bad", ["p5", "p5:q", ":Q", "p5:X"])
def test_channel_refuses_shorthand_without_a_type(bad):
    with pytest.raises(ValueError, match="shorthand"):
        vl.channel(bad)


def test_encoding_leaves_out_channels_given_as_none():
    assert vl.encoding(x=vl.value(6), yOffset=None) == {"x": {"value": 6}}


def test_records_are_json_safe():
    frame = pd.DataFrame(
        {
            "group": pd.Categorical(["Open", "Microscopic", None]),
            "x": [1.5, np.nan, np.inf],
            "i": np.array([1, 2, 3], dtype=np.int64),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "when": pd.to_datetime(["2024-01-31", None, "2024-02-29"]),
            "mixed": [np.int64(3), "text", None],
        }
    )
    rows = vl.records(frame)
    json.dumps(rows, allow_nan=False)  # raises on NaN/inf or numpy scalars
    assert rows[0] == {"group": "Open", "x": 1.5, "i": 1, "n": 1, "flag": True, "when": "2024-01-31T00:00:00", "mixed": 3}
    assert rows[1]["x"] is None and rows[2]["x"] is None  # NaN and inf are missing to Vega
    assert rows[1]["n"] is None and rows[1]["flag"] is None and rows[1]["when"] is None
    assert rows[2]["group"] is None
    assert type(rows[0]["i"]) is int and type(rows[0]["mixed"]) is int


def test_records_of_an_empty_frame_and_of_no_columns():
    assert vl.records(pd.DataFrame({"a": pd.Series([], dtype=float)})) == []
    assert vl.records(pd.DataFrame(index=range(2))) == [{}, {}]


def _layer(data: str = "shown") -> dict:
    return vl.mark_layer("point", data, vl.encoding(x=vl.channel("x:Q"), y=vl.channel("group:N")), size=40)


def test_layer_chart_sends_only_the_datasets_a_layer_draws():
    spec = vl.layer_chart([_layer()], {"shown": [{"x": 1, "group": "Open"}], "unused": [{"x": 2}]}, title=vl.title_params("T"))
    assert list(spec["datasets"]) == ["shown"]
    assert spec["title"] == {"text": "T", "subtitle": [""]}  # the subtitle slot is always there
    assert spec["width"] == "container" and spec["autosize"] == vl.FIT_WIDTH
    vl.validate(spec)


def test_layer_chart_refuses_a_layer_reading_a_dataset_not_given():
    with pytest.raises(ValueError, match="missing"):
        vl.layer_chart([_layer("missing")], {"shown": []})


def test_validate_refuses_what_vega_lite_would():
    good = vl.layer_chart([_layer()], {"shown": [{"x": 1, "group": "Open"}]})
    assert vl.validate(good) is good
    bad_mark = vl.layer_chart([vl.mark_layer("boxes", "shown", {})], {"shown": []})
    with pytest.raises(vl.SpecError, match="Vega-Lite schema"):
        vl.validate(bad_mark)
    with pytest.raises(vl.SpecError, match="plain JSON"):
        vl.validate({**good, "datasets": {"shown": [{"x": float("nan")}]}})
    with pytest.raises(vl.SpecError, match="plain JSON"):
        vl.validate({**good, "datasets": {"shown": pd.DataFrame({"x": [1]})}})


def test_without_title_copies_and_leaves_the_original_alone():
    spec = vl.layer_chart([_layer()], {"shown": [{"x": 1, "group": "Open"}]}, title=vl.title_params("T", ["sub"]))
    bare = vl.without_title(spec)
    assert "title" not in bare and spec["title"]["text"] == "T"
    bare["layer"][0]["mark"]["size"] = 99
    assert spec["layer"][0]["mark"]["size"] == 40  # structure is deep-copied
    assert bare["datasets"]["shown"] is spec["datasets"]["shown"]  # rows are shared, never edited


def test_as_spec_takes_a_dict_or_an_altair_chart():
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    assert vl.as_spec(chart)["mark"]["type"] == "point"
    spec = {"mark": "point"}
    assert vl.as_spec(spec) == spec and vl.as_spec(spec) is not spec
    with pytest.raises(TypeError):
        vl.as_spec("point")


def test_wrap_title_breaks_long_titles_and_subtitles_at_words_without_editing_the_spec():
    from spinedash.vegalite import wrap_title

    spec = {"mark": "point", "title": {"text": "Reached the VAS leg pain MCID at 12 months (%), risk-adjusted by surgeon",
                                       "subtitle": ["Units with fewer than 5 cases are not shown (k = 5, the minimum cell size).", "Short"]}}
    out = wrap_title(spec, width=40)
    assert out["title"]["text"] == ["Reached the VAS leg pain MCID at 12", "months (%), risk-adjusted by surgeon"]
    assert all(len(line) <= 40 for line in out["title"]["subtitle"]) and out["title"]["subtitle"][-1] == "Short"
    assert isinstance(spec["title"]["text"], str), "the given spec is left as it was"
    assert wrap_title({"mark": "point", "title": "Plain"}) == {"mark": "point", "title": "Plain"}


def test_wrap_title_leaves_notes_the_charts_wrapped_alone():
    from spinedash import charts
    from spinedash.vegalite import wrap_title

    notes = charts.wrap_notes(["Box: middle half of cases; line: 5th–95th percentile; black tick: median; dark bar: its 95% CI"])
    spec = {"mark": "point", "title": {"text": "Stay", "subtitle": notes}}
    assert wrap_title(spec)["title"]["subtitle"] == notes
