"""Analysis of catalogue measures beyond the lumbar three: direction, ratings, custom days (hand-worked numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spinedash import analysis


def _cases(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"approach": pd.Categorical(["Open"] * n), **{k: np.asarray(v, dtype=float) for k, v in columns.items()}})


def test_eq5d_improves_upwards():
    cases = _cases(eq5d_pre=[0.3, 0.5, 0.6, 0.9], eq5d_12m=[0.5, 0.55, 0.8, 0.7])
    change = analysis.pain_change(cases, "eq5d", min_cell=1).iloc[0]
    assert change["mean_change"] == pytest.approx((0.2 + 0.05 + 0.2 - 0.2) / 4)  # positive = better here
    assert change["ci_low"] == pytest.approx(stats.t.interval(0.95, 3, loc=0.0625, scale=stats.sem([0.2, 0.05, 0.2, -0.2]))[0])
    rates = analysis.mcid_rates(cases, "eq5d", 0.10, min_cell=1).iloc[0]
    assert (rates["n"], rates["responders"], rates["share"]) == (4, 2, 0.5)  # +0.2 twice; +0.05 and −0.2 are not


def test_mjoa_threshold_counts_a_rise_and_never_a_fall():
    cases = _cases(mjoa_pre=[12, 12, 14, 15], mjoa_24m=[14, 13, 12, 17])
    rates = analysis.mcid_rates(cases, "mjoa", 2, min_cell=1)
    assert rates["timepoint"].tolist() == ["24m"]
    assert rates.iloc[0]["responders"] == 2  # +2 and +2; +1 is short, −2 is a decline
    # The same numbers read as a lower-is-better score would count the decline instead.
    flipped = _cases(ndi_pre=[12, 12, 14, 15], ndi_24m=[14, 13, 12, 17])
    assert analysis.mcid_rates(flipped, "ndi", 2, min_cell=1).iloc[0]["responders"] == 1


def test_satisfaction_is_a_rating_with_a_cut_off():
    cases = _cases(satisfaction_score_12m=[5, 4, 3, 2, np.nan])
    assert analysis.mcid_default("satisfaction_score") == 4
    rates = analysis.mcid_rates(cases, "satisfaction_score", 4, min_cell=1).iloc[0]
    assert (rates["n"], rates["responders"]) == (4, 2)
    trajectory = analysis.pain_trajectory(cases, "satisfaction_score", min_cell=1)
    assert trajectory["mean"].iloc[0] == pytest.approx(3.5)
    with pytest.raises(ValueError, match="rating"):
        analysis.pain_change(cases, "satisfaction_score", min_cell=1)


def test_custom_days_and_24_months_sit_in_time_order():
    cases = _cases(ndi_pre=[40, 50], ndi_d90=[30, 30], ndi_24m=[20, 10], ndi_12m=[25, 15])
    traj = analysis.pain_trajectory(cases, "ndi", min_cell=1)
    assert traj["timepoint"].tolist() == ["pre", "d90", "12m", "24m"]
    assert traj["timepoint_label"].tolist() == ["Before surgery", "Day 90", "12 months", "24 months"]
    assert traj["day"].tolist() == [0, 90, 365, 730]
    assert analysis.mcid_default("ndi") is None  # no published default: the user sets one


def test_compare_groups_takes_every_score_at_12_months():
    rng = np.random.default_rng(3)
    n = 40
    cases = pd.DataFrame({
        "approach": pd.Categorical(["Open"] * 20 + ["Microscopic"] * 20),
        "ndi_pre": rng.uniform(30, 60, n), "ndi_12m": rng.uniform(5, 30, n),
        "eq5d_pre": rng.uniform(0.2, 0.6, n), "eq5d_12m": rng.uniform(0.5, 0.9, n),
    })
    a = (cases["approach"] == "Open").to_numpy()
    table = analysis.compare_groups(cases, a, ~a, "Open", "Microscopic", min_cell=5)
    assert table["outcome"].tolist() == [
        "NDI at 12 months", "EQ-5D index at 12 months", "EQ-5D index: reached MCID at 12 months",  # EQ-5D: the headline (NDI has no default)
    ]
    eq5d = table.iloc[1]
    assert eq5d["unit"] == "points (−0.6–1)"
    res = stats.ttest_ind(cases.loc[~a, "eq5d_12m"], cases.loc[a, "eq5d_12m"], equal_var=False)
    assert eq5d["p_value"] == pytest.approx(res.pvalue)
    assert "higher is better" in eq5d["sentence"] and "lower is better" in table.iloc[0]["sentence"]


def test_lumbar_figures_never_sit_beside_cervical_cases():
    from spinedash.benchmarks import benchmarks_for, benchmarks_for_view

    assert benchmarks_for("vas_neck").empty and benchmarks_for("ndi").empty
    lumbar = pd.DataFrame({"condition": ["Herniated disc"] * 2, "approach": ["Open", "Open"], "region": ["lumbar"] * 2})
    cervical = lumbar.assign(region="cervical")
    both = lumbar.assign(region=["lumbar", "cervical"])
    assert not benchmarks_for_view("vas_leg", lumbar).empty
    assert set(benchmarks_for_view("vas_leg", lumbar)["region"]) == {"lumbar"}
    assert benchmarks_for_view("vas_leg", cervical).empty
    assert benchmarks_for_view("length_of_stay_hours", cervical).empty
    assert benchmarks_for_view("vas_leg", both).empty


def test_headline_measure_follows_the_data_and_the_region_is_named():
    from pathlib import Path

    from spinedash import overview, summary
    from spinedash.ingest import load_outcomes
    from spinedash.outcomes import headline_measure, region_phrase
    from spinedash.sample import load_sample

    lumbar = load_sample()
    assert headline_measure(lumbar) == "vas_leg" and region_phrase(lumbar) == "lumbar"
    cervical = load_outcomes((Path(__file__).parent / "data" / "cervical_clinic.csv").read_bytes()).cases
    assert headline_measure(cervical) == "vas_arm"  # the catalogue's headline rank: arm pain first for a cervical view
    from spinedash.outcomes import threshold_measure

    assert threshold_measure(cervical) == "mjoa"  # arm pain and NDI have no published default MCID
    assert region_phrase(cervical) == "cervical"
    assert region_phrase(pd.concat([lumbar.head(3), cervical.head(3)])) == "cervical and lumbar"
    figures = overview.headline_figures(cervical, min_cell=1, mcid_threshold=2, measure="mjoa")
    row = figures.set_index("key").loc["mcid_mjoa_12m"]
    # Hand count: of the myelopathy cases with both scores, who gained ≥ 2 points on mJOA.
    both = cervical[["mjoa_pre", "mjoa_12m"]].dropna()
    assert row["n"] == len(both)
    assert row["value"] == pytest.approx(100 * ((both["mjoa_12m"] - both["mjoa_pre"]) >= 2).mean())
    titles = [c.title for c in summary.report_charts(cervical, 1, ["x"])]
    assert "VAS arm pain over follow-up" in titles and "Patients reaching the mJOA MCID" in titles
    assert not any("VAS leg" in t for t in titles)


def test_funnel_rates_follow_the_measure_direction():
    from spinedash import funnel

    assert {"mcid_eq5d_12m", "mcid_mjoa_12m", "mcid_satisfaction_score_12m", "ndi_12m"} <= set(funnel.MEASURES)
    assert "mcid_ndi_12m" not in funnel.MEASURES  # no published default: no rate, the mean is still offered
    assert list(funnel.MEASURES)[0] == "mcid_vas_leg_12m"
    cases = _cases(eq5d_pre=[0.3, 0.5, 0.6, np.nan], eq5d_12m=[0.5, 0.55, 0.4, 0.9], satisfaction_score_12m=[5, 3, 4, np.nan])
    value, recorded = funnel._outcome(cases, "mcid_eq5d_12m", None)
    assert recorded.tolist() == [True, True, True, False] and value[:3].tolist() == [1.0, 0.0, 0.0]
    value, recorded = funnel._outcome(cases, "mcid_satisfaction_score_12m", None)
    assert value[:3].tolist() == [1.0, 0.0, 1.0] and not recorded[3]
    assert funnel.MEASURES["eq5d_12m"]["higher_is_better"] and not funnel.MEASURES["ndi_12m"]["higher_is_better"]


def test_compare_counts_the_headline_score_responders_in_its_direction():
    cases = _cases(mjoa_pre=[12, 12, 14, 15, 11, 12], mjoa_12m=[14, 13, 12, 17, 14, 12])
    cases["approach"] = pd.Categorical(["Open"] * 3 + ["Microscopic"] * 3)
    a = (cases["approach"] == "Open").to_numpy()
    table = analysis.compare_groups(cases, a, ~a, "Open", "Microscopic", min_cell=1).set_index("outcome")
    row = table.loc["mJOA score: reached MCID at 12 months"]
    assert (row["value_a"], row["value_b"]) == pytest.approx((1 / 3, 2 / 3))  # +2 | +1, −2 ; +2, +3 | 0
