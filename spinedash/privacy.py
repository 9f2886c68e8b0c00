"""One small-cell rule for every number SpineDash shows: small groups stay hidden.

The rule (k = the "smallest group shown", `min_cell`, default 5; the README states it too):

1. **A count below k is never shown.** A group of patients (a surgeon, a site, an approach, a
   quarter, the patients scored at a time point, the patients still at risk) with 1 to k − 1
   members shows neither its figures nor its size: it reads "suppressed (n < k)", and a number
   of patients reads "< k". Zero is shown as zero (or "no data"): an empty group hides nobody.
2. **Totals: complementary suppression** (not rounding). Where a shown total (all cases, "All",
   "Showing 71 cases", the rest of the service) is the sum of groups some of which are hidden,
   more groups are hidden — the smallest shown first — until the hidden groups together hold 0
   or at least k patients, at least two groups are hidden, and they hold more patients than
   there are hidden groups. Then the total minus every shown
   group gives only a sum of at least k over two or more groups, never one small group's size.
   Where no other group can be hidden (the total has only the hidden group and one other), the
   total itself is hidden. A group hidden this way keeps its rates, means and medians (rounded in
   chart data) but no count its size follows from (`partner_mask`). Blank grouping values are a
   group of their own ("Approach not recorded"), so the groups add up to the cases in view. The
   same groups over the same cases are hidden alike on every page (ties broken in one order). Rounding was not chosen: a total rounded to a multiple of k, minus
   exactly shown groups, can still pin a hidden group to one value (e.g. to exactly 1 or k − 1).
3. **Curves end where fewer than k remain at risk.** A Kaplan–Meier curve is drawn only up to
   the last time with at least k patients still at risk; later steps (each a change among 1 to
   k − 1 patients) are not drawn, and numbers at risk below k read "< k".
4. **The cases a filter leaves out are a group too.** A view that leaves out 1 to k − 1 of the
   file's cases is not shown (`leaves_out_small_group`): the file's count minus the view's, or any
   figure of the view set against the whole file's, would describe those few. Nor is a view
   within 1..k−1 cases of the same filters less one of them (`small_step_from`).

Counts of events inside a group that is shown (3 complications among 120 cases) are shown: they
are an outcome of a group large enough to hide in. `k = 1` turns the rule off.

Registries apply the same kind of rule with larger cells (NORspine collapses hospitals with fewer
than 10 registrations; OpenSAFELY suppresses counts of 7 or fewer); the default of 5 is
SpineDash's own choice for a single clinic's review, not a registry rule.

Pure numpy / pandas; no Streamlit. Every function takes k as `min_cell`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DEFAULT_MIN_CELL = 5

COMPLEMENTARY_NOTE = "hidden so that a smaller group cannot be worked out by subtraction"


def check_min_cell(min_cell: int) -> None:
    """ValueError unless min_cell is a whole number ≥ 1 (1 turns suppression off)."""
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise ValueError(f"min_cell must be a whole number of at least 1 (1 turns suppression off), got {min_cell!r}")


def suppression_label(min_cell: int = DEFAULT_MIN_CELL) -> str:
    """What the UI shows in place of a suppressed group's figures, e.g. "suppressed (n < 5)"."""
    return f"suppressed (n < {min_cell})"


def complementary_label() -> str:
    """What the UI shows in place of a group hidden only to protect a smaller one (rule 2)."""
    return "suppressed (protects a smaller group)"


def is_small(n, min_cell: int):
    """True where 0 < n < min_cell (a group that must be hidden); scalar in, bool out; array in, array out.

    NaN (an unknown count) counts as not small; 0 is not small (nobody to hide).
    """
    values = np.asarray(n, dtype=np.float64)
    out = (values > 0) & (values < min_cell)
    return bool(out) if out.ndim == 0 else out


def count_text(n, min_cell: int) -> str:
    """A number of patients as text: "< 5" for 1..k−1, "1,234" otherwise, "—" for unknown."""
    if n is None or pd.isna(n):
        return "—"
    if is_small(n, min_cell):
        return f"< {min_cell}"
    return f"{int(n):,}"


def leaves_out_small_group(shown: int, total: int, min_cell: int) -> bool:
    """True when a filtered view leaves out 1..k−1 of the file's cases (rule 4).

    The cases a filter leaves out are a group too: the file's count (in the sidebar, on the Data
    page) minus the view's count would give its size, and every figure of the view set against
    the same figure of the whole file would describe it. Such a view is not shown at all.
    """
    return bool(is_small(total - shown, min_cell)) and min_cell > 1


def small_step_from(shown: int, wider: dict[str, int], min_cell: int) -> str | None:
    """The first filter whose removal adds only 1..k−1 cases to the view (rule 4), else None.

    `wider`: per active filter, the cases matching the same filters without it
    (`spinedash.filters.wider_view_counts`). Those few cases are a group too: the wider view's
    count minus this one's would give them away.
    """
    if min_cell <= 1:
        return None
    return next((name for name, n in wider.items() if is_small(n - shown, min_cell)), None)


def view_count_text(shown: int, total: int, min_cell: int) -> str:
    """The cases in view against the file's, as text: "1,654 of 2,500 cases".

    A view of 1..k−1 cases reads "< 5 of 2,500 cases" (rule 1); a view leaving out 1..k−1 cases
    reads "all but fewer than 5 of 2,500 cases" (rule 4), so the pair never gives either away.
    """
    if leaves_out_small_group(shown, total, min_cell):
        return f"all but fewer than {min_cell} of {total:,} cases"
    return f"{count_text(shown, min_cell)} of {total:,} cases"


def small_remainder_message(min_cell: int, filter_label: str | None = None) -> str:
    """What a page says instead of a view that leaves out 1..k−1 of the file's cases (rule 4), or
    (`filter_label`) 1..k−1 of the cases the same filters match without that one."""
    if filter_label is not None:
        return (
            f"Without the {filter_label} filter, these filters match fewer than {min_cell} more cases. Showing "
            f"this view would let those few be worked out by setting it against that wider one, so nothing is "
            f"shown. Change the {filter_label} filter so that it leaves out none, or at least {min_cell} cases."
        )
    return (
        f"These filters leave out fewer than {min_cell} of the file's cases. Showing the rest would let "
        f"those few be worked out by setting this view against the whole file, so nothing is shown. "
        f"Change the filters so that they leave out none, or at least {min_cell} cases."
    )


def complementary_suppression(counts: Sequence[float] | np.ndarray, min_cell: int, hidden: Sequence[bool] | np.ndarray | None = None,
                              ties: str = "first") -> np.ndarray:
    """Which cells of one margin to hide so that none below k can be worked out from its total.

    `counts`: the number of patients in each group that adds up to a total the page shows (or
    that a reader can get, e.g. from another page). `hidden`: cells already hidden for another
    reason (default: none). Returns a bool mask: every cell with 0 < n < k, plus the smallest
    other non-empty cells (ties: the first) until the hidden cells hold 0 or ≥ k patients, at
    least two are hidden, and they hold more patients than there are hidden cells. If that cannot be reached (too few cells), every
    non-empty cell is hidden — the caller must then hide the total too (`total_must_hide`).
    `ties="all"` hides every cell tied with the one picked: a superset of what any order of the
    cells would hide (used where another page may list the same groups in another order).
    """
    check_min_cell(min_cell)
    n = np.nan_to_num(np.asarray(counts, dtype=np.float64), nan=0.0)
    mask = is_small(n, min_cell) if n.ndim else np.zeros(0, dtype=bool)
    mask = np.atleast_1d(mask).copy()
    if hidden is not None:
        mask |= np.asarray(hidden, dtype=bool) & (n > 0)
    if min_cell <= 1:
        return mask
    order = np.argsort(n, kind="stable")
    while mask.any():
        held, m = n[mask].sum(), int(mask.sum())
        # At least k patients over at least two groups, and more patients than groups (m groups
        # of one patient each would be given away by a total of m).
        if held >= min_cell and m >= 2 and held > m:
            break
        candidates = [i for i in order if not mask[i] and n[i] > 0]
        if not candidates:
            break
        if ties == "all":
            mask[[i for i in candidates if n[i] == n[candidates[0]]]] = True
        else:
            mask[candidates[0]] = True
    return mask


def total_must_hide(counts: Sequence[float] | np.ndarray, hidden: Sequence[bool] | np.ndarray, min_cell: int) -> bool:
    """True when the total of `counts` would give a small hidden group away even after rule 2.

    That is when some cells are hidden but they hold 1..k−1 patients together, are a single
    cell, or hold one patient each — `complementary_suppression` could not find enough cells to hide beside them.
    """
    n = np.nan_to_num(np.asarray(counts, dtype=np.float64), nan=0.0)
    mask = np.asarray(hidden, dtype=bool) & (n > 0)
    if not mask.any() or min_cell <= 1:
        return False
    held, m = n[mask].sum(), int(mask.sum())
    return bool(held < min_cell or m < 2 or held <= m)


def protect_margins(frame: pd.DataFrame, count_col: str, within: Sequence[str] | str | None, min_cell: int, hidden_col: str | None = None) -> pd.Series:
    """`complementary_suppression` applied within each margin of a long frame; a bool Series.

    `within`: the column(s) naming a margin (e.g. "quarter": the approaches of one quarter add up
    to the quarter's total); None = the whole frame is one margin. `hidden_col`: a bool column of
    cells already hidden for another reason.
    """
    check_min_cell(min_cell)
    out = pd.Series(False, index=frame.index)
    if frame.empty:
        return out
    already = frame[hidden_col].fillna(False).astype(bool) if hidden_col else pd.Series(False, index=frame.index)
    groups = [(None, frame)] if within is None else frame.groupby(within, sort=False, observed=True, dropna=False)
    for _, part in groups:
        out.loc[part.index] = complementary_suppression(part[count_col].to_numpy(dtype=np.float64, na_value=np.nan), min_cell, already.loc[part.index].to_numpy())
    return out


def protect_table(
    frame: pd.DataFrame,
    count_col: str,
    margins: Sequence[Sequence[str] | str | None],
    min_cell: int,
    hidden_col: str | None = None,
    max_rounds: int = 50,
    listed: Sequence[str] = (),
) -> pd.Series:
    """Rule 2 for a table whose cells add up along several margins at once; a bool Series.

    E.g. cases per quarter × approach, where the page shows (or lets a reader work out) each
    quarter's total, each approach's total and the grand total: `margins=["quarter", "approach",
    None]`. `protect_margins` is applied to every margin in turn, carrying the cells hidden so far,
    until nothing changes (the usual iterative heuristic for secondary suppression in two-way
    tables). Each margin then has either no hidden cell or hidden cells holding ≥ k patients over
    ≥ 2 cells, so no single margin's subtraction gives a small cell away.

    `listed`: columns whose groups' totals other pages list as a table of groups with rule 2
    (`count_column`: cases per approach on Recovery). Those pages hide some totals (a small group
    and its partners); a partner's total must not be worked out here either, or the cases in view
    minus every other total would give the small group away across the two pages. So each hidden
    total's row here gets hidden cells too (its smallest first; ties all hidden, whatever order
    another page lists the groups in).
    """
    check_min_cell(min_cell)
    data = frame.copy()
    data["_hidden"] = data[hidden_col].fillna(False).astype(bool) if hidden_col else False
    for column in listed:
        totals = data.groupby(column, sort=False, observed=True)[count_col].sum()
        for group in totals.index[complementary_suppression(totals.to_numpy(dtype=np.float64), min_cell, ties="all")]:
            row = data[(data[column] == group) & (data[count_col] > 0)]
            if not row.empty and not row["_hidden"].any():
                data.loc[row[count_col].idxmin(), "_hidden"] = True
    for _ in range(max_rounds):
        before = data["_hidden"].copy()
        for within in margins:
            data["_hidden"] = protect_margins(data, count_col, within, min_cell, hidden_col="_hidden")
        if data["_hidden"].equals(before):
            break
    return data["_hidden"].rename(None)


def _suppressed_by_margin(counts, min_cell: int, within=None) -> tuple[np.ndarray, np.ndarray]:
    """The counts as floats (blank = 0) and rule 2 applied within each margin (`within` labels; None = one)."""
    n = np.nan_to_num(np.asarray(counts, dtype=np.float64), nan=0.0)
    keys = np.zeros(len(n), dtype=np.int64) if within is None else pd.factorize(pd.Series(list(within)))[0]
    hidden = np.zeros(len(n), dtype=bool)
    for key in np.unique(keys):
        part = keys == key
        hidden[part] = complementary_suppression(n[part], min_cell)
    return n, hidden


def count_column(counts, min_cell: int, within=None) -> list[str]:
    """A table's column of group sizes as text, with rules 1 and 2 applied.

    Rule 1: 1..k−1 reads "< k". Rule 2: the groups of a table add up to a total a reader can see
    (the cases in view), so when one is hidden the smallest others read "suppressed (protects a
    smaller group)" until the hidden ones hold ≥ k together. `within`: optional labels splitting
    the column into separate margins (e.g. one per time point); None = one margin.
    """
    n, hidden = _suppressed_by_margin(counts, min_cell, within)
    out = []
    for value, hide in zip(n, hidden, strict=True):
        if is_small(value, min_cell):
            out.append(f"< {min_cell}")
        elif hide:
            out.append(complementary_label())
        else:
            out.append(f"{int(value):,}")
    return out


def partner_mask(counts, min_cell: int, within=None) -> np.ndarray:
    """True for groups hidden only by rule 2 (not small themselves): their size may not be printed.

    Nor may any count from which their size follows: events beside non-events ("54 returned, 3
    not"), "k of n", the number at risk on day 0. Their rates, means and medians (with CIs) stay:
    a rate alone does not give a count. `within`: labels splitting the column into margins that
    add up separately (one per time point), as in `count_column`.
    """
    n, hidden = _suppressed_by_margin(counts, min_cell, within)
    return hidden & ~np.atleast_1d(is_small(n, min_cell))


def at_risk_cut(times: np.ndarray, at_risk: np.ndarray, min_cell: int) -> float:
    """The last time a curve may be drawn to (rule 3): the last `times` entry with at_risk ≥ k.

    `times` ascending, `at_risk[i]` the number at risk just before `times[i]`. Returns −inf when
    even the first time has fewer than k at risk (draw nothing), +inf when never below k.
    """
    times = np.asarray(times, dtype=np.float64)
    at_risk = np.asarray(at_risk, dtype=np.float64)
    below = np.flatnonzero(at_risk < min_cell)
    if min_cell <= 1 or below.size == 0:
        return float("inf")
    first = int(below[0])
    return float(times[first - 1]) if first > 0 else float("-inf")


def rule_text(min_cell: int) -> str:
    """The rule in one paragraph, for captions, method notes and exports."""
    return (
        f"Groups of fewer than {min_cell} patients are suppressed: neither their figures nor their size are shown "
        f"(a number of patients below {min_cell} reads “< {min_cell}”). Where a total would let a hidden group be "
        f"worked out by subtraction, the next smallest group is hidden too (complementary suppression), so the "
        f"hidden groups always hold at least {min_cell} patients between them. Kaplan–Meier curves end where fewer "
        f"than {min_cell} patients remain at risk."
    )
