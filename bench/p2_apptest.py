"""P2 through Streamlit itself: each analytics page rerun after a filter change, in AppTest.

    python bench/p2_apptest.py --size 1m [--repeats 6] [--root DIR] [--profile recovery]

`--profile PAGE` prints a pyinstrument tree of one cold rerun of that page (a filter set not seen
before); PROFILE_ALL=1 shows library frames too.

The cohort is read once with load_outcomes (its Parquet twin, to save time) and put in the
session the way an upload is (spinedash.ui.data_source keeps the Dataset in st.session_state).
Then, per page, the sidebar's Condition filter is changed and the rerun timed: the whole script,
with Streamlit turning every element and chart into its protobuf message (what is sent to the
browser), but without the network and the browser. Median of several changes; the first run of
each page (imports) is not counted. A change to a filter set not seen before in the session is
"cold" (every aggregate computed); going back to one seen before is "warm" (aggregates memoised
per session); both are reported besides the overall median. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from common import SIZES, cohort_path, rss_peak_mb, use_root

PAGES = {"recovery": "pages/recovery.py", "pain": "pages/pain.py", "compare": "pages/compare.py"}
CHANGES = [["Herniated disc"], ["Spinal stenosis"], [], ["Herniated disc", "Spinal stenosis"], ["Spinal stenosis"], []]


def _profiled_run(at) -> str:
    """One rerun profiled with pyinstrument inside Streamlit's script thread (where the page runs)."""
    from pyinstrument import Profiler
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.exec_func_with_error_handling
    profiler = Profiler()

    def profiled(func, ctx):
        profiler.start()
        try:
            return original(func, ctx)
        finally:
            profiler.stop()

    script_runner.exec_func_with_error_handling = profiled
    try:
        at.run()
    finally:
        script_runner.exec_func_with_error_handling = original
    return profiler.output_text(unicode=False, color=False, show_all=os.environ.get("PROFILE_ALL") == "1")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--root", default=None)
    parser.add_argument("--profile", choices=list(PAGES))
    args = parser.parse_args(argv)
    root = use_root(args.root)

    from streamlit.testing.v1 import AppTest

    from spinedash.dataset import Dataset
    from spinedash.ingest import load_outcomes

    path = cohort_path(args.size, "parquet")
    result = load_outcomes(path)
    dataset = Dataset(result.cases, path.name, is_synthetic=False, filename=path.name,
                      content_key=f"bench-{args.size}", warnings=result.warnings)
    out: dict = {"size": args.size, "rows": len(result.cases), "pages": {}}
    for name, page in PAGES.items():
        at = AppTest.from_file(str(root / "app.py"), default_timeout=900)
        at.session_state["data_source_dataset"] = dataset
        at.run()
        at.switch_page(page)
        at.run()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")
        times, cold, warm, seen = [], [], [], {()}
        for i in range(args.repeats):
            change = CHANGES[i % len(CHANGES)]
            at.multiselect(key="filter_condition").set_value(change)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            (warm if tuple(change) in seen else cold).append(times[-1])
            seen.add(tuple(change))
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].message}")
        out["pages"][name] = {"median_s": statistics.median(times), "max_s": max(times), "runs": times,
                              "cold_median_s": statistics.median(cold) if cold else None,
                              "warm_median_s": statistics.median(warm) if warm else None}  # fmt: skip
        if args.profile == name:
            # A filter state not met before, so the profile shows a cold rerun (aggregates computed).
            at.multiselect(key="filter_approach").set_value(["Microscopic", "Open"])
            print(_profiled_run(at))
    out["peak_rss_mb"] = rss_peak_mb()
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
