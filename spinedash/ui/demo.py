"""The guided demo: a banner above every page that walks an administrator through the sample."""

from __future__ import annotations

import streamlit as st

from spinedash.overview import DemoStep, demo_steps

DEMO_KEY = "demo_step"  # index of the current step; absent = demo not running


def _go(index: int | None) -> None:
    steps = demo_steps()
    if index is None or not 0 <= index < len(steps):
        st.session_state.pop(DEMO_KEY, None)
        st.session_state.pop("_demo_shown", None)
        return
    st.session_state[DEMO_KEY] = index
    _apply_filters(steps[index])


def _apply_filters(step: DemoStep) -> None:
    # Bound filter widgets only take new values through session_state (a bound query parameter
    # cannot be set from Python), so each step resets the filters it does not name.
    from spinedash.ui.filters import MULTISELECTS

    for key, _label, _placeholder in MULTISELECTS.values():
        st.session_state[key] = list(step.query.get(key, []))
    for key, value in step.query.items():
        if isinstance(value, str):  # a single-choice widget on the step's page, e.g. procedures_approach
            st.session_state[key] = value


def start_button(disabled: bool) -> None:
    """The 'start the demo' button (the demo runs on the synthetic sample only)."""
    st.button(
        "Start the two-minute demo",
        icon=":material/play_circle:",
        type="primary",
        on_click=_go,
        args=(0,),
        disabled=disabled,
        key="demo_start",
        help="Six views, one sentence each, on the synthetic sample cohort.",
    )


def demo_banner() -> None:
    """While the demo runs: the current step, its sentence, Back / Next / End, and the page switch."""
    index = st.session_state.get(DEMO_KEY)
    if index is None:
        return
    steps = demo_steps()
    step = steps[index]
    target = st.session_state.get("_demo_shown")
    if target != index:
        # First time this step is drawn: go to its page (once, so the user can still wander).
        st.session_state["_demo_shown"] = index
        st.switch_page(step.page)
    with st.container(border=True):
        st.markdown(f"**Demo {index + 1} of {len(steps)} · {step.title}** — synthetic sample cohort")
        st.write(step.sentence)
        back, forward, end, _ = st.columns([1, 1, 1, 5])
        back.button("Back", on_click=_go, args=(index - 1,), disabled=index == 0, key="demo_back")
        if index + 1 < len(steps):
            forward.button("Next", type="primary", on_click=_go, args=(index + 1,), key="demo_next")
        end.button("End demo", on_click=_go, args=(None,), key="demo_end")
