"""P2 through Streamlit itself: each analytics page rerun after a filter change, in AppTest.

    python bench/p2_apptest.py --size 1m [--repeats 5] [--root DIR] [--profile recovery]

The cohort is read once with load_outcomes (its Parquet twin, to save time) and put in the
session the way an upload is (spinedash.ui.data_source keeps the Dataset in st.session_state).
Then, per page, the sidebar's Condition filter is changed and the rerun timed: the whole script,
with Streamlit turning every element and chart into its protobuf message (what is sent to the
browser), but without the network and the browser. Median of several changes; the first run of
each page (imports, cold memo) is not counted. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
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
    return profiler.output_text(unicode=False, color=False)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=5)
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
        times = []
        for i in range(args.repeats):
            at.multiselect(key="filter_condition").set_value(CHANGES[i % len(CHANGES)])
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].message}")
        out["pages"][name] = {"median_s": statistics.median(times), "max_s": max(times), "runs": times}
        if args.profile == name:
            at.multiselect(key="filter_condition").set_value(["Spinal stenosis"])
            print(_profiled_run(at))
    out["peak_rss_mb"] = rss_peak_mb()
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
