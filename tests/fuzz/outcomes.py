"""Fuzz-suite bookkeeping: every input read is counted by outcome (tests/fuzz/conftest.py prints the count).

`read_hostile(data, name)` is the one way the fuzz tests call the reader: it returns "read" or
"refused" and fails the test for anything else (another exception, an empty message, a message
too long to show).
"""

from __future__ import annotations

from collections import Counter

from spinedash.ingest import IngestResult, OutcomeDataError, load_outcomes

OUTCOMES: Counter[str] = Counter()
# A refusal is shown to the user in full; an 8 MB cell must not become an 8 MB message.
MAX_MESSAGE_CHARS = 20_000


def read_hostile(data: bytes, name: str, profile: dict | bytes | None = None) -> str:
    """Read `data` as an upload named `name` (with an import profile, if given): "read" (an IngestResult)
    or "refused" (OutcomeDataError)."""
    try:
        result = load_outcomes(data, profile, filename=name)
    except OutcomeDataError as error:
        OUTCOMES["refused"] += 1
        message = str(error)
        assert error.problems, f"{name}: OutcomeDataError without problems"
        assert all(p.message.strip() for p in error.problems), f"{name}: a problem without a message"
        total = sum(len(p.message) + len(p.column) for p in error.problems)
        assert total <= MAX_MESSAGE_CHARS, f"{name}: problems total {total:,} characters"
        assert message.startswith("The file cannot be used"), message[:200]
        return "refused"
    except BaseException:
        OUTCOMES["other"] += 1
        raise
    assert isinstance(result, IngestResult)
    assert result.rows_accepted == len(result.cases)
    assert sum(len(w) for w in result.warnings) <= MAX_MESSAGE_CHARS, f"{name}: warnings too long"
    OUTCOMES["read"] += 1
    return "read"
