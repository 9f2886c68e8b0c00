"""Home: what SpineDash is, who it is for, what it is showing."""

import streamlit as st

from spinedash import ui

ui.ensure_app_router()
st.title("SpineDash")
st.markdown(
    "SpineDash puts what is known about each spine operation — full-endoscopic discectomy, "
    "tubular minimally invasive surgery, microscopic surgery and traditional open surgery — beside "
    "the outcomes your own service achieves with them: hospital stay, return to daily activities "
    "and work, and leg pain, back pain and disability over the first year. It runs on a laptop, "
    "offline, on your clinic's own export."
)
st.markdown(
    "It is built for **spine surgeons** reviewing their results and for **hospital administrators** "
    "who want to see what minimally invasive approaches change. The procedure facts come from five "
    "source documents, each named beside the fact. It supports review of outcomes and is **not "
    "medical advice**."
)
st.page_link("pages/procedures.py", label="Browse the procedures", icon=":material/menu_book:")
ui.disclaimer()
