"""What every analytics page shares: the data in use, the sidebar filters, one filtered frame, and
chart furniture (download buttons, the 'this chart needs column X' message).

A page calls `analytics_page(...)` once and gets a `PageContext`; every chart on the page is built
from `ctx.cases`, the one filtered frame.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from spinedash.analysis import MissingColumnError
from spinedash.dataset import Dataset
from spinedash.export import chart_image, export_filename, image_subtitle
from spinedash.filters import Filters, apply_filters, describe_filters, no_match_message
from spinedash.privacy import leaves_out_small_group, small_remainder_message, small_step_from, view_count_text
from spinedash.tables import escape_markdown
from spinedash.ui.common import PAGE_MEMO_KEY, disclaimer, ensure_app_router, synthetic_notice
from spinedash.ui.data_source import current_dataset
from spinedash.ui.filters import filter_label, min_cell_setting, sidebar_filters, wider_counts
from spinedash.vegalite import Spec, without_title, wrap_title

_MEMO_SIZE = 64  # aggregates kept per session: enough for flicking between pages and filter sets


@dataclass(frozen=True)
class PageContext:
    """The one filtered frame of a page plus what its charts say about themselves."""

    dataset: Dataset
    cases: pd.DataFrame
    filters: Filters
    min_cell: int
    by: str = "approach"  # what the charts split by: "approach" or "technique" (sidebar "Split charts by")

    @property
    def group_title(self) -> str:
        return "Technique" if self.by == "technique" else "Approach"

    @property
    def subtitle(self) -> list[str]:
        """Filters with the cases in view, and the data source: the context lines every export
        (image, spreadsheet notes) carries, e.g. ["Condition: Herniated disc · 1,654 of 2,500 cases",
        "Sample cohort — synthetic demonstration data"]."""
        filters = describe_filters(self.filters)
        # A view of 1..k−1 cases reads "< k"; one leaving out 1..k−1 reads "all but fewer than k".
        shown = view_count_text(len(self.cases), self.dataset.n_cases, self.min_cell)
        return [f"{filters} · {shown}", self.dataset.describe(count=False)]

    @property
    def chart_subtitle(self) -> list[str]:
        """The data source: the context line of a chart on screen.

        Not the filters, nor the number of cases (the dataset's would misstate a filtered view's):
        they are under the page title, and a spec that stays the same when only the filters change
        lets the browser swap the chart's data in place instead of rebuilding the whole Vega view
        (about 0.1 s a chart). Images still carry the filters.
        """
        return [self.dataset.describe(count=False)]

    def memo(self, fn: Callable[..., Any], *args: Hashable, **kwargs: Hashable) -> Any:
        """`fn(self.cases, *args, **kwargs)`, remembered for this session's data and filters.

        Kept in st.session_state, never in a cache shared between sessions: the cases may be an
        uploaded file, which no other session may see. Keyed on the data's content key and the
        frozen Filters value, so a rerun that did not change the filters recomputes nothing. The
        one exception is the bundled synthetic sample — public and the same for everyone — whose
        aggregates are worked out once per view for all sessions (_shared_sample_aggregate): 25
        visitors opening the demo at once otherwise each recomputed the same Overview figures.
        Either way the value is shared, not copied: callers only read it.
        """
        key = (
            f"{fn.__module__}.{fn.__qualname__}",
            self.dataset.content_key,
            self.filters,
            args,
            tuple(sorted(kwargs.items())),
        )
        if self.dataset.is_synthetic:
            return _shared_sample_aggregate(repr(key), fn, self.cases, args, kwargs)
        store: OrderedDict = st.session_state.setdefault(PAGE_MEMO_KEY, OrderedDict())
        if key in store:
            store.move_to_end(key)
            return store[key]
        value = fn(self.cases, *args, **kwargs)
        store[key] = value
        while len(store) > _MEMO_SIZE:
            store.popitem(last=False)
        return value


@st.cache_resource(max_entries=1024, show_spinner=False)
def _shared_sample_aggregate(key: str, _fn: Callable[..., Any], _cases: pd.DataFrame, _args: tuple, _kwargs: dict) -> Any:
    """`_fn(_cases, *_args, **_kwargs)` for the bundled synthetic sample, once per `key` for every session.

    Only PageContext.memo calls this, and only when the data in use is the synthetic sample, whose
    `key` (function, content key "sample", filters, arguments) fully determines the result.
    """
    return _fn(_cases, *_args, **_kwargs)


def analytics_page(title: str, intro: str) -> PageContext:
    """Title, synthetic label, sidebar filters and the one filtered frame for an analytics page.

    Stops the page with a friendly message naming the filter that emptied it when no case matches,
    and with the small-cell message when the filters leave out 1..k−1 of the file's cases (the
    file's count minus the view's would give them away: spinedash.privacy rule 4).
    """
    ensure_app_router()
    st.title(title)
    st.caption(intro)
    dataset = current_dataset()
    filters = sidebar_filters(dataset.cases, dataset.content_key)
    min_cell = min_cell_setting()
    by = split_by_setting(dataset.cases)
    if dataset.is_synthetic:
        synthetic_notice()
    cases = apply_filters(dataset.cases, filters)
    guard = view_guard(dataset, filters, len(cases), min_cell)
    st.caption(filters_line(filters, len(cases), len(dataset.cases), min_cell, guarded=guard is not None))
    if cases.empty:
        st.warning(no_match_message(dataset.cases, filters), icon=":material/filter_alt_off:")
        disclaimer()
        st.stop()
    if guard is not None:
        st.warning(guard, icon=":material/visibility_off:")
        disclaimer()
        st.stop()
    return PageContext(dataset=dataset, cases=cases, filters=filters, min_cell=min_cell, by=by)


def technique_choice(ctx: PageContext, key: str, holder: Any = None) -> PageContext | None:
    """A page's own Technique filter, for a page whose chart cannot be split by technique (a funnel
    is one dot per surgeon or site): "All techniques" or one technique the filtered cases record.

    Returns the context narrowed to that technique (its filters say so, for exports and the memo),
    the context unchanged when the data record no technique, or None after a small-cell message
    when the choice would leave out 1..k−1 of the file's cases (spinedash.privacy rule 4).
    """
    if "technique" not in ctx.cases.columns:
        return ctx
    techniques = sorted(str(t) for t in ctx.cases["technique"].dropna().unique())
    if len(techniques) < 2:
        return ctx
    everything = "All techniques"
    choice = (holder or st).selectbox(
        "Technique", [everything, *techniques], key=key, bind="query-params",
        help="A funnel compares surgeons or sites, one dot each; to see one technique, draw the funnel for its cases.",
    )
    if choice in (None, everything) or choice not in techniques:
        return ctx
    filters = replace(ctx.filters, techniques=(choice,))
    cases = apply_filters(ctx.dataset.cases, filters)
    guard = view_guard(ctx.dataset, filters, len(cases), ctx.min_cell)
    if guard is not None:
        st.warning(guard, icon=":material/visibility_off:")
        return None
    if cases.empty:
        st.warning(no_match_message(ctx.dataset.cases, filters), icon=":material/filter_alt_off:")
        return None
    st.caption(filters_line(filters, len(cases), len(ctx.dataset.cases), ctx.min_cell))
    return replace(ctx, cases=cases, filters=filters)


def view_guard(dataset: Dataset, filters: Filters, shown: int, min_cell: int) -> str | None:
    """Why this filtered view may not be shown (small-cell rule 4, spinedash.privacy), or None.

    The cases the filters leave out are a group too: against the whole file, or against the same
    filters less one of them (every site but one, within a condition), 1..k−1 of them would be
    given away by subtracting the view's count from the wider one's.
    """
    if leaves_out_small_group(shown, dataset.n_cases, min_cell):
        return small_remainder_message(min_cell)
    step = small_step_from(shown, wider_counts(dataset.cases, dataset.content_key, filters), min_cell)
    return small_remainder_message(min_cell, filter_label(step)) if step else None


SPLIT_BY_KEY = "split_by"


def split_by_setting(cases: pd.DataFrame) -> str:
    """"approach" or "technique": what every chart of the page splits its groups by (sidebar, URL `split_by`).

    Offered only when the data record a technique; approach is the family the knowledge base
    describes, technique the detail (biportal endoscopic, microendoscopic…).
    """
    if "technique" not in cases.columns or not cases["technique"].notna().any():
        return "approach"
    choice = st.sidebar.radio(
        "Split charts by", ["Approach", "Technique"], key=SPLIT_BY_KEY, horizontal=True,
        bind="query-params", persist_state="session",
        help="Approach: the families the knowledge base describes. Technique: how the surgeon sees and works, as your data record it.",
    )
    return "technique" if choice == "Technique" else "approach"


def filters_line(filters: Filters, shown: int, total: int, min_cell: int = 1, guarded: bool = False) -> str:
    """'Showing 6,496 of 10,000 cases · Condition: Herniated disc' (Markdown-escaped: values come from the data).

    A view of 1..k−1 cases reads 'Showing < 5 of …' (small-cell rule 1, spinedash.privacy), one
    leaving out 1..k−1 cases 'Showing all but fewer than 5 of …' (rule 4).
    """
    described = describe_filters(filters)
    line = f"Showing {view_count_text(shown, total, min_cell)}"
    if guarded and not leaves_out_small_group(shown, total, min_cell):  # within 1..k−1 of a wider view
        line = f"Showing a filtered view of the {total:,} cases (its count is not shown: within fewer than {min_cell} of a wider view)"
    return line + (f" · {escape_markdown(described)}" if described and described != "All cases" else " (no filters)")


def needs_columns_message(error: MissingColumnError) -> str:
    """'Not shown: … needs column X, which the data do not have.' for data that lack it."""
    reason = error.args[0] if error.args else str(error)
    return f"Not shown: {reason} Add it to your upload to see this."


def show_chart(ctx: PageContext, make: Callable[[], Spec], name: str, title: str, key: Hashable = None) -> bool:
    """Draw the Vega-Lite chart `make()` builds, with PNG/SVG download buttons; or say which column it needs.

    `key` names anything besides the page's data, filters and minimum cell that the chart depends
    on (e.g. an MCID threshold). The images are built only when a download button is clicked (a
    callable `data`), and carry the title, the filters and the data source.
    """
    try:
        if ctx.dataset.is_synthetic:
            spec = _shared_sample_chart((name, title, repr(ctx.filters), ctx.min_cell, key), make)
        else:
            spec = make()
    except MissingColumnError as error:
        st.info(needs_columns_message(error), icon=":material/info:")
        return False
    words, drawn = chart_description(spec, title)
    st.vega_lite_chart(drawn, width="stretch", alt=words)
    chart_downloads(ctx, spec, name, title)
    with st.expander(f"In words: {escape_markdown(title)}", icon=":material/notes:"):
        st.markdown(escape_markdown(words))
    return True


def chart_description(spec: Spec, title: str) -> tuple[str, Spec]:
    """The chart in words (its `description`, or its title) and the spec to draw without it.

    The description carries the view's numbers; kept in the drawn spec it would change the spec
    with every filter and make the browser rebuild the chart instead of swapping its data. It goes
    to st.vega_lite_chart's `alt` (the chart's accessible name) and to the text under the chart.
    """
    words = spec.get("description") or f"Chart: {title}."
    return words, wrap_title({key: val for key, val in spec.items() if key != "description"})


@st.cache_resource(max_entries=512, show_spinner=False)
def _shared_sample_chart(key: tuple, _make: Callable[[], Spec]) -> Spec:
    """A chart of the bundled synthetic sample, built once per view and shared by every session.

    The sample is public, identical for everyone, and most demo visitors look at the same few
    views, so a shared chart saves each of them the work. Uploaded data never comes here: its
    charts are built per session (show_chart checks is_synthetic). The spec is only read afterwards
    (st.vega_lite_chart copies before it edits; images copy it too).
    """
    return _make()


def chart_downloads(ctx: PageContext, chart: Spec, name: str, title: str) -> None:
    """PNG and SVG download buttons for one chart, built on click."""
    # The label names the chart: a screen reader lists six "Download chart" buttons otherwise.
    with st.popover(f"Download: {escape_markdown(title)}", icon=":material/download:"):
        for fmt, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
            st.download_button(
                f"{fmt.upper()} image",
                data=lambda fmt=fmt: chart_image(without_title(chart), fmt, title, image_subtitle(chart, ctx.subtitle)),
                file_name=export_filename(name, fmt, ctx.dataset.source_label),
                mime=mime,
                key=f"download_{name}_{fmt}",
                on_click="ignore",
                help=f"{escape_markdown(title)}, with the filters, the data source and the chart's notes in the image.",
            )
