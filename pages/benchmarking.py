"""Benchmarking: surgeons or sites on a funnel plot, the registries' way of showing who stands out."""

import streamlit as st

from spinedash import funnel
from spinedash.comparison import available_modes
from spinedash.ui import disclaimer
from spinedash.ui.common import show_table
from spinedash.ui.page import analytics_page, show_chart

ctx = analytics_page(
    "Benchmarking",
    "Each surgeon (or site) as a dot at its number of cases and its rate, against funnel-shaped control "
    "limits around the overall rate — not a league table ranked by noise.",
)
units = [u for u, mode in (("Surgeon", "Surgeon vs the rest"), ("Site", "Site vs site")) if mode in available_modes(ctx.cases)]
if not units:
    st.info("Benchmarking needs a surgeon or site column with at least two values in the filtered cases.")
    disclaimer()
    st.stop()
left, right = st.columns(2)
# Plain labels as options: a bound widget writes its label into the URL (?funnel_by=Site).
by = left.segmented_control("Compare", units, default=units[0], key="funnel_by", bind="query-params", required=True).lower()
measure = right.selectbox(
    "Measure", list(funnel.MEASURES), format_func=lambda m: funnel.MEASURES[m]["label"],
    key="funnel_measure", bind="query-params",
)
try:
    result = ctx.memo(funnel.funnel_data, by=by, measure=measure, min_cell=ctx.min_cell)
except funnel.FunnelError as error:
    st.info(f"Not shown: {error}")
    disclaimer()
    st.stop()
title = f"{funnel.MEASURES[measure]['label']} by {by}"
show_chart(ctx, lambda: funnel.funnel_chart(result, title), f"funnel_{by}_{measure}", title)
st.markdown(
    "**How to read it.** The solid line is the overall rate; the dashed and dotted lines are 95% and 99.8% "
    "control limits from the exact binomial distribution (Spiegelhalter, Stat Med 2005), wide for few cases "
    "and narrow for many. A dot beyond the dotted lines is unlikely to be chance alone and worth a closer look; "
    "about one unit in twenty falls between dashed and dotted lines by chance. Rates are not adjusted for case "
    "mix: filter to one condition and approach to compare like with like."
)
show_table(funnel.units_display(result, ctx.min_cell).set_index(by.capitalize()))
disclaimer()
