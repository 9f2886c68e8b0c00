"""Overview, Compare and Benchmarking follow the catalogue's headline measures for the region in view,
and split (or, for the funnel, filter) by technique.

A cervical file shows arm pain and NDI and no VAS leg, ODI or lumbar published figure; a file holding
only COMI or EQ-5D leads with it; the lumbar sample keeps VAS leg.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.pages.apptest import all_text, chart_specs, rendered, run_page

CERVICAL = Path(__file__).resolve().parents[1] / "data" / "cervical_clinic.csv"
LUMBAR_WORDS = ("VAS leg", "ODI", "Oswestry", "Literature:", "Gadjradj", "Swespine")


@pytest.fixture(scope="module")
def cervical():
    """The 40-case cervical clinic file, with four surgeons added so the funnel has units."""
    from spinedash.dataset import Dataset, without_blank_columns
    from spinedash.ingest import load_outcomes

    cases = without_blank_columns(load_outcomes(CERVICAL.read_bytes()).cases)
    cases = cases.assign(surgeon=np.array(["Surgeon A", "Surgeon B", "Surgeon C", "Surgeon D"] * 10)[: len(cases)])
    return Dataset(cases, "cervical_clinic.csv", is_synthetic=False, content_key="cervical-surgeons")


def _only(dataset, keep: str, name: str):
    """The same cases holding one measure only (its columns before surgery and at 12 months)."""
    from spinedash.dataset import Dataset
    from spinedash.schema import parse_outcome_column

    drop = [c for c in dataset.cases.columns if (p := parse_outcome_column(c)) and p[0] != keep]
    return Dataset(dataset.cases.drop(columns=drop), name, is_synthetic=False, content_key=name)


def _comi_lumbar():
    """The sample's first 400 lumbar cases with COMI back instead of VAS and ODI (COMI from the ODI, /10)."""
    from spinedash.dataset import Dataset
    from spinedash.sample import load_sample

    cases = load_sample().head(400).copy()
    cases["comi_back_pre"] = (cases["odi_pre"] / 10).round(1)
    cases["comi_back_12m"] = (cases["odi_12m"] / 10).round(1)
    drop = [c for c in cases.columns if c.startswith(("vas_", "odi_"))]
    return Dataset(cases.drop(columns=drop), "comi.csv", is_synthetic=False, content_key="comi-only")


def _text(at) -> str:
    metrics = " ".join(f"{m.label} {m.value}" for m in at.metric)
    tables = " ".join(t.value.to_string() for t in at.table)
    return all_text(at) + " " + metrics + " " + tables + " " + json.dumps(chart_specs(at))


def _no_lumbar(at) -> None:
    text = _text(at)
    assert not [w for w in LUMBAR_WORDS if w in text]


def test_overview_cervical_cards_lead_with_arm_pain(cervical):
    at = run_page("pages/overview.py", session={"data_source_dataset": cervical})
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "VAS arm change at 12 months" in labels  # no published MCID: the mean change
    assert "mJOA MCID reached at 12 months" in labels  # the first cervical score with one
    arm = next(m for m in at.metric if m.label == "VAS arm change at 12 months")
    assert arm.value.startswith("−") and arm.value.endswith("points")
    assert any("mJOA MCID reached" in s["title"]["text"] if isinstance(s.get("title"), dict) else False for s in chart_specs(at))
    _no_lumbar(at)


def test_overview_lumbar_sample_keeps_vas_leg():
    at = run_page("pages/overview.py")
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "VAS leg MCID reached at 12 months" in labels and not any("change at 12 months" in m for m in labels)


@pytest.mark.parametrize(("keep", "label"), [("eq5d", "EQ-5D MCID reached at 12 months"), ("comi_back", "COMI back MCID reached at 12 months")])
def test_overview_of_a_file_with_only_comi_or_eq5d(cervical, keep, label):
    dataset = _comi_lumbar() if keep == "comi_back" else _only(cervical, "eq5d", "eq5d.csv")
    at = run_page("pages/overview.py", session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    assert label in [m.label for m in at.metric]
    text = _text(at)
    assert "VAS leg" not in text and "VAS arm" not in text


def test_compare_cervical_rows_are_ndi_and_arm_pain(cervical):
    at = run_page("pages/compare.py", session={"data_source_dataset": cervical})
    assert not at.exception, at.exception
    outcomes = [rendered(o) for o in at.table[0].value.index]
    assert any(o.startswith("NDI") for o in outcomes) and any(o.startswith("VAS arm") for o in outcomes)
    assert "mJOA score: reached MCID at 12 months" in outcomes
    assert "mJOA 2 points" in all_text(at)  # the MCID note names the row's own threshold and source
    _no_lumbar(at)


def test_compare_technique_against_technique(cervical):
    at = run_page("pages/compare.py", session={"data_source_dataset": cervical}, query_params={"split_by": "Technique"})
    assert not at.exception, at.exception
    assert at.radio(key="compare_mode").value == "Technique vs technique"  # split by technique: opens on it
    headers = [h.value for h in at.header]
    assert any("(A) and" in h and "(B)" in h for h in headers)
    techniques = {"Loupes", "Microscope"} & set(at.selectbox(key="compare_a").options)
    assert techniques
    _no_lumbar(at)


def test_compare_lumbar_sample_offers_techniques_and_keeps_vas_leg():
    at = run_page("pages/compare.py", query_params={"compare_mode": "Technique vs technique"})
    assert not at.exception
    assert "Technique vs technique" in at.radio(key="compare_mode").options
    assert at.radio(key="compare_mode").value == "Technique vs technique"
    assert "VAS leg pain: reached MCID at 12 months" in [rendered(o) for o in at.table[0].value.index]
    default = run_page("pages/compare.py")
    assert default.radio(key="compare_mode").value == "Approach vs approach"  # split by approach: as before


def test_benchmarking_cervical_defaults_to_arm_pain(cervical):
    at = run_page("pages/benchmarking.py", session={"data_source_dataset": cervical}, query_params={"filter_condition": []})
    assert not at.exception, at.exception
    measure = at.selectbox(key="funnel_measure")
    assert measure.value == "vas_arm_12m"
    assert not any("VAS leg" in o or "ODI" in o for o in measure.options)  # the options as the user reads them
    assert "NDI disability (0–100) at 12 months, mean" in measure.options
    _no_lumbar(at)


def test_benchmarking_technique_is_a_filter(cervical):
    at = run_page("pages/benchmarking.py", session={"data_source_dataset": cervical},
                  query_params={"split_by": "Technique", "funnel_technique": "Microscope"})
    assert not at.exception, at.exception
    assert at.selectbox(key="funnel_technique").value == "Microscope"
    assert "not split by technique" in all_text(at)
    everything = run_page("pages/benchmarking.py", session={"data_source_dataset": cervical})
    n = len(everything.table[0].value) if everything.table else 0
    assert n == 4  # four surgeons, all techniques
    # The funnel of one technique counts only its cases (14 of the file's 40), and says so.
    assert "Showing 14 of 40 cases · Technique: Microscope" in rendered(all_text(at))


def test_benchmarking_lumbar_sample_keeps_vas_leg_first():
    at = run_page("pages/benchmarking.py")
    assert not at.exception
    assert at.selectbox(key="funnel_measure").value == "mcid_vas_leg_12m"


def test_overview_charts_split_by_technique():
    at = run_page("pages/overview.py", query_params={"split_by": "Technique"})
    assert not at.exception, at.exception
    specs = json.dumps(chart_specs(at))
    assert "Operations per quarter by technique" in specs
    assert '"title": "Technique"' in specs and "Microendoscopic (MED)" in specs and "Loupes" in specs
    assert "split by technique" in all_text(at)
    by_approach = json.dumps(chart_specs(run_page("pages/overview.py")))
    assert "Operations per quarter by approach" in by_approach and "Microendoscopic (MED)" not in by_approach


def test_overview_of_a_file_with_only_ndi_shows_its_change_and_says_why_no_mcid_panel(cervical):
    at = run_page("pages/overview.py", session={"data_source_dataset": _only(cervical, "ndi", "ndi.csv")})
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "NDI change at 12 months" in labels and not any("MCID reached" in m for m in labels)
    assert "no score in this view has a published MCID" in all_text(at)
    _no_lumbar(at)
