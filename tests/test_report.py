"""The PDF summary report (spinedash.report), read back with pypdf."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from dataclasses import replace

import altair as alt
import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from spinedash import report, vegalite
from spinedash.report import SYNTHETIC_BANNER, ReportContent, ReportError, build_report

APPROACHES = ["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"]


STAY = pd.DataFrame({"approach": APPROACHES, "q1": [4, 8, 20, 50], "median": [6, 12, 28, 74], "q3": [10, 22, 44, 98]})


def _vas_frame() -> pd.DataFrame:
    rows = [
        {"approach": a, "weeks": w, "vas": 7.4 - d * (1 - 0.5 ** (w / 6))}
        for a, d in zip(APPROACHES, [5.6, 5.3, 5.2, 4.9], strict=True)
        for w in (0, 2, 6, 13, 26, 52)
    ]
    return pd.DataFrame(rows)


def _km_frame() -> pd.DataFrame:
    days = np.arange(0, 366, 30)
    return pd.concat(
        [
            pd.DataFrame({"approach": a, "day": days, "free": np.exp(-days / s)})
            for a, s in zip(APPROACHES, [3000, 2600, 2200, 1500], strict=True)
        ]
    )


CASES = pd.DataFrame({"approach": APPROACHES, "n": [812, 400, 950, 700]})

# The same four charts twice: Altair objects (still accepted) and Vega-Lite dicts (what the app's charts are).


def _stay_chart() -> alt.LayerChart:
    base = alt.Chart(STAY).encode(y=alt.Y("approach:N", title="Approach"))
    return alt.layer(
        base.mark_bar(size=14).encode(x=alt.X("q1:Q", title="Hospital stay (hours)"), x2="q3:Q"),
        base.mark_tick(color="black", size=14).encode(x="median:Q"),
    ).properties(height=160)


def _vas_chart() -> alt.Chart:
    return (
        alt.Chart(_vas_frame())
        .mark_line(point=True)
        .encode(
            x=alt.X("weeks:Q", title="Weeks after surgery"),
            y=alt.Y("vas:Q", title="VAS leg pain (0–10)"),
            color="approach:N",
        )
    )


def _km_chart() -> alt.Chart:
    return (
        alt.Chart(_km_frame())
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("day:Q", title="Days after surgery"),
            y=alt.Y("free:Q", title="Free of reoperation"),
            color="approach:N",
        )
    )


def _bar_chart() -> alt.Chart:
    return (
        alt.Chart(CASES)
        .mark_bar()
        .encode(x=alt.X("approach:N", title="Approach"), y=alt.Y("n:Q", title="Cases (n)"))
    )


def _stay_spec() -> vegalite.Spec:
    y = vegalite.channel("approach:N", title="Approach")
    x = vegalite.channel("q1:Q", title="Hospital stay (hours)")
    box = vegalite.encoding(y=y, x=x, x2={"field": "q3"})  # Vega-Lite's x2 takes no type
    median = vegalite.encoding(y=y, x=vegalite.channel("median:Q"))
    return vegalite.layer_chart(
        [
            vegalite.mark_layer("bar", "shown", box, size=14),
            vegalite.mark_layer("tick", "shown", median, color="black", size=14),
        ],
        {"shown": vegalite.records(STAY)},
        height=160,
    )


def _line_spec(frame: pd.DataFrame, x: vegalite.Spec, y: vegalite.Spec, **mark: object) -> vegalite.Spec:
    enc = vegalite.encoding(x=x, y=y, color=vegalite.channel("approach:N"))
    return vegalite.single_chart("shown", vegalite.records(frame), {"type": "line", **mark}, enc)


def _vas_spec() -> vegalite.Spec:
    x = vegalite.channel("weeks:Q", title="Weeks after surgery")
    return _line_spec(_vas_frame(), x, vegalite.channel("vas:Q", title="VAS leg pain (0–10)"), point=True)


def _km_spec() -> vegalite.Spec:
    x = vegalite.channel("day:Q", title="Days after surgery")
    return _line_spec(_km_frame(), x, vegalite.channel("free:Q", title="Free of reoperation"), interpolate="step-after")


def _bar_spec() -> vegalite.Spec:
    x = vegalite.channel("approach:N", title="Approach")
    enc = vegalite.encoding(x=x, y=vegalite.channel("n:Q", title="Cases (n)"))
    return vegalite.single_chart("shown", vegalite.records(CASES), {"type": "bar"}, enc)


CHART_TITLES = [
    "Hospital stay by approach",
    "VAS leg pain over follow-up",
    "Free of reoperation (Kaplan–Meier)",
    "Cases by approach",
]
CHARTS = {
    "dict": lambda: [_stay_spec(), _vas_spec(), _km_spec(), _bar_spec()],
    "altair": lambda: [_stay_chart(), _vas_chart(), _km_chart(), _bar_chart()],
}


HEADLINE = pd.DataFrame(
    {
        "figure": ["Median stay", "VAS leg improvement at 12 months", "Complications"],
        "value": ["6 h", "−5.6 points", "3.1 %"],
        "n": [812, 790, 2862],
        "comparison": ["Open: 74 h", "Open: −4.9 points", "Open: 6.8 %"],
    }
)
COMPARISON = pd.DataFrame(
    {
        "outcome": ["Hospital stay (h)", "VAS leg at 12 months (0–10)"],
        "Full-endoscopic": ["6 (4–10)", "1.8 ± 1.9"],
        "Open": ["74 (50–98)", "2.5 ± 2.1"],
        "difference (95% CI)": ["−68 h (−71 to −64)", "−0.7 (−0.9 to −0.5)"],
        "p": ["< 0.001", "< 0.001"],
        "sentence": [
            "Patients operated full-endoscopically went home a median 68 hours sooner than after open surgery.",
            "Leg pain at 12 months was 0.7 points lower after full-endoscopic surgery, below the ≥ 1.5 point change patients notice.",
        ],
    }
)


def _content(**changes) -> ReportContent:
    content = ReportContent(
        title="Herniated disc: full-endoscopic versus open – 2022–2024",
        generated_on=dt.date(2025, 1, 31),
        data_source="Sample cohort (sample_cohort.csv)",
        is_synthetic=True,
        filters_text="Condition: Herniated disc · Site: Zürich · Surgeon: Søren Ødegaard · Age ≥ 18 years",
        headline=HEADLINE,
        charts=list(zip(CHART_TITLES, CHARTS["dict"](), strict=True)),
        comparison=COMPARISON,
        method_notes=["Medians with interquartile ranges because stays are skewed."],
        sources=["Gadjradj PS et al. BMJ 2022;376:e065846."],
    )
    return replace(content, **changes)


def _read(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() or "" for page in reader.pages]


def _flat(texts: list[str]) -> str:
    """All pages' text with line breaks and runs of spaces collapsed, so wrapped sentences match."""
    return " ".join(" ".join(texts).split())


@pytest.fixture(scope="module", params=["dict", "altair"])
def synthetic_pdf(request) -> bytes:
    return build_report(_content(charts=list(zip(CHART_TITLES, CHARTS[request.param](), strict=True))))


def test_report_is_a_multi_page_pdf_with_header_block(synthetic_pdf):
    assert synthetic_pdf.startswith(b"%PDF-")
    reader, texts = _read(synthetic_pdf)
    assert len(reader.pages) >= 2
    first = " ".join(texts[0].split())
    assert "Herniated disc: full-endoscopic versus open – 2022–2024" in first
    assert "Sample cohort (sample_cohort.csv)" in first
    assert "31 January 2025" in first
    assert "Condition: Herniated disc · Site: Zürich · Surgeon: Søren Ødegaard · Age ≥ 18 years" in first
    assert reader.metadata.title == "Herniated disc: full-endoscopic versus open – 2022–2024"


def test_synthetic_banner_is_on_page_one_and_synthetic_in_every_footer(synthetic_pdf):
    _, texts = _read(synthetic_pdf)
    assert SYNTHETIC_BANNER in " ".join(texts[0].split())
    for text in texts:
        assert "SYNTHETIC DEMONSTRATION DATA" in text


def test_real_data_report_has_no_synthetic_wording():
    _, texts = _read(build_report(_content(is_synthetic=False, charts=[])))
    assert "SYNTHETIC" not in _flat(texts).upper()
    assert "synthetic" not in _flat(texts).lower()


def test_headline_comparison_notes_and_sources_are_printed(synthetic_pdf):
    _, texts = _read(synthetic_pdf)
    flat = _flat(texts)
    for figure in HEADLINE["figure"]:
        assert figure in flat
    assert "Open: −4.9 points" in flat
    assert "2,862" in flat  # integers with a thousands separator
    for sentence in COMPARISON["sentence"]:
        assert sentence in flat
    assert "−68 h (−71 to −64)" in flat
    assert "Medians with interquartile ranges because stays are skewed." in flat
    assert "Gadjradj PS et al. BMJ 2022;376:e065846." in flat
    assert "not medical advice" in flat


def test_every_page_has_page_x_of_y(synthetic_pdf):
    reader, texts = _read(synthetic_pdf)
    total = len(reader.pages)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text
        assert "supports review of outcomes" in text


def test_non_ascii_text_extracts_as_written(synthetic_pdf):
    flat = _flat(_read(synthetic_pdf)[1])
    for word in ("Zürich", "Søren Ødegaard", "≥ 18", "1.8 ± 1.9", "2022–2024", "Kaplan–Meier", "(0–10)"):
        assert word in flat


def _placed_images(page) -> list[tuple[float, float]]:
    """(width, height) in points of each image drawn on the page, from the content stream's
    `w 0 0 h x y cm /I Do` operators that fpdf2 writes."""
    content = page.get_contents().get_data().decode("latin-1")
    return [(float(w), float(h)) for w, h in re.findall(r"([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm /I\d+ Do", content)]


def test_charts_are_placed_at_most_two_a_page_with_their_aspect_ratio(synthetic_pdf):
    reader, texts = _read(synthetic_pdf)
    placed = [_placed_images(page) for page in reader.pages]
    assert sum(len(p) for p in placed) == 4
    assert max(len(p) for p in placed) <= 2
    pixel_sizes = [(img.image.width, img.image.height) for page in reader.pages for img in page.images]
    assert len(pixel_sizes) == 4
    for (w, h), (px_w, px_h) in zip([box for p in placed for box in p], pixel_sizes, strict=True):
        assert w / h == pytest.approx(px_w / px_h, rel=0.01)
        assert w <= 595.28 - 2 * report.MARGIN * 72 / 25.4 + 0.5  # within the text width
        assert w >= 300  # not a thumbnail: at least ~105 mm wide
    flat = _flat(texts)
    for title in CHART_TITLES:
        assert title in flat


def test_uploaded_text_is_printed_never_interpreted():
    content = _content(
        charts=[],
        filters_text="Surgeon: **Dr {nb}** <b>bold</b> \x07bell",
        headline=pd.DataFrame(
            {
                "figure": ["Cases of Dr {nb}", '=HYPERLINK("x")'],
                "value": ["1", "2"],
                "n": [1, 2],
                "comparison": ["", "漢字"],
            }
        ),
    )
    reader, texts = _read(build_report(content))
    flat = _flat(texts)
    assert "Surgeon: **Dr {nb}** <b>bold</b> bell" in flat
    assert "Cases of Dr {nb}" in flat
    assert '=HYPERLINK("x")' in flat
    assert "??" in flat  # glyphs DejaVu Sans lacks print as '?' instead of vanishing
    assert f"Page 1 of {len(reader.pages)}" in texts[0]


def test_optional_sections_are_left_out_and_empty_headline_is_said_plainly():
    _, texts = _read(
        build_report(_content(charts=[], comparison=None, method_notes=[], sources=[], headline=HEADLINE.iloc[0:0]))
    )
    flat = _flat(texts)
    assert "Comparison" not in flat
    assert "How the figures were worked out" not in flat
    assert "Sources" not in flat
    assert "No figures for the current selection." in flat


def test_empty_filters_say_all_cases():
    _, texts = _read(build_report(_content(charts=[], filters_text="  ")))
    assert "None — all cases are included." in _flat(texts)


def test_short_columns_stay_on_one_line_and_widths_fill_the_page():
    pdf = report._ReportPDF(_content())
    pdf.add_page()
    headers = ["Outcome", "Full-endoscopic", "Open", "Difference (95% CI)", "p", "In words"]
    rows = [[pdf.clean(report._format_cell(v)) for v in r] for r in COMPARISON.itertuples(index=False, name=None)]
    widths = report._col_widths(pdf, headers, rows, pdf.epw, 8.5)
    assert sum(widths) == pytest.approx(pdf.epw)
    pdf.set_font(report.FONT_FAMILY, "", 8.5)
    assert widths[4] >= pdf.get_string_width("< 0.001")  # p never breaks
    assert widths[5] == max(widths)  # the sentence gets the most room


def test_missing_fonts_raise_a_readable_error(monkeypatch, tmp_path):
    monkeypatch.setattr(report, "FONT_DIR", tmp_path / "none")
    monkeypatch.setattr(report, "DEBIAN_FONT_DIR", tmp_path / "neither")
    with pytest.raises(ReportError, match="DejaVu Sans"):
        build_report(_content(charts=[]))


# --------------------------------------------------------------------------------------------------
# Charts as drawn for print
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [_stay_spec, _bar_spec, _stay_chart, _bar_chart])
def test_single_and_layered_views_are_widened_with_print_sizes(build):
    chart = build()
    before = copy.deepcopy(chart) if isinstance(chart, dict) else None
    drawn = vegalite.validate(report._report_chart(chart))
    assert drawn["width"] == report.REPORT_CHART_WIDTH_PX
    assert drawn["config"]["font"] == report.CHART_FONT
    for part in ("axis", "legend"):
        assert {k: drawn["config"][part][k] for k in ("labelFontSize", "titleFontSize")} == {"labelFontSize": 11, "titleFontSize": 12}
    if before is not None:
        assert chart == before, "the chart given is left as it was"


def test_a_charts_own_config_wins_and_concats_keep_their_widths():
    spec = {**_bar_spec(), "config": {"font": "Arial", "axis": {"labelFontSize": 14}}}
    drawn = report._report_chart(spec)
    assert drawn["config"]["font"] == "Arial"
    assert drawn["config"]["axis"] == {"labelFontSize": 14, "titleFontSize": 12}
    bar = _bar_spec()
    datasets = bar.pop("datasets")
    for key in ("$schema", "autosize", "config"):  # top-level only
        bar.pop(key)
    bar["width"] = 200
    concat = {"$schema": vegalite.SCHEMA_URL, "hconcat": [bar, bar], "datasets": datasets}
    drawn = vegalite.validate(report._report_chart(concat))
    assert "width" not in drawn and [c["width"] for c in drawn["hconcat"]] == [200, 200]
