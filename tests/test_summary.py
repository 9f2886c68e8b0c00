"""The PDF summary's content, and the PDF it becomes (read back with pypdf)."""

import io
import re

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from spinedash import analysis, vegalite
from spinedash.dataset import Dataset
from spinedash.filters import Filters, apply_filters
from spinedash.report import build_report
from spinedash.sample import load_sample
from spinedash.summary import REPORT_TITLE, headline_for_report, report_charts, summary_content


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample()


def test_headline_table_has_figure_value_n_comparison(sample):
    table = headline_for_report(sample, min_cell=5)
    assert list(table.columns) == ["figure", "value", "n", "comparison"]
    cases = table.set_index("figure").loc["Cases"]
    assert cases["value"] == "2,500" and cases["n"] == "2,500"
    assert table["comparison"].str.contains("open surgery").any()


def test_charts_left_out_when_their_columns_are_absent(sample):
    no_work = sample.drop(columns=["return_to_work_days"])
    titles = [item.title for item in report_charts(no_work, 5, ["All cases"])]
    assert "Return to work (employed before surgery)" not in titles
    assert "Hospital stay by approach" in titles
    for item in report_charts(sample, 5, ["All cases"]):
        vegalite.validate(item.chart)
        assert "title" not in item.chart, "the report prints its own heading"


def test_report_charts_keep_their_notes_words_and_the_number_at_risk(sample):
    items = {item.title: item for item in report_charts(sample, 5, ["All cases"])}
    stay = items["Hospital stay by approach"]
    assert any(note.startswith("Box: middle half of cases") for note in stay.notes)
    assert stay.alt_text.startswith("Hospital stay by approach.") and "n = " in stay.alt_text
    work = items["Return to work (employed before surgery)"]
    assert work.table is not None and list(work.table.columns)[:2] == ["Approach", "Day 0"]
    assert "at risk" in work.table_title


def test_pdf_prints_chart_notes_and_at_risk_table_and_tags_figures_for_screen_readers(sample):
    dataset = Dataset(sample, "Sample cohort", is_synthetic=True, content_key="sample")
    content = summary_content(dataset, sample, Filters(), 5)
    reader = PdfReader(io.BytesIO(build_report(content)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Box: middle half of cases" in text
    assert "Number still not returned (at risk)" in text
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en" and root["/MarkInfo"]["/Marked"]
    figures = []

    def walk(node):
        node = node.get_object()
        if node.get("/S") == "/Figure":
            figures.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(root["/StructTreeRoot"])
    assert len(figures) == len(content.charts)
    assert any(alt.startswith("Hospital stay by approach.") for alt in figures)


def test_pdf_carries_synthetic_banner_filters_comparison_and_sources(sample):
    filters = Filters(conditions=("Herniated disc",))
    cases = apply_filters(sample, filters)
    in_a = (cases["approach"] == "Open").to_numpy()
    in_b = (cases["approach"] == "Full-endoscopic").to_numpy()
    table = analysis.compare_groups(cases, in_a, in_b, "Open", "Full-endoscopic")
    dataset = Dataset(sample, "Sample cohort", is_synthetic=True, content_key="sample")
    content = summary_content(dataset, cases, filters, 5, ("Open", "Full-endoscopic", table))
    assert content.comparison is not None and len(content.comparison) == len(table)
    pdf = build_report(content)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 3
    assert REPORT_TITLE in text
    assert "SYNTHETIC DEMONSTRATION DATA" in text
    assert "Condition: Herniated disc" in text
    assert "Median stay was" in text, "the comparison's plain sentences are printed"
    assert "Parai" in text and "Microscopic Spine Surgery" in text
    assert "not medical advice" in text.lower()


def test_uploaded_data_is_not_called_synthetic(sample):
    rows = sample.head(200).copy()
    rows["surgeon"] = np.where(np.arange(200) % 2, "Dr Søren", "Dr =cmd")
    dataset = Dataset(rows, "clinic.csv", is_synthetic=False, filename="clinic.csv", content_key="x")
    pdf = build_report(summary_content(dataset, rows, Filters(), 5))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "synthetic" not in text.lower()
    assert "clinic.csv" in text


def test_pdf_comparison_table_matches_the_page_and_says_what_it_adjusted_for(sample):
    from spinedash import comparison

    for adjust, how in (("regression", "regression on the case mix"), ("weighting", "inverse-probability weights")):
        pair, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, adjust)
        dataset = Dataset(sample, "Sample cohort", is_synthetic=True, content_key="sample")
        content = summary_content(dataset, sample, Filters(), 5, ("Open", "Full-endoscopic", table))
        assert list(content.comparison.columns) == comparison.tidy_columns("Open", "Full-endoscopic")
        reader = PdfReader(io.BytesIO(build_report(content)))
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        # Table headers wrap inside their cells, so they are looked for word by word in order.
        for header in ("Holm p", "Adjusted p", "Adjusted Holm p", "Difference B − A (95% CI)", "Adjusted estimate (95% CI)"):
            assert re.search(r"\s+".join(map(re.escape, header.split())), text), header
        # The same words as the page: what was adjusted for, how, and the 1 − 0.95^m sentence.
        note = comparison.adjustment_note(table, adjust)
        assert note.startswith("Adjusted for ") and how in note
        for sentence in (note, comparison.multiple_testing_note(table)):
            assert " ".join(sentence.split()) in text
        assert "about 0.37 (1 − 0.95^9" in text
        # Raw and adjusted estimates with their CIs, as the page prints them.
        shown = content.comparison.set_index("Outcome")
        assert shown.loc["Return to work, days", "Adjusted estimate (95% CI)"].startswith("HR ")
        for cell in (shown.loc["ODI at 12 months, points (0–100)", "Adjusted estimate (95% CI)"],
                     shown.loc["Length of stay, hours", "Difference B − A (95% CI)"]):
            assert " ".join(cell.split()) in text or cell.split(" (")[0] in text
        # Each outcome's method and covariates, named.
        lines = comparison.method_lines(table)
        assert len(lines) == len(table) and all(" ".join(line.split()) in text for line in lines)
        assert "Return to work: Kaplan–Meier medians" in text and "hazard ratio from a Cox model" in text
