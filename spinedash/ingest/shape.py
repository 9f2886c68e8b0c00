"""Shape stage: tables to one row per operated case.

This minimal version knows the plain "wide" layout (one row per case, today's template). The
`formats` engineer extends it with long, REDCap, PROM-tidy, sheet-per-time-point and
operations + follow-up layouts behind the same two functions (see the ingest contract).
No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from spinedash.ingest.cells import _fail
from spinedash.ingest.map import match_header

LAYOUT_KINDS = ("wide", "long", "prom_tidy", "sheet_per_timepoint", "operations_followup")


@dataclass(frozen=True)
class LayoutGuess:
    kind: str  # "wide" | "long" | "prom_tidy" | "sheet_per_timepoint" | "operations_followup"
    settings: dict  # the profile's "layout" section that shape() takes
    evidence: str  # one sentence in the user's words: why this layout was guessed


@dataclass(frozen=True)
class Shaped:
    cases: pd.DataFrame  # one row per operated case; columns are source column names (str)
    timepoint: dict[str, str] = field(default_factory=dict)  # pivoted column -> time point id ("odi@12m" -> "12m")
    notes: list[str] = field(default_factory=list)  # what shaping did, in the user's words


def _header_score(frame: pd.DataFrame) -> int:
    return len({m[0] for c in frame.columns if (m := match_header(c))})


def _best_table(tables: dict[str, pd.DataFrame]) -> str:
    """The table whose headers name the most canonical columns (the first one on ties)."""
    if not tables:
        raise _fail("There is no table to read.")
    scores = {name: _header_score(frame) for name, frame in tables.items()}
    best = max(scores.values())
    return next(name for name, score in scores.items() if score == best)


def detect_layout(tables: dict[str, pd.DataFrame]) -> LayoutGuess:
    """The layout the tables look like, with the evidence for it in one sentence."""
    name = _best_table(tables)
    return LayoutGuess("wide", {"kind": "wide", "table": name},
                       f"'{name}' looks like one row per operated case.")


def shape(tables: dict[str, pd.DataFrame], layout: dict) -> Shaped:
    """One row per operated case from the tables, as `layout` (a profile's "layout" section) says.

    Raises:
        OutcomeDataError: the layout does not fit the tables.
    """
    kind = layout.get("kind", "wide")
    if kind != "wide":
        raise _fail(f"The layout '{kind}' is not supported yet; SpineDash reads one row per operated case.")
    name = layout.get("table") or _best_table(tables)
    if name not in tables:
        raise _fail(f"The profile names the table '{name}', which is not among the files: {', '.join(tables)}.")
    notes = []
    others = [n for n in tables if n != name]
    if others:
        sheet = lambda n: n.split("/", 1)[1] if "/" in n else n  # noqa: E731
        workbook = name.rsplit("/", 1)[0] if "/" in name else None
        if workbook is not None and all(n.startswith(workbook + "/") for n in others):
            notes.append(f"Read the sheet '{sheet(name)}'; other sheets were ignored: {', '.join(sheet(n) for n in others)}.")
        else:
            notes.append(f"Read '{name}'; other tables were ignored: {', '.join(others)}.")
    return Shaped(cases=tables[name], notes=notes)
