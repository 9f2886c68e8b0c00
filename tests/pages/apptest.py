"""Run SpineDash pages the way Streamlit does: through app.py's navigation, with AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")

# Generous: the first run imports pandas, statsmodels and Altair and reads the sample cohort.
TIMEOUT_S = 120


def run_page(page: str, query_params: dict | None = None, session: dict | None = None) -> AppTest:
    """Start app.py, switch to `page` (e.g. "pages/procedures.py") and return the finished run.

    `query_params` are set as if they were in the URL; `session` seeds st.session_state.
    """
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    if page != "pages/overview.py":
        at.switch_page(page)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    return at


def all_text(at: AppTest) -> str:
    """Every piece of text an AppTest run rendered, joined, for 'does the user see X' checks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    return "\n".join(parts)


def chart_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of every chart the run drew (what the browser would receive)."""
    import json

    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def rendered(text: str) -> str:
    """What Markdown shows for `text`: backslash escapes removed (tables escape uploaded text)."""
    import re

    return re.sub(r"\\(.)", r"\1", str(text)).replace("\u2060", "")
