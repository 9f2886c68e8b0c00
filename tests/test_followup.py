"""Follow-up that does not mislead: same patients at every time point, n in the chart, MCID
denominators, quarterly intervals. Statistics checked against scipy / statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spinedash import analysis, charts
from spinedash.sample import load_sample


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample()


def test_trajectory_of_patients_with_every_time_point_matches_pandas_and_scipy(sample):
    columns = [c for c in (f"vas_leg_{tp}" for tp in ("pre", "2w", "6w", "3m", "6m", "12m")) if c in sample.columns]
    complete = sample.dropna(subset=columns)
    assert len(complete) == analysis.complete_followup(sample, "vas_leg").sum() == 1186
    traj = analysis.pain_trajectory(sample, "vas_leg", complete_only=True)
    for (group, tp), row in traj.set_index(["group", "timepoint"]).iterrows():
        values = complete.loc[complete["approach"].astype(str) == group, f"vas_leg_{tp}"].to_numpy(dtype=float)
        assert row["n"] == len(values)
        assert row["mean"] == pytest.approx(values.mean(), abs=1e-12)
        low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-10)
    # The same patients at every time point: n is constant within a group.
    assert (traj.groupby("group")["n"].nunique() == 1).all()
    # "All available" differs: more patients early than late.
    every = analysis.pain_trajectory(sample, "vas_leg")
    first = every[every["timepoint"] == "pre"].set_index("group")["n"]
    last = every[every["timepoint"] == "12m"].set_index("group")["n"]
    assert (first > last).all()


def test_trajectory_chart_prints_n_at_each_point(sample):
    traj = analysis.pain_trajectory(sample, "vas_leg", complete_only=True)
    spec = charts.trajectory_chart(traj, "VAS leg pain (0–10)")
    text_layers = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text" and layer["encoding"].get("text", {}).get("field") == "n_text"]
    assert len(text_layers) == 1
    rows = spec["datasets"][text_layers[0]["data"]["name"]]
    shown = traj[~traj["suppressed"]]
    assert sorted(r["n_text"] for r in rows) == sorted(f"n={int(n):,}" for n in shown["n"])


def test_mcid_denominator_counts_and_can_leave_out_those_who_cannot_respond(sample):
    from statsmodels.stats.proportion import proportion_confint

    threshold = 2.7
    rates = analysis.mcid_rates(sample, "vas_back", threshold)
    excluded = analysis.mcid_rates(sample, "vas_back", threshold, exclude_cannot_reach=True)
    for group in rates["group"].unique():
        mine = sample[sample["approach"].astype(str) == group]
        both = mine.dropna(subset=["vas_back_pre", "vas_back_12m"])
        # Worked directly: VAS 0–10, lower is better, so room to improve = score before − 0.
        blocked = both["vas_back_pre"] < threshold - 1e-9
        row = rates[(rates["group"] == group) & (rates["timepoint"] == "12m")].iloc[0]
        assert row["n"] == len(both) and row["cannot_reach"] == blocked.sum()
        kept = both[~blocked]
        hits = int((kept["vas_back_pre"] - kept["vas_back_12m"] >= threshold - 1e-9).sum())
        ex = excluded[(excluded["group"] == group) & (excluded["timepoint"] == "12m")].iloc[0]
        assert ex["n"] == len(kept) and ex["responders"] == hits
        low, high = proportion_confint(hits, len(kept), method="wilson")
        assert (ex["ci_low"], ex["ci_high"]) == pytest.approx((low, high), abs=1e-12)
        # Nobody who cannot reach the threshold was a responder: leaving them out keeps every responder.
        assert ex["responders"] == row["responders"]
    everyone = analysis.mcid_rates(sample.assign(one="all"), "vas_back", threshold, by="one")
    share = everyone.loc[everyone["timepoint"] == "12m", "cannot_reach"].iloc[0] / everyone.loc[everyone["timepoint"] == "12m", "n"].iloc[0]
    assert share == pytest.approx(0.195, abs=0.001)  # issue 14: 19.5% for VAS back
    sentence = analysis.cannot_reach_sentence(everyone, threshold, "VAS back pain", excluded=False)
    assert sentence.startswith("At 12 months, 322 of 1,652 patients (19%)") and "included" in sentence


def test_cannot_reach_for_a_higher_is_better_score():
    # mJOA 0–18, higher is better: room to improve = 18 − score before surgery. MCID 2 points.
    pre = np.array([10.0, 16.0, 16.5, 17.0, np.nan])
    assert analysis.cannot_reach_mcid(pre, "mjoa", 2.0).tolist() == [False, False, True, True, False]
    # Lower is better (ODI 0–100): room = score before − 0.
    assert analysis.cannot_reach_mcid(np.array([10.0, 18.0, 30.0]), "odi", 18.0).tolist() == [True, False, False]


def test_quarterly_trend_intervals_match_scipy_and_statsmodels(sample):
    from statsmodels.stats.proportion import proportion_confint

    from spinedash import overview

    trend = overview.trend_by_quarter(sample, min_cell=5)
    row = trend[(trend["quarter"] == "2021-Q1") & (trend["approach"] == "Open")].iloc[0]
    stays = np.sort(sample.loc[(sample["surgery_date"] < "2021-04-01") & (sample["approach"] == "Open"), "length_of_stay_hours"].dropna().to_numpy())
    n = len(stays)
    # Distribution-free CI of a median: ranks l = Binomial(n, ½) 2.5% quantile, u = n − l + 1.
    lower = int(stats.binom.ppf(0.025, n, 0.5))
    assert (row["median_stay_ci_low"], row["median_stay_ci_high"]) == (stays[lower - 1], stays[n - lower])
    assert row["median_stay_hours"] == np.median(stays)
    mcid = sample.loc[(sample["surgery_date"] < "2021-04-01") & (sample["approach"] == "Open")].dropna(subset=["vas_leg_pre", "vas_leg_12m"])
    hits = int((mcid["vas_leg_pre"] - mcid["vas_leg_12m"] >= 3.2 - 1e-9).sum())
    assert row["mcid_n"] == len(mcid) and row["mcid_rate"] == pytest.approx(hits / len(mcid))
    assert (row["mcid_ci_low"], row["mcid_ci_high"]) == pytest.approx(proportion_confint(hits, len(mcid), method="wilson"), abs=1e-12)
    # The chart draws them, and says it chose intervals over pooling.
    spec = overview.trend_chart(trend, "median_stay_hours", "Median stay", "Hours")
    assert spec["layer"][0]["mark"]["type"] == "rule" and spec["layer"][0]["encoding"]["y2"]["field"] == "median_stay_ci_high"
    assert "intervals, not pooled quarters" in spec["title"]["subtitle"][0]


def test_km_counts_blank_employment_as_dropped_and_notes_returns_after_last_followup():
    cases = pd.DataFrame(
        {
            "approach": ["Open"] * 8,
            "employed_before_surgery": pd.array([True, True, True, True, True, None, None, False], dtype="boolean"),
            "return_to_work_days": [20.0, 30.0, 400.0, np.nan, np.nan, 25.0, np.nan, 10.0],
            "last_followup_days": [365.0, 365.0, 365.0, 200.0, np.nan, 365.0, 365.0, 365.0],
        }
    )
    km = analysis.kaplan_meier(cases, "return_to_work_days", min_cell=1, employed_only=True)
    # Blank employment: rows 5 and 6; no time at all: row 4; row 7 not employed (not a drop).
    assert (km.dropped_no_employment, km.dropped_no_time, km.dropped) == (2, 1, 3)
    assert km.medians["n"].iloc[0] == 4
    # Row 2 returned on day 400, after its last follow-up on day 365.
    assert km.returned_after_followup == 1
    notes = analysis.km_data_notes(km)
    assert notes[0].startswith("3 cases are not counted") and "“working before surgery” left blank" in notes[0]
    assert "later than their last follow-up" in notes[1]
    assert analysis.km_data_notes(analysis.kaplan_meier(cases.iloc[:2], "return_to_work_days", min_cell=1, employed_only=True)) == []
