"""P1: ingest + validate time of a cohort CSV through load_outcomes, beside a bare pyarrow read of the same file.

    python bench/p1_ingest.py --size 1m [--repeats 3] [--root DIR] [--profile]

Prints one JSON line: medians of interleaved runs (pyarrow, load_outcomes, pyarrow, …), their
ratio, and the process's peak RSS. Run one size per process so the peak is that size's.
"""

from __future__ import annotations

import argparse
import gc
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

    import pyarrow.csv as pacsv

    from spinedash.ingest import load_outcomes

    path = cohort_path(args.size)
    load_before = os.getloadavg()
    load_outcomes(cohort_path("10k"))  # warm imports (knowledge base, pandera) outside the timing
    arrow_times, arrow_cpu, load_times, cpu_times = [], [], [], []
    rows = 0
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        table = pacsv.read_csv(path)
        arrow_times.append(time.perf_counter() - start)
        arrow_cpu.append(time.process_time() - cpu)
        del table
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = load_outcomes(path)
        load_times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
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
        "pyarrow_runs": arrow_times,
        "load_runs": load_times,
        "peak_rss_mb": rss_peak_mb(),
        # How busy the machine was: P1 is judged on a quiet machine (load average well under the cores).
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
