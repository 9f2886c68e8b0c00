"""End-to-end fixtures: `streamlit run app.py` on a free port, driven by Debian's Chromium.

A missing browser is a failure, not a skip: scripts/test installs it with apt-get.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
CHROMIUM = os.environ.get("SPINEDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(port: int, log_path: Path, extra_env: dict | None = None) -> subprocess.Popen:
    """Start the app as a user would, on loopback only, logging to `log_path`."""
    env = {**os.environ, **(extra_env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the process is stopped
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)


def stop_streamlit(proc: subprocess.Popen) -> None:
    """Stop a server started by start_streamlit: politely, then firmly."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def wait_healthy(port: int, proc: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy in time")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def server(artifacts: Path) -> Iterator[dict]:
    """One app server for the e2e session: {"url": ..., "log": Path, "proc": Popen}."""
    port = free_port()
    log_path = artifacts / "streamlit.log"
    proc = start_streamlit(port, log_path)
    try:
        wait_healthy(port, proc)
        yield {"url": f"http://127.0.0.1:{port}", "log": log_path, "proc": proc}
    finally:
        stop_streamlit(proc)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/test, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    """A fresh browser context (own cookies, own Streamlit session) with a laptop-sized window."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def wait_for_app(pg, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script and the page is drawn.

    The app root says where the script run is (`data-test-script-state` on stApp: "initial" before
    the first run, "running", "notRunning" once it ended). The running indicator alone was not
    enough: on a cold start the first element can be drawn before the indicator shows, and the
    smoke test then read a page without its title. Checked again after a short pause, in case a
    click's rerun had not started yet when first checked.
    """
    done = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.getAttribute('data-test-script-state') === 'notRunning'
            && app.getAttribute('data-test-connection-state') === 'CONNECTED'
            && !document.querySelector('[data-testid="stStatusWidget"]')
            && document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length > 0;
    }"""
    pg.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout_ms)
    pg.wait_for_function(done, timeout=timeout_ms)
    pg.wait_for_timeout(500)
    pg.wait_for_function(done, timeout=timeout_ms)
