"""Small shared pieces of page furniture."""

from __future__ import annotations

import streamlit as st

# Session keys holding things worked out from the data in use (aggregates, filter choices). Dropped
# with the upload when the user goes back to the sample (spinedash.ui.data_source.use_sample).
PAGE_MEMO_KEY = "page_memo"
FILTER_OPTIONS_KEY = "filter_options_memo"

DISCLAIMER = (
    "SpineDash supports review of surgical outcomes. It is not medical advice and does not "
    "recommend a treatment for any patient."
)


def disclaimer() -> None:
    """The not-medical-advice line, shown at the foot of every page."""
    st.caption(DISCLAIMER)


def synthetic_notice() -> None:
    """A visible label on any view that shows the bundled synthetic sample."""
    st.info(
        "You are looking at **synthetic demonstration data** (the bundled sample cohort), "
        "generated to resemble published figures. It describes no real patient.",
        icon=":material/science:",
    )


def ensure_app_router() -> None:
    """Make sure this run went through app.py's st.navigation, not Streamlit's legacy pages/ mode.

    Streamlit starts a fresh server in its old "pages/ directory" mode because this repo has a
    pages/ folder, and only leaves it once app.py has called st.navigation. So the very first
    visit after a restart straight to a deep link (a bookmarked /recovery?filter_…) would run the
    page script alone: no shared sidebar, no data source, wrong layout. Every page calls this
    first; on that one run it switches the legacy mode off and reruns through app.py, keeping the
    URL and its filters. (streamlit/runtime/scriptrunner/script_runner.py, `_mpa_v1`.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def show_table(table, **kwargs) -> None:
    """st.table with every text cell shown literally (st.table renders cells as Markdown)."""
    from spinedash.tables import markdown_literal

    st.table(markdown_literal(table), **kwargs)
