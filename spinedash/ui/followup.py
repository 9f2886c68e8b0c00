"""Follow-up settings shared by the Overview and Data pages: the export date completeness counts from."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from spinedash.dataset import Dataset
from spinedash.quality import default_export_date

# Session key: {dataset content key: the export date the user set}. Not a widget key, so the date
# survives moving between pages (a widget's own state is dropped on a page that does not draw it).
EXPORT_DATE_KEY = "export_date_by_dataset"


def export_date(dataset: Dataset, page: str) -> pd.Timestamp | None:
    """A date box "Export taken on", defaulting to the latest date in the file; the date in use.

    The default is `quality.default_export_date` (the latest surgery date or last follow-up
    contact in the file): an export cannot be older than the newest thing in it. None (and no box)
    when the file has no surgery dates.
    """
    default = default_export_date(dataset.cases)
    if default is None:
        return None
    chosen: dict = st.session_state.setdefault(EXPORT_DATE_KEY, {})
    value = st.date_input(
        "Export taken on",
        value=chosen.get(dataset.content_key, default.date()),
        min_value=default.date(),
        key=f"export_date_{page}",
        help=(
            "Follow-up completeness counts only patients due by this date (surgery date + the time point). "
            f"Default: the latest date in the file, {default:%Y-%m-%d} (the last surgery or follow-up contact "
            "recorded). If your export was taken later, set its date: more patients are then due."
        ),
    )
    if isinstance(value, dt.date):
        chosen[dataset.content_key] = value
        return pd.Timestamp(value)
    return default


def completeness_caption(date: pd.Timestamp | None) -> str:
    if date is None:
        return ("Share of cases with a score recorded at each time point. The file has no surgery dates, so every "
                "case counts as due at every time point.")  # fmt: skip
    return (
        f"Share of the patients due at each time point — operated at least that long before the export date, "
        f"{date:%Y-%m-%d} — who have a score recorded. Patients not yet due are left out, not counted as missing; "
        "cases without a surgery date count as due."
    )
