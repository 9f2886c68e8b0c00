"""The small cervical file (tests/data/cervical_clinic.csv) on the pages that list its measures: NDI and arm pain
show, lumbar scores (VAS leg, ODI) and their lumbar MCID figures do not. The sample cohort stays lumbar (no
cervical parameter can be cited), so this file is how every page is exercised on cervical data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pages.apptest import all_text, chart_specs, rendered, run_page

CERVICAL = Path(__file__).resolve().parents[1] / "data" / "cervical_clinic.csv"


@pytest.fixture(scope="module")
def dataset():
    from spinedash.dataset import Dataset, without_blank_columns
    from spinedash.ingest import load_outcomes

    cases = load_outcomes(CERVICAL.read_bytes()).cases
    return Dataset(without_blank_columns(cases), "cervical_clinic.csv", is_synthetic=False, content_key="cervical")


def _everything_shown(at) -> str:
    tables = [t.value.to_string() for t in (*at.table, *at.dataframe)]
    options = [" ".join(map(str, w.options)) for w in (*at.selectbox, *at.get("button_group"), *at.radio)
               if hasattr(w, "options")]
    return "\n".join([all_text(at), *tables, *options, json.dumps(chart_specs(at))])


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/compare.py", "pages/pain.py"])
def test_cervical_measures_show_and_lumbar_scores_do_not(dataset, page):
    at = run_page(page, session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    shown = _everything_shown(at)
    assert "NDI" in shown and "VAS arm" in shown
    assert "VAS leg" not in shown and "ODI" not in shown


def test_procedures_page_runs_on_the_cervical_file(dataset):
    at = run_page("pages/procedures.py", session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    assert "cervical_clinic.csv — 40 cases" in rendered(all_text(at))


def test_compare_on_the_small_file_has_a_short_adjustment_heading_and_the_full_list_below_it(dataset):
    """40 cases: the 10-per-term rule leaves age, sex and level out of the scores' models. The bold heading
    stays short; the caption under it names every covariate, what was left out and why."""
    at = run_page("pages/compare.py", session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    bold = [rendered(m.value) for m in at.markdown if m.value.startswith("**Adjusted for")]
    assert bold == ["**Adjusted for the score before surgery, condition and 2 more; some left out: too few cases**"]
    captions = rendered(" ".join(c.value for c in at.caption))
    assert "Adjusted for condition, age and sex in Length of stay; for the score before surgery and condition in" in captions
    assert "Left out, too few cases for more terms (about 10 cases per model term, Peduzzi 1996)" in captions
    assert "age, sex and level from VAS neck pain at 12 months" in captions
