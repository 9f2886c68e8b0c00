"""Funnel plots: exact binomial limits, unit rates, suppression and the chart spec."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from spinedash import funnel
from spinedash.funnel import FunnelError, binomial_limits, funnel_chart, funnel_data
from spinedash.vegalite import validate

# The exact binomial funnel of the crude rates, which these hand-worked tests check.
EXACT = {"adjust": False, "dispersion": "none"}


def test_limits_approach_the_normal_approximation_for_large_n():
    # p0 = 0.8, n = 400: sd = sqrt(0.8 * 0.2 / 400) = 0.02, so 0.8 ± 1.96 * 0.02 = 0.7608 / 0.8392
    # and 0.8 ± 3.09 * 0.02 = 0.7382 / 0.8618.
    lo95, hi95 = binomial_limits(400, 0.8, funnel.TAIL_95)
    assert lo95 == pytest.approx(0.7608, abs=0.005)
    assert hi95 == pytest.approx(0.8392, abs=0.005)
    lo998, hi998 = binomial_limits(400, 0.8, funnel.TAIL_998)
    assert lo998 == pytest.approx(0.7382, abs=0.006)
    assert hi998 == pytest.approx(0.8618, abs=0.006)


def test_limits_worked_by_hand_for_ten_cases_at_one_half():
    # Binomial(10, 0.5): P(R<=1) = 11/1024, P(R<=2) = 56/1024, P(R=2) = 45/1024.
    # Lower 95%: r = 2, alpha = (56/1024 - 0.025) / (45/1024) = 0.675556, limit (2 - alpha)/10.
    # Upper by symmetry: P(R<=8) = 1013/1024, P(R=8) = 45/1024, r = 8,
    # alpha = (1013/1024 - 0.975) / (45/1024) = 0.324444, limit (8 + 1 - alpha)/10.
    lo, hi = binomial_limits(10, 0.5, 0.025)
    alpha_lo = (56 / 1024 - 0.025) / (45 / 1024)
    alpha_hi = (1013 / 1024 - 0.975) / (45 / 1024)
    assert lo == pytest.approx((2 - alpha_lo) / 10, abs=1e-9)
    assert hi == pytest.approx((9 - alpha_hi) / 10, abs=1e-9)
    assert lo == pytest.approx(0.132444, abs=1e-6)
    assert hi == pytest.approx(0.867556, abs=1e-6)


@pytest.mark.parametrize("n", [7, 23, 60, 151])
@pytest.mark.parametrize("p0", [0.12, 0.45, 0.83])
def test_limits_sit_within_one_case_of_the_binomial_quantiles(n, p0):
    for tail in (funnel.TAIL_95, funnel.TAIL_998):
        lo, hi = binomial_limits(n, p0, tail)
        r_lo = binom.ppf(tail, n, p0)
        r_hi = binom.ppf(1 - tail, n, p0)
        # Interpolation moves the lower limit at most one case below its quantile, the upper at most
        # one case above.
        assert max(r_lo - 1, 0) / n - 1e-12 <= lo <= r_lo / n + 1e-12
        assert r_hi / n - 1e-12 <= hi <= min(r_hi + 1, n) / n + 1e-12


def test_limits_mirror_for_complementary_rates():
    n = np.array([5, 17, 88, 300])
    lo, hi = binomial_limits(n, 0.3, funnel.TAIL_95)
    lo_c, hi_c = binomial_limits(n, 0.7, funnel.TAIL_95)
    np.testing.assert_allclose(lo, 1 - hi_c, atol=1e-9)
    np.testing.assert_allclose(hi, 1 - lo_c, atol=1e-9)


def test_limits_widen_as_volume_falls():
    n = np.arange(10, 400, 7)
    lo, hi = binomial_limits(n, 0.7, funnel.TAIL_998)
    width = hi - lo
    assert np.all(np.diff(width) < 0.02)  # allow the small ripple left by discreteness
    assert width[0] > 2 * width[-1]
    assert np.all(lo <= 0.7) and np.all(hi >= 0.7)


def _cases(spec: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Cases per surgeon: {surgeon: (n, responders)}; responders improve VAS leg by 5, others by 1."""
    rows = []
    for surgeon, (n, events) in spec.items():
        for i in range(n):
            rows.append({"surgeon": surgeon, "site": "North", "vas_leg_pre": 7.0, "vas_leg_12m": 2.0 if i < events else 6.0})
    return pd.DataFrame(rows)


def test_funnel_rates_overall_and_suppression():
    cases = _cases({"A": (40, 32), "B": (40, 20), "C": (20, 16), "D": (3, 3), "E": (4, 2)})
    result = funnel_data(cases, by="surgeon", measure="mcid_vas_leg_12m", threshold=3.2, min_cell=5, **EXACT)
    units = result.units.set_index("unit")
    assert list(result.units["unit"]) == ["A", "B", "C", "D", "E"]  # name order, never ranked
    assert units.loc["A", "rate"] == pytest.approx(0.8)
    assert units.loc["B", "events"] == 20
    # D has 3 cases, E 4 (together 7 ≥ k: no third unit needs hiding): suppressed, and its counts are not recoverable from the frame.
    assert bool(units.loc["D", "suppressed"])
    assert pd.isna(units.loc["D", "n"]) and pd.isna(units.loc["D", "rate"]) and pd.isna(units.loc["D", "events"])
    # Overall over the plotted units only: (32 + 20 + 16) / 100.
    assert result.overall_rate == pytest.approx(0.68)
    # B: 50% of 40 against 68%: sd = sqrt(.68 * .32 / 40) = 0.0738, z = -2.44 -> outside 95%, inside 99.8%.
    assert bool(units.loc["B", "outside_95"]) and not bool(units.loc["B", "outside_998"])
    assert not bool(units.loc["A", "outside_95"])
    assert result.limits["n"].min() == 5 and result.limits["n"].max() == 40
    assert len(result.limits) <= 200


def test_grid_never_exceeds_two_hundred_points():
    cases = _cases({"A": (900, 700), "B": (12, 10)})
    result = funnel_data(cases, min_cell=5, **EXACT)
    assert len(result.limits) <= 200
    assert result.limits["n"].is_monotonic_increasing


def test_flags_agree_with_limits_at_the_unit_volume():
    cases = _cases({"A": (60, 30), "B": (60, 55), "C": (60, 45), "E": (10, 2)})
    result = funnel_data(cases, min_cell=5, **EXACT)
    p0 = result.overall_rate
    for row in result.units.itertuples():
        lo, hi = binomial_limits(row.n, p0, funnel.TAIL_998)
        assert bool(row.outside_998) == (row.rate < lo or row.rate > hi)


def test_stay_measures_and_complications():
    cases = pd.DataFrame(
        {
            "site": ["N"] * 6 + ["S"] * 6,
            "length_of_stay_hours": [4, 8, 11, 20, 30, 70, 6, 26, 50, 72, 80, np.nan],
            "complication": ["none", "none", "dural tear", "none", "none", "none", "infection", "none", None, "none", "none", "none"],
        }
    )
    same_day = funnel_data(cases, by="site", measure="same_day_discharge", min_cell=5, **EXACT).units.set_index("unit")
    assert same_day.loc["N", "events"] == 3 and same_day.loc["N", "n"] == 6  # 4, 8, 11 h
    assert same_day.loc["S", "events"] == 1 and same_day.loc["S", "n"] == 5  # blank stay not counted
    within_day = funnel_data(cases, by="site", measure="median_stay", min_cell=5, **EXACT)
    assert within_day.units.set_index("unit").loc["N", "events"] == 4  # ≤ 24 h
    assert "24 h" in within_day.measure_label
    comp = funnel_data(cases, by="site", measure="complication", min_cell=5, **EXACT).units.set_index("unit")
    assert comp.loc["N", "events"] == 1 and comp.loc["S", "n"] == 5


def test_missing_column_and_unknown_measure_raise():
    with pytest.raises(FunnelError, match="vas_leg_12m"):
        funnel_data(pd.DataFrame({"surgeon": ["A"], "vas_leg_pre": [5.0]}))
    with pytest.raises(FunnelError, match="measure"):
        funnel_data(_cases({"A": (5, 2)}), measure="mortality")
    with pytest.raises(FunnelError, match="surgeons or sites"):
        funnel_data(_cases({"A": (5, 2)}), by="approach")


def test_all_units_suppressed_gives_no_limits():
    result = funnel_data(_cases({"A": (3, 2), "B": (4, 1)}), min_cell=5, **EXACT)
    assert result.overall_rate is None
    assert result.limits.empty
    assert result.units["suppressed"].all()
    spec = validate(funnel_chart(result, "Nothing to show"))
    assert len(spec["layer"]) == 1
    assert spec["datasets"] == {"shown": []}  # no limits, no overall rate, and no suppressed unit sent


def test_chart_spec():
    cases = _cases({"A": (40, 32), "B": (40, 12), "C": (20, 16), "D": (3, 3), "E": (4, 2)})
    result = funnel_data(cases, min_cell=5, **EXACT)
    spec = validate(funnel_chart(result, "VAS leg MCID at 12 months by surgeon"))
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "rule", "circle"]
    lines, rule, dots = spec["layer"]
    assert lines["encoding"]["strokeDash"]["scale"]["domain"] == ["95% limits", "99.8% limits"]
    assert dots["encoding"]["x"]["title"].startswith("Number of cases")
    assert "(%)" in dots["encoding"]["y"]["title"]
    assert {t["field"] for t in dots["encoding"]["tooltip"]} == {"unit", "n", "rate_pct", "flag"}
    assert "fewer than 5 cases are not shown" in spec["title"]["subtitle"][0]
    assert spec["width"] == "container"
    datasets = spec["datasets"]
    point_rows = datasets[dots["data"]["name"]]
    assert sorted(r["unit"] for r in point_rows) == ["A", "B", "C"]  # suppressed D not sent
    b = next(r for r in point_rows if r["unit"] == "B")
    assert b["flag"] == funnel.FLAG_998  # 30% of 40 against (32+12+16)/100 = 60%: sd 0.0775, z ≈ -3.9
    assert math.isclose(b["rate_pct"], 30.0)
    assert all(len(rows) <= 4 * 200 for rows in datasets.values())


def test_chart_spec_is_plain_json():
    result = funnel_data(_cases({"A": (40, 32), "B": (40, 12), "C": (20, 16), "D": (3, 3), "E": (4, 2)}), min_cell=5, **EXACT)
    spec = funnel_chart(result, "VAS leg MCID at 12 months by surgeon")
    assert type(spec) is dict
    validate(spec)  # through json.dumps(allow_nan=False): no NaN, pd.NA or numpy number left
    assert json.loads(json.dumps(spec)) == spec
    # Every layer reads a named dataset that is sent, and nothing unused is sent.
    assert {layer["data"]["name"] for layer in spec["layer"]} == set(spec["datasets"])


def test_chart_draws_units_outside_the_998_limits_larger_in_vermillion():
    result = funnel_data(_cases({"A": (40, 32), "B": (40, 12), "C": (20, 16), "D": (3, 3), "E": (4, 2)}), min_cell=5, **EXACT)
    spec = validate(funnel_chart(result, "VAS leg MCID at 12 months by surgeon"))
    dots = spec["layer"][-1]
    # The test Altair wrote for alt.datum.flag == FLAG_998: the larger size goes to the alarm only.
    assert dots["encoding"]["size"] == {
        "condition": {"test": "(datum.flag === 'Outside 99.8% limits')", "value": 180},
        "value": 70,
    }
    scale = dots["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == funnel.FLAG_COLOURS
    assert funnel.FLAG_COLOURS[funnel.FLAG_998] == "#D55E00"  # Okabe–Ito vermillion
    # Against 60%: A 80% of 40 (z ≈ 2.6) outside 95% only, B 30% of 40 (z ≈ -3.9) outside 99.8%,
    # C 80% of 20 (z ≈ 1.8) within.
    flags = {r["unit"]: r["flag"] for r in spec["datasets"][dots["data"]["name"]]}
    assert flags == {"A": funnel.FLAG_95, "B": funnel.FLAG_998, "C": funnel.FLAG_WITHIN}


def test_chart_limits_and_overall_rate_in_percent():
    result = funnel_data(_cases({"A": (40, 32), "B": (40, 12), "C": (20, 16), "D": (3, 3), "E": (4, 2)}), min_cell=5, **EXACT)
    spec = validate(funnel_chart(result, "VAS leg MCID at 12 months by surgeon"))
    lines, rule, _ = spec["layer"]
    limit_rows = spec["datasets"][lines["data"]["name"]]
    assert len(limit_rows) == 4 * len(result.limits)  # four lines, one row per grid n each
    assert {r["limits"] for r in limit_rows} == {"95% limits", "99.8% limits"}
    assert lines["encoding"]["strokeDash"]["scale"]["range"] == [[6, 4], [2, 2]]  # dashed 95%, dotted 99.8%
    [overall] = spec["datasets"][rule["data"]["name"]]
    assert overall == {"rate_pct": pytest.approx(60.0), "label": "Overall rate 60.0%"}
    assert "Solid line: the overall rate, 60.0%, across the surgeons shown." in spec["title"]["subtitle"]
    assert "2 of 5 surgeons not shown for that reason." in spec["title"]["subtitle"]


def test_units_display_names_the_limit_and_side_never_ranks():
    import pandas as pd

    from spinedash.funnel import FunnelResult, units_display

    units = pd.DataFrame(
        {
            "unit": ["Surgeon B", "Surgeon A", "Surgeon C", "Surgeon D"],
            "n": [100.0, 50.0, 80.0, float("nan")],
            "events": [95.0, 20.0, 56.0, float("nan")],
            "rate": [0.95, 0.40, 0.70, float("nan")],
            "outside_95": [True, True, False, False],
            "outside_998": [True, False, False, False],
            "suppressed": [False, False, False, True],
            "complementary": [False, False, False, False],
            "expected": [80.0, 25.0, 56.0, float("nan")],
            "ratio": [95 / 80, 0.8, 1.0, float("nan")],
        }
    )
    result = FunnelResult(units, pd.DataFrame(), 0.7, "Rate", "mcid_vas_leg_12m", "surgeon", 5, True)
    table = units_display(result, 5)
    assert table["Surgeon"].tolist() == ["Surgeon A", "Surgeon B", "Surgeon C", "Surgeon D"]
    where = dict(zip(table["Surgeon"], table["Where it falls"], strict=True))
    assert where["Surgeon B"].startswith("above the 99.8% limit")
    assert where["Surgeon A"].startswith("below the 95% limit")
    assert where["Surgeon C"] == "within the limits"
    assert where["Surgeon D"] == "suppressed (n < 5)"
    assert table.loc[table["Surgeon"] == "Surgeon D", "Cases"].item() == "suppressed (n < 5)"


# --------------------------------------------------------------------------------------------
# Case-mix adjustment and over-dispersion (issue 14)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from spinedash.sample import load_sample

    return load_sample()


def _hand_fitted(sample, formula: str, event: np.ndarray):
    """Observed, expected and exact-binomial 99.8% flags per surgeon from statsmodels' formula GLM."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = sample.assign(event=event.astype(float), surgeon=sample["surgeon"].astype(str))
    fit = smf.glm(f"event ~ {formula}", frame, family=sm.families.Binomial()).fit()
    frame["p"] = fit.predict(frame)
    per = frame.groupby("surgeon").agg(n=("event", "size"), o=("event", "sum"), e=("p", "sum"))
    p0 = frame["event"].mean()
    lo, hi = binomial_limits(per["n"].to_numpy(), p0, funnel.TAIL_998)
    y = p0 * per["o"] / per["e"]
    return per, set(per.index[(y < lo) | (y > hi)])


def test_adjusted_funnel_flags_at_most_what_a_hand_fitted_model_flags(sample):
    event = (sample["length_of_stay_hours"] <= 12).to_numpy()
    formula = "C(condition) + C(approach) + age + C(sex) + C(spinal_level)"
    per, hand_flags = _hand_fitted(sample, formula, event)
    for dispersion in funnel.DISPERSION:
        result = funnel_data(sample, measure="same_day_discharge", dispersion=dispersion)
        units = result.units.set_index("unit")
        np.testing.assert_allclose(units.loc[per.index, "expected"].to_numpy(dtype=float), per["e"].to_numpy(), rtol=1e-6)
        flagged = set(units.index[units["outside_998"].astype(bool)])
        assert flagged <= hand_flags
    # Without the allowance the adjusted flags are exactly the hand-fitted model's.
    plain = funnel_data(sample, measure="same_day_discharge", dispersion="none").units.set_index("unit")
    assert set(plain.index[plain["outside_998"].astype(bool)]) == hand_flags
    # The crude funnel flags 4 of 6 surgeons for their approach mix; the adjusted one none of them.
    crude = funnel_data(sample, measure="same_day_discharge", adjust=False, dispersion="none").units
    assert int(crude["outside_998"].sum()) == 4
    assert hand_flags == set()


def test_adjust_for_approach_can_be_switched_off(sample):
    result = funnel_data(sample, measure="same_day_discharge", adjust_for_approach=False)
    assert "approach" not in result.model.used
    assert set(result.model.used) == {"condition", "age", "sex", "level"}
    with_approach = funnel_data(sample, measure="same_day_discharge")
    assert "approach" in with_approach.model.used
    assert with_approach.model.fit_name == "c-statistic" and 0.5 < with_approach.model.fit_value <= 1
    assert result.phi > with_approach.phi  # approach mix explains most of the spread between surgeons


def test_score_funnel_is_linear_and_matches_statsmodels_ols(sample):
    import statsmodels.formula.api as smf

    frame = sample.dropna(subset=["odi_12m", "odi_pre"]).assign(surgeon=lambda f: f["surgeon"].astype(str))
    fit = smf.ols("odi_12m ~ odi_pre + C(condition) + C(approach) + age + C(sex) + C(spinal_level)", frame).fit()
    expected = frame.assign(e=fit.fittedvalues).groupby("surgeon")["e"].sum()
    result = funnel_data(frame, measure="odi_12m")
    assert result.kind == "score" and result.model.kind == "linear"
    units = result.units.set_index("unit")
    np.testing.assert_allclose(units.loc[expected.index, "expected"].to_numpy(dtype=float), expected.to_numpy(), rtol=1e-8)
    assert result.model.fit_name == "R²" and result.model.fit_value == pytest.approx(fit.rsquared, rel=1e-8)
    # Adjusted mean = overall mean + (O − E)/n.
    n = units["n"].astype(float)
    np.testing.assert_allclose(units["rate"], result.overall_rate + (units["events"] - units["expected"]) / n, rtol=1e-10)


def test_overdispersion_by_hand():
    # z = 0, 1, 2, 3 (4 units: nothing winsorised): φ = (0 + 1 + 4 + 9) / 4 = 3.5.
    # se = 0.1, 0.1, 0.2, 0.2 -> w = 100, 100, 25, 25; Σw = 250, Σw² = 21,250, Σw − Σw²/Σw = 165.
    # τ² = (4·3.5 − 3) / 165 = 11 / 165.
    phi, tau2 = funnel.overdispersion(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.1, 0.1, 0.2, 0.2]))
    assert phi == pytest.approx(3.5)
    assert tau2 == pytest.approx(11 / 165)
    # Ten units: the single most extreme each side is winsorised to the next one in.
    z = np.array([-9.0, -1, -1, 0, 0, 0, 0, 1, 1, 9])
    phi10, _ = funnel.overdispersion(z, np.full(10, 0.1))
    assert phi10 == pytest.approx((1 + 1 + 1 + 0 + 0 + 0 + 0 + 1 + 1 + 1) / 10)
    assert np.isnan(funnel.overdispersion(np.array([1.0, 2.0]), np.array([0.1, 0.1]))[0])


def test_limits_widen_when_phi_exceeds_one_and_say_so(sample):
    plain = funnel_data(sample, measure="same_day_discharge", adjust=False, dispersion="none")
    for how in ("additive", "multiplicative"):
        wide = funnel_data(sample, measure="same_day_discharge", adjust=False, dispersion=how)
        assert wide.phi > 1 and wide.widened
        n = wide.limits["n"].to_numpy()
        p0, z = wide.overall_rate, 3.090232306167813
        sd2 = p0 * (1 - p0) / n
        half = z * np.sqrt(wide.phi * sd2) if how == "multiplicative" else z * np.sqrt(sd2 + wide.tau2)
        exact_hi = binomial_limits(n, p0, funnel.TAIL_998)[1]
        np.testing.assert_allclose(wide.limits["upper_998"], np.maximum(np.clip(p0 + half, 0, 1), exact_hi), rtol=1e-10)
        assert (np.clip(p0 + half, 0, 1) > exact_hi)[n >= 30].all()  # the allowance, not the exact limit, beyond a few cases
        assert (wide.limits["upper_998"].to_numpy() >= plain.limits["upper_998"].to_numpy() - 1e-12).all()
        assert "limits widened" in funnel.dispersion_text(wide)
        assert "φ = " in funnel.dispersion_text(wide)
    assert not plain.widened and "not widened" in funnel.dispersion_text(plain)


def test_unadjusted_is_named_as_such(sample):
    result = funnel_data(sample, measure="complication", adjust=False)
    assert funnel.y_axis_title(result).endswith("unadjusted")
    assert funnel.adjustment_text(result).startswith("Unadjusted")
    adjusted = funnel_data(sample, measure="complication")
    assert funnel.y_axis_title(adjusted).endswith("risk-adjusted")
    assert "Risk-adjusted for condition, approach, age, sex and level" in funnel.adjustment_text(adjusted)
    table = funnel.units_display(adjusted, 5)
    assert list(table.columns) == ["Surgeon", "Cases", "Observed", "Expected", "O/E", "Risk-adjusted", "Where it falls"]


def test_missing_covariates_and_tiny_data_say_what_was_left_out(sample):
    no_level = sample.drop(columns=["spinal_level", "sex"])
    result = funnel_data(no_level, measure="same_day_discharge")
    assert "level" not in result.model.used and "level (not in the data)" in result.model.left_out
    assert "sex (not in the data)" in funnel.adjustment_text(result)
    # 40 cases, 7 events: no room for even one term (10 events per term), so nothing is adjusted for.
    tiny = sample.head(40).copy()
    tiny["length_of_stay_hours"] = [6.0] * 7 + [30.0] * 33
    small = funnel_data(tiny, measure="same_day_discharge", min_cell=1)
    assert small.model.used == ()
    assert any("fewer than 10 per term" in reason for reason in small.model.left_out)
    assert funnel.adjustment_text(small).startswith("Not adjusted")
    ratio = small.units["ratio"].astype(float)
    np.testing.assert_allclose(small.units["rate"], small.overall_rate * ratio)
    # A blank covariate value is its own level, not a dropped case.
    holes = sample.copy()
    holes.loc[holes.index[:50], "age"] = np.nan
    holes["condition"] = holes["condition"].astype("object")
    holes.loc[holes.index[50:80], "condition"] = None
    filled = funnel_data(holes, measure="same_day_discharge")
    assert filled.model.n == len(holes)
    assert "age not recorded" in set(filled.model.terms["term"])


# --------------------------------------------------------------------------------------------
# Recovery 1 (issue 14): "Showing N" minus the shown units' n must not give a hidden unit's n
# --------------------------------------------------------------------------------------------


def _one_small_surgeon(sample, size: int = 3) -> pd.DataFrame:
    small = sample[sample["surgeon"] == "Surgeon F"].head(size)
    return pd.concat([sample[sample["surgeon"] != "Surgeon F"], small], ignore_index=True)


@pytest.mark.parametrize("measure", ["same_day_discharge", "complication", "mcid_vas_leg_12m"])
@pytest.mark.parametrize("adjust", [True, False])
def test_recovery_1_showing_minus_shown_units_never_gives_a_hidden_unit(sample, measure, adjust):
    cases = _one_small_surgeon(sample)
    result = funnel_data(cases, measure=measure, min_cell=5, adjust=adjust)
    shown = result.units[~result.units["suppressed"]]
    table = funnel.units_display(result, 5)
    # The attack: the page's "Showing N cases" minus every n on the page.
    showing = len(cases)
    recovered = showing - int(shown["n"].astype(int).sum())
    true_small = int((cases["surgeon"] == "Surgeon F").sum())
    assert recovered != true_small
    # The same attack on the cases with the measure recorded (what the funnel counts).
    _, recorded = funnel._outcome(cases, measure, None)
    small_recorded = int((recorded & (cases["surgeon"] == "Surgeon F").to_numpy()).sum())
    if small_recorded:
        assert int(recorded.sum()) - int(shown["n"].astype(int).sum()) != small_recorded
        assert result.units["suppressed"].sum() >= 2
    # Nothing below k is printed for any unit.
    hidden_rows = table[table["Surgeon"].isin(result.units.loc[result.units["suppressed"], "unit"])]
    assert not hidden_rows.drop(columns="Surgeon").map(lambda v: any(ch.isdigit() for ch in v.replace("n < 5", ""))).any().any()
    spec = funnel_chart(result, "t")
    assert {r["unit"] for r in spec["datasets"]["shown"]} == set(shown["unit"])
