"""Validate stage: mapped columns to the canonical cases, or every problem with its column and rows.

Casts to the schema's types, runs the dictionary's checks (`spinedash.validation`), adds the columns
the file lacked (blank) and the completeness notes. No Streamlit.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from spinedash import schema
from spinedash.ingest.cells import _rows_short
from spinedash.ingest.map import Mapped, _category_lookups
from spinedash.validation import OutcomeDataError, Problem, validate_cases


def validate(mapped: Mapped, index: pd.Index, header_row: int = 1) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(canonical cases with every schema column, warnings, information), or raise OutcomeDataError listing every problem."""
    cases = schema.with_region(schema.cast_columns(mapped.columns, index))
    lookups = _category_lookups()
    approach_names = lookups["approach"][1]
    condition_names = lookups["condition"][1]
    ids_unique = mapped.ids_unique.result() if mapped.ids_unique is not None else None
    problems = list(mapped.problems)
    problems += validate_cases(cases, approach_names, condition_names, header_for=mapped.header_for,
                               header_row=header_row, case_ids_unique=ids_unique)
    if problems:
        raise OutcomeDataError(problems)
    warnings = _completeness_warnings(cases)
    info: list[str] = []
    missing = [c for c in schema.CANONICAL_COLUMNS if c not in cases.columns]
    if missing:
        info.append(f"Not in the file, left blank: {', '.join(column_label(c) for c in missing)}.")
    return _with_all_columns(cases).reset_index(drop=True), warnings, info


def _completeness_warnings(cases: pd.DataFrame) -> list[str]:
    present = [c for c in cases.columns if schema.is_outcome_column(c)]
    if not present or cases.empty:
        return []
    none = np.ones(len(cases), dtype=bool)
    for c in present:  # column by column: no million-by-25 boolean frame
        none &= cases[c].isna().to_numpy()
        if not none.any():
            return []
    rows = cases.index[none].tolist()
    return [f"{len(rows)} row{'s have' if len(rows) > 1 else ' has'} no outcome values at all (row {_rows_short(rows)}); kept, but they add to no outcome."]


def _with_all_columns(cases: pd.DataFrame) -> pd.DataFrame:
    """Every canonical column present (blank where the file had none), in dictionary order."""
    n = len(cases)
    empty = {
        "number": lambda: np.full(n, np.nan),
        # built from arrays, not from a list of a million Nones (150 ms a boolean, 240 ms a text column)
        "boolean": lambda: pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool)),
        "date": lambda: np.full(n, np.datetime64("NaT", "ns")),
        "category": lambda: pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=pd.Index([], dtype="str")),
        "id": lambda: pd.array(pa.nulls(n, pa.large_string()), dtype="str"),
    }
    full = {
        spec.name: cases[spec.name] if spec.name in cases.columns else pd.Series(empty[spec.kind](), index=cases.index)
        for spec in schema.specs_for(cases.columns)  # the fixed columns, then the file's other outcome columns
    }
    return pd.DataFrame(full, index=cases.index, copy=False)



_REQUIRED_WORDS = {"case_id": "the case or patient id", "condition": "the diagnosis", "approach": "the surgical approach"}


def _value_candidates(frame: pd.DataFrame, kind: str, skip: set[int]) -> list[str]:
    """Source columns most of whose distinct values the knowledge base reads as `kind` (condition, approach)."""
    from spinedash.knowledge import load_knowledge

    kb = load_knowledge()
    out = []
    for i, name in enumerate(frame.columns):
        if i in skip:
            continue
        values = frame.iloc[:, i].dropna().astype("str").str.strip()
        distinct = [v for v in values.unique()[:30] if v]
        if not distinct or len(distinct) > 25:
            continue
        hits = sum(kb.resolve_term(v, kind).status != "unknown" for v in distinct)
        if hits / len(distinct) >= 0.5:
            out.append(str(name))
    return out


def _visit_column(frame: pd.DataFrame, id_column: int) -> str | None:
    """A column whose values read as time points (pre, 3 months, redcap events…): one row per visit."""
    from spinedash.ingest.map import _timepoint_of

    for i, name in enumerate(frame.columns):
        if i == id_column:
            continue
        if re.search(r"event|visit|timepoint|time_point|tidspunkt|besok|oppfolging|followup", str(name).casefold()):
            return str(name)
        distinct = frame.iloc[:, i].dropna().astype("str").unique()[:20]
        if 1 < len(distinct) <= 12 and sum(_timepoint_of(v) is not None for v in distinct) >= max(2, len(distinct) // 2):
            return str(name)
    return None


def explain_refusal(error: OutcomeDataError, frame: pd.DataFrame, mapped: Mapped, layout: dict) -> OutcomeDataError:
    """The refusal with what was recognised and where the missing columns may be; repeated ids that look
    like one row per visit say so and offer the long layout instead of asking to delete rows."""
    problems = list(error.problems)
    hints: list[str] = []
    suggested_layout: dict | None = None
    id_source = mapped.header_for.get("case_id")
    if id_source is not None and (layout.get("kind") or "wide") == "wide":
        pos = next((c.position for c in mapped.choices if c.target == "case_id"), None)
        visit = _visit_column(frame, pos) if pos is not None else None
        for k, p in enumerate(problems):
            if (p.column == id_source or p.column.startswith(id_source + " (")) and "unique" in p.message and visit is not None:
                text = (f"The same id appears on several rows, and '{visit}' looks like a time point: this file "
                        f"looks like one row per visit. Do not delete rows: read it as one row per case and time "
                        f"point (on the Data page, the button 'Read as one row per case and visit', or the import's "
                        f"Layout step), with '{id_source}' as the case and '{visit}' as the time point.")
                problems[k] = Problem(p.column, p.rows, text, p.n_rows)
                hints.append(text)
                suggested_layout = {**({"table": layout["table"]} if "table" in layout else {}),
                                    "kind": "long", "case_id": id_source, "timepoint_column": visit}
    used = {c.position for c in mapped.choices if c.target is not None}
    candidates: dict[str, list[str]] = {}
    for column in schema.REQUIRED_COLUMNS:
        if column in mapped.columns:
            continue
        named = [c.source for c in mapped.choices if column in c.candidates]
        if column in ("condition", "approach"):
            named += [n for n in _value_candidates(frame, column, used) if n not in named]
        candidates[column] = named
        where = f" Candidates in your file: {', '.join(repr(n) for n in named[:5])}." if named else ""
        hints.append(f"No column was recognised as {_REQUIRED_WORDS[column]} ({column}).{where}")
    new = OutcomeDataError(problems)
    new.recognised = dict(mapped.mapping)
    new.candidates = candidates
    new.hints = hints
    new.suggested_layout = suggested_layout  # the long layout to offer with one click, or None
    return new


_PLAIN_NAMES = {
    "case_id": "case id", "surgery_date": "date of surgery", "spinal_level": "level",
    "operation_minutes": "operation time", "blood_loss_ml": "blood loss", "anesthesia": "anaesthesia",
    "length_of_stay_hours": "hospital stay", "return_to_activities_days": "return to daily activities",
    "return_to_work_days": "return to work", "employed_before_surgery": "employed before surgery",
    "last_followup_days": "last follow-up", "reoperation_12m": "reoperation within 12 months",
    "recurrence_12m": "recurrence within 12 months", "satisfied_12m": "satisfied at 12 months",
}


def column_label(column: str) -> str:
    """A canonical column in the surgeon's words: "vas_leg_2w" -> "VAS leg pain at 2 weeks"."""
    own = getattr(schema, "column_label", None)
    if own is not None:
        try:
            return str(own(column))
        except (KeyError, ValueError):
            pass
    if column in _PLAIN_NAMES:
        return _PLAIN_NAMES[column]
    parse = getattr(schema, "parse_outcome_column", None)
    parsed = parse(column) if parse is not None else None
    measures = getattr(schema, "MEASURES", {})
    if parsed and parsed[0] in measures and parsed[0] not in schema.PAIN_MEASURES:
        measure, tp = parsed
        when = "before surgery" if tp == "pre" else f"at {schema.timepoint_label(tp).lower()}"
        return f"{measures[measure].label} {when}"
    for measure, info in schema.PAIN_MEASURES.items():
        if column.startswith(measure + "_"):
            tp = column[len(measure) + 1:]
            name = re.sub(r"\s*\(.*\)$", "", info["label"]).replace(" disability", "")
            when = "before surgery" if tp == "pre" else f"at {schema.TIMEPOINT_LABELS.get(tp, tp).lower()}"
            return f"{name} {when}"
    return column.replace("_", " ")
