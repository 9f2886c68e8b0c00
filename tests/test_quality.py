"""Follow-up completeness per measure and time point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinedash import schema
from spinedash.quality import completeness_text, completeness_wide, followup_completeness


def test_shares_worked_by_hand():
    cases = pd.DataFrame(
        {
            "vas_leg_pre": [7.0, 6.0, 8.0, 5.0],  # 4 of 4
            "vas_leg_12m": [1.0, np.nan, np.nan, 2.0],  # 2 of 4 = 0.5
            "odi_6w": [np.nan, np.nan, np.nan, 30.0],  # 1 of 4 = 0.25
        }
    )
    table = followup_completeness(cases).set_index(["measure", "time point"])
    assert table.loc[("VAS leg", "Before surgery"), "share"] == 1.0
    assert table.loc[("VAS leg", "12 months"), "share"] == 0.5
    assert table.loc[("ODI", "6 weeks"), "cases with a value"] == 1
    assert table.loc[("ODI", "6 weeks"), "share"] == 0.25
    assert table.loc[("VAS back", "2 weeks"), "share"] == 0.0  # column absent = nothing recorded
    n_rows = sum(len(info["timepoints"]) for info in schema.PAIN_MEASURES.values())
    assert len(table) == n_rows == 16


def test_empty_table_gives_nan_shares():
    assert followup_completeness(pd.DataFrame()).share.isna().all()


def test_wide_layout():
    cases = pd.DataFrame({"vas_leg_pre": [1.0, np.nan], "odi_12m": [3.0, 4.0]})
    wide = completeness_wide(cases)
    assert wide.index.tolist() == ["VAS leg", "VAS back", "ODI"]
    assert wide.columns.tolist() == ["Before surgery", "2 weeks", "6 weeks", "3 months", "6 months", "12 months"]
    assert wide.loc["VAS leg", "Before surgery"] == 0.5
    assert wide.loc["ODI", "12 months"] == 1.0
    assert np.isnan(wide.loc["ODI", "2 weeks"])  # ODI is not recorded at 2 weeks


def test_text_layout_rounds_and_marks_not_recorded():
    cases = pd.DataFrame({"vas_leg_pre": [1.0, 2.0, np.nan], "odi_12m": [3.0, 4.0, 5.0]})
    text = completeness_text(cases)
    assert text.loc["VAS leg", "Before surgery"] == "67%"  # 2 of 3
    assert text.loc["ODI", "12 months"] == "100%"
    assert text.loc["ODI", "2 weeks"] == "—"
    assert text.loc["VAS back", "6 months"] == "0%"
