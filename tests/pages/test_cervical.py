"""A small cervical clinic export (tests/data/cervical_clinic.csv) through the pages: its own measures, no lumbar figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pages.apptest import all_text, chart_specs, run_page

CERVICAL = Path(__file__).resolve().parents[1] / "data" / "cervical_clinic.csv"


@pytest.fixture(scope="module")
def dataset():
    from spinedash.dataset import Dataset, without_blank_columns
    from spinedash.ingest import load_outcomes

    cases = load_outcomes(CERVICAL.read_bytes()).cases
    return Dataset(without_blank_columns(cases), "cervical_clinic.csv", is_synthetic=False, content_key="cervical")


def _no_literature(at) -> None:
    specs = json.dumps(chart_specs(at))
    assert "Literature:" not in specs and "Gadjradj" not in specs and "Swespine" not in specs


def test_outcomes_page_lists_ndi_and_arm_pain_and_no_lumbar_figure(dataset):
    at = run_page("pages/pain.py", session={"data_source_dataset": dataset}, query_params={"filter_condition": ["Herniated disc"]})
    assert not at.exception
    text = all_text(at)
    assert "Patient-reported outcomes" in text
    overview = at.table[0].value
    assert {"NDI disability (0–100)", "VAS arm pain (0–10)", "VAS neck pain (0–10)", "EQ-5D index (−0.6–1)"} <= set(overview.index)
    assert not any("VAS leg" in m or "ODI" in m for m in overview.index)
    options = at.get("button_group")[0].proto.options if at.get("button_group") else []
    assert options, "a measure picker"
    assert at.session_state["pain_measure"] == "VAS arm"  # the catalogue's cervical headline score: no VAS leg here
    _no_literature(at)
    # Trajectory and change; no MCID chart: neck pain has no published default, the user sets one.
    assert len(chart_specs(at)) == 2
    at = run_page("pages/pain.py", session={"data_source_dataset": dataset}, query_params={"pain_measure": "NDI"})
    assert any(h.value.startswith("NDI disability (0–100)") for h in at.header)
    assert len(chart_specs(at)) == 2
    _no_literature(at)


def test_arm_pain_and_a_threshold_the_user_sets(dataset):
    at = run_page("pages/pain.py", session={"data_source_dataset": dataset}, query_params={"pain_measure": "VAS arm"})
    assert not at.exception
    assert any(h.value.startswith("VAS arm pain (0–10)") for h in at.header)
    assert "no published default MCID" in all_text(at)
    at.number_input(key="mcid_vas_arm").set_value(2.0).run()
    assert not at.exception
    assert at.table[-1].value.shape[0] == 2  # Open and Microscopic
    _no_literature(at)


def test_eq5d_change_reads_upwards(dataset):
    at = run_page("pages/pain.py", session={"data_source_dataset": dataset}, query_params={"pain_measure": "EQ-5D"})
    assert not at.exception
    specs = json.dumps(chart_specs(at))
    assert "above 0 = better" in specs
    assert at.number_input(key="mcid_eq5d").value == pytest.approx(0.10)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/recovery.py", "pages/compare.py", "pages/benchmarking.py", "pages/export.py"])
def test_every_page_runs_on_a_cervical_file_without_lumbar_figures(dataset, page):
    at = run_page(page, session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    _no_literature(at)


def test_a_mixed_file_is_shown_one_region_at_a_time(dataset):
    import pandas as pd

    from spinedash.dataset import Dataset
    from spinedash.sample import load_sample

    mixed = pd.concat([load_sample().head(300), dataset.cases], ignore_index=True)
    for c in ("region", "technique", "procedure", "spinal_level", "condition", "approach", "sex"):
        mixed[c] = mixed[c].astype("category")
    both = Dataset(mixed, "mixed.csv", is_synthetic=False, content_key="mixed")
    at = run_page("pages/pain.py", session={"data_source_dataset": both})
    assert not at.exception
    assert at.session_state["pro_region"] == "cervical"
    assert not any("VAS leg" in m for m in at.table[0].value.index)  # cervical first: no leg pain, no ODI
    at = run_page("pages/pain.py", session={"data_source_dataset": both}, query_params={"pro_region": "lumbar", "filter_condition": ["Herniated disc"]})
    assert not at.exception
    overview = at.table[0].value.index
    assert "VAS leg pain (0–10)" in overview and "NDI disability (0–100)" not in overview
    assert "Literature:" in json.dumps(chart_specs(at))  # one region, one condition: lumbar figures beside lumbar cases


@pytest.mark.parametrize("page", ["pages/recovery.py", "pages/pain.py"])
def test_charts_split_by_technique(dataset, page):
    at = run_page(page, session={"data_source_dataset": dataset}, query_params={"split_by": "Technique"})
    assert not at.exception
    specs = json.dumps(chart_specs(at))
    assert '"Technique"' in specs and "Loupes" in specs and "Microscope" in specs


def test_data_page_lists_the_catalogue_and_the_cervical_completeness(dataset):
    at = run_page("pages/data.py", session={"data_source_dataset": dataset})
    assert not at.exception
    measures = at.dataframe[-1].value
    assert {"ndi", "vas_arm", "mjoa", "eq5d", "satisfaction_score"} <= set(measures["measure"])
    completeness = at.table[-1].value if at.table else None
    assert completeness is not None and "NDI" in completeness.index and "VAS leg" not in completeness.index
