"""Readable tables from the analysis frames: estimates with their CI and n, suppression spelled out.

Pages show these with st.dataframe; the PDF report prints them. Every function returns strings
ready to show, so "suppressed (n < 5)" and "not reached" never turn into 0 or a blank.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from spinedash.analysis import suppression_label
from spinedash.privacy import complementary_label, count_column, partner_mask
from spinedash.schema import MEASURES


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_estimate(value, low=None, high=None, digits: int = 1, unit: str = "") -> str:
    """'15.1 h (95% CI 11.4–17.0)'; '—' when the value is missing; the CI only when both ends exist."""
    if _missing(value):
        return "—"
    unit_part = f" {unit}" if unit else ""
    text = f"{value:,.{digits}f}{unit_part}"
    if not _missing(low) and not _missing(high):
        text += f" (95% CI {low:,.{digits}f}–{high:,.{digits}f})"
    return text


def format_share(share, low=None, high=None) -> str:
    """'61.8% (95% CI 58.4–65.1%)' from fractions."""
    if _missing(share):
        return "—"
    text = f"{100 * share:.1f}%"
    if not _missing(low) and not _missing(high):
        text += f" (95% CI {100 * low:.1f}–{100 * high:.1f}%)"
    return text


def summary_display(summary: pd.DataFrame, value_label: str, min_cell: int, group_title: str = "Approach",
                    digits: int = 1) -> pd.DataFrame:
    """One row per group: cases, median with 95% CI, quartiles — or the suppression label."""
    rows = []
    # Group sizes under the small-cell rule: "< 5" for a hidden group, and the next smallest's size
    # hidden too so the cases in view minus the others cannot give it away (spinedash.privacy).
    sizes = count_column(summary["n"], min_cell)
    for r, size in zip(summary.itertuples(index=False), sizes, strict=True):
        if r.suppressed:
            median = quartiles = suppression_label(min_cell) if r.n else "no data"
        else:
            median = format_estimate(r.median, r.median_ci_low, r.median_ci_high, digits)
            quartiles = f"{r.q1:,.{digits}f}–{r.q3:,.{digits}f}"
        rows.append({group_title: r.group, "Cases": size, value_label: median, "Middle half (quartiles)": quartiles})
    return pd.DataFrame(rows, columns=[group_title, "Cases", value_label, "Middle half (quartiles)"])


def km_median_display(medians: pd.DataFrame, min_cell: int, group_title: str = "Approach") -> pd.DataFrame:
    """Kaplan–Meier medians: patients, returned, not yet returned, median days with 95% CI."""
    rows = []
    sizes = count_column(medians["n"], min_cell)  # small-cell rule, as in summary_display
    for r, size in zip(medians.itertuples(index=False), sizes, strict=True):
        if r.suppressed:
            label = suppression_label(min_cell) if r.n else "no data"
            rows.append({group_title: r.group, "Patients": size, "Returned": label,
                         "Not yet returned (censored)": label, "Median days (95% CI)": label})
            continue
        # A group hidden to protect a smaller one: returned + not returned would give its size.
        returned, censored = (("not shown", "not shown") if size == complementary_label() else (int(r.events), int(r.censored)))
        if _missing(r.median_days):
            median = "not reached (fewer than half returned)"
        else:
            high = "not reached" if _missing(r.median_ci_high) else f"{r.median_ci_high:.0f}"
            low = "—" if _missing(r.median_ci_low) else f"{r.median_ci_low:.0f}"
            median = f"{r.median_days:.0f} (95% CI {low}–{high})"
        rows.append({group_title: r.group, "Patients": size, "Returned": returned,
                     "Not yet returned (censored)": censored, "Median days (95% CI)": median})
    return pd.DataFrame(rows, columns=[group_title, "Patients", "Returned", "Not yet returned (censored)",
                                       "Median days (95% CI)"])


def at_risk_display(at_risk: pd.DataFrame, min_cell: int, group_title: str = "Approach",
                    medians: pd.DataFrame | None = None) -> pd.DataFrame:
    """Number still not returned (at risk) per group at each day: groups as rows, 'Day N' columns.

    A count between 1 and k − 1 reads "< k": late in follow-up the few patients still off work
    could otherwise be recognised, the same small-cell rule the charts and estimates follow. Zero
    is shown (nobody left is not a small cell). With the Kaplan–Meier `medians`, a group hidden
    to protect a smaller one (spinedash.privacy rule 2) shows no numbers: on day 0 all its
    patients are at risk, so its row would print its size.
    """
    if at_risk.empty:
        return pd.DataFrame(columns=[group_title])
    partners = set() if medians is None else set(medians.loc[partner_mask(medians["n"], min_cell), "group"])
    days = sorted(at_risk["days"].unique())
    rows = []
    for group, part in at_risk.groupby("group", sort=False):
        by_day = dict(zip(part["days"], part["at_risk"], strict=True))
        row = {group_title: group}
        for d in days:
            v = by_day.get(d)
            if group in partners:
                row[f"Day {d:g}"] = complementary_label()
            elif _missing(v):
                row[f"Day {d:g}"] = suppression_label(min_cell)
            else:
                row[f"Day {d:g}"] = f"< {min_cell}" if 0 < v < min_cell else f"{int(v):,}"
        rows.append(row)
    return pd.DataFrame(rows)


def _by_timepoint(frame: pd.DataFrame, cell, min_cell: int, group_title: str) -> pd.DataFrame:
    """Groups as rows, time points as columns, each cell `cell(row)` unless suppressed."""
    rows: dict[str, dict] = {}
    order = list(dict.fromkeys(frame["timepoint_label"]))
    # Each time point's groups add up to the patients scored then (a total the page shows): a
    # group hidden to protect a smaller one keeps its estimate but not its counts (privacy rule 2).
    partners = partner_mask(frame["n"], min_cell, within=frame["timepoint_label"])
    for r, partner in zip(frame.itertuples(index=False), partners, strict=True):
        row = rows.setdefault(r.group, {group_title: r.group})
        if r.suppressed:
            row[r.timepoint_label] = suppression_label(min_cell) if r.n else "no data"
        else:
            row[r.timepoint_label] = cell(r, partner)
    return pd.DataFrame(list(rows.values()), columns=[group_title, *order])


# What every cell of the time point tables holds, said once above the table instead of
# "95% CI" in each of its 24 cells.
_N_HIDDEN_NOTE = (" “n hidden”: the group's counts are withheld at that time point so that a smaller, suppressed group "
                  "cannot be worked out by subtraction.")
TRAJECTORY_TABLE_NOTE = ("Each cell: mean (95% confidence interval), and n = patients with a score at that time point."
                         + _N_HIDDEN_NOTE)
MCID_TABLE_NOTE = ("Each cell: share reaching the threshold (Wilson 95% confidence interval), and how many of how many."
                   + _N_HIDDEN_NOTE)


# A time point cell of a group hidden to protect a smaller one: its estimate, not its counts.
PARTNER_COUNTS = "n hidden"


def trajectory_display(traj: pd.DataFrame, min_cell: int, group_title: str = "Approach") -> pd.DataFrame:
    """Mean (95% CI) and n at each time point: groups as rows, time points as columns.

    Cells read "6.8 (6.6–6.9), n = 610"; TRAJECTORY_TABLE_NOTE says what they hold."""

    def cell(r, partner: bool) -> str:
        ci = f" ({r.ci_low:.1f}–{r.ci_high:.1f})" if not (_missing(r.ci_low) or _missing(r.ci_high)) else ""
        n = PARTNER_COUNTS if partner else f"n = {int(r.n):,}"
        return f"{r.mean:.1f}{ci}, {n}" if not _missing(r.mean) else f"—, {n}"

    return _by_timepoint(traj, cell, min_cell, group_title)


def mcid_display(rates: pd.DataFrame, min_cell: int, group_title: str = "Approach") -> pd.DataFrame:
    """Share reaching the threshold (Wilson 95% CI) with responders of n, per group and time point.

    Cells read "80.0% (49.0–94.3%), 8 of 10"; MCID_TABLE_NOTE says what they hold."""

    def cell(r, partner: bool) -> str:
        ci = f" ({100 * r.ci_low:.1f}–{100 * r.ci_high:.1f}%)" if not (_missing(r.ci_low) or _missing(r.ci_high)) else ""
        share = "—" if _missing(r.share) else f"{100 * r.share:.1f}%"
        return f"{share}{ci}, " + (PARTNER_COUNTS if partner else f"{int(r.responders):,} of {int(r.n):,}")

    return _by_timepoint(rates, cell, min_cell, group_title)


def _p(p) -> str:
    if _missing(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def comparison_display(table: pd.DataFrame, label_a: str, label_b: str) -> pd.DataFrame:
    """The two-group comparison as a table a committee can read (B − A differences)."""
    rows = []
    for r in table.itertuples(index=False):
        digits = 0 if r.unit in ("hours", "days") else 1
        if r.unit == "%" or str(r.unit).startswith("share"):
            fmt_value = (lambda v: "—" if _missing(v) else f"{100 * v:.1f}%")  # noqa: E731
            diff = "—" if _missing(r.difference) else f"{100 * r.difference:+.1f} points"
            ci = "" if _missing(r.diff_ci_low) else f" ({100 * r.diff_ci_low:+.1f} to {100 * r.diff_ci_high:+.1f})"
        else:
            fmt_value = (lambda v, d=digits: "—" if _missing(v) else f"{v:,.{d}f}")  # noqa: E731
            diff = "—" if _missing(r.difference) else f"{r.difference:+,.{digits}f}"
            ci = "" if _missing(r.diff_ci_low) else f" ({r.diff_ci_low:+,.{digits}f} to {r.diff_ci_high:+,.{digits}f})"
        adjusted = "—"
        measure = getattr(r, "adjusted_measure", "difference")
        if not _missing(r.adjusted_difference) and measure != "difference":
            # A ratio B / A (1 = no difference): "ratio" of geometric means for stay, "HR" for return to work.
            word = "HR" if measure == "hazard ratio" else "ratio"
            adjusted = f"{word} {r.adjusted_difference:.2f} ({r.adjusted_ci_low:.2f} to {r.adjusted_ci_high:.2f})"
        elif not _missing(r.adjusted_difference):
            k = 100 if str(r.unit).startswith("share") else 1
            adjusted = f"{k * r.adjusted_difference:+.1f} ({k * r.adjusted_ci_low:+.1f} to {k * r.adjusted_ci_high:+.1f})"
        rows.append(
            {
                "Outcome": r.outcome if str(r.unit).startswith("share") else f"{r.outcome}, {r.unit}",
                f"{label_a}": "suppressed" if r.suppressed else f"{fmt_value(r.value_a)} (n={int(r.n_a):,})",
                f"{label_b}": "suppressed" if r.suppressed else f"{fmt_value(r.value_b)} (n={int(r.n_b):,})",
                "Difference B − A (95% CI)": "—" if r.suppressed else diff + ci,
                "p": "—" if r.suppressed else _p(r.p_value),
                "Holm p": "—" if r.suppressed else _p(getattr(r, "p_holm", float("nan"))),
                "Adjusted estimate (95% CI)": adjusted,
                "Adjusted p": _p(r.adjusted_p_value) if adjusted != "—" else "—",
                "Adjusted Holm p": _p(getattr(r, "adjusted_p_holm", float("nan"))) if adjusted != "—" else "—",
                "Adjusted for": (getattr(r, "adjusted_for", "") or "not adjusted") if not r.suppressed else "—",
                "Test": r.test,
                "What it means": r.sentence,
            }
        )
    return pd.DataFrame(rows)


def condition_outcomes_display(summary: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Outcomes per approach for one condition (the Procedures page's join of knowledge and data).

    The score column names the score `analysis.summarise_for_condition` chose (`summary.attrs["score"]`:
    VAS leg for lumbar cases, arm pain for cervical ones) and which way is better.
    """
    score = MEASURES.get(summary.attrs.get("score") or "")
    score_title = (f"{score.short_label} change at 12 months (points; {'a rise' if score.higher_is_better else 'a fall'} is better)"
                   if score else "Score change at 12 months (points)")
    columns = ["Approach", "Cases", "Median stay (hours)", "Median return to work (days)", score_title]
    rows = []
    sizes = count_column(summary["n"], min_cell)  # small-cell rule, as in summary_display
    for r, size in zip(summary.itertuples(index=False), sizes, strict=True):
        if r.suppressed:
            label = suppression_label(min_cell) if r.n else "no data"
            values = [label] * 3
        else:
            values = [
                "—" if _missing(r.median_stay_hours) else f"{r.median_stay_hours:,.0f}",
                "not reached" if _missing(r.median_return_to_work_days) else f"{r.median_return_to_work_days:,.0f}",
                "—" if _missing(r.score_change_12m) else f"{r.score_change_12m:+.{score.decimals if score else 1}f}",
            ]
        rows.append(dict(zip(columns, [r.approach, size, *values], strict=True)))
    return pd.DataFrame(rows, columns=columns)


# Characters that start Markdown (and Streamlit's own :color[...] / :material/...: directives) in the
# places Streamlit renders text as Markdown: st.markdown, st.caption, alerts, headers and st.table's
# cells. Uploaded names pass through here so "[Click](https://…)" stays text, never a link.
_MARKDOWN_SPECIALS = set("\\`*_[]<>#~$|:!")


_WORD_JOINER = "\u2060"  # invisible; breaks the patterns GitHub-flavoured Markdown auto-links
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www)(?=[:.])|(?=@)")


def escape_markdown(text: object) -> str:
    """`text` as a Markdown literal: every character that could start Markdown is backslash-escaped,
    and bare URLs, www. names and e-mail addresses are kept from being auto-linked (an invisible word
    joiner after the scheme or before '@'), so an uploaded name never becomes a link."""
    unlinked = _AUTOLINK.sub(lambda m: (m.group(1) or "") + _WORD_JOINER, str(text))
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in unlinked)


def markdown_literal(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a display table whose text cells, index and headers render literally in st.table."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: v if pd.isna(v) else escape_markdown(v))
    out.columns = [escape_markdown(c) for c in out.columns]
    out.index = out.index.map(escape_markdown) if out.index.dtype == object or pd.api.types.is_string_dtype(out.index) else out.index
    if out.index.name is not None:
        out.index.name = escape_markdown(out.index.name)
    return out
