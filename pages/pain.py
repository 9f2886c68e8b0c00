"""Pain and function: VAS leg, VAS back and ODI over follow-up, change from baseline, MCID rates."""

import streamlit as st

from spinedash import analysis, charts
from spinedash.benchmarks import benchmarks_for_view
from spinedash.schema import PAIN_MEASURES
from spinedash.tables import mcid_display, trajectory_display
from spinedash.ui import disclaimer
from spinedash.ui.common import show_table
from spinedash.ui.page import analytics_page, show_chart

ctx = analytics_page(
    "Pain and function",
    "Leg pain, back pain (VAS 0–10) and disability (ODI 0–100) before surgery and over the first year, by approach.",
)
k = ctx.min_cell

with st.expander("How a patient counts as reaching the MCID", icon=":material/info:"):
    st.markdown(analysis.MCID_DEFINITION)
    st.caption(f"Defaults: {analysis.MCID_DEFAULTS_SOURCE}. Change them per measure below.")

# Plain labels as options: a bound widget writes its label into the URL (?pain_measure=ODI).
MEASURE_CHOICES = {"VAS leg": "vas_leg", "VAS back": "vas_back", "ODI": "odi"}
choice = st.segmented_control(
    "Measure", list(MEASURE_CHOICES), default="VAS leg", key="pain_measure", bind="query-params", required=True
)
measure = MEASURE_CHOICES[choice]
label = PAIN_MEASURES[measure]["label"]

st.header(f"{label} over follow-up")
show_chart(
    ctx,
    lambda: charts.trajectory_chart(
        ctx.memo(analysis.pain_trajectory, measure, min_cell=k), label,
        benchmarks=benchmarks_for_view(measure, ctx.cases), title=f"{label}: mean with 95% CI",
        subtitle=ctx.chart_subtitle, min_cell=k, y_max=PAIN_MEASURES[measure]["max"],
    ),
    f"{measure}_trajectory", f"{label}: mean with 95% CI",
)
st.caption("“Before surgery” is the true pre-operative score; hover a point for the number of patients behind it.")
try:
    show_table(trajectory_display(ctx.memo(analysis.pain_trajectory, measure, min_cell=k), k).set_index("Approach"))
except analysis.MissingColumnError:
    pass

st.header("Change from before surgery")
show_chart(
    ctx,
    lambda: charts.change_chart(
        ctx.memo(analysis.pain_change, measure, min_cell=k), label,
        benchmarks=benchmarks_for_view(measure, ctx.cases, kind="change"),
        title="Change from before surgery", subtitle=ctx.chart_subtitle, min_cell=k,
    ),
    f"{measure}_change", f"{label}: change from before surgery",
)
st.caption("Mean paired change among patients with both scores; below zero = better.")


@st.fragment
def mcid_section() -> None:
    """Threshold, chart and table of MCID responders: a new threshold reruns only this section."""
    st.header("Patients reaching the MCID")
    threshold = st.number_input(
        f"MCID threshold for {label} (points of improvement)",
        min_value=0.1, max_value=float(PAIN_MEASURES[measure]["max"]), step=0.1,
        value=float(analysis.MCID_DEFAULTS[measure]), key=f"mcid_{measure}", bind="query-params",
        help=f"Default {analysis.MCID_CITATIONS[measure]}. NORspine's stricter success definition "
        f"uses {analysis.MCID_ALTERNATIVES['NORspine success'][measure]:g} points (PMC10851101).",
    )
    show_chart(
        ctx,
        lambda: charts.mcid_chart(
            ctx.memo(analysis.mcid_rates, measure, threshold, min_cell=k), f"improved by ≥ {threshold:g} points",
            benchmarks=benchmarks_for_view(f"mcid_{measure}", ctx.cases), subtitle=ctx.chart_subtitle, min_cell=k,
        ),
        f"{measure}_mcid", f"{label}: patients reaching the MCID", key=threshold,
    )
    st.caption("Share improved by at least the threshold, with Wilson 95% confidence intervals.")
    try:
        show_table(mcid_display(ctx.memo(analysis.mcid_rates, measure, threshold, min_cell=k), k).set_index("Approach"))
    except analysis.MissingColumnError:
        pass


mcid_section()
st.caption(
    "Hollow grey marks are published figures from other cohorts (shown when one condition is selected), "
    "for orientation only: they are not your data."
)
disclaimer()
