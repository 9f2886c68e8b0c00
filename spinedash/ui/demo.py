"""The guided demo: a bar at the foot of every page that walks an administrator through the sample.

How it moves. Back, Next, Start and End are callbacks: they set the widgets of the step's view in
st.session_state (every sidebar filter and the page's own choices, e.g. Compare's groups) and mark a
page switch as pending. The next run of app.py switches page before any page draws, with
`st.switch_page(page, query_params={"demo": n})`: a dict, never None, because None makes Streamlit
clear the URL with a check that refuses filters bound to widgets ("Cannot clear query parameters …
bound to widgets"), while a dict replaces the URL without that check. The bound widgets on the new
page then take their values from the session state the callback set, and write them back to the URL.

Reload. The URL carries `?demo=n` while the demo shows step n, so a reload (a new session) starts
the demo again at that step. A URL with a `demo` value that is not a step number ends it cleanly.

End. Start remembers the filters the user had; End puts them back and returns to the Overview.

Scrolling. The run that arrives at a step's page adds a small script that scrolls the main area to
the heading the step's sentence talks about (DemoStep.anchor) once the page has drawn it, and stops
as soon as the user scrolls, taps or types.
"""

from __future__ import annotations

import json

import streamlit as st

from spinedash.overview import DemoStep, demo_steps

DEMO_KEY = "demo_step"  # index of the current step; absent = demo not running
URL_PARAM = "demo"  # ?demo=3 while step 3 shows: a reload resumes there
_PENDING = "_demo_pending"  # a page switch the next run must make: a step index, or _END
_SAVED = "_demo_saved"  # the user's filter values from before the demo, put back by End
_SCROLL = "_demo_scroll"  # step index whose heading the arriving run scrolls to
_END = "end"
OVERVIEW = "pages/overview.py"
OVERVIEW_TITLE = "SpineDash"  # the Overview's title, where End lands


def _filter_keys() -> tuple[str, ...]:
    from spinedash.ui.filters import FILTER_KEYS

    return FILTER_KEYS


def _set_view(step: DemoStep) -> None:
    """Put every sidebar filter and the step's own widgets into the state the step describes.

    Filters the step does not name go back to "all" (a multiselect to [], a range to its full
    extent by dropping its value), so a filter the user had set before the demo cannot change what
    the sentence describes. The user's own values are in _SAVED for End.
    """
    from spinedash.ui.filters import MULTISELECTS

    multiselects = {key for key, _label, _placeholder in MULTISELECTS.values()}
    for key in _filter_keys():
        if key in step.query:
            st.session_state[key] = list(step.query[key])
        elif key in multiselects:
            st.session_state[key] = []
        else:
            st.session_state.pop(key, None)
    for key, value in step.query.items():
        if isinstance(value, str):  # a single-choice widget on the step's page, e.g. compare_a
            st.session_state[key] = value
        elif value is None:  # a widget with a default of its own: back to it (setting it would clash)
            st.session_state.pop(key, None)


def _go(index: int) -> None:
    """Callback of Start, Back and Next: show step `index`."""
    steps = demo_steps()
    index = max(0, min(index, len(steps) - 1))
    st.session_state[DEMO_KEY] = index
    _set_view(steps[index])
    st.session_state[_PENDING] = index


def _start() -> None:
    """Callback of 'Start the two-minute demo': remember the user's filters, then step 1."""
    st.session_state[_SAVED] = {key: st.session_state[key] for key in _filter_keys() if key in st.session_state}
    _go(0)


def _end() -> None:
    """Callback of 'End demo': the user's own filters back, and the Overview."""
    saved = st.session_state.pop(_SAVED, {})
    for key in _filter_keys():
        if key in saved:
            st.session_state[key] = saved[key]
        else:
            st.session_state.pop(key, None)
    st.session_state.pop(DEMO_KEY, None)
    st.session_state[_PENDING] = _END


def start_button(disabled: bool) -> None:
    """The 'start the demo' button (the demo runs on the synthetic sample only)."""
    st.button(
        "Start the two-minute demo",
        icon=":material/play_circle:",
        type="primary",
        on_click=_start,
        disabled=disabled,
        key="demo_start",
        help="Six views, one sentence each, on the synthetic sample cohort.",
    )


def url_step(value: str | None, n_steps: int) -> int | None:
    """The step index a `?demo=` value names (1-based in the URL), or None if it names none."""
    if value is None or not value.strip().isdigit():
        return None
    index = int(value) - 1
    return index if 0 <= index < n_steps else None


def _resume_from_url() -> None:
    """A session that opens on a `?demo=n` URL (a reload mid-demo) carries on at step n."""
    if DEMO_KEY in st.session_state or _PENDING in st.session_state or URL_PARAM not in st.query_params:
        return
    index = url_step(st.query_params.get(URL_PARAM), len(demo_steps()))
    if index is None:
        del st.query_params[URL_PARAM]  # not a step: the demo is over, drop the stale marker
        return
    _go(index)


def demo_banner() -> None:
    """Called by app.py before the page runs: makes a pending page switch, then draws the demo bar."""
    _resume_from_url()
    pending = st.session_state.pop(_PENDING, None)
    if pending == _END:
        st.session_state[_SCROLL] = _END
        st.switch_page(OVERVIEW, query_params={})
    index = st.session_state.get(DEMO_KEY)
    if index is None:
        if st.session_state.pop(_SCROLL, None) == _END:  # back at the top of the Overview
            with st.bottom:
                st.html(scroll_script(OVERVIEW_TITLE), unsafe_allow_javascript=True)
        return
    steps = demo_steps()
    step = steps[index]
    if pending is not None:
        st.session_state[_SCROLL] = index
        st.switch_page(step.page, query_params={URL_PARAM: str(index + 1)})
    with st.bottom, st.container(border=True, key="demo_bar", gap="small"):
        st.html(_BAR_STYLE)
        st.markdown(f"**Demo {index + 1} of {len(steps)} · {step.title}** (synthetic sample cohort). {step.sentence}")
        with st.container(horizontal=True, gap="small"):
            st.button("Back", on_click=_go, args=(index - 1,), disabled=index == 0, key="demo_back", icon=":material/arrow_back:")
            if index + 1 < len(steps):
                st.button("Next", type="primary", on_click=_go, args=(index + 1,), key="demo_next", icon=":material/arrow_forward:")
            st.button("End demo", on_click=_end, key="demo_end", icon=":material/close:")
        if st.session_state.pop(_SCROLL, None) == index and step.anchor:
            st.html(scroll_script(step.anchor), unsafe_allow_javascript=True)


# The bar sits over the foot of the page: kept to a few lines so it hides as little as it can.
_BAR_STYLE = """<style>
.st-key-demo_bar { padding: 0.5rem 0.75rem; }
.st-key-demo_bar p { margin-bottom: 0; }
</style>"""


# What DemoStep.anchor finds, in the browser: "chart:2" is the page's second chart; anything else
# is the start of a heading's text. Shared with tests/e2e/test_demo.py.
FIND_ANCHOR_JS = """(doc, want) => {
  const main = doc.querySelector('[data-testid="stMain"]');
  if (!main) return null;
  if (want.startsWith('chart:')) {
    return main.querySelectorAll('[data-testid="stVegaLiteChart"]')[parseInt(want.slice(6), 10) - 1] || null;
  }
  return [...main.querySelectorAll('h1, h2, h3')].find(h => h.textContent.trim().startsWith(want)) || null;
}"""


def scroll_script(anchor: str) -> str:
    """A script that scrolls the main area to the step's anchor (a heading, or "chart:n").

    It waits for the page to finish drawing (Streamlit's running indicator gone, the anchor
    present), puts the anchor just below the app's top bar, and keeps it there for a few seconds
    while charts above it finish sizing, unless the user scrolls, taps or presses a key first.
    """
    return (
        "<script>(() => {\n"
        f"  const want = {json.dumps(anchor)};\n"
        f"  const findAnchor = {FIND_ANCHOR_JS};\n"
        "  const doc = window.parent && window.parent.document ? window.parent.document : document;\n"
        "  const started = Date.now();\n"
        "  let userMoved = false, placedAt = 0;\n"
        "  const stop = () => { userMoved = true; };\n"
        "  for (const kind of ['wheel', 'touchstart', 'keydown', 'mousedown']) doc.addEventListener(kind, stop, {once: true, capture: true});\n"
        "  const tick = () => {\n"
        "    if (userMoved || Date.now() - started > 30000) return;\n"
        "    const target = findAnchor(doc, want);\n"
        "    const busy = doc.querySelector('[data-testid=\"stStatusWidget\"]');\n"
        "    if (target && !busy) {\n"
        "      target.style.scrollMarginTop = '4.5rem';\n"
        "      const top = target.getBoundingClientRect().top;\n"
        "      if (!placedAt || Math.abs(top - 72) > 8) target.scrollIntoView({block: 'start'});\n"
        "      if (!placedAt) placedAt = Date.now();\n"
        "      if (Date.now() - placedAt > 4000) return;\n"
        "    }\n"
        "    setTimeout(tick, 200);\n"
        "  };\n"
        "  tick();\n"
        "})();</script>"
    )
