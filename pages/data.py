"""Data: upload the clinic's outcome export, see what was read, and choose the data every page shows."""

import streamlit as st

from spinedash import ui
from spinedash.ingest import data_dictionary_table
from spinedash.quality import completeness_text, levels_operated_table
from spinedash.schema import measure_sources_markdown, measure_table_short
from spinedash.tables import escape_markdown
from spinedash.ui import data_source, followup, import_wizard, template_download
from spinedash.ui.common import show_table

ui.ensure_app_router()
st.title("Data")
st.markdown(
    "Upload your service's outcome export: one or several files at once (CSV/TSV, Excel with all its sheets, "
    "Parquet), and the **import profile** you saved last time if you have one. A file SpineDash recognises — its "
    "template, a NORspine or NKR datadump, a REDCap or PROM-system export, or your own profile's — is checked and "
    "used in one step. Anything else goes through the steps: Files, Layout, Columns, Codes, Units, Check and use. "
    "The files stay in this browser session's memory: they are not saved, and are freed when you go back to the "
    "sample or shortly after you close the tab."
)
template_region = template_download.show_template_downloads()
import_wizard.show_import_wizard()

dataset = data_source.current_dataset()
st.header("Data in use")
st.markdown(escape_markdown(dataset.describe()))
if dataset.is_synthetic:
    ui.synthetic_notice()
st.button("Use the sample cohort", key="use_sample", on_click=data_source.use_sample, disabled=dataset.is_synthetic)

levels = levels_operated_table(dataset.cases)
if levels is not None:
    st.subheader("Levels operated")
    st.caption("Cases by the number of spinal levels operated (levels_operated): the file's own count, or the levels "
               "its level cells or flags name. The level column keeps the most cranial level of each case.")
    show_table(levels)
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
    "eq5d_pre (pre, 2w, 6w, 3m, 6m, 12m, 24m, or d<days> such as odi_d90). Which way is better and the default MCID with "
    "its source (author and year; in full, with where studies disagree, under the table)."
)
# Short cells, one line each, so the table reads on a tablet with the sidebar open; the full citations below.
measures = measure_table_short()
# Every measure in view at once (35 px a row and the header), rather than ten and a scroll bar inside the page's.
st.dataframe(measures, hide_index=True, width="stretch", height=35 * (len(measures) + 1) + 3, column_config={
    "default MCID or cut-off": st.column_config.TextColumn(
        "MCID or cut-off", width=105, help="The default minimal clinically important difference, or a rating's cut-off at follow-up"),
    "source": st.column_config.TextColumn(
        "source", width=140, help="Author and year: the full citation is under 'Sources in full' below"),
})
with st.expander("Sources in full: instrument, default MCID or cut-off, citation, where studies disagree"):
    st.markdown(measure_sources_markdown())
ui.disclaimer()
