"""Procedures: what the five source documents say about each approach, by condition, side by side."""

import streamlit as st

from spinedash import ui
from spinedash.knowledge import KnowledgeError, load_knowledge
from spinedash.ui import procedures as view
from spinedash.vocabulary import APPROACHES, CONDITIONS

ui.ensure_app_router()
st.title("Procedures")
st.markdown(
    "What five source documents on spine surgery say about full-endoscopic, tubular minimally invasive, "
    "microscopic and traditional open surgery, in plain words. Each statement names the document it comes "
    "from; where the documents say nothing, the page says *Not stated in sources*."
)
try:
    knowledge = load_knowledge()
except KnowledgeError as exc:
    st.error(f"The procedure knowledge base could not be read: {exc}")
    ui.disclaimer()
    st.stop()

st.header("By condition")
condition = st.selectbox("Condition", CONDITIONS, key="procedures_condition", bind="query-params")
view.show_condition(knowledge, condition)
view.show_condition_outcomes(condition)

st.header("One approach in detail")
approach = st.selectbox("Approach", APPROACHES, key="procedures_approach", bind="query-params")
view.show_approach(knowledge, approach)

st.header("Compare approaches")
chosen = st.multiselect(
    "Approaches to compare", APPROACHES, default=["Full-endoscopic", "Open"], key="procedures_compare"
)
view.show_comparison(knowledge, chosen)

st.header("Search the procedure knowledge")
query = st.text_input(
    "Search", key="procedures_search", placeholder="e.g. sedation, 4 mm, hospital stay, annular tear"
)
view.show_search(knowledge, query)

ui.disclaimer()
