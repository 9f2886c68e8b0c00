"""P2 and P4: server-side work of each analytics page's rerun after a filter change, called directly.

    python bench/p2_pages.py --size 1m [--repeats 5] [--root DIR] [--profile recovery]

For each page (Recovery, Pain and function, Compare) this calls what the page calls on a rerun —
the sidebar's filter options and case count, apply_filters, every analysis and table function and
every chart builder, with the chart serialised as Streamlit does (Arrow datasets + JSON) — on a
different filter each run, so nothing is reused from the run before (the worst case: the page's
per-session memo misses). Prints one JSON line: the median and slowest run per page, and P4, the
largest number of data rows any chart sent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from common import SIZES, chart_rows, cohort_path, rss_peak_mb, timed, use_root


def filter_sequence():
    """Filter changes a user makes, in order; each run uses the next one."""
    from spinedash.filters import Filters

    return [
        Filters(conditions=("Herniated disc",)),
        Filters(conditions=("Spinal stenosis",)),
        Filters(age_range=(40.0, 70.0)),
        Filters(sites=("North",)),
        Filters(),
        Filters(conditions=("Herniated disc",), approaches=("Full-endoscopic", "Microscopic")),
        Filters(surgeons=("Surgeon A", "Surgeon B")),
    ]


def _serialise(spec: dict) -> int:
    """What st.vega_lite_chart does with a chart spec: Streamlit's own preparation, datasets to Arrow
    on the message, the spec as (stabilised) JSON. Returns the rows of the largest dataset it sends."""
    import pyarrow as pa
    from streamlit.elements.vega_charts import _marshall_chart_data, _prepare_vega_lite_spec, _stabilize_vega_json_spec
    from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart

    proto = VegaLiteChart()
    spec = _prepare_vega_lite_spec(spec, True)
    _marshall_chart_data(proto, spec)
    _stabilize_vega_json_spec(json.dumps(spec))
    rows = [pa.ipc.open_stream(d.data.data).read_all().num_rows for d in proto.datasets]
    return max([chart_rows(spec), *rows])


def _sidebar(cases, filters):
    from spinedash.filters import apply_filters, count_matching, filter_options

    filter_options(cases)
    count_matching(cases, filters)
    return apply_filters(cases, filters)


def recovery(cases, filters, k: int = 5) -> list[int]:
    """pages/recovery.py: stay distribution, discharge shares, two Kaplan–Meier curves, operation time, blood loss."""
    from spinedash import analysis, charts, tables
    from spinedash.benchmarks import benchmarks_for_view
    from spinedash.filters import describe_filters

    view = _sidebar(cases, filters)
    subtitle = [describe_filters(filters), "bench cohort"]
    rows = []
    stay = analysis.summarise_distribution(view, "length_of_stay_hours", min_cell=k)
    rows.append(_serialise(charts.distribution_chart(stay, "Hospital stay", "hours", title="Hospital stay by approach",
                                                     subtitle=subtitle, min_cell=k,
                                                     benchmarks=benchmarks_for_view("length_of_stay_hours", view))))
    rows.append(_serialise(charts.share_chart(analysis.discharge_shares(view, min_cell=k), subtitle=subtitle, min_cell=k)))
    tables.summary_display(stay, "Median stay (hours)", k)
    for column, employed_only in (("return_to_activities_days", False), ("return_to_work_days", True)):
        km = analysis.kaplan_meier(view, column, min_cell=k, employed_only=employed_only)
        rows.append(_serialise(charts.km_chart(km.curves, km.medians, column, subtitle=subtitle, min_cell=k, max_days=365)))
        tables.km_median_display(km.medians, k)
        tables.at_risk_display(km.at_risk, k)
    for column, label, unit in (("operation_minutes", "Operation time", "minutes"), ("blood_loss_ml", "Blood loss", "mL")):
        summary = analysis.summarise_distribution(view, column, min_cell=k)
        rows.append(_serialise(charts.distribution_chart(summary, label, unit, subtitle=subtitle, min_cell=k,
                                                         benchmarks=benchmarks_for_view(column, view))))
    return rows


def pain(cases, filters, k: int = 5, measure: str = "vas_leg") -> list[int]:
    """pages/pain.py: trajectory, change from before surgery, MCID rates, with their tables."""
    from spinedash import analysis, charts
    from spinedash.benchmarks import benchmarks_for_view
    from spinedash.filters import describe_filters
    from spinedash.tables import mcid_display, trajectory_display

    view = _sidebar(cases, filters)
    subtitle = [describe_filters(filters), "bench cohort"]
    threshold = analysis.MCID_DEFAULTS[measure]
    traj = analysis.pain_trajectory(view, measure, min_cell=k)
    rows = [_serialise(charts.trajectory_chart(traj, "VAS leg", benchmarks=benchmarks_for_view(measure, view),
                                               subtitle=subtitle, min_cell=k, y_max=10))]
    trajectory_display(traj, k)
    change = analysis.pain_change(view, measure, min_cell=k)
    rows.append(_serialise(charts.change_chart(change, "VAS leg", benchmarks=benchmarks_for_view(measure, view, kind="change"),
                                               subtitle=subtitle, min_cell=k)))
    rates = analysis.mcid_rates(view, measure, threshold, min_cell=k)
    rows.append(_serialise(charts.mcid_chart(rates, f"improved by ≥ {threshold:g} points",
                                             benchmarks=benchmarks_for_view(f"mcid_{measure}", view), subtitle=subtitle, min_cell=k)))
    mcid_display(rates, k)
    return rows


def compare(cases, filters, k: int = 5) -> list[int]:
    """pages/compare.py: the two groups (first two approaches on screen) and the comparison table."""
    from spinedash import analysis, comparison
    from spinedash.tables import comparison_display

    view = _sidebar(cases, filters)
    modes = comparison.available_modes(view)
    mode = modes[0]
    choices = comparison.group_choices(view, mode)
    pair = comparison.group_pair(view, mode, choices[0], None if mode == "Surgeon vs the rest" else choices[1])
    table = analysis.compare_groups(view, pair.in_a, pair.in_b, pair.label_a, pair.label_b, min_cell=k)
    comparison_display(table, pair.label_a, pair.label_b)
    return []


PAGES = {"recovery": recovery, "pain": pain, "compare": compare}


def load_cases(size: str):
    import pandas as pd

    from spinedash import schema

    # The Parquet twin of the CSV: the same cases, read fast, so P2 does not wait on P1.
    return schema.to_canonical_dtypes(pd.read_parquet(cohort_path(size, "parquet")))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--root", default=None)
    parser.add_argument("--profile", choices=list(PAGES), help="print a pyinstrument profile of one rerun of this page")
    args = parser.parse_args(argv)
    use_root(args.root)

    cases = load_cases(args.size)
    sequence = filter_sequence()
    for fn in PAGES.values():  # warm-up: imports, the benchmarks table, numba-free but lazy scipy bits
        fn(cases.head(2000), sequence[0])
    out: dict = {"size": args.size, "rows": len(cases), "pages": {}}
    max_rows = 0
    for name, fn in PAGES.items():
        times, cpu = [], []
        for i in range(args.repeats):
            filters = sequence[i % len(sequence)]
            c0 = time.process_time()
            rows, seconds = timed(lambda fn=fn, filters=filters: fn(cases, filters))
            cpu.append(time.process_time() - c0)
            times.append(seconds)
            max_rows = max([max_rows, *rows])
        out["pages"][name] = {"median_s": statistics.median(times), "max_s": max(times),
                              "cpu_median_s": statistics.median(cpu), "runs": times}
    out["p4_max_chart_rows"] = max_rows
    out["peak_rss_mb"] = rss_peak_mb()
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        PAGES[args.profile](cases, sequence[4])
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
