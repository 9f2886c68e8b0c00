"""The PDF summary report: one document a surgeon can put in front of a committee.

A4 portrait, built with fpdf2 in memory (no file is written). Page 1 says what the numbers are
(title, date, data source, a red "synthetic" banner for the sample cohort, the active filters) and
gives the headline figures; then the charts, at most two a page, the comparison table, the method
notes and the sources. Every page carries the disclaimer and "page X of Y".

Text is set in DejaVu Sans shipped in data/fonts, so en dashes, ≥, ± and names such as "Zürich" or
"Søren" print as written. Text that came from uploaded data is only ever printed: markdown is off
and the page-total placeholder is switched on only while the footer's page number is drawn.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import struct
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, VAlign, XPos, YPos
from fpdf.prefs import ViewerPreferences

from spinedash.export import CHART_FONT, FONT_DIR, register_fonts, render_spec
from spinedash.vegalite import Spec, as_spec

if TYPE_CHECKING:
    import altair as alt

DEFAULT_DISCLAIMER = (
    "SpineDash supports review of outcomes; it is not medical advice and does not replace "
    "clinical judgement for any individual patient."
)
SYNTHETIC_BANNER = "SYNTHETIC DEMONSTRATION DATA — not real patients"
SYNTHETIC_FOOTER = "SYNTHETIC DEMONSTRATION DATA"

FONT_FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
DEBIAN_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# Page geometry in millimetres.
MARGIN = 15.0
FOOTER_HEIGHT = 14.0
CHART_SCALE = 2  # vl-convert renders at 2× CSS pixels: about 180 dpi at the size placed below.
MM_PER_CSS_PX = 0.3
# Single-view charts are redrawn this wide (CSS px): with axes and legend they fill the 180 mm text
# width at about 0.28 mm a pixel, so 11 px labels print at about 8.5 pt.
REPORT_CHART_WIDTH_PX = 480
CHARTS_PER_PAGE = 2
_PAGE_ALIAS = "{nb}"

TEXT = (33, 37, 41)
MUTED = (90, 96, 104)
RED = (192, 0, 0)
RULE = (200, 205, 210)
HEADING_FILL = (232, 238, 244)
STRIPE_FILL = (247, 249, 251)


class ReportError(RuntimeError):
    """The report could not be built (fonts missing, a chart that cannot be drawn)."""


@dataclass(frozen=True, eq=False)
class ReportChart:
    """One chart of the report with what belongs under it on paper.

    Attributes:
        title: the heading printed above the chart.
        chart: a Vega-Lite dict (an Altair chart is accepted too).
        notes: the chart's own notes (what the marks mean, which groups are suppressed), printed
            under its heading: the image is drawn without its title block.
        table: printed under the chart, e.g. the number at risk beneath a Kaplan–Meier curve.
        table_title: the line above that table.
        alt_text: the chart in words, the image's alternative text for screen readers; the
            chart's `description` when not given.
    """

    title: str
    chart: Spec | alt.TopLevelMixin
    notes: Sequence[str] = ()
    table: pd.DataFrame | None = None
    table_title: str = ""
    alt_text: str = ""


def as_report_chart(item: ReportChart | tuple) -> ReportChart:
    """A ReportChart from a ReportChart or a (title, chart) pair."""
    return item if isinstance(item, ReportChart) else ReportChart(*item)


@dataclass(frozen=True, eq=False)
class ReportContent:
    """Everything the report shows. Strings print as given (format numbers before passing them);
    integers get thousands separators, other numbers three significant figures.

    Attributes:
        headline: columns figure, value, n, comparison — e.g. "Median stay", "6 h", 812, "Open: 74 h".
        charts: (title, chart) pairs, drawn in this order; a chart is a Vega-Lite dict (an Altair
            chart is accepted too).
        comparison: the Compare page's table (outcome, <group A>, <group B>, difference (95% CI), p, Holm
            p, adjusted estimate (95% CI), adjusted p, adjusted Holm p); or None.
        comparison_notes: what the comparison adjusted for, how, and the multiple-testing sentence,
            printed under the table; comparison_methods: each outcome's method and covariates;
            comparison_sentences: each outcome in words.
    """

    title: str
    generated_on: dt.date
    data_source: str
    is_synthetic: bool
    filters_text: str
    headline: pd.DataFrame
    charts: Sequence[ReportChart | tuple[str, Spec | alt.TopLevelMixin]] = field(default_factory=tuple)
    comparison: pd.DataFrame | None = None
    comparison_notes: Sequence[str] = field(default_factory=tuple)
    comparison_methods: Sequence[str] = field(default_factory=tuple)
    comparison_sentences: Sequence[str] = field(default_factory=tuple)
    method_notes: Sequence[str] = field(default_factory=tuple)
    sources: Sequence[str] = field(default_factory=tuple)
    disclaimer: str = DEFAULT_DISCLAIMER


# --------------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------------


def _font_dir() -> Path:
    for folder in (FONT_DIR, DEBIAN_FONT_DIR):
        if all((folder / name).is_file() for name in FONT_FILES.values()):
            return folder
    raise ReportError(
        f"The report font DejaVu Sans was not found in {FONT_DIR} or {DEBIAN_FONT_DIR}; "
        "restore data/fonts from the repository or install Debian's fonts-dejavu-core."
    )


def _format_cell(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return ""
        return f"{int(value):,}" if value.is_integer() else f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, pd.Timestamp | dt.date):
        return f"{value:%d %b %Y}"
    return str(value)


class _ReportPDF(FPDF):
    """FPDF with the SpineDash footer and a glyph-safe text filter."""

    def __init__(self, content: ReportContent) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.content = content
        # The page-total placeholder is off while the body is laid out, so a "{nb}" typed into
        # uploaded data prints literally; footer() switches it on for the page number alone.
        self.alias_nb_pages(None)
        folder = _font_dir()
        for style, name in FONT_FILES.items():
            self.add_font(FONT_FAMILY, style=style, fname=str(folder / name))
        self._glyphs = frozenset(self.fonts[FONT_FAMILY.lower()].ttfont.getBestCmap())
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + FOOTER_HEIGHT)
        self.set_title(self.clean(content.title))
        # What fpdf2 can do for screen readers: the document language and its title shown as the
        # window title; headings as outline entries and section structure elements (start_section);
        # every chart image a /Figure structure element with alternative text (image alt_text).
        # Paragraphs and tables are not tagged: fpdf2 does not write a full structure tree, so the
        # file is partly tagged, not PDF/UA.
        self.set_lang("en")
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.set_author("SpineDash")
        self.set_creator("SpineDash")
        self.set_text_color(*TEXT)

    def clean(self, text: object) -> str:
        """Printable text only: control characters dropped, tabs as spaces, missing glyphs as '?'."""
        out = []
        for char in str(text).replace("\r\n", "\n").replace("\t", " "):
            if char == "\n":
                out.append(char)
            elif unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs"):
                continue
            elif ord(char) in self._glyphs or char == " ":
                out.append(char)
            else:
                out.append("?")
        return "".join(out)

    def footer(self) -> None:
        self.set_y(-(MARGIN + FOOTER_HEIGHT) + 3)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        top = self.get_y()
        text_width = self.epw - 32
        if self.content.is_synthetic:
            self.set_font(FONT_FAMILY, "B", 7.5)
            self.set_text_color(*RED)
            self.cell(text_width, 3.6, SYNTHETIC_FOOTER, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.multi_cell(text_width, 3.4, self.clean(self.content.disclaimer), max_line_height=3.4)
        self.set_xy(self.w - self.r_margin - 30, top)
        previous = self.str_alias_nb_pages
        self.str_alias_nb_pages = _PAGE_ALIAS
        self.cell(30, 3.6, f"Page {self.page_no()} of {_PAGE_ALIAS}", align="R")
        self.str_alias_nb_pages = previous
        self.set_text_color(*TEXT)


# --------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------


def _space_left(pdf: FPDF) -> float:
    return pdf.page_break_trigger - pdf.get_y()


def _heading(pdf: _ReportPDF, text: str, keep_with: float = 25) -> None:
    """A section heading, moved to a new page rather than left alone at the bottom."""
    if _space_left(pdf) < 10 + keep_with:
        pdf.add_page()
    else:
        pdf.ln(4)
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.set_text_color(*TEXT)
    pdf.start_section(pdf.clean(text), level=0)  # a bookmark and a structure element for screen readers
    pdf.multi_cell(0, 6.5, pdf.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def _col_widths(pdf: _ReportPDF, headers: list[str], rows: list[list[str]], total: float, size: float) -> list[float]:
    """Column widths that keep short columns (n, p, values) on one line and give the rest of the
    width to long text, in proportion to how long it is. Widths never go below a column's longest
    word, so numbers such as "< 0.001" are not broken."""
    pad = 3.6  # left + right cell padding, mm
    natural, minimum = [], []
    for i, header in enumerate(headers):
        pdf.set_font(FONT_FAMILY, "B", size)
        head_w = [pdf.get_string_width(header), max(pdf.get_string_width(w) for w in header.split() or [""])]
        pdf.set_font(FONT_FAMILY, "", size)
        cells = [row[i] for row in rows]
        natural.append(max([head_w[0], *(pdf.get_string_width(t) for t in cells)]) + pad)
        minimum.append(max([head_w[1], *(pdf.get_string_width(w) for t in cells for w in t.split() or [""])]) + pad)
    if sum(natural) <= total:
        spare = total - sum(natural)
        return [n + spare * n / sum(natural) for n in natural]
    # Columns that fit in an equal share keep their natural width. The others share what is left in
    # proportion to the square root of their natural width, so a long sentence gets the most room
    # without squeezing a short label into a ribbon; none gets more than it needs.
    widths = list(natural)
    fixed = {i for i, n in enumerate(natural) if n <= total / len(natural)}
    while True:
        wide = [i for i in range(len(natural)) if i not in fixed]
        if not wide:
            break
        room = total - sum(widths[i] for i in fixed)
        weight = sum(math.sqrt(natural[i]) for i in wide)
        for i in wide:
            widths[i] = room * math.sqrt(natural[i]) / weight
        capped = {i for i in wide if widths[i] >= natural[i]}
        if not capped:
            break
        for i in capped:
            widths[i] = natural[i]
        fixed |= capped
    widths = [max(w, m) for w, m in zip(widths, minimum, strict=True)]
    excess = sum(widths) - total
    if excess > 0:  # minimum widths pushed past the page: take it back from the columns above their minimum
        slack = [max(w - m, 0.0) for w, m in zip(widths, minimum, strict=True)]
        take = min(excess, sum(slack))
        if take > 0:
            widths = [w - take * s / sum(slack) for w, s in zip(widths, slack, strict=True)]
            excess -= take
    if excess > 0:  # still too wide: the widest column gives the rest
        widest = max(range(len(widths)), key=widths.__getitem__)
        widths[widest] -= excess
    return widths


# Column names as printed: the dataframes use lower-case keys.
_HEADINGS = {
    "figure": "Figure",
    "value": "Value",
    "comparison": "Comparison",
    "outcome": "Outcome",
    "sentence": "In words",
}


def _heading_text(name: object) -> str:
    text = str(name)
    if text in _HEADINGS:
        return _HEADINGS[text]
    if len(text) > 1 and text[0].islower() and text[1] != " ":
        return text[0].upper() + text[1:]
    return text


def _table(pdf: _ReportPDF, df: pd.DataFrame, numeric_right: bool = True, font_size: float = 9) -> None:
    if df.empty:
        pdf.set_font(FONT_FAMILY, "", 9.5)
        pdf.multi_cell(0, 5, "No figures for the current selection.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    headers = [pdf.clean(_heading_text(name)) for name in df.columns]
    rows = [[pdf.clean(_format_cell(v)) for v in values] for values in df.itertuples(index=False, name=None)]
    aligns = []
    for i in range(df.shape[1]):
        numeric = pd.api.types.is_numeric_dtype(df.iloc[:, i].dtype) and not pd.api.types.is_bool_dtype(df.iloc[:, i])
        aligns.append("RIGHT" if numeric and numeric_right else "LEFT")
    widths = _col_widths(pdf, headers, rows, pdf.epw, font_size)
    pdf.set_font(FONT_FAMILY, "", font_size)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=widths,
        text_align=aligns,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_color=STRIPE_FILL,
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
        line_height=font_size * 0.48,
        padding=(1.4, 1.8),
        v_align=VAlign.T,
        markdown=False,
        width=pdf.epw,
    ) as table:
        for values in [headers, *rows]:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(2)


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ReportError("The chart renderer returned something that is not a PNG image.")
    return struct.unpack(">II", png[16:24])


def _report_chart(chart: Spec | alt.TopLevelMixin) -> Spec:
    """The chart as drawn in the PDF: single views widened to the page, the report font.

    Takes a Vega-Lite dict (left unchanged) or an Altair chart; returns a new Vega-Lite dict."""
    drawn = as_spec(chart)
    if "mark" in drawn or "layer" in drawn:  # a single or layered view, not a concat or facet
        drawn["width"] = REPORT_CHART_WIDTH_PX
    config = drawn.setdefault("config", {})
    config.setdefault("font", CHART_FONT)
    # Print needs slightly larger labels than the screen; a chart's own choice wins.
    for part in ("axis", "legend"):
        settings = config.setdefault(part, {})
        settings.setdefault("labelFontSize", 11)
        settings.setdefault("titleFontSize", 12)
    return drawn


def render_chart_png(chart: Spec | alt.TopLevelMixin) -> bytes:
    """One report chart (a Vega-Lite dict or an Altair chart) as PNG bytes (2× scale)."""
    spec = json.dumps(_report_chart(chart))
    try:
        return render_spec(spec, "png", CHART_SCALE)
    except ValueError as err:
        raise ReportError(f"A chart could not be drawn for the report: {err}") from err


def _chart_box(png: bytes, max_w: float, max_h: float) -> tuple[float, float]:
    px_w, px_h = _png_size(png)
    w = px_w / CHART_SCALE * MM_PER_CSS_PX
    h = px_h / CHART_SCALE * MM_PER_CSS_PX
    shrink = min(1.0, max_w / w, max_h / h)
    return w * shrink, h * shrink


def _charts(pdf: _ReportPDF, charts: Sequence[tuple[ReportChart, bytes]]) -> None:
    title_h = 9.0
    gap = 6.0
    usable_h = pdf.h - 2 * MARGIN - FOOTER_HEIGHT
    # Two charts with their titles must fit one page.
    max_h = (usable_h - CHARTS_PER_PAGE * (title_h + gap)) / CHARTS_PER_PAGE
    on_this_page = 0
    page = pdf.page_no()
    for item, png in charts:
        w, h = _chart_box(png, pdf.epw, max_h)
        notes_h = 4.2 * sum(1 + len(n) // 110 for n in item.notes)
        if pdf.page_no() != page:
            on_this_page = 0
        if on_this_page >= CHARTS_PER_PAGE or _space_left(pdf) < title_h + notes_h + h + 2:
            pdf.add_page()
            on_this_page = 0
        page = pdf.page_no()
        pdf.ln(2 if pdf.get_y() > pdf.t_margin + 1 else 0)
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.start_section(pdf.clean(item.title), level=1, strict=False)
        pdf.multi_cell(0, 5.5, pdf.clean(item.title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if item.notes:
            # The chart's own notes, which its image (drawn without a title block) would lose.
            pdf.set_font(FONT_FAMILY, "", 8.5)
            pdf.set_text_color(*MUTED)
            for note in item.notes:
                pdf.multi_cell(0, 4.2, pdf.clean(note), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*TEXT)
        pdf.ln(1.5)
        x = pdf.l_margin + (pdf.epw - w) / 2
        alt = item.alt_text or (item.chart.get("description", "") if isinstance(item.chart, dict) else "") or item.title
        pdf.image(BytesIO(png), x=x, y=pdf.get_y(), w=w, h=h, alt_text=pdf.clean(alt), title=pdf.clean(item.title))
        pdf.set_y(pdf.get_y() + h + gap)
        on_this_page += 1
        if item.table is not None and not item.table.empty:
            if item.table_title:
                pdf.set_font(FONT_FAMILY, "", 8.5)
                pdf.multi_cell(0, 4.2, pdf.clean(item.table_title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            _table(pdf, item.table, font_size=8)
            on_this_page += 1  # a chart with its table takes the room of two


def _subheading(pdf: _ReportPDF, text: str) -> None:
    if _space_left(pdf) < 20:
        pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.multi_cell(0, 5.5, pdf.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(0.5)


def _bullets(pdf: _ReportPDF, items: Sequence[str], numbered: bool = False) -> None:
    pdf.set_font(FONT_FAMILY, "", 9.5)
    for i, item in enumerate(items, start=1):
        marker = f"{i}." if numbered else "•"
        y = pdf.get_y()
        if _space_left(pdf) < 10:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(7, 4.8, marker)
        pdf.set_x(pdf.l_margin + 7)
        pdf.multi_cell(pdf.epw - 7, 4.8, pdf.clean(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)


def _header_block(pdf: _ReportPDF, content: ReportContent) -> None:
    pdf.set_font(FONT_FAMILY, "B", 19)
    pdf.multi_cell(0, 8.5, pdf.clean(content.title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        5,
        f"SpineDash outcome summary · generated {content.generated_on:%d %B %Y}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(*TEXT)
    pdf.ln(2)
    _label_value(pdf, "Data source", content.data_source)
    if content.is_synthetic:
        pdf.ln(2)
        top = pdf.get_y()
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.8)
        pdf.set_text_color(*RED)
        pdf.set_font(FONT_FAMILY, "B", 13)
        pdf.set_y(top + 2.5)
        pdf.multi_cell(0, 6.5, SYNTHETIC_BANNER, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT_FAMILY, "", 9)
        pdf.multi_cell(
            0,
            4.5,
            "Every number in this report comes from a generated sample cohort that shows how the app works. "
            "It describes no real patient, surgeon or hospital.",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        bottom = pdf.get_y() + 2.5
        pdf.rect(pdf.l_margin, top, pdf.epw, bottom - top)
        pdf.set_y(bottom)
        pdf.set_text_color(*TEXT)
        pdf.set_line_width(0.2)
        pdf.ln(2)
    pdf.ln(1)
    _label_value(pdf, "Active filters", content.filters_text.strip() or "None — all cases are included.")


def _label_value(pdf: _ReportPDF, label: str, value: str) -> None:
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.cell(30, 5.2, label)
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.multi_cell(pdf.epw - 30, 5.2, pdf.clean(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


def build_report(content: ReportContent) -> bytes:
    """The PDF report as bytes.

    Raises:
        ReportError: the fonts are missing or a chart cannot be drawn.
    """
    register_fonts()  # before the threads start, so it runs once
    # Two threads: vl-convert draws charts in parallel, which matters on a two-core machine.
    items = [as_report_chart(item) for item in content.charts]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pngs = list(pool.map(render_chart_png, [item.chart for item in items]))
    charts = list(zip(items, pngs, strict=True))

    pdf = _ReportPDF(content)
    pdf.add_page()
    _header_block(pdf, content)

    _heading(pdf, "Headline figures")
    _table(pdf, content.headline)

    if charts:
        _charts(pdf, charts)

    if content.comparison is not None:
        _heading(pdf, "Comparison")
        _table(pdf, content.comparison, font_size=7.5)
        _bullets(pdf, content.comparison_notes)
        if content.comparison_methods:
            _subheading(pdf, "Method and covariates, outcome by outcome")
            _bullets(pdf, content.comparison_methods)
        if content.comparison_sentences:
            _subheading(pdf, "In words, outcome by outcome")
            _bullets(pdf, content.comparison_sentences)

    if content.method_notes:
        _heading(pdf, "How the figures were worked out")
        _bullets(pdf, content.method_notes)

    if content.sources:
        _heading(pdf, "Sources")
        _bullets(pdf, content.sources, numbered=True)

    _heading(pdf, "About this report", keep_with=15)
    pdf.set_font(FONT_FAMILY, "", 9.5)
    about = pdf.clean(content.disclaimer)
    if content.is_synthetic:
        about += " The data are synthetic demonstration data: they describe no real patients."
    pdf.multi_cell(0, 4.8, about, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Switched on for the output pass so the last footer's "{nb}" gets the page total.
    pdf.str_alias_nb_pages = _PAGE_ALIAS
    return bytes(pdf.output())
