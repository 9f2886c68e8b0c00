"""Which two groups the Compare page sets against each other, as boolean masks over the cases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spinedash.vocabulary import APPROACHES

# mode -> (column, what the user picks). "the rest" means every other case with that column recorded.
COMPARE_MODES: dict[str, tuple[str, str]] = {
    "Approach vs approach": ("approach", "two approaches"),
    "Surgeon vs the rest": ("surgeon", "one surgeon"),
    "Site vs site": ("site", "two sites"),
}
REST = "All other surgeons"


@dataclass(frozen=True)
class GroupPair:
    """Two disjoint groups of cases with the labels the comparison table uses."""

    in_a: np.ndarray
    in_b: np.ndarray
    label_a: str
    label_b: str


def available_modes(cases: pd.DataFrame) -> list[str]:
    """The modes the data supports: its column is present with at least two values."""
    out = []
    for mode, (column, _) in COMPARE_MODES.items():
        if column in cases.columns and cases[column].dropna().nunique() >= 2:
            out.append(mode)
    return out


def group_choices(cases: pd.DataFrame, mode: str) -> list[str]:
    """Values the user can pick for a mode, approaches in their usual order."""
    column = COMPARE_MODES[mode][0]
    values = [str(v) for v in cases[column].dropna().unique()]
    if column == "approach":
        return [a for a in APPROACHES if a in values] + sorted(v for v in values if v not in APPROACHES)
    return sorted(values)


def group_pair(cases: pd.DataFrame, mode: str, a: str, b: str | None) -> GroupPair:
    """Masks for group A (value `a`) and group B (value `b`, or every other value for 'the rest').

    Raises ValueError when A and B are the same value: a group compared with itself says nothing.
    """
    column = COMPARE_MODES[mode][0]
    if mode != "Surgeon vs the rest" and (b is None or a == b):
        raise ValueError("Pick two different groups to compare.")
    is_value = _value_matcher(cases[column])
    in_a = is_value(a)
    if mode == "Surgeon vs the rest":
        return GroupPair(in_a, cases[column].notna().to_numpy() & ~in_a, a, REST)
    return GroupPair(in_a, is_value(b), a, b)


def _value_matcher(values: pd.Series):
    """value -> boolean mask of rows equal to it; on categoricals by code (no string copy of 1M rows)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = values.cat.categories.astype(str)
        codes = values.cat.codes.to_numpy()

        def match(value: str) -> np.ndarray:
            # code -1 (missing) indexes the appended False
            return np.append(labels == value, False)[codes]

        return match
    as_text = values.astype("string")
    return lambda value: (as_text == value).fillna(False).to_numpy(dtype=bool)


def comparison_table(cases: pd.DataFrame, mode: str, a: str, b: str | None, min_cell: int) -> tuple[GroupPair, pd.DataFrame]:
    """The groups and their outcome comparison (one call, so a page can remember both together)."""
    from spinedash.analysis import compare_groups

    pair = group_pair(cases, mode, a, b)
    return pair, compare_groups(cases, pair.in_a, pair.in_b, pair.label_a, pair.label_b, min_cell=min_cell)
