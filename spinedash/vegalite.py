"""Vega-Lite specs as plain dicts: what SpineDash's charts are made of.

Why not Altair objects: at a million cases a page rerun spent most of its time in Altair's object
model, not in the data. `alt.layer()` and `.properties()` deep-copy every layer, twice; `to_dict()`
walks the whole object tree again when Streamlit draws it — about 130 ms a layered chart, six
charts a page. The same spec written as a dict costs well under a millisecond to build and is
exactly what `st.vega_lite_chart`, vl-convert (images) and the PDF report consume. Altair is still
the reference: `validate` checks a spec against the Vega-Lite schema Altair ships, and the chart
tests run it on every chart they build.

Helpers mirror Altair's names so a spec reads like the Altair it replaced:

    layer_chart(
        [mark_layer("rule", "shown", encoding(x=channel("p5:Q", title="Stay (hours)"), x2=secondary("p95")))],
        {"shown": records(frame)},
        title=title_params("Hospital stay", ["No filters"]),
        height={"step": 44},
    )
"""

from __future__ import annotations

import copy as _copy
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

Spec = dict[str, Any]

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"  # the version Altair 6.3 ships
# autosize fit-x: fill the container's width but keep the plot's own height. Without it
# st.vega_lite_chart applies "fit", which squeezes titles and legends into the height and can
# flatten the plot to nothing when the legend of published figures is long.
FIT_WIDTH: Spec = {"type": "fit-x", "contains": "padding"}

# Text and lines on every chart meet WCAG 2.1 AA on white: Streamlit's chart theme draws axis and
# legend text in a faded grey (3.72:1, under the 4.5:1 text minimum). A spec's config wins over the
# theme's. #3d4852 is 9.6:1 on white; the domain/ticks #6b7580 is 4.7:1 (graphics need 3:1).
TEXT_COLOUR = "#3d4852"
CHART_CONFIG: Spec = {
    "axis": {"labelColor": TEXT_COLOUR, "titleColor": TEXT_COLOUR, "domainColor": "#6b7580", "tickColor": "#6b7580"},
    # Legends below the plot unless a chart says otherwise: beside it, a legend took half of a chart
    # in a tablet-width cell.
    "legend": {"labelColor": TEXT_COLOUR, "titleColor": TEXT_COLOUR, "orient": "bottom"},
    "title": {"subtitleColor": TEXT_COLOUR},
    "text": {"color": TEXT_COLOUR},
}

_TYPES = {"Q": "quantitative", "N": "nominal", "O": "ordinal", "T": "temporal"}


class SpecError(ValueError):
    """A chart spec that Vega-Lite would refuse (raised by `validate`)."""


def channel(shorthand: str, **props: Any) -> Spec:
    """An encoding channel from Altair-style shorthand: channel("p5:Q", title="Stay") ->
    {"field": "p5", "type": "quantitative", "title": "Stay"}. The type letter is required."""
    name, sep, kind = shorthand.rpartition(":")
    if not sep or kind not in _TYPES or not name:
        raise ValueError(f"channel shorthand must be 'field:Q|N|O|T', got {shorthand!r}")
    return {"field": name, "type": _TYPES[kind], **props}


def secondary(field: str) -> Spec:
    """The end of a range (x2, y2): a bare field — it takes the type of its primary channel."""
    return {"field": field}


def value(constant: Any) -> Spec:
    """A constant channel: value(6) -> {"value": 6} (e.g. text placed 6 px from the axis)."""
    return {"value": constant}


def tooltip(shorthand: str, title: str, fmt: str | None = None) -> Spec:
    """One tooltip line: the field, its label and an optional d3 format."""
    spec = channel(shorthand, title=title)
    if fmt is not None:
        spec["format"] = fmt
    return spec


def encoding(**channels: Spec | list[Spec] | None) -> Spec:
    """The encoding block; channels given as None are left out."""
    return {name: spec for name, spec in channels.items() if spec is not None}


def mark_layer(mark: str, data: str | None, enc: Spec, **mark_props: Any) -> Spec:
    """One layer: a mark of `mark` type drawing the named dataset `data` with encoding `enc`.

    `data=None` for a layer that draws only constants (none do at present, but Vega-Lite allows it).
    """
    layer: Spec = {"mark": {"type": mark, **mark_props}, "encoding": enc}
    if data is not None:
        layer = {"data": {"name": data}, **layer}
    return layer


def title_params(text: str, subtitle: Sequence[str] = (), **props: Any) -> Spec:
    """A title block: title, subtitle lines ([""] when there are none, so every chart keeps the slot)."""
    return {"text": text, "subtitle": list(subtitle) or [""], **props}


def layer_chart(
    layers: Sequence[Spec],
    datasets: Mapping[str, list[Spec]],
    *,
    title: Spec | str | None = None,
    height: int | Spec | None = None,
    width: int | str = "container",
    resolve: Spec | None = None,
    autosize: Spec | None = FIT_WIDTH,
    **props: Any,
) -> Spec:
    """A top-level layered chart. Only datasets some layer reads are kept (none are sent unused)."""
    used = {layer["data"]["name"] for layer in layers if "data" in layer}
    missing = used - set(datasets)
    if missing:
        raise ValueError(f"layers read datasets that were not given: {sorted(missing)}")
    spec: Spec = {"$schema": SCHEMA_URL, "layer": list(layers), "config": _copy.deepcopy(CHART_CONFIG)}
    spec["datasets"] = {name: rows for name, rows in datasets.items() if name in used}
    if not spec["datasets"]:
        del spec["datasets"]
    for key, val in (("title", title), ("height", height), ("width", width), ("resolve", resolve), ("autosize", autosize)):
        if val is not None:
            spec[key] = val
    spec.update(props)
    return spec


def single_chart(data: str, rows: list[Spec], mark: Spec, enc: Spec, **props: Any) -> Spec:
    """A top-level single-view chart (one mark) of one named dataset."""
    spec: Spec = {"$schema": SCHEMA_URL, "data": {"name": data}, "mark": mark, "encoding": enc,
                  "datasets": {data: rows}}  # fmt: skip
    spec.update({"width": "container", "autosize": FIT_WIDTH, "config": _copy.deepcopy(CHART_CONFIG), **props})
    return spec


# ------------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------------


def _json_scalar(v: Any) -> Any:
    """A value JSON (and Vega) can carry: missing and infinite numbers become null, numpy scalars
    Python ones, timestamps ISO text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return pd.Timestamp(v).isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _column_values(col: pd.Series) -> list[Any]:
    if pd.api.types.is_float_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        arr = col.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(arr)
        if finite.all():
            return arr.tolist()
        return [x if ok else None for x, ok in zip(arr.tolist(), finite.tolist(), strict=True)]
    if (pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_integer_dtype(col.dtype)) and not col.hasnans:
        return col.to_numpy().tolist()
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in col]
    if isinstance(col.dtype, pd.CategoricalDtype):
        labels = [_json_scalar(c) for c in col.cat.categories.tolist()]
        return [labels[c] if c >= 0 else None for c in col.cat.codes.tolist()]
    values = col.astype(object).tolist()
    if all(type(v) is str for v in values):  # the common case (group names): nothing to convert
        return values
    return [_json_scalar(v) for v in values]


def records(frame: pd.DataFrame) -> list[Spec]:
    """The frame's rows as JSON-safe dicts (Vega-Lite inline data).

    NaN, None, pd.NA and ±inf become null (Vega treats null as missing; JSON has no NaN),
    categoricals their labels, numpy scalars Python numbers, timestamps ISO text. Column names are
    text. About 1 ms for a 2,000-row curve frame.
    """
    names = [str(c) for c in frame.columns]
    columns = [_column_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] if names else [{}] * len(frame)


def wrap_title(spec: Spec, width: int = 60) -> Spec:
    """A shallow copy whose title and subtitle lines are broken at word boundaries to `width`
    characters, so a chart drawn 26rem wide shows them whole instead of cut with "…". The same
    width as spinedash.charts.NOTE_WIDTH, so notes the charts already wrapped are left as they are."""
    import textwrap

    title = spec.get("title")
    if not isinstance(title, dict):
        return spec
    out = dict(title)

    def lines(text: Any) -> list[str]:
        parts = text if isinstance(text, list) else [text]
        return [w for part in parts for w in (textwrap.wrap(str(part), width, break_on_hyphens=False) or [""])]

    if "text" in out and len(str(out["text"])) > width:
        out["text"] = lines(out["text"])
    if out.get("subtitle"):
        out["subtitle"] = lines(out["subtitle"])
    return {**spec, "title": out}


def without_title(spec: Spec) -> Spec:
    """A copy of the spec without its title block, for places that print their own (images, PDF).

    Datasets are shared with the original, not copied (nothing downstream edits rows)."""
    out = copy_spec(spec)
    out.pop("title", None)
    return out


def copy_spec(spec: Spec) -> Spec:
    """A deep copy of everything but the data rows, which are shared (they are never edited)."""
    out = {key: _copy.deepcopy(val) for key, val in spec.items() if key != "datasets"}
    if "datasets" in spec:
        out["datasets"] = dict(spec["datasets"])
    return out


def as_spec(chart: Any) -> Spec:
    """A Vega-Lite dict from a dict spec (copied) or anything with `to_dict()` (an Altair chart)."""
    if isinstance(chart, dict):
        return copy_spec(chart)
    if hasattr(chart, "to_dict"):
        return chart.to_dict()
    raise TypeError(f"expected a Vega-Lite dict or an Altair chart, got {type(chart).__name__}")


# ------------------------------------------------------------------------------------------------
# Checking
# ------------------------------------------------------------------------------------------------


@functools.cache
def _schema() -> dict:
    from altair.vegalite.v6.schema import load_schema

    return load_schema()


def validate(spec: Spec) -> Spec:
    """Check the spec against the Vega-Lite JSON schema (the one Altair ships); returns it.

    Raises:
        SpecError: with the schema's complaint, when Vega-Lite would refuse the spec.
    """
    import json

    from altair.utils.schemapi import validate_jsonschema

    try:
        # Through JSON, so a NaN, a numpy number or a DataFrame left in the spec fails here too.
        plain = json.loads(json.dumps(spec, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise SpecError(f"The chart spec is not plain JSON: {err}") from err
    error = validate_jsonschema(plain, _schema(), raise_error=False)
    if error is not None:
        raise SpecError(f"The chart spec does not fit the Vega-Lite schema: {error.message[:500]}")
    return spec
