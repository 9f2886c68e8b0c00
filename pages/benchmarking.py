"""Benchmarking: surgeons or sites on a risk-adjusted funnel plot, the registries' way of showing who stands out."""

import streamlit as st

from spinedash import funnel
from spinedash.comparison import available_modes
from spinedash.ui import disclaimer
from spinedash.ui.common import show_table
from spinedash.ui.layout import chart_row
from spinedash.ui.page import analytics_page, show_chart, technique_choice

ctx = analytics_page(
    "Benchmarking",
    "Each surgeon (or site) as a dot at its number of cases and its result, against funnel-shaped control "
    "limits around the overall result — not a league table ranked by noise.",
)
units = [u for u, mode in (("Surgeon", "Surgeon vs the rest"), ("Site", "Site vs site")) if mode in available_modes(ctx.cases)]
if not units:
    st.info("Benchmarking needs a surgeon or site column with at least two values in the filtered cases.")
    disclaimer()
    st.stop()
# Control rows wrap like chart rows: three columns at 820 px cut "Unadjusted" and the toggle's label.
left, right = chart_row("funnel_choice", 2)
# Plain labels as options: a bound widget writes its label into the URL (?funnel_by=Site).
by = left.segmented_control("Compare", units, default=units[0], key="funnel_by", bind="query-params", required=True).lower()
# Only the measures these cases record, the view's headline score first (catalogue rank for the region in view).
offered = ctx.memo(funnel.offered_measures)  # ~0.1 s at a million cases: remembered
measure = right.selectbox(
    "Measure", offered, format_func=lambda m: funnel.MEASURES[m]["label"],
    key="funnel_measure", bind="query-params",
)
# Technique is a filter here, not a split: a funnel is one dot per surgeon or site.
narrowed = technique_choice(ctx, key="funnel_technique")
if narrowed is None:
    disclaimer()
    st.stop()
if ctx.by == "technique":
    st.caption("A funnel is one dot per surgeon or site, so it is not split by technique: choose a technique above to "
               "draw the funnel for its cases alone, or set one technique against another on Compare.")
ctx = narrowed
left, middle, right = chart_row("funnel_controls", 3)
case_mix = left.segmented_control(
    "Case mix", ["Risk-adjusted", "Unadjusted"], default="Risk-adjusted", key="funnel_case_mix", bind="query-params", required=True
)
adjust = case_mix == "Risk-adjusted"
with_approach = middle.toggle(
    "Adjust for approach", value=True, key="funnel_adjust_approach", disabled=not adjust,
    help="Off when choosing the approach is part of what you want to judge: a surgeon who picks the open approach "
    "more often is then compared with the overall mix of approaches.",
)
dispersion = right.selectbox(
    "Over-dispersion allowance", list(funnel.DISPERSION), format_func=funnel.DISPERSION.get, key="funnel_dispersion",
    help="When units differ more than chance allows (φ > 1), widen the limits (Spiegelhalter 2005).",
)
try:
    result = ctx.memo(funnel.funnel_data, by=by, measure=measure, min_cell=ctx.min_cell, adjust=adjust,
                      adjust_for_approach=with_approach, dispersion=dispersion)
except funnel.FunnelError as error:
    st.info(f"Not shown: {error}")
    disclaimer()
    st.stop()
title = funnel.y_axis_title(result) + f" by {by}"
show_chart(ctx, lambda: funnel.funnel_chart(result, title), f"funnel_{by}_{measure}_{case_mix}_{with_approach}_{dispersion}", title,
           key=ctx.filters.techniques)
st.markdown(f"**{funnel.adjustment_text(result)}** {funnel.dispersion_text(result)}")
st.markdown(
    "**How to read it.** The solid line is the overall result; the dashed and dotted lines are 95% and 99.8% "
    "control limits (Spiegelhalter, Stat Med 2005), wide for few cases and narrow for many. A dot beyond the "
    "dotted lines is unlikely to be chance alone and worth a closer look; about one unit in twenty falls between "
    "dashed and dotted lines by chance. Risk-adjusted, each unit is set against what the model expects for its "
    "own patients (O/E), so a unit is not flagged for operating on harder cases."
)
show_table(funnel.units_display(result, ctx.min_cell).set_index(by.capitalize()))
with st.expander("The case-mix model"):
    st.markdown(funnel.model_text(result))
    model_terms = funnel.model_table(result)
    if not model_terms.empty:
        show_table(model_terms.set_index("Term"))
disclaimer()
