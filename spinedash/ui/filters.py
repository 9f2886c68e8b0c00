"""The sidebar filters and the small-cell setting, bound to the URL so a filtered view can be shared.

Every widget has a stable key ("filter_condition", "filter_approach", …, "min_cell"). With
`bind="query-params"` the key is the URL parameter: `?filter_approach=Open&filter_approach=Microscopic`
opens the app with those approaches selected, and changing a widget rewrites the URL.
`persist_state="session"` keeps the values when the user switches pages.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from spinedash.analysis import DEFAULT_MIN_CELL
from spinedash.filters import (
    FilterOptions,
    Filters,
    check_link,
    count_matching,
    filter_options,
    no_match_message,
    slider_bounds,
    wider_view_counts,
)

# ASSUMPTION (analysis.DEFAULT_MIN_CELL = 5): SpineDash's own default for one clinic's review, below
# the registries' cells (NORspine < 10, OpenSAFELY ≤ 7); the user can raise it.
from spinedash.privacy import small_step_from, view_count_text
from spinedash.tables import escape_markdown
from spinedash.ui.common import FILTER_OPTIONS_KEY

# Filters field -> (widget key, label, placeholder). Sidebar order.
MULTISELECTS: dict[str, tuple[str, str, str]] = {
    "regions": ("filter_region", "Spine region", "All regions"),
    "conditions": ("filter_condition", "Condition", "All conditions"),
    "approaches": ("filter_approach", "Approach", "All approaches"),
    "techniques": ("filter_technique", "Technique", "All techniques"),
    "procedures": ("filter_procedure", "Procedure", "All procedures"),
    "revisions": ("filter_revision", "First operation or revision", "Both"),
    "spinal_levels": ("filter_level", "Spinal level", "All levels"),
    "sexes": ("filter_sex", "Sex", "All"),
    "surgeons": ("filter_surgeon", "Surgeon", "All surgeons"),
    "sites": ("filter_site", "Site", "All sites"),
}
AGE_KEY = "filter_age"
DATES_KEY = "filter_dates"
MIN_CELL_KEY = "min_cell"
FILTER_KEYS: tuple[str, ...] = (*(k for k, _, _ in MULTISELECTS.values()), AGE_KEY, DATES_KEY)

MIN_CELL_HELP = (
    "Groups with fewer cases than this show as “suppressed” instead of numbers, so that small groups "
    "cannot identify patients. Registries do the same: NORspine collapses hospitals with fewer than "
    "10 cases; OpenSAFELY suppresses counts of 7 or fewer. Set 1 to turn suppression off."
)

_BIND = {"bind": "query-params", "persist_state": "session"}


def _reset(defaults: dict[str, object]) -> None:
    # Bound query parameters can only be changed through session_state; setting each widget back
    # to its default also removes its parameter from the URL.
    for key, value in defaults.items():
        st.session_state[key] = value


def _clamp_range(key: str, low, high) -> None:
    # A range persisted from another data set (persist_state="session") can fall outside this
    # data's bounds; Streamlit then silently shows the old range but returns its default. Clamp it so
    # what the slider shows is what is applied. (Multiselects drop unknown values by themselves.)
    current = st.session_state.get(key)
    if isinstance(current, list | tuple) and len(current) == 2:
        a, b = current
        if not (low <= a <= b <= high):
            st.session_state[key] = (min(max(a, low), high), max(min(b, high), low))


def sidebar_filters(cases: pd.DataFrame, content_key: str | None = None) -> Filters:
    """Draw the filter widgets in the sidebar and return the chosen `Filters`.

    A widget appears only when its column is in the data. An empty multiselect means all values;
    a range at its full extent means no restriction (so cases with no recorded age stay in).
    The number of matching cases is always shown above the widgets. With `content_key` (the
    dataset's), the choices are worked out once per dataset and session instead of every rerun.
    """
    options = _options(cases, content_key)
    _check_shared_link(options)
    chosen: dict[str, object] = {}
    defaults: dict[str, object] = {}

    st.sidebar.subheader("Filters")
    count_slot = st.sidebar.container()

    for name, (key, label, placeholder) in MULTISELECTS.items():
        values = getattr(options, name)
        if values is None:
            continue
        picked = st.sidebar.multiselect(label, values, key=key, placeholder=placeholder, **_BIND)
        defaults[key] = []
        if picked:
            chosen[name] = tuple(picked)

    if options.age_range is not None:
        low, high = slider_bounds(options.age_range)
        if low < high:
            _clamp_range(AGE_KEY, low, high)
            picked = st.sidebar.slider("Age (years)", low, high, (low, high), step=1, key=AGE_KEY, **_BIND)
            defaults[AGE_KEY] = (low, high)
            if tuple(picked) != (low, high):
                chosen["age_range"] = (float(picked[0]), float(picked[1]))

    if options.date_range is not None:
        first, last = options.date_range
        _clamp_range(DATES_KEY, first, last)
        picked = st.sidebar.date_input(
            "Surgery date",
            (first, last),
            min_value=first,
            max_value=last,
            key=DATES_KEY,
            format="YYYY-MM-DD",
            **_BIND,
        )
        defaults[DATES_KEY] = (first, last)
        chosen_range = _date_range(picked, first, last)
        if chosen_range is not None:
            chosen["date_range"] = chosen_range

    filters = Filters(**chosen)  # type: ignore[arg-type]
    st.sidebar.button(
        "Reset filters",
        key="filter_reset",
        on_click=_reset,
        args=(defaults,),
        icon=":material/filter_alt_off:",
        disabled=not chosen,
    )

    _show_link_notes(filters)
    n = count_matching(cases, filters)
    with count_slot:
        # A view of 1..k−1 cases reads "< k" (small-cell rule 1), one leaving out 1..k−1 cases "all
        # but fewer than k" (rule 4); k is the sidebar setting below.
        k = int(st.session_state.get(MIN_CELL_KEY) or DEFAULT_MIN_CELL)
        text = view_count_text(n, len(cases), k)
        if small_step_from(n, wider_counts(cases, content_key, filters), k):
            text = f"count not shown (within fewer than {k} of a wider view) of {len(cases):,} cases"
        st.markdown(f"**{text[:1].upper() + text[1:]}**")
        if n == 0 and len(cases) > 0:
            st.warning(no_match_message(cases, filters), icon=":material/filter_alt_off:")
    return filters


# Filters field -> its widget key (the URL parameter).
_FIELD_KEYS: dict[str, str] = {**{name: key for name, (key, _, _) in MULTISELECTS.items()}, "age_range": AGE_KEY, "date_range": DATES_KEY}
_LINK_NOTES_KEY = "_filter_link_notes"


def _check_shared_link(options: FilterOptions) -> None:
    """Before the widgets read the URL: note a link's values these data lack, and fix reversed ranges.

    Streamlit silently drops a bound multiselect's unknown values and takes a reversed range as
    given (matching nothing). The notes are kept to show under the filters (_show_link_notes); a
    range to fix is rewritten in the URL and the run restarted, so the widget reads the fixed one.
    Only a parameter not yet bound to a widget can be rewritten, i.e. on the run that opens a link.
    """
    params = {name: st.query_params.get_all(key) for name, key in _FIELD_KEYS.items() if key in st.query_params}
    if not params:
        return
    check = check_link(params, options)
    if check.notes:
        st.session_state[_LINK_NOTES_KEY] = {"notes": check.notes, "filters": None}
    if check.corrected:
        try:
            for name, values in check.corrected.items():
                st.query_params[_FIELD_KEYS[name]] = values
        except StreamlitAPIException:  # already bound: the widget's own value, nothing to fix
            return
        st.rerun()


def _show_link_notes(filters: Filters) -> None:
    """Say what the opened link asked for that could not be shown, until the user changes a filter."""
    entry = st.session_state.get(_LINK_NOTES_KEY)
    if not entry:
        return
    if entry["filters"] is None:
        entry["filters"] = filters
    if entry["filters"] != filters:
        del st.session_state[_LINK_NOTES_KEY]
        return
    st.info("  \n".join(escape_markdown(note) for note in entry["notes"]), icon=":material/link_off:")


def _options(cases: pd.DataFrame, content_key: str | None) -> FilterOptions:
    """filter_options(cases), kept in this session for the dataset `content_key` names (~50 ms at 1M rows)."""
    if not content_key:
        return filter_options(cases)
    memo = st.session_state.get(FILTER_OPTIONS_KEY)
    if memo is not None and memo[0] == content_key:
        return memo[1]
    options = filter_options(cases)
    st.session_state[FILTER_OPTIONS_KEY] = (content_key, options)
    return options


def _date_range(picked, first: date, last: date) -> tuple[date, date] | None:
    """The date filter from the widget's value; a half-picked range (start only) runs to the last date."""
    if isinstance(picked, date):
        picked = (picked,)
    picked = tuple(picked or ())
    if len(picked) == 1:
        picked = (picked[0], last)
    if len(picked) != 2 or (picked[0], picked[1]) == (first, last):
        return None
    return (picked[0], picked[1])


_WIDER_KEY = "_filter_wider_counts"


def wider_counts(cases: pd.DataFrame, content_key: str | None, filters: Filters) -> dict[str, int]:
    """`wider_view_counts(cases, filters)`, kept for this dataset and filters (sidebar and page both ask)."""
    memo = st.session_state.get(_WIDER_KEY)
    if content_key and memo is not None and memo[0] == (content_key, filters):
        return memo[1]
    counts = wider_view_counts(cases, filters)
    if content_key:
        st.session_state[_WIDER_KEY] = ((content_key, filters), counts)
    return counts


def filter_label(name: str) -> str:
    """The sidebar's name for a Filters field: "sites" -> "Site", "age_range" -> "Age"."""
    if name in MULTISELECTS:
        return MULTISELECTS[name][1]
    return {"age_range": "Age", "date_range": "Surgery date"}.get(name, name)


def min_cell_setting() -> int:
    """The smallest group size shown as numbers (key "min_cell", in the sidebar, bound to the URL)."""
    value = st.sidebar.number_input(
        "Smallest group shown",
        min_value=1,
        value=DEFAULT_MIN_CELL,
        step=1,
        key=MIN_CELL_KEY,
        help=MIN_CELL_HELP,
        **_BIND,
    )
    return int(value)
