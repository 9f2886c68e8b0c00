"""Report and export: the filtered cases as CSV/XLSX and a PDF summary for a committee."""


import streamlit as st

from spinedash.export import XLSX_MAX_ROWS, cases_for_export, export_filename, to_csv_bytes, to_xlsx_bytes
from spinedash.privacy import count_text
from spinedash.report import build_report
from spinedash.summary import summary_content
from spinedash.tables import escape_markdown
from spinedash.ui import disclaimer
from spinedash.ui.page import analytics_page

ctx = analytics_page(
    "Report and export",
    "Take the filtered results out of SpineDash: the cases for a spreadsheet, a PDF summary for a meeting.",
)
# The export date is stated once, by to_xlsx_bytes on the About sheet.
notes = [f"Data source: {ctx.dataset.describe()}", f"Filters: {ctx.subtitle[0]}", "SpineDash supports review of outcomes; not medical advice."]

st.header("Filtered cases")
st.write(f"{count_text(len(ctx.cases), ctx.min_cell)} cases, {ctx.cases.shape[1]} columns. Text cells that a spreadsheet would run as a "
         "formula (starting with =, +, -, @, tab or carriage return) are prefixed with ' so they stay text.")
left, right = st.columns(2)
left.download_button(
    "Cases as CSV", data=lambda: to_csv_bytes(cases_for_export(ctx.cases)), file_name=export_filename("cases", "csv", ctx.dataset.source_label),
    mime="text/csv", icon=":material/download:", on_click="ignore", key="export_csv",
)
if len(ctx.cases) <= XLSX_MAX_ROWS:
    right.download_button(
        "Cases as Excel (.xlsx)", data=lambda: to_xlsx_bytes(cases_for_export(ctx.cases), notes=notes),
        file_name=export_filename("cases", "xlsx", ctx.dataset.source_label),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:", on_click="ignore", key="export_xlsx",
    )
else:
    right.info(f"Excel export is offered up to {XLSX_MAX_ROWS:,} cases; filter further or use the CSV.")

st.header("Summary report (PDF)")
st.write("Title, date, data source, active filters, the headline figures, the key recovery charts and the view's "
         "headline patient-reported score (by the measure catalogue, for the spine region in view), the "
         "comparison from the Compare page if it was set with these same filters, method notes and sources.")
compared = st.session_state.get("compare_result")
same_view = compared is not None and compared[:3] == (ctx.dataset.content_key, ctx.filters, ctx.min_cell)
st.caption(f"Comparison included: {escape_markdown(compared[3])} vs {escape_markdown(compared[4])}." if same_view
           else "No comparison included: set one on the Compare page with these filters to add it.")
report_key = (ctx.dataset.content_key, ctx.filters, ctx.min_cell, compared[3:5] if same_view else None)
if st.button("Prepare the PDF report", icon=":material/picture_as_pdf:", key="report_prepare"):
    with st.status("Building the report…", expanded=True) as status:
        st.write("Working out the figures and drawing the charts…")
        content = summary_content(ctx.dataset, ctx.cases, ctx.filters, ctx.min_cell,
                                  compared[3:] if same_view else None)
        st.write("Laying out the pages…")
        st.session_state["report_pdf"] = (report_key, build_report(content))
        status.update(label="Report ready", state="complete", expanded=False)
ready = st.session_state.get("report_pdf")
if ready and ready[0] == report_key:
    st.download_button(
        "Download the PDF report", data=ready[1], file_name=export_filename("summary", "pdf", ctx.dataset.source_label),
        mime="application/pdf", icon=":material/download:", type="primary", on_click="ignore", key="report_download",
    )
elif ready:
    st.caption("The filters changed since the last report: prepare it again.")
disclaimer()
