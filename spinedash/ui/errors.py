"""No traceback, ever: an unexpected error on a page becomes a short apology with a way back.

app.py runs everything (sidebar, demo bar, the page) inside `apology_on_error()`. An exception that
escapes a page is caught there and the user sees an apology, a reference and links back; the server
log gets the reference, the exception's type and where it happened (file, line, function, source
line), never its message or arguments: those can quote a cell of an uploaded file. Streamlit's own
`st.stop()`, `st.rerun()` and `st.switch_page()` travel as BaseException, not Exception, and pass
through untouched.

Anything that still escapes (an error inside a widget callback, which Streamlit runs before the
script) is shown by Streamlit under `client.showErrorDetails = "none"` (.streamlit/config.toml):
a generic message, no type, no traceback.

Tests set SPINEDASH_RAISE_ERRORS=1 (tests/conftest.py) so that a broken page still fails its test
instead of being politely apologised for.
"""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

LOGGER = logging.getLogger("spinedash")
RAISE_ENV = "SPINEDASH_RAISE_ERRORS"
APOLOGY = (
    "Sorry — something went wrong while drawing this page, and it could not be finished. "
    "Your data and filters are unchanged. The error has been recorded for whoever runs SpineDash"
)


def safe_details(error: BaseException) -> str:
    """The exception's type and where it happened, for the server log, without any message text.

    Covers the chain (`raise … from …` and errors raised while handling another). Exception
    messages and arguments are left out on purpose: `KeyError('Smith')` or a pandas error can quote
    a value from the data.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        frames = traceback.extract_tb(current.__traceback__)
        lines = [f"{kind.__module__}.{kind.__qualname__} (message withheld: it may quote patient data)"]
        lines += [f'  File "{f.filename}", line {f.lineno}, in {f.name}' + (f"\n    {f.line}" if f.line else "") for f in frames]
        parts.append("\n".join(lines))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\nwhich happened while handling or because of:\n".join(parts)


def _raise_in_tests() -> bool:
    return os.environ.get(RAISE_ENV, "").strip() not in ("", "0", "false", "False")


@contextmanager
def apology_on_error(page: str) -> Iterator[None]:
    """Run the app's body for `page` (its title); turn an unexpected exception into an apology and a log line."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - the last line of defence: every Exception, nothing less
        reference = secrets.token_hex(3).upper()
        _log().error("Page error %s on the %s page:\n%s", reference, page, safe_details(error))
        if _raise_in_tests():
            raise
        show_apology(reference)


def _log() -> logging.Logger:
    """The 'spinedash' logger, writing to the server console (stderr) like Streamlit's own."""
    if not LOGGER.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOGGER.addHandler(handler)
        LOGGER.setLevel(logging.INFO)
        LOGGER.propagate = False
    return LOGGER


def show_apology(reference: str) -> None:
    """The apology, its reference, and the ways back (the Overview, or trying again)."""
    st.error(f"{APOLOGY} (reference {reference}).", icon=":material/sentiment_dissatisfied:")
    with st.container(horizontal=True, gap="small"):
        st.page_link("pages/overview.py", label="Back to the Overview", icon=":material/dashboard:")
        st.button("Try again", key=f"error_retry_{reference}", icon=":material/refresh:")
