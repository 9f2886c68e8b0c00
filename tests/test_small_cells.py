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


def _with_blank_approaches(n_blank: int = 3) -> pd.DataFrame:
    from spinedash.sample import generate_cohort

    cases = generate_cohort(400, seed=3)
    cases["approach"] = cases["approach"].astype("object")
    cases.loc[cases.index[[10, 150, 300]][:n_blank], "approach"] = None
    return cases


def test_recovery_3_overview_all_minus_mi_minus_open_does_not_give_the_blank_approach_group():
    from spinedash import overview

    cases = _with_blank_approaches()
    figures = overview.headline_figures(cases, min_cell=K).set_index("key")
    total = int(figures.loc["cases", "value"])
    assert total == 400
    # Every count the Overview shows by approach: the volume chart's cells (and its shares), the
    # trend chart's n per approach and "All". The replay: all cases − everything shown by approach.
    volume = overview.volume_by_quarter(cases, min_cell=K)
    shown = volume.loc[~volume["suppressed"], "cases"].sum()
    held = total - shown
    assert held != 3 and (held == 0 or held >= K)
    # The grey "Suppressed (small groups)" segment of a quarter holds ≥ k cases or is itself hidden.
    grey = volume.loc[(volume["approach"] == overview.HIDDEN_GROUP) & ~volume["suppressed"], "cases"]
    assert len(grey) and (grey >= K).all()
    blank_cells = volume.loc[(volume["approach"] == overview.NO_APPROACH) & ~volume["suppressed"], "cases"]
    assert ((blank_cells == 0) | (blank_cells >= K)).all()
    assert volume.loc[volume["approach"] == overview.NO_APPROACH, "suppressed"].sum() == 3
    # Quarter by quarter, from the shares (cases / share = the quarter's total).
    for quarter, part in volume.groupby("quarter"):
        visible = part[~part["suppressed"] & (part["share"] > 0)]
        if visible.empty:
            continue
        quarter_total = round(float((visible["cases"] / visible["share"]).iloc[0]))
        rest = quarter_total - visible["cases"].sum()
        assert rest == 0 or (rest >= K and part["suppressed"].sum() >= 2), (quarter, part)
    trend = overview.trend_by_quarter(cases, min_cell=K)
    for quarter, part in trend.groupby("quarter"):
        everyone = part[part["approach"] == "All"]
        if everyone["suppressed"].all():
            continue
        rest = everyone["n"].iloc[0] - part.loc[(part["approach"] != "All") & ~part["suppressed"], "n"].sum()
        assert rest == 0 or rest >= K, (quarter, part)
    # The minimally invasive share is over all cases: its n is the total, not total − blanks.
    assert figures.loc["mi_share", "n"] == total


def test_a_suppressed_group_never_shows_its_own_size():
    from spinedash import overview
    from spinedash.summary import headline_for_report

    cases = _with_blank_approaches().iloc[:4]
    figures = overview.headline_figures(cases, min_cell=K)
    assert figures["suppressed"].all()
    assert set(figures["n_display"]) == {"< 5"}
    assert (figures["display"] == "suppressed (n < 5)").all()
    assert set(headline_for_report(cases, K)["n"]) == {"< 5"}
    # Trend rows and volume cells of suppressed groups carry no count.
    trend = overview.trend_by_quarter(_with_blank_approaches(), min_cell=K)
    assert trend.loc[trend["suppressed"], "n"].isna().all()
    volume = overview.volume_by_quarter(_with_blank_approaches(), min_cell=K)
    assert volume.loc[volume["suppressed"], "cases"].isna().all()


def test_a_small_filtered_view_does_not_print_its_size():
    from spinedash.filters import Filters
    from spinedash.ui.page import filters_line

    assert filters_line(Filters(), 3, 2500, 5).startswith("Showing < 5 of 2,500 cases")
    assert filters_line(Filters(), 30, 2500, 5).startswith("Showing 30 of 2,500 cases")


def test_a_per_group_table_minus_the_cases_in_view_does_not_give_a_hidden_group():
    from spinedash.sample import generate_cohort
    from spinedash.tables import km_median_display, summary_display

    cases = generate_cohort(300, seed=2)
    cases["approach"] = cases["approach"].astype("object")
    tubular = cases.index[cases["approach"] == "Tubular MIS"]
    cases = cases.drop(index=tubular[3:])  # 3 tubular cases left
    summary = analysis.summarise_distribution(cases, "length_of_stay_hours", min_cell=K)
    table = summary_display(summary, "Median stay", K).set_index("Approach")
    assert table.loc["Tubular MIS", "Cases"] == "< 5"
    shown = [int(v.replace(",", "")) for v in table["Cases"] if v[0].isdigit()]
    assert len(cases) - sum(shown) != 3  # the replay: cases in view − every shown group
    assert len(cases) - sum(shown) >= K
    km = analysis.kaplan_meier(cases, "return_to_activities_days", min_cell=K)
    patients = km_median_display(km.medians, K).set_index("Approach")["Patients"]
    assert patients["Tubular MIS"] == "< 5" and (patients == "suppressed (protects a smaller group)").sum() == 1


def test_charts_do_not_print_the_size_of_a_group_hidden_to_protect_a_smaller_one():
    import json

    from spinedash import charts
    from spinedash.sample import generate_cohort

    cases = generate_cohort(300, seed=2)
    cases["approach"] = cases["approach"].astype("object")
    tubular = cases.index[cases["approach"] == "Tubular MIS"]
    cases = cases.drop(index=tubular[3:])  # 3 tubular cases left
    summary = analysis.summarise_distribution(cases, "length_of_stay_hours", min_cell=K)
    partner = summary.loc[~summary["suppressed"]].sort_values("n").iloc[0]
    km = analysis.kaplan_meier(cases, "return_to_activities_days", min_cell=K)
    specs = [
        charts.distribution_chart(summary, "Stay", "hours", min_cell=K),
        charts.share_chart(analysis.discharge_shares(cases, min_cell=K), min_cell=K),
        charts.km_chart(km.curves, km.medians, "Return", min_cell=K),
    ]
    for spec in specs:
        text = json.dumps(spec)
        assert f"n = {int(partner['n']):,}" not in text and f'"n": {int(partner["n"])}' not in text


def test_compare_and_benchmarking_hide_the_same_surgeon_when_two_are_tied():
    """Across pages: Benchmarking and Compare each print every surgeon but the hidden ones; if they
    broke a tie differently (B hidden on one page, C on the other), B and C would both be shown and
    the cases in view minus all shown surgeons would give the 3-case surgeon away."""
    from spinedash import funnel
    from spinedash.sample import load_sample

    # C's cases come first in the file, so "order of appearance" would list C before B.
    plan = [("Surgeon C", 10), ("Surgeon A", 3), ("Surgeon B", 10), ("Surgeon D", 60), ("Surgeon E", 60)]
    cases = load_sample().head(sum(n for _, n in plan)).copy()
    cases["surgeon"] = [s for s, n in plan for _ in range(n)]
    assert cases["length_of_stay_hours"].notna().all() and cases["complication"].notna().all()
    bench = funnel.funnel_data(cases, by="surgeon", measure="complication", min_cell=K, adjust=False).units.set_index("unit")
    bench_hidden = set(bench.index[bench["suppressed"]])
    compare_hidden = set()
    for surgeon, _ in plan:
        mine = (cases["surgeon"] == surgeon).to_numpy()
        table = analysis.compare_groups(cases, mine, ~mine, surgeon, "All other surgeons", min_cell=K, adjust="none",
                                        units=cases["surgeon"], rest=True).set_index("outcome")
        if table.loc["Complication", "suppressed"]:
            compare_hidden.add(surgeon)
    assert bench_hidden == compare_hidden == {"Surgeon A", "Surgeon B"}


def test_compare_approaches_and_recovery_hide_the_same_approach_when_the_blank_group_is_large():
    """Recovery lists "Approach not recorded" (50 cases) with its size. Compare once always hid the
    blank cell, so with Tubular MIS at 3 it hid Tubular and the blanks, and showed Open's 20 — which
    Recovery hides to protect Tubular. Cases in view − Recovery's shown groups − Compare's Open = 3."""
    from spinedash import comparison
    from spinedash.sample import load_sample
    from spinedash.tables import summary_display

    plan = [("Tubular MIS", 3), ("Open", 20), (None, 50), ("Microscopic", 60), ("Full-endoscopic", 60)]
    cases = load_sample().head(sum(n for _, n in plan)).copy()
    cases["approach"] = pd.Series([a for a, n in plan for _ in range(n)], index=cases.index, dtype=object)
    assert cases["length_of_stay_hours"].notna().all()
    known: dict[str, int] = {}
    table = summary_display(analysis.summarise_distribution(cases, "length_of_stay_hours", min_cell=K), "Stay", K).set_index("Approach")
    known.update({g: int(v.replace(",", "")) for g, v in table["Cases"].items() if v.replace(",", "").isdigit()})
    assert known.get("Approach not recorded") == 50
    approaches = comparison.group_choices(cases, "Approach vs approach")
    for a in approaches:
        for b in approaches:
            if a == b:
                continue
            _, rows, _ = comparison.comparison_result(cases, "Approach vs approach", a, b, min_cell=K, adjust="none")
            stay = rows.set_index("outcome").filter(like="stay", axis=0).iloc[0]
            if not stay["suppressed"]:
                known[a], known[b] = int(stay["n_a"]), int(stay["n_b"])
    left = len(cases) - sum(known.values())
    assert not (0 < left < K), (left, known)
    assert "Open" not in known and "Tubular MIS" not in known
