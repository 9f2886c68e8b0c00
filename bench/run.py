"""SpineDash performance benchmarks P1–P6 in one command; prints the table and writes bench/out/results.md.

    python3 bench/run.py                       # 10k, 100k and 1M cases (about 10 minutes on 2 cores)
    python3 bench/run.py --sizes 10k,100k      # quicker
    python3 bench/run.py --no-browser          # skip P3/P5/P6 (no Chromium needed)
    python3 bench/run.py --root /path/to/other/checkout --out other.md   # measure another copy

What each figure is (targets from issue 6, at 1M rows on a 2-core machine):
  P1  load_outcomes on the cohort CSV (read + map + validate) vs a bare pyarrow.csv.read_csv of the
      same file in the same process, and their ratio (target ≤ 1.5×)
  P2  server-side time of each analytics page's rerun after a filter change, median of several
      changes: "direct" calls exactly what the page calls (bench/p2_pages.py); "AppTest" runs the
      page script in Streamlit (bench/p2_apptest.py) (target ≤ 0.5 s per page)
  P3  in Chromium, a filter click on the Recovery page until every chart is redrawn (≤ 1.5 s)
  P4  the largest number of data rows any chart sends to the browser (≤ 5,000 at any size)
  P5  peak RSS of the server with the 1M-row CSV uploaded and the pages visited (≤ 1.5 GB)
  P6  cold start: `streamlit run app.py` to the first page drawn and idle in Chromium (≤ 3 s)

Every measurement runs in its own process, one after another, so memory peaks are separate and
nothing runs in parallel. The cohorts are made with bench/make_cohorts.py when missing. BLAS
threads are pinned to one (OPENBLAS_NUM_THREADS=1) for every process, as for deployment.
Wall times depend on the machine's load; the table records the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from common import HERE, OUT, SIZES, THREAD_ENV, cohort_path

TARGETS = {"p1": 1.5, "p2": 0.5, "p3": 1.5, "p4": 5000, "p5": 1536, "p6": 3.0}


def run_script(script: str, *args: str, timeout: int = 1800) -> dict:
    """Run a bench script in its own process and return the JSON it printed last."""
    env = {**os.environ, **THREAD_ENV}
    cmd = [sys.executable, str(HERE / script), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=HERE)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1])


def machine() -> dict:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    cpu = next((ln.split(":", 1)[1].strip() for ln in sh("lscpu").splitlines() if ln.startswith("Model name")), platform.processor())
    mem = next((ln.split()[1] for ln in sh("free -h").splitlines() if ln.startswith("Mem:")), "?")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}"}


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def ensure_cohorts(labels: list[str]) -> None:
    missing = [SIZES[label] for label in labels if not (cohort_path(label).exists() and cohort_path(label, "parquet").exists())]
    if missing:
        print(f"making cohorts {missing} (bench/make_cohorts.py)…", flush=True)
        subprocess.run([sys.executable, str(HERE / "make_cohorts.py"), "--sizes", *map(str, missing)], check=True)


def fmt(value: float | None, unit: str = "s", digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f} {unit}".strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k, 100k, 1m")
    parser.add_argument("--root", default=None, help="checkout to measure (default: this one)")
    parser.add_argument("--no-browser", action="store_true", help="skip P3, P5, P6 (Chromium)")
    parser.add_argument("--no-apptest", action="store_true", help="skip the AppTest variant of P2")
    parser.add_argument("--repeats", type=int, default=5, help="P2 filter changes per page")
    parser.add_argument("--out", default=str(OUT / "results.md"), help="Markdown file to write")
    args = parser.parse_args(argv)
    labels = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {', '.join(SIZES)}")
    root_args = ["--root", str(Path(args.root).resolve())] if args.root else []
    ensure_cohorts(labels)

    info = machine()
    started = time.strftime("%Y-%m-%d %H:%M")
    loads = [load_average()]
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM; load average {loads[0]}", flush=True)
    results: dict[str, dict] = {}
    for label in labels:
        r: dict = {}
        print(f"[{label}] P1 ingest…", flush=True)
        r["p1"] = run_script("p1_ingest.py", "--size", label, "--repeats", "3" if label != "1m" else "3", *root_args)
        print(f"[{label}] P2 direct page calls…", flush=True)
        r["p2"] = run_script("p2_pages.py", "--size", label, "--repeats", str(args.repeats), *root_args)
        if not args.no_apptest:
            print(f"[{label}] P2 AppTest…", flush=True)
            r["p2_apptest"] = run_script("p2_apptest.py", "--size", label, "--repeats", str(args.repeats), *root_args)
        results[label] = r
        loads.append(load_average())
    browser = None
    if not args.no_browser:
        label = labels[-1]
        print(f"[{label}] P3/P5/P6 in Chromium…", flush=True)
        browser = run_script("browser.py", "--size", label, *root_args)
        loads.append(load_average())

    text = render(results, browser, info, started, loads, args.root)
    print()
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    (Path(args.out).with_suffix(".json")).write_text(json.dumps({"machine": info, "results": results, "browser": browser}, indent=1))
    print(f"written {args.out}")


def render(results: dict, browser: dict | None, info: dict, started: str, loads: list[str], root: str | None) -> str:
    labels = list(results)
    head = "| figure | target (1M) | " + " | ".join(f"{label}" for label in labels) + " |"
    rule = "|---|---|" + "---|" * len(labels)
    rows = []

    def row(name: str, target: str, cells: list[str]) -> None:
        rows.append(f"| {name} | {target} | " + " | ".join(cells) + " |")

    row("P1 load_outcomes (CSV)", "", [fmt(results[k]["p1"]["load_s"]) for k in labels])
    row("P1 bare pyarrow read", "", [fmt(results[k]["p1"]["pyarrow_s"]) for k in labels])
    row("**P1 ratio**", "≤ 1.5×", [f"{results[k]['p1']['ratio']:.2f}×" for k in labels])
    row("P1 process peak RSS", "", [fmt(results[k]["p1"]["peak_rss_mb"], "MB", 0) for k in labels])
    for page in ("recovery", "pain", "compare"):
        row(f"**P2 {page}** (direct, median)", "≤ 0.5 s", [fmt(results[k]["p2"]["pages"][page]["median_s"]) for k in labels])
        row(f"P2 {page} (direct, CPU)", "", [fmt(results[k]["p2"]["pages"][page]["cpu_median_s"]) for k in labels])
        if all("p2_apptest" in results[k] for k in labels):
            row(f"**P2 {page}** (AppTest, median)", "≤ 0.5 s", [fmt(results[k]["p2_apptest"]["pages"][page]["median_s"]) for k in labels])
            row(f"P2 {page} (AppTest, new filter set / one seen before)", "",
                [f"{fmt(results[k]['p2_apptest']['pages'][page].get('cold_median_s'))} / "
                 f"{fmt(results[k]['p2_apptest']['pages'][page].get('warm_median_s'))}" for k in labels])  # fmt: skip
    row("**P4 rows per chart (max)**", "≤ 5,000", [f"{results[k]['p2']['p4_max_chart_rows']:,}" for k in labels])
    lines = [
        f"# SpineDash benchmarks ({started})",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM, Python {info['python']}, {info['os']}.",
        f"Load average (1/5/15 min) during the run: {' → '.join(loads)}.",
        f"Code measured: {root or 'this checkout'}.",
        "",
        head,
        rule,
        *rows,
    ]
    if browser is not None:
        size = browser["size"]
        lines += [
            "",
            f"Browser (Chromium headless, {size} cases uploaded as CSV):",
            "",
            "| figure | target | measured |",
            "|---|---|---|",
            f"| **P3** filter click → Recovery charts redrawn (median of {len(browser['p3_runs_s'])}) | ≤ 1.5 s | "
            f"{fmt(browser['p3_median_s'])} (runs: {', '.join(f'{x:.2f}' for x in browser['p3_runs_s'])}) |",
            f"| **P5** server peak RSS (VmHWM), file loaded, pages visited | ≤ 1.5 GB | {fmt(browser['p5_peak_rss_mb'], 'MB', 0)} |",
            f"| **P6** cold start to first page idle | ≤ 3 s | {fmt(browser['p6_cold_start_s'])} "
            f"(server healthy after {fmt(browser['p6_healthy_s'])}) |",
            f"| upload + read + validate of the CSV, as the user waits | — | {fmt(browser['upload_and_read_s'])} |",
            f"| Recovery page first draw after the upload | — | {fmt(browser['recovery_first_s'])} |",
            f"| server RSS: idle / after upload / end | — | {fmt(browser['rss_idle_mb'], 'MB', 0)} / "
            f"{fmt(browser['rss_after_upload_mb'], 'MB', 0)} / {fmt(browser['rss_end_mb'], 'MB', 0)} |",
        ]
        phases = browser.get("p3_phases") or []
        if phases:
            lines += ["", "P3 phases per click (s): count shown in sidebar / script run done / charts drawn: "
                      + "; ".join(f"{p['count_shown_s']:.2f} / {p['run_done_s']:.2f} / {p['drawn_s']:.2f}" for p in phases)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
