"""The Data page's template download: a region choice gives that region's template and data dictionary."""

from __future__ import annotations

from tests.pages.apptest import all_text, run_page


def test_template_region_choice_gives_the_cervical_template_and_dictionary():
    at = run_page("pages/data.py")
    assert not at.exception
    assert at.session_state["template_region"] == "lumbar"
    labels = [el.proto.label for el in at.get("download_button")]
    assert "Download the template (CSV)" in labels and "Download the data dictionary (CSV)" in labels
    assert "nrs_leg_" in all_text(at)  # the note says what to write instead of VAS
    dictionary = at.dataframe[1].value
    assert "odi_24m" in set(dictionary["column"]) and "ndi_pre" not in set(dictionary["column"])

    at.session_state["template_region"] = "cervical"
    at.run()
    assert not at.exception
    assert "nrs_neck_" in all_text(at) and "ems_" in all_text(at)
    dictionary = at.dataframe[1].value
    columns = set(dictionary["column"])
    assert {"ndi_pre", "ndi_24m", "vas_arm_12m", "mjoa_pre"} <= columns and "odi_pre" not in columns
