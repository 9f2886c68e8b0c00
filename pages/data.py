"""Data: upload the clinic's outcome export, see what was read, and choose the data every page shows."""

import streamlit as st

from spinedash import ui
from spinedash.ingest import MAX_UPLOAD_MB, data_dictionary_table
from spinedash.quality import completeness_text
from spinedash.schema import measure_table
from spinedash.tables import escape_markdown
from spinedash.ui import data_source, followup, import_wizard, template_download
from spinedash.ui.common import show_table

ui.ensure_app_router()
st.title("Data")
st.markdown(
    "Upload your service's outcome export — one row per operated case — as CSV, Excel (.xlsx) or "
    "Parquet. Column names may be your registry's own (\"Patient ID\", \"LOS (days)\", \"VAS leg "
    "pre-op\"); the template and the data dictionary below show what SpineDash reads. The file stays "
    "in this browser session's memory: it is not saved, and is freed when you go back to the sample or shortly after you close the tab."
)
st.file_uploader(
    "Outcome export",
    type=["csv", "tsv", "txt", "xlsx", "xls", "parquet"],
    key=data_source.uploader_key(),
    on_change=data_source.on_upload_change,
    help=f"CSV (comma, semicolon or tab), XLSX or Parquet, up to {MAX_UPLOAD_MB} MB.",
)
template_region = template_download.show_template_downloads()

report = data_source.last_report()
if report is not None:
    data_source.show_report(report)

import_wizard.show_import_wizard()

dataset = data_source.current_dataset()
st.header("Data in use")
st.markdown(escape_markdown(dataset.describe()))
if dataset.is_synthetic:
    ui.synthetic_notice()
st.button("Use the sample cohort", key="use_sample", on_click=data_source.use_sample, disabled=dataset.is_synthetic)

st.subheader("Follow-up completeness")
export_date = followup.export_date(dataset, "data")
st.caption(followup.completeness_caption(export_date) + " — where the measure is not asked then.")
show_table(completeness_text(dataset.cases, export_date))
st.subheader("Preview")
st.caption("The first 50 rows as SpineDash read them: VAS 0–10, stay in hours, dates as dates.")
st.dataframe(dataset.cases.head(50), hide_index=True, width="stretch",
             column_config={"surgery_date": st.column_config.DateColumn(format="YYYY-MM-DD")})
st.subheader("Data dictionary")
st.dataframe(data_dictionary_table(template_region), hide_index=True, width="stretch")
st.subheader("Outcome measures")
st.caption(
    "Every score SpineDash reads, from data/measures.csv: a column is the measure and a time point, e.g. ndi_12m or "
    "eq5d_pre (pre, 2w, 6w, 3m, 6m, 12m, 24m, or d<days> such as odi_d90). Which way is better, the default MCID with its "
    "source, and where studies disagree."
)
st.dataframe(measure_table(), hide_index=True, width="stretch")
ui.disclaimer()
