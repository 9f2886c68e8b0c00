"""Data quality of a case table: how complete the follow-up is at each time point, among patients due."""

from __future__ import annotations

import pandas as pd

from spinedash import schema


def _measure_label(measure: str) -> str:
    m = schema.MEASURES.get(measure)
    return m.short_label if m is not None else measure


def default_export_date(cases: pd.DataFrame) -> pd.Timestamp | None:
    """The export date SpineDash assumes when the user has not set one: the latest date the file shows.

    That is the latest of every surgery date and every surgery date + last_followup_days (the last
    follow-up contact recorded): the export cannot be older than the newest thing in it. It can be
    newer (an export taken weeks after the last visit), which makes more patients due; the user
    can set the real date. None when the file has no surgery dates.
    """
    if "surgery_date" not in cases.columns:
        return None
    dates = pd.to_datetime(cases["surgery_date"])
    if dates.notna().sum() == 0:
        return None
    latest = dates.max()
    if "last_followup_days" in cases.columns:
        contact = dates + pd.to_timedelta(pd.to_numeric(cases["last_followup_days"], errors="coerce"), unit="D")
        if contact.notna().any():
            latest = max(latest, contact.max())
    return pd.Timestamp(latest).normalize()


def due_mask(cases: pd.DataFrame, days: int, export_date: pd.Timestamp | None) -> pd.Series:
    """True for cases due at `days` after surgery by `export_date`: surgery date + days ≤ export date.

    A case without a surgery date, or every case when there is no export date (no dates in the
    file), counts as due: nothing says it is not, and leaving it out would flatter completeness.
    """
    if export_date is None or "surgery_date" not in cases.columns or days <= 0:
        return pd.Series(True, index=cases.index)
    dates = pd.to_datetime(cases["surgery_date"])
    due = dates + pd.Timedelta(days=days) <= pd.Timestamp(export_date)
    return due | dates.isna()


def _measures_to_report(cases: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """measure -> time points: the template's lumbar three (when the file has any of their columns, or
    no catalogue measure at all), then every other catalogue measure the file has, at its time points."""
    present = schema.measures_in(cases.columns)
    out: dict[str, tuple[str, ...]] = {}
    if not present or any(m in schema.PAIN_MEASURES for m in present):
        out = {m: info["timepoints"] for m, info in schema.PAIN_MEASURES.items()}
    for m in present:
        if m not in out:
            out[m] = tuple(schema.timepoints_in(m, cases.columns))
    return out


def followup_completeness(cases: pd.DataFrame, export_date: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Share of the patients DUE at each time point who have a score recorded, per measure.

    A patient is due at a time point when surgery date + the time point's days ≤ `export_date`
    (`due_mask`); patients not yet due are not missing, they are counted in `not yet due`.
    `export_date` defaults to `default_export_date(cases)` (the latest date in the file). Before
    surgery, every case is due.

    Returns one row per (measure, time point) in the data dictionary: `measure` ("VAS leg"),
    `time point` ("Before surgery", "6 weeks" …), `days after surgery`, `cases with a value` (among
    those due), `cases` (due), `share` (0–1; NaN when none is due), `not yet due`. A column
    missing from `cases` counts as no values recorded.
    """
    export = default_export_date(cases) if export_date is None else pd.Timestamp(export_date)
    rows = []
    for measure, timepoints in _measures_to_report(cases).items():
        for tp in timepoints:
            column = schema.pain_column(measure, tp)
            days = schema.timepoint_days(tp)
            due = due_mask(cases, days, export).to_numpy(dtype=bool)
            n = int(due.sum())
            have = int((cases[column].notna().to_numpy() & due).sum()) if column in cases.columns else 0
            rows.append(
                {
                    "measure": _measure_label(measure),
                    "time point": schema.timepoint_label(tp),
                    "days after surgery": days,
                    "cases with a value": have,
                    "cases": n,
                    "share": have / n if n else float("nan"),
                    "not yet due": len(cases) - n,
                }
            )
    return pd.DataFrame(rows)


def completeness_wide(cases: pd.DataFrame, export_date: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """The completeness table pivoted for reading: one row per measure, one column per time point (share 0–1).

    Time points a measure is not recorded at (ODI at 2 weeks) are left blank.
    """
    long = followup_completeness(cases, export_date)
    order = list(dict.fromkeys(long.sort_values("days after surgery", kind="stable")["time point"])) if len(long) else []
    wide = long.pivot(index="measure", columns="time point", values="share")
    wide = wide.reindex(index=list(dict.fromkeys(long["measure"])), columns=[c for c in order if c in wide.columns])
    wide.columns.name = None
    return wide


def completeness_text(cases: pd.DataFrame, export_date: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """The wide completeness table as text for reading: whole percentages, "—" where a measure is not
    recorded at that time point, "not in file" where the file has no such column (not 0%: issue 11)."""
    wide = completeness_wide(cases, export_date)
    text = wide.apply(lambda col: col.map(lambda v: "—" if pd.isna(v) else f"{v:.0%}"))
    for measure, timepoints in _measures_to_report(cases).items():
        for tp in timepoints:
            row, col = _measure_label(measure), schema.timepoint_label(tp)
            if schema.pain_column(measure, tp) not in cases.columns and row in text.index and col in text.columns:
                text.loc[row, col] = "not in file"
    return text


def levels_operated_table(cases: pd.DataFrame) -> pd.DataFrame | None:
    """How many cases were operated at 1, 2, 3 … levels (`levels_operated`), with "not recorded" last;
    None when the cases hold no such column or no value in it. Counts and shares of the file as read."""
    if "levels_operated" not in cases.columns:
        return None
    levels = pd.to_numeric(cases["levels_operated"], errors="coerce")
    if not levels.notna().any():
        return None
    counts = levels.dropna().astype(int).value_counts().sort_index()
    rows = [{"levels operated": f"{n} level{'s' if n != 1 else ''}", "cases": int(c)} for n, c in counts.items()]
    blank = int(levels.isna().sum())
    if blank:
        rows.append({"levels operated": "not recorded", "cases": blank})
    table = pd.DataFrame(rows)
    table["share"] = (table["cases"] / len(cases)).map(lambda v: f"{v:.0%}")
    return table.set_index("levels operated")
