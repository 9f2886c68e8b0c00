"""The app starts with `streamlit run app.py` and the home page draws in Chromium."""

import pytest

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_home_page_draws(server, page, artifacts):
    page.goto(server["url"])
    wait_for_app(page)
    assert page.get_by_role("heading", name="SpineDash").first.is_visible()
    # The disclaimer is drawn last: wait for the script to reach it before reading the page's text
    # (CI once read the body while the Overview's charts were still being drawn).
    page.get_by_text("not medical advice").first.wait_for()
    assert "not medical advice" in page.inner_text("body").lower()
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)
