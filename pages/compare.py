"""Compare: two groups of cases side by side, with the right test for each outcome."""

import streamlit as st

from spinedash import analysis, comparison
from spinedash.export import export_filename, to_csv_bytes, to_xlsx_bytes
from spinedash.outcomes import mcid_note
from spinedash.tables import comparison_display, escape_markdown
from spinedash.ui import disclaimer
from spinedash.ui.common import show_table
from spinedash.ui.page import analytics_page, show_chart

ctx = analytics_page(
    "Compare",
    "Two groups of the filtered cases side by side: approach against approach, one surgeon against the rest, "
    "site against site, or technique against technique.",
)

modes = comparison.available_modes(ctx.cases)
if not modes:
    st.info("The filtered cases hold only one approach, surgeon, site and technique: there is nothing to compare.")
    disclaimer()
    st.stop()
mode = st.radio("Compare", modes, index=comparison.default_mode(modes, ctx.by), horizontal=True, key="compare_mode",
                bind="query-params")
choices = comparison.group_choices(ctx.cases, mode)
left, right = st.columns(2)
a = left.selectbox("Group A", choices, key="compare_a", bind="query-params")
if mode == "Surgeon vs the rest":
    b = None
    right.text_input("Group B", comparison.REST, disabled=True)
else:
    b = right.selectbox("Group B", [c for c in choices if c != a], key="compare_b", bind="query-params")

# Plain labels as options: a bound widget writes its label into the URL (?compare_adjust=None+…).
adjust_label = st.radio(
    "Adjust for case mix", list(analysis.ADJUSTMENTS.values()), horizontal=True, key="compare_adjust", bind="query-params",
)
adjust = next(k for k, v in analysis.ADJUSTMENTS.items() if v == adjust_label)

try:
    pair, table, balance = ctx.memo(comparison.comparison_result, mode, a, b, min_cell=ctx.min_cell, adjust=adjust)
except ValueError as error:
    st.warning(str(error))
    disclaimer()
    st.stop()

# Kept for the PDF report, with what it was computed on, so a report never pairs it with other filters.
st.session_state["compare_result"] = (ctx.dataset.content_key, ctx.filters, ctx.min_cell, pair.label_a, pair.label_b, table)
if table.empty:
    st.info("The data hold none of the outcomes this table compares (stay, return to work, 12-month scores, safety).")
else:
    st.warning(analysis.CAUSAL_CAUTION, icon=":material/warning:")
    st.header(f"{escape_markdown(pair.label_a)} (A) and {escape_markdown(pair.label_b)} (B)")
    # A short heading, then every covariate, what was left out and why: on a small file the full list is long.
    st.markdown(f"**{escape_markdown(comparison.adjustment_heading(table, adjust))}**")
    st.caption(escape_markdown(comparison.adjustment_note(table, adjust)))
    display = comparison_display(table, pair.label_a, pair.label_b)
    # Table and forest plot one above the other: side by side, nine columns would be squeezed to slivers.
    show_table(display[comparison.tidy_columns(pair.label_a, pair.label_b)].set_index("Outcome"))
    show_chart(ctx, lambda: comparison.forest_chart(table, pair.label_a, pair.label_b),
               "compare_forest", f"Differences {pair.label_b} − {pair.label_a}", key=(mode, a, b, adjust))
    st.caption(
        "Differences are B − A. Stay: medians, bootstrap 95% CI, Mann–Whitney test; adjusted as a ratio of geometric "
        "means (least squares on log stay). Return to work: Kaplan–Meier medians among patients employed before "
        "surgery (a blank “working before surgery” is not counted; the row says how many), bootstrap 95% CI, log-rank "
        "test; adjusted as a hazard ratio (Cox model). Return to daily activities: the same, for every patient. Scores at 12 months: means, Welch t-test. Shares: Newcombe CI "
        "and score test. Adjusted differences: least squares on the case mix (scores: ANCOVA; shares: risk difference "
        "with robust errors) or inverse-probability weights. "
        f"{mcid_note(ctx.cases)} {comparison.multiple_testing_note(table)} "
        f"{comparison.rest_note(mode, ctx.min_cell)}"
    )
    with st.expander("In words, outcome by outcome"):
        for row in display.itertuples(index=False):
            st.markdown(f"- **{escape_markdown(row.Outcome)}** — {escape_markdown(row[-1])} _({escape_markdown(row.Test)})_")
    if adjust == "weighting" and not balance.empty:
        st.markdown("**Balance of the case mix before and after weighting** (standardised mean differences, B − A)")
        show_table(comparison.balance_display(balance).set_index("Covariate"))
        st.caption("A standardised difference below 0.1 either way is the usual mark of balance (Austin, Stat Med 2009).")
    csv_col, xlsx_col = st.columns(2)
    csv_col.download_button(
        "Download this comparison (CSV)",
        data=lambda: to_csv_bytes(display),
        file_name=export_filename("comparison", "csv", ctx.dataset.source_label),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="compare_download",
    )
    # Excel: the table plus an About sheet with what it adjusted for and the multiple-testing sentence.
    xlsx_col.download_button(
        "Download this comparison (Excel)",
        data=lambda: to_xlsx_bytes(display, "Comparison", comparison.export_notes(table, mode, ctx.min_cell, ctx.dataset.describe())),
        file_name=export_filename("comparison", "xlsx", ctx.dataset.source_label),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        key="compare_download_xlsx",
    )
disclaimer()
