"""Group masks for the Compare page."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinedash import comparison
from spinedash.comparison import REST, available_modes, group_choices, group_pair

DATA = Path(__file__).parent / "data"

CASES = pd.DataFrame(
    {
        "approach": pd.Categorical(["Open", "Full-endoscopic", "Microscopic", "Open", None]),
        "surgeon": ["A", "B", "A", "C", None],
        "site": ["North"] * 5,
    }
)


def test_modes_need_two_values():
    assert available_modes(CASES) == ["Approach vs approach", "Surgeon vs the rest"]


def test_approach_choices_in_vocabulary_order():
    assert group_choices(CASES, "Approach vs approach") == ["Full-endoscopic", "Microscopic", "Open"]


def test_approach_pair_masks():
    pair = group_pair(CASES, "Approach vs approach", "Open", "Full-endoscopic")
    np.testing.assert_array_equal(pair.in_a, [True, False, False, True, False])
    np.testing.assert_array_equal(pair.in_b, [False, True, False, False, False])
    assert (pair.label_a, pair.label_b) == ("Open", "Full-endoscopic")


def test_surgeon_vs_rest_excludes_unrecorded_surgeon():
    pair = group_pair(CASES, "Surgeon vs the rest", "A", None)
    np.testing.assert_array_equal(pair.in_a, [True, False, True, False, False])
    np.testing.assert_array_equal(pair.in_b, [False, True, False, True, False])
    assert pair.label_b == REST
    assert not (pair.in_a & pair.in_b).any()


def test_same_group_twice_is_refused():
    with pytest.raises(ValueError, match="two different"):
        group_pair(CASES, "Approach vs approach", "Open", "Open")


def test_categorical_and_text_columns_give_the_same_masks():
    as_text = CASES.assign(approach=CASES["approach"].astype("string"))
    for frame in (CASES, as_text):
        pair = group_pair(frame, "Approach vs approach", "Open", "Microscopic")
        np.testing.assert_array_equal(pair.in_a, [True, False, False, True, False])
        np.testing.assert_array_equal(pair.in_b, [False, False, True, False, False])
    absent = group_pair(CASES, "Approach vs approach", "Tubular MIS", "Open")
    assert not absent.in_a.any()


def test_comparison_table_matches_compare_groups():
    from spinedash.analysis import compare_groups
    from spinedash.comparison import comparison_table
    from spinedash.sample import load_sample

    cases = load_sample()
    pair, table = comparison_table(cases, "Approach vs approach", "Open", "Full-endoscopic", min_cell=5)
    expected = compare_groups(cases, pair.in_a, pair.in_b, "Open", "Full-endoscopic", min_cell=5)
    pd.testing.assert_frame_equal(table, expected)


# --------------------------------------------------------------------------------------------
# Issue 14: adjustment, weighting, balance, Holm, and the small-cell rule on "the rest"
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from spinedash.sample import load_sample

    return load_sample()


def test_holm_matches_statsmodels_multipletests():
    from statsmodels.stats.multitest import multipletests

    from spinedash.analysis import holm

    p = np.array([0.003, 0.04, 0.2, 0.0001, 0.049, 0.8, 0.01, 0.03])
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)
    # NaN is not a test: the rest are adjusted as a family of 3.
    with_nan = holm([0.01, np.nan, 0.04, 0.02])
    np.testing.assert_allclose(with_nan[[0, 2, 3]], multipletests([0.01, 0.04, 0.02], method="holm")[1])
    assert np.isnan(with_nan[1])


def test_chance_of_a_false_alarm_with_eight_outcomes_is_about_a_third(sample):
    from spinedash.analysis import chance_of_a_false_alarm

    assert chance_of_a_false_alarm(8) == pytest.approx(1 - 0.95**8) == pytest.approx(0.3366, abs=1e-4)
    _, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    note = comparison.multiple_testing_note(table)
    assert note.startswith("9 outcomes are tested at once") and "about 0.37" in note  # 1 − 0.95⁹ = 0.370
    # Fewer outcomes shown, a smaller chance, computed not hard-wired.
    few = table.iloc[:3]
    assert "about 0.14" in comparison.multiple_testing_note(few)  # 1 − 0.95³ = 0.1426
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(table["p_holm"], multipletests(table["p_value"], method="holm")[1])


def test_default_adjustment_is_condition_age_sex_level_and_baseline(sample):
    import statsmodels.formula.api as smf

    _, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    rows = table.set_index("outcome")
    odi = rows.loc["ODI at 12 months"]
    data = sample[sample["approach"].isin(["Open", "Full-endoscopic"])].assign(g=lambda d: (d["approach"] == "Full-endoscopic").astype(int))
    fit = smf.ols("odi_12m ~ g + odi_pre + C(condition) + age + C(sex) + C(spinal_level)", data).fit()
    assert odi["adjusted_difference"] == pytest.approx(fit.params["g"], rel=1e-9)
    assert odi["adjusted_p_value"] == pytest.approx(fit.pvalues["g"], rel=1e-6)
    assert odi["adjusted_difference"] == pytest.approx(-2.03, abs=0.01) and odi["adjusted_p_value"] == pytest.approx(0.10, abs=0.01)
    assert odi["adjusted_for"] == "the score before surgery, condition, age, sex and level"
    # Complications: a risk difference from a linear probability model with HC1 robust errors.
    comp = rows.loc["Complication"]
    data = data.assign(hit=lambda d: (d["complication"].astype(str) != "none").astype(float))
    lpm = smf.ols("hit ~ g + C(condition) + age + C(sex) + C(spinal_level)", data).fit(cov_type="HC1")
    assert comp["adjusted_difference"] == pytest.approx(lpm.params["g"], rel=1e-9)
    assert comp["adjusted_ci_low"] == pytest.approx(lpm.conf_int().loc["g", 0], rel=1e-9)
    assert comp["adjusted_p_value"] == pytest.approx(lpm.pvalues["g"], rel=1e-6)
    assert comp["adjusted_for"] == "condition, age, sex and level"
    assert "Adjusted for condition, age, sex and level" in comparison.adjustment_note(table, "regression")
    unadjusted = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, "none")[1]
    assert unadjusted["adjusted_difference"].isna().all()
    assert comparison.adjustment_note(unadjusted, "none").startswith("Not adjusted")


def test_propensity_weights_and_balance_match_statsmodels(sample):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from spinedash import casemix

    data = sample[sample["approach"].isin(["Open", "Full-endoscopic"])].reset_index(drop=True)
    group_b = (data["approach"] == "Full-endoscopic").to_numpy()
    wanted = [("age", "number", "age"), ("condition", "category", "condition"), ("sex", "category", "sex"),
              ("spinal_level", "category", "level")]
    weights, model = casemix.propensity_weights(data, group_b, wanted)
    fit = smf.glm("b ~ age + C(condition) + C(sex) + C(spinal_level)", data.assign(b=group_b.astype(float)),
                  family=sm.families.Binomial()).fit()
    ps = np.clip(fit.predict(data).to_numpy(), 0.01, 0.99)
    share = group_b.mean()
    np.testing.assert_allclose(weights, np.where(group_b, share / ps, (1 - share) / (1 - ps)), rtol=1e-6)
    # Balance: SMD of age by hand, before and after.
    table = casemix.standardised_differences(data, group_b, weights, wanted).set_index("covariate")
    age = data["age"].to_numpy()
    before = (age[group_b].mean() - age[~group_b].mean()) / np.sqrt((age[group_b].var() + age[~group_b].var()) / 2)
    assert table.loc["age", "before"] == pytest.approx(before)
    wb, wa = weights[group_b], weights[~group_b]
    mb, ma = np.average(age[group_b], weights=wb), np.average(age[~group_b], weights=wa)
    vb, va = np.average((age[group_b] - mb) ** 2, weights=wb), np.average((age[~group_b] - ma) ** 2, weights=wa)
    assert table.loc["age", "after"] == pytest.approx((mb - ma) / np.sqrt((va + vb) / 2))
    # Weighting balances the case mix: every |SMD| after is below 0.1; condition was far off before.
    assert abs(table.loc["condition: Spinal stenosis (vs Herniated disc)", "before"]) > 0.5
    assert (table["after"].abs() < 0.1).all()
    # The weighted difference is statsmodels WLS with HC1 errors.
    _, result, balance = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting")
    assert not balance.empty and set(balance.columns) == {"covariate", "before", "after"}
    assert "Balanced after (|SMD| < 0.1)" in comparison.balance_display(balance).columns


def test_weighted_difference_is_wls_with_robust_errors():
    import statsmodels.api as sm

    from spinedash.casemix import group_effect

    rng = np.random.default_rng(3)
    g = rng.random(200) < 0.5
    y = rng.normal(size=200) + 0.4 * g
    w = rng.uniform(0.3, 4, 200)
    fit = sm.WLS(y, sm.add_constant(g.astype(float)), weights=w).fit(cov_type="HC1")
    coef, low, high, p = group_effect(y, g, weights=w)
    assert (coef, low, high, p) == (pytest.approx(fit.params[1]), pytest.approx(fit.conf_int()[1][0]),
                                    pytest.approx(fit.conf_int()[1][1]), pytest.approx(fit.pvalues[1]))


def test_forest_plot_shows_each_difference_with_its_interval(sample):
    from spinedash.vegalite import validate

    pair, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    spec = validate(comparison.forest_chart(table, pair.label_a, pair.label_b))
    # The legend goes below the panels: at the right it was cut off on a tablet.
    assert all(layer["encoding"]["color"]["legend"]["orient"] == "bottom" for block in spec["vconcat"]
               for layer in block["spec"]["layer"] if "color" in layer.get("encoding", {}))
    rows = spec["datasets"]["forest"]
    panels = {r["panel"] for r in rows}
    # One panel per outcome, plus a ratio panel for stay and return to work (their adjusted estimate is a ratio).
    assert len(panels) == len(table) + 3
    odi = {r["estimate"]: r for r in rows if r["panel"].startswith("ODI at 12 months")}
    row = table.set_index("outcome").loc["ODI at 12 months"]
    assert odi["Unadjusted"]["low"] == pytest.approx(row["diff_ci_low"]) and odi["Adjusted"]["value"] == pytest.approx(row["adjusted_difference"])
    comp = {r["estimate"]: r for r in rows if r["panel"].startswith("Complication")}
    assert comp["Unadjusted"]["value"] == pytest.approx(100 * table.set_index("outcome").loc["Complication", "difference"])
    # Issue 14: every point has its interval, stay and return to work included, raw and adjusted.
    assert all(r["low"] is not None and r["high"] is not None and r["low"] <= r["value"] <= r["high"] for r in rows)
    stay = {(r["kind"], r["estimate"]) for r in rows if r["panel"].startswith("Length of stay")}
    work = {(r["kind"], r["estimate"]) for r in rows if r["panel"].startswith("Return to work")}
    activities = {(r["kind"], r["estimate"]) for r in rows if r["panel"].startswith("Return to daily activities")}
    assert stay == work == activities == {("difference", "Unadjusted"), ("ratio", "Unadjusted"), ("ratio", "Adjusted")}
    differences, ratios = spec["vconcat"]
    assert differences["spec"]["layer"][0]["encoding"]["x"]["datum"] == 0
    assert ratios["spec"]["layer"][0]["encoding"]["x"]["datum"] == 1
    assert ratios["spec"]["layer"][1]["encoding"]["x"]["scale"]["type"] == "log"
    assert all(block["resolve"]["scale"]["x"] == "independent" for block in spec["vconcat"])
    assert "Return to work: hazard ratio, adjusted: 1.69" in spec["description"]


# --------------------------------------------------------------------------------------------
# Recovery 2 (issue 14): "surgeon vs the rest" (k of n) counts, each large surgeon in turn
# --------------------------------------------------------------------------------------------


def _counts(sentence: str) -> list[tuple[int, int]]:
    return [(int(k), int(n)) for k, n in re.findall(r"\((\d[\d,]*) of (\d[\d,]*)\)", sentence.replace(",", ""))]


def test_recovery_2_subtracting_each_surgeon_from_the_rest_never_gives_a_hidden_one(sample):
    # Surgeon F keeps 4 cases, one with a complication (the "1 of 4").
    f = sample[sample["surgeon"] == "Surgeon F"]
    small = pd.concat([f[f["complication"].astype(str) != "none"].head(1), f[f["complication"].astype(str) == "none"].head(3)])
    cases = pd.concat([sample[sample["surgeon"] != "Surgeon F"], small], ignore_index=True)
    choices = comparison.group_choices(cases, "Surgeon vs the rest")
    for outcome in ("Complication", "Reoperation within 12 months", "VAS leg pain: reached MCID at 12 months"):
        own: dict[str, tuple[int, int]] = {}
        totals = set()
        for surgeon in choices:
            _, table, _ = comparison.comparison_result(cases, "Surgeon vs the rest", surgeon, None, 5)
            row = table.set_index("outcome").loc[outcome]
            if row["suppressed"]:
                assert not _counts(row["sentence"])
                continue
            (k_b, n_b), (k_a, n_a) = _counts(row["sentence"])
            own[surgeon] = (k_a, n_a)
            totals.add((k_a + k_b, n_a + n_b))
        assert "Surgeon F" not in own
        assert len(totals) == 1  # the same "everyone" from every surgeon's page
        (k_all, n_all), = totals
        recovered = (k_all - sum(k for k, _ in own.values()), n_all - sum(n for _, n in own.values()))
        f_rows = cases["surgeon"] == "Surgeon F"
        assert recovered != (1, 4) and recovered[1] not in range(1, 5)
        # Nor from the page's "Showing N cases": N minus every shown surgeon's n.
        if outcome == "Complication":
            assert len(cases) - sum(n for _, n in own.values()) != int(f_rows.sum())


# --------------------------------------------------------------------------------------------
# Issue 14: Compare's return-to-work row counts and names a blank "working before surgery"
# --------------------------------------------------------------------------------------------


def test_return_to_work_row_counts_a_blank_working_before_surgery(sample):
    pair = group_pair(sample, "Approach vs approach", "Open", "Full-endoscopic")
    both = np.flatnonzero(pair.in_a | pair.in_b)
    for blanked, shown in ((both[:40], "40 cases"), (both[:3], "< 5 cases")):
        cases = sample.copy()
        cases.loc[cases.index[blanked], "employed_before_surgery"] = pd.NA
        _, table, _ = comparison.comparison_result(cases, "Approach vs approach", "Open", "Full-endoscopic", 5)
        row = table.set_index("outcome").loc["Return to work"]
        assert f"{shown} in the two groups had “working before surgery” left blank and are not counted" in row["sentence"]
        employed = cases["employed_before_surgery"].fillna(False).to_numpy(dtype=bool)
        assert row["n_a"] == int((pair.in_a & employed).sum())  # the blank cases are out of the n, not counted as employed
    _, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    assert "left blank" not in table.set_index("outcome").loc["Return to work", "sentence"]


# --------------------------------------------------------------------------------------------
# Issue 14: the propensity model's speed-ups change the time taken, not the estimates
# --------------------------------------------------------------------------------------------


def test_collapsed_patterns_with_frequency_weights_give_the_one_row_per_case_coefficients(sample):
    import statsmodels.api as sm

    from spinedash import casemix

    data = sample[sample["approach"].isin(["Open", "Full-endoscopic"])].reset_index(drop=True)
    y = (data["approach"] == "Full-endoscopic").to_numpy(dtype=float)
    covs, _ = casemix.design(data, [("condition", "category", "condition"), ("sex", "category", "sex"),
                                    ("spinal_level", "category", "level")])
    X = np.column_stack([np.ones(len(data)), casemix.design_matrix(covs)])
    per_case = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    # Patterns × outcome with frequency weights: the same likelihood, so the same coefficients.
    keys = pd.DataFrame(np.column_stack([X, y])).value_counts().reset_index()
    freq = sm.GLM(keys.iloc[:, -2].to_numpy(), keys.iloc[:, :-2].to_numpy(), family=sm.families.Binomial(),
                  freq_weights=keys["count"].to_numpy(dtype=float)).fit()
    np.testing.assert_allclose(freq.params, per_case.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(freq.bse, per_case.bse, rtol=1e-6)
    # casemix's own collapse (events and non-events per pattern) predicts what the per-case GLM does.
    assert len(keys) < len(data) // 4
    fit, predicted = casemix._fit("logistic", y, X)
    np.testing.assert_allclose(predicted, per_case.predict(X), rtol=1e-8)
    np.testing.assert_allclose(np.asarray(fit.params), per_case.params, rtol=1e-7, atol=1e-9)


def test_propensity_on_rows_by_newton_equals_the_glm(sample, monkeypatch):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from spinedash import casemix

    # With a small probe, the sample's propensity design (scores with decimals: nearly one pattern
    # per case) takes the Logit-by-Newton route used at a million cases.
    # The probe's own fit (its 700 rows hold both groups) is where Newton starts on all the rows.
    monkeypatch.setattr(casemix, "PATTERN_PROBE_ROWS", 700)
    calls = []
    monkeypatch.setattr(casemix, "Logit", lambda *a, **k: calls.append(1) or sm.Logit(*a, **k))
    data = sample[sample["approach"].isin(["Open", "Full-endoscopic"])].reset_index(drop=True)
    group_b = (data["approach"] == "Full-endoscopic").to_numpy()
    wanted = [("odi_pre", "number", "ODI before surgery"), ("age", "number", "age"), ("condition", "category", "condition"),
              ("sex", "category", "sex"), ("spinal_level", "category", "level")]
    weights, model = casemix.propensity_weights(data, group_b, wanted)
    assert len(calls) == 2 and model.used == ("ODI before surgery", "age", "condition", "sex", "level")
    complete = data.assign(b=group_b.astype(float), odi_missing=data["odi_pre"].isna().astype(float),
                           odi_filled=data["odi_pre"].fillna(data["odi_pre"].median()))
    fit = smf.glm("b ~ odi_filled + odi_missing + age + C(condition) + C(sex) + C(spinal_level)", complete,
                  family=sm.families.Binomial()).fit()
    ps = np.clip(fit.predict(complete).to_numpy(), 0.01, 0.99)
    share = group_b.mean()
    np.testing.assert_allclose(weights, np.where(group_b, share / ps, (1 - share) / (1 - ps)), rtol=1e-6)


def test_one_propensity_fit_serves_the_differences_and_the_balance(sample):
    from spinedash.analysis import compare_groups

    pair, table, balance = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting")
    fresh = compare_groups(sample, pair.in_a, pair.in_b, "Open", "Full-endoscopic", min_cell=5, adjust="weighting",
                           units=sample["approach"])
    pd.testing.assert_frame_equal(table, fresh)
    pd.testing.assert_frame_equal(balance, comparison.balance_table(sample, pair, 5))


# --------------------------------------------------------------------------------------------
# Issue 14: stay and return to work get an adjusted estimate (a ratio), raw and adjusted CIs
# --------------------------------------------------------------------------------------------


def _open_vs_endoscopic(sample):
    data = sample[sample["approach"].isin(["Open", "Full-endoscopic"])].reset_index(drop=True)
    return data.assign(g=(data["approach"] == "Full-endoscopic").astype(int))


def test_adjusted_stay_is_a_ratio_of_geometric_means_from_least_squares_on_log_stay(sample):
    import statsmodels.formula.api as smf

    from spinedash import casemix
    from spinedash.analysis import propensity_covariates

    data = _open_vs_endoscopic(sample)
    _, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    stay = table.set_index("outcome").loc["Length of stay"]
    fit = smf.ols("np.log(length_of_stay_hours) ~ g + C(condition) + age + C(sex) + C(spinal_level)", data).fit(cov_type="HC1")
    assert stay["adjusted_measure"] == "ratio of geometric means"
    np.testing.assert_allclose(stay[["adjusted_difference", "adjusted_ci_low", "adjusted_ci_high"]].to_numpy(dtype=float),
                               np.exp([fit.params["g"], *fit.conf_int().loc["g"]]), rtol=1e-6)
    assert stay["adjusted_p_value"] == pytest.approx(fit.pvalues["g"], rel=1e-6, abs=1e-300)
    assert stay["adjusted_for"] == "condition, age, sex and level"
    crude = smf.ols("np.log(length_of_stay_hours) ~ g", data).fit(cov_type="HC1")
    np.testing.assert_allclose(stay[["ratio", "ratio_ci_low", "ratio_ci_high"]].to_numpy(dtype=float),
                               np.exp([crude.params["g"], *crude.conf_int().loc["g"]]), rtol=1e-6)
    # Unadjusted, the ratio is the geometric mean of B over that of A.
    log_stay = np.log(data["length_of_stay_hours"])
    assert stay["ratio"] == pytest.approx(np.exp(log_stay[data["g"] == 1].mean() - log_stay[data["g"] == 0].mean()), rel=1e-9)
    assert "stays with Full-endoscopic were 89% shorter than with Open (ratio of geometric means 0.11" in stay["sentence"]
    # Weighting: the inverse-probability-weighted least squares of log stay, with HC1 errors.
    _, weighted, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting")
    weights, _ = casemix.propensity_weights(data, data["g"].to_numpy(bool), propensity_covariates(sample))
    wls = smf.wls("np.log(length_of_stay_hours) ~ g", data, weights=weights).fit(cov_type="HC1")
    row = weighted.set_index("outcome").loc["Length of stay"]
    np.testing.assert_allclose(row[["adjusted_difference", "adjusted_ci_low", "adjusted_ci_high"]].to_numpy(dtype=float),
                               np.exp([wls.params["g"], *wls.conf_int().loc["g"]]), rtol=1e-6)


def test_stay_ratio_worked_by_hand():
    from spinedash.analysis import compare_groups

    # A stays 2 and 8 hours (geometric mean 4), B 1 and 4 (geometric mean 2): B's stays are half as long.
    cases = pd.DataFrame({"approach": ["Open"] * 2 + ["Full-endoscopic"] * 2, "length_of_stay_hours": [2.0, 8.0, 1.0, 4.0]})
    row = compare_groups(cases, cases["approach"] == "Open", cases["approach"] == "Full-endoscopic", "Open", "Full-endoscopic",
                         min_cell=1).set_index("outcome").loc["Length of stay"]
    assert row["ratio"] == pytest.approx(0.5, rel=1e-12)
    # Nothing to adjust for in these data: no adjusted estimate (it would only repeat the ratio), and it says so.
    assert np.isnan(row["adjusted_difference"]) and row["adjusted_for"] == "not adjusted"
    cases = cases.assign(age=[30.0, 60, 35, 55])
    row = compare_groups(cases, cases["approach"] == "Open", cases["approach"] == "Full-endoscopic", "Open", "Full-endoscopic",
                         min_cell=1).set_index("outcome").loc["Length of stay"]
    # Four cases cannot carry a group term and age at 10 cases per term: no adjusted estimate, and it says why.
    assert np.isnan(row["adjusted_difference"]) and "not adjusted" in row["sentence"]
    cases = pd.concat([cases] * 10, ignore_index=True)
    row = compare_groups(cases, cases["approach"] == "Open", cases["approach"] == "Full-endoscopic", "Open", "Full-endoscopic",
                         min_cell=1).set_index("outcome").loc["Length of stay"]
    assert row["adjusted_for"] == "age" and np.isfinite(row["adjusted_difference"])


def test_independent_columns_drops_combinations_of_earlier_columns():
    from spinedash import casemix

    rng = np.random.default_rng(3)
    age = rng.normal(50, 10, 30)
    a = (np.arange(30) % 3 == 0).astype(float)
    b = (np.arange(30) % 3 == 1).astype(float)
    c = 1.0 - a - b  # with the intercept, the three dummies are one too many
    X = np.column_stack([np.ones(30), age, a, b, c, 2 * age + 1, np.zeros(30)])
    assert casemix.independent_columns(X.T @ X).tolist() == [0, 1, 2, 3]


def test_group_tied_to_the_case_mix_gets_no_adjusted_estimate():
    """Every B case has a condition no A case has: a regression cannot tell the group from the condition.

    Before, the near-singular inverse printed an adjusted NDI difference of −928 (95% CI ±1.4e9) on a
    40-case cervical file, and an exact fit printed "+8.0 (+8.0 to +8.0)".
    """
    from spinedash.analysis import compare_groups

    rng = np.random.default_rng(7)
    n = 120
    b = np.arange(n) % 2 == 1
    cases = pd.DataFrame({
        "approach": np.where(b, "Full-endoscopic", "Open"),
        "condition": np.where(b, "Herniated disc", "Spinal stenosis"),
        "age": rng.normal(55, 12, n).round(),
        "odi_pre": rng.normal(45, 10, n).round(),
    })
    cases["odi_12m"] = (cases["odi_pre"] * 0.5 + rng.normal(0, 8, n)).round()
    table = compare_groups(cases, ~b, b, "Open", "Full-endoscopic", min_cell=5).set_index("outcome")
    row = table.loc["ODI at 12 months"]
    assert np.isfinite(row["difference"])
    assert np.isnan(row["adjusted_difference"]) and np.isnan(row["adjusted_ci_low"])
    assert "not adjusted" in row["sentence"]


def test_small_file_heading_is_short_and_the_note_names_every_covariate_and_what_was_left_out():
    """40 cervical cases: the heading names two covariates and counts the rest; the note below it names every
    covariate per outcome, what the 10-per-term rule left out and why (issue 14: nothing unsaid)."""
    from spinedash import comparison
    from spinedash.ingest import load_outcomes

    cases = load_outcomes(DATA / "cervical_clinic.csv").cases
    _, table, _ = comparison.comparison_result(cases, "Approach vs approach", "Open", "Microscopic", 5)
    rows = table.set_index("outcome")
    assert rows.loc["NDI at 12 months", "adjusted_terms"] == "the score before surgery; condition"
    assert rows.loc["NDI at 12 months", "left_out_terms"] == "age; sex; level"
    assert rows.loc["Length of stay", "adjusted_terms"] == "condition; age; sex"
    assert rows.loc["Length of stay", "left_out_terms"] == "level"
    heading = comparison.adjustment_heading(table, "regression")
    assert heading == "Adjusted for the score before surgery, condition and 2 more; some left out: too few cases"
    assert len(heading) < 90 and "(" not in heading
    note = comparison.adjustment_note(table, "regression")
    assert note.startswith("Adjusted for condition, age and sex in Length of stay; for the score before surgery and "
                           "condition in VAS neck pain at 12 months, ")
    assert ("Left out, too few cases for more terms (about 10 cases per model term, Peduzzi 1996): level from Length of "
            "stay; age, sex and level from VAS neck pain at 12 months") in note
    assert note.count("left out") == 0 and note.count("Left out") == 1  # said once, not once per outcome


def test_weighting_on_the_small_file_says_what_the_propensity_score_left_out():
    from spinedash import comparison
    from spinedash.dataset import without_blank_columns
    from spinedash.ingest import load_outcomes

    cases = without_blank_columns(load_outcomes(DATA / "cervical_clinic.csv").cases)  # as the app holds it
    _, table, _ = comparison.comparison_result(cases, "Approach vs approach", "Open", "Microscopic", 5, "weighting")
    assert comparison.adjustment_heading(table, "weighting") == "Adjusted for VAS neck pain before surgery; some left out: too few cases"
    note = comparison.adjustment_note(table, "weighting")
    assert "Left out: level, sex, age, condition, EQ-5D index before surgery" in note
    assert "— too few cases for more terms (about 10 cases per model term, Peduzzi 1996)." in note


def test_a_covariate_left_out_for_another_reason_is_named_with_it():
    from spinedash import comparison

    row = {"outcome": "Complication", "suppressed": False, "adjusted_difference": 0.01, "adjusted_for": "condition and age",
           "adjusted_terms": "condition; age", "left_out_terms": "sex (the same for every case); level (not in the data)",
           "adjusted_measure": "difference"}
    table = pd.DataFrame([row])
    assert comparison.adjustment_heading(table, "regression") == "Adjusted for condition and age; some left out"
    note = comparison.adjustment_note(table, "regression")
    assert note.startswith("Adjusted for condition and age (regression on the case mix).")
    assert "Sex left out: the same for every case. Level left out: not in the data." in note


def test_heading_when_nothing_could_be_adjusted_or_nothing_was_asked():
    from spinedash import comparison
    from spinedash.ingest import load_outcomes

    cases = load_outcomes(DATA / "exports" / "norspine_lumbar_datadump.csv").cases  # 14 cases
    _, table, _ = comparison.comparison_result(cases, "Site vs site", "Haukeland", "Tromsø", 1)
    assert comparison.adjustment_heading(table, "regression") == "Not adjusted: too few cases"
    assert comparison.adjustment_note(table, "regression").startswith("Not adjusted for case mix: too few cases to adjust any")
    assert comparison.adjustment_heading(table, "none") == "Not adjusted for case mix"
    # 14 cases hold the group term alone: no row prints an "adjusted" estimate that only repeats the raw one.
    shown = table[~table["suppressed"]]
    assert len(shown) and shown["adjusted_difference"].isna().all()
    assert (shown["adjusted_for"] == "not adjusted").all() and shown["sentence"].str.contains("not adjusted").all()


def test_heading_on_the_sample_names_the_scores_as_one_term(sample):
    from spinedash import comparison

    _, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    assert comparison.adjustment_heading(table, "regression") == "Adjusted for the score before surgery, condition and 3 more"
    _, weighted, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting")
    assert comparison.adjustment_heading(weighted, "weighting") == "Adjusted for the scores before surgery, condition and 3 more"


def test_small_file_leaves_out_covariates_it_cannot_carry_and_says_so():
    """The 40-case cervical file: 10 cases per term (Peduzzi 1996, as the funnel's model) leaves room for
    the group, the score before surgery and condition; age, sex and level are named as left out, and the
    estimate is statsmodels OLS on exactly the terms kept."""
    import statsmodels.formula.api as smf

    from spinedash import comparison
    from spinedash.ingest import load_outcomes

    cases = load_outcomes(DATA / "cervical_clinic.csv").cases
    _, table, _ = comparison.comparison_result(cases, "Approach vs approach", "Open", "Microscopic", 5)
    row = table.set_index("outcome").loc["NDI at 12 months"]
    assert row["adjusted_for"].startswith("the score before surgery and condition (age, sex and level left out: too few cases")
    data = cases[cases["approach"].isin(["Open", "Microscopic"])].dropna(subset=["ndi_12m", "ndi_pre"]).copy()
    data["g"] = (data["approach"] == "Microscopic").astype(float)
    fit = smf.ols("ndi_12m ~ g + ndi_pre + C(condition)", data).fit()
    assert len(data) == 32
    assert row["adjusted_difference"] == pytest.approx(fit.params["g"], rel=1e-6)
    np.testing.assert_allclose([row["adjusted_ci_low"], row["adjusted_ci_high"]], fit.conf_int().loc["g"], rtol=1e-6)


def test_adjusted_return_to_work_is_a_cox_hazard_ratio_matching_phreg(sample):
    from statsmodels.duration.hazard_regression import PHReg

    from spinedash import casemix
    from spinedash.analysis import propensity_covariates

    data = _open_vs_endoscopic(sample)
    employed = data["employed_before_surgery"].fillna(False).to_numpy(bool)
    returned = data["return_to_work_days"].notna()
    data = data.assign(time=data["return_to_work_days"].fillna(data["last_followup_days"]), status=returned.astype(float))
    usable = employed & data["time"].notna().to_numpy()
    work = data[usable]
    fit = PHReg.from_formula("time ~ g + C(condition) + age + C(sex) + C(spinal_level)", work, status=work["status"].to_numpy(),
                             ties="breslow").fit()
    _, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    row = table.set_index("outcome").loc["Return to work"]
    assert row["adjusted_measure"] == "hazard ratio"
    g = list(fit.model.exog_names).index("g")
    np.testing.assert_allclose(row[["adjusted_difference", "adjusted_ci_low", "adjusted_ci_high", "adjusted_p_value"]].to_numpy(dtype=float),
                               [np.exp(fit.params[g]), *np.exp(fit.conf_int()[g]), fit.pvalues[g]], rtol=1e-6)
    crude = PHReg(work["time"].to_numpy(), work[["g"]].to_numpy(float), status=work["status"].to_numpy(), ties="breslow").fit()
    np.testing.assert_allclose(row[["ratio", "ratio_ci_low", "ratio_ci_high"]].to_numpy(dtype=float),
                               np.exp([crude.params[0], *crude.conf_int()[0]]), rtol=1e-6)
    assert "returned to work sooner: at any time after surgery, 1.69 times as likely to return as those with Open" in row["sentence"]
    # Raw difference of the Kaplan–Meier medians now has its bootstrap interval around it.
    assert row["diff_ci_low"] <= row["difference"] <= row["diff_ci_high"] and row["diff_ci_high"] > row["diff_ci_low"]
    # Weighting: the weighted Cox model with robust errors, on the propensity weights.
    _, weighted, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting")
    weights, _ = casemix.propensity_weights(data, data["g"].to_numpy(bool), propensity_covariates(sample))
    expected = casemix.hazard_ratio(work["time"].to_numpy(), work["status"].to_numpy(bool), work["g"].to_numpy(), weights=weights[usable])
    np.testing.assert_allclose(weighted.set_index("outcome").loc["Return to work", ["adjusted_difference", "adjusted_ci_low",
                               "adjusted_ci_high", "adjusted_p_value"]].to_numpy(dtype=float), expected, rtol=1e-9)


def test_weighted_cox_equals_phreg_on_repeated_rows_and_robust_errors_equal_phregs():
    from statsmodels.duration.hazard_regression import PHReg

    from spinedash.casemix import cox_fit

    rng = np.random.default_rng(7)
    n = 300
    X = np.column_stack([rng.random(n) < 0.5, rng.normal(size=n), rng.integers(0, 3, n) == 1]).astype(float)
    time = np.round(rng.exponential(30 * np.exp(-0.5 * X[:, 0] + 0.2 * X[:, 1])))  # whole days: many ties
    event = rng.random(n) < 0.7
    plain = PHReg(time, X, status=event.astype(float), ties="breslow").fit()
    ours = cox_fit(time, event, X)
    np.testing.assert_allclose(ours.params, plain.params, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), plain.bse, rtol=1e-6)
    robust = PHReg(time, X, status=event.astype(float), ties="breslow").fit(groups=np.arange(n))
    np.testing.assert_allclose(np.sqrt(np.diag(cox_fit(time, event, X, robust=True).cov)), robust.bse, rtol=1e-6)
    # Whole-number weights: the rows repeated; robust errors clustered on the original case.
    w = rng.integers(1, 4, n)
    rep = np.repeat(np.arange(n), w)
    repeated = PHReg(time[rep], X[rep], status=event[rep].astype(float), ties="breslow").fit(groups=rep)
    weighted = cox_fit(time, event, X, weights=w.astype(float), robust=True)
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(weighted.cov)), repeated.bse, rtol=1e-6)


def test_hazard_ratio_worked_by_hand():
    from spinedash.casemix import hazard_ratio

    # A returns on days 1 and 3, B on days 2 and 4. Partial likelihood, x = HR:
    # L = 1/(2 + 2x) · x/(1 + 2x) · 1/(1 + x) · 1; d log L/dβ = 0 gives 1 − x − 4x² = 0, x = (√17 − 1)/8.
    hr, low, high, p = hazard_ratio(np.array([1.0, 3, 2, 4]), np.ones(4, bool), np.array([0, 0, 1, 1]))
    assert hr == pytest.approx((np.sqrt(17) - 1) / 8, rel=1e-9)
    assert low < hr < high and 0 < p < 1


def test_kaplan_meier_median_from_counts_and_its_bootstrap(sample):
    from statsmodels.duration.survfunc import SurvfuncRight

    from spinedash.analysis import _bootstrap_km_medians, km_median, km_median_from_counts

    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(5, 80))
        time = rng.integers(1, 30, n).astype(float)
        event = rng.random(n) < 0.6
        if not event.any():
            continue
        sf = SurvfuncRight(time, event.astype(float))
        times = np.unique(time)
        events = np.array([(event & (time == t)).sum() for t in times])
        censored = np.array([(~event & (time == t)).sum() for t in times])
        expected = km_median(sf.surv_times, sf.surv_prob)
        got = km_median_from_counts(times, events, censored)[0]
        assert (np.isnan(expected) and np.isnan(got)) or got == expected
    # The bootstrap by counts has the spread of resampling the cases themselves.
    time = rng.integers(5, 60, 200).astype(float)
    event = rng.random(200) < 0.8
    by_counts = _bootstrap_km_medians(time, event, np.random.default_rng(1), 2000)
    direct = []
    draw = np.random.default_rng(2)
    for _ in range(2000):
        pick = draw.integers(0, 200, 200)
        sf = SurvfuncRight(time[pick], event[pick].astype(float))
        direct.append(km_median(sf.surv_times, sf.surv_prob))
    assert np.nanpercentile(by_counts, [2.5, 50, 97.5]) == pytest.approx(np.nanpercentile(direct, [2.5, 50, 97.5]), abs=2)


def test_display_gives_ratios_as_ratios(sample):
    from spinedash.tables import comparison_display

    pair, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    shown = comparison_display(table, pair.label_a, pair.label_b).set_index("Outcome")
    assert shown.loc["Length of stay, hours", "Adjusted estimate (95% CI)"] == "ratio 0.11 (0.10 to 0.12)"
    assert shown.loc["Return to work, days", "Adjusted estimate (95% CI)"].startswith("HR 1.69 (1.39 to 2.05)")
    assert shown.loc["Return to work, days", "Difference B − A (95% CI)"] == "-20 (-28 to -14)"
    assert comparison.adjustment_note(table, "regression").count("Not adjusted") == 0


def test_excel_export_says_what_the_comparison_adjusted_for(sample):
    import io

    from openpyxl import load_workbook

    from spinedash.export import to_csv_bytes, to_xlsx_bytes
    from spinedash.tables import comparison_display

    pair, table, _ = comparison.comparison_result(sample, "Approach vs approach", "Open", "Full-endoscopic", 5)
    display = comparison_display(table, pair.label_a, pair.label_b)
    book = load_workbook(io.BytesIO(to_xlsx_bytes(display, "Comparison", comparison.export_notes(table, "Approach vs approach", 5, "Sample"))))
    about = " ".join(str(row[0]) for row in book["About"].iter_rows(values_only=True))
    assert comparison.adjustment_note(table, "regression") in about
    assert comparison.multiple_testing_note(table) in about and "1 − 0.95^9" in about
    assert all(line in about for line in comparison.method_lines(table))
    headers = [c.value for c in next(book["Comparison"].iter_rows(max_row=1))]
    assert {"Holm p", "Adjusted estimate (95% CI)", "Adjusted Holm p", "Adjusted for"} <= set(headers)
    # The CSV carries the same per-row columns: Holm p and what each row adjusted for.
    csv = pd.read_csv(io.BytesIO(to_csv_bytes(display)))
    assert {"Holm p", "Adjusted Holm p", "Adjusted for"} <= set(csv.columns)
    assert csv.set_index("Outcome").loc["Complication", "Adjusted for"] == "condition, age, sex and level"


def test_hazard_ratio_for_a_group_tied_to_the_case_mix_is_not_given():
    from spinedash import casemix

    rng = np.random.default_rng(11)
    n = 200
    group = (np.arange(n) % 2).astype(float)
    condition = group.copy()  # every B case has the condition, no A case has it
    age = rng.normal(50, 10, n)
    time = rng.exponential(60, n).round() + 1
    event = rng.random(n) < 0.8
    assert np.isnan(casemix.hazard_ratio(time, event, group, covariates=np.column_stack([condition, age]))[0])
    # Age alone, or a covariate repeating another, leaves a hazard ratio to estimate.
    hr = casemix.hazard_ratio(time, event, group, covariates=np.column_stack([age, 2 * age]))
    assert hr == pytest.approx(casemix.hazard_ratio(time, event, group, covariates=age[:, None]), rel=1e-9)
