"""Small shared pieces of page furniture."""

from __future__ import annotations

import streamlit as st

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
