"""No traceback, ever: a page that raises shows an apology and a way back; the log keeps no data."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from spinedash.ui import errors
from tests.pages.apptest import all_text, run_page

ROOT = Path(__file__).resolve().parents[2]
PATIENT_VALUE = "Smith, Jane 1957-03-02"  # what a cell of an uploaded file could hold


@pytest.fixture()
def log_records():
    """Records of the 'spinedash' logger (it does not propagate to the root logger caplog watches)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    logging.getLogger("spinedash").addHandler(handler)
    yield records
    logging.getLogger("spinedash").removeHandler(handler)


def _broken(*_args, **_kwargs):
    try:
        raise ValueError(f"could not convert {PATIENT_VALUE!r} to float")
    except ValueError as inner:
        raise KeyError(PATIENT_VALUE) from inner


@pytest.mark.parametrize("page", ["pages/recovery.py", "pages/overview.py"])
def test_a_page_that_raises_shows_an_apology_and_a_way_back(monkeypatch, log_records, page):
    monkeypatch.setenv(errors.RAISE_ENV, "0")  # production behaviour
    monkeypatch.setattr("spinedash.ui.page.analytics_page", _broken)
    at = run_page(page)
    assert not at.exception, "the user must not see Streamlit's exception box"
    assert len(at.error) == 1 and at.error[0].value.startswith("Sorry — something went wrong")
    assert "reference " in at.error[0].value
    assert PATIENT_VALUE not in all_text(at)
    links = at.get("page_link")
    assert [link.proto.label for link in links] == ["Back to the Overview"]
    assert any(b.label == "Try again" for b in at.button)

    (record,) = [r for r in log_records if r.levelno >= logging.ERROR]
    logged = record.getMessage()
    reference = at.error[0].value.split("(reference ")[1].rstrip(").")
    assert f"Page error {reference}" in logged
    assert "builtins.KeyError" in logged and "builtins.ValueError" in logged  # the chain, by type
    assert "in _broken" in logged and "test_errors.py" in logged  # where it happened
    assert "Smith" not in logged and "1957" not in logged  # no cell value


def test_the_apology_leaves_the_sidebar_and_the_try_again_button_works(monkeypatch):
    monkeypatch.setenv(errors.RAISE_ENV, "0")
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("first run fails")
        return real(*args, **kwargs)

    import spinedash.ui.page as page_module

    real = page_module.analytics_page
    monkeypatch.setattr(page_module, "analytics_page", flaky)
    at = run_page("pages/recovery.py")
    assert at.error and "Data in use" in " ".join(m.value for m in at.sidebar.markdown)
    next(b for b in at.button if b.label == "Try again").click().run()
    assert not at.exception and not at.error
    assert any(h.value == "Hospital stay" for h in at.header)


def test_in_tests_a_broken_page_still_fails(monkeypatch):
    monkeypatch.setenv(errors.RAISE_ENV, "1")
    monkeypatch.setattr("spinedash.ui.page.analytics_page", _broken)
    at = run_page("pages/recovery.py")
    assert at.exception, "with SPINEDASH_RAISE_ERRORS=1 the error reaches AppTest"


def test_safe_details_names_types_and_places_but_never_the_message():
    try:
        _broken()
    except KeyError as error:
        details = errors.safe_details(error)
    assert details.index("builtins.KeyError") < details.index("builtins.ValueError")
    assert "message withheld" in details
    assert "Smith" not in details and "1957" not in details
    assert 'raise KeyError(PATIENT_VALUE) from inner' in details  # the source line, which is ours


def test_streamlit_shows_no_error_details_in_production():
    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    value = settings["client"]["showErrorDetails"]
    assert value == "none"
    assert config.ShowErrorDetailsConfigOptions(value)  # a value Streamlit accepts
