"""Validation of a mapped case table against the data dictionary, with problems a user can act on.

The pandera schema is built from `spinedash.schema.COLUMNS` (ranges, fixed vocabularies, unique
case ids, required columns), so the data dictionary stays the one place those rules live. Failures
come back as `Problem`s numbered the way a spreadsheet user sees rows: header row = 1.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pandera.pandas as pa

from spinedash import schema

# How many row numbers a problem keeps; the total is kept in `n_rows` (a file of a million bad rows
# should not make a million-item problem).
MAX_ROWS_KEPT = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file: which column, which spreadsheet rows, what was expected."""

    column: str
    rows: tuple[int, ...]
    message: str
    n_rows: int | None = None  # rows affected in all, when `rows` was cut to MAX_ROWS_KEPT

    @property
    def rows_text(self) -> str:
        """Rows as a person reads them: "2–4, 9, 12 … (31 rows)"; "—" for whole-file problems."""
        return format_rows(self.rows, self.n_rows)


def make_problem(column: str, rows: Iterable[int], message: str) -> Problem:
    """A Problem whose row list is sorted, de-duplicated and cut to MAX_ROWS_KEPT."""
    unique = sorted({int(r) for r in rows})
    return Problem(column, tuple(unique[:MAX_ROWS_KEPT]), message, len(unique))


def format_rows(rows: tuple[int, ...], n_rows: int | None = None, max_items: int = 8) -> str:
    """Compress row numbers into ranges: (2, 3, 4, 9) -> "2–4, 9"."""
    if not rows:
        return "—"
    spans: list[tuple[int, int]] = []
    for r in rows:
        if spans and r == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], r)
        else:
            spans.append((r, r))
    parts = [f"{a}" if a == b else (f"{a}, {b}" if b == a + 1 else f"{a}–{b}") for a, b in spans[:max_items]]
    text = ", ".join(parts)
    total = n_rows if n_rows is not None else len(rows)
    if len(spans) > max_items or total > len(rows):
        text += f" … ({total:,} rows)"
    return text


class OutcomeDataError(ValueError):
    """The file cannot be used as outcome data; `.problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.summary())

    def summary(self, max_items: int = 10) -> str:
        n = len(self.problems)
        head = f"The file cannot be used: {n} problem{'s' if n != 1 else ''} found."
        lines = [head]
        for p in self.problems[:max_items]:
            where = f"{p.column}, rows {p.rows_text}" if p.rows else p.column
            lines.append(f"- {where}: {p.message}")
        if n > max_items:
            lines.append(f"- … and {n - max_items} more.")
        return "\n".join(lines)


def _has_outcome(df: pd.DataFrame) -> bool:
    return any(schema.is_outcome_column(c) for c in df.columns)


def build_schema(approaches: Iterable[str], conditions: Iterable[str], columns: Iterable[str] = ()) -> pa.DataFrameSchema:
    """The pandera schema of a canonical case table.

    Args:
        approaches, conditions: the knowledge base's canonical names, the only values allowed.
        columns: the table's columns, so outcome columns beyond the fixed ones (NDI, 24 months…) are checked too.
    """
    # Imported here: a valid file never needs pandera (passes_every_rule answers first), and
    # importing it costs about a quarter of a second of every app start.
    import pandera.pandas as pa

    known = {"approach": tuple(approaches), "condition": tuple(conditions)}
    specs = schema.specs_for(tuple(columns))
    columns = {}
    for spec in specs:
        checks = []
        if spec.min is not None and spec.max is not None:
            checks.append(pa.Check.in_range(spec.min, spec.max))
        allowed = spec.allowed or known.get(spec.name)
        if allowed:
            checks.append(pa.Check.isin(list(allowed)))
        # dtype=None: to_canonical_dtypes has already cast; the schema checks values, not dtypes.
        columns[spec.name] = pa.Column(
            None,
            checks=checks,
            nullable=spec.name != "case_id",
            unique=spec.name == "case_id",
            required=spec.name in schema.REQUIRED_COLUMNS,
        )
    return pa.DataFrameSchema(
        columns,
        checks=[pa.Check(_has_outcome, name="has_outcome_column")],
        strict=False,
    )


def _examples(values: pd.Series, k: int = 3) -> str:
    uniq = list(dict.fromkeys(_show(v) for v in values.dropna().tolist()))
    return ", ".join(uniq[:k]) + (" …" if len(uniq) > k else "")


def _show(value: object) -> str:
    """A failing value as the user typed it: 250 not 250.0, text in quotes."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:g}"
    return repr(str(value))


def _expected(spec: schema.ColumnSpec, check: str, allowed: tuple[str, ...]) -> str:
    if check.startswith("in_range"):
        unit = f" {spec.unit}" if spec.unit and not spec.unit[0].isdigit() else ""
        return f"must be between {spec.min:g} and {spec.max:g}{unit}"
    if check.startswith("isin"):
        return "must be one of: " + ", ".join(allowed)
    if check == "field_uniqueness":
        return "must be unique: each case appears once"
    if check == "not_nullable":
        return "must not be empty"
    return f"failed check {check}"


def _code_counts(codes: np.ndarray, k: int) -> np.ndarray:
    """How often each of k categories occurs among categorical codes (−1 = missing, not counted)."""
    if codes.dtype.itemsize <= 2:
        # Read as unsigned, −1 counts past the categories: no masked copy of a million codes.
        return np.bincount(codes.view(np.uint8 if codes.dtype.itemsize == 1 else np.uint16), minlength=k)[:k]
    return np.bincount(codes[codes >= 0], minlength=k)


def categories_used(codes: np.ndarray, k: int) -> np.ndarray:
    """Which of k categories occur among categorical codes (−1 = missing): a boolean per category.

    The first rows usually hold every category (yes/no, sex, approach), and then the rest need not
    be counted: counting a million codes is ~3 ms a column, the first 64k a tenth of that.
    """
    head = codes[:65_536]
    used = _code_counts(head, k) > 0
    if used.all() or len(codes) <= len(head):
        return used
    return _code_counts(codes, k) > 0


def passes_every_rule(
    cases: pd.DataFrame, approaches: Iterable[str], conditions: Iterable[str], case_ids_unique: bool | None = None
) -> bool:
    """True when `cases` certainly breaks no rule of `build_schema`: checked column-wise in numpy.

    The same rules as the pandera schema — required columns, at least one outcome column, ranges,
    fixed vocabularies, case ids present and unique — at a fraction of pandera's cost (about 1 s
    at a million rows). False means "not certain", never "invalid": validate_cases then runs
    pandera, which finds and words the problems. Range checks need float columns and vocabulary
    checks categorical ones (what to_canonical_dtypes gives); anything else answers False.
    `case_ids_unique`, when the caller already knows it, saves hashing the ids again.
    """
    if not all(c in cases.columns for c in schema.REQUIRED_COLUMNS) or not _has_outcome(cases):
        return False
    known = {"approach": tuple(approaches), "condition": tuple(conditions)}

    def passes(spec: schema.ColumnSpec) -> bool:
        s = cases[spec.name]
        if spec.min is not None and spec.max is not None:
            if s.dtype != "float64":
                return False
            # fmin/fmax skip NaN (missing) without the masked copy of every column; NaN only if all are.
            values = s.to_numpy()
            low, high = np.fmin.reduce(values, initial=np.inf), np.fmax.reduce(values, initial=-np.inf)
            if low < spec.min or high > spec.max:
                return False
        allowed = spec.allowed or known.get(spec.name)
        if allowed:
            if not isinstance(s.dtype, pd.CategoricalDtype):
                return False
            # Every category allowed: nothing to count. Otherwise only the categories in use count.
            if not set(s.cat.categories) <= set(allowed):
                used = categories_used(s.cat.codes.to_numpy(), len(s.cat.categories))
                if not set(s.cat.categories[used]) <= set(allowed):
                    return False
        if spec.name == "case_id" and (s.isna().any() or not (s.is_unique if case_ids_unique is None else case_ids_unique)):
            return False
        return True

    specs = [spec for spec in schema.specs_for(cases.columns) if spec.name in cases.columns]
    if len(cases) >= PARALLEL_ROWS and (os.cpu_count() or 1) > 1:
        # numpy's reductions release the GIL: a large table's columns are checked on every core.
        return all(column_pool().map(passes, specs))
    return all(passes(spec) for spec in specs)


# Rows from which the import's column-at-a-time stages (Arrow -> pandas, map, these checks) work on
# every core; below it threads cost more than they save.
PARALLEL_ROWS = 100_000


@functools.cache
def column_pool() -> ThreadPoolExecutor:
    """One thread a core, kept for the process, shared by the import's column-at-a-time stages. A task
    run on it must not wait on another task of it (two workers would deadlock)."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="spinedash-columns")


def validate_cases(
    cases: pd.DataFrame,
    approaches: Iterable[str],
    conditions: Iterable[str],
    header_for: Mapping[str, str] | None = None,
    header_row: int = 1,
    case_ids_unique: bool | None = None,
) -> list[Problem]:
    """Every rule of the data dictionary that `cases` breaks, as Problems.

    Args:
        cases: canonical columns and dtypes, indexed by spreadsheet row number.
        header_for: canonical column -> the header the user's file used (for readable messages).
        header_row: spreadsheet row of the header, named in missing-column problems.
        case_ids_unique: whether cases["case_id"] has no repeats, if the caller has worked it out.
    """
    approaches, conditions = tuple(approaches), tuple(conditions)
    header_for = dict(header_for or {})
    if passes_every_rule(cases, approaches, conditions, case_ids_unique):
        return []
    from pandera.errors import SchemaErrors

    try:
        build_schema(approaches, conditions, cases.columns).validate(cases, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
    else:
        return []
    known = {"approach": approaches, "condition": conditions}
    problems: list[Problem] = []
    for (column, check), group in fc.groupby(["column", "check"], sort=False, dropna=False):
        if check == "column_in_dataframe":
            for name in dict.fromkeys(group["failure_case"].astype(str)):
                problems.append(
                    make_problem(
                        name,
                        [header_row],
                        f"Required column {name} is missing. Add a column with this header "
                        f"(the template and data dictionary list accepted spellings).",
                    )
                )
            continue
        if check == "has_outcome_column" or schema.spec_for(column) is None:
            problems.append(
                make_problem(
                    "(whole file)",
                    [],
                    "No outcome columns found: the file needs at least one of length of stay, return to "
                    "daily activities or work, or a score such as VAS leg, ODI, NDI or EQ-5D at some time point.",
                )
            )
            continue
        spec = schema.spec_for(column)
        rows = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int).tolist()
        label = header_for.get(column, column)
        # The user's header, and what SpineDash read it as in words ("LOS (read as hospital stay)"),
        # never the internal name alone (issue 11).
        from spinedash.ingest.validate import column_label

        shown = column if label == column else f"{label} (read as {column_label(column)})"
        found = "" if check == "not_nullable" else f"; found {_examples(group['failure_case'])}"
        allowed = spec.allowed or known.get(column, ())
        what = "Case id" if column == "case_id" else spec.description.split(";")[0].rstrip(".")
        problems.append(make_problem(shown, rows, f"{what} {_expected(spec, check, allowed)}{found}."))
    return problems


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as the table the Data page shows: column | rows | what was expected."""
    return pd.DataFrame(
        [{"column": p.column, "rows": p.rows_text, "what was expected": p.message} for p in problems],
        columns=["column", "rows", "what was expected"],
    )
