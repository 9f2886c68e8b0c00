"""Streamlit pieces of the Procedures page: each draws one view of the knowledge base.

The knowledge itself comes from `spinedash.knowledge` (pure, cached with lru_cache: it is the same
public catalogue for every session and holds no patient data).
"""

from __future__ import annotations

import html

import streamlit as st

from spinedash.knowledge import NOT_STATED, STATUS_TREATS, Knowledge, normalise_label
from spinedash.tables import escape_markdown
from spinedash.ui.common import show_table
from spinedash.vocabulary import APPROACH_COLOURS, OTHER_COLOUR

# Enough to read on one screen; a broader query should be narrowed rather than scrolled.
MAX_SEARCH_RESULTS = 25


def _escape(text: str) -> str:
    """Keep document text literal in st.markdown (no accidental emphasis, LaTeX or colour tags)."""
    for char in "\\*_$[]`":
        text = text.replace(char, "\\" + char)
    return text


def _approach_badge(approach: str) -> str:
    colour = APPROACH_COLOURS.get(approach, OTHER_COLOUR)
    return f"<span style='color:{colour}'>&#9632;</span> **{_escape(html.escape(approach))}**"


def show_condition(k: Knowledge, condition: str) -> None:
    """What the condition is, which approaches the documents say treat it and why, with sources."""
    description, titles = k.describe_condition(condition)
    st.markdown(_escape(description))
    st.caption(f"Sources: {titles}")
    rows = k.approaches_for(condition)
    treats = rows[rows["status"] == STATUS_TREATS]
    if treats.empty:
        st.warning(f"None of the source documents says which approach treats {condition.lower()}.")
    else:
        st.markdown(f"**Approaches the source documents describe for {_escape(condition.lower())}**")
    for row in treats.itertuples():
        # A stable key gives the card a CSS class (st-key-…) that browser tests can find.
        with st.container(border=True, key=f"procedures_treats_{normalise_label(row.approach).replace(' ', '_')}"):
            st.markdown(f"{_approach_badge(row.approach)} — {_escape(html.escape(row.why))}", unsafe_allow_html=True)
            st.caption(f"Source: {row.source_title}")
    others = rows[rows["status"] != STATUS_TREATS]
    if not others.empty:
        with st.expander(f"Not stated in sources: {', '.join(others['approach'])}"):
            for row in others.itertuples():
                st.markdown(f"**{_escape(row.approach)}** — {_escape(row.why)}")


def show_approach(k: Knowledge, approach: str) -> None:
    """Every attribute of one approach as readable text, each fact followed by its document's title."""
    info = k.approach_info(approach)
    invasive = "minimally invasive" if info["minimally_invasive"] else "not minimally invasive"
    st.markdown(f"{_approach_badge(info['approach'])} · {_escape(html.escape(info['full_name']))} · {invasive}",
                unsafe_allow_html=True)
    st.markdown(_escape(info["summary"]))
    facts = k.facts_for(approach)
    left, right = st.columns(2, gap="large")
    labels = list(dict.fromkeys(facts["label"]))
    half = (len(labels) + 1) // 2
    for i, label in enumerate(labels):
        with left if i < half else right:
            lines = []
            for fact in facts[facts["label"] == label].itertuples():
                if fact.value == NOT_STATED:
                    lines.append(f"- *{NOT_STATED}*")
                else:
                    lines.append(f"- {_escape(fact.value)} :gray[— {_escape(fact.source_title)}]")
            st.markdown(f"**{label}**\n\n" + "\n".join(lines))


def show_comparison(k: Knowledge, approaches: list[str]) -> None:
    """The side-by-side table for two or more approaches, and the documents behind it."""
    if len(approaches) < 2:
        st.info("Choose at least two approaches to compare them side by side.")
        return
    show_table(k.compare(approaches).rename_axis(None))
    st.caption("Sources: " + "; ".join(k.source_titles_for(approaches)) + ". Each statement's own source is "
               "shown under *One approach in detail*.")


def show_search(k: Knowledge, query: str) -> None:
    """Passages of the knowledge base matching `query`, each with its source document."""
    if not query.strip():
        return
    found = k.search(query)
    count = len(found)
    st.caption(f"{count} matching passage{'s' if count != 1 else ''} for “{escape_markdown(query.strip())}”"
               + (f"; showing the first {MAX_SEARCH_RESULTS}" if count > MAX_SEARCH_RESULTS else ""))
    for row in found.head(MAX_SEARCH_RESULTS).itertuples():
        st.markdown(f"**{_escape(row.subject)}** · {_escape(row.topic)} — {_escape(row.text)} "
                    f":gray[— {_escape(row.source_title) or 'no source: not stated in sources'}]")


def show_condition_outcomes(condition: str) -> None:
    """What the data in use say for this condition, per approach, with links to the filtered views."""
    from spinedash.analysis import DEFAULT_MIN_CELL, summarise_for_condition
    from spinedash.tables import condition_outcomes_display, escape_markdown
    from spinedash.ui.common import synthetic_notice
    from spinedash.ui.data_source import current_dataset

    dataset = current_dataset()
    min_cell = int(st.session_state.get("min_cell") or DEFAULT_MIN_CELL)
    st.subheader(f"Outcomes for {condition.lower()} in the data in use")
    summary = summarise_for_condition(dataset.cases, condition, min_cell=min_cell)
    if summary.empty:
        st.caption(f"{escape_markdown(dataset.describe())}: no cases of {condition.lower()}.")
        return
    if dataset.is_synthetic:
        synthetic_notice()
    show_table(condition_outcomes_display(summary, min_cell).set_index("Approach"))
    st.caption(
        f"{escape_markdown(dataset.describe())}. Return to work among patients employed before surgery (Kaplan–Meier median); "
        "VAS leg change is the mean paired change from before surgery (negative = less pain)."
    )
    links = st.columns(2)
    links[0].page_link("pages/recovery.py", label=f"Recovery for {condition.lower()}", icon=":material/directions_walk:",
                       query_params={"filter_condition": condition})
    links[1].page_link("pages/pain.py", label=f"Patient-reported outcomes for {condition.lower()}", icon=":material/healing:",
                       query_params={"filter_condition": condition})
    for approach in summary.loc[~summary["suppressed"], "approach"]:
        cols = st.columns(2)
        cols[0].page_link("pages/recovery.py", label=f"{approach}: recovery", query_params={
            "filter_condition": condition, "filter_approach": approach})
        cols[1].page_link("pages/pain.py", label=f"{approach}: pain and function", query_params={
            "filter_condition": condition, "filter_approach": approach})
