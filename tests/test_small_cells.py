"""Replays of the ways issue 14 found to work out a suppressed group; each must now fail.

Recoveries 3 (Overview: All − minimally invasive − open = a blank-approach group) and 4 (Kaplan–
Meier steps with 4, 3, 2, 1 at risk), and suppressed groups' own counts. Recoveries 1 and 2
(Benchmarking, Compare) are replayed in the fair engineer's tests.
"""

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from spinedash import analysis

K = 5


def _km_cases() -> pd.DataFrame:
    # 30 employed patients: 26 back at work on days 10..35, four still off work, last seen
    # on days 100, 120, 150, 200 (censored). Then a tail with 4, 3, 2, 1 at risk: returns on
    # days 40, 45, 50, 55 among the last few.
    returned = list(range(10, 36)) + [np.nan] * 4
    followup = [400.0] * 26 + [100.0, 120.0, 150.0, 200.0]
    rtw = pd.DataFrame({"approach": "Open", "return_to_work_days": returned, "last_followup_days": followup,
                        "employed_before_surgery": True})  # fmt: skip
    tail = pd.DataFrame({"approach": "Open", "return_to_work_days": [300.0, 310.0, 320.0, 330.0, np.nan],
                         "last_followup_days": [400.0, 400.0, 400.0, 400.0, 290.0], "employed_before_surgery": True})  # fmt: skip
    return pd.concat([rtw, tail], ignore_index=True)


def _at_risk(cases: pd.DataFrame, day: float) -> int:
    time = cases["return_to_work_days"].fillna(cases["last_followup_days"])
    return int((time >= day).sum())


def test_recovery_4_km_curve_ends_before_fewer_than_k_are_at_risk():
    cases = _km_cases()
    km = analysis.kaplan_meier(cases, "return_to_work_days", min_cell=K, employed_only=True)
    days = km.curves["days"].to_numpy()
    # The replay: read the at-risk count behind every drawn step. None may be below k.
    at_risk = [_at_risk(cases, d) for d in days[1:]]
    assert min(at_risk) >= K, at_risk
    # and the curve really was cut: the raw fit has steps with 4, 3, 2, 1 at risk.
    sf = SurvfuncRight(cases["return_to_work_days"].fillna(cases["last_followup_days"]).to_numpy(),
                       cases["return_to_work_days"].notna().to_numpy(dtype=float))  # fmt: skip
    assert {4, 3, 2, 1} <= set(np.asarray(sf.n_risk, dtype=int).tolist())
    assert days.max() < 300
    # k = 1 turns it off: every step drawn.
    full = analysis.kaplan_meier(cases, "return_to_work_days", min_cell=1, employed_only=True)
    assert full.curves["days"].max() == 330


def test_km_median_takes_the_smallest_time_with_s_at_most_half():
    # Ten patients, five events in a row: S = 9/10·8/9·7/8·6/7·5/6 = 1/2 exactly on paper at day 5.
    t = np.arange(1.0, 11.0)
    e = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=float)
    sf = SurvfuncRight(t, e)
    assert abs(sf.surv_prob[4] - 0.5) < 1e-12
    assert analysis.km_median(sf.surv_times, sf.surv_prob) == 5.0  # smallest t with S(t) ≤ 0.5
    # Nudged a few ulps either way, the answer stays put.
    for nudge in (-4e-16, 4e-16):
        surv = sf.surv_prob.copy()
        surv[4] += nudge
        assert analysis.km_median(sf.surv_times, surv) == 5.0
    # Away from an exact half it agrees with statsmodels.
    rng = np.random.default_rng(3)
    for _ in range(50):
        t = rng.exponential(30, 40).round(1) + 0.1
        e = (rng.random(40) < 0.8).astype(float)
        sf = SurvfuncRight(t, e)
        if np.any(np.abs(sf.surv_prob - 0.5) < 1e-6):
            continue
        expected = sf.quantile(0.5)
        got = analysis.km_median(sf.surv_times, sf.surv_prob)
        assert (np.isnan(got) and np.isnan(expected)) or got == expected
    # Never reached: NaN.
    assert np.isnan(analysis.km_median(np.array([1.0, 2.0]), np.array([0.9, 0.8])))
