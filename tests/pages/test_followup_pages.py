"""Pages: follow-up views that say who is counted (issue 14, part B)."""

from __future__ import annotations

from tests.pages.apptest import all_text, chart_specs, run_page


def test_pain_page_offers_patients_with_every_time_point():
    at = run_page("pages/pain.py", query_params={"pain_patients": "Patients with every time point"})
    assert not at.exception
    text = all_text(at)
    assert "1,186 of 2,500 patients have a VAS leg pain (0–10) score at every time point" in text
    # Titles are wrapped into lines on screen (spinedash.vegalite.wrap_title): read them as one text.
    def title_text(spec: dict) -> str:
        text = spec.get("title", {}).get("text", "") if isinstance(spec.get("title"), dict) else spec.get("title", "")
        return " ".join(text) if isinstance(text, list) else str(text)

    trajectory = next(s for s in chart_specs(at) if "every time point" in title_text(s))
    assert any(layer["encoding"].get("text", {}).get("field") == "n_text" for layer in trajectory["layer"])  # n in the chart


def test_overview_completeness_counts_patients_due_from_the_export_date():
    at = run_page("pages/overview.py")
    assert not at.exception
    assert at.date_input(key="export_date_overview").value.isoformat() == "2026-06-30"
    assert "Patients not yet due are left out" in all_text(at)


def test_pain_page_counts_and_can_leave_out_patients_who_cannot_reach_the_mcid():
    at = run_page("pages/pain.py", query_params={"pain_measure": "VAS back"})
    assert not at.exception
    assert "can never count as responders" in all_text(at) and "included in the shares" in all_text(at)
    at.checkbox(key="mcid_exclude_vas_back").check().run()
    assert not at.exception
    assert "left out of the shares" in all_text(at)
