"""The outcome data in use: the cases plus where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


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

    def describe(self) -> str:
        """One line for the sidebar and for report headers."""
        if self.is_synthetic:
            return f"{self.source_label} — synthetic demonstration data, {self.n_cases:,} cases"
        return f"{self.source_label} — {self.n_cases:,} cases"
