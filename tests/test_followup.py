"""Follow-up that does not mislead: same patients at every time point, n in the chart, MCID
denominators, quarterly intervals. Statistics checked against scipy / statsmodels."""

from __future__ import annotations

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
