"""Overview: what SpineDash is, and the headline figures an administrator needs in one screen."""

import streamlit as st

from spinedash import analysis, overview, quality
from spinedash.outcomes import region_phrase
from spinedash.schema import MEASURES
from spinedash.tables import escape_markdown
from spinedash.ui import demo, disclaimer, followup
from spinedash.ui.layout import card_row, chart_row
from spinedash.ui.page import analytics_page, show_chart

ctx = analytics_page(
    "SpineDash",
    "Outcomes review for spine surgery: the procedures, and what your service achieves with them.",
)
# Headline figures first: at 1366×768 the first number was ~1,575 px down, under two paragraphs.
st.header("Headline figures")
# The score cards follow the catalogue's headline rank for the region in view: VAS leg for a lumbar
# file; a cervical one's arm pain (mean change: no published MCID) and its first score with an MCID.
measure, change_measure = ctx.memo(overview.headline_scores)  # ~0.1 s at a million cases: remembered
threshold = analysis.mcid_default(measure) if measure else None
figures = ctx.memo(overview.headline_figures, min_cell=ctx.min_cell, mcid_threshold=threshold, measure=measure,
                   change_measure=change_measure)
cards = card_row("headline")
for row in figures.itertuples(index=False):
    with cards.container(border=True, key=f"card_{row.key}"):
        # The qualifier in brackets goes to the help text; the card shows the short name in full.
        sentence = row.comparison_sentence if isinstance(row.comparison_sentence, str) else ""
        st.metric(row.figure.split(" (")[0], row.display, help=f"{row.figure}; based on {row.n_display} cases. {sentence}")
        st.caption(overview.card_comparison(row._asdict()) or overview.n_text(row.n_display))
st.caption(
    "Minimally invasive = full-endoscopic, tubular and microscopic surgery; open surgery is the contrast. "
    f"The comparison covers {region_phrase(ctx.cases)} cases"
    + (" together: choose one spine region in the sidebar to compare like with like. " if " and " in region_phrase(ctx.cases) else ". ")
    + "These are observational figures: patients were not allocated to approaches at random."
    + (" The cards compare approach families; split by technique, the charts below show each technique, and "
       "Compare sets one technique against another." if ctx.by == "technique" else "")
)
demo.start_button(disabled=not ctx.dataset.is_synthetic)
if not ctx.dataset.is_synthetic:
    st.caption("The guided demo runs on the synthetic sample cohort: switch to it on the Data page.")

st.header("Activity and trends")
left, right = chart_row("volume_stay")
with left:
    show_chart(
        ctx, lambda: overview.volume_chart(ctx.memo(overview.volume_by_quarter, min_cell=ctx.min_cell, by=ctx.by), ctx.group_title),
        "volume", f"Operations per quarter by {ctx.group_title.lower()}", key=ctx.by,
    )
with right:
    trend = ctx.memo(overview.trend_by_quarter, min_cell=ctx.min_cell, mcid_threshold=threshold, measure=measure, by=ctx.by)
    show_chart(
        ctx, lambda: overview.trend_chart(trend, "median_stay_hours", "Median hospital stay per quarter", "Hospital stay (hours)",
                                          ctx.group_title),
        "stay_trend", "Median hospital stay per quarter", key=ctx.by,
    )
left, right = chart_row("mcid_completeness")
with left:
    if measure is None:
        st.info("Not shown: no score in this view has a published MCID recorded before surgery and at 12 months. "
                "Set your own threshold on Patient-reported outcomes.", icon=":material/info:")
    else:
        mcid_title = f"{MEASURES[measure].short_label} MCID reached at 12 months, per quarter"
        show_chart(ctx, lambda: overview.mcid_trend_chart(trend, mcid_title, ctx.group_title), "mcid_trend", mcid_title,
                   key=(measure, ctx.by))
with right:
    export_date = followup.export_date(ctx.dataset, "overview")
    show_chart(
        ctx, lambda: overview.completeness_chart(ctx.memo(quality.followup_completeness, export_date)),
        "completeness", "Follow-up completeness per time point", key=export_date,
    )
    st.caption(followup.completeness_caption(export_date) + " A registry's first quality question.")
st.header("About SpineDash")
st.markdown(
    "SpineDash puts what is known about each spine operation — full-endoscopic discectomy, tubular "
    "minimally invasive surgery, microscopic surgery and traditional open surgery — beside the outcomes "
    "a service achieves with them: hospital stay, return to daily activities and work, and what patients "
    "report — pain, disability, quality of life — over follow-up. It runs on a laptop, offline, on your clinic's own export."
)
st.markdown(
    f"It is built for **spine surgeons** reviewing their results and for **hospital administrators** who "
    f"want to see what minimally invasive approaches change. It is showing **{escape_markdown(ctx.dataset.describe())}**; "
    "load your own export on the Data page. The procedure facts come from five source documents, each "
    "named beside the fact. SpineDash supports review of outcomes and is **not medical advice**."
)
disclaimer()
