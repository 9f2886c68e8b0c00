"""The administrator's overview: headline figures, volume and trends by quarter, a guided demo.

Every function takes the filtered cases and returns a small aggregated frame; the charts take
those frames. Figures whose columns are absent (or blank for every case) are left out, never shown
as zero, and any group with fewer than `min_cell` cases is suppressed, together with whatever would
let it be worked out by subtraction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spinedash import privacy
from spinedash.analysis import (
    SAME_DAY_MAX_HOURS,
    kaplan_meier,
    mcid_default,
    mcid_rates,
    pain_change,
    summarise_distribution,
    suppression_label,
)
from spinedash.charts import TIME_LABELS, colour_scale, describe, nothing_to_show_layer
from spinedash.schema import MEASURES
from spinedash.vegalite import (
    CHART_CONFIG,
    SCHEMA_URL,
    TEXT_COLOUR,
    Spec,
    channel,
    encoding,
    layer_chart,
    records,
    single_chart,
    tooltip,
)
from spinedash.vocabulary import APPROACH_COLOURS, APPROACHES, MINIMALLY_INVASIVE, OPEN_APPROACH, OTHER_COLOUR

MI_GROUP = "Minimally invasive"
OPEN_GROUP = "Open"
# The Overview's minimally invasive vs open sentences are raw group figures: the approaches see
# different patients (open surgery is mostly stenosis), so each sentence says it is unadjusted and
# points to Compare, which adjusts for case mix (issue 14).
UNADJUSTED_NOTE = "(unadjusted for case mix; Compare adjusts)"
ALL_GROUP = "All"
# Cases without a recorded approach or surgery date are a group of their own in the counts by
# quarter and approach: left out, they would be the total minus everything shown (issue 14, 3).
NO_APPROACH = "Approach not recorded"
NO_TECHNIQUE = "Technique not recorded"
# What the quarterly figures can be split by (the sidebar's "Split charts by"): the frames keep the
# column name "approach" for the group either way; charts take the group's title.
SPLITS: dict[str, str] = {"approach": NO_APPROACH, "technique": NO_TECHNIQUE}
NO_DATE = "Date not recorded"
# The stack segment holding a quarter's suppressed cells together (volume chart).
HIDDEN_GROUP = "Suppressed (small groups)"
HIDDEN_COLOUR = "#c8cdd2"

HEADLINE_COLUMNS = [
    "figure",
    "value",
    "unit",
    "n",
    "display",
    "open_value",
    "open_display",
    "comparison_sentence",
    "suppressed",
    # Beyond the page's needs but useful to it: a stable key and the minimally invasive side.
    "key",
    "mi_value",
    "mi_display",
    "mi_n",
    "open_n",
    # The n to print: "< k" for a suppressed figure (its own count is never shown).
    "n_display",
]


def _num(v: float) -> str:
    """One decimal below 10 (a trailing .0 dropped), whole numbers with thousands separators above."""
    if abs(v) < 10:
        text = f"{v:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return f"{v:,.0f}"


def _pair(fmt: Callable[[float], str], a: float, b: float, missing: str) -> tuple[str, str]:
    """Both sides of a comparison at one precision: "3.8% vs 5.0%" and "9.2% vs 16.0%", never
    "3.8% vs 5%". One decimal for both when either non-zero value is below 10, as `_num` gives one."""
    ta = fmt(a) if pd.notna(a) else missing
    tb = fmt(b) if pd.notna(b) else missing
    one_decimal = _ONE_DECIMAL.get(fmt)
    if one_decimal and pd.notna(a) and pd.notna(b) and any(0 < abs(v) < 10 for v in (a, b)):
        ta, tb = one_decimal(a), one_decimal(b)
    return ta, tb


def _pct(v: float) -> str:
    return f"{_num(v)}%"


def _hours(v: float) -> str:
    return f"{_num(v)} h"


def _days(v: float) -> str:
    return f"{v:,.0f} days"


def _bed_days(v: float) -> str:
    return f"{v:,.0f} bed-days"


def _per_100(v: float) -> str:
    return f"{v:,.0f}"  # the figure name already says "bed-days per 100 cases"


def _count(v: float) -> str:
    return f"{v:,.0f}"


# Percentages with one decimal always (trailing .0 kept), for a pair compared side by side. Hours
# and days stay whole: "7 h vs 74 h" reads as one precision already.
_ONE_DECIMAL: dict[Callable[[float], str], Callable[[float], str]] = {_pct: lambda v: f"{v:,.1f}%"}


@dataclass(frozen=True)
class _Figure:
    key: str
    figure: str
    unit: str
    columns: tuple[str, ...]
    # frame -> (value, n): value is NaN where it cannot be computed (e.g. a median not reached).
    stat: Callable[[pd.DataFrame], tuple[float, int]]
    fmt: Callable[[float], str]
    phrase: str | None = None  # start of the comparison sentence; None = no MI vs open comparison
    not_reached: str = "not available"
    compare_fmt: Callable[[float], str] | None = None  # for the sentence, where `fmt` would repeat the phrase


def _share(flags: pd.Series) -> tuple[float, int]:
    n = int(flags.notna().sum())
    return (float(flags.dropna().astype(bool).mean() * 100) if n else float("nan"), n)


def _stays(frame: pd.DataFrame) -> pd.Series:
    return frame["length_of_stay_hours"].dropna()


def _same_day(frame: pd.DataFrame) -> tuple[float, int]:
    s = _stays(frame)
    return _share(s <= SAME_DAY_MAX_HOURS)


def _median_stay(frame: pd.DataFrame) -> tuple[float, int]:
    s = _stays(frame)
    return (float(s.median()) if len(s) else float("nan"), len(s))


def _bed_days_used(frame: pd.DataFrame) -> tuple[float, int]:
    s = _stays(frame)
    return (float(s.sum() / 24), len(s))


def _bed_days_per_100(frame: pd.DataFrame) -> tuple[float, int]:
    s = _stays(frame)
    return (float(s.sum() / 24 / len(s) * 100) if len(s) else float("nan"), len(s))


def _mi_share(frame: pd.DataFrame) -> tuple[float, int]:
    """Share of ALL cases operated with a minimally invasive approach; a blank approach counts as not.

    Over all cases, not only those with an approach recorded: otherwise the figure's n would be
    the cases minus the blank-approach group, giving that group's size away (small-cell rule).
    """
    a = frame["approach"].astype("object")
    return _share(a.isin(MINIMALLY_INVASIVE).astype(bool).where(pd.Series(True, index=frame.index)))


def _one_group(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a constant grouping column, for analysis functions that always group."""
    return frame.assign(_overview_group="all")


def _mcid_12m(frame: pd.DataFrame, threshold: float, measure: str) -> tuple[float, int]:
    """Share (%) reaching the measure's MCID (a rating's cut-off) at 12 months, by the analysis module's definition."""
    if frame.empty:
        return float("nan"), 0
    rates = mcid_rates(_one_group(frame), measure, threshold, by="_overview_group", min_cell=1)
    row = rates[rates["timepoint"] == "12m"]
    n = int(row["n"].sum())
    return (float(row["share"].iloc[0] * 100) if n else float("nan")), n


def _complication(frame: pd.DataFrame) -> tuple[float, int]:
    c = frame["complication"].dropna().astype(str)
    return _share(c != "none")


def _reoperation(frame: pd.DataFrame) -> tuple[float, int]:
    return _share(frame["reoperation_12m"].astype("boolean"))


def _return_to_work(frame: pd.DataFrame) -> tuple[float, int]:
    """Kaplan–Meier median days to work among those employed before surgery (censoring respected).

    n is the employed cases with a return date or a last follow-up (the KM denominator). NaN when
    fewer than half have returned: the median is not reached.
    """
    if frame.empty:
        return float("nan"), 0
    km = kaplan_meier(_one_group(frame), "return_to_work_days", by="_overview_group", min_cell=1, employed_only=True)
    if km.medians.empty:
        return float("nan"), 0
    row = km.medians.iloc[0]
    return float(row["median_days"]), int(row["n"])


def _change_12m(frame: pd.DataFrame, measure: str) -> tuple[float, int]:
    """Mean paired change (12 months − before surgery, the measure's own points) and its n."""
    if frame.empty:
        return float("nan"), 0
    change = pain_change(_one_group(frame), measure, by="_overview_group", min_cell=1)
    row = change[change["timepoint"] == "12m"]
    n = int(row["n"].sum())
    return (float(row["mean_change"].iloc[0]) if n else float("nan")), n


def _points(v: float) -> str:
    return f"{v:+.1f} points".replace("-", "−")


def _change_figure(measure: str) -> _Figure:
    """Mean change at 12 months: the card of a headline score with no published MCID (arm pain, NDI)."""
    m = MEASURES[measure]
    what = f"{m.short_label} change at 12 months"
    better = "a rise is better" if m.higher_is_better else "a fall is better"
    return _Figure(
        f"change_{measure}_12m", f"{what} (mean, {better})", "points", (m.column("pre"), m.column("12m")),
        lambda f: _change_12m(f, measure), _points, f"{m.short_label}: mean change at 12 months", not_reached="not available",
    )


def _mcid_figure(mcid_threshold: float, measure: str) -> _Figure:
    m = MEASURES[measure]
    if m.kind == "rating":
        what = f"{m.short_label} of {mcid_threshold:g} or {'more' if m.higher_is_better else 'less'} at 12 months"
        columns = (f"{measure}_12m",)
    else:
        what = f"{m.short_label} MCID reached at 12 months"
        columns = (f"{measure}_pre", f"{measure}_12m")
    qualifier = f"≥ {mcid_threshold:g} points better" if m.kind == "score" else m.cutoff_source.split(":")[0]
    return _Figure(
        f"mcid_{measure}_12m", f"{what} ({qualifier})", "%", columns,
        lambda f: _mcid_12m(f, mcid_threshold, measure), _pct, what,
    )


def _figures(mcid_threshold: float | None, measure: str | None, change_measure: str | None = None) -> list[_Figure]:
    scores = [_change_figure(change_measure)] if change_measure else []
    if measure is not None and mcid_threshold is not None:
        scores.append(_mcid_figure(mcid_threshold, measure))
    return [
        _Figure("cases", "Cases", "cases", (), lambda f: (float(len(f)), len(f)), _count),
        _Figure("mi_share", "Minimally invasive share (of all cases)", "%", ("approach",), _mi_share, _pct),
        _Figure("same_day", f"Same-day discharge (stay ≤ {SAME_DAY_MAX_HOURS} h)", "%", ("length_of_stay_hours",), _same_day, _pct, "Same-day discharge"),
        _Figure("median_stay", "Median hospital stay", "hours", ("length_of_stay_hours",), _median_stay, _hours, "Median stay"),
        _Figure("bed_days", "Bed-days used", "bed-days", ("length_of_stay_hours",), _bed_days_used, _bed_days),
        _Figure(
            "bed_days_per_100",
            "Bed-days per 100 cases",
            "bed-days per 100 cases",
            ("length_of_stay_hours",),
            _bed_days_per_100,
            _per_100,
            "Bed-days per 100 cases:",
            compare_fmt=_count,
        ),
        _Figure(
            "return_to_work",
            "Median return to work (employed before surgery)",
            "days",
            ("return_to_work_days", "employed_before_surgery", "last_followup_days"),
            _return_to_work,
            _days,
            "Median return to work",
            not_reached="not reached",
        ),
        *scores,
        _Figure("complication", "Complication rate", "%", ("complication",), _complication, _pct, "Complications"),
        _Figure("reoperation_12m", "Reoperation within 12 months", "%", ("reoperation_12m",), _reoperation, _pct, "Reoperation within 12 months"),
    ]


def card_comparison(row: dict) -> str:
    """The comparison as a headline card says it, without repeating the card's name:
    "n = 2,500 · minimally invasive 18% vs open 0% (unadjusted)"; the full sentence when the
    comparison is suppressed; "" when there is none."""
    sentence = row.get("comparison_sentence")
    if not isinstance(sentence, str):
        return ""
    mi, op = row.get("mi_display"), row.get("open_display")
    if row.get("suppressed") or not isinstance(mi, str) or not isinstance(op, str) or "suppressed" in sentence:
        return sentence
    return f"{n_text(row.get('n_display', row.get('n')))} · minimally invasive {mi} vs open {op} (unadjusted for case mix)"


def n_text(n_display: object) -> str:
    """'n = 2,500', or 'n < 5' for a suppressed count (never 'n = < 5')."""
    text = str(n_display)
    return f"n {text}" if text.startswith("<") else f"n = {text}"


def approach_group(cases: pd.DataFrame) -> pd.Series:
    """"Minimally invasive" / "Open" per case (NaN where the approach is missing or unknown)."""
    a = cases["approach"].astype("object")
    out = pd.Series(np.where(a.isin(MINIMALLY_INVASIVE), MI_GROUP, np.where(a == OPEN_APPROACH, OPEN_GROUP, None)), index=cases.index)
    return out.where(out.notna(), np.nan)


def headline_scores(cases: pd.DataFrame) -> tuple[str | None, str | None]:
    """(MCID measure, change measure) for the Overview's score cards, from the catalogue's headline rank
    for the region in view: the first score with a default threshold gets a "reached the MCID" card
    (VAS leg for a lumbar file); when the view's lead score has no published MCID (arm pain, NDI) it
    gets a mean-change card of its own, so a cervical service sees its own score first."""
    from spinedash.outcomes import headline_measure, threshold_measure

    rate, lead = threshold_measure(cases), headline_measure(cases)
    return rate, (lead if lead is not None and lead != rate and MEASURES[lead].kind == "score" and mcid_default(lead) is None else None)


def headline_figures(
    cases: pd.DataFrame,
    min_cell: int = 5,
    mcid_threshold: float | None = None,
    measure: str | None = None,
    change_measure: str | None = None,
) -> pd.DataFrame:
    """The Overview's headline figures for these (filtered) cases, each with its denominator.

    One row per figure whose columns are present and not blank throughout: cases; minimally invasive share; same-day
    discharge (stay ≤ SAME_DAY_MAX_HOURS); median stay; bed-days used and per 100 cases; median
    return to work (Kaplan–Meier among those employed before surgery, blank return dates censored
    at last follow-up); share reaching the MCID of `measure` at 12 months (improvement ≥ threshold in
    the measure's direction, among cases with both; default VAS leg and 3.2, Parai 2020's NRS leg
    MCID; a rating counts at or beyond its cut-off — outcomes.headline_measure picks the measure a
    view has); complication rate (anything but "none",
    among recorded); reoperation within 12 months (among recorded). Percentages are 0–100.

    Where a figure compares minimally invasive approaches with open surgery and both groups have
    cases, `open_value`/`mi_value` and a plain `comparison_sentence` are filled. A figure or group
    with n < `min_cell` is suppressed (value NaN, display "suppressed (n < k)"); if one side of the
    comparison is suppressed, so is the other, since the overall figure minus one side would give
    the hidden one away. There is deliberately no "bed-days saved" figure: what open cases would
    have needed with a minimally invasive approach is a causal question these data cannot answer.
    The sentences compare raw group figures and end with UNADJUSTED_NOTE: they are not adjusted for
    condition, age or any other case mix (the Compare page is).
    """
    if measure is None and change_measure is None:
        measure, change_measure = headline_scores(cases)
    if measure is not None and mcid_threshold is None:
        mcid_threshold = mcid_default(measure)
    min_cell = max(int(min_cell), 1)
    hidden = suppression_label(min_cell)
    groups = approach_group(cases) if "approach" in cases.columns else None
    # The two sides of the comparison, cut once (not once per figure: 16 copies of the frame).
    sides = (cases[(groups == MI_GROUP).to_numpy()], cases[(groups == OPEN_GROUP).to_numpy()]) if groups is not None else None
    rows = []
    for fig in _figures(mcid_threshold, measure, change_measure):
        # Ingest adds every canonical column, blank where the file had none: blank is absent too.
        if any(c not in cases.columns or cases[c].isna().all() for c in fig.columns):
            continue
        value, n = fig.stat(cases)
        if n == 0 and fig.columns:
            continue  # e.g. VAS before and at 12 months both recorded, but never for the same case
        suppressed = 0 < n < min_cell
        row = {
            "figure": fig.figure,
            "value": float("nan") if suppressed else value,
            "unit": fig.unit,
            "n": n,
            "display": hidden if suppressed else (fig.fmt(value) if pd.notna(value) else fig.not_reached),
            "open_value": float("nan"),
            "open_display": None,
            "comparison_sentence": None,
            "suppressed": suppressed,
            "key": fig.key,
            "mi_value": float("nan"),
            "mi_display": None,
            "mi_n": 0,
            "open_n": 0,
            "n_display": privacy.count_text(n, min_cell),
        }
        if fig.phrase is not None and sides is not None:
            mi_value, mi_n = fig.stat(sides[0])
            open_value, open_n = fig.stat(sides[1])
            row["mi_n"], row["open_n"] = mi_n, open_n
            if mi_n > 0 and open_n > 0:
                if mi_n < min_cell or open_n < min_cell:
                    row["mi_display"] = row["open_display"] = hidden
                    row["comparison_sentence"] = (
                        f"{fig.phrase.rstrip(':')}: the comparison of minimally invasive with open surgery is "
                        f"suppressed (fewer than {min_cell} cases on one side)."
                    )
                else:
                    mi_text, open_text = _pair(fig.fmt, mi_value, open_value, fig.not_reached)
                    row.update(mi_value=mi_value, open_value=open_value, mi_display=mi_text, open_display=open_text)
                    mi_said, open_said = _pair(fig.compare_fmt or fig.fmt, mi_value, open_value, fig.not_reached)
                    row["comparison_sentence"] = (
                        f"{fig.phrase} {mi_said} with minimally invasive approaches vs {open_said} with open surgery"
                        f" {UNADJUSTED_NOTE}"
                    )
        rows.append(row)
    out = pd.DataFrame(rows, columns=HEADLINE_COLUMNS)
    return out.astype({"value": "float64", "open_value": "float64", "mi_value": "float64", "n": "int64", "mi_n": "int64", "open_n": "int64", "suppressed": "bool"})


def _quarters(dates: pd.Series) -> tuple[pd.Series, pd.Series]:
    period = dates.dt.to_period("Q")
    label = period.astype(str).str.replace(r"^(\d{4})Q(\d)$", r"\1-Q\2", regex=True)
    start = period.dt.start_time.dt.normalize().astype("datetime64[ns]")
    return label, start


def _approach_order(values) -> list[str]:
    present = {str(v) for v in values if pd.notna(v)}
    known = [a for a in APPROACHES if a in present]
    rest = sorted(present - set(APPROACHES) - {NO_APPROACH, NO_TECHNIQUE, HIDDEN_GROUP})
    return known + rest + [g for g in (NO_APPROACH, NO_TECHNIQUE, HIDDEN_GROUP) if g in present]


def _check_split(by: str) -> None:
    if by not in SPLITS:
        raise ValueError(f"by must be one of {', '.join(SPLITS)}, got {by!r}")


def _cells(cases: pd.DataFrame, by: str = "approach") -> pd.DataFrame:
    """Per case: quarter label (NO_DATE where blank), quarter start (NaT), and the group in column
    "approach": the approach, or the technique with by="technique" (NO_APPROACH / NO_TECHNIQUE where blank)."""
    dates = pd.to_datetime(cases["surgery_date"])
    quarter, start = _quarters(dates)
    approach = cases[by].astype("object").where(cases[by].notna(), SPLITS[by]).astype(str)
    return pd.DataFrame({"quarter": quarter.where(dates.notna(), NO_DATE), "quarter_start": start, "approach": approach}, index=cases.index)


def _mi_class(approach: pd.Series) -> pd.Series:
    return approach.isin(MINIMALLY_INVASIVE).map({True: MI_GROUP, False: "not minimally invasive"})


def approach_quarter_counts(cases: pd.DataFrame, min_cell: int = 1, by: str = "approach") -> pd.DataFrame:
    """Cases per quarter × approach (× technique with by="technique", still in column "approach"),
    every cell present, with the small-cell rule applied.

    Cases without a surgery date form the quarter NO_DATE (last), cases without an approach the
    approach NO_APPROACH, so the cells add up to all cases. `hidden`: the cell's count may not be
    shown — fewer than `min_cell` cases, or hidden by complementary suppression
    (`privacy.protect_table`) across every total a reader can see or work out: each quarter's
    (stack height, "All", shares), each approach's (other pages' n per approach), minimally
    invasive against the rest (the Minimally invasive share), and all cases. `primary`: hidden
    because the cell itself is small.

    Returns:
        DataFrame[quarter, quarter_start, approach, cases, hidden, primary], quarters in time order.
    """
    _check_split(by)
    columns = ["quarter", "quarter_start", "approach", "cases", "hidden", "primary"]
    if "surgery_date" not in cases.columns or by not in cases.columns or cases.empty:
        return _empty(columns)
    cells = _cells(cases, by)
    approaches = _approach_order(cells["approach"])
    quarters = cells[["quarter", "quarter_start"]].drop_duplicates("quarter")
    quarters = quarters.assign(_nodate=quarters["quarter"] == NO_DATE).sort_values(["_nodate", "quarter_start"])
    grid = quarters[["quarter", "quarter_start"]].merge(pd.DataFrame({"approach": approaches}), how="cross")
    counts = cells.groupby(["quarter", "approach"]).size().rename("cases").reset_index()
    out = grid.merge(counts, on=["quarter", "approach"], how="left")
    out["cases"] = out["cases"].fillna(0).astype("int64")
    out["primary"] = privacy.is_small(out["cases"].to_numpy(), min_cell)
    out["_class"] = _mi_class(out["approach"])
    # listed: Recovery and the other pages list cases per approach with rule 2; their hidden totals
    # stay hidden here too (privacy.protect_table).
    out["hidden"] = privacy.protect_table(out, "cases", ["quarter", "approach", "_class", None], min_cell, listed=["approach"]).to_numpy()
    return out[columns].reset_index(drop=True)


def volume_by_quarter(cases: pd.DataFrame, min_cell: int = 1, by: str = "approach") -> pd.DataFrame:
    """Cases per calendar quarter and approach, each approach's share of that quarter (0–1), and what is hidden.

    Every approach seen gets a row in every quarter (zero where it had none), so the shares of a
    quarter add up to 1. Cases without an approach are the approach NO_APPROACH, cases without a
    surgery date the last "quarter" NO_DATE — nothing is left out for a reader to work out by
    subtraction. Cells hidden by the small-cell rule (`approach_quarter_counts`) have cases and
    share NaN and `suppressed` True. Returns an empty frame with the same columns when there is
    no surgery_date or approach column. With by="technique" the groups are techniques (column "approach").
    """
    columns = ["quarter", "quarter_start", "approach", "cases", "share", "suppressed"]
    cells = approach_quarter_counts(cases, min_cell, by)
    if cells.empty:
        return _empty(columns)
    out = cells.rename(columns={"hidden": "suppressed"})
    out["share"] = out["cases"] / out.groupby("quarter")["cases"].transform("sum")
    # One HIDDEN_GROUP row per quarter holding its hidden cells together, so bars keep their true
    # height: that sum is the quarter's total minus its shown cells, which the shares give anyway,
    # and it is at least k by construction; where it is not (the whole quarter is small), it is hidden.
    held = out[out["suppressed"]].groupby("quarter", sort=False)["cases"].sum()
    if len(held):
        totals = out.groupby("quarter", sort=False)["cases"].sum()
        starts = out.drop_duplicates("quarter").set_index("quarter")["quarter_start"]
        extra = pd.DataFrame({"quarter": held.index, "quarter_start": starts.reindex(held.index).to_numpy(),
                              "approach": HIDDEN_GROUP, "cases": held.to_numpy(), "primary": False})  # fmt: skip
        extra["share"] = extra["cases"] / totals.reindex(held.index).to_numpy()
        extra["suppressed"] = privacy.is_small(extra["cases"].to_numpy(), min_cell)
        out = pd.concat([out, extra], ignore_index=True)
        order = {q: i for i, q in enumerate(cells["quarter"].drop_duplicates())}
        out = out.sort_values("quarter", key=lambda q: q.map(order), kind="stable").reset_index(drop=True)
    out["cases"] = out["cases"].astype("float64").mask(out["suppressed"])
    out["share"] = out["share"].mask(out["suppressed"])
    return out[columns].astype({"suppressed": "bool"})


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "quarter_start" else "object") for c in columns})


TREND_COLUMNS = [
    "quarter",
    "quarter_start",
    "approach",
    "n",
    "median_stay_hours",
    "mcid_rate",
    "mcid_n",
    "suppressed",
    "stay_n",
    "mcid_suppressed",
    # 95% intervals: the median's distribution-free (order-statistic) CI, NaN with 5 or fewer stays;
    # the MCID rate's Wilson CI. A quarter's cell holds few cases: read the interval, not the point.
    "median_stay_ci_low",
    "median_stay_ci_high",
    "mcid_ci_low",
    "mcid_ci_high",
]


def trend_by_quarter(
    cases: pd.DataFrame, min_cell: int = 5, mcid_threshold: float | None = None, measure: str | None = None,
    by: str = "approach",
) -> pd.DataFrame:
    """Median stay (hours) and the MCID rate of `measure` at 12 months (0–1) per quarter, by approach and "All".

    `measure` defaults to the view's first headline score with a default threshold
    (outcomes.threshold_measure: VAS leg for a lumbar file), `mcid_threshold` to its default;
    with neither, the MCID columns are blank. With by="technique" the groups (column "approach")
    are techniques, cases without one the group NO_TECHNIQUE.

    `n` is the quarter's cases; `stay_n` and `mcid_n` the denominators of the two figures. Cases
    without an approach are the group NO_APPROACH; cases without a surgery date have no quarter.
    A row is `suppressed` (n NaN, both figures blank) when its cases are hidden by the small-cell
    rule in `approach_quarter_counts` — fewer than min_cell, or hidden beside such a cell so the
    quarter's total cannot give it away. A figure whose own denominator is below min_cell is blank
    too, and the MCID rates get the same complementary suppression over their own denominators
    (`mcid_suppressed`, `mcid_n` NaN). Recent quarters have few 12-month scores yet; their MCID
    rates are blank until enough arrive. Returns an empty frame (same columns) when there is no
    surgery_date or approach column.
    """
    _check_split(by)
    if "surgery_date" not in cases.columns or by not in cases.columns:
        return _empty(TREND_COLUMNS)
    if measure is None:
        from spinedash.outcomes import threshold_measure

        measure = threshold_measure(cases)
    if measure is not None and mcid_threshold is None:
        mcid_threshold = mcid_default(measure)
    min_cell = max(int(min_cell), 1)
    frame = cases[cases["surgery_date"].notna()]
    if frame.empty:
        return _empty(TREND_COLUMNS)
    cells = _cells(frame, by)
    stay = frame["length_of_stay_hours"] if "length_of_stay_hours" in frame.columns else pd.Series(np.nan, index=frame.index)
    data = pd.DataFrame({"quarter": cells["quarter"], "quarter_start": cells["quarter_start"], "approach": cells["approach"], "stay": stay})
    data = pd.concat([data, data.assign(approach=ALL_GROUP)], ignore_index=True)
    out = (
        data.groupby(["quarter", "quarter_start", "approach"], sort=False)
        .agg(n=("stay", "size"), median_stay_hours=("stay", "median"), stay_n=("stay", "count"))
        .reset_index()
    )
    # The median's 95% CI per cell, by the analysis module's order-statistic method.
    data["_cell"] = data["quarter"] + "\x1f" + data["approach"]
    medians = summarise_distribution(data, "stay", by="_cell", min_cell=1).set_index("group")
    cell_key = out["quarter"] + "\x1f" + out["approach"]
    out["median_stay_ci_low"] = cell_key.map(medians["median_ci_low"]).astype("float64")
    out["median_stay_ci_high"] = cell_key.map(medians["median_ci_high"]).astype("float64")
    hidden = approach_quarter_counts(cases, min_cell, by).set_index(["quarter", "approach"])["hidden"]
    key = pd.MultiIndex.from_frame(out[["quarter", "approach"]])
    out["suppressed"] = hidden.reindex(key).fillna(False).to_numpy(dtype=bool)
    mcid = _mcid_by_cell(frame.assign(approach=cells["approach"]), cells["quarter"], mcid_threshold, measure)
    out = out.merge(mcid, on=["quarter", "approach"], how="left")
    out["mcid_n"] = out["mcid_n"].fillna(0).astype("int64")
    out.loc[out["suppressed"] | (out["stay_n"] < min_cell), ["median_stay_hours", "median_stay_ci_low", "median_stay_ci_high"]] = np.nan
    # MCID denominators: the same rule over their own totals (each quarter's "All", each approach).
    per_approach = out["approach"] != ALL_GROUP
    mcid_cells = out.loc[per_approach, ["quarter", "approach", "mcid_n", "suppressed"]]
    mcid_hidden = privacy.protect_table(mcid_cells, "mcid_n", ["quarter", "approach", None], min_cell, hidden_col="suppressed")
    out["mcid_suppressed"] = False
    out.loc[per_approach, "mcid_suppressed"] = mcid_hidden.to_numpy() & (mcid_cells["mcid_n"].to_numpy() > 0)
    for quarter, part in out[per_approach].groupby("quarter"):
        if privacy.total_must_hide(part["mcid_n"], out.loc[part.index, "mcid_suppressed"], min_cell):
            out.loc[(out["quarter"] == quarter) & ~per_approach, "mcid_suppressed"] = True
    out.loc[~per_approach & (out["mcid_n"] < min_cell) & (out["mcid_n"] > 0), "mcid_suppressed"] = True
    # A quarter whose hidden approaches could not be covered by others: its "All" goes too.
    counts = approach_quarter_counts(cases, min_cell, by)
    for quarter, part in counts.groupby("quarter"):
        if privacy.total_must_hide(part["cases"], part["hidden"], min_cell):
            out.loc[(out["quarter"] == quarter) & ~per_approach, "suppressed"] = True
    out.loc[out["mcid_suppressed"] | (out["mcid_n"] == 0), ["mcid_rate", "mcid_ci_low", "mcid_ci_high"]] = np.nan
    out.loc[out["suppressed"], ["median_stay_hours", "median_stay_ci_low", "median_stay_ci_high"]] = np.nan
    order = _approach_order(out.loc[per_approach, "approach"]) + [ALL_GROUP]
    out["approach"] = pd.Categorical(out["approach"], categories=order)
    out = out.sort_values(["quarter_start", "approach"]).reset_index(drop=True)
    out["approach"] = out["approach"].astype(str)
    out = out.astype({"n": "float64", "stay_n": "float64", "mcid_n": "float64"})
    out.loc[out["suppressed"], ["n", "stay_n"]] = np.nan
    out.loc[out["suppressed"] | out["mcid_suppressed"], "mcid_n"] = np.nan
    return out[TREND_COLUMNS].astype({"suppressed": "bool", "mcid_suppressed": "bool"})


def _mcid_by_cell(frame: pd.DataFrame, quarter: pd.Series, threshold: float | None, measure: str | None) -> pd.DataFrame:
    """DataFrame[quarter, approach, mcid_rate, mcid_n, mcid_ci_low, mcid_ci_high] at 12 months, per approach and "All"."""
    columns = ["quarter", "approach", "mcid_rate", "mcid_n", "mcid_ci_low", "mcid_ci_high"]
    needed = ({f"{measure}_12m"} if MEASURES[measure].kind == "rating" else {f"{measure}_pre", f"{measure}_12m"}) if measure else {""}
    if threshold is None or not needed <= set(frame.columns):
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("mcid") else "object") for c in columns})
    cells = frame.assign(_cell=quarter + "\x1f" + frame["approach"].astype(str), _quarter=quarter)
    parts = []
    for by in ("_cell", "_quarter"):
        rates = mcid_rates(cells, measure, threshold, by=by, min_cell=1)
        at_12m = rates[rates["timepoint"] == "12m"]
        keys = at_12m["group"].astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "quarter": keys.str.split("\x1f").str[0],
                    "approach": keys.str.split("\x1f").str[1] if by == "_cell" else ALL_GROUP,
                    "mcid_rate": at_12m["share"].to_numpy(),
                    "mcid_n": at_12m["n"].to_numpy(),
                    "mcid_ci_low": at_12m["ci_low"].to_numpy(),
                    "mcid_ci_high": at_12m["ci_high"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[columns]


def _quarter_sort(frame: pd.DataFrame) -> list[str]:
    return frame.drop_duplicates("quarter").sort_values("quarter_start")["quarter"].tolist()


def volume_chart(volume: pd.DataFrame, group_title: str = "Approach") -> Spec:
    """Stacked bars: cases per quarter, coloured by approach — or by technique, `group_title` "Technique" (a Vega-Lite spec).

    Cells hidden by the small-cell rule (`suppressed`) are not drawn and are named in the subtitle.
    """
    approaches = _approach_order(volume["approach"])
    colour = {"domain": approaches, "range": _approach_colours(approaches)}
    word = group_title.lower()
    chart_title = f"Operations per quarter by {word}"
    hidden = volume[volume["suppressed"].fillna(False).astype(bool)] if "suppressed" in volume.columns else volume.iloc[:0]
    shown = volume.drop(index=hidden.index).drop(columns=["suppressed"], errors="ignore")
    extra = {}
    if len(hidden) or (volume["approach"] == HIDDEN_GROUP).any():
        extra["title"] = {
            "text": chart_title, "anchor": "start",
            "subtitle": ["Light grey: groups too small to show, with enough others that none can be worked out"],
        }  # fmt: skip
    if shown.empty:
        return nothing_to_show_chart(chart_title, NO_VOLUME_MESSAGE)
    totals = shown.groupby("approach", sort=False)["cases"].sum()
    quarters = _quarter_sort(volume)
    items = [f"{a}: {int(totals.get(a, 0)):,} operations" for a in approaches if a in totals.index]
    words = describe(
        chart_title,
        f"Stacked bars of operations in each quarter from {quarters[0]} to {quarters[-1]}, by {word}; totals shown",
        items,
        [f"{len(hidden)} quarter × {word} cells (small-cell rule)"] if len(hidden) else [],
    )
    return single_chart(
        "shown",
        records(shown),
        {"type": "bar"},
        encoding(
            x=channel("quarter:O", title="Quarter of surgery", sort=quarters, axis={"labelAngle": -45}),
            y=channel("cases:Q", title="Cases (number of operations)", stack="zero"),
            color=channel("approach:N", title=group_title, scale=colour, sort=approaches, legend=_legend(group_title)),
            order=channel("approach_rank:Q"),
            tooltip=[
                tooltip("quarter:N", "Quarter"),
                tooltip("approach:N", group_title),
                tooltip("cases:Q", "Cases"),
                tooltip("share:Q", "Share of the quarter", ".0%"),
            ],
        ),
        transform=[{"calculate": _rank_expression(approaches), "as": "approach_rank"}],
        **({"title": chart_title} | extra),
        height=300,
        description=words,
    )


# Legends under the plot: beside it they took half of a chart in a tablet-width cell.
LEGEND_BELOW: Spec = {"orient": "bottom", "direction": "horizontal", "columns": 3, "titleOrient": "top"}


def _legend(group_title: str) -> Spec:
    """LEGEND_BELOW for approaches; one entry a line for techniques, whose names ("Uniportal
    full-endoscopic (transforaminal)") were cut in three columns at tablet width."""
    return LEGEND_BELOW if group_title == "Approach" else {**LEGEND_BELOW, "columns": 1, "labelLimit": 0}
# Measures in the completeness chart: warm and slate tones that no approach uses (approach colours
# mean approaches everywhere); each at least 3:1 on white.
MEASURE_PALETTE: tuple[str, ...] = ("#37474F", "#8D6E63", "#78909C", "#827717", "#6D4C41", "#607D8B")


NO_VOLUME_MESSAGE = "Nothing to show: every quarter's cases are fewer than the smallest group shown, or there are none."


def _pct_or_none(v: float) -> str:
    return "none due" if pd.isna(v) else f"{v:.0f}%"


def nothing_to_show_chart(title: str, message: str) -> Spec:
    """A chart that says in words that it has nothing to draw, instead of bare axes."""
    return layer_chart([nothing_to_show_layer(message)], {"nothing": records(pd.DataFrame({"message": [message]}))},
                       title={"text": title, "anchor": "start"}, height=60, description=f"{title}. {message}")  # fmt: skip


def _rank_expression(approaches: list[str]) -> str:
    """Vega expression giving each approach its position, so the stack order is the legend order."""
    return "indexof(" + repr(list(approaches)).replace("'", '"') + ", datum.approach)"


def _approach_colours(approaches: list[str]) -> list[str]:
    """Each group's colour, in the order given: approaches their own (those not in the vocabulary
    grey); techniques, which have none, the neutral palette Recovery's charts use for them."""
    real = [a for a in approaches if a not in (HIDDEN_GROUP, NO_APPROACH, NO_TECHNIQUE)]
    scale = colour_scale(real) if real else {"domain": [], "range": []}
    lookup = dict(zip(scale["domain"], scale["range"], strict=True))
    return [HIDDEN_COLOUR if a == HIDDEN_GROUP else lookup.get(a, APPROACH_COLOURS.get(a, OTHER_COLOUR)) for a in approaches]


def _datum_is(field: str, constant: str) -> str:
    """Vega test that a field equals a constant, written as Altair writes `alt.datum.field == constant`."""
    return f"(datum.{field} === {constant!r})"


def trend_chart(trend: pd.DataFrame, value_col: str, title: str, axis_title: str, group_title: str = "Approach") -> Spec:
    """Lines per approach (and "All", black, dashed) over quarters for one column of `trend_by_quarter`.

    Suppressed quarters are simply absent from the line. Rates (mcid_rate, 0–1) are shown in %.
    """
    ci = {"median_stay_hours": ("median_stay_ci_low", "median_stay_ci_high"), "mcid_rate": ("mcid_ci_low", "mcid_ci_high")}.get(value_col)
    ci = ci if ci is not None and set(ci) <= set(trend.columns) else None
    data = trend[trend[value_col].notna()][["quarter", "quarter_start", "approach", "n", value_col, *(ci or ())]].copy()
    is_rate = value_col.endswith("_rate")
    if is_rate:
        data[value_col] = data[value_col] * 100
        if ci:
            data[list(ci)] = data[list(ci)] * 100
    if data.empty:
        return nothing_to_show_chart(title, "No quarter has enough cases to show.")
    groups = _approach_order(data.loc[data["approach"] != ALL_GROUP, "approach"])
    domain = [*groups, ALL_GROUP] if (data["approach"] == ALL_GROUP).any() else groups
    colour = {"domain": domain, "range": [*_approach_colours(groups), "#000000"][: len(domain)]}
    unit = "%" if is_rate else " h"
    enc = encoding(
        x=channel("quarter:O", title="Quarter of surgery", sort=_quarter_sort(trend), axis={"labelAngle": -45}),
        y=channel(f"{value_col}:Q", title=axis_title),
        color=channel("approach:N", title=group_title, scale=colour, sort=domain, legend=_legend(group_title)),
        strokeDash={"condition": {"test": _datum_is("approach", ALL_GROUP), "value": [5, 3]}, "value": [1, 0]},
        tooltip=[
            tooltip("quarter:N", "Quarter"),
            tooltip("approach:N", group_title),
            tooltip(f"{value_col}:Q", axis_title, ".1f"),
            *([tooltip(f"{ci[0]}:Q", "95% CI from", ".1f"), tooltip(f"{ci[1]}:Q", "95% CI to", ".1f")] if ci else []),
            tooltip("n:Q", "Cases in the quarter"),
        ],
    )
    spec = single_chart(
        "shown",
        records(data),
        {"type": "line", "point": True},
        enc,
        title=title,
        height=300,
        description=describe(title, f"{axis_title} per quarter, by {group_title.lower()} and for all cases (dashed)",
                             _first_last(data, value_col, domain, unit)),  # fmt: skip
    )
    if ci:
        # Each quarter's 95% interval as a faint bar behind its point: a quarter holds few cases, and
        # a change between two quarters means little while their bars overlap (issue 14).
        spec.pop("mark")
        spec.pop("encoding")
        enc["color"]["legend"] = {**enc["color"]["legend"], "symbolOpacity": 1}  # not the faint bars' opacity
        rule = encoding(x=enc["x"], y=channel(f"{ci[0]}:Q"), y2={"field": ci[1]}, color=enc["color"])
        spec["layer"] = [{"mark": {"type": "rule", "opacity": 0.35, "strokeWidth": 2}, "encoding": rule},
                         {"mark": {"type": "line", "point": True}, "encoding": enc}]  # fmt: skip
        spec["title"] = {"text": title, "anchor": "start",
                         "subtitle": ["Bars: 95% confidence interval of each quarter's figure (intervals, not pooled quarters)"]}  # fmt: skip
    return spec


def _first_last(data: pd.DataFrame, value_col: str, groups: list[str], unit: str) -> list[str]:
    """'Open: 120 h in 2021-Q1 (n = 30) to 131 h in 2025-Q4 (n = 28), lowest 98 h, highest 176 h' per group."""
    items = []
    for g in groups:
        rows = data[data["approach"] == g]
        if rows.empty:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        items.append(
            f"{g}: {first[value_col]:.0f}{unit} in {first['quarter']} (n = {int(first['n']):,}) to {last[value_col]:.0f}{unit} in "
            f"{last['quarter']} (n = {int(last['n']):,}), lowest {rows[value_col].min():.0f}{unit}, highest {rows[value_col].max():.0f}{unit}"
        )
    return items


def mcid_trend_chart(trend: pd.DataFrame, title: str, group_title: str = "Approach") -> Spec:
    """Small multiples of the MCID rate per quarter (the measure `trend_by_quarter` was given): one panel per approach, its own line in its
    colour over the rate of all cases (grey, dashed), instead of five noisy lines in one plot.

    Each point's size is its number of cases with both scores, so a quarter resting on few patients
    reads as small without hovering. Where `trend_by_quarter` gives `mcid_ci_low`/`mcid_ci_high`,
    they are drawn as a band. Panels have a fixed width (a faceted chart cannot fill its container):
    two columns of 150 px fit the narrowest chart cell (spinedash.ui.layout.CHART_MIN_REM).
    """
    has_ci = {"mcid_ci_low", "mcid_ci_high"} <= set(trend.columns)
    cols = ["quarter", "quarter_start", "approach", "mcid_n", "mcid_rate", *(["mcid_ci_low", "mcid_ci_high"] if has_ci else [])]
    data = trend[trend["mcid_rate"].notna()][cols].copy()
    if data.empty:
        return nothing_to_show_chart(title, "No quarter has enough patients with both scores to show.")
    groups = _approach_order(data.loc[data["approach"] != ALL_GROUP, "approach"])
    overall = data[data["approach"] == ALL_GROUP]
    panels = [data[data["approach"] == g].assign(panel=g, series=g) for g in groups]
    panels += [overall.assign(panel=g, series=ALL_GROUP) for g in groups]
    frame = pd.concat(panels, ignore_index=True) if panels else data.iloc[:0].assign(panel=[], series=[])
    colour = {"domain": [*groups, ALL_GROUP], "range": [*_approach_colours(groups), "#6b7580"]}
    quarters = _quarter_sort(trend)
    x = channel("quarter:O", title="Quarter of surgery", sort=quarters, axis={"labelAngle": -45, "labelOverlap": "greedy"})
    y = channel("mcid_rate:Q", title="Reached the MCID", scale={"domain": [0, 1]}, axis={"format": "%", "tickCount": 5})
    col = channel("series:N", title=group_title, scale=colour, legend=None)
    tips = [tooltip("quarter:N", "Quarter"), tooltip("series:N", group_title), tooltip("mcid_rate:Q", "Reached the MCID", ".0%"),
            tooltip("mcid_n:Q", "Patients with both scores", ",")]  # fmt: skip
    not_all = f"!{_datum_is('series', ALL_GROUP)}"
    layers = []
    if has_ci:
        layers.append({"mark": {"type": "area", "opacity": 0.18},
                       "transform": [{"filter": not_all}],
                       "encoding": encoding(x=x, y=channel("mcid_ci_low:Q"), y2={"field": "mcid_ci_high"}, color=col)})  # fmt: skip
    layers += [
        {"mark": {"type": "line", "strokeWidth": 1.5},
         "encoding": encoding(x=x, y=y, color=col, detail=channel("series:N"),
                              strokeDash={"condition": {"test": _datum_is("series", ALL_GROUP), "value": [4, 3]}, "value": [1, 0]})},
        {"mark": {"type": "point", "filled": True},
         "transform": [{"filter": not_all}],
         "encoding": encoding(x=x, y=y, color=col, tooltip=tips,
                              size=channel("mcid_n:Q", title="Patients with both scores", scale={"range": [8, 120]},
                                           legend={"orient": "bottom", "direction": "horizontal"}))},
    ]  # fmt: skip
    items = []
    for g in groups:
        rows = data[data["approach"] == g]
        items.append(f"{g}: {len(rows)} quarters shown, from {rows['mcid_rate'].min():.0%} to {rows['mcid_rate'].max():.0%}, "
                     f"{int(rows['mcid_n'].sum()):,} patients with both scores in all")  # fmt: skip
    if len(overall):
        items.append(f"All cases: from {overall['mcid_rate'].min():.0%} to {overall['mcid_rate'].max():.0%} per quarter")
    spec: Spec = {
        "$schema": SCHEMA_URL,
        "data": {"name": "shown"},
        "datasets": {"shown": records(frame)},
        "facet": {"field": "panel", "type": "nominal", "title": None, "sort": groups,
                  "header": {"labelFontWeight": "bold", "labelAnchor": "start", "labelColor": TEXT_COLOUR}},
        # Techniques' long names would be cut over two 150 px panels: one panel a row, twice as wide.
        "columns": 2 if group_title == "Approach" else 1,
        "spec": {"width": 150 if group_title == "Approach" else 300, "height": 110, "layer": layers},
        "title": {"text": title, "anchor": "start",
                  "subtitle": [f"Each panel: one {group_title.lower()}; dashed grey: all cases.",
                               "Dot size: patients with both scores in the quarter."]},
        "config": copy.deepcopy(CHART_CONFIG),
        "description": describe(title, "Share of patients reaching the threshold at 12 months per quarter, one panel per "
                                f"{group_title.lower()} beside all cases", items),
    }  # fmt: skip
    return spec


def completeness_chart(completeness: pd.DataFrame) -> Spec:
    """Grouped bars: % of cases with a score recorded at each time point, one bar per measure.

    Takes `spinedash.quality.followup_completeness(cases, export_date)` (measure, time point, days
    after surgery, cases with a value, cases due, share 0–1, not yet due): the share is among the
    patients due at each time point by the export date.
    """
    data = completeness.copy()
    data["percent"] = data["share"] * 100
    if "not yet due" in data.columns:
        # Patients operated recently are a group by date: fewer than 5 read "< 5" (small-cell rule).
        data["not yet due"] = [privacy.count_text(v, privacy.DEFAULT_MIN_CELL) for v in data["not yet due"]]
    order = data.sort_values("days after surgery")["time point"].drop_duplicates().tolist()
    measures = data["measure"].drop_duplicates().tolist()
    colours = {"domain": measures, "range": [MEASURE_PALETTE[i % len(MEASURE_PALETTE)] for i in range(len(measures))]}
    if data.empty or data["cases"].fillna(0).eq(0).all():
        return nothing_to_show_chart("Follow-up completeness", "No cases to count scores for.")
    items = [f"{m}: " + ", ".join(f"{r['time point'].lower() if r['time point'] == 'Before surgery' else r['time point']} "
                                  f"{_pct_or_none(r['percent'])} ({r['cases with a value']:,} of {r['cases']:,} due)"
                                  for _, r in data[data["measure"] == m].iterrows())
             for m in measures]  # fmt: skip
    return single_chart(
        "shown",
        records(data),
        {"type": "bar"},
        encoding(
            x=channel("time point:N", title="Time point after surgery", sort=order, axis=TIME_LABELS),
            xOffset=channel("measure:N", sort=measures),
            y=channel("percent:Q", title="Patients due with a value recorded (%)", scale={"domain": [0, 100]}),
            color=channel("measure:N", title="Score", scale=colours, sort=measures, legend=LEGEND_BELOW),
            tooltip=[
                tooltip("measure:N", "Score"),
                tooltip("time point:N", "Time point"),
                tooltip("cases with a value:Q", "Cases due with a value"),
                tooltip("cases:Q", "Cases due"),
                tooltip("percent:Q", "Recorded among those due (%)", ".0f"),
                *([tooltip("not yet due:N", "Not yet due (left out)")] if "not yet due" in data.columns else []),
            ],
        ),
        title="Follow-up completeness among patients due",
        height=260,
        description=describe("Follow-up completeness among patients due",
                             "Share of the patients due at each time point who have a score recorded, per measure", items),
    )


@dataclass(frozen=True)
class DemoStep:
    """One stop of the guided demo: where to go, with which filters, and what to look at.

    `query` holds widget values by widget key: lists for the sidebar filters, strings for the
    page's own choices, None for a page widget to go back to its own default. `anchor` is what the
    sentence talks about, which the demo scrolls to: the start of a heading's text, or "chart:n" for
    the page's n-th chart.
    """

    title: str
    sentence: str
    page: str
    query: dict[str, list[str] | str | None] = field(default_factory=dict)
    anchor: str = ""


def demo_steps() -> list[DemoStep]:
    """A two-minute guided tour of the synthetic sample for an administrator.

    The sentences name no numbers: the pages compute them live, and the cohort is synthetic. Each
    sentence describes what is under its anchor heading.
    """
    return [
        DemoStep(
            "The overview",
            "Start here: the headline figures for all synthetic sample cases — where both groups exist, a card sets the "
            "minimally invasive figure beside open surgery; its question mark gives the number of cases behind it.",
            "pages/overview.py",
            anchor="Headline figures",
        ),
        DemoStep(
            "Hospital stay by approach",
            "Hospital stay by approach for herniated disc: the full-endoscopic box sits far to the left of open surgery — "
            "in this synthetic sample most endoscopic patients went home the same day.",
            "pages/recovery.py",
            {"filter_condition": ["Herniated disc"]},
            anchor="Hospital stay",
        ),
        DemoStep(
            "Leg pain over the first year",
            "VAS leg pain for herniated disc: watch how quickly each approach's line falls after surgery, then how the "
            "lines come together by twelve months in this synthetic sample.",
            "pages/pain.py",
            # None: back to the page's default (VAS leg, lumbar, all available patients).
            {"filter_condition": ["Herniated disc"], "pain_measure": None, "pro_region": None, "pain_patients": None},
            anchor="chart:1",  # the trajectory chart
        ),
        DemoStep(
            "Endoscopic against open",
            "Full-endoscopic (A) against open (B) for herniated disc, outcome by outcome: read each difference's interval, "
            "not just the difference — where the interval includes zero, this synthetic sample cannot tell the two apart.",
            "pages/compare.py",
            {
                "filter_condition": ["Herniated disc"],
                "filter_approach": ["Full-endoscopic", "Open"],
                "compare_mode": "Approach vs approach",
                "compare_a": "Full-endoscopic",
                "compare_b": "Open",
                "compare_adjust": None,  # None: the page's default
            },
            anchor="Full-endoscopic (A) and Open (B)",
        ),
        DemoStep(
            "Surgeons on a funnel",
            "Each synthetic surgeon is a dot against funnel-shaped limits, after allowing for case mix: only dots beyond "
            "the dotted lines are worth a closer look, and surgeons with too few cases are left off the plot.",
            "pages/benchmarking.py",
            # None: back to the page's defaults (by surgeon, its first measure, risk-adjusted).
            {"funnel_by": None, "funnel_measure": None, "funnel_case_mix": None, "funnel_adjust_approach": None,
             "funnel_dispersion": None, "funnel_technique": None},
            anchor="chart:1",  # the funnel
        ),
        DemoStep(
            "What the procedure is",
            "Behind every number is a procedure: the full-endoscopic entry says how it is done, for whom, and what the "
            "source documents list as its benefits and risks.",
            "pages/procedures.py",
            {"procedures_approach": "Full-endoscopic"},
            anchor="One approach in detail",
        ),
    ]
