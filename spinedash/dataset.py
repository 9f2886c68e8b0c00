"""The outcome data in use: the cases plus where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from spinedash.schema import REQUIRED_COLUMNS


@dataclass(frozen=True)
class Dataset:
    """Cases in the canonical schema and a plain description of their origin.

    `is_synthetic` is True only for the bundled sample cohort; every page that shows its numbers
    says so. `content_key` identifies the bytes the cases were read from (a hash), so per-session
    caches can key on content.
    """

    cases: pd.DataFrame
    source_label: str
    is_synthetic: bool
    filename: str | None = None
    content_key: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    def describe(self, count: bool = True) -> str:
        """One line for the sidebar and for report headers; `count=False` leaves out the number of
        cases (for a chart of a filtered view, whose own count is not the dataset's)."""
        if self.is_synthetic:
            return f"{self.source_label} — synthetic demonstration data" + (f", {self.n_cases:,} cases" if count else "")
        return f"{self.source_label} — {self.n_cases:,} cases" if count else self.source_label


def without_blank_columns(cases: pd.DataFrame) -> pd.DataFrame:
    """Drop optional columns that hold no value at all, so pages say "your data has no X".

    The upload reader gives every canonical column, blank where the file had none; a chart over a
    blank column would show a row of "no data" instead of saying which column it needs. Required
    columns always stay.
    """
    blank = [c for c in cases.columns if c not in REQUIRED_COLUMNS and not cases[c].notna().any()]
    return cases.drop(columns=blank) if blank else cases
