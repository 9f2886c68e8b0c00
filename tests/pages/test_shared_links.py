"""Shared links in AppTest: values the data lacks are named on the page, a reversed range is swapped."""

from tests.pages.apptest import all_text, rendered, run_page


def _link_note(at) -> str:
    return " ".join(rendered(i.value) for i in at.info if "link" in i.value)


def test_unknown_values_in_a_link_are_named_not_silently_dropped():
    at = run_page("pages/recovery.py", query_params={"filter_condition": ["Herniated disc", "Broken leg"], "filter_site": ["Atlantis"]})
    assert not at.exception
    assert at.multiselect(key="filter_condition").value == ["Herniated disc"]
    note = _link_note(at)
    assert "ignored" in note and "Condition “Broken leg”" in note and "Site “Atlantis”" in note
    assert "Showing 1,654 of 2,500 cases" in rendered(all_text(at))
    at.run()  # the note stays while the view is the link's
    assert "Broken leg" in _link_note(at)
    at.multiselect(key="filter_condition").set_value([]).run()  # and goes once the user changes a filter
    assert _link_note(at) == ""


def test_a_reversed_age_range_is_swapped_and_applied():
    at = run_page("pages/recovery.py", query_params={"filter_age": ["70", "40"]})
    assert not at.exception
    assert at.slider(key="filter_age").value == (40, 70)
    assert at.query_params["filter_age"] == ["40", "70"]
    assert "Age 40–70" in rendered(all_text(at))
    assert "70–40 ran high to low" in _link_note(at)


def test_a_reversed_date_range_is_swapped_and_applied():
    from datetime import date

    at = run_page("pages/overview.py", query_params={"filter_dates": ["2024-06-30", "2024-01-01"]})
    assert not at.exception
    assert at.date_input(key="filter_dates").value == (date(2024, 1, 1), date(2024, 6, 30))
    assert "ran backwards" in _link_note(at)


def test_a_plain_link_says_nothing_extra():
    at = run_page("pages/recovery.py", query_params={"filter_condition": ["Herniated disc"], "filter_age": ["40", "70"]})
    assert _link_note(at) == ""
