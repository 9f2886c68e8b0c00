"""The outcome data dictionary: one row per operated case, canonical column names and types.

Everything that reads or writes outcome data (the sample generator, the upload reader, the
analysis) agrees on this one list. Ranges here are plausibility limits for validation, not
clinical norms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Follow-up time points as the registries record them, with their nominal day after surgery.
# "pre" is the true pre-operative baseline; nothing else may be called baseline.
TIMEPOINT_DAYS: dict[str, int] = {"pre": 0, "2w": 14, "6w": 42, "3m": 91, "6m": 182, "12m": 365}
TIMEPOINT_LABELS: dict[str, str] = {
    "pre": "Before surgery",
    "2w": "2 weeks",
    "6w": "6 weeks",
    "3m": "3 months",
    "6m": "6 months",
    "12m": "12 months",
}
VAS_TIMEPOINTS: tuple[str, ...] = ("pre", "2w", "6w", "3m", "6m", "12m")
ODI_TIMEPOINTS: tuple[str, ...] = ("pre", "6w", "3m", "12m")

# The pain and function scores: measure -> (column prefix, time points, scale max, label with unit).
PAIN_MEASURES: dict[str, dict] = {
    "vas_leg": {"timepoints": VAS_TIMEPOINTS, "max": 10, "label": "VAS leg pain (0–10)"},
    "vas_back": {"timepoints": VAS_TIMEPOINTS, "max": 10, "label": "VAS back pain (0–10)"},
    "odi": {"timepoints": ODI_TIMEPOINTS, "max": 100, "label": "ODI disability (0–100)"},
}

COMPLICATIONS: tuple[str, ...] = ("none", "dural tear", "nerve root injury", "infection", "haematoma", "other")
SEXES: tuple[str, ...] = ("female", "male", "other")


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its name, kind, unit, plausibility range and what it means."""

    name: str
    kind: str  # "id", "category", "date", "number", "boolean"
    group: str  # "identity and case mix", "operation", "recovery", "pain and function", "safety"
    description: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None  # fixed vocabulary; None = free text or knowledge-base values
    example: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)  # header spellings seen in exports


def _pain_columns() -> list[ColumnSpec]:
    specs = []
    for measure, info in PAIN_MEASURES.items():
        word = {"vas_leg": "VAS leg pain", "vas_back": "VAS back pain", "odi": "Oswestry Disability Index"}[measure]
        for tp in info["timepoints"]:
            when = "before surgery (baseline)" if tp == "pre" else f"at {TIMEPOINT_LABELS[tp].lower()}"
            specs.append(
                ColumnSpec(
                    name=f"{measure}_{tp}",
                    kind="number",
                    group="pain and function",
                    description=f"{word} {when}; blank if not recorded.",
                    unit="0–10" if measure != "odi" else "0–100",
                    min=0,
                    max=info["max"],
                    example={"vas_leg": "7", "vas_back": "5", "odi": "44"}[measure] if tp == "pre" else "",
                )
            )
    return specs


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("case_id", "id", "identity and case mix", "Unique pseudonymous case identifier (no names, no hospital numbers).", example="C00001"),
    ColumnSpec("surgery_date", "date", "identity and case mix", "Date of the operation.", example="2024-03-18"),
    ColumnSpec("age", "number", "identity and case mix", "Age at surgery.", unit="years", min=0, max=120, example="46"),
    ColumnSpec("sex", "category", "identity and case mix", "Sex recorded for the case.", allowed=SEXES, example="female"),
    ColumnSpec("condition", "category", "identity and case mix", "Diagnosis operated on, one of the knowledge base's conditions.", example="Herniated disc"),
    ColumnSpec("approach", "category", "identity and case mix", "Surgical approach, one of the knowledge base's approaches.", example="Full-endoscopic"),
    ColumnSpec("procedure", "category", "identity and case mix", "What was done: discectomy, decompression, foraminotomy, laminectomy, fusion…", example="Discectomy"),
    ColumnSpec("spinal_level", "category", "identity and case mix", "Operated level, e.g. L4-L5 or L5-S1.", example="L5-S1"),
    ColumnSpec("surgeon", "category", "identity and case mix", "Operating surgeon (pseudonym or code).", example="Surgeon A"),
    ColumnSpec("site", "category", "identity and case mix", "Hospital or clinic site.", example="North"),
    ColumnSpec("operation_minutes", "number", "operation", "Skin-to-skin operation time.", unit="minutes", min=0, max=1440, example="55"),
    ColumnSpec("blood_loss_ml", "number", "operation", "Estimated blood loss.", unit="mL", min=0, max=10000, example="15"),
    ColumnSpec("anesthesia", "category", "operation", "Anaesthesia used, e.g. local with sedation, general.", example="local with sedation"),
    ColumnSpec("length_of_stay_hours", "number", "recovery", "Hospital stay from admission to discharge.", unit="hours", min=0, max=24 * 365, example="6"),
    ColumnSpec("return_to_activities_days", "number", "recovery", "Days to return to daily activities; blank = not yet returned at last follow-up (censored).", unit="days", min=0, max=3650, example="9"),
    ColumnSpec("return_to_work_days", "number", "recovery", "Days to return to work; blank = not yet returned at last follow-up (censored).", unit="days", min=0, max=3650, example="28"),
    ColumnSpec("employed_before_surgery", "boolean", "recovery", "Working before surgery (return to work is analysed only for these).", example="yes"),
    ColumnSpec("last_followup_days", "number", "recovery", "Days from surgery to the last follow-up contact; the censoring time for blank return dates.", unit="days", min=0, max=3650 * 3, example="365"),
    *_pain_columns(),
    ColumnSpec("complication", "category", "safety", "Main peri-operative complication.", allowed=COMPLICATIONS, example="none"),
    ColumnSpec("reoperation_12m", "boolean", "safety", "Re-operated at the same level within 12 months.", example="no"),
    ColumnSpec("recurrence_12m", "boolean", "safety", "Recurrent herniation or symptoms within 12 months.", example="no"),
    ColumnSpec("satisfied_12m", "boolean", "safety", "Patient satisfied with the result at 12 months.", example="yes"),
)

COLUMN_BY_NAME: dict[str, ColumnSpec] = {c.name: c for c in COLUMNS}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = ("case_id", "condition", "approach")
RECOVERY_COLUMNS: tuple[str, ...] = ("length_of_stay_hours", "return_to_activities_days", "return_to_work_days")
PAIN_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.group == "pain and function")
# A file must carry at least one of these to be worth analysing.
OUTCOME_COLUMNS: tuple[str, ...] = RECOVERY_COLUMNS + PAIN_COLUMNS


def pain_column(measure: str, timepoint: str) -> str:
    """Column name of a pain/function score at a time point, e.g. ("vas_leg", "12m") -> "vas_leg_12m"."""
    if measure not in PAIN_MEASURES or timepoint not in PAIN_MEASURES[measure]["timepoints"]:
        raise KeyError(f"{measure} is not recorded at {timepoint}")
    return f"{measure}_{timepoint}"


def to_canonical_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """Return a frame with every canonical column present in `df` cast to its canonical dtype.

    ids -> str, categories -> category, dates -> datetime64, numbers -> float64 (NaN = missing),
    booleans -> pandas nullable "boolean". Columns are ordered as in the data dictionary; non-canonical
    columns are dropped. Values must already be clean (this casts, it does not parse free text).
    """
    return cast_columns({c: df[c] for c in df.columns if c in COLUMN_BY_NAME}, df.index)


def cast_columns(columns: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """The canonical columns among `columns`, cast and in dictionary order, as one frame.

    Column by column, and a column already in its dtype is not copied: at a million rows, building an
    intermediate DataFrame and casting it consolidates every number column twice (~1 s, ~400 MB).
    Safe to share memory with the input because pandas copies on write.
    """
    cast: dict[str, pd.Series] = {}
    for spec in COLUMNS:
        if spec.name not in columns:
            continue
        s = columns[spec.name]
        if spec.kind == "id":
            cast[spec.name] = s.astype("str")
        elif spec.kind == "category":
            cast[spec.name] = s.astype("category")
        elif spec.kind == "date":
            cast[spec.name] = pd.to_datetime(s).astype("datetime64[ns]")
        elif spec.kind == "number":
            cast[spec.name] = s if s.dtype == "float64" else pd.to_numeric(s).astype("float64")
        elif spec.kind == "boolean":
            cast[spec.name] = s.astype("boolean")
    return pd.DataFrame(cast, index=index, copy=False)


def data_dictionary() -> pd.DataFrame:
    """The data dictionary as a table for the app, the README and the downloadable template."""
    return pd.DataFrame(
        [
            {
                "column": c.name,
                "group": c.group,
                "type": c.kind,
                "unit": c.unit,
                "allowed range or values": (
                    ", ".join(c.allowed)
                    if c.allowed
                    else (f"{c.min:g}–{c.max:g}" if c.min is not None and c.max is not None else "")
                ),
                "required": "yes" if c.name in REQUIRED_COLUMNS else "",
                "description": c.description,
                "example": c.example,
            }
            for c in COLUMNS
        ]
    )


def data_dictionary_markdown() -> str:
    """The data dictionary as a Markdown table (the README embeds this; a test keeps them in sync)."""
    table = data_dictionary()
    cols = ["column", "type", "unit", "allowed range or values", "required", "description"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table[cols].itertuples(index=False):
        cells = [f"`{row[0]}`", *(str(v).replace("|", "/") for v in row[1:])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(data_dictionary_markdown())
