"""Published figures drawn on charts as reference marks, and the MCID / success thresholds.

Both tables live in data/ (benchmarks.csv, mcid_thresholds.csv) and hold only numbers from
/work/shared/evidence.md, each row naming its source. Values are on the app's scales: VAS 0–10,
ODI 0–100, stay in hours, times in days, shares as fractions 0–1. A "change" is follow-up minus
baseline, so an improvement in pain is negative.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from spinedash.filters import present_values
from spinedash.schema import MEASURES as CATALOGUE
from spinedash.schema import REGION_VALUES, TIMEPOINT_DAYS
from spinedash.vocabulary import APPROACHES, CONDITIONS

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BENCHMARKS_PATH = DATA_DIR / "benchmarks.csv"
MCID_PATH = DATA_DIR / "mcid_thresholds.csv"

# measure -> (plausible value range on the app's scale for non-change kinds, what it is).
# Every catalogue measure (data/measures.csv) on its own scale, and the share reaching its MCID.
MEASURES: dict[str, tuple[tuple[float, float], str]] = {
    **{m.id: ((m.scale_min, m.scale_max), m.label_with_scale) for m in CATALOGUE.values()},
    **{f"mcid_{m.id}": ((0, 1), f"Share reaching the MCID for {m.short_label}") for m in CATALOGUE.values()},
    "length_of_stay_hours": ((0, 24 * 365), "Hospital stay (hours)"),
    "return_to_work_days": ((0, 3650), "Return to work (days)"),
    "operation_minutes": ((0, 1440), "Operation time (minutes)"),
    "blood_loss_ml": ((0, 10000), "Blood loss (mL)"),
    "returned_to_work": ((0, 1), "Share returned to work"),
    "complication": ((0, 1), "Share with a complication"),
    "recurrence_12m": ((0, 1), "Share with recurrence within 12 months"),
    "satisfied": ((0, 1), "Share satisfied"),
}
KINDS: tuple[str, ...] = ("mean", "median", "change", "share")
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "measure", "region", "condition", "approach", "timepoint", "value", "kind", "label", "source", "note",
)
MCID_COLUMNS: tuple[str, ...] = ("measure", "threshold", "definition", "source", "unit", "kind", "condition")
THRESHOLD_KINDS: tuple[str, ...] = ("mcid", "success", "failure", "state")
THRESHOLD_UNITS: tuple[str, ...] = ("points", "percent")
THRESHOLD_MEASURES: tuple[str, ...] = tuple(CATALOGUE)


class BenchmarkError(ValueError):
    """A reference table in data/ is malformed: which file, which rows, what was expected."""


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise BenchmarkError(f"{path.name} is missing from {path.parent}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise BenchmarkError(f"{path.name} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return df[list(columns)].apply(lambda s: s.str.strip())


def _bad_rows(path: Path, bad: pd.Series, what: str, df: pd.DataFrame, column: str) -> None:
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy()))  # +2: header line, 1-based
        values = ", ".join(sorted({repr(v) for v in df.loc[bad, column]}))
        raise BenchmarkError(f"{path.name} line(s) {rows}: {column} {what} (found {values})")


def _blank_to_missing(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    # Blank in the CSV means "any" (condition, approach) or "not stated" (time point, note).
    return df.assign(**{c: df[c].mask(df[c] == "") for c in columns})


def validate_benchmarks(df: pd.DataFrame, path: Path = BENCHMARKS_PATH) -> pd.DataFrame:
    """Check a raw benchmarks table (all strings) and return it typed; raises BenchmarkError."""
    _bad_rows(path, ~df["measure"].isin(MEASURES), f"must be one of {', '.join(MEASURES)}", df, "measure")
    _bad_rows(path, ~df["kind"].isin(KINDS), f"must be one of {', '.join(KINDS)}", df, "kind")
    _bad_rows(path, df["source"] == "", "must name the published source", df, "source")
    _bad_rows(path, df["label"] == "", "must not be empty", df, "label")
    # Every figure says which part of the spine its patients were operated on: lumbar figures are
    # never drawn beside cervical cases.
    _bad_rows(path, ~df["region"].isin(REGION_VALUES), f"must be one of {', '.join(REGION_VALUES)}", df, "region")
    _bad_rows(path, ~df["condition"].isin(("", *CONDITIONS)), "must be blank or a known condition", df, "condition")
    _bad_rows(path, ~df["approach"].isin(("", *APPROACHES)), "must be blank or a known approach", df, "approach")
    _bad_rows(path, ~df["timepoint"].isin(("", *TIMEPOINT_DAYS)), f"must be blank or one of {', '.join(TIMEPOINT_DAYS)}", df, "timepoint")
    value = pd.to_numeric(df["value"], errors="coerce")
    _bad_rows(path, ~np.isfinite(value), "must be a number", df, "value")
    low = df["measure"].map(lambda m: MEASURES[m][0][0]).astype(float)
    high = df["measure"].map(lambda m: MEASURES[m][0][1]).astype(float)
    # A change may be negative (improvement) but never larger than the scale itself.
    low = low.where(df["kind"] != "change", -high)
    _bad_rows(path, (value < low) | (value > high), "value outside the measure's scale", df.assign(value=value), "value")
    share_kind = df["kind"] == "share"
    share_measure = df["measure"].map(lambda m: MEASURES[m][0] == (0, 1))
    _bad_rows(path, share_kind != share_measure, "kind 'share' goes with share measures and only those", df, "kind")
    return _blank_to_missing(df.assign(value=value.astype("float64")), ("condition", "approach", "timepoint", "note"))


@lru_cache(maxsize=1)
def _benchmarks() -> pd.DataFrame:
    return validate_benchmarks(_read(BENCHMARKS_PATH, BENCHMARK_COLUMNS))


def load_benchmarks() -> pd.DataFrame:
    """All published reference figures, validated (a fresh copy each call)."""
    return _benchmarks().copy()


def benchmarks_for(
    measure: str,
    condition: str | None = None,
    approach: str | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Reference figures for one measure, optionally narrowed.

    A row with a blank condition or approach applies to any, so it is kept whatever is asked for.
    Raises KeyError for a measure the table does not know.
    """
    if measure not in MEASURES:
        raise KeyError(f"no benchmarks measure {measure!r}; known: {', '.join(MEASURES)}")
    return _benchmarks_for(measure, condition, approach, kind).copy()


@lru_cache(maxsize=256)
def _benchmarks_for(measure: str, condition: str | None, approach: str | None, kind: str | None) -> pd.DataFrame:
    # Each chart asks on every rerun; the table never changes while the app runs. Callers get a copy.
    df = _benchmarks()
    keep = df["measure"] == measure
    if condition is not None:
        keep &= df["condition"].isna() | (df["condition"] == condition)
    if approach is not None:
        keep &= df["approach"].isna() | (df["approach"] == approach)
    if kind is not None:
        keep &= df["kind"] == kind
    return df[keep].reset_index(drop=True)


def validate_mcid_thresholds(df: pd.DataFrame, path: Path = MCID_PATH) -> pd.DataFrame:
    """Check a raw thresholds table (all strings) and return it typed; raises BenchmarkError."""
    _bad_rows(path, ~df["measure"].isin(THRESHOLD_MEASURES), f"must be one of {', '.join(THRESHOLD_MEASURES)}", df, "measure")
    _bad_rows(path, df["source"] == "", "must name the published source", df, "source")
    _bad_rows(path, df["definition"] == "", "must say what the threshold means", df, "definition")
    _bad_rows(path, ~df["unit"].isin(THRESHOLD_UNITS), f"must be one of {', '.join(THRESHOLD_UNITS)}", df, "unit")
    _bad_rows(path, ~df["kind"].isin(THRESHOLD_KINDS), f"must be one of {', '.join(THRESHOLD_KINDS)}", df, "kind")
    _bad_rows(path, ~df["condition"].isin(("", *CONDITIONS)), "must be blank or a known condition", df, "condition")
    threshold = pd.to_numeric(df["threshold"], errors="coerce")
    _bad_rows(path, ~(threshold > 0), "must be a positive number", df, "threshold")
    return _blank_to_missing(df.assign(threshold=threshold.astype("float64")), ("condition",))


@lru_cache(maxsize=1)
def _mcid_thresholds() -> pd.DataFrame:
    return validate_mcid_thresholds(_read(MCID_PATH, MCID_COLUMNS))


def load_mcid_thresholds() -> pd.DataFrame:
    """MCID, success, failure and state thresholds with their sources (a fresh copy each call)."""
    return _mcid_thresholds().copy()


def benchmarks_for_view(measure: str, cases: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """Published figures that fit the cases on screen: only when they are all one condition.

    A stenosis figure drawn over a mixed herniated-disc and stenosis view would mislead, so a view
    with several conditions (or none recorded) gets no reference marks. Likewise the spine region:
    a view whose recorded regions are several (cervical and lumbar) gets none, and a one-region view
    only figures from that region, so lumbar figures never sit beside cervical cases. Figures are
    kept only for approaches present in the view.
    """
    empty = _benchmarks().iloc[0:0]
    if "condition" not in cases.columns:
        return empty
    regions = present_values(cases["region"]) if "region" in cases.columns else []
    if len(regions) > 1:
        return empty
    conditions = present_values(cases["condition"])
    if len(conditions) != 1:
        return empty
    found = benchmarks_for(measure, condition=conditions[0], kind=kind)
    if regions:
        found = found[found["region"] == regions[0]]
    if "approach" in cases.columns:
        present = set(present_values(cases["approach"]))
        found = found[found["approach"].isna() | found["approach"].isin(present)]
    return found.reset_index(drop=True)
