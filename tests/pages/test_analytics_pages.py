"""AppTest for the analytics pages: they run, honour filters set by key and by URL, and stay honest."""

import pytest

from tests.pages.apptest import all_text, rendered, run_page

ANALYTICS_PAGES = ["pages/recovery.py", "pages/pain.py", "pages/compare.py"]


@pytest.mark.parametrize("page", ANALYTICS_PAGES)
def test_page_runs_on_the_sample_and_says_it_is_synthetic(page):
    at = run_page(page)
    assert not at.exception, at.exception
    text = all_text(at)
    assert "synthetic demonstration data" in text
    assert "not medical advice" in text.lower()
    assert len(at.get("vega_lite_chart")) > 0 or page == "pages/compare.py"


def test_recovery_filters_from_the_url_narrow_every_chart():
    at = run_page("pages/recovery.py", query_params={"filter_approach": ["Open", "Microscopic"]})
    assert not at.exception
    assert at.multiselect(key="filter_approach").value == ["Open", "Microscopic"]
    tables = [t.value for t in at.table]
    stay_table = tables[0]
    assert list(stay_table.index) == ["Microscopic", "Open"], "only the filtered approaches appear"


def test_recovery_filter_set_by_key_changes_the_case_count():
    at = run_page("pages/recovery.py")
    before = all_text(at)
    at.multiselect(key="filter_approach").set_value(["Full-endoscopic"]).run()
    assert not at.exception
    after = all_text(at)
    assert "2,500 of 2,500 cases" in before
    assert "of 2,500 cases" in after and "2,500 of 2,500 cases" not in after
    assert list(at.table[0].value.index) == ["Full-endoscopic"]


def test_recovery_kaplan_meier_tables_show_median_days_and_number_at_risk():
    at = run_page("pages/recovery.py")
    headers = [list(t.value.columns) for t in at.table]
    assert any("Median days (95% CI)" in h for h in headers)
    assert any("Day 0" in h and "Day 365" in h for h in headers)


def test_small_cells_are_suppressed_not_zero():
    at = run_page("pages/recovery.py", query_params={"min_cell": "1000"})
    assert not at.exception
    stay = at.table[0].value
    assert stay["Median stay (hours)"].str.contains("suppressed").all()


def test_filter_that_empties_the_view_is_named():
    at = run_page(
        "pages/pain.py", query_params={"filter_surgeon": ["Surgeon A"], "filter_site": ["South"]}
    )
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "No cases match" in warnings
    assert "Site" in warnings, "names the filter that left nothing (Surgeon A operates only at North)"
    assert not at.get("vega_lite_chart")


def test_pain_mcid_threshold_is_adjustable_and_cited():
    at = run_page("pages/pain.py")
    assert at.number_input(key="mcid_vas_leg").value == pytest.approx(3.2)
    assert "Parai" in all_text(at)
    at.number_input(key="mcid_vas_leg").set_value(4.0).run()
    assert not at.exception
    mcid_table = at.table[-1].value
    assert mcid_table.shape[0] == 4


def test_compare_approaches_gives_a_sentence_per_outcome_and_causal_caution():
    at = run_page("pages/compare.py", query_params={"compare_a": "Microscopic", "compare_b": "Full-endoscopic"})
    assert not at.exception
    table = at.table[0].value
    assert "Length of stay, hours" in table.index
    assert "Holm p" in table.columns and "Adjusted estimate (95% CI)" in table.columns
    assert "not proof" in " ".join(w.value for w in at.warning)
    text = all_text(at)
    assert "Adjusted for condition, age, sex and level, and for the score before surgery in VAS leg pain at 12 months" in text
    assert "about 0.37 (1 − 0.95^9" in text  # nine outcomes tested
    assert len(at.get("vega_lite_chart")) == 1  # the forest plot
    assert {"compare_download", "compare_download_xlsx"} <= {b.key for b in at.get("download_button")}
    at.radio(key="compare_adjust").set_value("Inverse-probability weighting (propensity score)").run()
    assert not at.exception
    assert "Balance of the case mix" in all_text(at)


def test_compare_surgeon_against_the_rest():
    at = run_page("pages/compare.py", query_params={"compare_mode": "Surgeon vs the rest"})
    assert not at.exception
    assert "All other surgeons" in at.table[0].value.columns


def test_upload_without_stay_says_which_column_each_chart_needs():
    """An export with pain scores but no stay or return-to-work data: pages say so, nothing breaks."""
    from spinedash.dataset import Dataset, without_blank_columns
    from spinedash.sample import load_sample

    cases = load_sample().head(300)
    cases[["length_of_stay_hours", "return_to_work_days", "return_to_activities_days"]] = float("nan")
    dataset = Dataset(without_blank_columns(cases), "pain_only.csv", is_synthetic=False, content_key="pain-only")
    assert "length_of_stay_hours" not in dataset.cases.columns
    assert "case_id" in dataset.cases.columns
    for page in ANALYTICS_PAGES + ["pages/overview.py", "pages/export.py", "pages/benchmarking.py"]:
        at = run_page(page, session={"data_source_dataset": dataset})
        assert not at.exception, (page, at.exception)
        assert "synthetic demonstration data" not in all_text(at)
    at = run_page("pages/recovery.py", session={"data_source_dataset": dataset})
    infos = " ".join(i.value for i in at.info)
    assert 'needs column "length_of_stay_hours"' in infos
    assert 'needs column "return_to_work_days"' in infos
    assert len(at.get("vega_lite_chart")) == 2, "operation time and blood loss are still drawn"


def test_uploaded_data_never_reaches_the_shared_sample_caches(monkeypatch):
    """Only the public synthetic sample shares charts and aggregates across sessions; an upload's stay per session."""
    import spinedash.ui.page as page_module
    from spinedash.dataset import Dataset
    from spinedash.sample import load_sample

    charts, aggregates = [], []
    monkeypatch.setattr(page_module, "_shared_sample_chart", lambda key, make: charts.append(key) or make())
    monkeypatch.setattr(page_module, "_shared_sample_aggregate",
                        lambda key, fn, cases, args, kwargs: aggregates.append(key) or fn(cases, *args, **kwargs))  # fmt: skip
    upload = Dataset(load_sample().head(400), "clinic.csv", is_synthetic=False, content_key="clinic")
    for page in ("pages/recovery.py", "pages/pain.py", "pages/compare.py", "pages/overview.py"):
        at = run_page(page, session={"data_source_dataset": upload})
        assert not at.exception, at.exception
    assert charts == [] and aggregates == []
    run_page("pages/recovery.py")
    assert len(charts) == 6, "the sample's charts go through the shared cache"
    assert any("kaplan_meier" in key for key in aggregates), "and so do its aggregates"


def test_the_filters_in_view_are_named_under_the_title_not_in_each_chart():
    at = run_page("pages/recovery.py", query_params={"filter_approach": ["Open"]})
    assert not at.exception
    captions = [rendered(c.value) for c in at.caption]
    assert any(c.startswith("Showing ") and "of 2,500 cases · Approach: Open" in c for c in captions), captions
    # The charts keep only the data source: a spec that does not change with the filters lets the
    # browser swap the chart's data in place instead of rebuilding it.
    import json

    for el in at.get("vega_lite_chart"):
        subtitle = json.loads(el.proto.spec)["title"]["subtitle"]
        assert subtitle[0] == "Sample cohort — synthetic demonstration data"
        # Neither the filters nor the dataset's 2,500 cases, which would misstate this view's count.
        assert not any("Approach: Open" in line or "2,500" in line for line in subtitle)


def test_chart_specs_stay_the_same_when_only_the_filtered_rows_change():
    first = run_page("pages/recovery.py", query_params={"filter_age": ["30", "80"]})
    second = run_page("pages/recovery.py", query_params={"filter_age": ["40", "70"]})
    assert not first.exception and not second.exception
    specs = [[el.proto.spec for el in at.get("vega_lite_chart")] for at in (first, second)]
    datasets = [[el.proto.datasets[0].data.data for el in at.get("vega_lite_chart")] for at in (first, second)]
    assert specs[0] == specs[1], "same groups, same notes: only the data differ"
    assert datasets[0] != datasets[1]
