"""P4 of issue 6: no chart sends more than 5,000 data rows to the browser, however many cases there are.

A cheap proxy for a million-row input: every chart the pages draw is built from cohorts of 3,000
and 60,000 cases, and its embedded rows are counted in its Vega-Lite spec (what the browser
receives). Charts of per-group summaries must embed exactly as many rows at both sizes (row count
independent of the number of cases); Kaplan–Meier curves, the one chart whose rows follow the
data, are thinned to a fixed budget — checked on a worst case of 300,000 cases with a distinct
return time each, far more distinct times than any budget.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinedash import analysis, charts, funnel, overview, quality, sample
from spinedash.benchmarks import benchmarks_for_view

MAX_ROWS = 5_000


def embedded_rows(spec: dict) -> int:
    """The largest number of data rows in any one dataset of the chart's Vega-Lite spec."""
    best = max((len(rows) for rows in spec.get("datasets", {}).values()), default=0)

    def walk(node) -> None:
        nonlocal best
        if isinstance(node, dict):
            values = node.get("values")
            if isinstance(values, list):
                best = max(best, len(values))
            for key, child in node.items():
                if key != "datasets":
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(spec)
    return best


def page_charts(cases: pd.DataFrame) -> dict[str, object]:
    """Every chart the Overview, Recovery, Pain and Benchmarking pages draw, built as they build them."""
    k = 5
    view = cases[cases["condition"] == "Herniated disc"]  # one condition: published figures drawn too
    out: dict[str, object] = {}
    for name, frame in (("all", cases), ("disc", view)):
        for column in ("length_of_stay_hours", "operation_minutes", "blood_loss_ml"):
            summary = analysis.summarise_distribution(frame, column, min_cell=k)
            out[f"{name}:{column}"] = charts.distribution_chart(
                summary, column, "unit", min_cell=k, benchmarks=benchmarks_for_view(column, frame))
        out[f"{name}:discharge"] = charts.share_chart(analysis.discharge_shares(frame, min_cell=k), min_cell=k)
        for measure in ("vas_leg", "vas_back", "odi"):
            out[f"{name}:{measure}:trajectory"] = charts.trajectory_chart(
                analysis.pain_trajectory(frame, measure, min_cell=k), measure,
                benchmarks=benchmarks_for_view(measure, frame), min_cell=k)
            out[f"{name}:{measure}:change"] = charts.change_chart(
                analysis.pain_change(frame, measure, min_cell=k), measure,
                benchmarks=benchmarks_for_view(measure, frame, kind="change"), min_cell=k)
            out[f"{name}:{measure}:mcid"] = charts.mcid_chart(
                analysis.mcid_rates(frame, measure, analysis.MCID_DEFAULTS[measure], min_cell=k), "≥ MCID",
                benchmarks=benchmarks_for_view(f"mcid_{measure}", frame), min_cell=k)
    out["volume"] = overview.volume_chart(overview.volume_by_quarter(cases))
    trend = overview.trend_by_quarter(cases, min_cell=k)
    out["trend"] = overview.trend_chart(trend, "median_stay_hours", "Median stay", "Hospital stay (hours)")
    out["completeness"] = overview.completeness_chart(quality.followup_completeness(cases))
    for by in ("surgeon", "site"):
        # The catalogue holds measures the sample does not record (NRS, NDI…): only those it has.
        for measure in [m for m, spec in funnel.MEASURES.items() if set(spec["columns"]) <= set(cases.columns)]:
            result = funnel.funnel_data(cases, by=by, measure=measure, min_cell=k)
            out[f"funnel:{by}:{measure}"] = funnel.funnel_chart(result, measure)
    return out


def km_charts(cases: pd.DataFrame) -> dict[str, object]:
    out = {}
    for column, employed_only in (("return_to_activities_days", False), ("return_to_work_days", True)):
        km = analysis.kaplan_meier(cases, column, min_cell=5, employed_only=employed_only)
        out[column] = charts.km_chart(km.curves, km.medians, column, min_cell=5, max_days=365)
    return out


@pytest.fixture(scope="module")
def cohorts() -> tuple[pd.DataFrame, pd.DataFrame]:
    return sample.generate_cohort(3_000, 11), sample.generate_cohort(60_000, 12)


def test_summary_charts_embed_the_same_rows_at_any_size(cohorts):
    small, large = (page_charts(c) for c in cohorts)
    assert small.keys() == large.keys()
    rows_small = {name: embedded_rows(chart) for name, chart in small.items()}
    rows_large = {name: embedded_rows(chart) for name, chart in large.items()}
    for name in rows_small:
        assert 0 < rows_large[name] <= MAX_ROWS, name
    # Summaries over groups and time points: twenty times the cases, not one row more. The volume
    # and trend charts have a row per quarter, so a cohort over the same years gives the same rows.
    assert rows_large == rows_small


def test_kaplan_meier_charts_stay_within_their_budget(cohorts):
    for cases in cohorts:
        for name, chart in km_charts(cases).items():
            assert embedded_rows(chart) <= charts.KM_POINT_BUDGET <= MAX_ROWS, name


def test_kaplan_meier_worst_case_many_distinct_times_is_thinned():
    # 300,000 cases, every return time distinct, by eight surgeons: ~34,000 event times per curve
    # before thinning; the analysis keeps 500 a curve (4,000 rows), the chart sends its budget.
    rng = np.random.default_rng(6)
    n = 300_000
    cases = pd.DataFrame({
        "surgeon": pd.Categorical(rng.choice([f"Surgeon {c}" for c in "ABCDEFGH"], n)),
        "return_to_activities_days": np.where(rng.random(n) < 0.9, rng.uniform(0, 400, n), np.nan),
        "last_followup_days": rng.uniform(30, 800, n),
    })
    km = analysis.kaplan_meier(cases, "return_to_activities_days", by="surgeon", min_cell=5)
    assert len(km.curves) == 8 * analysis.KM_MAX_POINTS > charts.KM_POINT_BUDGET
    chart = charts.km_chart(km.curves, km.medians, "Return to activities", min_cell=5, group_title="Surgeon", max_days=365)
    rows = embedded_rows(chart)
    assert charts.KM_POINT_BUDGET // 2 <= rows <= charts.KM_POINT_BUDGET <= MAX_ROWS
