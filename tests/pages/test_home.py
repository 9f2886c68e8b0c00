"""AppTest for the home page."""

from tests.pages.apptest import all_text, run_page


def test_home_runs_and_says_not_medical_advice():
    at = run_page("pages/home.py")
    assert not at.exception
    text = all_text(at)
    assert "SpineDash" in text
    assert "not medical advice" in text.lower()
