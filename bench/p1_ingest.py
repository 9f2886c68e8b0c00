"""P1: ingest + validate time of a cohort CSV through load_outcomes, beside a bare pyarrow read of the same file.

    python bench/p1_ingest.py --size 1m [--repeats 3] [--root DIR] [--profile]

Prints one JSON line: medians and minima of interleaved runs (pyarrow, load_outcomes, pyarrow, …),
their wall-time ratio (P1: ≤ 1.5 on a quiet machine) and CPU-time ratio, each pair's ratio, the
load average before and after, Arrow's thread count (`pa.cpu_count()`: 1 means the figure is a
one-core Arrow figure, e.g. under OMP_NUM_THREADS=1) and the process's peak RSS. Run one size per
process so the peak is that size's.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import time

from common import SIZES, cohort_path, rss_peak_mb, use_root


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--root", default=None)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one load_outcomes")
    args = parser.parse_args(argv)
    use_root(args.root)

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from spinedash.ingest import load_outcomes

    path = cohort_path(args.size)
    # Time Arrow's CSV parse inside load_outcomes apart from the rest (the steps after the parse are
    # SpineDash's own, so they are what P1 turns on): the reader module's pyarrow.csv.read_csv, wrapped.
    read_stage = importlib.import_module("spinedash.ingest.read")
    inner: list[tuple[float, float]] = []
    real_read_csv = read_stage.pacsv.read_csv

    class _TimedCsv:
        def __getattr__(self, name):
            return getattr(pacsv, name)

        @staticmethod
        def read_csv(*a, **k):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return real_read_csv(*a, **k)
            finally:
                inner.append((time.perf_counter() - start, time.process_time() - cpu))

    read_stage.pacsv = _TimedCsv()
    load_before = os.getloadavg()
    load_outcomes(cohort_path("10k"))  # warm imports (knowledge base, pandera) outside the timing
    arrow_times, arrow_cpu, load_times, cpu_times, parse_times, parse_cpu = [], [], [], [], [], []
    rows = 0
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        table = pacsv.read_csv(path)
        arrow_times.append(time.perf_counter() - start)
        arrow_cpu.append(time.process_time() - cpu)
        del table
        gc.collect()
        inner.clear()
        start, cpu = time.perf_counter(), time.process_time()
        result = load_outcomes(path)
        load_times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        parse_times.append(sum(w for w, _ in inner))
        parse_cpu.append(sum(c for _, c in inner))
        rows = result.rows_accepted
        del result
        gc.collect()
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        load_outcomes(path)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    out = {
        "size": args.size,
        "rows": rows,
        "mb": path.stat().st_size / 1e6,
        "pyarrow_s": statistics.median(arrow_times),
        "pyarrow_cpu_s": statistics.median(arrow_cpu),
        "load_s": statistics.median(load_times),
        "load_cpu_s": statistics.median(cpu_times),
        "ratio": statistics.median(load_times) / statistics.median(arrow_times),
        # best of the runs: what each takes when nothing else on the machine got in its way
        "pyarrow_min_s": min(arrow_times),
        "load_min_s": min(load_times),
        "ratio_of_minima": min(load_times) / min(arrow_times),
        # Process CPU time (every thread) moves less with other work on the machine than wall time
        # does; Arrow's reader uses every core, the steps after it one.
        "cpu_ratio": statistics.median(cpu_times) / statistics.median(arrow_cpu),
        "ratio_per_run": [round(t / a, 3) for t, a in zip(load_times, arrow_times, strict=True)],
        # inside load_outcomes: Arrow's parse, and everything else (the quote check, sniffing, to
        # pandas, layout, map, validate: column by column on both cores from 100k rows, the rest on one)
        "load_parse_s": statistics.median(parse_times),
        "load_parse_cpu_s": statistics.median(parse_cpu),
        "load_after_parse_s": statistics.median([t - p for t, p in zip(load_times, parse_times, strict=True)]),
        "load_after_parse_cpu_s": statistics.median([t - p for t, p in zip(cpu_times, parse_cpu, strict=True)]),
        "pyarrow_runs": arrow_times,
        "load_runs": load_times,
        "pyarrow_cpu_runs": arrow_cpu,
        "load_cpu_runs": cpu_times,
        "peak_rss_mb": rss_peak_mb(),
        # How busy the machine was: P1 is judged on a quiet machine (load average well under the cores).
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "arrow_threads": pa.cpu_count(),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
