"""Shared test set-up: the repository root is importable and is the working directory for AppTest."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
# A page that raises fails its test (AppTest's at.exception, an e2e exception element) instead of
# showing the production apology (spinedash.ui.errors); the e2e servers inherit this too.
os.environ.setdefault("SPINEDASH_RAISE_ERRORS", "1")


def _route_apptest_through_app_py() -> None:
    """Make AppTest behave like a running server after its first request.

    A real server leaves Streamlit's legacy "pages/ directory" mode as soon as app.py has called
    st.navigation once, and stays out of it. AppTest instead resets that flag before every run,
    so each run after a page switch would start in legacy mode; the pages' ensure_app_router()
    then reruns through app.py and the rerun swallows st.button clicks. Switching the flag off
    after AppTest builds its PagesManager gives the steady-state behaviour; the cold-server path
    is tested for real in tests/e2e/test_deep_link.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


_route_apptest_through_app_py()


@pytest.fixture(scope="session", autouse=True)
def _every_drawn_chart_fits_the_vega_lite_schema():
    """Every spec a test sends to vl-convert (chart images, the PDF report's charts) must pass
    `vegalite.validate` first, so no test draws a chart the browser would refuse."""
    from spinedash import export, report, vegalite

    real = export.render_spec

    def checked(spec_json: str, *args, **kwargs) -> bytes:
        vegalite.validate(json.loads(spec_json))
        return real(spec_json, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export, "render_spec", checked)
        mp.setattr(report, "render_spec", checked)
        yield
