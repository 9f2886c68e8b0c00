"""Prints how many hostile inputs the fuzz suite read, by outcome, at the end of the run."""

from __future__ import annotations

from tests.fuzz.outcomes import OUTCOMES


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest hook signature
    if OUTCOMES:
        total = sum(OUTCOMES.values())
        terminalreporter.write_line(
            f"fuzz: {total} inputs read by load_outcomes: {OUTCOMES['read']} read, "
            f"{OUTCOMES['refused']} refused with OutcomeDataError, {OUTCOMES['other']} other outcomes"
        )
