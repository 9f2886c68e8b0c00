"""Long-format import: 1M cases × 6 time points (one row per case and time point) against the same cases wide.

    python bench/long_format.py --size 1m [--repeats 3] [--root DIR]

The wide file is the P1 cohort (bench/out/cohort_<size>.csv, made by make_cohorts.py if missing).
The long file holds the same cases reshaped the way REDCap and clinic systems export them: one row
per case and time point (pre, 2w, 6w, 3m, 6m, 12m) with that visit's VAS leg, VAS back and ODI, and
the case details on the pre-op row only (bench/out/cohort_<size>_long.csv, written once).

Times, interleaved (wide, long, wide, long …), median of the repeats: a bare `pyarrow.csv.read_csv`
of each file, the read + shape stages alone (with the CPU seconds of layout detection + shaping
after the read), and the whole `load_outcomes` called as the app calls it (no profile: the layout
is detected), with the app's own limits (MAX_UPLOAD_MB, MAX_ROWS, MAX_CELLS, MAX_CASES) untouched.
Target (issue 12): long within 3× wide. Prints one JSON line with the wall and CPU ratios, the
long load against the bare parse of the long file (the part after the parse is ours; the parse of
a file twice the size, six times the rows, is Arrow's), the peak memory of each load, Arrow's
thread count and `os.getloadavg()` before and after, since wall times on a shared machine move
with its load. No test asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time

from common import SIZES, cohort_path, rss_peak_mb, use_root

TIMEPOINTS = ("pre", "2w", "6w", "3m", "6m", "12m")
MEASURES = ("vas_leg", "vas_back", "odi")


def write_long(wide_path, long_path) -> None:
    """The wide cohort reshaped to one row per case and time point (case details on the pre row)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wide = pacsv.read_csv(wide_path)
    n = wide.num_rows
    measure_cols = {f"{m}_{tp}" for m in MEASURES for tp in TIMEPOINTS}
    case_cols = [c for c in wide.column_names if c not in measure_cols and c != "case_id"]
    parts = []
    for tp in TIMEPOINTS:
        cols = {"case_id": wide["case_id"], "timepoint": pa.array(np.full(n, tp))}
        for c in case_cols:
            cols[c] = wide[c] if tp == "pre" else pa.nulls(n, type=wide[c].type)
        for m in MEASURES:
            col = f"{m}_{tp}"
            cols[m] = wide[col].cast(pa.float64()) if col in wide.column_names else pa.nulls(n, type=pa.float64())
        parts.append(pa.table(cols))
    long = pa.concat_tables(parts)
    long = long.take(pa.array(np.arange(long.num_rows).reshape(len(TIMEPOINTS), n).T.ravel()))  # case by case
    pacsv.write_csv(long, long_path)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--root", default=None)
    args = parser.parse_args(argv)
    use_root(args.root)
    load_before = os.getloadavg()

    wide_path = cohort_path(args.size)
    if not wide_path.exists():
        import make_cohorts

        make_cohorts.make(SIZES[args.size])
    long_path = wide_path.with_name(wide_path.stem + "_long.csv")
    if not long_path.exists():
        write_long(wide_path, long_path)

    import spinedash.ingest as ingest
    from spinedash.ingest import load_outcomes
    from spinedash.ingest.read import read_tables
    from spinedash.ingest.shape import detect_layout, shape

    # The app's own limits, untouched: the long file must pass them as an upload would.
    limits = {k: getattr(ingest, k, None) for k in ("MAX_UPLOAD_MB", "MAX_ROWS", "MAX_CELLS", "MAX_CASES")}

    import pyarrow as pa
    import pyarrow.csv as pacsv

    def read_shape(label, path):
        tables = read_tables(str(path))
        cpu_start = time.process_time()
        guess = detect_layout(tables)
        shaped = shape(tables, guess.settings)
        cpu[f"{label}_detect_shape"].append(time.process_time() - cpu_start)
        return guess.kind, len(shaped.cases)

    def bare_read(label, path):
        start, cpu_start = time.perf_counter(), time.process_time()
        table = pacsv.read_csv(str(path))
        times[f"{label}_bare_read"].append(time.perf_counter() - start)
        cpu[f"{label}_bare_read"].append(time.process_time() - cpu_start)
        del table

    # warm imports and caches outside the timing
    load_outcomes(str(cohort_path("10k") if cohort_path("10k").exists() else wide_path))

    times: dict[str, list[float]] = {k: [] for k in ("wide_bare_read", "long_bare_read", "wide_shape", "long_shape", "wide_load", "long_load")}
    cpu: dict[str, list[float]] = {k: [] for k in ("wide_bare_read", "long_bare_read", "wide_detect_shape", "long_detect_shape", "wide_load", "long_load")}
    peak_mb: dict[str, float] = {}
    kinds, cases, layouts, load_error = {}, {}, {}, None
    for _ in range(args.repeats):
        for label, path in (("wide", wide_path), ("long", long_path)):
            bare_read(label, path)
            gc.collect()
        for label, path in (("wide", wide_path), ("long", long_path)):
            start = time.perf_counter()
            kinds[label], cases[label] = read_shape(label, path)
            times[f"{label}_shape"].append(time.perf_counter() - start)
            gc.collect()
        for label, path in (("wide", wide_path), ("long", long_path)):
            if load_error:
                break
            reset_peak = _reset_rss_peak()
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                # exactly the app's call (spinedash.ui.data_source): no profile, the layout detected
                result = load_outcomes(str(path))
            except Exception as exc:  # noqa: BLE001 - a bench reports what failed instead of stopping
                load_error = f"{label}: {type(exc).__name__}: {str(exc)[:300]}"
                break
            times[f"{label}_load"].append(time.perf_counter() - start)
            cpu[f"{label}_load"].append(time.process_time() - cpu_start)
            if reset_peak:
                peak_mb[label] = max(peak_mb.get(label, 0.0), round(rss_peak_mb(), 1))
            layouts[label] = result.layout.get("kind")
            cases[f"{label}_accepted"] = result.rows_accepted
            del result
            gc.collect()
    med = {k: round(statistics.median(v), 3) for k, v in times.items() if v}
    med_cpu = {k: round(statistics.median(v), 3) for k, v in cpu.items() if v}

    def ratio(a, b, of=med):
        return round(of[a] / of[b], 2) if a in of and b in of and of[b] else None

    out = {
        "size": args.size,
        "wide_file_mb": round(wide_path.stat().st_size / 1e6, 1),
        "long_file_mb": round(long_path.stat().st_size / 1e6, 1),
        "layouts_detected": kinds,
        "layouts_used_by_load_outcomes": layouts,
        "cases": cases,
        "median_s": med,
        "median_cpu_s": med_cpu,
        "ratio_read_shape": round(med["long_shape"] / med["wide_shape"], 2),
        "ratio_load_outcomes": round(med["long_load"] / med["wide_load"], 2) if "long_load" in med and "wide_load" in med else None,
        "ratio_load_outcomes_cpu": (round(med_cpu["long_load"] / med_cpu["wide_load"], 2)
                                    if "long_load" in med_cpu and "wide_load" in med_cpu else None),
        # the part under our control: the long load against Arrow's bare parse of the same file
        "ratio_long_load_to_bare_long_read": ratio("long_load", "long_bare_read"),
        "ratio_wide_load_to_bare_wide_read": ratio("wide_load", "wide_bare_read"),
        # Arrow alone: 3x the wide load cannot be met once the long file's bare parse is near it
        "ratio_bare_long_read_to_bare_wide_read": ratio("long_bare_read", "wide_bare_read"),
        "ratio_bare_long_read_to_wide_load": ratio("long_bare_read", "wide_load"),
        "load_outcomes_error": load_error,
        "target": "long within 3x wide",
        "arrow_threads": pa.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "app_limits": limits,
        # VmHWM of this process during each load_outcomes (the file's bytes, the tables, the cases)
        "peak_rss_mb_during_load": peak_mb or None,
        "peak_rss_mb": rss_peak_mb(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out))
    return out


def _reset_rss_peak() -> bool:
    """Reset this process's VmHWM (Linux: write 5 to clear_refs) so the next peak is one call's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
