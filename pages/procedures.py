"""Procedures: what the five source documents say about each approach, by condition, side by side."""

import streamlit as st

from spinedash import ui
from spinedash.knowledge import GENERAL, KnowledgeError, load_knowledge
from spinedash.ui import procedures as view
from spinedash.vocabulary import APPROACHES, CONDITIONS

ui.ensure_app_router()
st.title("Procedures")
st.markdown(
    "What five source documents on spine surgery say about full-endoscopic, tubular minimally invasive, "
    "microscopic and traditional open surgery, in plain words. Each statement names the document it comes "
    "from; where the documents say nothing, the page says *Not stated in sources*. What a document says of "
    "minimally invasive surgery without naming a technique is kept apart, as *minimally invasive surgery in general*."
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

SUBJECTS = [*APPROACHES, GENERAL]
st.header("One approach in detail")
approach = st.selectbox("Approach", SUBJECTS, key="procedures_approach", bind="query-params")
view.show_approach(knowledge, approach)

st.header("Compare approaches")
chosen = st.multiselect(
    "Approaches to compare", SUBJECTS, default=["Full-endoscopic", "Open"], key="procedures_compare"
)
view.show_comparison(knowledge, chosen)

st.header("How the documents map onto the four approaches")
view.show_category_mapping(knowledge)
st.subheader("Techniques clinics record")
view.show_techniques(knowledge)
st.subheader("In the data in use")
view.show_data_vocabulary(knowledge)

st.header("Search the procedure knowledge")
query = st.text_input(
    "Search", key="procedures_search", placeholder="e.g. sedation, 4 mm, hospital stay, annular tear"
)
view.show_search(knowledge, query)

ui.disclaimer()
