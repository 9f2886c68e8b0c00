"""Recovery: hospital stay, return to daily activities and to work, operation time and blood loss."""

import streamlit as st

from spinedash import analysis, charts
from spinedash.benchmarks import benchmarks_for_view
from spinedash.ui import disclaimer
from spinedash.ui.layout import chart_row
from spinedash.ui.page import analytics_page, needs_columns_message, show_chart
from spinedash.ui.tables import km_tables, summary_table

ctx = analytics_page(
    "Recovery",
    "How long patients stayed in hospital and how soon they were back to daily activities and work, by approach.",
)
k = ctx.min_cell
by, group = ctx.by, ctx.group_title  # sidebar "Split charts by": approach or technique

st.header("Hospital stay")
left, right = chart_row("stay")
with left:
    show_chart(
        ctx,
        lambda: charts.distribution_chart(
            ctx.memo(analysis.summarise_distribution, "length_of_stay_hours", by=by, min_cell=k),
            "Hospital stay", "hours", title=f"Hospital stay by {group.lower()}", subtitle=ctx.chart_subtitle, min_cell=k,
            benchmarks=benchmarks_for_view("length_of_stay_hours", ctx.cases) if by == "approach" else None,
            group_title=group,
        ),
        "hospital_stay", f"Hospital stay by {group.lower()}", key=by,
    )
with right:
    show_chart(
        ctx,
        lambda: charts.share_chart(
            ctx.memo(analysis.discharge_shares, by=by, min_cell=k), subtitle=ctx.chart_subtitle, min_cell=k, group_title=group
        ),
        "discharge_shares", "Discharged home the same day and within 24 hours", key=by,
    )
if "length_of_stay_hours" in ctx.cases.columns:
    summary_table(ctx.memo(analysis.summarise_distribution, "length_of_stay_hours", by=by, min_cell=k), "Median stay (hours)", k, group)
st.caption(
    f"Box: middle half of stays (quartiles); line: 5th–95th percentile; tick: median with its 95% CI. "
    f"Same day = stay of {analysis.SAME_DAY_MAX_HOURS:g} hours or less (the data have no discharge date)."
)

st.header("Return to daily activities and to work")
st.caption(
    "Kaplan–Meier curves: patients not yet back at their last follow-up count until then (censored), "
    "not as failures. Return to work only among patients employed before surgery."
)
for column, title, name, employed_only, y_title in (
    ("return_to_activities_days", "Return to daily activities", "return_to_activities", False,
     "Share back to daily activities (%)"),
    ("return_to_work_days", "Return to work (employed before surgery)", "return_to_work", True,
     "Share returned to work (%)"),
):
    st.subheader(title)
    try:
        km = ctx.memo(analysis.kaplan_meier, column, by=by, min_cell=k, employed_only=employed_only)
    except analysis.MissingColumnError as error:
        st.info(needs_columns_message(error), icon=":material/info:")
        continue
    show_chart(
        ctx,
        lambda km=km, title=title, y_title=y_title: charts.km_chart(
            km.curves, km.medians, title, subtitle=ctx.chart_subtitle, y_title=y_title, min_cell=k, max_days=365,
            group_title=group,
        ),
        name, title, key=by,
    )
    km_tables(km, k, group)

st.header("Operation")
left, right = chart_row("operation")
for column, label, unit, name, holder in (
    ("operation_minutes", "Operation time", "minutes", "operation_time", left),
    ("blood_loss_ml", "Blood loss", "mL", "blood_loss", right),
):
    with holder:
        show_chart(
            ctx,
            lambda column=column, label=label, unit=unit: charts.distribution_chart(
                ctx.memo(analysis.summarise_distribution, column, by=by, min_cell=k),
                label, unit, title=f"{label} by {group.lower()}", subtitle=ctx.chart_subtitle, min_cell=k,
                benchmarks=benchmarks_for_view(column, ctx.cases) if by == "approach" else None, group_title=group,
            ),
            name, f"{label} by {group.lower()}", key=by,
        )

disclaimer()
