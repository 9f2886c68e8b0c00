"""The two-minute demo in Chromium, as an administrator clicks through it on a laptop and a tablet.

One freshly started server: the laptop walk is its first visitor (cold: the first run after a
start goes through Streamlit's legacy pages mode), the tablet walk follows on the warm server. Each
walk goes forward through every step, back through every step, ends, starts again, reloads mid-demo
and ends. At every stop: no exception element, the right page and step, and what the step's sentence
talks about (its heading or chart) scrolled into view above the demo bar.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from spinedash.overview import demo_steps
from spinedash.ui.demo import FIND_ANCHOR_JS
from tests.e2e.conftest import (
    free_port,
    start_streamlit,
    stop_streamlit,
    wait_for_app,
    wait_healthy,
)

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000
STEPS = demo_steps()
VIEWPORTS = {"laptop": (1366, 768), "tablet": (820, 1180)}
URL_PATHS = {"pages/overview.py": "/", **{f"pages/{name}.py": f"/{name}" for name in (
    "procedures", "recovery", "pain", "compare", "benchmarking")}}  # fmt: skip


def no_exception(page, where: str) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{where}: {exceptions.first.inner_text()[:500]}"


def expect_step(page, index: int, where: str) -> None:
    """Step `index` (0-based) is on screen: its bar, its page, its heading in view, no exception."""
    step = STEPS[index]
    expect(page.get_by_text(re.compile(rf"^Demo {index + 1} of {len(STEPS)} · "))).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    no_exception(page, where)
    path = URL_PATHS[step.page]
    assert re.match(rf"^http://[^/]+{re.escape(path)}(\?|$)", page.url), f"{where}: {page.url} is not {path}"
    assert f"demo={index + 1}" in page.url, f"{where}: the URL lets a reload resume the demo ({page.url})"
    bar = page.locator(".st-key-demo_bar")
    expect(bar).to_contain_text(step.sentence[:60])
    # The heading the sentence talks about sits between the app's top bar and the demo bar.
    page.wait_for_function(
        """([want]) => {
            const h = (""" + FIND_ANCHOR_JS + """)(document, want);
            const bar = document.querySelector('.st-key-demo_bar');
            if (!h || !bar) return false;
            const top = h.getBoundingClientRect().top, barTop = bar.getBoundingClientRect().top;
            return top >= 0 && top + 40 <= barTop && top < window.innerHeight / 2;
        }""",
        arg=[step.anchor],
        timeout=WAIT_MS,
    )
    page.wait_for_timeout(300)
    no_exception(page, where)


def sidebar_multiselect_values(page, label: str) -> list[str]:
    box = page.get_by_test_id("stSidebar").locator('[data-testid="stMultiSelect"]').filter(has_text=label).first
    return [t.strip() for t in box.locator('[data-tag] [title]').all_inner_texts()]


def walk(page, base_url: str, name: str, artifacts) -> None:
    # The user has their own filter before the demo: End must give it back.
    page.goto(base_url + "/?filter_approach=Microscopic")
    wait_for_app(page)
    expect(page.get_by_role("button", name="Start the two-minute demo")).to_be_visible(timeout=WAIT_MS)
    no_exception(page, f"{name} overview")

    page.get_by_role("button", name="Start the two-minute demo").click()
    expect_step(page, 0, f"{name} start")
    page.screenshot(path=str(artifacts / f"demo_{name}_step1.png"))
    for index in range(1, len(STEPS)):
        page.locator(".st-key-demo_bar").get_by_role("button", name="Next").click()
        expect_step(page, index, f"{name} next to {index + 1}")
        page.screenshot(path=str(artifacts / f"demo_{name}_step{index + 1}.png"))
    expect(page.locator(".st-key-demo_bar").get_by_role("button", name="Next")).to_have_count(0)  # the last step has no Next
    for index in range(len(STEPS) - 2, -1, -1):
        page.locator(".st-key-demo_bar").get_by_role("button", name="Back").click()
        expect_step(page, index, f"{name} back to {index + 1}")

    page.locator(".st-key-demo_bar").get_by_role("button", name="End demo").click()
    expect(page.locator(".st-key-demo_bar")).to_have_count(0, timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Start the two-minute demo")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    no_exception(page, f"{name} end")
    assert re.match(r"^http://[^/]+/\?filter_approach=Microscopic$", page.url), page.url
    assert sidebar_multiselect_values(page, "Approach") == ["Microscopic"]
    assert sidebar_multiselect_values(page, "Condition") == []
    page.screenshot(path=str(artifacts / f"demo_{name}_end.png"))

    # A reload mid-demo (a new session) carries on at the same step; End then ends it cleanly.
    page.get_by_role("button", name="Start the two-minute demo").click()
    expect_step(page, 0, f"{name} restart")
    page.locator(".st-key-demo_bar").get_by_role("button", name="Next").click()
    expect_step(page, 1, f"{name} restart next")
    page.locator(".st-key-demo_bar").get_by_role("button", name="Next").click()
    expect_step(page, 2, f"{name} restart next")
    page.reload()
    expect_step(page, 2, f"{name} reload")
    page.locator(".st-key-demo_bar").get_by_role("button", name="Next").click()
    expect_step(page, 3, f"{name} next after reload")
    page.locator(".st-key-demo_bar").get_by_role("button", name="End demo").click()
    expect(page.locator(".st-key-demo_bar")).to_have_count(0, timeout=WAIT_MS)
    wait_for_app(page)
    no_exception(page, f"{name} end after reload")
    assert "demo=" not in page.url


def test_demo_walks_every_step_both_ways_on_a_cold_then_a_warm_server(artifacts, browser):
    # The session's browser: a second sync_playwright() in one process fails once any other e2e
    # test has started the shared one ("Sync API inside the asyncio loop").
    port = free_port()
    log = artifacts / "streamlit_demo.log"
    proc = start_streamlit(port, log)
    try:
        wait_healthy(port, proc)
        for name, (width, height) in VIEWPORTS.items():  # laptop first: the cold server's first visitor
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            walk(page, f"http://127.0.0.1:{port}", name, artifacts)
            context.close()
    finally:
        stop_streamlit(proc)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "StreamlitAPIException" not in text, text[-3000:]


def test_a_stale_demo_marker_in_a_link_is_dropped(server, page):
    page.goto(server["url"] + "/recovery?demo=99")
    expect(page.get_by_role("heading", name="Hospital stay", exact=True)).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    no_exception(page, "demo=99")
    expect(page.locator(".st-key-demo_bar")).to_have_count(0)
    assert "demo=" not in page.url
