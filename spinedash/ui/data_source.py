"""Which outcome data this session is looking at: the user's upload, or the bundled sample cohort.

Uploaded patient data lives only in this session's `st.session_state`: never in st.cache_data or
st.cache_resource (shared by every session of the server), never written to disk by SpineDash,
never logged. The import (spinedash/ui/import_wizard.py) reads each set of files once.

Where the uploaded bytes sit before SpineDash sees them (read in streamlit 1.67's source):
`st.file_uploader` stores each file as an `UploadedFileRec(file_id, name, type, data: bytes)` in
`MemoryUploadedFileManager.file_storage`, a per-session dict in memory
(streamlit/runtime/memory_uploaded_file_manager.py; the server creates it in
streamlit/web/server/starlette/starlette_app.py). The widget hands the page an `UploadedFile`, an
`io.BytesIO` over those bytes (streamlit/runtime/uploaded_file_manager.py). One caveat, from
streamlit/web/server/starlette/starlette_routes.py (`_upload_put`) and starlette/formparsers.py:
while the HTTP upload is being parsed, Starlette's multipart parser spools a file part larger than
1 MB (`spool_max_size`) into a `tempfile.SpooledTemporaryFile`; Streamlit then reads it into memory
and closes it. On Linux that rollover file is an anonymous, already-unlinked temporary file, so
nothing is left on disk, but the bytes do pass through $TMPDIR during the upload.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from spinedash.dataset import Dataset, without_blank_columns
from spinedash.ingest import IngestResult, OutcomeDataError
from spinedash.sample import load_sample
from spinedash.tables import escape_markdown
from spinedash.ui.common import FILTER_OPTIONS_KEY, PAGE_MEMO_KEY, show_table
from spinedash.validation import problems_frame

SAMPLE_LABEL = "Sample cohort"
_DATASET_KEY = "data_source_dataset"  # the uploaded Dataset in use; absent = the sample
_UPLOADER_GENERATION_KEY = "data_source_uploader_generation"  # bumped to give the uploader a fresh key
IMPORT_STATE_KEY = "import_state"  # the import wizard's files, tables and profile (spinedash/ui/import_wizard.py)
IMPORT_FILES_KEY = "import_files"  # the Data page's one file uploader (the import's)
IMPORT_PROFILE_KEY = "import_profile_upload"  # … and its profile uploader


@dataclass(frozen=True)
class UploadReport:
    """What reading one uploaded file gave: the result, or the error listing its problems."""

    filename: str
    content_key: str
    result: IngestResult | None = None
    error: OutcomeDataError | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


@st.cache_resource(show_spinner="Loading the sample cohort…")
def _sample_frame() -> pd.DataFrame:
    # Public synthetic data: safe to share between sessions, unlike uploads.
    return load_sample()


def _sample_cases() -> pd.DataFrame:
    """The sample cohort, read once per server. A shallow copy per call: with pandas' copy-on-write
    nothing a page does to its frame can reach the shared one, and no session pays st.cache_data's
    unpickling of 2,500 rows on every rerun (it did, twice a run)."""
    return _sample_frame().copy(deep=False)


def sample_dataset() -> Dataset:
    """The bundled synthetic sample cohort as a Dataset."""
    return Dataset(_sample_cases(), SAMPLE_LABEL, is_synthetic=True, content_key="sample")


def current_dataset() -> Dataset:
    """The data every page shows: this session's upload if it has one, else the sample cohort."""
    dataset = st.session_state.get(_DATASET_KEY)
    return dataset if isinstance(dataset, Dataset) else sample_dataset()


def use_upload(result: IngestResult, filename: str, content_key: str) -> None:
    """Put a successfully read upload in use for this session."""
    st.session_state[_DATASET_KEY] = Dataset(
        cases=without_blank_columns(result.cases),
        source_label=filename,
        is_synthetic=False,
        filename=filename,
        content_key=content_key,
        warnings=result.warnings,
    )


def uploader_key(base: str = IMPORT_FILES_KEY) -> str:
    """A Data page uploader's widget key: a new one after going back to the sample, so the
    uploader is drawn empty and Streamlit drops the old file's bytes (orphaned files are removed
    when the script run ends)."""
    generation = st.session_state.get(_UPLOADER_GENERATION_KEY, 0)
    return base if generation == 0 else f"{base}_{generation}"


def use_sample() -> None:
    """Go back to the sample cohort and let go of everything this session read from uploads: the
    cases, the read reports, the aggregates and filter choices worked out from them, and the file
    in the uploaders. (The Data page promises the file is freed when you go back to the sample.)"""
    for key in (_DATASET_KEY, PAGE_MEMO_KEY, FILTER_OPTIONS_KEY, IMPORT_STATE_KEY):
        st.session_state.pop(key, None)
    # New keys for both uploaders: they are drawn empty and Streamlit lets go of their files.
    st.session_state[_UPLOADER_GENERATION_KEY] = st.session_state.get(_UPLOADER_GENERATION_KEY, 0) + 1


def show_report(report: UploadReport) -> None:
    """The validation report: problems as a table with an error summary, or rows accepted and warnings."""
    if report.error is not None:
        n = len(report.error.problems)
        st.error(
            f"**{escape_markdown(report.filename)}** cannot be used: {n} problem{'s' if n != 1 else ''} found. "
            "Correct them in the file or in the import's steps and check again; the data in use has not changed.",
            icon=":material/error:",
        )
        # st.table, not st.dataframe: every message is read in full, wrapped, and the text is in the page.
        show_table(problems_frame(report.error.problems), hide_index=True)
        show_refusal_hints(report.error)
        return
    result = report.result
    skipped = result.rows_read - result.rows_accepted
    wide = (result.layout or {}).get("kind", "wide") == "wide"  # other layouts turn several rows into one case
    st.success(
        f"**{escape_markdown(report.filename)}**: {result.rows_accepted:,} cases accepted and now in use"
        + ((f" ({result.rows_read:,} rows read, {skipped:,} blank)." if wide else f" (from {result.rows_read:,} rows).")
           if skipped else "."),
        icon=":material/check_circle:",
    )
    if result.warnings:
        st.warning("\n".join(f"- {escape_markdown(w)}" for w in result.warnings), icon=":material/warning:")
    if result.info:
        st.info("\n".join(f"- {escape_markdown(w)}" for w in result.info), icon=":material/info:")
    with st.expander("How the columns were read"):
        mapping = pd.DataFrame({"column in your file": list(result.column_mapping), "read as": list(result.column_mapping.values())})
        st.dataframe(mapping, hide_index=True, width="stretch")


def show_refusal_hints(error: OutcomeDataError) -> None:
    """What a refused file still told SpineDash: the columns it recognised and where the missing ones may be."""
    hints = getattr(error, "hints", [])
    recognised = getattr(error, "recognised", {})
    if hints:
        st.info("\n".join(f"- {escape_markdown(h)}" for h in hints), icon=":material/lightbulb:")
    if recognised:
        with st.expander("What SpineDash recognised in the file"):
            st.dataframe(pd.DataFrame({"column in your file": list(recognised), "read as": list(recognised.values())}),
                         hide_index=True, width="stretch")


def show_data_source_in_sidebar() -> None:
    """The data in use, in the sidebar of every page, with a way back to the sample."""
    dataset = current_dataset()
    st.markdown("**Data in use**")
    st.caption(escape_markdown(dataset.describe()))
    if not dataset.is_synthetic:
        st.button("Back to the sample cohort", key="sidebar_use_sample", on_click=use_sample, icon=":material/undo:")
