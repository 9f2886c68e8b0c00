"""Data quality of a case table: how complete the follow-up is at each time point."""

from __future__ import annotations

import pandas as pd

from spinedash import schema

_MEASURE_LABELS = {"vas_leg": "VAS leg", "vas_back": "VAS back", "odi": "ODI"}


def followup_completeness(cases: pd.DataFrame) -> pd.DataFrame:
    """Share of cases with a recorded score, for each pain/function measure and time point.

    Returns one row per (measure, time point) in the data dictionary: `measure` ("VAS leg"),
    `time point` ("Before surgery", "6 weeks" …), `days after surgery`, `cases with a value`,
    `cases`, `share` (0–1; NaN when there are no cases). A column missing from `cases` counts as
    no values recorded.
    """
    n = len(cases)
    rows = []
    for measure, info in schema.PAIN_MEASURES.items():
        for tp in info["timepoints"]:
            column = schema.pain_column(measure, tp)
            have = int(cases[column].notna().sum()) if column in cases.columns else 0
            rows.append(
                {
                    "measure": _MEASURE_LABELS[measure],
                    "time point": schema.TIMEPOINT_LABELS[tp],
                    "days after surgery": schema.TIMEPOINT_DAYS[tp],
                    "cases with a value": have,
                    "cases": n,
                    "share": have / n if n else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def completeness_wide(cases: pd.DataFrame) -> pd.DataFrame:
    """The completeness table pivoted for reading: one row per measure, one column per time point (share 0–1).

    Time points a measure is not recorded at (ODI at 2 weeks) are left blank.
    """
    long = followup_completeness(cases)
    order = [schema.TIMEPOINT_LABELS[tp] for tp in schema.TIMEPOINT_DAYS]
    wide = long.pivot(index="measure", columns="time point", values="share")
    wide = wide.reindex(index=list(_MEASURE_LABELS.values()), columns=[c for c in order if c in wide.columns])
    wide.columns.name = None
    return wide


def completeness_text(cases: pd.DataFrame) -> pd.DataFrame:
    """The wide completeness table as text for reading: whole percentages, "—" where a measure is not recorded."""
    wide = completeness_wide(cases)
    return wide.apply(lambda col: col.map(lambda v: "—" if pd.isna(v) else f"{v:.0%}"))
