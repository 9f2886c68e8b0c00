"""Load benchmark: N concurrent sessions changing filters against `streamlit run app.py` on loopback.

Each session is a websocket client speaking Streamlit's own protocol (the BackMsg/ForwardMsg
protobufs the browser sends), so 25 sessions cost the machine what 25 browsers cost the server,
not what 25 Chromiums cost to draw. A session opens the app, goes to one of the analytics pages
(Recovery, Pain and function, Compare, Overview, in turn) and, for the duration, picks random
condition / approach / surgeon filters, sends the rerun a filter click sends, and times it until
the script finishes. Prints errors (exception elements, failed or timed-out reruns, dropped
connections), rerun time p50/p95/max — over all reruns, and "steady" (clicked after every session's
first think time after opening: the first clicks land together, see main_async) — with p50/p95 per
page, reruns per second, and the server's resident memory.

Bounded: loopback only (127.0.0.1), a fixed number of sessions for a fixed time, every rerun with a
timeout; the server it starts is stopped at the end.

    python3 bench/load.py --think 10          # 25 sessions x 60 s, 5–15 s between clicks, own server
    python3 bench/load.py                     # the same, clicking as fast as answered
    python3 bench/load.py --think 10 --replicas 2   # two server processes, sessions sticky to one
    python3 bench/load.py --sessions 5 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.conftest import free_port, start_streamlit, stop_streamlit, wait_healthy  # noqa: E402

PAGES = ["recovery", "pain", "compare", "overview"]
FILTER_LABELS = ("Condition", "Approach", "Surgeon")
RERUN_TIMEOUT_S = 60


@dataclass
class Stats:
    times: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float, str]] = field(default_factory=list)  # (started, seconds, page) per rerun
    errors: list[str] = field(default_factory=list)
    reruns_by_page: dict[str, int] = field(default_factory=dict)
    filters_found: list[int] = field(default_factory=list)  # filter widgets each session could change
    opens: list[float] = field(default_factory=list)  # opening the app and going to the page
    opened_at: list[float] = field(default_factory=list)  # time.monotonic() when each session had its page


class Session:
    """One browser-like session over the websocket."""

    def __init__(self, ws, stats: Stats, name: str):
        self.ws, self.stats, self.name = ws, stats, name
        self.pages: dict[str, str] = {}  # url path -> page_script_hash
        self.widgets: dict[str, tuple[str, list[str]]] = {}  # label -> (widget id, options)

    async def rerun(self, page_hash: str, states: list[WidgetState], query: str = "") -> float:
        msg = BackMsg(rerun_script=ClientState(query_string=query, page_script_hash=page_hash,
                                               widget_states=WidgetStates(widgets=states)))
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=RERUN_TIMEOUT_S)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                for page in fwd.navigation.app_pages:
                    self.pages[page.url_pathname or "overview"] = page.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                what = element.WhichOneof("type")
                if what == "exception":
                    self.stats.errors.append(f"{self.name}: exception {element.exception.type}: {element.exception.message[:120]}")
                elif what == "multiselect" and element.multiselect.label in FILTER_LABELS:
                    self.widgets[element.multiselect.label] = (element.multiselect.id, list(element.multiselect.options))
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    self.stats.errors.append(f"{self.name}: compile error")
                    return time.perf_counter() - started
                if fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    return time.perf_counter() - started
                # FINISHED_EARLY_FOR_RERUN: the app called st.rerun(); the next run follows by itself.

    def random_filters(self, rng: random.Random) -> list[WidgetState]:
        states = []
        for widget_id, options in self.widgets.values():
            picked = [o for o in options if rng.random() < 0.4] if rng.random() < 0.7 else []
            state = WidgetState(id=widget_id)
            state.string_array_value.data.extend(picked)
            states.append(state)
        return states


async def run_session(i: int, url: str, deadline: float, stats: Stats, think: float, pages: list[str]) -> None:
    rng = random.Random(i)
    page = pages[i % len(pages)]
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=url, max_size=None,
                                      open_timeout=30, ping_interval=None) as ws:
            session = Session(ws, stats, f"session {i}")
            opened = time.perf_counter()
            await session.rerun("", [])  # the landing page, as a browser opening the app
            page_hash = session.pages.get(page)
            if page_hash is None:
                stats.errors.append(f"session {i}: page {page!r} not in {sorted(session.pages)}")
                return
            await session.rerun(page_hash, [])
            stats.opens.append(time.perf_counter() - opened)
            stats.opened_at.append(time.monotonic())
            stats.filters_found.append(len(session.widgets))
            if not session.widgets:
                stats.errors.append(f"session {i}: no filter widgets found on {page!r}")
                return
            while time.monotonic() < deadline:
                if think:  # a person looks at the result before the next click: uniform 0.5x-1.5x
                    await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                    if time.monotonic() >= deadline:
                        break
                clicked = time.monotonic()
                elapsed = await session.rerun(page_hash, session.random_filters(rng))
                stats.times.append(elapsed)
                stats.timeline.append((clicked, elapsed, page))
                stats.reruns_by_page[page] = stats.reruns_by_page.get(page, 0) + 1
    except (TimeoutError, OSError, websockets.WebSocketException) as error:
        stats.errors.append(f"session {i}: {type(error).__name__}: {error}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sample_memory(pids: list[int], until: float, samples: list[float]) -> None:
    while time.monotonic() < until:
        samples.append(sum(rss_mb(pid) for pid in pids))
        await asyncio.sleep(0.5)


async def main_async(urls: list[str], pids: list[int], sessions: int, seconds: float, think: float, pages: list[str]) -> dict:
    """Session i talks to urls[i % len(urls)] throughout: what a proxy with sticky sessions does."""
    stats = Stats()
    memory: list[float] = [sum(rss_mb(pid) for pid in pids)]
    started = time.monotonic()
    deadline = started + seconds
    tasks = []
    for i in range(sessions):
        tasks.append(asyncio.create_task(run_session(i, urls[i % len(urls)], deadline, stats, think, pages)))
        await asyncio.sleep(0.1)  # a staggered arrival, as people open a link one after another
    sampler = asyncio.create_task(sample_memory(pids, deadline + RERUN_TIMEOUT_S, memory))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 2 * RERUN_TIMEOUT_S)
    sampler.cancel()
    memory.append(sum(rss_mb(pid) for pid in pids))
    times = sorted(stats.times)

    def pct(p: float, values: list[float] | None = None) -> float:
        values = times if values is None else sorted(values)
        return values[min(len(values) - 1, int(round(p * (len(values) - 1))))] if values else float("nan")

    # "Steady": reruns clicked after every session's first think time after opening has passed. The
    # first clicks all land together: 25 sessions opening within a few seconds of a server just
    # started (imports, first runs) get their pages at about the same moment and click together.
    all_open = max(stats.opened_at) if stats.opened_at else started
    steady = [seconds for clicked, seconds, _ in stats.timeline if clicked >= all_open + 1.5 * think]
    by_page = {}
    for page_name in sorted({p for _, _, p in stats.timeline}):
        page_times = [seconds for _, seconds, p in stats.timeline if p == page_name]
        by_page[page_name] = {"p50_s": round(pct(0.5, page_times), 3), "p95_s": round(pct(0.95, page_times), 3)}

    return {
        "sessions": sessions,
        "replicas": len(urls),
        "seconds": seconds,
        "think_s": think,
        "pages": pages,
        "open_p50_s": round(statistics.median(stats.opens), 3) if stats.opens else None,
        "open_max_s": round(max(stats.opens), 3) if stats.opens else None,
        "reruns": len(times),
        "reruns_per_s": round(len(times) / (time.monotonic() - started), 2),
        "errors": len(stats.errors),
        "error_examples": stats.errors[:5],
        "rerun_p50_s": round(pct(0.50), 3),
        "rerun_p95_s": round(pct(0.95), 3),
        "rerun_max_s": round(times[-1], 3) if times else None,
        "rerun_mean_s": round(statistics.fmean(times), 3) if times else None,
        "steady_reruns": len(steady),
        "steady_p50_s": round(pct(0.50, steady), 3),
        "steady_p95_s": round(pct(0.95, steady), 3),
        "rerun_by_page": by_page,
        "reruns_by_page": stats.reruns_by_page,
        "filters_per_session": sorted(set(stats.filters_found)),
        "server_rss_start_mb": round(memory[0], 1),
        "server_rss_peak_mb": round(max(memory), 1),
        "server_rss_end_mb": round(memory[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a session waits between filter changes (default 0: click as fast as answered)")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated pages to spread sessions over ({','.join(PAGES)})")
    parser.add_argument("--replicas", type=int, default=1,
                        help="server processes, each session sticking to one (as behind a proxy with sticky sessions)")
    args = parser.parse_args()
    if not (1 <= args.sessions <= 100 and 1 <= args.seconds <= 600 and 1 <= args.replicas <= 8):
        parser.error("at most 100 sessions, 600 s and 8 replicas")

    log_dir = ROOT / "bench" / "out"
    log_dir.mkdir(parents=True, exist_ok=True)
    procs, urls = [], []
    try:
        for r in range(args.replicas):
            port = free_port()
            procs.append(start_streamlit(port, log_dir / ("load_server.log" if r == 0 else f"load_server_{r}.log")))
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs, strict=True):
            wait_healthy(int(url.rsplit(":", 1)[1]), proc)
        result = asyncio.run(main_async(urls, [p.pid for p in procs], args.sessions, args.seconds, args.think,
                                        args.pages.split(",")))  # fmt: skip
    finally:
        for proc in procs:
            stop_streamlit(proc)
    print(f"{result['sessions']} sessions x {result['seconds']:.0f} s on 127.0.0.1, {result['replicas']} server process(es) "
          f"(think {result['think_s']} s), "
          f"{result['reruns']} reruns ({result['reruns_per_s']}/s), {result['errors']} errors")
    print(f"rerun time: p50 {result['rerun_p50_s']} s, p95 {result['rerun_p95_s']} s, max {result['rerun_max_s']} s "
          f"(steady, after the first clicks: {result['steady_reruns']} reruns, p50 {result['steady_p50_s']} s, "
          f"p95 {result['steady_p95_s']} s); "
          f"opening the app: p50 {result['open_p50_s']} s, max {result['open_max_s']} s")
    print(f"server RSS: start {result['server_rss_start_mb']} MB, peak {result['server_rss_peak_mb']} MB, "
          f"end {result['server_rss_end_mb']} MB")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
