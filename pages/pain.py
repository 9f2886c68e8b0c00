"""Patient-reported outcomes: every catalogue measure the data hold for the region in view —
trajectory, change from before surgery and the share reaching the MCID (or a rating's cut-off)."""

from dataclasses import replace

import streamlit as st

from spinedash import analysis, charts
from spinedash.benchmarks import benchmarks_for_view
from spinedash.outcomes import cases_for_region, headline_measure, measure_overview, measures_in_view, regions_in_view
from spinedash.privacy import count_text
from spinedash.tables import MCID_TABLE_NOTE, TRAJECTORY_TABLE_NOTE, mcid_display, trajectory_display
from spinedash.ui import disclaimer
from spinedash.ui.common import show_table
from spinedash.ui.page import analytics_page, show_chart

ctx = analytics_page(
    "Patient-reported outcomes",
    "What patients report — pain, disability, myelopathy, quality of life, satisfaction — before surgery and "
    "over follow-up, for the spine region in view.",
)

# Cervical and lumbar scores are never pooled: a view of several regions is shown one at a time.
regions = regions_in_view(ctx.cases)
if len(regions) > 1:
    region = st.segmented_control(
        "Spine region", regions, default=regions[0], key="pro_region", bind="query-params", required=True
    )
    st.caption("Cases from different spine regions are shown one region at a time, never pooled in one chart.")
    ctx = replace(ctx, cases=cases_for_region(ctx.cases, region), filters=replace(ctx.filters, regions=(region,)))
k = ctx.min_cell
by, group = ctx.by, ctx.group_title


def figures(measure_id: str, kind: str | None = None):
    """Published figures are per approach: drawn only when the charts split by approach."""
    return benchmarks_for_view(measure_id, ctx.cases, kind=kind) if by == "approach" else None


measures = measures_in_view(ctx.cases)
if not measures:
    st.info(
        "No patient-reported scores in this view. Columns such as vas_leg_pre, ndi_12m or eq5d_24m add them "
        "(the Data page lists every measure SpineDash reads).",
        icon=":material/info:",
    )
    disclaimer()
    st.stop()

st.header("Measures in this view")
show_table(measure_overview(ctx.cases).set_index("Measure"))

# Short labels as options: a bound widget writes its label into the URL (?pain_measure=ODI).
choices = {m.short_label: m for m in measures}
# The default is the region's headline score by the catalogue's rank (VAS leg for lumbar, arm pain for cervical).
lead = ctx.memo(headline_measure)  # ~40 ms at a million cases: remembered
default = next((label for label, m in choices.items() if m.id == lead), next(iter(choices)))
choice = st.segmented_control("Measure", list(choices), default=default, key="pain_measure", bind="query-params", required=True)
m = choices.get(choice) or choices[default]
measure, label = m.id, m.label_with_scale
better = "a rise is an improvement" if m.higher_is_better else "a fall is an improvement"

st.header(f"{label} over follow-up")
st.caption(f"{m.instrument}; {better}.")
if m.has_mean:
    PATIENT_CHOICES = {"All available": False, "Patients with every time point": True}
    patients = st.segmented_control(
        "Patients at each time point", list(PATIENT_CHOICES), default="All available", key="pain_patients",
        bind="query-params", required=True,
        help="All available: everyone with a score at that time point, so the patients differ from point to point. "
        "Patients with every time point: the same patients throughout.",
    )
    complete_only = PATIENT_CHOICES.get(patients, False)
    which = "patients with every time point" if complete_only else "all available"
    show_chart(
        ctx,
        lambda: charts.trajectory_chart(
            ctx.memo(analysis.pain_trajectory, measure, by=by, min_cell=k, complete_only=complete_only), label,
            benchmarks=figures(measure), title=f"{label}: mean with 95% CI ({which})",
            subtitle=ctx.chart_subtitle, min_cell=k, y_max=m.scale_max, y_min=min(0.0, m.scale_min), group_title=group,
        ),
        f"{measure}_trajectory", f"{label}: mean with 95% CI ({which})", key=(by, complete_only),
    )
    try:
        complete, total = ctx.memo(analysis.complete_followup_count, measure)
        st.caption(
            f"{count_text(complete, k)} of {total:,} patients have a {label} score at every time point. "
            + ("Only they are shown: the same patients at every point." if complete_only else
               "“All available” uses everyone with a score at each point, so the patients differ between points: "
               "if those who do badly stop coming, later means look better with no sign of it. Compare with "
               "“Patients with every time point”.")
            + " “Before surgery” is the true pre-operative score; the table below gives the patients behind each mean."
        )
        table = trajectory_display(ctx.memo(analysis.pain_trajectory, measure, by=by, min_cell=k, complete_only=complete_only), k, group).set_index(group)
    except analysis.MissingColumnError:
        pass
    else:
        st.caption(TRAJECTORY_TABLE_NOTE)
        show_table(table)
else:
    # The catalogue's `summary` is "share": an ordinal answer whose codes are not distances has no mean.
    st.info(analysis.share_only_sentence(measure), icon=":material/info:")

if m.kind == "score":
    st.header("Change from before surgery")
    show_chart(
        ctx,
        lambda: charts.change_chart(
            ctx.memo(analysis.pain_change, measure, by=by, min_cell=k), label,
            benchmarks=figures(measure, kind="change"),
            title="Change from before surgery", subtitle=ctx.chart_subtitle, min_cell=k, group_title=group,
            higher_is_better=m.higher_is_better,
        ),
        f"{measure}_change", f"{label}: change from before surgery", key=by,
    )
    st.caption(
        "Mean paired change among patients with both scores; "
        + ("above zero = better." if m.higher_is_better else "below zero = better.")
    )


@st.fragment
def threshold_section() -> None:
    """Threshold, chart and table of responders: a new threshold reruns only this section."""
    default_value = analysis.mcid_default(measure)
    if m.kind == "rating":
        st.header("Patients reaching the cut-off")
        threshold = st.number_input(
            f"Cut-off for {m.label} ({'at least' if m.higher_is_better else 'at most'})",
            min_value=float(m.scale_min), max_value=float(m.scale_max), step=1.0, value=default_value,
            key=f"mcid_{measure}", bind="query-params", help=m.cutoff_source,
        )
        phrase = f"rated {threshold:g} or {'more' if m.higher_is_better else 'less'}"
    else:
        st.header("Patients reaching the MCID")
        with st.expander("How a patient counts as reaching the MCID", icon=":material/info:"):
            st.markdown(analysis.MCID_DEFINITION)
            st.markdown(analysis.mcid_default_text(measure))
            st.markdown(
                f"For {m.label} {better}: improvement = "
                + ("score at follow-up − score before surgery." if m.higher_is_better else "score before surgery − score at follow-up.")
            )
        source = m.mcid_source if default_value is not None else "no published default: set your own"
        threshold = st.number_input(
            f"MCID threshold for {label} (points of improvement)",
            min_value=10 ** -m.decimals / 10 if m.decimals else 0.1, max_value=float(m.scale_max - m.scale_min),
            step=0.01 if m.decimals >= 2 else 0.1, value=default_value, key=f"mcid_{measure}", bind="query-params",
            placeholder="Set your own threshold",
            help=f"Default: {source}." + (f" Where studies disagree: {m.mcid_range}." if m.mcid_range else ""),
        )
        if threshold is None:
            st.info(
                f"{m.label} has no published default MCID in SpineDash's sources"
                + (f" ({m.mcid_range})" if m.mcid_range else "")
                + ". Enter the threshold your service uses to see who reached it.",
                icon=":material/edit:",
            )
            return
        phrase = f"improved by ≥ {threshold:g} points"
    exclude = m.kind == "score" and st.checkbox(
        "Leave out patients who cannot reach the MCID", key=f"mcid_exclude_{measure}", bind="query-params",
        help="A patient whose score before surgery leaves less room than the threshold (VAS back 2 before surgery, "
        "MCID 2.7) can never respond, whatever the operation achieved.",
    )
    if exclude:
        phrase += ", among those who could"
    rates = ctx.memo(analysis.mcid_rates, measure, threshold, by=by, min_cell=k, exclude_cannot_reach=exclude)
    show_chart(
        ctx,
        lambda: charts.mcid_chart(
            rates, phrase, benchmarks=figures(f"mcid_{measure}"), subtitle=ctx.chart_subtitle, min_cell=k, group_title=group,
        ),
        f"{measure}_mcid", f"{label}: patients reaching the threshold", key=(threshold, by, exclude),
    )
    st.caption(
        "Share reaching the threshold, with Wilson 95% confidence intervals. "
        + analysis.cannot_reach_sentence(rates, threshold, m.label, exclude)
    )
    try:
        table = mcid_display(rates, k, group).set_index(group)
    except analysis.MissingColumnError:
        pass
    else:
        st.caption(MCID_TABLE_NOTE)
        show_table(table)


threshold_section()
st.caption(
    "Hollow grey marks are published figures from other cohorts (shown when one condition and one spine "
    "region are in view, and only figures from that region), for orientation only: they are not your data."
)
disclaimer()
