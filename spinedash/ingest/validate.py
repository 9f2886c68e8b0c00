"""Validate stage: mapped columns to the canonical cases, or every problem with its column and rows.

Casts to the schema's types, runs the dictionary's checks (`spinedash.validation`), adds the columns
the file lacked (blank) and the completeness notes. No Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinedash import schema
from spinedash.ingest.cells import _rows_short
from spinedash.ingest.map import Mapped, _category_lookups
from spinedash.validation import OutcomeDataError, validate_cases


def validate(mapped: Mapped, index: pd.Index, header_row: int = 1) -> tuple[pd.DataFrame, list[str]]:
    """(canonical cases with every schema column, warnings), or raise OutcomeDataError listing every problem."""
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
    missing = [c for c in schema.CANONICAL_COLUMNS if c not in cases.columns]
    if missing:
        warnings.append(f"Not in the file, left blank: {', '.join(missing)}.")
    return _with_all_columns(cases).reset_index(drop=True), warnings


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
        "boolean": lambda: pd.array([None] * n, dtype="boolean"),
        "date": lambda: np.full(n, np.datetime64("NaT", "ns")),
        "category": lambda: pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype="str")),
        "id": lambda: pd.array([None] * n, dtype="str"),
    }
    full = {
        spec.name: cases[spec.name] if spec.name in cases.columns else pd.Series(empty[spec.kind](), index=cases.index)
        for spec in schema.specs_for(cases.columns)  # the fixed columns, then the file's other outcome columns
    }
    return pd.DataFrame(full, index=cases.index, copy=False)

