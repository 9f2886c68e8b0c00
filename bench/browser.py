"""P3, P5, P6 in a real browser: `streamlit run app.py` on a free loopback port, driven by headless Chromium.

    python bench/browser.py [--size 1m] [--root DIR] [--repeats 4] [--shots]

- P6: cold start — from launching `streamlit run app.py` to the first page drawn and idle in
  Chromium (the browser is started beforehand: a user's browser is already open).
- Upload: the cohort CSV through the Data page's file uploader (Playwright set_input_files), timed
  until the sidebar names the file with its number of cases.
- P3: on the Recovery page, from a filter click (a condition picked in the sidebar, or "Reset
  filters") to every chart redrawn: the script finished (no running indicator, no stale element)
  and every Vega chart drawn, then two animation frames. Median of `--repeats` clicks.
- P5: peak resident memory (VmHWM) of the server process with the file loaded and the pages visited.

Prints one JSON line. The server and browser are always stopped, even on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, ROOT, SIZES, THREAD_ENV, cohort_path, rss_now_mb, rss_peak_mb

sys.path.insert(0, str(ROOT))
from tests.e2e.conftest import free_port, stop_streamlit, wait_healthy  # noqa: E402 - the e2e tests' own helpers

CHROMIUM = os.environ.get("SPINEDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# The app has finished a run: page drawn, nothing running, nothing stale, every chart drawn.
IDLE_JS = """(expected) => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || main.querySelectorAll('[data-testid="stElementContainer"]').length === 0) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const charts = main.querySelectorAll('[data-testid="stVegaLiteChart"]');
    if (charts.length < expected) return false;
    for (const c of charts) { if (!c.querySelector('canvas, svg')) return false; }
    return true;
}"""
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def wait_idle(page, expected_charts: int = 0, timeout_ms: int = 600_000) -> None:
    page.wait_for_function(IDLE_JS, arg=expected_charts, timeout=timeout_ms, polling=25)
    page.evaluate(TWO_FRAMES_JS)


def sidebar_count(page) -> str:
    text = page.get_by_test_id("stSidebar").inner_text()
    return next((line for line in text.splitlines() if " of " in line and "cases" in line), "")


def go_to(page, name: str, heading: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=600_000)


def filter_click(page, action: str, expected_charts: int) -> float:
    """Seconds from one filter click to the page idle with its charts redrawn."""
    before = sidebar_count(page)
    sidebar = page.get_by_test_id("stSidebar")
    if action == "reset":
        button = sidebar.get_by_role("button", name="Reset filters")
        start = time.perf_counter()
        button.click()
    else:
        box = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Condition")
        box.click()
        option = page.get_by_role("option", name=action, exact=True)
        option.wait_for()
        start = time.perf_counter()
        option.click()
    page.wait_for_function("(b) => { const t = document.querySelector('[data-testid=\"stSidebar\"]').innerText;"
                           " return !t.includes(b); }", arg=before, timeout=600_000, polling=25)
    counted = time.perf_counter() - start
    page.wait_for_function(IDLE_JS, arg=0, timeout=600_000, polling=25)  # the script run is over
    script_done = time.perf_counter() - start
    wait_idle(page, expected_charts)
    seconds = time.perf_counter() - start
    PHASES.append({"count_shown_s": counted, "run_done_s": script_done, "drawn_s": seconds})
    page.keyboard.press("Escape")
    return seconds


PHASES: list[dict] = []


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--root", default=None, help="checkout to run (default: this one)")
    parser.add_argument("--repeats", type=int, default=4, help="filter clicks for P3")
    parser.add_argument("--shots", action="store_true", help="save screenshots in bench/out/")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve() if args.root else Path(__file__).resolve().parents[1]
    csv_path = cohort_path(args.size)

    from playwright.sync_api import sync_playwright

    out: dict = {"size": args.size}
    port = free_port()
    log = open(OUT / f"browser_{args.size}.log", "wb")  # noqa: SIM115 - closed in finally
    proc = None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(600_000)
            # The caller's PYTHONPATH is kept after the checkout, so bench/profile_server can hook in.
            pythonpath = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
            env = {**os.environ, **THREAD_ENV, "PYTHONPATH": pythonpath}
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env,
            )
            wait_healthy(port, proc, timeout_s=120)
            out["p6_healthy_s"] = time.perf_counter() - start
            page.goto(f"http://127.0.0.1:{port}/")
            wait_idle(page)
            out["p6_cold_start_s"] = time.perf_counter() - start
            out["rss_idle_mb"] = rss_now_mb(proc.pid)
            if args.shots:
                page.screenshot(path=str(OUT / "bench_home.png"))

            go_to(page, "Data", "Data")
            wait_idle(page)
            start = time.perf_counter()
            page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(csv_path))
            n = SIZES[args.size]
            page.get_by_test_id("stSidebar").get_by_text(f"{csv_path.name} — {n:,} cases").wait_for(timeout=900_000)
            wait_idle(page)
            out["upload_and_read_s"] = time.perf_counter() - start
            out["rss_after_upload_mb"] = rss_now_mb(proc.pid)
            if args.shots:
                page.screenshot(path=str(OUT / "bench_data.png"), full_page=True)

            go_to(page, "Recovery", "Recovery")
            start = time.perf_counter()
            wait_idle(page, expected_charts=6)
            out["recovery_first_s"] = time.perf_counter() - start
            charts = page.get_by_test_id("stMain").get_by_test_id("stVegaLiteChart").count()
            actions = ["Herniated disc", "reset", "Spinal stenosis", "reset"]
            clicks = [filter_click(page, actions[i % len(actions)], charts) for i in range(args.repeats)]
            out["p3_runs_s"] = clicks
            out["p3_median_s"] = statistics.median(clicks)
            out["p3_charts"] = charts
            out["p3_phases"] = list(PHASES)
            if args.shots:
                filter_click(page, "Herniated disc", charts)
                page.screenshot(path=str(OUT / "bench_recovery.png"), full_page=True)

            go_to(page, "Patient-reported outcomes", "Patient-reported outcomes")
            wait_idle(page, expected_charts=3)
            go_to(page, "Compare", "Compare")
            wait_idle(page)
            out["p5_peak_rss_mb"] = rss_peak_mb(proc.pid)
            out["rss_end_mb"] = rss_now_mb(proc.pid)
        finally:
            browser.close()
            if proc is not None:
                stop_streamlit(proc)
            log.close()
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
