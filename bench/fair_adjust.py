"""Time the case-mix adjusted funnel and the adjusted comparisons at 10k / 100k / 1M synthetic cases.

    python3 bench/fair_adjust.py [--sizes 10000 100000 1000000] [--only weighting ...]

Prints seconds per call (best of 3; one call at a million) and os.getloadavg() beside each figure;
no assertion (speed is not tested). --only keeps the runs whose name contains any of the words.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spinedash import comparison, funnel  # noqa: E402
from spinedash.sample import generate_cohort  # noqa: E402


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--only", nargs="+", default=None, help="run only the runs whose name contains one of these words")
    args = parser.parse_args()
    # Warm-up: the first call imports scipy.stats and statsmodels (seconds under load); not what is timed.
    comparison.comparison_result(generate_cohort(2_000, seed=2), "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting")
    print(f"load before: {os.getloadavg()}")
    for n in args.sizes:
        cases = generate_cohort(n, seed=1)
        runs = {
            "funnel crude, same-day": lambda cases=cases: funnel.funnel_data(cases, measure="same_day_discharge", adjust=False),
            "funnel adjusted, same-day": lambda cases=cases: funnel.funnel_data(cases, measure="same_day_discharge"),
            "funnel adjusted, ODI 12m": lambda cases=cases: funnel.funnel_data(cases, measure="odi_12m"),
            "compare none": lambda cases=cases: comparison.comparison_result(cases, "Approach vs approach", "Open", "Full-endoscopic", 5, "none"),
            "compare regression": lambda cases=cases: comparison.comparison_result(cases, "Approach vs approach", "Open", "Full-endoscopic", 5),
            "compare weighting": lambda cases=cases: comparison.comparison_result(cases, "Approach vs approach", "Open", "Full-endoscopic", 5, "weighting"),
            "surgeon vs the rest": lambda cases=cases: comparison.comparison_result(cases, "Surgeon vs the rest", "Surgeon A", None, 5),
        }
        for name, fn in runs.items():
            if args.only and not any(word in name for word in args.only):
                continue
            seconds = best(fn, 1 if n >= 1_000_000 else 3)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"{n:>9,} cases  {name:<28} {seconds:7.2f} s   (load {load})")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
