"""The app starts with `streamlit run app.py` and the home page draws in Chromium."""

import pytest

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_home_page_draws(server, page, artifacts):
    page.goto(server["url"])
    wait_for_app(page)
    assert page.get_by_role("heading", name="SpineDash").first.is_visible()
    assert "not medical advice" in page.inner_text("body").lower()
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)
