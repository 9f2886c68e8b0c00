"""Spreadsheet-safe CSV/XLSX, download names and chart images (spinedash.export)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from spinedash import vegalite
from spinedash.export import (
    CHART_FONT,
    IMAGE_WIDTH,
    ExportError,
    chart_image,
    export_filename,
    image_subtitle,
    neutralise_formulas,
    titled_chart,
    to_csv_bytes,
    to_xlsx_bytes,
)

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]


def _cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case_id": pd.Series(["C001", "C002", "C003"], dtype="str"),
            "surgery_date": pd.to_datetime(["2024-03-18", "2024-04-02", None]),
            "surgeon": pd.Series(['=HYPERLINK("http://x")', "Søren Ødegaard", "Dr Zürich"], dtype="category"),
            "note": pd.Series(["-1+2", "@SUM(A1)", None], dtype=object),
            "vas_leg_change": [-3.5, -1.0, np.nan],
            "reoperation": pd.array([True, False, pd.NA], dtype="boolean"),
        }
    )


# --------------------------------------------------------------------------------------------------
# neutralise_formulas
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", DANGEROUS)
def test_each_dangerous_leading_character_is_neutralised_in_cells(prefix):
    df = pd.DataFrame({"text": [f"{prefix}cmd|' /C calc'!A0", "plain"]})
    out = neutralise_formulas(df)
    assert out["text"].tolist() == [f"'{prefix}cmd|' /C calc'!A0", "plain"]


@pytest.mark.parametrize("prefix", DANGEROUS)
def test_each_dangerous_leading_character_is_neutralised_in_headers(prefix):
    df = pd.DataFrame({f"{prefix}1+1": [1.0], "age": [40.0]})
    out = neutralise_formulas(df)
    assert list(out.columns) == [f"'{prefix}1+1", "age"]


@pytest.mark.parametrize("dtype", [object, "str", "string", "category"])
def test_every_text_dtype_is_neutralised(dtype):
    df = pd.DataFrame({"condition": pd.Series(["=1+2", "Herniated disc"], dtype=dtype)})
    out = neutralise_formulas(df)
    assert out["condition"].astype(object).tolist() == ["'=1+2", "Herniated disc"]


def test_negative_numbers_stay_numbers_but_text_that_looks_like_arithmetic_does_not():
    df = pd.DataFrame({"change": [-3.5, -1.0, np.nan], "note": ["-1+2", "ok", None]})
    out = neutralise_formulas(df)
    pd.testing.assert_series_equal(out["change"], df["change"])
    assert out["note"].tolist()[:2] == ["'-1+2", "ok"]
    assert pd.isna(out["note"].iloc[2])
    assert out["note"].dtype == df["note"].dtype


def test_harmless_text_and_other_dtypes_are_untouched():
    df = _cases().drop(columns=["surgeon", "note"])
    df["condition"] = ["Herniated disc", "a=b", " =x with a leading space"]
    pd.testing.assert_frame_equal(neutralise_formulas(df), df)


def test_categoricals_stay_categorical_with_order_kept():
    cats = pd.CategoricalDtype(["Full-endoscopic", "+Open", "Microscopic"], ordered=True)
    df = pd.DataFrame({"approach": pd.Series(["+Open", "Microscopic", "+Open"], dtype=cats)})
    out = neutralise_formulas(df)
    assert isinstance(out["approach"].dtype, pd.CategoricalDtype)
    assert out["approach"].cat.ordered
    assert list(out["approach"].cat.categories) == ["Full-endoscopic", "'+Open", "Microscopic"]
    assert out["approach"].tolist() == ["'+Open", "Microscopic", "'+Open"]
    # Still usable as a category: grouping works on the renamed categories.
    assert out.groupby("approach", observed=True).size().to_dict() == {"'+Open": 2, "Microscopic": 1}


def test_categories_that_collide_after_neutralising_are_merged():
    df = pd.DataFrame({"x": pd.Series(["=a", "'=a", "b"], dtype="category")})
    out = neutralise_formulas(df)
    assert out["x"].tolist() == ["'=a", "'=a", "b"]
    assert isinstance(out["x"].dtype, pd.CategoricalDtype)


def test_input_frame_is_not_modified():
    df = _cases()
    before = df.copy()
    neutralise_formulas(df)
    pd.testing.assert_frame_equal(df, before)


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------


def test_csv_has_bom_and_reads_back_neutralised_with_accents():
    data = to_csv_bytes(_cases())
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == list(_cases().columns)
    assert back["surgeon"].tolist() == ['\'=HYPERLINK("http://x")', "Søren Ødegaard", "Dr Zürich"]
    assert back["note"].tolist()[:2] == ["'-1+2", "'@SUM(A1)"]
    assert back["vas_leg_change"].tolist()[:2] == [-3.5, -1.0]
    assert back["surgery_date"].tolist()[:2] == ["2024-03-18", "2024-04-02"]


def test_csv_keeps_a_meaningful_index_as_a_column():
    summary = pd.DataFrame(
        {"median_stay_h": [6.0, 74.0]}, index=pd.Index(["Full-endoscopic", "-Open"], name="approach")
    )
    back = pd.read_csv(io.BytesIO(to_csv_bytes(summary)), encoding="utf-8-sig")
    assert back["approach"].tolist() == ["Full-endoscopic", "'-Open"]


# --------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------


def _workbook(df: pd.DataFrame | None = None, notes=None):
    data = to_xlsx_bytes(_cases() if df is None else df, notes=notes)
    return load_workbook(io.BytesIO(data))


def test_xlsx_values_are_neutralised_and_stored_as_text_not_formulas():
    ws = _workbook()["Cases"]
    header = [c.value for c in ws[1]]
    assert header == list(_cases().columns)
    surgeon = ws.cell(row=2, column=3)
    assert surgeon.value == '\'=HYPERLINK("http://x")'
    assert surgeon.data_type == "s"
    assert ws.cell(row=2, column=4).value == "'-1+2"
    assert ws.cell(row=3, column=4).value == "'@SUM(A1)"
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)


def test_xlsx_header_is_bold_frozen_and_columns_are_sized():
    ws = _workbook()["Cases"]
    assert all(cell.font.b for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width >= 8
    assert ws.column_dimensions["C"].width > ws.column_dimensions["A"].width  # longer surgeon names


def test_xlsx_dates_numbers_and_missing_values_keep_their_types_and_true_false_reads_yes_no():
    ws = _workbook()["Cases"]
    date_cell = ws.cell(row=2, column=2)
    assert date_cell.is_date
    assert date_cell.value.date() == dt.date(2024, 3, 18)
    assert date_cell.number_format == "yyyy-mm-dd"
    assert ws.cell(row=4, column=2).value is None  # NaT
    assert ws.cell(row=2, column=5).value == -3.5
    assert ws.cell(row=4, column=5).value is None  # NaN
    assert ws.cell(row=2, column=6).value == "yes"
    assert ws.cell(row=4, column=6).value is None  # <NA> stays blank, never "no"


def test_xlsx_has_filter_buttons_over_every_row_and_the_export_date_once():
    wb = _workbook(notes=["Data source: Sample cohort"])
    ws = wb["Cases"]
    assert ws.auto_filter.ref == f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"
    lines = [str(row[0]) for row in wb["About"].iter_rows(values_only=True)]
    assert sum("Exported on" in line for line in lines) == 1


def test_csv_whole_numbers_without_point_zero_and_yes_no():
    frame = pd.DataFrame({"days": [14.0, None, 3.0], "score": [2.5, 3.0, None], "employed": pd.array([True, None, False], dtype="boolean"),
                          "flag": [True, False, True]})  # fmt: skip
    text = to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text == ["days,score,employed,flag", "14,2.5,yes,yes", ",3.0,,no", "3,,no,yes"]


def test_case_exports_have_readable_headers_that_load_back_into_the_same_columns():
    from spinedash.export import cases_for_export
    from spinedash.ingest import load_outcomes
    from spinedash.sample import generate_cohort

    cases = generate_cohort(200, seed=3)
    exported = cases_for_export(cases)
    headers = list(exported.columns)
    assert "Hospital stay (hours)" in headers and "VAS leg pain at 12 months" in headers
    assert "length_of_stay_hours" not in headers
    back = load_outcomes(to_csv_bytes(exported), filename="cases.csv").cases
    for column in cases.columns:
        a = cases[column].astype(object).where(cases[column].notna(), None).tolist()
        b = back[column].astype(object).where(back[column].notna(), None).tolist()
        assert a == b, column


def test_xlsx_about_sheet_carries_notes_export_date_and_the_apostrophe_explanation():
    wb = _workbook(notes=["Data source: Sample cohort", "Synthetic demonstration data", "Filters: =approach Open"])
    assert wb.sheetnames == ["Cases", "About"]
    lines = [row[0] for row in wb["About"].iter_rows(values_only=True)]
    assert "Data source: Sample cohort" in lines
    assert "Synthetic demonstration data" in lines
    assert "Filters: =approach Open" in lines  # About text is stored as a string, never a formula
    assert all(c.data_type != "f" for row in wb["About"].iter_rows() for c in row)
    assert any(line.startswith(f"Exported on {dt.date.today():%Y-%m-%d}") for line in lines)
    assert any("'" in line and "formulas" in line for line in lines)


def test_xlsx_survives_control_characters_and_odd_sheet_names():
    df = pd.DataFrame({"note": ["bell\x07 and null\x00 here"], "n": [1]})
    wb = load_workbook(io.BytesIO(to_xlsx_bytes(df, sheet_name="Cases: [all]/2024 and a very long tail")))
    ws = wb.worksheets[0]
    assert ws.title.startswith("Cases") and len(ws.title) == 31
    assert not set(ws.title) & set("[]:*?/\\")
    assert ws.cell(row=2, column=1).value == "bell and null here"
    assert ws.cell(row=2, column=2).value == 1


# --------------------------------------------------------------------------------------------------
# File names
# --------------------------------------------------------------------------------------------------


def test_export_filename_is_safe_and_dated():
    on = dt.date(2025, 1, 31)
    assert export_filename("cases", "csv", "Sample cohort", on) == "spinedash_cases_sample-cohort_2025-01-31.csv"
    assert (
        export_filename("Report", ".PDF", "Zürich ../../etc/passwd", on)
        == "spinedash_report_zurich-etc-passwd_2025-01-31.pdf"
    )
    name = export_filename("chart", "png", "Søren's ü/ø data", on)
    assert re.fullmatch(r"[a-z0-9_\-]+\.png", name)
    assert "soren-s-u-o-data" in name


# --------------------------------------------------------------------------------------------------
# Chart images
# --------------------------------------------------------------------------------------------------


STAY = pd.DataFrame({"approach": ["Full-endoscopic", "Open"], "median_stay_h": [6.0, 74.0]})
STAY_ENCODING = vegalite.encoding(
    x=vegalite.channel("approach:N", title="Approach"),
    y=vegalite.channel("median_stay_h:Q", title="Median hospital stay (h)"),
)


def _stay_chart() -> alt.Chart:
    return (
        alt.Chart(STAY)
        .mark_bar()
        .encode(x=alt.X("approach:N", title="Approach"), y=alt.Y("median_stay_h:Q", title="Median hospital stay (h)"))
        .properties(width=300, height=200)
    )


def _stay_spec() -> vegalite.Spec:
    """The same chart as a Vega-Lite dict, as the app's charts now are."""
    return vegalite.single_chart("shown", vegalite.records(STAY), {"type": "bar"}, STAY_ENCODING, width=300, height=200)


@pytest.fixture(params=["dict", "altair"])
def stay_chart(request) -> vegalite.Spec | alt.Chart:
    return _stay_spec() if request.param == "dict" else _stay_chart()


SUBTITLE = ["Filters: condition Herniated disc · age ≥ 18", "Data: Sample cohort — synthetic demonstration data"]


def test_png_has_magic_bytes_and_twice_the_svg_size(stay_chart):
    on = dt.date(2025, 1, 31)
    png = chart_image(stay_chart, "png", "Hospital stay by approach", SUBTITLE, on=on)
    svg = chart_image(stay_chart, "svg", "Hospital stay by approach", SUBTITLE, on=on).decode()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    png_w, png_h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    svg_w, svg_h = (float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups())
    assert abs(png_w - 2 * svg_w) <= 2 and abs(png_h - 2 * svg_h) <= 2
    assert png_w / png_h == pytest.approx(svg_w / svg_h, rel=0.01)
    # Title, subtitle and footer make the image taller than the 200 px plot plus axes.
    assert svg_h > 260


def test_svg_carries_title_filters_source_and_footer(stay_chart):
    svg = chart_image(stay_chart, "svg", "Hospital stay by approach", SUBTITLE, on=dt.date(2025, 1, 31)).decode()
    assert "Hospital stay by approach" in svg
    assert "Filters: condition Herniated disc · age ≥ 18" in svg
    assert "Data: Sample cohort — synthetic demonstration data" in svg
    assert "SpineDash · 2025-01-31" in svg


def test_long_subtitle_lines_are_wrapped(stay_chart):
    long_line = "Filters: " + ", ".join(f"surgeon {i}" for i in range(30))
    svg = chart_image(stay_chart, "svg", "Stay", [long_line]).decode()
    # Multi-line titles are drawn as one <tspan> a line.
    drawn = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    subtitle = [t for t in drawn if "surgeon" in t]
    assert len(subtitle) >= 3
    assert all(len(t) <= 95 for t in subtitle)
    assert "surgeon 0," in subtitle[0] and subtitle[-1].endswith("surgeon 29")


def test_altair_charts_with_config_layers_and_facets_render():
    base = _stay_chart()
    configured = base.configure_axis(labelFontSize=13).configure_view(stroke=None)
    layered = alt.layer(base, base.mark_text(dy=-6).encode(text="median_stay_h:Q"))
    faceted = (
        alt.Chart(pd.DataFrame({"approach": ["Open", "Open"], "sex": ["female", "male"], "n": [3, 4]}))
        .mark_bar()
        .encode(x="sex:N", y="n:Q")
        .facet(column="approach:N")
    )
    for chart in (configured, layered, faceted):
        svg = chart_image(chart, "svg", "A title", ["Filters: none"]).decode()
        assert "A title" in svg and "Filters: none" in svg


def test_dict_charts_with_config_layers_and_facets_render():
    configured = {**_stay_spec(), "config": {"axis": {"labelFontSize": 13}, "view": {"stroke": None}}}
    label = vegalite.encoding(**STAY_ENCODING, text=vegalite.channel("median_stay_h:Q"))
    layered = vegalite.layer_chart(
        [vegalite.mark_layer("bar", "shown", STAY_ENCODING), vegalite.mark_layer("text", "shown", label, dy=-6)],
        {"shown": vegalite.records(STAY)},
        title=vegalite.title_params("Stay", ["No filters"]),
        height=200,
    )
    faceted = {
        "$schema": vegalite.SCHEMA_URL,
        "data": {"name": "counts"},
        "facet": {"column": vegalite.channel("approach:N")},
        "spec": {"mark": {"type": "bar"}, "encoding": {"x": vegalite.channel("sex:N"), "y": vegalite.channel("n:Q")}},
        "datasets": {"counts": [{"approach": "Open", "sex": s, "n": n} for s, n in (("female", 3), ("male", 4))]},
    }
    for chart in (configured, layered, faceted):
        svg = chart_image(vegalite.validate(chart), "svg", "A title", ["Filters: none"]).decode()
        assert "A title" in svg and "Filters: none" in svg


def _container_layers() -> vegalite.Spec:
    """A layered, container-wide chart with its own title, as the app draws on screen."""
    return vegalite.layer_chart(
        [vegalite.mark_layer("bar", "shown", STAY_ENCODING)],
        {"shown": vegalite.records(STAY)},
        title=vegalite.title_params("Screen title", ["Screen subtitle"]),
        height=200,
        config={"axis": {"labelFontSize": 13}},
    )


def test_titled_dict_is_a_vconcat_with_data_and_top_level_keys_on_the_wrapper():
    spec = _container_layers()
    before = copy.deepcopy(spec)
    out = vegalite.validate(titled_chart(spec, "Stay", ["Filters: none"], on=dt.date(2025, 1, 31)))
    assert spec == before, "the chart given is left as it was"
    (headed,) = out["vconcat"]
    (inner,) = headed["vconcat"]
    # Vega-Lite allows datasets, autosize and config only on the outermost spec.
    assert out["datasets"] == spec["datasets"] and "datasets" not in inner
    assert out["autosize"] == vegalite.FIT_WIDTH and "autosize" not in inner
    assert out["config"] == {"axis": {"labelFontSize": 13}, "font": CHART_FONT} and "config" not in inner
    assert out["$schema"] == vegalite.SCHEMA_URL and "$schema" not in inner
    assert inner["width"] == IMAGE_WIDTH, "no container outside the browser"
    assert inner["layer"] == spec["layer"] and inner["height"] == 200
    assert "title" not in inner, "the screen title is replaced"
    assert headed["title"]["text"] == "Stay" and headed["title"]["subtitle"] == ["Filters: none"]
    assert out["title"]["text"] == "SpineDash · 2025-01-31" and out["title"]["orient"] == "bottom"
    # Shared legends would be lifted to the outermost view and drawn above the heading.
    for level in (out, headed):
        assert set(level["resolve"]["legend"].values()) == {"independent"}
        assert {"color", "shape"} <= set(level["resolve"]["legend"])


def test_titled_chart_keeps_a_charts_own_font_and_fixed_width():
    spec = {**_stay_spec(), "config": {"font": "Arial"}}
    out = vegalite.validate(titled_chart(spec, "Stay", []))
    assert out["config"] == {"font": "Arial"}
    assert out["vconcat"][0]["vconcat"][0]["width"] == 300
    assert out["vconcat"][0]["title"]["subtitle"] == []


def test_titled_altair_chart_has_its_data_on_the_wrapper():
    out = vegalite.validate(titled_chart(_stay_chart(), "Stay", ["Filters: none"]))
    ((inner,),) = [level["vconcat"] for level in out["vconcat"]]
    assert "datasets" not in inner and "data" not in inner
    (rows,) = out["datasets"].values()
    assert out["data"] == {"name": next(iter(out["datasets"]))}
    assert rows == vegalite.records(STAY)
    assert out["config"]["font"] == CHART_FONT


def test_container_wide_chart_is_drawn_at_image_width():
    svg = chart_image(_container_layers(), "svg", "Stay", ["Filters: none"]).decode()
    width = float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1))
    assert width >= IMAGE_WIDTH
    assert "Screen title" not in svg and "Stay" in svg


def test_image_subtitle_keeps_the_charts_own_notes_after_filters_and_source():
    chart = {"title": {"text": "Stay", "subtitle": ["Condition: Herniated disc", "Box: middle half",
                                                    "Not shown (fewer than 5 cases or no data): Open"]}}  # fmt: skip
    lines = image_subtitle(chart, ["Condition: Herniated disc", "Sample cohort (synthetic)"])
    assert lines == ["Condition: Herniated disc", "Sample cohort (synthetic)", "Box: middle half",
                     "Not shown (fewer than 5 cases or no data): Open"]  # fmt: skip
    assert image_subtitle({"title": "Plain title"}, ["Filters"]) == ["Filters"]
    assert image_subtitle({"title": {"text": "t", "subtitle": ""}}, ["Filters"]) == ["Filters"]
    assert image_subtitle({}, []) == []


def test_unknown_format_is_refused(stay_chart):
    with pytest.raises(ExportError, match="png"):
        chart_image(stay_chart, "jpeg", "x", [])  # type: ignore[arg-type]
