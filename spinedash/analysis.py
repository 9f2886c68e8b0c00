"""Outcome statistics: stay, return to work and activities, pain and function, safety, by group.

Pure pandas / numpy / scipy / statsmodels; no Streamlit. The functions take the canonical cases
frame (spinedash.schema) and `min_cell`; the per-group ones also take a grouping column `by`
(default "approach") and return a tidy frame whose group labels are strings in a column `group`.

Small-cell suppression: a group (or group × time point cell) with fewer than `min_cell` cases gets
`suppressed=True` and every estimate NaN (never 0) while `n` is kept, so the page can say
"suppressed (n < 5)". Registries use larger cells (NORspine collapses hospitals with fewer than 10
registrations; OpenSAFELY suppresses counts ≤ 7 — registry privacy practice); the default of 5
is SpineDash's own choice for a single clinic's review, not a registry rule. `min_cell=1` turns
suppression off (only cells with no data at all are flagged, and they have nothing to show).

Rows with a missing group value are left out of every table. All computations are vectorised over
groups (numpy bincount / per-group sorting); only the Kaplan–Meier fit loops, once per group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

from spinedash import casemix, privacy
from spinedash.benchmarks import load_mcid_thresholds
from spinedash.privacy import DEFAULT_MIN_CELL, at_risk_cut, suppression_label  # noqa: F401  (re-exported: pages and tables import it from here)
from spinedash.privacy import check_min_cell as _check_min_cell
from spinedash.schema import MEASURES, PAIN_MEASURES, pain_column, timepoint_days, timepoint_label, timepoints_in
from spinedash.vocabulary import APPROACHES

# --------------------------------------------------------------------------------------------
# Constants the pages show or pass back in
# --------------------------------------------------------------------------------------------

# ASSUMPTION: the schema records length of stay in hours but no discharge date, so "same-day
# discharge" cannot be read off calendar dates. A stay of at most 12 hours is taken as same-day
# (admitted in the morning, home the same evening). Not from a published source.
SAME_DAY_MAX_HOURS = 12
WITHIN_24H_MAX_HOURS = 24

KM_TIME_COLUMNS: tuple[str, ...] = ("return_to_work_days", "return_to_activities_days")
KM_MAX_POINTS = 500

# Minimal clinically important difference (improvement in points from before surgery).
# Parai et al., ISSLS Prize 2020 (Swespine): ODI 18 points; NRS back 2.7; NRS leg 3.2.
# The thresholds were derived for the 0–10 NRS; SpineDash applies them to VAS on the same 0–10
# scale (evidence.md treats VAS and NRS 0–10 alike).
# Every default now lives in data/measures.csv with its source (schema.MEASURES); these dicts are
# derived from it: measures without a published default are absent (the user sets their own).
# MCID_DEFAULTS keeps the three lumbar first-year scores (older callers); mcid_default(m) answers for any.
MCID_DEFAULTS: dict[str, float] = {m: float(MEASURES[m].mcid) for m in PAIN_MEASURES}
MCID_DEFAULTS_SOURCE = "Parai et al., ISSLS Prize 2020 (Swespine)"
MCID_CITATIONS: dict[str, str] = {
    m.id: f"{m.short_label} {m.mcid:g} points — {m.mcid_source}" for m in MEASURES.values() if m.id in PAIN_MEASURES
}


def mcid_default(measure: str) -> float | None:
    """The catalogue's default threshold: the MCID of a score, the cut-off of a rating; None = set your own."""
    info = MEASURES[measure]
    value = info.cutoff if info.kind == "rating" else info.mcid
    return None if value is None else float(value)


def share_only_sentence(measure: str) -> str:
    """Why a measure the catalogue summarises only as a share (`summary` "share") has no mean over follow-up."""
    m = MEASURES[measure]
    return (f"{m.label} is an ordinal answer ({m.scale}; {'lower' if not m.higher_is_better else 'higher'} is better) whose codes "
            f"are not distances, so SpineDash draws no mean of them. It is shown as the share of patients answering "
            f"{m.cutoff:g} or {'less' if not m.higher_is_better else 'more'} at each follow-up (below): {m.cutoff_source}.")
# NORspine's success definition (PMC10851101): its rows of data/mcid_thresholds.csv (absolute
# improvements, no condition), read there like every other cited threshold, not spelt here.
_NORSPINE_SUCCESS_SOURCE = "NORspine PMC10851101"


def _success_thresholds(source: str) -> dict[str, float]:
    table = load_mcid_thresholds()
    rows = table[(table["source"] == source) & (table["kind"] == "success") & (table["unit"] == "points")
                 & table["condition"].isna()]
    return {str(r.measure): float(r.threshold) for r in rows.itertuples()}


MCID_ALTERNATIVES: dict[str, dict[str, float]] = {
    "NORspine success": _success_thresholds(_NORSPINE_SUCCESS_SOURCE),
}
MCID_ALTERNATIVE_SOURCES: dict[str, str] = {
    "NORspine success": "NORspine success definition (PMC10851101)",
}
MCID_DEFINITION = (
    "A patient counts as a responder at a follow-up time point when their score improved from "
    "before surgery by at least the threshold: improvement = score before surgery − score at "
    "follow-up, so a fall in pain or disability is an improvement (for scores where higher is "
    "better, such as EQ-5D and mJOA, a rise is). Only patients with both scores recorded are "
    "counted (the denominator). Each measure's default threshold is a published minimal clinically "
    "important difference, named with its source in the measure catalogue (data/measures.csv); "
    "thresholds derived on the 0–10 numeric rating scale are applied alike to VAS on the same "
    "0–10 scale. Where no default is published, you set your own. With a relative threshold, the "
    "improvement must be at least that percentage of the score before surgery (patients with a "
    "score of 0 before surgery cannot improve and are left out)."
)


def mcid_default_text(measure: str) -> str:
    """The default threshold of one measure in words, from the catalogue: value and source, or "set your own",
    and where studies disagree (for the lumbar scores that names NORspine's stricter success definition)."""
    m = MEASURES[measure]
    if m.mcid is None:
        text = f"{m.label} has no published default threshold: set your own."
    else:
        text = f"Default threshold for {m.label}: an improvement of {m.mcid:g} ({m.mcid_source})."
    if m.mcid_range:
        text += f" Where studies disagree: {m.mcid_range}."
    return text


CAUSAL_CAUTION = (
    "These are observational data, not a randomised trial. Patients were not allocated to groups "
    "at random: surgeons choose the approach, and patients differ in age, severity, condition, "
    "work and expectations (case mix). A difference between groups is therefore not proof that "
    "the approach or the surgeon caused it, and a p-value only says how surprising the difference "
    "would be if there were no true difference and nothing else differed between the groups. "
    "The adjusted estimates account only for the covariates each row names (by default condition, "
    "age, sex, level and the score before surgery), not for anything else that differs between the "
    "groups, such as severity the data do not record."
)

# Tolerance for "improvement ≥ threshold": 7.2 − 4.0 is 3.2000000000000006 in floating point and
# 6.2 − 3.0 is 3.1999999999999997; both are 3.2 points as recorded.
_EPS = 1e-9
_Z95 = float(stats.norm.ppf(0.975))

SUMMARY_COLUMNS = ("group", "n", "suppressed", "median", "median_ci_low", "median_ci_high", "q1", "q3", "p5", "p95", "mean")
DISCHARGE_COLUMNS = (
    "group", "n", "same_day_n", "same_day_share", "same_day_ci_low", "same_day_ci_high",
    "within_24h_n", "within_24h_share", "within_24h_ci_low", "within_24h_ci_high", "suppressed",
)  # fmt: skip
KM_CURVE_COLUMNS = ("group", "days", "share_returned", "ci_low", "ci_high")
KM_MEDIAN_COLUMNS = ("group", "n", "events", "censored", "median_days", "median_ci_low", "median_ci_high", "suppressed")
KM_AT_RISK_COLUMNS = ("group", "days", "at_risk")
TRAJECTORY_COLUMNS = ("group", "timepoint", "timepoint_label", "day", "n", "mean", "ci_low", "ci_high", "sd", "suppressed", "is_baseline")
CHANGE_COLUMNS = ("group", "timepoint", "timepoint_label", "day", "n", "mean_change", "ci_low", "ci_high", "suppressed")
MCID_COLUMNS = ("group", "timepoint", "timepoint_label", "day", "n", "responders", "share", "ci_low", "ci_high", "suppressed", "cannot_reach")
COMPARE_COLUMNS = (
    "outcome", "unit", "n_a", "value_a", "n_b", "value_b", "difference", "diff_ci_low", "diff_ci_high",
    "p_value", "p_holm", "test", "adjusted_difference", "adjusted_ci_low", "adjusted_ci_high", "adjusted_p_value",
    "adjusted_p_holm", "adjusted_for", "sentence", "suppressed", "adjusted_measure", "ratio", "ratio_ci_low", "ratio_ci_high",
    "adjusted_terms", "left_out_terms",
)  # fmt: skip
# adjusted_terms / left_out_terms: the covariates a row's adjusted estimate used, and those left out, joined
# by TERM_SEPARATOR ("" when none): a bare label was left out by the 10-per-term rule, "label (reason)" for
# another reason ("level (the same for every case)", the propensity model's "age (too few events …)"). So
# comparison.adjustment_heading/adjustment_note word a heading and a full sentence without parsing adjusted_for.
TERM_SEPARATOR = "; "
# What a row's adjusted estimate (adjusted_difference, adjusted_ci_low/high) is: a difference B − A in
# the row's unit, or a ratio B / A (1 = no difference). ratio / ratio_ci_low/high: the same ratio
# unadjusted, so the forest plot can set the two side by side.
DIFFERENCE, GEOMETRIC_MEAN_RATIO, HAZARD_RATIO = "difference", "ratio of geometric means", "hazard ratio"
# score_change_12m: the condition's headline score (frame.attrs["score"], a catalogue measure id).
CONDITION_COLUMNS = ("approach", "n", "median_stay_hours", "median_return_to_work_days", "score_change_12m", "suppressed")

# Bootstrap for the difference of median stays: fixed seed so a page shows the same interval on
# every rerun (and cached pages agree with fresh ones).
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240318


class MissingColumnError(KeyError):
    """The cases frame lacks column(s) an analysis needs; `.columns` lists them."""

    def __init__(self, columns: Sequence[str], analysis: str = "this analysis"):
        self.columns = tuple(columns)
        self.analysis = analysis
        names = ", ".join(f'"{c}"' for c in self.columns)
        word = "column" if len(self.columns) == 1 else "columns"
        self.message = f"{analysis} needs {word} {names}, which the data do not have."
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return self.message


# --------------------------------------------------------------------------------------------
# Internal helpers
# --------------------------------------------------------------------------------------------


def _require(cases: pd.DataFrame, columns: Sequence[str], analysis: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in cases.columns]
    if missing:
        raise MissingColumnError(missing, analysis)


def _order_labels(labels: Sequence[str], by: str) -> list[str]:
    """Approaches in the house order (least to most invasive), anything else alphabetically."""
    if by == "approach":
        known = [a for a in APPROACHES if a in labels]
        return known + sorted(x for x in labels if x not in APPROACHES)
    return sorted(labels)


def not_recorded_label(by: str) -> str:
    """The group of cases whose `by` is blank: "Approach not recorded", "Surgeon not recorded"…"""
    return f"{by.replace('_', ' ').capitalize()} not recorded"


def _group_codes(cases: pd.DataFrame, by: str) -> tuple[np.ndarray, list[str]]:
    """Integer group code per row and the ordered string labels; a blank value is a group too.

    Only groups that occur in `cases` are returned (like groupby(observed=True)). Cases whose `by`
    is blank are the last group, `not_recorded_label(by)` ("Approach not recorded"): left out, the
    cases in view minus the groups shown would give their number away (small-cell rule,
    spinedash.privacy), and the groups would not add up to the cases in view.
    """
    codes, labels = _recorded_group_codes(cases, by)
    blank = codes < 0
    if blank.any():
        label = not_recorded_label(by)
        if label in labels:  # a file that spells the blank out in words: one group, not two
            codes = np.where(blank, labels.index(label), codes)
        else:
            codes = np.where(blank, len(labels), codes)
            labels = [*labels, label]
    return codes, labels


def _recorded_group_codes(cases: pd.DataFrame, by: str) -> tuple[np.ndarray, list[str]]:
    """Integer group code per row (−1 = blank) and the ordered string labels of the recorded values."""
    col = cases[by]
    if isinstance(col.dtype, pd.CategoricalDtype):
        raw = col.cat.codes.to_numpy().astype(np.int64)
        uniques = [str(c) for c in col.cat.categories]
    else:
        raw, uniq = pd.factorize(col, use_na_sentinel=True)
        raw = raw.astype(np.int64)
        uniques = [str(u) for u in uniq]
    if not uniques:
        return np.full(len(cases), -1, dtype=np.int64), []
    present = np.bincount(raw[raw >= 0], minlength=len(uniques)) > 0
    present_labels = sorted({uniques[i] for i in np.flatnonzero(present)})
    ordered = _order_labels(present_labels, by)
    position = {label: i for i, label in enumerate(ordered)}
    # Raw code -> ordered position; two raw values with the same string (1 and "1") merge.
    lookup = np.array([position.get(u, -1) if present[i] else -1 for i, u in enumerate(uniques)] + [-1], dtype=np.int64)
    return lookup[raw], ordered  # raw == −1 indexes the trailing −1


def _restrict_groups(codes: np.ndarray, labels: list[str], rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Group codes and labels as `_group_codes` gives them for the rows where `rows` is True:
    other rows get −1 and groups left without a row are dropped (order kept)."""
    codes = np.where(rows, codes, -1)
    present = np.bincount(codes + 1, minlength=len(labels) + 1)[1:] > 0
    if present.all():
        return codes, labels
    lookup = np.append(np.cumsum(present) - 1, -1)  # old code -> new code; index −1 -> −1
    lookup[:-1][~present] = -1
    return lookup[codes], [label for label, keep in zip(labels, present, strict=True) if keep]


def _numbers(cases: pd.DataFrame, column: str) -> np.ndarray:
    """A number column as float64 numpy (NaN = missing); the canonical float64 column without a copy.

    The array may be a read-only view of the frame: callers never write into it.
    """
    s = cases[column]
    if s.dtype == np.float64:
        return s.to_numpy()
    return pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan)


def _flags(cases: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A yes/no column as (value, recorded) numpy bools; missing counts as not recorded."""
    s = cases[column].astype("boolean")
    recorded = s.notna().to_numpy(dtype=bool)
    return s.fillna(False).to_numpy(dtype=bool), recorded


def _equals(series: pd.Series, value: str) -> np.ndarray:
    """series == value as a numpy bool array (missing -> False); categoricals compared by code.

    Casting a million-row categorical to strings to compare costs ~0.8 s; comparing codes is free.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        matches = [i for i, c in enumerate(series.cat.categories) if str(c) == value]
        return np.isin(series.cat.codes.to_numpy(), matches)
    return (series.astype("str") == value).fillna(False).to_numpy(dtype=bool)


def _labels_series(labels: Sequence[str]) -> pd.Series:
    return pd.Series(list(labels), dtype="str")


def _sorted_groups(codes: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values sorted within group, concatenated in group order; start offsets; counts."""
    keep = (codes >= 0) & ~np.isnan(values)
    c, v = codes[keep], values[keep]
    counts = np.bincount(c, minlength=n_groups).astype(np.int64)
    # One np.sort per group is ~8× faster than a lexsort over (group, value) at 1M rows.
    parts = [np.sort(v[c == g]) for g in range(n_groups)]
    sorted_values = np.concatenate(parts) if parts else np.empty(0)
    starts = np.cumsum(counts) - counts
    return sorted_values, starts, counts


def _order_stat(sorted_values: np.ndarray, starts: np.ndarray, counts: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The rank-th smallest value per group (1-based rank); NaN where rank is outside 1..n."""
    rank = np.asarray(rank, dtype=np.int64)
    ok = (rank >= 1) & (rank <= counts)
    out = np.full(len(counts), np.nan)
    out[ok] = sorted_values[starts[ok] + rank[ok] - 1]
    return out


def _quantile(sorted_values: np.ndarray, starts: np.ndarray, counts: np.ndarray, p: float) -> np.ndarray:
    """Per-group quantile with linear interpolation (numpy/pandas default, Hyndman–Fan type 7)."""
    out = np.full(len(counts), np.nan)
    ok = counts > 0
    h = (counts[ok] - 1) * p
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, counts[ok] - 1)
    base = starts[ok]
    x_lo, x_hi = sorted_values[base + lo], sorted_values[base + hi]
    out[ok] = x_lo + (h - lo) * (x_hi - x_lo)
    return out


def _median_ci_ranks(n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks (l, u) of the distribution-free confidence interval for a median.

    The number of observations below the true median is Binomial(n, 1/2), so
    [x_(l), x_(u)] with l = qbinom(α/2, n, ½) and u = n − l + 1 covers the median with
    probability 1 − 2·P(B ≤ l − 1) ≥ 95%. Where l < 1 (n ≤ 5) no interval reaches 95% and the
    limits are NaN.

    Worked by hand, n = 10: P(B ≤ 1) = 11/1024 = 0.0107 < 0.025 ≤ P(B ≤ 2) = 56/1024 = 0.0547,
    so l = 2, u = 9: the interval runs from the 2nd to the 9th smallest value, coverage
    1 − 2·0.0107 = 97.9%. This matches the table in Campbell & Gardner, "Calculating confidence
    intervals for some non-parametric analyses", BMJ 1988;296:1454 (n = 10: ranks 2 and 9;
    n = 20: ranks 6 and 15), and Conover, Practical Nonparametric Statistics, 3rd ed., §3.2.
    """
    alpha = 1 - confidence
    n = np.asarray(n, dtype=np.int64)
    l_rank = stats.binom.ppf(alpha / 2, n, 0.5)
    l_rank = np.where(n > 0, l_rank, 0).astype(np.int64)
    u_rank = n - l_rank + 1
    return l_rank, u_rank  # l_rank == 0 falls outside 1..n -> NaN in _order_stat


def _mean_sd(codes: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group count, mean and sample SD (ddof=1), two-pass for accuracy."""
    keep = (codes >= 0) & ~np.isnan(values)
    c, v = codes[keep], values[keep]
    n = np.bincount(c, minlength=n_groups).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(c, weights=v, minlength=n_groups) / n
        ss = np.bincount(c, weights=(v - mean[c]) ** 2, minlength=n_groups)
        sd = np.sqrt(ss / (n - 1))
    mean = np.where(n > 0, mean, np.nan)
    sd = np.where(n > 1, sd, np.nan)
    return n, mean, sd


def _t_interval(mean: np.ndarray, sd: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided 95% t interval for a mean: mean ± t(0.975, n − 1)·sd/√n (NaN for n < 2)."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    half = np.where(n > 1, half, np.nan)
    return mean - half, mean + half


def _wilson(count: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    count = np.asarray(count, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    low = np.full(len(n), np.nan)
    high = np.full(len(n), np.nan)
    ok = n > 0
    if ok.any():
        low[ok], high[ok] = proportion_confint(count[ok], n[ok], alpha=0.05, method="wilson")
    return low, high


def _blank(frame: pd.DataFrame, suppressed: np.ndarray, keep: Sequence[str]) -> pd.DataFrame:
    """NaN every column not in `keep` on suppressed rows (counts become float so NaN fits)."""
    if not suppressed.any():
        return frame
    out = frame.copy()
    for col in out.columns:
        if col in keep:
            continue
        values = out[col].to_numpy(dtype=np.float64, copy=True)
        values[suppressed] = np.nan
        out[col] = values
    return out


def _pain_timepoints(cases: pd.DataFrame, measure: str, analysis: str, need_pre: bool) -> list[str]:
    if measure not in MEASURES:
        raise ValueError(f"Unknown pain measure {measure!r}; expected one of {', '.join(MEASURES)}.")
    # The columns a file could have, for the message; what it has, standard and custom days ("d90").
    timepoints = MEASURES[measure].dictionary_timepoints or MEASURES[measure].timepoints
    present = timepoints_in(measure, cases.columns)
    if need_pre:
        follow = [tp for tp in timepoints if tp != "pre"]
        if MEASURES[measure].kind == "rating":  # a rating is given after surgery only: no "pre"
            need = [tp for tp in present if tp != "pre"]
            if not need:
                raise MissingColumnError([pain_column(measure, tp) for tp in follow], analysis)
            return need
        if pain_column(measure, "pre") not in cases.columns:
            raise MissingColumnError([pain_column(measure, "pre")], analysis)
        present_follow = [tp for tp in present if tp != "pre"]
        if not present_follow:
            raise MissingColumnError([pain_column(measure, tp) for tp in follow], analysis)
        return present_follow
    if not present:
        raise MissingColumnError([pain_column(measure, tp) for tp in timepoints], analysis)
    return present


def _timepoint_block(labels: list[str], tp: str) -> dict[str, object]:
    g = len(labels)
    return {
        "group": labels,
        "timepoint": [tp] * g,
        "timepoint_label": [timepoint_label(tp)] * g,
        "day": np.full(g, timepoint_days(tp), dtype=np.int64),
    }


def _stack(blocks: list[pd.DataFrame], columns: Sequence[str], n_groups: int) -> pd.DataFrame:
    """Concatenate per-time-point blocks and order rows group by group, time points in order."""
    frame = pd.concat(blocks, ignore_index=True)
    if n_groups:
        # Block b, group g sits at row b·G + g; reorder to g·B + b.
        n_blocks = len(blocks)
        order = np.arange(n_blocks * n_groups).reshape(n_blocks, n_groups).T.ravel()
        frame = frame.iloc[order].reset_index(drop=True)
    frame["group"] = frame["group"].astype("str")
    frame["timepoint"] = frame["timepoint"].astype("str")
    frame["timepoint_label"] = frame["timepoint_label"].astype("str")
    return frame.loc[:, list(columns)]


# --------------------------------------------------------------------------------------------
# 1. Distribution of a number (stay, operation time, blood loss…)
# --------------------------------------------------------------------------------------------


def summarise_distribution(
    cases: pd.DataFrame, value_col: str, by: str = "approach", min_cell: int = DEFAULT_MIN_CELL
) -> pd.DataFrame:
    """Median with its 95% CI, quartiles, 5th/95th percentiles and mean of a number, per group.

    The median's CI is the distribution-free order-statistic (binomial) interval, see
    `_median_ci_ranks`; NaN when a group has 5 or fewer values (no such interval reaches 95%).
    Quantiles interpolate linearly (the pandas/numpy default). `n` counts recorded values.

    Returns:
        DataFrame[group, n, suppressed, median, median_ci_low, median_ci_high, q1, q3, p5, p95, mean]
    """
    _check_min_cell(min_cell)
    _require(cases, [by, value_col], f"The summary of {value_col}")
    codes, labels = _group_codes(cases, by)
    n_groups = len(labels)
    sorted_values, starts, counts = _sorted_groups(codes, _numbers(cases, value_col), n_groups)
    l_rank, u_rank = _median_ci_ranks(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = np.add.reduceat(sorted_values, starts[counts > 0]) if sorted_values.size else np.empty(0)
        mean = np.full(n_groups, np.nan)
        mean[counts > 0] = sums / counts[counts > 0]
    frame = pd.DataFrame(
        {
            "group": _labels_series(labels),
            "n": counts,
            "suppressed": counts < min_cell,
            "median": _quantile(sorted_values, starts, counts, 0.5),
            "median_ci_low": _order_stat(sorted_values, starts, counts, l_rank),
            "median_ci_high": _order_stat(sorted_values, starts, counts, u_rank),
            "q1": _quantile(sorted_values, starts, counts, 0.25),
            "q3": _quantile(sorted_values, starts, counts, 0.75),
            "p5": _quantile(sorted_values, starts, counts, 0.05),
            "p95": _quantile(sorted_values, starts, counts, 0.95),
            "mean": mean,
        }
    )
    return _blank(frame, frame["suppressed"].to_numpy(), keep=("group", "n", "suppressed"))


# --------------------------------------------------------------------------------------------
# 2. Same-day and 24-hour discharge
# --------------------------------------------------------------------------------------------


def discharge_shares(cases: pd.DataFrame, by: str = "approach", min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Share of cases discharged the same day and within 24 hours, with Wilson 95% CIs, per group.

    Read from length_of_stay_hours. ASSUMPTION: the schema has no discharge date, so same-day
    discharge is a stay of at most SAME_DAY_MAX_HOURS = 12 hours; within 24 h is a stay of at most
    24 hours. `n` counts cases with a recorded stay (the denominator). On suppressed groups the
    counts are NaN as well as the shares.

    Returns:
        DataFrame[group, n, same_day_n, same_day_share, same_day_ci_low, same_day_ci_high,
        within_24h_n, within_24h_share, within_24h_ci_low, within_24h_ci_high, suppressed]
    """
    _check_min_cell(min_cell)
    _require(cases, [by, "length_of_stay_hours"], "Discharge timing")
    codes, labels = _group_codes(cases, by)
    n_groups = len(labels)
    stay = _numbers(cases, "length_of_stay_hours")
    keep = (codes >= 0) & ~np.isnan(stay)
    c, v = codes[keep], stay[keep]
    n = np.bincount(c, minlength=n_groups).astype(np.int64)
    same = np.bincount(c, weights=v <= SAME_DAY_MAX_HOURS, minlength=n_groups)
    within = np.bincount(c, weights=v <= WITHIN_24H_MAX_HOURS, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        same_share = np.where(n > 0, same / n, np.nan)
        within_share = np.where(n > 0, within / n, np.nan)
    same_low, same_high = _wilson(same, n)
    within_low, within_high = _wilson(within, n)
    frame = pd.DataFrame(
        {
            "group": _labels_series(labels),
            "n": n,
            "same_day_n": same.astype(np.float64),
            "same_day_share": same_share,
            "same_day_ci_low": same_low,
            "same_day_ci_high": same_high,
            "within_24h_n": within.astype(np.float64),
            "within_24h_share": within_share,
            "within_24h_ci_low": within_low,
            "within_24h_ci_high": within_high,
            "suppressed": n < min_cell,
        }
    )
    return _blank(frame, frame["suppressed"].to_numpy(), keep=("group", "n", "suppressed"))


# --------------------------------------------------------------------------------------------
# 3. Kaplan–Meier: return to work / activities
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class KMResult:
    """Kaplan–Meier estimates of the share returned over time, per group.

    curves: DataFrame[group, days, share_returned, ci_low, ci_high] — one row at day 0 plus one
        per distinct event time (thinned to at most 500 rows per group), for a step-after line.
        Suppressed groups have no curve rows (event times would reveal the cases).
    medians: DataFrame[group, n, events, censored, median_days, median_ci_low, median_ci_high, suppressed]
    at_risk: DataFrame[group, days, at_risk] — cases still under observation and not yet returned.
    dropped: rows left out: `dropped_no_time` (neither a return time nor a last follow-up
        recorded) plus, for return to work, `dropped_no_employment` (employed_before_surgery blank:
        whether they had work to return to is unknown).
    returned_after_followup: cases kept whose return day is later than their last follow-up day
        (the return is counted as an event on that day; the two columns disagree).
    """

    curves: pd.DataFrame
    medians: pd.DataFrame
    at_risk: pd.DataFrame
    dropped: int
    time_col: str
    employed_only: bool
    dropped_no_time: int = 0
    dropped_no_employment: int = 0
    returned_after_followup: int = 0


def _survival_ci(surv: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95% CI for S(t) on the complementary log-log scale (R survfit's "log-log").

    The same g(x) = log(−log x) transform that SurvfuncRight.quantile_ci uses by default, so the
    curve's band and the median's CI agree. Delta method: se_g = se / |S·log S|; the band is
    S^exp(±z·se_g). NaN where S is 0 or 1 (no variance on that scale).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        log_s = np.log(surv)
        se_g = se / np.abs(surv * log_s)
        low = surv ** np.exp(-_Z95 * se_g)  # exp(−exp(g + z·se_g)) = S^exp(z·se_g) is the lower limit
        high = surv ** np.exp(_Z95 * se_g)
    lower = np.minimum(low, high)
    upper = np.maximum(low, high)
    bad = ~((surv > 0) & (surv < 1) & np.isfinite(se_g))
    lower[bad] = np.nan
    upper[bad] = np.nan
    return lower, upper


def _thin(n_points: int, max_points: int) -> np.ndarray:
    if n_points <= max_points:
        return np.arange(n_points)
    return np.unique(np.linspace(0, n_points - 1, max_points).round().astype(np.int64))


# S(t) ≤ 0.5 is tested with this tolerance: a product of fractions that is exactly one half on
# paper (9/10 · 8/9 · 7/8 · 6/7 · 5/6) comes out a few ulps either side of 0.5 in floating point.
KM_MEDIAN_TOLERANCE = 1e-9


def km_median(surv_times: np.ndarray, surv_prob: np.ndarray) -> float:
    """Kaplan–Meier median: the smallest event time t with S(t) ≤ 0.5 (NaN if never reached).

    The standard definition (Collett, Modelling Survival Data, §2.4; Kalbfleisch & Prentice),
    compared with a tolerance of KM_MEDIAN_TOLERANCE. statsmodels' SurvfuncRight.quantile uses the
    SAS convention S(t) < 0.5 without a tolerance, so where S(t) is 0.5 on paper its answer flips
    between two adjacent event times with the last bit of floating-point rounding.
    """
    hit = np.flatnonzero(np.asarray(surv_prob, dtype=np.float64) <= 0.5 + KM_MEDIAN_TOLERANCE)
    return float(np.asarray(surv_times, dtype=np.float64)[hit[0]]) if hit.size else np.nan


def _km_times(cases: pd.DataFrame, time_col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, event, usable): the return time where recorded (event), else last follow-up (censored)."""
    returned = _numbers(cases, time_col)
    followup = _numbers(cases, "last_followup_days")
    event = ~np.isnan(returned)
    time = np.where(event, returned, followup)
    return time, event, ~np.isnan(time)


def kaplan_meier(
    cases: pd.DataFrame,
    time_col: str,
    by: str = "approach",
    min_cell: int = DEFAULT_MIN_CELL,
    employed_only: bool = False,
    at_risk_days: Sequence[int] = (0, 7, 14, 28, 42, 56, 90, 180, 365),
) -> KMResult:
    """Kaplan–Meier share returned (to work or activities) over days since surgery, per group.

    time = `time_col` where recorded (the event), else last_followup_days (censored: not yet back
    at the last contact). Rows missing both are dropped and counted in `.dropped`.
    `employed_only=True` keeps cases with employed_before_surgery == True (use it for return to
    work). share_returned = 1 − S(t) from statsmodels SurvfuncRight with Greenwood standard
    errors; the pointwise band is built on the log(−log) scale (see `_survival_ci`). Each curve
    ends at the last event time with at least `min_cell` patients still at risk (small-cell rule
    3, spinedash.privacy): later steps would each describe fewer than k patients. The median is
    `km_median` (smallest t with S(t) ≤ 0.5, with a tolerance) and its CI
    SurvfuncRight.quantile_ci(0.5) (the CI inverts log(−log) z-tests);
    a median "not reached" (fewer than half returned) is NaN, and so is an upper limit that is
    not reached (statsmodels returns infinity there).
    """
    _check_min_cell(min_cell)
    if time_col not in KM_TIME_COLUMNS:
        raise ValueError(f"time_col must be one of {', '.join(KM_TIME_COLUMNS)}, got {time_col!r}")
    what = "Return to work" if time_col == "return_to_work_days" else "Return to activities"
    needed = [by, time_col, "last_followup_days"] + (["employed_before_surgery"] if employed_only else [])
    _require(cases, needed, what)
    codes, labels = _group_codes(cases, by)
    no_employment = 0
    if employed_only:
        # Masked by code, not by building a sub-frame (~4× faster at a million rows); groups with
        # no employed case drop out, as they would from cases[employed].
        employed, recorded = _flags(cases, "employed_before_surgery")
        no_employment = int(((codes >= 0) & ~recorded).sum())
        codes, labels = _restrict_groups(codes, labels, employed)
    time, event, usable = _km_times(cases, time_col)
    in_group = codes >= 0
    no_time = int((in_group & ~usable).sum())
    dropped = no_time + no_employment
    with np.errstate(invalid="ignore"):
        late = int((in_group & event & (_numbers(cases, time_col) > _numbers(cases, "last_followup_days"))).sum())
    keep = in_group & usable
    codes, time, event = codes[keep], time[keep], event[keep]
    days = np.asarray(at_risk_days, dtype=np.float64)

    curve_groups, curve_cols = [], {c: [] for c in KM_CURVE_COLUMNS[1:]}
    median_rows, risk_groups, risk_counts = [], [], []
    for g, label in enumerate(labels):
        t, e = time[codes == g], event[codes == g]
        n, events = len(t), int(e.sum())
        suppressed = n < min_cell
        row = {"group": label, "n": n, "events": events, "censored": n - events,
               "median_days": np.nan, "median_ci_low": np.nan, "median_ci_high": np.nan, "suppressed": suppressed}  # fmt: skip
        risk_groups.append(label)
        if suppressed:
            median_rows.append(row | {"events": np.nan, "censored": np.nan})
            risk_counts.append(np.full(len(days), np.nan))
            continue
        sorted_t = np.sort(t)
        risk_counts.append((n - np.searchsorted(sorted_t, days, side="left")).astype(np.float64))
        curve = {"days": [0.0], "share_returned": [0.0], "ci_low": [0.0], "ci_high": [0.0]}
        if events:
            sf = SurvfuncRight(t, e.astype(np.float64))
            surv, se = np.asarray(sf.surv_prob), np.asarray(sf.surv_prob_se)
            s_low, s_high = _survival_ci(surv, se)
            # Small-cell rule 3: the curve ends at the last event time with ≥ k still at risk.
            end = at_risk_cut(np.asarray(sf.surv_times), np.asarray(sf.n_risk), min_cell)
            drawn = int(np.searchsorted(np.asarray(sf.surv_times, dtype=np.float64), end, side="right"))
            idx = _thin(drawn, KM_MAX_POINTS - 1)
            curve = {
                "days": np.concatenate([[0.0], np.asarray(sf.surv_times, dtype=np.float64)[idx]]),
                "share_returned": np.concatenate([[0.0], 1 - surv[idx]]),
                "ci_low": np.concatenate([[0.0], 1 - s_high[idx]]),
                "ci_high": np.concatenate([[0.0], 1 - s_low[idx]]),
            }
            with np.errstate(invalid="ignore", divide="ignore"):
                low, high = sf.quantile_ci(0.5)
            row["median_days"] = km_median(sf.surv_times, surv)
            row["median_ci_low"] = float(low) if np.isfinite(low) else np.nan
            row["median_ci_high"] = float(high) if np.isfinite(high) else np.nan
        curve_groups.append((label, len(curve["days"])))
        for column, values in curve.items():
            curve_cols[column].append(np.asarray(values, dtype=np.float64))
        median_rows.append(row)

    curves = pd.DataFrame(
        {
            "group": _labels_series([label for label, size in curve_groups for _ in range(size)]),
            **{c: np.concatenate(v) if v else np.empty(0) for c, v in curve_cols.items()},
        }
    )
    at_risk = pd.DataFrame(
        {
            "group": _labels_series([label for label in risk_groups for _ in range(len(days))]),
            "days": np.tile(days, len(risk_groups)),
            "at_risk": np.concatenate(risk_counts) if risk_counts else np.empty(0),
        }
    )
    medians = pd.DataFrame(median_rows, columns=list(KM_MEDIAN_COLUMNS)).astype(
        {"group": "str", "n": "int64", "events": "float64", "censored": "float64", "median_days": "float64",
         "median_ci_low": "float64", "median_ci_high": "float64", "suppressed": "bool"}  # fmt: skip
    )
    return KMResult(
        curves=curves,
        medians=medians,
        at_risk=at_risk,
        dropped=dropped,
        time_col=time_col,
        employed_only=employed_only,
        dropped_no_time=no_time,
        dropped_no_employment=no_employment,
        returned_after_followup=late,
    )


def km_data_notes(km: KMResult) -> list[str]:
    """Plain sentences on the cases a Kaplan–Meier view left out or read with a caveat (empty if none)."""
    notes = []
    if km.dropped:
        parts = []
        if km.dropped_no_time:
            parts.append(f"{km.dropped_no_time:,} had neither a return date nor a last follow-up")
        if km.dropped_no_employment:
            parts.append(f"{km.dropped_no_employment:,} had “working before surgery” left blank, so whether they had work to return to is unknown")
        notes.append(f"{km.dropped:,} cases are not counted: " + "; ".join(parts) + ".")
    if km.returned_after_followup:
        what = "work" if km.time_col == "return_to_work_days" else "daily activities"
        notes.append(
            f"{km.returned_after_followup:,} cases have a return to {what} later than their last follow-up day: the two "
            "columns disagree. The return day is used (counted as returned on that day); check those rows in the export."
        )
    return notes


# --------------------------------------------------------------------------------------------
# 4–6. Pain and function over time
# --------------------------------------------------------------------------------------------


def complete_followup(cases: pd.DataFrame, measure: str) -> np.ndarray:
    """True for cases with a score at every time point of `measure` that the data have a column for."""
    timepoints = _pain_timepoints(cases, measure, f"The {measure} trajectory", need_pre=False)
    every = np.ones(len(cases), dtype=bool)
    for tp in timepoints:
        every &= ~np.isnan(_numbers(cases, pain_column(measure, tp)))
    return every


def complete_followup_count(cases: pd.DataFrame, measure: str) -> tuple[int, int]:
    """(patients with a score at every time point of `measure`, all patients)."""
    return int(complete_followup(cases, measure).sum()), len(cases)


def pain_trajectory(
    cases: pd.DataFrame, measure: str, by: str = "approach", min_cell: int = DEFAULT_MIN_CELL, complete_only: bool = False
) -> pd.DataFrame:
    """Mean score with a t-based 95% CI at each recorded time point, per group.

    `measure` is any measure of the catalogue (schema.MEASURES). Time points whose column
    is absent from the data are left out; MissingColumnError only if none is present. By default
    each group × time point uses every case with that score ("all available"), so `n` varies with
    follow-up and the patients differ between time points: if patients who do badly stop coming,
    later means look better with no sign of it. `complete_only=True` keeps only the patients with
    a score at every time point (`complete_followup`): the same patients throughout, fewer of
    them. Only "pre" (before surgery) is the baseline. A measure the catalogue shows only as a share
    (an ordinal answer, `summary` "share") has no mean: ValueError.

    Returns:
        DataFrame[group, timepoint, timepoint_label, day, n, mean, ci_low, ci_high, sd, suppressed, is_baseline]
    """
    _check_min_cell(min_cell)
    if measure in MEASURES and not MEASURES[measure].has_mean:
        raise ValueError(share_only_sentence(measure))
    timepoints = _pain_timepoints(cases, measure, f"The {measure} trajectory", need_pre=False)
    _require(cases, [by], f"The {measure} trajectory")
    codes, labels = _group_codes(cases, by)
    if complete_only:
        codes, labels = _restrict_groups(codes, labels, complete_followup(cases, measure))
    n_groups = len(labels)
    blocks = []
    for tp in timepoints:
        n, mean, sd = _mean_sd(codes, _numbers(cases, pain_column(measure, tp)), n_groups)
        low, high = _t_interval(mean, sd, n)
        suppressed = n < min_cell
        block = pd.DataFrame(
            _timepoint_block(labels, tp)
            | {"n": n, "mean": mean, "ci_low": low, "ci_high": high, "sd": sd, "suppressed": suppressed,
               "is_baseline": np.full(n_groups, tp == "pre")}  # fmt: skip
        )
        blocks.append(_blank(block, suppressed, keep=("group", "timepoint", "timepoint_label", "day", "n", "suppressed", "is_baseline")))
    return _stack(blocks, TRAJECTORY_COLUMNS, n_groups)


def _paired(cases: pd.DataFrame, measure: str, tp: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pre, value at tp, both recorded)."""
    pre = _numbers(cases, pain_column(measure, "pre"))
    value = _numbers(cases, pain_column(measure, tp))
    return pre, value, ~np.isnan(pre) & ~np.isnan(value)


def pain_change(cases: pd.DataFrame, measure: str, by: str = "approach", min_cell: int = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Mean paired change from before surgery at each follow-up time point, with t-based 95% CI.

    change = score at the time point − score before surgery, among cases with both recorded;
    for a lower-is-better score a NEGATIVE change is an IMPROVEMENT (less pain, less disability),
    for a higher-is-better one (EQ-5D, mJOA) a POSITIVE change is (schema.MEASURES[m].sign).
    "pre" itself is excluded. A rating (satisfaction) has no change: ValueError.

    Returns:
        DataFrame[group, timepoint, timepoint_label, day, n, mean_change, ci_low, ci_high, suppressed]
    """
    _check_min_cell(min_cell)
    if measure in MEASURES and MEASURES[measure].kind == "rating":
        raise ValueError(f"{MEASURES[measure].label} is a rating after surgery, not a change from before it.")
    timepoints = _pain_timepoints(cases, measure, f"The {measure} change from before surgery", need_pre=True)
    _require(cases, [by], f"The {measure} change from before surgery")
    codes, labels = _group_codes(cases, by)
    n_groups = len(labels)
    blocks = []
    for tp in timepoints:
        pre, value, both = _paired(cases, measure, tp)
        change = np.where(both, value - pre, np.nan)
        n, mean, sd = _mean_sd(codes, change, n_groups)
        low, high = _t_interval(mean, sd, n)
        suppressed = n < min_cell
        block = pd.DataFrame(
            _timepoint_block(labels, tp) | {"n": n, "mean_change": mean, "ci_low": low, "ci_high": high, "suppressed": suppressed}
        )
        blocks.append(_blank(block, suppressed, keep=("group", "timepoint", "timepoint_label", "day", "n", "suppressed")))
    return _stack(blocks, CHANGE_COLUMNS, n_groups)


def _responders(
    pre: np.ndarray, value: np.ndarray, both: np.ndarray, threshold: float, relative: bool, sign: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """(counted in the denominator, responder) per case. `sign` −1: a fall is better; +1: a rise is."""
    improvement = sign * (value - pre)
    if relative:
        counted = both & (pre > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            responder = counted & (100.0 * improvement / pre >= threshold - _EPS)
    else:
        counted = both
        responder = counted & (improvement >= threshold - _EPS)
    return counted, responder


def mcid_rates(
    cases: pd.DataFrame,
    measure: str,
    threshold: float,
    by: str = "approach",
    min_cell: int = DEFAULT_MIN_CELL,
    relative: bool = False,
    exclude_cannot_reach: bool = False,
) -> pd.DataFrame:
    """Share of responders (improved by at least `threshold`) at each follow-up time point, Wilson CIs.

    Responder: the improvement from before surgery ≥ threshold points — score before − score
    after for a lower-is-better score, after − before for a higher-is-better one (EQ-5D, mJOA) —
    or with relative=True ≥ threshold percent of the score before surgery (cases with 0 before
    surgery are then not counted). Denominator `n`: cases with both scores. See MCID_DEFINITION.
    For a rating (satisfaction 1–5) `threshold` is the cut-off: a responder rated at or beyond it
    (≥ for higher-is-better), among cases with a rating at the time point.

    `cannot_reach`: patients in the denominator whose score before surgery leaves less room than
    the threshold (`cannot_reach_mcid`: VAS back 2 with an MCID of 2.7 cannot improve by 2.7) —
    they can never respond and pull the share down whatever the operation achieved. With
    `exclude_cannot_reach=True` they are left out of `n` (and `cannot_reach` says how many were).

    Returns:
        DataFrame[group, timepoint, timepoint_label, day, n, responders, share, ci_low, ci_high, suppressed, cannot_reach]
    """
    _check_min_cell(min_cell)
    timepoints = _pain_timepoints(cases, measure, f"The {measure} responder rate", need_pre=True)
    _require(cases, [by], f"The {measure} responder rate")
    codes, labels = _group_codes(cases, by)
    n_groups = len(labels)
    in_group = codes >= 0
    blocks = []
    info = MEASURES[measure]
    for tp in timepoints:
        if info.kind == "rating":
            value = _numbers(cases, pain_column(measure, tp))
            counted = ~np.isnan(value)
            responder = counted & (info.sign * (value - threshold) >= -_EPS)
            unreachable = np.zeros(len(cases), dtype=bool)
        else:
            pre, value, both = _paired(cases, measure, tp)
            counted, responder = _responders(pre, value, both, threshold, relative, info.sign)
            unreachable = counted & cannot_reach_mcid(pre, measure, threshold, relative)
            if exclude_cannot_reach:
                counted, responder = counted & ~unreachable, responder & ~unreachable
        n = np.bincount(codes[in_group & counted], minlength=n_groups).astype(np.int64)
        blocked = np.bincount(codes[in_group & unreachable], minlength=n_groups).astype(np.float64)
        hits = np.bincount(codes[in_group & responder], minlength=n_groups).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, hits / n, np.nan)
        low, high = _wilson(hits, n)
        suppressed = n < min_cell
        block = pd.DataFrame(
            _timepoint_block(labels, tp)
            | {"n": n, "responders": hits, "share": share, "ci_low": low, "ci_high": high, "suppressed": suppressed,
               "cannot_reach": blocked}  # fmt: skip
        )
        blocks.append(_blank(block, suppressed, keep=("group", "timepoint", "timepoint_label", "day", "n", "suppressed")))
    return _stack(blocks, MCID_COLUMNS, n_groups)


def cannot_reach_sentence(rates: pd.DataFrame, threshold: float, measure_label: str, excluded: bool, timepoint: str = "12m") -> str:
    """One sentence on the patients who can never respond, from `mcid_rates(...)` (shown groups only).

    E.g. "At 12 months, 322 of 1,652 patients (19%) had a VAS back score before surgery too low to
    improve by 2.7 points: they can never count as responders. They are included in the share."
    Empty when the time point is absent or nobody is affected.
    """
    rows = rates[(rates["timepoint"] == timepoint) & ~rates["suppressed"]]
    if rows.empty:
        rows = rates[~rates["suppressed"]]
        if rows.empty:
            return ""
        timepoint = str(rows["timepoint"].iloc[-1])
        rows = rows[rows["timepoint"] == timepoint]
    blocked = int(np.nansum(rows["cannot_reach"].to_numpy(dtype=np.float64)))
    if blocked == 0:
        return ""
    counted = int(rows["n"].sum()) + (blocked if excluded else 0)
    when = timepoint_label(timepoint)
    head = (
        f"At {when}, {blocked:,} of {counted:,} patients ({blocked / counted:.0%}) had a {measure_label} score before "
        f"surgery that leaves less than {threshold:g} points to improve: they can never count as responders."
    )
    tail = " They are left out of the shares below." if excluded else " They are included in the shares below, which they pull down."
    return head + tail


def cannot_reach_mcid(pre: np.ndarray, measure: str, threshold: float, relative: bool = False) -> np.ndarray:
    """True where the score before surgery leaves less room to improve than the threshold.

    A lower-is-better score can fall at most to the scale's minimum (pre − min), a higher-is-better
    one rise at most to its maximum (max − pre); with a relative threshold the room is that change
    as a percentage of the score before surgery. Such a patient can never count as a responder.
    """
    info = MEASURES[measure]
    pre = np.asarray(pre, dtype=np.float64)
    room = pre - info.scale_min if info.sign < 0 else info.scale_max - pre
    if relative:
        with np.errstate(invalid="ignore", divide="ignore"):
            room = np.where(pre > 0, 100.0 * room / pre, np.inf)
    return ~np.isnan(pre) & (room < threshold - _EPS)


# --------------------------------------------------------------------------------------------
# 7. Two groups side by side (approach vs approach, surgeon X vs the rest)
# --------------------------------------------------------------------------------------------


def _as_mask(mask: object, n_rows: int, name: str) -> np.ndarray:
    if isinstance(mask, pd.Series):
        values = mask.astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        values = np.asarray(mask)
        if values.dtype != bool:
            values = pd.array(values, dtype="boolean").fillna(False).to_numpy(dtype=bool)
    if values.shape != (n_rows,):
        raise ValueError(f"{name} must be one true/false value per case ({n_rows}), got shape {values.shape}")
    return values


def _fmt(x: float, decimals: int = 1, strip: bool = True) -> str:
    """1.0 -> "1", 2.35 -> "2.4", 20 -> "20" (strip=False keeps "1.0", for scores)."""
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if strip and "." in text else text


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "no test was possible"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _chance(p: float) -> str:
    if not np.isfinite(p):
        return "no test was possible"
    verdict = "is unlikely to be chance" if p < 0.05 else "could well be chance"
    return f"a difference this large {verdict} ({_fmt_p(p)})"


def _more_less(diff: float, small: str, big: str) -> str:
    return small if diff < 0 else big


def _bootstrap_medians(sorted_x: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Medians of `resamples` ordinary bootstrap resamples of sorted_x, drawn exactly in O(resamples).

    A resample is n independent uniform picks among the n sorted values; pick = ceil(n·U) with
    U ~ Uniform(0, 1) keeps the order, so the resample's k-th smallest value is
    sorted_x[ceil(n·U_(k)) − 1] where U_(k) is the k-th order statistic of n uniforms:
    U_(m) ~ Beta(m, n − m + 1), and given U_(m) = u, U_(m+1) = u + (1 − u)·Beta(1, n − m)
    (the least of the n − m uniforms above u). So the bootstrap median (the middle value, or the
    mean of the two middle values for even n) is drawn without materialising any resample —
    identical in distribution to np.median(rng.choice(x, n)) and fast at a million cases.
    """
    n = len(sorted_x)
    m = (n + 1) // 2
    u_m = rng.beta(m, n - m + 1, size=resamples)
    k_m = np.clip(np.ceil(n * u_m).astype(np.int64), 1, n)
    if n % 2:
        return sorted_x[k_m - 1]
    u_next = u_m + (1 - u_m) * rng.beta(1, n - m, size=resamples)
    k_next = np.clip(np.ceil(n * u_next).astype(np.int64), 1, n)
    return (sorted_x[k_m - 1] + sorted_x[k_next - 1]) / 2


def _row(outcome: str, unit: str, n_a: int, n_b: int, test: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {c: np.nan for c in COMPARE_COLUMNS}
    row.update(outcome=outcome, unit=unit, n_a=n_a, n_b=n_b, test=test, sentence="", suppressed=False, adjusted_measure=DIFFERENCE)
    row.update(values)
    return row


def _times_as_long(ratio: float, longer: str, shorter: str) -> str:
    """0.62 -> '38% shorter', 1.25 -> '25% longer' (a ratio B / A in words)."""
    if ratio == 1:
        return "the same"
    return f"{_fmt(abs(ratio - 1) * 100, 0)}% {longer if ratio > 1 else shorter}"


def _stay_row(
    stay: np.ndarray, a: np.ndarray, b: np.ndarray, label_a: str, label_b: str,
    adj: _Adjustment | None = None, min_cell: int = DEFAULT_MIN_CELL,
) -> dict[str, object]:
    x_a, x_b = np.sort(stay[a & ~np.isnan(stay)]), np.sort(stay[b & ~np.isnan(stay)])
    test = f"medians; bootstrap percentile 95% CI ({BOOTSTRAP_RESAMPLES:,} resamples); Mann–Whitney U"
    if adj is not None and adj.method != "none":
        test += "; adjusted: ratio of geometric means from " + (
            "least squares of log stay on case mix (robust SE)" if adj.method == "regression" else
            "inverse-probability-weighted least squares of log stay (robust SE)")
    row = _row("Length of stay", "hours", len(x_a), len(x_b), test, adjusted_measure=GEOMETRIC_MEAN_RATIO)
    if len(x_a) == 0 or len(x_b) == 0:
        return row
    med_a, med_b = float(np.median(x_a)), float(np.median(x_b))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    boot = _bootstrap_medians(x_b, rng, BOOTSTRAP_RESAMPLES) - _bootstrap_medians(x_a, rng, BOOTSTRAP_RESAMPLES)
    low, high = np.percentile(boot, [2.5, 97.5])
    p = float(stats.mannwhitneyu(x_b, x_a, alternative="two-sided").pvalue)
    diff = med_b - med_a
    if diff == 0:
        sentence = f"Median stay was the same with {label_b} and {label_a} ({_fmt(med_a)} h); {_chance(p)}."
    else:
        sentence = (
            f"Median stay was {_fmt(abs(diff))} hours {_more_less(diff, 'shorter', 'longer')} with {label_b} "
            f"({_fmt(med_b)} h) than with {label_a} ({_fmt(med_a)} h); {_chance(p)}."
        )
    # Ratio of geometric means: least squares on log stay (stays are skewed: a few long ones). A stay
    # recorded as 0 hours has no logarithm and is left out of the ratio (not of the medians).
    with np.errstate(divide="ignore", invalid="ignore"):
        log_stay = np.where(stay > 0, np.log(np.where(stay > 0, stay, 1.0)), np.nan)
    rows = (a | b) & ~np.isnan(log_stay)
    crude = casemix.group_effect(log_stay[rows], b[rows], robust=True)
    ratios = {"ratio": np.exp(crude[0]), "ratio_ci_low": np.exp(crude[1]), "ratio_ci_high": np.exp(crude[2])}
    adjusted: dict[str, object] = {"adjusted_for": "not adjusted"}
    # Adjusted only when there is something to adjust for (else it would repeat the unadjusted ratio).
    if adj is not None and adj.method != "none" and adj.labels:
        (coef, c_low, c_high, c_p), covariates, n_adj_a, n_adj_b, terms = _adjusted(adj, log_stay, a | b, b, None, robust=True)
        if min(n_adj_a, n_adj_b) >= min_cell and np.isfinite(coef):
            ratio = float(np.exp(coef))
            adjusted = {"adjusted_difference": ratio, "adjusted_ci_low": float(np.exp(c_low)), "adjusted_ci_high": float(np.exp(c_high)),
                        "adjusted_p_value": c_p, "adjusted_for": covariates} | terms
            sentence = sentence[:-1] + (
                f"; adjusted for {covariates}, stays with {label_b} were {_times_as_long(ratio, 'longer', 'shorter')} than "
                f"with {label_a} (ratio of geometric means {ratio:.2f}, 95% CI {np.exp(c_low):.2f} to {np.exp(c_high):.2f}; "
                f"{_fmt_p(c_p)}).")
        else:
            sentence = sentence[:-1] + "; not adjusted: too few cases in a group with the covariates recorded."
    return row | {"value_a": med_a, "value_b": med_b, "difference": diff, "diff_ci_low": low, "diff_ci_high": high,
                  "p_value": p, "sentence": sentence} | ratios | adjusted  # fmt: skip


def _blank_employment_note(blank: int, min_cell: int) -> str:
    """The return-to-work row's words for cases whose 'working before surgery' is blank (as on Recovery)."""
    if not blank:
        return ""
    cases_word = "case" if blank == 1 else "cases"
    return (f" {privacy.count_text(blank, min_cell)} {cases_word} in the two groups had “working before surgery” left "
            "blank and are not counted (whether they had work to return to is unknown).")


def _return_to_work_row(
    cases: pd.DataFrame, a: np.ndarray, b: np.ndarray, label_a: str, label_b: str, min_cell: int = DEFAULT_MIN_CELL,
    adj: _Adjustment | None = None, time_col: str = "return_to_work_days",
) -> dict[str, object]:
    """Return to work (patients working before surgery) or, with time_col "return_to_activities_days",
    to daily activities (every patient): KM medians, bootstrap CI of their difference, log-rank, Cox HR."""
    work = time_col == "return_to_work_days"
    what, back = ("return to work", "returned to work") if work else ("return to daily activities", "returned to daily activities")
    time, event, usable = _km_times(cases, time_col)
    if work:
        employed, recorded = _flags(cases, "employed_before_surgery")
        blank = int(((a | b) & ~recorded).sum())
    else:
        employed, blank = np.ones(len(cases), dtype=bool), 0
    in_a, in_b = a & employed & usable, b & employed & usable
    test = ("Kaplan–Meier medians (employed before surgery; a blank “working before surgery” is not counted); " if work
            else "Kaplan–Meier medians; ") + f"bootstrap percentile 95% CI ({BOOTSTRAP_RESAMPLES:,} resamples); log-rank"
    if adj is not None and adj.method != "none":
        test += "; adjusted: hazard ratio from a Cox model (Breslow ties) " + (
            "on case mix" if adj.method == "regression" else "with inverse-probability weights (robust SE)")
    row = _row(what.capitalize(), "days", int(in_a.sum()), int(in_b.sum()), test, adjusted_measure=HAZARD_RATIO)
    if not in_a.any() or not in_b.any():
        return row

    def median(mask: np.ndarray) -> float:
        if not event[mask].any():
            return np.nan
        sf = SurvfuncRight(time[mask], event[mask].astype(np.float64))
        return km_median(sf.surv_times, sf.surv_prob)

    med_a, med_b = median(in_a), median(in_b)
    both = in_a | in_b
    p = np.nan
    if event[both].any():
        _, p = survdiff(time[both], event[both].astype(np.float64), np.where(in_b[both], 1, 0))
        p = float(p)
    diff = med_b - med_a
    if np.isnan(diff):

        def reached(v: float) -> str:
            return f"{_fmt(v)} days" if np.isfinite(v) else f"not reached (fewer than half back{' at work' if work else ''})"

        sentence = (
            f"Median {what} was {reached(med_b)} with {label_b} and {reached(med_a)} with {label_a}; "
            f"log-rank comparison of the whole curves: {_chance(p)}."
        )
    elif diff == 0:
        sentence = f"Median {what} was {_fmt(med_a)} days with both {label_b} and {label_a}; {_chance(p)}."
    else:
        sentence = (
            f"Median {what} was {_fmt(abs(diff))} days {_more_less(diff, 'sooner', 'later')} with {label_b} "
            f"({_fmt(med_b)} days) than with {label_a} ({_fmt(med_a)} days); {_chance(p)}."
        )
    # CI of the difference of the two medians: bootstrap (no simple closed form exists); NaN where
    # more than 2.5% of resamples do not reach a median in a group (the interval would be open).
    low = high = np.nan
    if np.isfinite(diff):
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        boot = (_bootstrap_km_medians(time[in_b], event[in_b], rng, BOOTSTRAP_RESAMPLES)
                - _bootstrap_km_medians(time[in_a], event[in_a], rng, BOOTSTRAP_RESAMPLES))
        if np.isnan(boot).mean() <= 0.025:
            low, high = np.percentile(np.where(np.isnan(boot), np.inf, boot), [2.5, 97.5])
            low, high = (float(v) if np.isfinite(v) else np.nan for v in (low, high))
    rows = in_a | in_b
    g = in_b[rows]
    crude = casemix.hazard_ratio(time[rows], event[rows], g)
    ratios = {"ratio": crude[0], "ratio_ci_low": crude[1], "ratio_ci_high": crude[2]}
    adjusted: dict[str, object] = {"adjusted_for": "not adjusted"}
    if adj is not None and adj.method != "none" and adj.labels:
        if adj.method == "weighting":
            hr = casemix.hazard_ratio(time[rows], event[rows], g, weights=adj.weights[rows])
            covariates = casemix.join_words(adj.labels) if adj.labels else "nothing (no covariate could be used in the propensity score)"
            terms = _terms(adj.labels, adj.left_out)
        else:
            kept, used, dropped = _within_budget(adj, int(event[rows].sum()), 1)
            hr = ((float("nan"),) * 4 if kept < 0
                  else casemix.hazard_ratio(time[rows], event[rows], g, covariates=adj.covariates[rows][:, :kept]))
            covariates = (casemix.join_words(used) if used else "nothing (no covariate could be used)") + (f" ({dropped})" if dropped else "")
            terms = _terms(used, (*adj.labels[len(used):], *adj.left_out))
        if min(int(in_a.sum()), int(in_b.sum())) >= min_cell and np.isfinite(hr[0]):
            adjusted = {"adjusted_difference": hr[0], "adjusted_ci_low": hr[1], "adjusted_ci_high": hr[2], "adjusted_p_value": hr[3],
                        "adjusted_for": covariates} | terms
            if hr[0] == 1:
                pace = f"{back} at the same pace"
            else:
                pace = (f"{back} {'sooner' if hr[0] > 1 else 'later'}: at any time after surgery, "
                        f"{_fmt(hr[0], 2)} times as likely to return as those with {label_a}")
            sentence = sentence[:-1] + (f"; adjusted for {covariates}, patients with {label_b} {pace} (hazard ratio "
                                        f"{hr[0]:.2f}, 95% CI {hr[1]:.2f} to {hr[2]:.2f}; {_fmt_p(hr[3])}).")
        else:
            sentence = sentence[:-1] + "; not adjusted: too few cases or returns in a group."
    sentence += _blank_employment_note(blank, min_cell)
    return row | {"value_a": med_a, "value_b": med_b, "difference": diff, "diff_ci_low": low, "diff_ci_high": high,
                  "p_value": p, "sentence": sentence} | ratios | adjusted  # fmt: skip


def km_median_from_counts(times: np.ndarray, events: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Kaplan–Meier medians from counts per distinct time (times ascending; rows of `events` / `censored`
    are separate samples). Same definition as km_median: the smallest time with S(t) ≤ 0.5; NaN if never.

    A case censored at a time is still at risk at that time (as statsmodels SurvfuncRight counts).
    """
    events = np.atleast_2d(np.asarray(events, dtype=np.float64))
    censored = np.atleast_2d(np.asarray(censored, dtype=np.float64))
    total = events.sum(axis=1, keepdims=True) + censored.sum(axis=1, keepdims=True)
    before = np.cumsum(events + censored, axis=1) - (events + censored)
    at_risk = total - before
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(at_risk > 0, 1 - events / np.where(at_risk > 0, at_risk, 1.0), 1.0), axis=1)
    hit = (surv <= 0.5 + KM_MEDIAN_TOLERANCE) & (events > 0)
    first = hit.argmax(axis=1)
    return np.where(hit.any(axis=1), np.asarray(times, dtype=np.float64)[first], np.nan)


def _bootstrap_km_medians(time: np.ndarray, event: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Kaplan–Meier medians of `resamples` ordinary bootstrap resamples of (time, event), drawn exactly.

    A resample of n cases with replacement holds each distinct (time, returned or not) pair a
    multinomial number of times (n draws, probabilities = the pairs' shares), and the Kaplan–Meier
    estimate depends on the cases only through those counts; so the resamples are drawn as counts
    over the pairs (a few hundred whole days) and never materialised — the same distribution as
    resampling cases, and fast at a million cases.
    """
    times, inverse = np.unique(time, return_inverse=True)
    cell = inverse * 2 + event.astype(np.int64)
    counts = np.bincount(cell, minlength=2 * len(times)).astype(np.float64)
    draws = rng.multinomial(len(time), counts / counts.sum(), size=resamples).reshape(resamples, len(times), 2)
    return km_median_from_counts(times, draws[:, :, 1], draws[:, :, 0])


ADJUSTMENTS: dict[str, str] = {
    "regression": "Regression on case mix",
    "weighting": "Inverse-probability weighting (propensity score)",
    "none": "None (raw difference only)",
}
# What Compare adjusts for by default (issue 14): condition, age, sex, level, and the outcome's own
# score before surgery. Approach is not among them: it is often what is being compared.
COMPARE_CASE_MIX: tuple[tuple[str, str, str], ...] = tuple(c for c in casemix.CASE_MIX if c[0] != "approach")




@dataclass(frozen=True)
class _Adjustment:
    """How compare_groups adjusts, prepared once for the two groups' cases (full-length arrays)."""

    method: str
    covariates: np.ndarray  # n_cases × terms (zeros outside the two groups); regression only
    labels: tuple[str, ...]  # covariates used, in words
    left_out: tuple[str, ...]
    weights: np.ndarray | None  # weighting only
    spans: tuple[int, ...] = ()  # regression: how many columns of `covariates` each label holds, in order


def _within_budget(adj: _Adjustment, units: int, fixed_terms: int) -> tuple[int, tuple[str, ...], str]:
    """How many of the regression's covariate columns a model on `units` cases (or, for Cox, events) can carry.

    The rule the funnel's case-mix model uses (casemix.EVENTS_PER_TERM, Peduzzi 1996: about 10 per
    term): the group (and the score before surgery) are `fixed_terms`; covariates are left out from
    the end of COMPARE_CASE_MIX while the model would hold fewer than 10 per term. Returns the number
    of columns kept, their labels, and words for what was left out ("" when nothing was). A negative
    budget for the fixed terms alone gives (-1, (), …): too few to adjust at all.
    """
    budget = units // casemix.EVENTS_PER_TERM - fixed_terms
    if budget < 0:
        return -1, (), "too few cases to adjust: fewer than 10 per term"
    columns, used = 0, []
    for label, width in zip(adj.labels, adj.spans, strict=True):
        if columns + width > budget:
            break
        columns += width
        used.append(label)
    dropped = adj.labels[len(used):]
    if not used and dropped and fixed_terms == 1:
        # Room for the group alone: the "adjusted" estimate would only repeat the raw one under another name.
        return -1, (), "too few cases to adjust: fewer than 10 per term"
    note = f"{casemix.join_words(dropped)} left out: too few cases for more terms, fewer than 10 per term" if dropped else ""
    return columns, tuple(used), note


def propensity_covariates(cases: pd.DataFrame) -> list[tuple[str, str, str]]:
    """What Compare's propensity score is fitted on: the scores before surgery, then COMPARE_CASE_MIX."""
    wanted = [(pain_column(m, "pre"), "number", f"{_score_word(m)} before surgery") for m in _compared_measures(cases)]
    return [*wanted, *COMPARE_CASE_MIX]


def _prepare_adjustment(
    cases: pd.DataFrame, a: np.ndarray, b: np.ndarray, method: str, propensity: tuple[np.ndarray, casemix.CaseMixModel] | None = None
) -> _Adjustment:
    both = np.flatnonzero(a | b)
    sub = cases.iloc[both]
    if method == "none" or len(both) == 0:
        return _Adjustment("none", np.zeros((len(cases), 0)), (), (), None)
    if method == "regression":
        covs, left_out = casemix.design(sub, COMPARE_CASE_MIX)
        full = np.zeros((len(cases), sum(c.columns.shape[1] for c in covs)))
        if covs:
            full[both] = casemix.design_matrix(covs)
        return _Adjustment("regression", full, tuple(c.label for c in covs), tuple(left_out), None,
                           tuple(c.columns.shape[1] for c in covs))
    weights_sub, model = propensity or casemix.propensity_weights(sub, b[both], propensity_covariates(cases))
    weights = np.zeros(len(cases))
    weights[both] = weights_sub
    return _Adjustment("weighting", np.zeros((len(cases), 0)), model.used, model.left_out, weights)


def _compared_measures(cases: pd.DataFrame) -> list[str]:
    """The catalogue's scores compared at 12 months: those whose 12-month column the cases have."""
    return [m for m, info in MEASURES.items() if info.kind == "score" and f"{m}_12m" in cases.columns]


def _score_word(measure: str) -> str:
    """The score as a Compare row names it, from the catalogue: a disability index by its short name
    ("ODI", "NDI"), anything else by its label ("VAS leg pain", "EQ-5D index")."""
    m = MEASURES[measure]
    return m.short_label if m.family == "disability" else m.label


def _mcid_word(measure: str) -> str:
    """The score in a sentence ("Leg pain improved by…"): a pain score by what hurts (its label
    without the instrument's name: "VAS leg pain" -> "Leg pain"), anything else as `_score_word`."""
    m = MEASURES[measure]
    if m.family == "pain" and m.label.startswith(m.short_label.split()[0] + " "):
        rest = m.label.split(" ", 1)[1]
        return rest[:1].upper() + rest[1:]
    return _score_word(measure)


def _adjusted(
    adj: _Adjustment, y: np.ndarray, rows: np.ndarray, group_b: np.ndarray, baseline: tuple[np.ndarray, str] | None, robust: bool
) -> tuple[tuple[float, float, float, float], str, int, int, dict[str, str]]:
    """The B-vs-A effect on y over `rows` (recorded cases of either group): coefficient, CI, p; words; n per group; terms."""
    ok = rows & ~np.isnan(y)
    if adj.method == "regression" and baseline is not None:
        ok &= ~np.isnan(baseline[0])
    g = group_b[ok]
    n_b = int(g.sum())
    n_a = int(len(g) - n_b)
    if adj.method == "weighting":
        effect = casemix.group_effect(y[ok], g, weights=adj.weights[ok])
        words = casemix.join_words(adj.labels) if adj.labels else "nothing (no covariate could be used in the propensity score)"
        return effect, words, n_a, n_b, _terms(adj.labels, adj.left_out)
    kept, used, dropped = _within_budget(adj, int(ok.sum()), 1 + (baseline is not None))
    if kept < 0:
        return (float("nan"),) * 4, dropped, n_a, n_b, _terms((), (*adj.labels, *adj.left_out))
    columns = [adj.covariates[ok][:, :kept]]
    labels = list(used)
    if baseline is not None:
        columns.insert(0, baseline[0][ok][:, None])
        labels.insert(0, baseline[1])
    X = np.column_stack(columns) if sum(c.shape[1] for c in columns) else None
    effect = casemix.group_effect(y[ok], g, X, robust=robust)
    words = casemix.join_words(labels) if labels else "nothing (no covariate could be used)"
    return effect, words + (f" ({dropped})" if dropped else ""), n_a, n_b, _terms(labels, (*adj.labels[len(used):], *adj.left_out))


def _terms(used, left_out) -> dict[str, str]:
    """A row's adjusted_terms and left_out_terms (see COMPARE_COLUMNS)."""
    return {"adjusted_terms": TERM_SEPARATOR.join(used), "left_out_terms": TERM_SEPARATOR.join(left_out)}


def _score_row(
    cases: pd.DataFrame, measure: str, a: np.ndarray, b: np.ndarray, label_a: str, label_b: str, min_cell: int, adj: _Adjustment
) -> dict[str, object]:
    info = MEASURES[measure]
    word = _score_word(measure)  # "VAS leg pain", "NDI disability", "EQ-5D index"
    unit = f"points ({info.scale})"
    better = "higher" if info.higher_is_better else "lower"
    keep = a | b
    y = _numbers(cases, pain_column(measure, "12m"))
    rec = ~np.isnan(y)
    x_a, x_b = y[a & rec], y[b & rec]
    row = _row(f"{word} at 12 months", unit, len(x_a), len(x_b), "means; Welch t; adjusted difference by " +
               ("least squares on case mix" if adj.method == "regression" else "inverse-probability weighting" if adj.method == "weighting" else "none"))
    if len(x_a) == 0 or len(x_b) == 0:
        return row
    mean_a, mean_b = float(x_a.mean()), float(x_b.mean())
    diff = mean_b - mean_a
    low = high = p = np.nan
    if len(x_a) > 1 and len(x_b) > 1:
        res = stats.ttest_ind(x_b, x_a, equal_var=False)
        p = float(res.pvalue)
        ci = res.confidence_interval(0.95)
        low, high = float(ci.low), float(ci.high)

    adjusted = {"adjusted_difference": np.nan, "adjusted_ci_low": np.nan, "adjusted_ci_high": np.nan, "adjusted_p_value": np.nan,
                "adjusted_for": "not adjusted"}
    pre_col = pain_column(measure, "pre")
    if adj.method == "none":
        adjusted_text = "not adjusted for case mix"
    else:
        baseline = (_numbers(cases, pre_col), "the score before surgery") if pre_col in cases.columns and adj.method == "regression" else None
        (coef, c_low, c_high, c_p), covariates, n_adj_a, n_adj_b, terms = _adjusted(adj, y, keep, b, baseline, robust=False)
        if adj.method == "regression" and baseline is None:
            covariates += " (no score before surgery recorded)"
        if min(n_adj_a, n_adj_b) < min_cell or not np.isfinite(coef):
            adjusted_text = "not adjusted: too few cases in a group with the covariates recorded"
        else:
            adjusted.update(adjusted_difference=coef, adjusted_ci_low=c_low, adjusted_ci_high=c_high, adjusted_p_value=c_p,
                            adjusted_for=covariates, **terms)
            direction = "the same" if coef == 0 else f"{_fmt(abs(coef))} points {_more_less(coef, 'lower', 'higher')}"
            direction += "" if coef == 0 else f" ({better} is better)"
            adjusted_text = f"adjusted for {covariates}, {label_b} was {direction} ({_fmt_p(c_p)})"
    head = (
        f"Mean {word} at 12 months was the same with {label_b} and {label_a} ({_fmt(mean_a, strip=False)})"
        if diff == 0
        else f"Mean {word} at 12 months was {_fmt(abs(diff))} points {_more_less(diff, 'lower', 'higher')} with {label_b} "
        f"({_fmt(mean_b, strip=False)}) than with {label_a} ({_fmt(mean_a, strip=False)})"
    )
    sentence = f"{head}; {_chance(p)}; {adjusted_text}."
    return row | {"value_a": mean_a, "value_b": mean_b, "difference": diff, "diff_ci_low": low, "diff_ci_high": high,
                  "p_value": p, "sentence": sentence} | adjusted  # fmt: skip


def _proportion_row(
    outcome: str, hit: np.ndarray, counted: np.ndarray, a: np.ndarray, b: np.ndarray, phrase: str, label_a: str, label_b: str,
    adj: _Adjustment | None = None, baseline: tuple[np.ndarray, str] | None = None, min_cell: int = DEFAULT_MIN_CELL,
) -> dict[str, object]:
    """Difference of two proportions (B − A): Newcombe hybrid-score CI, Miettinen–Nurminen score test.

    Adjusted (regression): a linear probability model y ~ group + covariates with HC1 robust
    errors, whose group coefficient is a risk difference; (weighting): the weighted difference.
    """
    n_a, n_b = int((a & counted).sum()), int((b & counted).sum())
    k_a, k_b = int((a & counted & hit).sum()), int((b & counted & hit).sum())
    how = "" if adj is None or adj.method == "none" else "; adjusted risk difference by " + (
        "least squares on case mix (robust SE)" if adj.method == "regression" else "inverse-probability weighting")
    row = _row(outcome, "share of patients", n_a, n_b, "proportions; Newcombe CI; score test" + how)
    if n_a == 0 or n_b == 0:
        return row
    p_a, p_b = k_a / n_a, k_b / n_b
    low, high = confint_proportions_2indep(k_b, n_b, k_a, n_a, method="newcomb", compare="diff")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = float(test_proportions_2indep(k_b, n_b, k_a, n_a, method="score", compare="diff").pvalue)
    diff = p_b - p_a
    points = _fmt(abs(diff) * 100)
    gap = "no difference" if diff == 0 else f"{points} percentage points {_more_less(diff, 'fewer', 'more')} with {label_b}"
    sentence = (
        f"{phrase} {_fmt(p_b * 100)}% with {label_b} ({k_b} of {n_b}) and {_fmt(p_a * 100)}% with {label_a} "
        f"({k_a} of {n_a}), {gap}; {_chance(p)}"
    )
    adjusted: dict[str, object] = {"adjusted_for": "not adjusted"}
    if adj is not None and adj.method != "none":
        y = np.where(counted, hit.astype(np.float64), np.nan)
        (coef, c_low, c_high, c_p), covariates, n_adj_a, n_adj_b, terms = _adjusted(adj, y, (a | b) & counted, b, baseline, robust=True)
        if min(n_adj_a, n_adj_b) >= min_cell and np.isfinite(coef):
            adjusted = {"adjusted_difference": coef, "adjusted_ci_low": c_low, "adjusted_ci_high": c_high, "adjusted_p_value": c_p,
                        "adjusted_for": covariates} | terms
            change = "no difference" if coef == 0 else f"{_fmt(abs(coef) * 100)} percentage points {_more_less(coef, 'fewer', 'more')}"
            sentence += f"; adjusted for {covariates}, {change} ({_fmt_p(c_p)})"
        else:
            sentence += "; not adjusted: too few cases in a group with the covariates recorded"
    return row | {"value_a": p_a, "value_b": p_b, "difference": diff, "diff_ci_low": float(low), "diff_ci_high": float(high),
                  "p_value": p, "sentence": sentence + "."} | adjusted  # fmt: skip


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count as a test).

    Sorted ascending p_(1) ≤ … ≤ p_(m): adjusted p_(i) = max over j ≤ i of min(1, (m − j + 1)·p_(j)).
    Same as statsmodels.stats.multitest.multipletests(p, method="holm") (a test checks).
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(len(p), np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(stepped)
    return out


def chance_of_a_false_alarm(tests: int, alpha: float = 0.05) -> float:
    """P(at least one p < alpha among `tests` independent tests when no difference is real): 1 − (1 − α)^m."""
    return 1 - (1 - alpha) ** max(int(tests), 0)


def _unit_protection(units: np.ndarray | None, rest: bool, a: np.ndarray, b: np.ndarray, min_cell: int, blank_listed: bool = False):
    """recorded mask -> (a, b, reason): the small-cell rule (spinedash.privacy) for one outcome row.

    `blank_listed`: the blank units are a group other pages list with its size (cases without an
    approach or technique: "Approach not recorded" on Recovery), so here they are an ordinary cell
    hidden by the same rule as there, not always hidden — else this page could show the group
    Recovery hides to protect a small one, and the two pages together would give it away.

    `units` labels each case's surgeon / site / approach (missing = blank, one more cell). Units with 1 to k − 1 cases
    with the outcome recorded are hidden, and complementary suppression hides more (the smallest
    first) until the hidden units hold ≥ k cases over ≥ 2 units, so that the page's case count or
    the sum over the units shown cannot give a small unit away. A hidden unit's cases are left out
    of "the rest"; a row whose own group is a hidden unit is suppressed (reason returned).
    """

    if units is not None:
        # Integer codes once (the last code = blank), not a string copy per outcome row. Units in
        # the order every other page lists them (approaches least to most invasive, else by name,
        # blank last: `_group_codes`, the funnel), so that complementary suppression breaks ties
        # between equal units the same way everywhere: hiding A here and B there would show both.
        raw, uniques = pd.factorize(pd.Series(units).astype(object), use_na_sentinel=True)
        labels = [str(u) for u in uniques]
        ordered = _order_labels(labels, "approach" if any(u in APPROACHES for u in labels) else "")
        position = np.array([ordered.index(u) for u in labels] + [len(labels)], dtype=np.int64)
        n_units = len(uniques) + 1
        unit_codes = position[raw]  # raw −1 (blank) indexes the trailing len(labels)

    def protect(recorded: np.ndarray):
        if units is None or min_cell <= 1:
            return a, b, None
        codes = unit_codes[recorded]
        counts = np.bincount(codes, minlength=n_units).astype(np.float64)
        blank = np.arange(n_units) == n_units - 1
        hidden = privacy.complementary_suppression(counts, min_cell, hidden=None if blank_listed else blank)
        if (counts[blank] >= min_cell).all() and not privacy.is_small(counts[~blank], min_cell).any():
            hidden[:] = False
        hidden_case = np.zeros(len(units), dtype=bool)
        hidden_case[recorded] = hidden[codes]
        for group in (a, *(() if rest else (b,))):
            if (group & hidden_case).any():
                small = (group & recorded).sum()
                return a, b, ("small" if privacy.is_small(small, min_cell) else "complementary")
        return a, b & ~hidden_case if rest else b, None

    return protect


def compare_groups(
    cases: pd.DataFrame,
    in_a: object,
    in_b: object,
    label_a: str,
    label_b: str,
    thresholds: Mapping[str, float] = MCID_DEFAULTS,
    min_cell: int = DEFAULT_MIN_CELL,
    adjust: str = "regression",
    units: object = None,
    rest: bool = False,
    propensity: tuple[np.ndarray, casemix.CaseMixModel] | None = None,
    blank_listed: bool = False,
) -> pd.DataFrame:
    """Key outcomes of group B against group A, one row each, with a plain sentence per row.

    `in_a` / `in_b` are boolean masks over the cases (Series or array, one value per row; missing
    counts as False) and must not overlap — e.g. surgeon X vs the rest. Every difference is
    B − A (value_b − value_a), in the row's unit.

    Rows (omitted when the data lack them; see CAUSAL_CAUTION before reading any of them):
    - Length of stay (hours): medians; difference of medians with a bootstrap percentile 95% CI
      (BOOTSTRAP_RESAMPLES resamples, fixed seed, each group resampled separately — Hodges–Lehmann
      was not used because it estimates a shift, not the difference of medians shown); p from the
      two-sided Mann–Whitney U test (scipy). Adjusted estimate: a ratio of geometric means B ÷ A
      (adjusted_measure "ratio of geometric means"): least squares of log stay on group and case
      mix, or weighted by the propensity weights, HC1 robust errors; `ratio` is the same unadjusted.
    - Return to work (days): employed before surgery only (a blank "working before surgery" is
      counted in the sentence); Kaplan–Meier medians, their difference with a bootstrap percentile
      CI (`_bootstrap_km_medians`, fixed seed; NaN where over 2.5% of resamples reach no median);
      p from the log-rank test (statsmodels survdiff). Adjusted estimate: a hazard ratio B vs A
      (adjusted_measure "hazard ratio") from a Cox model (casemix.cox_fit, Breslow ties, the same
      as statsmodels PHReg) on group and case mix, or weighted with robust errors; `ratio` is the
      unadjusted hazard ratio.
    - Return to daily activities (days): the same for every patient (no employment condition).
    - Every catalogue score with a 12-month column (VAS leg, VAS back, ODI, NDI, EQ-5D…; points):
      means, Welch t 95% CI and p.
    - The first score's MCID at 12 months (improvement ≥ thresholds[measure] points),
      complications (complication other than "none"), reoperation within 12 months: shares
      (0–1), difference with Newcombe's hybrid score CI (statsmodels confint_proportions_2indep,
      method "newcomb") and the score test (test_proportions_2indep, method "score").

    Adjusted difference (`adjust`, see ADJUSTMENTS), for the scores and the shares:
    - "regression" (default): least squares of the outcome on group (1 = B) and the case mix
      COMPARE_CASE_MIX (condition, age, sex, level; spinedash.casemix builds the terms: blank
      categories as their own level, a blank age as the median with an indicator), plus the
      score before surgery for a score and for the MCID. Scores: classic OLS (ANCOVA) with a t CI;
      shares: a linear probability model with HC1 robust errors, so the coefficient is a risk
      difference.
    - "weighting": stabilised inverse-probability weights from a logistic propensity score on the
      scores before surgery and COMPARE_CASE_MIX (casemix.propensity_weights); weighted difference
      with HC1 robust errors. `balance_table` shows the covariates' balance before and after.
    - "none": no adjusted column.
    `propensity`: for "weighting", the weights and model of casemix.propensity_weights already fitted
    on the two groups' cases (in case order, with propensity_covariates), so a caller that also shows
    the balance table fits the model once.
    `adjusted_for` names what each row adjusted for. Holm-adjusted p-values across the rows shown
    (`p_holm`, `adjusted_p_holm`) allow for testing several outcomes at once.

    Small cells: a row where either group has fewer than `min_cell` cases with the outcome recorded
    is suppressed: every value NaN, n_a/n_b kept, sentence "Suppressed: fewer than 5 cases in a
    group". With `units` (one label per case: the surgeon, site or approach being compared), the
    small-cell rule applies to the units of each row too (`_unit_protection`): "the rest"
    (`rest=True`) leaves out hidden units, and a row whose group is a hidden unit is suppressed.

    Returns:
        DataFrame[COMPARE_COLUMNS]
    """
    _check_min_cell(min_cell)
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"adjust must be one of {', '.join(ADJUSTMENTS)}, got {adjust!r}")
    a = _as_mask(in_a, len(cases), "in_a")
    b = _as_mask(in_b, len(cases), "in_b")
    if (a & b).any():
        raise ValueError(f"{int((a & b).sum())} cases are in both groups; the two groups must not overlap.")
    protect = _unit_protection(None if units is None else np.asarray(units, dtype=object) if not isinstance(units, pd.Series) else units,
                               rest, a, b, min_cell, blank_listed)
    columns = set(cases.columns)
    rows: list[dict[str, object]] = []
    reasons: list[str | None] = []

    def add(make, recorded: np.ndarray) -> None:
        a_r, b_r, reason = protect(recorded)
        rows.append(make(a_r, b_r))
        reasons.append(reason)

    adj = _prepare_adjustment(cases, a, b, adjust, propensity)
    if "length_of_stay_hours" in columns:
        stay = _numbers(cases, "length_of_stay_hours")
        add(lambda x, y: _stay_row(stay, x, y, label_a, label_b, adj, min_cell), ~np.isnan(stay))
    if {"return_to_work_days", "last_followup_days", "employed_before_surgery"} <= columns:
        employed, _ = _flags(cases, "employed_before_surgery")
        usable = _km_times(cases, "return_to_work_days")[2]
        add(lambda x, y: _return_to_work_row(cases, x, y, label_a, label_b, min_cell, adj), employed & usable)
    if {"return_to_activities_days", "last_followup_days"} <= columns:
        usable_activities = _km_times(cases, "return_to_activities_days")[2]
        add(lambda x, y: _return_to_work_row(cases, x, y, label_a, label_b, min_cell, adj, "return_to_activities_days"),
            usable_activities)
    for measure in _compared_measures(cases):
        recorded_12m = ~np.isnan(_numbers(cases, pain_column(measure, "12m")))
        add(lambda x, y, m=measure: _score_row(cases, m, x, y, label_a, label_b, min_cell, adj), recorded_12m)
    # The view's first headline score with a published MCID, by the catalogue's headline rank for the
    # region in view (VAS leg for a lumbar file; mJOA, COMI neck or EQ-5D for a cervical one).
    from spinedash.outcomes import threshold_measure

    first = threshold_measure(cases, scores_only=True)
    threshold = thresholds.get(first, mcid_default(first)) if first else None
    if first and threshold is not None and {pain_column(first, "pre"), pain_column(first, "12m")} <= columns:
        threshold = float(threshold)
        counted, responder = _responders(*_paired(cases, first, "12m"), threshold, relative=False, sign=MEASURES[first].sign)
        pre = (_numbers(cases, pain_column(first, "pre")), "the score before surgery")
        add(lambda x, y: _proportion_row(
                f"{_score_word(first)}: reached MCID at 12 months", responder, counted, x, y,
                f"{_mcid_word(first)} improved by at least {_fmt(threshold)} points in",
                label_a, label_b, adj, pre if adj.method == "regression" else None, min_cell,
            ), counted)  # fmt: skip
    if "complication" in columns:
        recorded = cases["complication"].notna().to_numpy(dtype=bool)
        hit = recorded & ~_equals(cases["complication"], "none")
        add(lambda x, y: _proportion_row("Complication", hit, recorded, x, y, "A complication was recorded in", label_a, label_b,
                                         adj, None, min_cell), recorded)
    if "reoperation_12m" in columns:
        hit_r, recorded_r = _flags(cases, "reoperation_12m")
        add(lambda x, y: _proportion_row("Reoperation within 12 months", hit_r, recorded_r, x, y,
                                         "Reoperation within 12 months was needed in", label_a, label_b, adj, None, min_cell), recorded_r)

    kept = [(r, why) for r, why in zip(rows, reasons, strict=True) if r["n_a"] + r["n_b"] > 0]
    for r, why in kept:
        if why is not None or min(r["n_a"], r["n_b"]) < min_cell:
            for col in COMPARE_COLUMNS:
                if col not in ("outcome", "unit", "n_a", "n_b", "test", "sentence", "suppressed", "adjusted_measure"):
                    r[col] = np.nan
            r["adjusted_for"] = r["adjusted_terms"] = r["left_out_terms"] = ""
            r["sentence"] = (f"Suppressed: {privacy.complementary_label().removeprefix('suppressed ').strip('()')}"
                             if why == "complementary" else f"Suppressed: fewer than {min_cell} cases in a group")
            r["suppressed"] = True
    frame = pd.DataFrame([r for r, _ in kept], columns=list(COMPARE_COLUMNS))
    frame["p_holm"] = holm(frame["p_value"].to_numpy(dtype=np.float64, na_value=np.nan))
    frame["adjusted_p_holm"] = holm(frame["adjusted_p_value"].to_numpy(dtype=np.float64, na_value=np.nan))
    text = ("outcome", "unit", "test", "sentence", "adjusted_for", "adjusted_measure", "adjusted_terms", "left_out_terms")
    for col in ("adjusted_for", "adjusted_terms", "left_out_terms"):  # all-blank comes back as float NaN: object first
        frame[col] = frame[col].astype(object).where(frame[col].notna(), "")
    return frame.astype(
        {c: ("str" if c in text else "int64" if c in ("n_a", "n_b") else "bool" if c == "suppressed" else "float64") for c in COMPARE_COLUMNS}
    )


# --------------------------------------------------------------------------------------------
# 8. One condition's outcomes by approach (the Procedures page's join)
# --------------------------------------------------------------------------------------------


def summarise_for_condition(
    cases: pd.DataFrame, condition: str, min_cell: int = DEFAULT_MIN_CELL, measure: str | None = None
) -> pd.DataFrame:
    """Per approach, for one condition: cases, median stay, median return to work, the score's change at 12 months.

    median_return_to_work_days: Kaplan–Meier median among the employed before surgery (NaN if not
    reached). score_change_12m: mean paired change pre → 12 months of `measure` (in its own points;
    negative = improvement for pain and disability, positive for mJOA and EQ-5D). `measure` defaults
    to the condition's headline score by the catalogue's rank for the region of its cases
    (outcomes.headline_measure among scores: VAS leg for lumbar cases, arm pain for cervical ones);
    it is in `frame.attrs["score"]` (None when the cases hold no score).
    A whole approach with n < min_cell is suppressed; each estimate is also NaN when its own
    recorded cases are fewer than min_cell. Needs condition and approach; an outcome column the
    data lack gives a NaN column rather than an error (the page still shows the others).

    Returns:
        DataFrame[approach, n, median_stay_hours, median_return_to_work_days, score_change_12m, suppressed]
    """
    _check_min_cell(min_cell)
    _require(cases, ["condition", "approach"], "The outcome summary for a condition")
    in_condition = _equals(cases["condition"], condition)
    if measure is None:
        from spinedash.outcomes import headline_measures

        found = headline_measures(cases[in_condition], scores_only=True)
        measure = found[0] if found else None
    wanted = ["approach", "length_of_stay_hours", "return_to_work_days", "last_followup_days", "employed_before_surgery"]
    wanted += [pain_column(measure, tp) for tp in ("pre", "12m")] if measure else []
    subset = cases.loc[in_condition, [c for c in wanted if c in cases.columns]]
    codes, labels = _group_codes(subset, "approach")
    n = np.bincount(codes[codes >= 0], minlength=len(labels)).astype(np.int64)
    frame = pd.DataFrame({"approach": _labels_series(labels), "n": n})

    def lookup(result: pd.DataFrame, value: str) -> np.ndarray:
        return frame["approach"].map(dict(zip(result["group"], result[value], strict=True))).to_numpy(dtype=np.float64, na_value=np.nan)

    stay = rtw = change = np.full(len(labels), np.nan)
    if "length_of_stay_hours" in subset.columns:
        stay = lookup(summarise_distribution(subset, "length_of_stay_hours", "approach", min_cell), "median")
    try:
        rtw = lookup(kaplan_meier(subset, "return_to_work_days", "approach", min_cell, employed_only=True).medians, "median_days")
    except MissingColumnError:
        pass
    if measure is not None:
        try:
            change_frame = pain_change(subset, measure, "approach", min_cell)
            change = lookup(change_frame.loc[change_frame["timepoint"] == "12m"], "mean_change")
        except MissingColumnError:
            pass
    suppressed = n < min_cell
    frame["median_stay_hours"] = np.where(suppressed, np.nan, stay)
    frame["median_return_to_work_days"] = np.where(suppressed, np.nan, rtw)
    frame["score_change_12m"] = np.where(suppressed, np.nan, change)
    frame["suppressed"] = suppressed
    out = frame.loc[:, list(CONDITION_COLUMNS)]
    out.attrs["score"] = measure
    return out
