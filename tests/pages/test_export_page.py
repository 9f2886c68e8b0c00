"""AppTest for the Report and export page and the Benchmarking page."""

from tests.pages.apptest import all_text, run_page


def test_export_page_offers_csv_xlsx_and_builds_the_report_on_click():
    at = run_page("pages/export.py")
    assert not at.exception, at.exception
    keys = [b.key for b in at.get("download_button")]
    assert "export_csv" in keys and "export_xlsx" in keys
    assert "report_download" not in keys, "the PDF is built on click, not on every rerun"
    at.button(key="report_prepare").click().run()
    assert not at.exception, at.exception
    assert "report_download" in [b.key for b in at.get("download_button")]
    assert "synthetic demonstration data" in all_text(at)


def test_report_includes_comparison_only_for_the_same_filters():
    at = run_page("pages/compare.py", query_params={"compare_a": "Open", "compare_b": "Full-endoscopic"})
    at.switch_page("pages/export.py").run()
    assert "Comparison included: Open vs Full-endoscopic" in all_text(at)
    at.multiselect(key="filter_approach").set_value(["Open", "Microscopic"]).run()
    assert "No comparison included" in all_text(at)


def test_benchmarking_page_draws_a_funnel_and_lists_units_by_name():
    at = run_page("pages/benchmarking.py")
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1
    table = at.table[0].value
    assert list(table.index) == sorted(table.index)
    assert "Spiegelhalter" in all_text(at)


def test_benchmarking_by_site():
    at = run_page("pages/benchmarking.py", query_params={"funnel_by": "Site"})
    assert not at.exception, at.exception
    assert set(at.table[0].value.index) == {"North", "South"}
