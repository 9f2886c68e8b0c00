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
    assert text.loc["VAS back", "6 months"] == "not in file"  # no such column: not 0% (issue 11)


def test_completeness_counts_only_patients_due_worked_by_hand():
    # Export taken 2025-01-31. Due at 12 months (365 days): operated on or before 2024-02-01
    # (2024 is a leap year: 2024-02-01 + 365 days = 2025-01-31). Due at 6 weeks (42 days): on or
    # before 2024-12-20.
    cases = pd.DataFrame(
        {
            "surgery_date": pd.to_datetime(["2023-06-01", "2024-01-15", "2024-02-01", "2024-02-02", "2024-12-20", "2025-01-20", None]),
            "vas_leg_pre": [7.0, 6.0, 8.0, 5.0, 6.0, 7.0, 6.0],
            "vas_leg_12m": [1.0, np.nan, 3.0, 2.0, np.nan, np.nan, np.nan],
            "vas_leg_6w": [2.0, 3.0, np.nan, 4.0, 5.0, np.nan, 4.0],
        }
    )
    table = followup_completeness(cases, export_date="2025-01-31").set_index(["measure", "time point"])
    twelve = table.loc[("VAS leg", "12 months")]
    # Due at 12 months: 2023-06-01, 2024-01-15, 2024-02-01, and the undated case = 4.
    # Recorded among them: 2023-06-01 and 2024-02-01 = 2 (the 2024-02-02 score is not due yet).
    assert (twelve["cases"], twelve["cases with a value"], twelve["not yet due"]) == (4, 2, 3)
    assert twelve["share"] == 0.5
    six = table.loc[("VAS leg", "6 weeks")]
    # Due at 6 weeks: everything but 2025-01-20 = 6; recorded among them: 5.
    assert (six["cases"], six["cases with a value"], six["share"]) == (6, 5, 5 / 6)
    assert table.loc[("VAS leg", "Before surgery"), "cases"] == 7
    # Default export date: the latest date the file shows (here the latest surgery date).
    from spinedash.quality import default_export_date

    assert default_export_date(cases) == pd.Timestamp("2025-01-20")
    with_contact = cases.assign(last_followup_days=[400, 10, 10, 10, 10, 30, 10])
    assert default_export_date(with_contact) == pd.Timestamp("2025-02-19")  # 2025-01-20 + 30 days


def test_sample_completeness_at_12_months_is_higher_among_patients_due():
    from spinedash.quality import default_export_date
    from spinedash.sample import DATA_CUTOFF, load_sample

    sample = load_sample()
    assert default_export_date(sample) == pd.Timestamp(DATA_CUTOFF)
    table = followup_completeness(sample).set_index(["measure", "time point"])
    row = table.loc[("VAS leg", "12 months")]
    everyone = sample["vas_leg_12m"].notna().mean()
    assert row["cases"] < len(sample) and row["share"] > everyone + 0.05
