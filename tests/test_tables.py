"""Display tables: estimates spelled out, suppression never zero, uploaded text kept literal."""

import math

import pandas as pd

from spinedash.tables import (
    at_risk_display,
    escape_markdown,
    format_estimate,
    format_share,
    km_median_display,
    markdown_literal,
    summary_display,
)


def test_format_estimate_and_share():
    assert format_estimate(15.06, 11.4, 17.0) == "15.1 (95% CI 11.4–17.0)"
    assert format_estimate(float("nan")) == "—"
    assert format_estimate(3.0, float("nan"), 4.0) == "3.0"
    assert format_share(0.618, 0.584, 0.651) == "61.8% (95% CI 58.4–65.1%)"


def test_summary_display_spells_out_suppression():
    summary = pd.DataFrame(
        {"group": ["Open", "Microscopic"], "n": [3, 40], "suppressed": [True, False],
         "median": [math.nan, 74.2], "median_ci_low": [math.nan, 71.4], "median_ci_high": [math.nan, 76.5],
         "q1": [math.nan, 54.4], "q3": [math.nan, 102.7]}
    )
    table = summary_display(summary, "Median stay (hours)", min_cell=5).set_index("Approach")
    assert table.loc["Open", "Median stay (hours)"] == "suppressed (n < 5)"
    # A suppressed group's own size is never shown (issue 14: "Cases 4"), and with only one other
    # group, that group's size is hidden too: the cases in view minus 40 would give 3.
    assert table.loc["Open", "Cases"] == "< 5"
    assert table.loc["Microscopic", "Cases"] == "suppressed (protects a smaller group)"
    assert table.loc["Microscopic", "Median stay (hours)"] == "74.2 (95% CI 71.4–76.5)"


def test_km_median_not_reached_is_said_not_blank():
    medians = pd.DataFrame(
        {"group": ["Open"], "n": [20], "events": [6.0], "censored": [14.0], "median_days": [math.nan],
         "median_ci_low": [30.0], "median_ci_high": [math.nan], "suppressed": [False]}
    )
    row = km_median_display(medians, 5).iloc[0]
    assert row["Median days (95% CI)"].startswith("not reached")
    at_risk = pd.DataFrame({"group": ["Open", "Open"], "days": [0.0, 7.0], "at_risk": [20.0, math.nan]})
    table = at_risk_display(at_risk, 5)
    assert table.loc[0, "Day 0"] == "20" and table.loc[0, "Day 7"] == "suppressed (n < 5)"


def test_small_numbers_at_risk_are_not_shown_exactly():
    at_risk = pd.DataFrame({"group": ["Open"] * 4, "days": [0.0, 90.0, 180.0, 365.0], "at_risk": [20.0, 5.0, 4.0, 0.0]})
    row = at_risk_display(at_risk, 5).iloc[0]
    assert (row["Day 0"], row["Day 90"], row["Day 180"], row["Day 365"]) == ("20", "5", "< 5", "0")
    assert at_risk_display(at_risk, 1).iloc[0]["Day 180"] == "4", "k = 1 hides nothing"


def test_uploaded_text_cannot_become_a_link_or_emphasis():
    hostile = "[Click me](https://example.org) **bold** <img src=x onerror=alert(1)> :red[x]"
    escaped = escape_markdown(hostile)
    assert "\\[Click me\\]" in escaped and "\\*\\*bold\\*\\*" in escaped and "\\<img" in escaped
    assert "\\:red\\[x\\]" in escaped
    table = markdown_literal(pd.DataFrame({"Surgeon": [hostile], "n": [3]}).set_index("Surgeon"))
    assert table.index[0] == escaped
    assert table["n"].tolist() == [3], "numbers are left alone"


def test_timepoint_tables_keep_clinical_order_and_suppress_cells():
    from spinedash.tables import mcid_display, trajectory_display

    traj = pd.DataFrame(
        {"group": ["Open", "Open"], "timepoint_label": ["Before surgery", "12 months"], "n": [12, 3],
         "mean": [7.0, math.nan], "ci_low": [6.0, math.nan], "ci_high": [8.0, math.nan], "suppressed": [False, True]}
    )
    table = trajectory_display(traj, 5)
    assert list(table.columns) == ["Approach", "Before surgery", "12 months"]
    # "95% CI" is said once, in the note above the table, not in every cell.
    assert table.loc[0, "Before surgery"] == "7.0 (6.0–8.0), n = 12"
    assert table.loc[0, "12 months"] == "suppressed (n < 5)"
    rates = pd.DataFrame(
        {"group": ["Open"], "timepoint_label": ["12 months"], "n": [10], "responders": [8.0], "share": [0.8],
         "ci_low": [0.490], "ci_high": [0.943], "suppressed": [False]}
    )
    assert mcid_display(rates, 5).loc[0, "12 months"] == "80.0% (49.0–94.3%), 8 of 10"
