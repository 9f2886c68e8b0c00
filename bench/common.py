"""Shared helpers of the benchmark scripts: which checkout to measure, cohort files, timing, rows per chart.

Every script takes `--root DIR` (default: this checkout) so the same benchmark can measure another
copy of the code, e.g. the tree before a change, without touching this one.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

# numpy's BLAS spawns one thread per core for every small matrix product; on a 2-core machine
# shared with other work those threads fight and slow statsmodels fits 10–100×. One thread each.
# Not OMP_NUM_THREADS: OpenBLAS reads its own variable first, and pyarrow sizes its CPU thread pool
# from OMP_NUM_THREADS (=1 made every Arrow CSV parse single-threaded, which the app never is).
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
for _k, _v in THREAD_ENV.items():
    os.environ.setdefault(_k, _v)

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def use_root(root: str | os.PathLike | None) -> Path:
    """Import `spinedash` from `root` (another checkout) instead of this one; returns the root."""
    path = Path(root).resolve() if root else ROOT
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    return path


def cohort_path(label: str, fmt: str = "csv") -> Path:
    return OUT / f"cohort_{label}.{fmt}"


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median wall time of `repeats` calls (seconds) and every run's time."""
    times = [timed(fn)[1] for _ in range(repeats)]
    return statistics.median(times), times


def chart_rows(spec: dict) -> int:
    """The largest number of data rows a Vega-Lite spec sends to the browser (any one dataset).

    Altair moves inline data into the top-level `datasets`; layers may also carry `data.values`.
    """
    best = 0

    def walk(node: object) -> None:
        nonlocal best
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datasets" and isinstance(value, dict):
                    for rows in value.values():
                        if isinstance(rows, list):
                            best = max(best, len(rows))
                elif key == "values" and isinstance(value, list) and value and isinstance(value[0], dict):
                    best = max(best, len(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return best


def rss_peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_now_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
