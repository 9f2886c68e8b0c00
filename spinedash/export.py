"""Downloads: spreadsheet-safe CSV and XLSX, and chart images that carry their own context.

Everything here returns bytes for a download button; nothing is written to disk, so uploaded
patient data never leaves the session's memory.

Spreadsheet safety follows the OWASP "CSV injection" guidance: a text cell that a spreadsheet
would run as a formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading
single quote, so Excel, LibreOffice and Google Sheets show it as text. Numbers are left as
numbers: a negative value in a numeric column is data, not a formula.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import math
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import vl_convert as vlc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from spinedash.vegalite import SCHEMA_URL, Spec, as_spec

if TYPE_CHECKING:
    import altair as alt

# OWASP: cells beginning with these characters are treated as formulas by spreadsheet programs.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
# The font the exported images and the PDF report use; shipped in data/fonts so the output looks
# the same on a machine without it installed.
CHART_FONT = "DejaVu Sans"

APP_NAME = "SpineDash"


class ExportError(ValueError):
    """An export could not be produced (unknown format, a chart that cannot be drawn)."""


# --------------------------------------------------------------------------------------------------
# Formula neutralisation
# --------------------------------------------------------------------------------------------------


def _neutralise_value(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    return (
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(series.dtype)
        or pd.api.types.is_string_dtype(series.dtype)
    )


def _neutralise_categorical(series: pd.Series) -> pd.Series:
    dtype: pd.CategoricalDtype = series.dtype
    new_categories = [_neutralise_value(c) for c in dtype.categories]
    if len(set(new_categories)) == len(new_categories):
        return series.cat.rename_categories(new_categories)
    # "=x" and "'=x" would both become "'=x": merge them rather than fail.
    values = series.astype(object).map(_neutralise_value)
    merged = list(dict.fromkeys(new_categories))
    return values.astype(pd.CategoricalDtype(merged, ordered=dtype.ordered))


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `df` whose text cells and headers cannot run as spreadsheet formulas.

    Text columns (object, string and category dtypes) have every string that starts with one of
    FORMULA_PREFIXES prefixed with a single quote; column headers likewise. Numeric, boolean and
    date columns are returned unchanged, so a negative number stays a number. Categoricals stay
    categoricals (their categories are renamed, order kept).
    """
    out = df.copy()
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        if isinstance(series.dtype, pd.CategoricalDtype):
            out.isetitem(position, _neutralise_categorical(series))
        elif _is_text_column(series):
            out.isetitem(position, series.map(_neutralise_value, na_action="ignore").astype(series.dtype))
    out.columns = pd.Index([_neutralise_value(c) for c in out.columns], name=out.columns.name)
    return out


def _with_index_as_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A meaningful index (a summary table's group names) becomes ordinary columns; a plain
    0..n-1 row counter is dropped."""
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        return df
    return df.reset_index()


# --------------------------------------------------------------------------------------------------
# CSV and XLSX
# Excel's sheet limit is 1,048,576 rows and openpyxl writes a few thousand rows a second; past this
# many rows the page offers CSV only.
XLSX_MAX_ROWS = 100_000
# --------------------------------------------------------------------------------------------------


def readable_values(df: pd.DataFrame) -> pd.DataFrame:
    """Values as a person reads them in a spreadsheet: yes/no instead of True/False, and whole
    numbers without ".0" (a float column whose values are all whole, e.g. days with blanks, becomes
    a nullable integer). Other columns are left as they are."""
    out = df.copy()
    for position in range(out.shape[1]):
        col = out.iloc[:, position]
        if pd.api.types.is_bool_dtype(col.dtype):
            # Missing stays missing: a blank cell, never "no".
            out.isetitem(position, col.astype("boolean").map({True: "yes", False: "no"}).astype(object))
        elif pd.api.types.is_float_dtype(col.dtype):
            values = col.to_numpy(dtype=float, na_value=np.nan)
            finite = values[np.isfinite(values)]
            if len(finite) and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53):
                out.isetitem(position, col.astype("Int64"))
        elif pd.api.types.is_object_dtype(col.dtype):
            kinds = {type(v) for v in col.dropna().head(1000)}
            if kinds and kinds <= {bool, np.bool_}:
                out.isetitem(position, col.map({True: "yes", False: "no"}, na_action="ignore"))
    return out


def readable_headers(columns) -> list[str]:
    """Canonical column names in the surgeon's words, with units: "length_of_stay_hours" ->
    "Hospital stay (hours)", "vas_leg_12m" -> "VAS leg pain at 12 months".

    A header is used only if SpineDash's own import reads it back to the same column (checked
    here, and the whole round trip in tests/test_export.py), so an exported file can be loaded
    again; otherwise, and for columns the data dictionary does not know, the name is kept."""
    from spinedash import schema
    from spinedash.ingest.map import choose_columns
    from spinedash.ingest.validate import column_label

    names = [str(c) for c in columns]
    proposed: list[str] = []
    for name in names:
        spec = schema.spec_for(name)
        if spec is None:
            proposed.append(name)
            continue
        label = column_label(name)
        label = label[:1].upper() + label[1:]
        if spec.unit and schema.parse_outcome_column(name) is None and spec.unit not in label:
            label += f" ({spec.unit})"
        proposed.append(label)
    try:
        choices, _problems = choose_columns(proposed)
        read_back = {c.position: c.target for c in choices}
    except (ValueError, KeyError):
        return names
    out: list[str] = []
    for i, (name, label) in enumerate(zip(names, proposed, strict=True)):
        keep = label != name and read_back.get(i) == name and label not in out
        out.append(label if keep else name)
    return out


def cases_for_export(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases as the CSV and Excel downloads give them: readable headers and values."""
    out = readable_values(cases)
    out.columns = readable_headers(out.columns)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV as UTF-8 with a byte-order mark (so Excel reads accents right), formulas neutralised,
    whole numbers without ".0" and yes/no for true/false (`readable_values`)."""
    safe = neutralise_formulas(readable_values(_with_index_as_columns(df)))
    # "\r\n" as the row end makes the csv writer quote any cell holding \r or \n; with "\n" a bare
    # carriage return inside a cell was written unquoted and started a new row in Excel, where a
    # following "=..." would run as a formula.
    text = safe.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\r\n")
    return codecs.BOM_UTF8 + text.encode("utf-8")


def _cell_value(value: object) -> object:
    """A pandas/numpy value as something openpyxl stores natively (None for missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:  # Excel has no time zones: keep the wall-clock time.
            ts = ts.tz_localize(None)
        return ts.date() if ts == ts.normalize() else ts.to_pydatetime()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        # XML cannot hold most control characters; openpyxl refuses them.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    # Anything else (a timedelta, a list in an object column) goes in as its text, neutralised too.
    return _neutralise_value(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _column_width(header: str, values: pd.Series) -> float:
    sample = values.head(500).map(lambda v: "" if v is None else str(v))
    longest = max([len(str(header)), *sample.str.len().tolist()]) if len(sample) else len(str(header))
    return float(min(max(longest + 2, 8), 50))


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "Cases", notes: Sequence[str] | None = None) -> bytes:
    """An Excel workbook: the data sheet (bold frozen header with filter buttons, sized columns, real
    dates, yes/no, whole numbers) and an "About" sheet with `notes` (data source, synthetic label,
    filters) and the export time, given once there.

    Args:
        df: the table to export; text cells are neutralised against formula injection.
        sheet_name: title of the data sheet (Excel allows at most 31 characters).
        notes: lines for the About sheet, e.g. the data source and the active filters.
    """
    safe = neutralise_formulas(readable_values(_with_index_as_columns(df)))
    headers = [str(_cell_value(c)) for c in safe.columns]
    columns = [safe.iloc[:, i].astype(object).map(_cell_value) for i in range(safe.shape[1])]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_safe_sheet_title(sheet_name))
    ws.freeze_panes = "A2"
    if headers:
        # Filter buttons on the header row, over every row written below it.
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(safe) + 1}"
    for i, (header, values) in enumerate(zip(headers, columns, strict=True), start=1):
        ws.column_dimensions[get_column_letter(i)].width = _column_width(header, values)

    bold = Font(bold=True)
    header_row = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        # A header is a label even when it looks like a formula after neutralisation.
        cell.data_type = "s"
        header_row.append(cell)
    ws.append(header_row)

    date_columns = {
        i
        for i, col in enumerate(columns)
        if pd.api.types.is_datetime64_any_dtype(safe.iloc[:, i].dtype)
        or any(isinstance(v, dt.date) for v in col.head(200))
    }
    for row in zip(*columns, strict=True):
        if not date_columns:
            ws.append(list(row))
            continue
        cells = []
        for i, value in enumerate(row):
            if i in date_columns and isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)

    about = wb.create_sheet("About")
    about.column_dimensions["A"].width = 110
    title = WriteOnlyCell(about, value=f"Exported from {APP_NAME}")
    title.font = Font(bold=True, size=13)
    about.append([title])
    wrap = Alignment(wrap_text=True, vertical="top")
    lines = [*(notes or []), f"Exported on {dt.datetime.now():%Y-%m-%d %H:%M}."]
    lines.append(
        "Text cells that began with =, +, -, @, a tab or a carriage return start with an added ' "
        "so spreadsheet programs show them as text instead of running them as formulas."
    )
    for line in lines:
        cell = WriteOnlyCell(about, value=_cell_value(str(line)))
        cell.data_type = "s"
        cell.alignment = wrap
        about.append([cell])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _safe_sheet_title(name: str) -> str:
    # Excel forbids []:*?/\ in sheet names and caps them at 31 characters.
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Sheet"
    return cleaned[:31]


# --------------------------------------------------------------------------------------------------
# File names
# --------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    # NFKD splits "ü" into "u" + a combining mark, so "Zürich" reads as "zurich", not "zrich".
    for src, dst in (("ø", "o"), ("Ø", "O"), ("ß", "ss"), ("æ", "ae"), ("Æ", "AE"), ("đ", "d"), ("ł", "l")):
        text = text.replace(src, dst)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def export_filename(stem: str, ext: str, dataset_label: str, on: dt.date | None = None) -> str:
    """A download name such as `spinedash_cases_sample-cohort_2025-01-31.csv`.

    Only lower-case ASCII letters, digits, "-" and "_" survive, so an uploaded file's name can
    never smuggle a path or odd characters into the download.
    """
    day = (on or dt.date.today()).isoformat()
    parts = ["spinedash", _slug(stem)[:40], _slug(dataset_label)[:40], day]
    extension = _slug(ext.lstrip("."))[:8] or "dat"
    return "_".join(p for p in parts if p) + "." + extension


# --------------------------------------------------------------------------------------------------
# Chart images
# --------------------------------------------------------------------------------------------------

# Properties Vega-Lite accepts only on the outermost spec: they move from the chart to the wrapper.
_TOP_LEVEL_ONLY = ("config", "autosize", "padding", "background", "usermeta")


@cache
def register_fonts() -> None:
    """Make the shipped DejaVu Sans available to vl-convert (once a process)."""
    if FONT_DIR.is_dir():
        vlc.register_font_directory(str(FONT_DIR))


IMAGE_WIDTH = 640  # px of plot area in exported images of charts drawn "container"-wide on screen


def _wrap_lines(lines: Sequence[str], width: int = 95) -> list[str]:
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(str(line), width=width, break_long_words=True) or [""])
    return wrapped


def titled_chart(
    chart: Spec | alt.TopLevelMixin, title: str, subtitle_lines: Sequence[str], on: dt.date | None = None
) -> Spec:
    """The chart with `title` and `subtitle_lines` above it and "SpineDash · <date>" below it.

    Takes a Vega-Lite dict (left unchanged) or an Altair chart; returns a new Vega-Lite dict:
    the chart inside a vconcat that carries the heading, inside one more that carries the footer.
    Legends are resolved "independent" at both levels: shared (the default) lifts the chart's
    legends to the outermost view, where a legend with orient "top" sat above the heading.
    """
    inner = as_spec(chart)
    # Vega-Lite accepts these only on the outermost spec (the children inherit "data").
    lifted = {key: inner.pop(key) for key in ("$schema", "data", "datasets") if key in inner}
    moved = {key: inner.pop(key) for key in _TOP_LEVEL_ONLY if key in inner}
    inner.pop("title", None)
    if inner.get("width") == "container":
        # There is no container outside the browser: vl-convert would fall back to a narrow default
        # and clip the subtitle lines. Slides and A4 pages both take this width well.
        inner["width"] = IMAGE_WIDTH
    heading = {
        "text": title,
        "subtitle": _wrap_lines(subtitle_lines),
        "anchor": "start",
        "fontSize": 15,
        "subtitleFontSize": 11,
        "subtitleColor": "#333333",
        "offset": 10,
    }
    config = moved.pop("config", {})
    config.setdefault("font", CHART_FONT)
    footer = {
        "text": f"{APP_NAME} · {(on or dt.date.today()).isoformat()}",
        "orient": "bottom",
        "anchor": "start",
        "fontSize": 10,
        "fontWeight": "normal",
        "color": "#555555",
        "offset": 8,
    }
    keep_legends = {"legend": dict.fromkeys(("color", "opacity", "shape", "size", "strokeDash"), "independent")}
    headed = {"vconcat": [inner], "title": heading, "resolve": keep_legends}
    wrapper: Spec = {"$schema": lifted.pop("$schema", SCHEMA_URL), "vconcat": [headed], "config": config, **moved,
                     "title": footer, "resolve": keep_legends}  # fmt: skip
    wrapper.update(lifted)
    return wrapper


def image_subtitle(chart: Spec, context: Sequence[str]) -> list[str]:
    """The lines under an exported image's heading: `context` (filters, data source), then the
    chart's own subtitle notes — what its marks mean, which groups are suppressed — each once.

    The image replaces the chart's title block, so without this the "Not shown (fewer than k
    cases)" note would be lost from the picture.
    """
    title = chart.get("title")
    own = title.get("subtitle", []) if isinstance(title, dict) else []
    own = [own] if isinstance(own, str) else own
    return list(dict.fromkeys(line for line in [*context, *own] if line))


def chart_image(
    chart: Spec | alt.TopLevelMixin,
    fmt: Literal["png", "svg"],
    title: str,
    subtitle_lines: Sequence[str] = (),
    on: dt.date | None = None,
    scale: float = 2,
) -> bytes:
    """Render a chart (a Vega-Lite dict or an Altair chart) to PNG (at `scale`× for sharp print) or
    SVG, offline.

    The image carries `title`, the `subtitle_lines` (pass the active filters and the data source,
    and say "synthetic demonstration data" when it is) and a footer "SpineDash · <date>", so a
    picture pasted into slides still says what it shows.

    Raises:
        ExportError: `fmt` is not png or svg, or the chart cannot be drawn.
    """
    if fmt not in ("png", "svg"):
        raise ExportError(f"Chart images can be 'png' or 'svg', not {fmt!r}.")
    spec = json.dumps(titled_chart(chart, title, subtitle_lines, on))
    return render_spec(spec, fmt, scale)


def render_spec(spec_json: str, fmt: Literal["png", "svg"], scale: float = 2) -> bytes:
    """Vega-Lite JSON to image bytes with vl-convert (its JavaScript is bundled: no network)."""
    register_fonts()
    try:
        if fmt == "png":
            return vlc.vegalite_to_png(spec_json, scale=scale)
        return vlc.vegalite_to_svg(spec_json).encode("utf-8")
    except ValueError as err:
        raise ExportError(f"The chart could not be drawn: {err}") from err
