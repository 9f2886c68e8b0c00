"""Streamlit pieces of the Procedures page: each draws one view of the knowledge base.

The knowledge itself comes from `spinedash.knowledge` (pure, cached with lru_cache: it is the same
public catalogue for every session and holds no patient data).
"""

from __future__ import annotations

import html

import streamlit as st

from spinedash.knowledge import (
    NOT_STATED,
    STATUS_INVESTIGATES,
    STATUS_NOT_STATED,
    STATUS_TREATS,
    Knowledge,
    normalise_label,
)
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
    """What the condition is, which approaches the documents say treat it and why, with sources.

    Diagnostic use ("investigates") is shown apart from treatment, and what a document says of
    minimally invasive surgery without naming a technique is shown apart from the four approaches.
    """
    description, titles = k.describe_condition(condition)
    st.markdown(_escape(description))
    st.caption(f"Sources: {titles}")
    rows = k.approaches_for(condition)
    general = k.approaches_for(condition, include_general=True)
    general = general[general["approach"].isin(k.general_names) & (general["status"] != STATUS_NOT_STATED)]
    name = _escape(condition.lower())
    # (heading, caption, rows, card key prefix, label before the reason)
    sections = [
        (f"Approaches the source documents describe for {name}", "",
         rows[rows["status"] == STATUS_TREATS], "procedures_treats", ""),
        (f"Used to investigate {name}, not to treat it", "",
         rows[rows["status"] == STATUS_INVESTIGATES], "procedures_investigates", "*used to investigate:* "),
        ("Minimally invasive surgery, no technique named",
         "What a document says of minimally invasive surgery without naming a tube, microscope or endoscope. "
         "It is not attributed to any one of the four approaches.", general, "procedures_general", ""),
    ]
    if all(section[2].empty for section in sections[:2]):
        st.warning(f"None of the source documents says which approach treats {condition.lower()}.")
    for heading, caption, cards, key_prefix, label in sections:
        if cards.empty:
            continue
        st.markdown(f"**{heading}**")
        if caption:
            st.caption(caption)
        for row in cards.itertuples():
            # A stable key gives the card a CSS class (st-key-…) that browser tests can find.
            with st.container(border=True, key=f"{key_prefix}_{normalise_label(row.approach).replace(' ', '_')}"):
                st.markdown(f"{_approach_badge(row.approach)} — {label}{_escape(html.escape(row.why))}",
                            unsafe_allow_html=True)
                st.caption(f"Source: {row.source_title}")
    others = rows[rows["status"] == STATUS_NOT_STATED]
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


def show_category_mapping(k: Knowledge) -> None:
    """How each document's own category was filed under the four approaches (or under none)."""
    mapping = k.category_mapping().rename(columns={
        "category": "What the document describes", "filed_under": "Filed under", "why": "Why",
        "source_title": "Document"})
    show_table(mapping.set_index("What the document describes"))  # a named corner: no empty table header
    st.caption(
        "The approach follows how the operation is done, in this order: an endoscope with its own working channel "
        "through one portal is Full-endoscopic; a tubular retractor is Tubular MIS whatever the scope; a microscope "
        "without a tube is Microscopic, even when a registry calls the access open (open microdiscectomy); naked "
        "eye or loupes is Open. Biportal endoscopy (UBE) is none of the four: the documents do not describe it."
    )


def show_techniques(k: Knowledge) -> None:
    """Techniques clinics record, the approach each is filed under, and which the documents describe."""
    table = k.techniques_table().rename(columns={
        "technique": "Technique", "approach": "Filed under", "visualisation": "How the surgeon sees",
        "described": "Described in", "note": "Note"})
    show_table(table.set_index("Technique"))  # a named corner: no empty table header


def show_data_vocabulary(k: Knowledge) -> None:
    """Approaches and techniques in the data in use that the source documents do not describe."""
    from spinedash.ui.data_source import current_dataset

    cases = current_dataset().cases
    approaches = cases["approach"].unique() if "approach" in cases else ()
    techniques = cases["technique"].unique() if "technique" in cases else ()
    found = k.describe_data_values(approaches, techniques)
    if found.empty:
        st.caption("Every approach (and technique) in the data in use is one the source documents describe.")
        return
    for statement in found["statement"]:
        st.markdown(f"- {_escape(statement)}")


def show_comparison(k: Knowledge, approaches: list[str]) -> None:
    """The side-by-side table for two or more approaches, and the documents behind it."""
    if len(approaches) < 2:
        st.info("Choose at least two approaches to compare them side by side.")
        return
    # A named corner cell: an empty table header is read out as nothing by a screen reader.
    show_table(k.compare(approaches).rename_axis("Aspect"))
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
    from spinedash.schema import MEASURES
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
        + (f"{score.short_label} change is the mean paired change from before surgery in its own points "
           f"({'positive' if score.higher_is_better else 'negative'} = better); the score is the first of the catalogue's "
           "headline measures for these cases' spine region."
           if (score := MEASURES.get(summary.attrs.get("score") or "")) else "the data hold no score before surgery and at 12 months.")
    )
    links = st.columns(2)
    links[0].page_link("pages/recovery.py", label=f"Recovery for {condition.lower()}", icon=":material/directions_walk:",
                       query_params={"filter_condition": condition})
    links[1].page_link("pages/pain.py", label=f"Patient-reported outcomes for {condition.lower()}", icon=":material/healing:",
                       query_params={"filter_condition": condition})
    for approach in summary.loc[~summary["suppressed"], "approach"]:
        cols = st.columns(2)
        cols[0].page_link("pages/recovery.py", label=f"{escape_markdown(approach)}: recovery", query_params={
            "filter_condition": condition, "filter_approach": approach})
        cols[1].page_link("pages/pain.py", label=f"{escape_markdown(approach)}: patient-reported outcomes", query_params={
            "filter_condition": condition, "filter_approach": approach})
