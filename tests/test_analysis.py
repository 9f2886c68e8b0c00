"""Outcome statistics: hand-worked numbers, scipy/statsmodels cross-checks, suppression, contracts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.proportion import test_proportions_2indep as proportions_test_2indep

from spinedash import analysis as an
from spinedash.analysis import (
    CAUSAL_CAUTION,
    MCID_ALTERNATIVES,
    MCID_DEFAULTS,
    MCID_DEFINITION,
    SAME_DAY_MAX_HOURS,
    KMResult,
    MissingColumnError,
    compare_groups,
    discharge_shares,
    kaplan_meier,
    mcid_rates,
    pain_change,
    pain_trajectory,
    summarise_distribution,
    summarise_for_condition,
    suppression_label,
)
from spinedash.vocabulary import APPROACHES

# ----------------------------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------------------------


def frame(approach: list[str], **columns: object) -> pd.DataFrame:
    """A small canonical-ish cases frame: approach as category, numbers as float."""
    out = {"case_id": [f"C{i:05d}" for i in range(len(approach))], "approach": pd.Categorical(approach)}
    for name, values in columns.items():
        if name in ("employed_before_surgery", "reoperation_12m"):
            out[name] = pd.array(values, dtype="boolean")
        elif name in ("complication", "condition", "surgeon"):
            out[name] = pd.Categorical(values)
        else:
            out[name] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(out)


def random_cohort(n: int = 600, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    approach = rng.choice(list(APPROACHES), n)
    shift = pd.Series(approach).map({"Full-endoscopic": 0.0, "Tubular MIS": 0.3, "Microscopic": 0.5, "Open": 1.0}).to_numpy()
    pre_leg = rng.uniform(4, 10, n).round(1)
    returned = rng.random(n) < 0.75
    return frame(
        list(approach),
        condition=rng.choice(["Herniated disc", "Spinal stenosis"], n),
        surgeon=rng.choice(["Surgeon B", "Surgeon A", "Surgeon C"], n),
        age=rng.normal(46, 12, n).round(),
        length_of_stay_hours=rng.lognormal(2.0 + shift, 0.6, n).round(1),
        return_to_work_days=np.where(returned, rng.gamma(3, 8 + 10 * shift, n).round(), np.nan),
        last_followup_days=rng.choice([180.0, 365.0], n),
        employed_before_surgery=rng.random(n) < 0.7,
        vas_leg_pre=pre_leg,
        vas_leg_6w=np.clip(pre_leg - rng.normal(4, 2, n), 0, 10).round(1),
        vas_leg_12m=np.clip(pre_leg - rng.normal(4.5 - shift, 2, n), 0, 10).round(1),
        vas_back_pre=rng.uniform(2, 9, n).round(1),
        vas_back_12m=rng.uniform(0, 6, n).round(1),
        odi_pre=rng.uniform(20, 70, n).round(),
        odi_12m=rng.uniform(0, 40, n).round(),
        complication=rng.choice(["none"] * 9 + ["dural tear"], n),
        reoperation_12m=rng.random(n) < 0.06,
    )


EXPECTED_COLUMNS = {
    "summarise_distribution": ["group", "n", "suppressed", "median", "median_ci_low", "median_ci_high", "q1", "q3", "p5", "p95", "mean"],
    "discharge_shares": [
        "group", "n", "same_day_n", "same_day_share", "same_day_ci_low", "same_day_ci_high",
        "within_24h_n", "within_24h_share", "within_24h_ci_low", "within_24h_ci_high", "suppressed",
    ],  # fmt: skip
    "curves": ["group", "days", "share_returned", "ci_low", "ci_high"],
    "medians": ["group", "n", "events", "censored", "median_days", "median_ci_low", "median_ci_high", "suppressed"],
    "at_risk": ["group", "days", "at_risk"],
    "pain_trajectory": ["group", "timepoint", "timepoint_label", "day", "n", "mean", "ci_low", "ci_high", "sd", "suppressed", "is_baseline"],
    "pain_change": ["group", "timepoint", "timepoint_label", "day", "n", "mean_change", "ci_low", "ci_high", "suppressed"],
    "mcid_rates": ["group", "timepoint", "timepoint_label", "day", "n", "responders", "share", "ci_low", "ci_high", "suppressed", "cannot_reach"],
    "compare_groups": [
        "outcome", "unit", "n_a", "value_a", "n_b", "value_b", "difference", "diff_ci_low", "diff_ci_high", "p_value", "p_holm",
        "test", "adjusted_difference", "adjusted_ci_low", "adjusted_ci_high", "adjusted_p_value", "adjusted_p_holm",
        "adjusted_for", "sentence", "suppressed", "adjusted_measure", "ratio", "ratio_ci_low", "ratio_ci_high",
        "adjusted_terms", "left_out_terms",
    ],  # fmt: skip
    "summarise_for_condition": ["approach", "n", "median_stay_hours", "median_return_to_work_days", "score_change_12m", "suppressed"],
}


def all_outputs(cases: pd.DataFrame, min_cell: int = 5) -> dict[str, pd.DataFrame]:
    km = kaplan_meier(cases, "return_to_work_days", min_cell=min_cell, employed_only=True)
    rest = (cases["approach"] != "Full-endoscopic").to_numpy(dtype=bool)
    return {
        "summarise_distribution": summarise_distribution(cases, "length_of_stay_hours", min_cell=min_cell),
        "discharge_shares": discharge_shares(cases, min_cell=min_cell),
        "curves": km.curves,
        "medians": km.medians,
        "at_risk": km.at_risk,
        "pain_trajectory": pain_trajectory(cases, "vas_leg", min_cell=min_cell),
        "pain_change": pain_change(cases, "vas_leg", min_cell=min_cell),
        "mcid_rates": mcid_rates(cases, "vas_leg", 3.2, min_cell=min_cell),
        "compare_groups": compare_groups(cases, ~rest, rest, "Full-endoscopic", "the rest", min_cell=min_cell),
        "summarise_for_condition": summarise_for_condition(cases, "Herniated disc", min_cell=min_cell),
    }


# ----------------------------------------------------------------------------------------------
# Contracts: columns, dtypes, empty input, ordering, missing columns
# ----------------------------------------------------------------------------------------------


def test_output_columns_are_exactly_as_specified():
    outputs = all_outputs(random_cohort())
    for name, result in outputs.items():
        assert list(result.columns) == EXPECTED_COLUMNS[name], name
        assert len(result) > 0, name


def test_group_labels_are_strings_and_flags_are_bool():
    outputs = all_outputs(random_cohort())
    for name, result in outputs.items():
        label = "approach" if name == "summarise_for_condition" else "outcome" if name == "compare_groups" else "group"
        assert pd.api.types.is_string_dtype(result[label]), name
        if "suppressed" in result:
            assert result["suppressed"].dtype == bool, name


def test_empty_input_gives_empty_frames_with_the_right_columns():
    outputs = all_outputs(random_cohort().iloc[:0])
    for name, result in outputs.items():
        assert list(result.columns) == EXPECTED_COLUMNS[name], name
        assert len(result) == 0, name


def test_groups_follow_the_approach_order_then_unknown_labels_alphabetically():
    cases = frame(["Open", "Zeta", "Full-endoscopic", "Alpha", "Microscopic"] * 5, length_of_stay_hours=range(25))
    result = summarise_distribution(cases, "length_of_stay_hours")
    assert list(result["group"]) == ["Full-endoscopic", "Microscopic", "Open", "Alpha", "Zeta"]


def test_other_grouping_columns_are_ordered_by_label_and_blank_values_are_a_last_group():
    cases = random_cohort()
    cases.loc[cases.index[:10], "surgeon"] = np.nan
    result = discharge_shares(cases, by="surgeon")
    # The blank ones are a group of their own (small-cell rule: left out, the cases in view minus
    # the groups would give their number away), last.
    assert list(result["group"]) == ["Surgeon A", "Surgeon B", "Surgeon C", "Surgeon not recorded"]
    assert result["n"].sum() == cases["length_of_stay_hours"].notna().sum()
    assert result.set_index("group").loc["Surgeon not recorded", "n"] == cases["length_of_stay_hours"].iloc[:10].notna().sum()


def test_non_categorical_group_column_works_the_same():
    cases = random_cohort()
    as_text = cases.assign(approach=cases["approach"].astype("str"))
    pdt.assert_frame_equal(summarise_distribution(cases, "length_of_stay_hours"), summarise_distribution(as_text, "length_of_stay_hours"))


@pytest.mark.parametrize(
    ("call", "missing"),
    [
        (lambda c: summarise_distribution(c, "operation_minutes"), ["operation_minutes"]),
        (lambda c: summarise_distribution(c, "length_of_stay_hours", by="site"), ["site"]),
        (lambda c: discharge_shares(c.drop(columns="length_of_stay_hours")), ["length_of_stay_hours"]),
        (lambda c: kaplan_meier(c.drop(columns="last_followup_days"), "return_to_work_days"), ["last_followup_days"]),
        (lambda c: kaplan_meier(c.drop(columns="employed_before_surgery"), "return_to_work_days", employed_only=True), ["employed_before_surgery"]),
        (lambda c: kaplan_meier(c, "return_to_activities_days"), ["return_to_activities_days"]),
        (lambda c: pain_trajectory(c.drop(columns=["odi_pre", "odi_12m"]), "odi"), ["odi_pre", "odi_6w", "odi_3m", "odi_12m"]),
        (lambda c: pain_change(c.drop(columns="vas_leg_pre"), "vas_leg"), ["vas_leg_pre"]),
        (lambda c: mcid_rates(c.drop(columns=["vas_back_12m"]), "vas_back", 2.7), ["vas_back_2w", "vas_back_6w", "vas_back_3m", "vas_back_6m", "vas_back_12m"]),
        (lambda c: summarise_for_condition(c.drop(columns="condition"), "Herniated disc"), ["condition"]),
    ],
)  # fmt: skip
def test_missing_columns_raise_missing_column_error_naming_them(call, missing):
    with pytest.raises(MissingColumnError) as info:
        call(random_cohort())
    assert isinstance(info.value, KeyError)
    assert list(info.value.columns) == missing
    for column in missing:
        assert f'"{column}"' in str(info.value)
    assert str(info.value).endswith("which the data do not have.")


def test_bad_arguments_are_rejected():
    cases = random_cohort()
    with pytest.raises(ValueError, match="min_cell"):
        summarise_distribution(cases, "length_of_stay_hours", min_cell=0)
    with pytest.raises(ValueError, match="time_col"):
        kaplan_meier(cases, "length_of_stay_hours")
    with pytest.raises(ValueError, match="pain measure"):
        pain_trajectory(cases, "sf36")  # EQ-5D is in the catalogue now; SF-36 is not
    a = (cases["approach"] == "Open").to_numpy()
    with pytest.raises(ValueError, match="overlap"):
        compare_groups(cases, a, a, "Open", "Open")
    with pytest.raises(ValueError, match="one true/false value per case"):
        compare_groups(cases, a[:-1], ~a[:-1], "x", "y")


# ----------------------------------------------------------------------------------------------
# Suppression
# ----------------------------------------------------------------------------------------------


def test_suppression_label():
    assert suppression_label(5) == "suppressed (n < 5)"
    assert suppression_label(10) == "suppressed (n < 10)"


def test_small_groups_are_suppressed_with_nan_estimates_and_n_kept():
    # Open has 3 cases (< 5): every estimate NaN (never 0), n kept; Microscopic has 6.
    cases = frame(
        ["Open"] * 3 + ["Microscopic"] * 6,
        length_of_stay_hours=[0, 0, 0, 5, 6, 7, 8, 30, 40],
        vas_leg_pre=[8] * 9,
        vas_leg_12m=[1] * 9,
    )
    dist = summarise_distribution(cases, "length_of_stay_hours").set_index("group")
    assert dist.loc["Open", "n"] == 3 and dist.loc["Open", "suppressed"]
    assert dist.loc["Open", ["median", "median_ci_low", "median_ci_high", "q1", "q3", "p5", "p95", "mean"]].isna().all()
    assert not dist.loc["Microscopic", "suppressed"] and dist.loc["Microscopic", "median"] == 7.5

    shares = discharge_shares(cases).set_index("group")
    assert shares.loc["Open", "n"] == 3
    assert shares.loc["Open"].drop(["n", "suppressed"]).isna().all()  # counts too: 3 of 3 same-day would show
    assert shares.loc["Microscopic", "same_day_n"] == 4

    mcid = mcid_rates(cases, "vas_leg", 3.2).set_index("group")
    assert mcid.loc["Open", "n"] == 3 and np.isnan(mcid.loc["Open", "responders"]) and np.isnan(mcid.loc["Open", "share"])

    off = summarise_distribution(cases, "length_of_stay_hours", min_cell=1).set_index("group")
    assert not off["suppressed"].any()
    assert off.loc["Open", "median"] == 0.0  # a true zero, now shown


def test_suppression_is_per_group_and_timepoint_cell():
    cases = frame(["Open"] * 8, vas_leg_pre=[7] * 8, vas_leg_12m=[2, 3, 4, np.nan, np.nan, np.nan, np.nan, np.nan])
    traj = pain_trajectory(cases, "vas_leg").set_index("timepoint")
    assert not traj.loc["pre", "suppressed"] and traj.loc["pre", "mean"] == 7
    assert traj.loc["12m", "suppressed"] and traj.loc["12m", "n"] == 3 and np.isnan(traj.loc["12m", "mean"])
    assert traj["is_baseline"].tolist() == [True, False]


def test_km_suppressed_group_has_no_curve_and_nan_counts():
    cases = frame(["Open"] * 3 + ["Microscopic"] * 5, return_to_work_days=[5, 6, 7, 1, 2, 3, 4, 5], last_followup_days=[90] * 8)
    km = kaplan_meier(cases, "return_to_work_days")
    assert set(km.curves["group"]) == {"Microscopic"}
    med = km.medians.set_index("group")
    assert med.loc["Open", "n"] == 3 and med.loc["Open", "suppressed"]
    assert med.loc["Open", ["events", "censored", "median_days", "median_ci_low", "median_ci_high"]].isna().all()
    assert km.at_risk.loc[km.at_risk["group"] == "Open", "at_risk"].isna().all()


def test_compare_groups_suppresses_rows_with_a_small_group():
    cases = random_cohort()
    a = (cases["approach"] == "Open").to_numpy() & (np.arange(len(cases)) < 40)  # a handful of Open cases
    a[np.flatnonzero(a)[4:]] = False  # exactly 4
    b = (cases["approach"] == "Microscopic").to_numpy()
    result = compare_groups(cases, a, b, "Open", "Microscopic")
    assert result["suppressed"].all()
    assert (result["sentence"] == "Suppressed: fewer than 5 cases in a group").all()
    assert result[["value_a", "value_b", "difference", "p_value", "adjusted_difference"]].isna().all().all()
    assert (result.loc[result["outcome"] == "Length of stay", "n_a"] == 4).all()
    assert not compare_groups(cases, a, b, "Open", "Microscopic", min_cell=1)["suppressed"].any()


# ----------------------------------------------------------------------------------------------
# 1. Distribution and the median's confidence interval
# ----------------------------------------------------------------------------------------------


def test_median_ci_by_order_statistics_worked_by_hand():
    # n = 10, values 1..10 (shuffled): P(B ≤ 1) = 11/1024 < 0.025 ≤ P(B ≤ 2) = 56/1024 for
    # B ~ Bin(10, ½), so the CI runs from the 2nd to the 9th smallest value: (2, 9).
    # n = 20, values 1..20: ranks 6 and 15 (Campbell & Gardner, BMJ 1988 table): (6, 15).
    # n = 5: even (x_(1), x_(5)) covers only 1 − 2/32 = 93.75% < 95%, so no interval: NaN.
    rng = np.random.default_rng(3)
    values = list(rng.permutation(np.arange(1, 11))) + list(rng.permutation(np.arange(1, 21))) + [3, 1, 2, 5, 4]
    cases = frame(["Full-endoscopic"] * 10 + ["Tubular MIS"] * 20 + ["Open"] * 5, operation_minutes=values)
    result = summarise_distribution(cases, "operation_minutes").set_index("group")
    assert tuple(result.loc["Full-endoscopic", ["median", "median_ci_low", "median_ci_high"]]) == (5.5, 2.0, 9.0)
    assert tuple(result.loc["Tubular MIS", ["median", "median_ci_low", "median_ci_high"]]) == (10.5, 6.0, 15.0)
    assert result.loc["Open", "median"] == 3.0
    assert np.isnan(result.loc["Open", "median_ci_low"]) and np.isnan(result.loc["Open", "median_ci_high"])
    # Coverage of ranks (2, 9) for n = 10 is 1 − 2·P(B ≤ 1) = 0.9785 ≥ 0.95.
    assert 1 - 2 * stats.binom.cdf(1, 10, 0.5) == pytest.approx(0.978515625)


def test_quantiles_and_mean_match_pandas():
    cases = random_cohort(seed=7)
    cases.loc[cases.index[::7], "length_of_stay_hours"] = np.nan
    result = summarise_distribution(cases, "length_of_stay_hours").set_index("group")
    grouped = cases.groupby("approach", observed=True)["length_of_stay_hours"]
    for q, col in [(0.5, "median"), (0.25, "q1"), (0.75, "q3"), (0.05, "p5"), (0.95, "p95")]:
        expected = grouped.quantile(q)
        for group in APPROACHES:
            assert result.loc[group, col] == pytest.approx(expected[group], rel=1e-12), (q, group)
    for group in APPROACHES:
        assert result.loc[group, "mean"] == pytest.approx(grouped.mean()[group], rel=1e-12)
        assert result.loc[group, "n"] == grouped.count()[group]


# ----------------------------------------------------------------------------------------------
# 2. Discharge shares
# ----------------------------------------------------------------------------------------------


def test_discharge_shares_with_wilson_interval_worked_by_hand():
    # 10 stays, 8 ≤ 12 h (12 itself counts), 9 ≤ 24 h. Wilson 8/10: centre (0.8 + z²/20)/(1 + z²/10),
    # z = 1.96 -> (0.490, 0.943).
    stays = [2, 4, 6, 8, 10, 12, 3, 5, 24, 30]
    cases = frame(["Full-endoscopic"] * 10, length_of_stay_hours=stays)
    row = discharge_shares(cases).iloc[0]
    assert SAME_DAY_MAX_HOURS == 12
    assert (row["n"], row["same_day_n"], row["within_24h_n"]) == (10, 8, 9)
    assert row["same_day_share"] == 0.8
    assert (round(row["same_day_ci_low"], 3), round(row["same_day_ci_high"], 3)) == (0.490, 0.943)
    z = stats.norm.ppf(0.975)
    centre = (0.8 + z**2 / 20) / (1 + z**2 / 10)
    half = z * math.sqrt(0.8 * 0.2 / 10 + z**2 / 400) / (1 + z**2 / 10)
    assert row["same_day_ci_low"] == pytest.approx(centre - half)
    assert row["same_day_ci_high"] == pytest.approx(centre + half)
    assert row["within_24h_share"] == 0.9


def test_discharge_ignores_missing_stays():
    cases = frame(["Open"] * 7, length_of_stay_hours=[5, np.nan, 30, 40, 50, 60, np.nan])
    row = discharge_shares(cases).iloc[0]
    assert row["n"] == 5 and row["same_day_n"] == 1 and row["same_day_share"] == pytest.approx(0.2)


# ----------------------------------------------------------------------------------------------
# 3. Kaplan–Meier
# ----------------------------------------------------------------------------------------------

KM_TIMES = [2, 3, np.nan, 5, np.nan]  # 3+ and 8+ are censored: blank return date, last follow-up 3 and 8
KM_FOLLOWUP = [30, 30, 3, 30, 8]


def test_kaplan_meier_worked_by_hand():
    # Times 2, 3, 3+, 5, 8+.
    # t=2: 5 at risk, 1 returns: S = 4/5 = 0.8
    # t=3: 4 at risk (3 and 3+ are both at risk at 3), 1 returns: S = 0.8 · 3/4 = 0.6
    # (3+ leaves; S stays 0.6)
    # t=5: 2 at risk (5, 8+), 1 returns: S = 0.6 · 1/2 = 0.3
    # share returned = 1 − S: 0.2, 0.4, 0.7. Median = first time S < 0.5 = day 5.
    # Greenwood at t=2: Var = S²·Σ d/(n(n−d)) = 0.64 · 1/20 = 0.032, se = 0.17889.
    # log(−log) band at t=2: se_g = 0.17889 / (0.8 · 0.22314) = 1.00213; S^exp(±1.96·1.00213)
    # = 0.8^7.1293 = 0.2037 and 0.8^(1/7.1293) = 0.9692, so share returned 0.0308 to 0.7963.
    cases = frame(["Full-endoscopic"] * 5, return_to_work_days=KM_TIMES, last_followup_days=KM_FOLLOWUP)
    km = kaplan_meier(cases, "return_to_work_days", min_cell=1, at_risk_days=(0, 3, 4, 6))
    assert isinstance(km, KMResult)
    assert km.curves["days"].tolist() == [0.0, 2.0, 3.0, 5.0]
    assert km.curves["share_returned"].to_numpy() == pytest.approx([0.0, 0.2, 0.4, 0.7])
    first = km.curves.iloc[1]
    assert first["ci_low"] == pytest.approx(0.0308, abs=5e-4)
    assert first["ci_high"] == pytest.approx(0.7963, abs=5e-4)
    se_g = math.sqrt(0.032) / (0.8 * -math.log(0.8))
    assert first["ci_low"] == pytest.approx(1 - 0.8 ** math.exp(-1.959963985 * se_g))
    assert first["ci_high"] == pytest.approx(1 - 0.8 ** math.exp(1.959963985 * se_g))
    assert (km.curves["ci_low"] <= km.curves["share_returned"]).all()
    assert (km.curves["share_returned"] <= km.curves["ci_high"]).all()
    med = km.medians.iloc[0]
    assert (med["n"], med["events"], med["censored"], med["median_days"]) == (5, 3, 2, 5.0)
    # at risk = time ≥ day: day 0: 5; day 3: 3, 3+, 5, 8+ = 4; day 4: 5, 8+ = 2; day 6: 8+ = 1
    assert km.at_risk["at_risk"].tolist() == [5, 4, 2, 1]
    assert km.dropped == 0


def test_kaplan_meier_median_and_ci_match_survfuncright():
    cases = random_cohort(seed=11)
    km = kaplan_meier(cases, "return_to_work_days", employed_only=True)
    employed = cases.loc[cases["employed_before_surgery"].fillna(False).to_numpy(dtype=bool)]
    for group, row in km.medians.set_index("group").iterrows():
        sub = employed.loc[employed["approach"] == group]
        event = sub["return_to_work_days"].notna()
        time = sub["return_to_work_days"].where(event, sub["last_followup_days"])
        sf = SurvfuncRight(time.to_numpy(), event.to_numpy(dtype=float))
        assert row["n"] == len(sub)
        assert row["events"] == event.sum()
        # Standard median: smallest t with S(t) ≤ 0.5. statsmodels takes S(t) < 0.5, so the two
        # agree except where S(t) is one half on paper (seed 11 has such a group).
        exact_half = np.abs(sf.surv_prob - 0.5) < 1e-9
        assert row["median_days"] == (sf.surv_times[exact_half][0] if exact_half.any() else sf.quantile(0.5))
        low, high = sf.quantile_ci(0.5)
        assert row["median_ci_low"] == low
        assert row["median_ci_high"] == (high if np.isfinite(high) else pytest.approx(np.nan, nan_ok=True))
        curve = km.curves.loc[km.curves["group"] == group]
        drawn = sf.n_risk >= 5  # the curve ends before fewer than k = 5 are at risk
        assert drawn[: drawn.sum()].all()
        np.testing.assert_allclose(curve["share_returned"].to_numpy()[1:], 1 - sf.surv_prob[drawn])
        np.testing.assert_allclose(curve["days"].to_numpy()[1:], sf.surv_times[drawn])


def test_kaplan_meier_drops_rows_without_any_time_and_filters_employed():
    cases = frame(
        ["Open"] * 7,
        return_to_work_days=[10, 20, np.nan, np.nan, 30, 40, 50],
        last_followup_days=[90, 90, np.nan, 90, 90, 90, 90],
        employed_before_surgery=[True, True, True, True, True, True, False],
    )
    km = kaplan_meier(cases, "return_to_work_days", employed_only=True)
    assert km.dropped == 1
    assert km.medians.iloc[0]["n"] == 5 and km.medians.iloc[0]["events"] == 4
    assert kaplan_meier(cases, "return_to_work_days").medians.iloc[0]["n"] == 6


def test_median_not_reached_is_nan():
    cases = frame(["Open"] * 6, return_to_work_days=[10, 20, np.nan, np.nan, np.nan, np.nan], last_followup_days=[90] * 6)
    med = kaplan_meier(cases, "return_to_work_days").medians.iloc[0]
    assert np.isnan(med["median_days"]) and np.isnan(med["median_ci_high"])


def test_kaplan_meier_curve_is_thinned_to_500_points():
    n = 2000
    cases = frame(["Open"] * n, return_to_work_days=np.arange(1, n + 1), last_followup_days=[5000] * n)
    curve = kaplan_meier(cases, "return_to_work_days").curves
    assert len(curve) <= 500
    # Ends at the last day with ≥ 5 at risk (day n − 4: 5 left), not at day n (small-cell rule 3).
    assert curve["days"].iloc[0] == 0 and curve["days"].iloc[-1] == n - 4
    assert curve["share_returned"].iloc[-1] == pytest.approx(1 - 4 / n)
    assert curve["share_returned"].is_monotonic_increasing


# ----------------------------------------------------------------------------------------------
# 4–6. Pain trajectory, change, MCID
# ----------------------------------------------------------------------------------------------


def test_pain_trajectory_t_interval_worked_by_hand():
    # 12 months: 2, 4, 6 -> mean 4, sd 2, t(0.975, 2) = 4.302653, half = 4.302653 · 2/√3 = 4.96827.
    cases = frame(["Open"] * 3, vas_leg_pre=[8, 8, 8], vas_leg_12m=[2, 4, 6])
    result = pain_trajectory(cases, "vas_leg", min_cell=1)
    assert result["timepoint"].tolist() == ["pre", "12m"]
    assert result["timepoint_label"].tolist() == ["Before surgery", "12 months"]
    assert result["day"].tolist() == [0, 365]
    row = result.iloc[1]
    assert (row["n"], row["mean"], row["sd"]) == (3, 4.0, 2.0)
    assert row["ci_low"] == pytest.approx(4 - 4.96827, abs=1e-5)
    assert row["ci_high"] == pytest.approx(4 + 4.96827, abs=1e-5)
    assert result["is_baseline"].tolist() == [True, False]


def test_pain_trajectory_rows_are_group_by_group_in_time_order():
    result = pain_trajectory(random_cohort(), "vas_leg")
    assert result["group"].tolist() == [g for g in APPROACHES for _ in range(3)]
    assert result["timepoint"].tolist() == ["pre", "6w", "12m"] * 4


def test_pain_trajectory_matches_pandas_groupby():
    cases = random_cohort(seed=5)
    cases.loc[cases.index[::5], "odi_12m"] = np.nan
    result = pain_trajectory(cases, "odi")
    row = result.loc[(result["group"] == "Microscopic") & (result["timepoint"] == "12m")].iloc[0]
    values = cases.loc[cases["approach"] == "Microscopic", "odi_12m"].dropna()
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert row["n"] == len(values)
    assert row["mean"] == pytest.approx(values.mean())
    assert row["sd"] == pytest.approx(values.std())
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_pain_change_is_paired_and_negative_means_better():
    # Pairs (pre, 12m): (8,2) (7,3) (9,–) (6,1) (5,4) -> changes 12m − pre = −6, −4, −5, −1 (9 has no 12m).
    # mean −4; deviations −2, 0, −1, 3 -> SS 14, sd √(14/3) = 2.16025;
    # half = t(0.975, 3) · sd / 2 = 3.182446 · 2.160247 / 2 = 3.437435.
    cases = frame(["Tubular MIS"] * 5, vas_leg_pre=[8, 7, 9, 6, 5], vas_leg_12m=[2, 3, np.nan, 1, 4], vas_leg_6w=[np.nan] * 5)
    result = pain_change(cases, "vas_leg", min_cell=1)
    assert "pre" not in result["timepoint"].tolist()
    row = result.set_index("timepoint").loc["12m"]
    assert row["n"] == 4 and row["mean_change"] == -4.0
    assert row["ci_low"] == pytest.approx(-4 - 3.437435, abs=1e-5)
    assert row["ci_high"] == pytest.approx(-4 + 3.437435, abs=1e-5)
    assert result.set_index("timepoint").loc["6w", "n"] == 0


def test_mcid_rates_absolute_and_relative():
    # improvements pre − 12m: 7.2−4.0 = 3.2 (counts, despite floating point), 6.2−3.0 = 3.2, 8−5.1 = 2.9,
    # 9−1 = 8, 5−(missing): not counted. Responders 3 of 4 at 3.2 points.
    cases = frame(["Open"] * 5, vas_leg_pre=[7.2, 6.2, 8, 9, 5], vas_leg_12m=[4.0, 3.0, 5.1, 1, np.nan])
    row = mcid_rates(cases, "vas_leg", 3.2, min_cell=1).iloc[0]
    assert (row["timepoint"], row["n"], row["responders"], row["share"]) == ("12m", 4, 3, 0.75)
    # Relative 50% of pre: 3.2/7.2 = 44%, 3.2/6.2 = 52%, 2.9/8 = 36%, 8/9 = 89% -> 2 of 4.
    rel = mcid_rates(cases, "vas_leg", 50, relative=True, min_cell=1).iloc[0]
    assert (rel["n"], rel["responders"]) == (4, 2)
    # pre = 0 cannot improve by a percentage: left out of the relative denominator only.
    zero = frame(["Open"] * 2, vas_leg_pre=[0, 8], vas_leg_12m=[0, 2])
    assert mcid_rates(zero, "vas_leg", 50, relative=True, min_cell=1).iloc[0]["n"] == 1
    assert mcid_rates(zero, "vas_leg", 3.2, min_cell=1).iloc[0]["n"] == 2


def test_mcid_wilson_interval_matches_hand_value():
    cases = frame(["Open"] * 10, vas_leg_pre=[8] * 10, vas_leg_12m=[1] * 8 + [7] * 2)
    row = mcid_rates(cases, "vas_leg", 3.2).iloc[0]
    assert (round(row["ci_low"], 3), round(row["ci_high"], 3)) == (0.490, 0.943)


def test_mcid_constants_carry_their_sources():
    assert MCID_DEFAULTS == {"vas_leg": 3.2, "vas_back": 2.7, "odi": 18.0}
    assert MCID_ALTERNATIVES["NORspine success"] == {"vas_leg": 4.0, "vas_back": 2.0, "odi": 22.0}
    assert "Parai" in an.MCID_DEFAULTS_SOURCE and "PMC10851101" in an.MCID_ALTERNATIVE_SOURCES["NORspine success"]
    assert set(an.MCID_CITATIONS) == set(MCID_DEFAULTS)
    assert "before surgery" in MCID_DEFINITION and "denominator" in MCID_DEFINITION
    assert "not" in CAUSAL_CAUTION and "case mix" in CAUSAL_CAUTION


# ----------------------------------------------------------------------------------------------
# 7. compare_groups
# ----------------------------------------------------------------------------------------------


def _compare(cases: pd.DataFrame, a_name: str = "Microscopic", b_name: str = "Full-endoscopic", **kwargs) -> pd.DataFrame:
    a = (cases["approach"] == a_name).to_numpy(dtype=bool)
    b = (cases["approach"] == b_name).to_numpy(dtype=bool)
    return compare_groups(cases, a, b, a_name, b_name, **kwargs).set_index("outcome")


def test_compare_groups_rows_and_scipy_statsmodels_cross_checks():
    cases = random_cohort(seed=2)
    result = _compare(cases)
    assert list(result.index) == [
        "Length of stay", "Return to work", "VAS leg pain at 12 months", "VAS back pain at 12 months", "ODI at 12 months",
        "VAS leg pain: reached MCID at 12 months", "Complication", "Reoperation within 12 months",
    ]  # fmt: skip
    a = cases.loc[cases["approach"] == "Microscopic"]
    b = cases.loc[cases["approach"] == "Full-endoscopic"]

    stay = result.loc["Length of stay"]
    x_a, x_b = a["length_of_stay_hours"].dropna(), b["length_of_stay_hours"].dropna()
    assert stay["value_a"] == x_a.median() and stay["value_b"] == x_b.median()
    assert stay["difference"] == x_b.median() - x_a.median()
    assert stay["p_value"] == pytest.approx(stats.mannwhitneyu(x_b, x_a, alternative="two-sided").pvalue)
    assert stay["diff_ci_low"] < stay["difference"] < stay["diff_ci_high"]

    rtw = result.loc["Return to work"]
    both = pd.concat([a, b]).loc[lambda d: d["employed_before_surgery"].fillna(False).to_numpy(dtype=bool)]
    event = both["return_to_work_days"].notna()
    time = both["return_to_work_days"].where(event, both["last_followup_days"])
    _, p = survdiff(time.to_numpy(), event.to_numpy(dtype=float), (both["approach"] == "Full-endoscopic").to_numpy(dtype=int))
    assert rtw["p_value"] == pytest.approx(p)
    # The difference of the Kaplan–Meier medians has a bootstrap interval (issue 14).
    assert rtw["diff_ci_low"] <= rtw["difference"] <= rtw["diff_ci_high"]
    assert rtw["unit"] == "days" and rtw["n_a"] == (both["approach"] == "Microscopic").sum()

    leg = result.loc["VAS leg pain at 12 months"]
    welch = stats.ttest_ind(b["vas_leg_12m"].dropna(), a["vas_leg_12m"].dropna(), equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert leg["p_value"] == pytest.approx(welch.pvalue)
    assert (leg["diff_ci_low"], leg["diff_ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert leg["difference"] == pytest.approx(b["vas_leg_12m"].mean() - a["vas_leg_12m"].mean())

    ancova_data = pd.concat([a, b]).assign(
        group=lambda d: (d["approach"] == "Full-endoscopic").astype(int), baseline=lambda d: d["vas_leg_pre"], value_12m=lambda d: d["vas_leg_12m"]
    )
    # Adjusted by default for the score before surgery, condition, age, sex and level (this cohort has no sex or level).
    fit = smf.ols("value_12m ~ group + baseline + C(condition) + age", data=ancova_data).fit()
    assert leg["adjusted_difference"] == pytest.approx(fit.params["group"])
    assert leg["adjusted_ci_low"] == pytest.approx(fit.conf_int().loc["group", 0])
    assert leg["adjusted_ci_high"] == pytest.approx(fit.conf_int().loc["group", 1])
    assert leg["adjusted_p_value"] == pytest.approx(fit.pvalues["group"])
    assert "adjusted for the score before surgery, condition and age" in leg["sentence"]
    assert leg["adjusted_for"] == "the score before surgery, condition and age"

    mcid = result.loc["VAS leg pain: reached MCID at 12 months"]
    hit = lambda d: int(((d["vas_leg_pre"] - d["vas_leg_12m"]) >= 3.2 - 1e-9).sum())  # noqa: E731
    n = lambda d: int((d["vas_leg_pre"].notna() & d["vas_leg_12m"].notna()).sum())  # noqa: E731
    low, high = confint_proportions_2indep(hit(b), n(b), hit(a), n(a), method="newcomb")
    assert (mcid["diff_ci_low"], mcid["diff_ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert mcid["p_value"] == pytest.approx(proportions_test_2indep(hit(b), n(b), hit(a), n(a), method="score").pvalue)
    assert mcid["value_b"] == pytest.approx(hit(b) / n(b))

    comp = result.loc["Complication"]
    assert comp["value_a"] == pytest.approx((a["complication"] != "none").mean())
    reop = result.loc["Reoperation within 12 months"]
    assert reop["value_b"] == pytest.approx(b["reoperation_12m"].astype(float).mean())
    assert result["sentence"].str.len().gt(20).all()
    assert not result["suppressed"].any()


def test_ancova_recovers_a_known_group_effect_exactly():
    # value_12m = 1 + 2·group + 0.5·baseline − 0.1·age exactly: the group coefficient must be 2.
    rng = np.random.default_rng(0)
    n = 40
    group_b = np.arange(n) >= 20
    baseline = rng.uniform(3, 9, n).round(1)
    age = rng.uniform(25, 70, n).round()
    y = 1 + 2 * group_b + 0.5 * baseline - 0.1 * age
    cases = frame(np.where(group_b, "Full-endoscopic", "Open").tolist(), age=age, vas_leg_pre=baseline, vas_leg_12m=y)
    row = compare_groups(cases, ~group_b, group_b, "Open", "Full-endoscopic").set_index("outcome").loc["VAS leg pain at 12 months"]
    assert row["adjusted_difference"] == pytest.approx(2.0, abs=1e-9)
    assert row["adjusted_ci_high"] - row["adjusted_ci_low"] == pytest.approx(0.0, abs=1e-6)


def test_ancova_matches_statsmodels_on_every_score():
    # group_effect solves the least squares from cross-products (fast at a million cases): same as statsmodels.
    cases = random_cohort(seed=6)
    odi = _compare(cases).loc["ODI at 12 months"]
    data = cases.loc[cases["approach"].isin(["Microscopic", "Full-endoscopic"])].assign(
        group=lambda d: (d["approach"] == "Full-endoscopic").astype(int), baseline=lambda d: d["odi_pre"]
    )
    fit = smf.ols("odi_12m ~ group + baseline + C(condition) + age", data=data).fit()
    expected = [fit.params["group"], *fit.conf_int().loc["group"], fit.pvalues["group"]]
    columns = ["adjusted_difference", "adjusted_ci_low", "adjusted_ci_high", "adjusted_p_value"]
    np.testing.assert_allclose(odi[columns].to_numpy(dtype=float), expected, rtol=1e-9)


def test_ancova_without_age_adjusts_for_the_rest_and_says_so():
    cases = random_cohort(seed=4).drop(columns="age")
    leg = _compare(cases).loc["VAS leg pain at 12 months"]
    data = cases.loc[cases["approach"].isin(["Microscopic", "Full-endoscopic"])].assign(
        group=lambda d: (d["approach"] == "Full-endoscopic").astype(int), baseline=lambda d: d["vas_leg_pre"]
    )
    fit = smf.ols("vas_leg_12m ~ group + baseline + C(condition)", data=data).fit()
    assert leg["adjusted_difference"] == pytest.approx(fit.params["group"])
    assert leg["adjusted_p_value"] == pytest.approx(fit.pvalues["group"])
    assert "adjusted for the score before surgery and condition" in leg["sentence"]


def test_compare_sentence_reads_like_the_example():
    # A: Microscopic stays around 26 h; B: Full-endoscopic around 6 h.
    n = 30
    cases = frame(["Microscopic"] * n + ["Full-endoscopic"] * n, length_of_stay_hours=[26 + (i % 5) - 2 for i in range(n)] + [6 + (i % 3) - 1 for i in range(n)])
    row = _compare(cases).loc["Length of stay"]
    assert row["sentence"] == (
        "Median stay was 20 hours shorter with Full-endoscopic (6 h) than with Microscopic (26 h); "
        "a difference this large is unlikely to be chance (p < 0.001)."
    )
    assert row["difference"] == -20
    assert row["diff_ci_low"] <= -20 <= row["diff_ci_high"] and row["diff_ci_high"] < 0


def test_compare_groups_omits_rows_without_data_and_accepts_series_masks():
    cases = random_cohort().loc[:, ["case_id", "approach", "surgeon", "length_of_stay_hours", "complication"]]
    a = cases["surgeon"] == "Surgeon A"
    result = compare_groups(cases, a, ~a, "Surgeon A", "the rest")
    assert result["outcome"].tolist() == ["Length of stay", "Complication"]
    assert result.iloc[0]["n_a"] == a.sum() and result.iloc[0]["n_b"] == (~a).sum()
    blank = cases.assign(length_of_stay_hours=np.nan)
    assert compare_groups(blank, a, ~a, "Surgeon A", "the rest")["outcome"].tolist() == ["Complication"]


def test_bootstrap_median_sampler_matches_the_exact_bootstrap_distribution():
    # Odd n: the bootstrap median is x_(K) with P(K ≤ k) = P(Bin(n, k/n) ≥ (n+1)/2) exactly.
    x = np.array([1.0, 2, 4, 7, 11, 16, 22])
    n, m = len(x), 4
    draws = an._bootstrap_medians(x, np.random.default_rng(1), 200_000)
    for k in range(1, n + 1):
        exact = stats.binom.sf(m - 1, n, k / n)
        assert (draws <= x[k - 1]).mean() == pytest.approx(exact, abs=0.004), k
    # Even n: compare with literal resampling (np.median of n picks with replacement).
    y = np.array([1.0, 3, 4, 8, 9, 15])
    rng = np.random.default_rng(2)
    literal = np.median(rng.choice(y, size=(200_000, len(y))), axis=1)
    fast = an._bootstrap_medians(y, np.random.default_rng(3), 200_000)
    for q in (0.025, 0.25, 0.5, 0.75, 0.975):
        assert np.quantile(fast, q) == pytest.approx(np.quantile(literal, q), abs=0.51)
    assert fast.mean() == pytest.approx(literal.mean(), abs=0.03)
    assert fast.std() == pytest.approx(literal.std(), abs=0.03)


# ----------------------------------------------------------------------------------------------
# 8. summarise_for_condition
# ----------------------------------------------------------------------------------------------


def test_summarise_for_condition_joins_the_three_outcomes():
    cases = random_cohort(seed=9)
    result = summarise_for_condition(cases, "Spinal stenosis")
    sub = cases.loc[cases["condition"] == "Spinal stenosis"]
    assert result["approach"].tolist() == list(APPROACHES)
    row = result.set_index("approach").loc["Open"]
    open_cases = sub.loc[sub["approach"] == "Open"]
    assert row["n"] == len(open_cases)
    assert row["median_stay_hours"] == open_cases["length_of_stay_hours"].median()
    assert row["score_change_12m"] == pytest.approx((open_cases["vas_leg_12m"] - open_cases["vas_leg_pre"]).mean())
    km = kaplan_meier(sub, "return_to_work_days", employed_only=True).medians.set_index("group")
    assert row["median_return_to_work_days"] == km.loc["Open", "median_days"]


def test_summarise_for_condition_suppresses_and_tolerates_missing_outcomes():
    cases = frame(["Open"] * 3 + ["Microscopic"] * 6, condition=["Herniated disc"] * 9, length_of_stay_hours=[5] * 9)
    result = summarise_for_condition(cases, "Herniated disc").set_index("approach")
    assert result.loc["Open", "suppressed"] and result.loc["Open", "n"] == 3 and np.isnan(result.loc["Open", "median_stay_hours"])
    assert result.loc["Microscopic", "median_stay_hours"] == 5
    assert np.isnan(result.loc["Microscopic", "median_return_to_work_days"])  # no return-to-work columns
    assert len(summarise_for_condition(cases, "Spinal tumour")) == 0
