"""Write large synthetic cohorts (CSV and Parquet) into bench/out/ for the performance work.

    python bench/make_cohorts.py                 # 10k, 100k and 1M cases
    python bench/make_cohorts.py --sizes 50000   # just one size

Prints, per size: generation time, write and read-back time and file size for each format. Wall
times depend on the machine's load; CPU time is printed beside generation for that reason. The files
are synthetic and gitignored (bench/out/).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from spinedash import sample, schema  # noqa: E402  (after the path set-up, so it runs from a checkout)

OUT = ROOT / "bench" / "out"
SIZES = (10_000, 100_000, 1_000_000)
SEED = 1  # not the sample's seed: these are separate cohorts


def _label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - start, time.process_time() - cpu


def make(n: int, out: Path = OUT) -> dict:
    """Generate `n` cases, write them as CSV and Parquet, read both back; return timings and sizes."""
    out.mkdir(parents=True, exist_ok=True)
    df, gen_s, gen_cpu = _timed(lambda: sample.generate_cohort(n, SEED))
    csv_path = out / f"cohort_{_label(n)}.csv"
    parquet_path = out / f"cohort_{_label(n)}.parquet"
    _, csv_write_s, _ = _timed(lambda: sample.write_cohort_csv(df, csv_path))
    _, parquet_write_s, _ = _timed(lambda: df.to_parquet(parquet_path, index=False))
    back_csv, csv_read_s, _ = _timed(lambda: sample.read_cohort_csv(csv_path))
    back_parquet, parquet_read_s, _ = _timed(lambda: schema.to_canonical_dtypes(pd.read_parquet(parquet_path)))
    pd.testing.assert_frame_equal(back_csv, df)
    pd.testing.assert_frame_equal(back_parquet, df)
    return {
        "cases": n,
        "generate_s": gen_s,
        "generate_cpu_s": gen_cpu,
        "csv_write_s": csv_write_s,
        "csv_read_s": csv_read_s,
        "csv_mb": csv_path.stat().st_size / 1e6,
        "parquet_write_s": parquet_write_s,
        "parquet_read_s": parquet_read_s,
        "parquet_mb": parquet_path.stat().st_size / 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="numbers of cases")
    args = parser.parse_args(argv)
    print(f"{'cases':>10} {'generate s':>11} {'(cpu s)':>8} {'csv write':>10} {'csv read':>9} {'csv MB':>7} "
          f"{'pq write':>9} {'pq read':>8} {'pq MB':>6}")
    for n in args.sizes:
        r = make(n)
        print(f"{r['cases']:>10,} {r['generate_s']:>11.2f} {r['generate_cpu_s']:>8.2f} {r['csv_write_s']:>10.2f} "
              f"{r['csv_read_s']:>9.2f} {r['csv_mb']:>7.1f} {r['parquet_write_s']:>9.2f} {r['parquet_read_s']:>8.2f} "
              f"{r['parquet_mb']:>6.1f}", flush=True)
    print(f"files in {OUT}")


if __name__ == "__main__":
    main()
