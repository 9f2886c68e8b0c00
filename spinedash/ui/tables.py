"""Tables under the charts: estimates with their CI and n, as spinedash.tables formats them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from spinedash.analysis import KMResult, km_data_notes
from spinedash.tables import at_risk_display, km_median_display, summary_display
from spinedash.ui.common import show_table


def summary_table(summary: pd.DataFrame, value_label: str, min_cell: int, group_title: str = "Approach") -> None:
    """Median with 95% CI and quartiles per group."""
    show_table(summary_display(summary, value_label, min_cell, group_title).set_index(group_title))


def km_tables(km: KMResult, min_cell: int, group_title: str = "Approach") -> None:
    """Median days with 95% CI per group, and the number-at-risk table under a Kaplan–Meier chart."""
    show_table(km_median_display(km.medians, min_cell, group_title).set_index(group_title))
    st.caption("Number still not returned (at risk) on each day after surgery:")
    show_table(at_risk_display(km.at_risk, min_cell, group_title, km.medians).set_index(group_title))
    for note in km_data_notes(km):
        st.caption(note)
