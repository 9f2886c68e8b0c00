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
    # Technique is the detail within an approach family (biportal endoscopic, microendoscopic…), as
    # the data record it; offered when the data hold two or more (the sidebar's "Split charts by").
    "Technique vs technique": ("technique", "two techniques"),
}
TECHNIQUE_MODE = "Technique vs technique"
REST = "All other surgeons"
ADJUSTMENT_WORDS = {
    "regression": "regression on the case mix",
    "weighting": "inverse-probability weights from a propensity score",
    "none": "not adjusted",
}


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


def default_mode(modes: list[str], by: str = "approach") -> int:
    """Index of the mode Compare opens on: technique against technique when the charts are split by
    technique (sidebar "Split charts by") and the data allow it, else the first."""
    return modes.index(TECHNIQUE_MODE) if by == "technique" and TECHNIQUE_MODE in modes else 0


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


def comparison_result(
    cases: pd.DataFrame, mode: str, a: str, b: str | None, min_cell: int, adjust: str = "regression"
) -> tuple[GroupPair, pd.DataFrame, pd.DataFrame]:
    """The groups, their outcome comparison and (for weighting) the balance table, in one call.

    The small-cell rule applies to the units of the mode's column (surgeons, sites, approaches):
    "the rest" leaves out units hidden for having fewer than `min_cell` cases with an outcome
    recorded, and those hidden so that such a unit cannot be worked out by subtraction (see
    analysis.compare_groups). The balance table is empty unless `adjust` is "weighting" and both
    groups have at least `min_cell` cases.
    """
    from spinedash.analysis import compare_groups

    pair = group_pair(cases, mode, a, b)
    column = COMPARE_MODES[mode][0]
    # The propensity model is fitted once, for the weighted differences and the balance table alike.
    propensity = _propensity(cases, pair) if adjust == "weighting" else None
    table = compare_groups(cases, pair.in_a, pair.in_b, pair.label_a, pair.label_b, min_cell=min_cell, adjust=adjust,
                           units=cases[column], rest=mode == "Surgeon vs the rest", propensity=propensity,
                           blank_listed=column in ("approach", "technique"))  # Recovery lists "Approach not recorded"
    balance = (balance_table(cases, pair, min_cell, propensity) if adjust == "weighting" and not table["suppressed"].all()
               else _NO_BALANCE)
    return pair, table, balance


def _propensity(cases: pd.DataFrame, pair: GroupPair):
    """casemix.propensity_weights on the two groups' cases (in case order), or None when a group is empty."""
    from spinedash import casemix
    from spinedash.analysis import propensity_covariates

    both = np.flatnonzero(pair.in_a | pair.in_b)
    if not pair.in_a.any() or not pair.in_b.any():
        return None
    return casemix.propensity_weights(cases.iloc[both], pair.in_b[both], propensity_covariates(cases))


_NO_BALANCE = pd.DataFrame(columns=["covariate", "before", "after"])


def balance_table(cases: pd.DataFrame, pair: GroupPair, min_cell: int, propensity=None) -> pd.DataFrame:
    """Standardised mean differences (B − A) of the propensity model's covariates, before and after weighting.

    `propensity`: the (weights, model) of `_propensity` if already fitted; fitted here otherwise.
    """
    from spinedash import casemix
    from spinedash.analysis import propensity_covariates

    if min(int(pair.in_a.sum()), int(pair.in_b.sum())) < min_cell:
        return _NO_BALANCE
    both = np.flatnonzero(pair.in_a | pair.in_b)
    sub = cases.iloc[both]
    group_b = pair.in_b[both]
    wanted = propensity_covariates(cases)
    weights, _ = propensity or casemix.propensity_weights(sub, group_b, wanted)
    return casemix.standardised_differences(sub, group_b, weights, wanted)


RATIO_PANELS = {"ratio of geometric means": "ratio of geometric means", "hazard ratio": "hazard ratio"}


def forest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The forest plot's points: panel, kind (difference or ratio), estimate, value and its 95% CI.

    Every point has its interval. Differences (B − A, shares in percentage points) and, for stay and
    return to work, the ratio the adjusted estimate is given as (unadjusted and adjusted side by
    side). Suppressed rows are left out.
    """
    rows = []

    def add(panel: str, kind: str, estimate: str, value: float, low: float, high: float, scale: float = 1.0) -> None:
        if not np.isfinite(value):
            return
        rows.append({"panel": panel, "kind": kind, "estimate": estimate, "value": value * scale,
                     "low": low * scale if np.isfinite(low) else None, "high": high * scale if np.isfinite(high) else None})

    for r in table.itertuples(index=False):
        if r.suppressed:
            continue
        measure = getattr(r, "adjusted_measure", "difference")
        share = str(r.unit).startswith("share")
        scale = 100.0 if share else 1.0
        unit = "percentage points" if share else str(r.unit)
        if measure == "difference":
            panel = f"{r.outcome} ({unit})"
            add(panel, "difference", "Unadjusted", r.difference, r.diff_ci_low, r.diff_ci_high, scale)
            add(panel, "difference", "Adjusted", r.adjusted_difference, r.adjusted_ci_low, r.adjusted_ci_high, scale)
            continue
        add(f"{r.outcome} ({unit}, difference of medians)", "difference", "Unadjusted", r.difference, r.diff_ci_low, r.diff_ci_high)
        panel = f"{r.outcome}: {RATIO_PANELS.get(measure, measure)}"
        add(panel, "ratio", "Unadjusted", r.ratio, r.ratio_ci_low, r.ratio_ci_high)
        add(panel, "ratio", "Adjusted", r.adjusted_difference, r.adjusted_ci_low, r.adjusted_ci_high)
    return pd.DataFrame(rows, columns=["panel", "kind", "estimate", "value", "low", "high"])


def forest_chart(table: pd.DataFrame, label_a: str, label_b: str) -> dict:
    """A forest plot of the differences B − A with their 95% CIs, one panel per outcome in its own unit.

    Each panel shows the raw difference and, where there is one, the adjusted difference, each with
    its 95% CI, and a line at no difference. Shares are in percentage points. Stay and return to work
    also get a panel of ratios B ÷ A on a log scale with the line at 1 (their adjusted estimate is a
    ratio: of geometric means, and the hazard ratio). Suppressed rows are left out.
    """
    from spinedash.vegalite import SCHEMA_URL, channel, encoding, records, title_params, tooltip

    frame = forest_rows(table)
    # Legend below: beside 340 px panels on a tablet it was cut off at the right edge.
    colours = {"scale": {"domain": ["Unadjusted", "Adjusted"], "range": ["#595959", "#0072B2"]},
               "legend": {"orient": "bottom"}}
    y = channel("estimate:N", title=None, sort=["Unadjusted", "Adjusted"], axis={"labelLimit": 120})
    header = {"labelAngle": 0, "labelAlign": "left", "labelAnchor": "start", "labelOrient": "top", "labelFontSize": 12,
              "labelLimit": 340}

    def block(kind: str, no_difference: float, x_scale: dict) -> dict:
        part = frame[frame["kind"] == kind]
        layers = [
            # aria False: the reference line and the interval bars are drawing, not content; unnamed, a
            # screen reader meets them as nameless images (axe svg-img-alt). The points carry the numbers.
            {"mark": {"type": "rule", "color": "#767676", "strokeDash": [3, 3], "aria": False},
             "encoding": {"x": {"datum": no_difference}}},
            {"mark": {"type": "rule", "strokeWidth": 2, "aria": False},
             "encoding": encoding(y=y, x=channel("low:Q", title=None, scale=x_scale), x2={"field": "high"},
                                  color=channel("estimate:N", title="Estimate", **colours))},
            {"mark": {"type": "point", "filled": True, "size": 70},
             "encoding": encoding(y=y, x=channel("value:Q"), color=channel("estimate:N", title="Estimate", **colours),
                                  tooltip=[tooltip("panel:N", "Outcome"), tooltip("estimate:N", "Estimate"),
                                           tooltip("value:Q", "Difference" if kind == "difference" else "Ratio", ".2f"),
                                           tooltip("low:Q", "95% CI from", ".2f"), tooltip("high:Q", "95% CI to", ".2f")])},
        ]
        return {
            "transform": [{"filter": {"field": "kind", "equal": kind}}],
            "facet": {"row": {"field": "panel", "type": "nominal", "title": None,
                              "sort": list(dict.fromkeys(part["panel"])), "header": header}},
            # A facet cannot take the container's width; 340 px fits a tablet's 820 px column beside the labels.
            "spec": {"width": 340, "height": {"step": 18}, "layer": layers},
            "resolve": {"scale": {"x": "independent", "y": "independent"}},
            "spacing": 6,
        }

    blocks = [block("difference", 0, {"zero": True, "nice": True})]
    if (frame["kind"] == "ratio").any():
        ratio = block("ratio", 1, {"type": "log", "zero": False, "nice": False, "padding": 8})
        # Short lines: the block is ~490 px wide in a tablet's column, and a title does not wrap by itself.
        ratio["title"] = {"text": [f"Ratios {label_b} ÷ {label_a} (log scale; dashed line at 1: no difference).",
                                   f"Stay below 1: shorter with {label_b}.",
                                   f"Hazard ratio above 1: back (to work, to daily activities) sooner with {label_b}."],
                          "anchor": "start", "fontSize": 12, "limit": 480}
        blocks.append(ratio)
    return {
        "$schema": SCHEMA_URL,
        "title": title_params(f"Differences {label_b} − {label_a} with 95% CIs",
                              [f"Below 0: lower with {label_b}. Each panel in its outcome's own unit; dashed line: no difference.",
                               "Grey: unadjusted; blue: adjusted for case mix (where there is an adjusted estimate)."], anchor="start"),
        "description": forest_description(frame, label_a, label_b),
        "data": {"name": "forest"},
        "datasets": {"forest": records(frame)},
        "vconcat": blocks,
        "spacing": 16,
    }


def forest_description(frame: pd.DataFrame, label_a: str, label_b: str) -> str:
    """The forest plot in words, point by point (the chart's accessible name and its 'In words')."""
    def fmt(v: object) -> str:
        return "open" if v is None or not np.isfinite(v) else f"{v:.2f}"

    parts = [f"{r.panel}, {r.estimate.lower()}: {r.value:.2f} (95% CI {fmt(r.low)} to {fmt(r.high)})"
             for r in frame.itertuples(index=False)]
    return f"Forest plot of {label_b} against {label_a}. " + "; ".join(parts) + "." if parts else "Forest plot: nothing to show."


def tidy_columns(label_a: str, label_b: str) -> list[str]:
    """The columns the Compare page's table shows (the sentences and tests go below it)."""
    return ["Outcome", label_a, label_b, "Difference B − A (95% CI)", "p", "Holm p", "Adjusted estimate (95% CI)",
            "Adjusted p", "Adjusted Holm p"]


# The heading names at most this many covariates; the rest are counted ("and 2 more") and named in full below it.
HEADING_TERMS = 3
SCORE_BEFORE = "the score before surgery"
TOO_FEW_WHY = "too few cases for more terms (about 10 cases per model term, Peduzzi 1996)"


def _terms(text: str) -> list[str]:
    from spinedash.analysis import TERM_SEPARATOR

    return [t for t in str(text).split(TERM_SEPARATOR) if t] if isinstance(text, str) else []


def _left_out(text: str) -> list[tuple[str, str]]:
    """A row's left_out_terms as (label, reason): a bare label was left out by the 10-per-term rule
    (TOO_FEW_WHY); "label (reason)" keeps its reason, any "too few …" reason read as TOO_FEW_WHY."""
    out = []
    for term in _terms(text):
        label, sep, reason = term.partition(" (")
        reason = reason.removesuffix(")") if sep else ""
        out.append((label, TOO_FEW_WHY if not reason or reason.startswith("too few") else reason))
    return out


def _adjusted_rows(shown: pd.DataFrame) -> np.ndarray:
    """Rows whose adjusted estimate holds at least one covariate (a model with none is the raw difference)."""
    finite = np.isfinite(shown["adjusted_difference"].to_numpy(dtype=float, na_value=np.nan))
    return finite & np.array([bool(_terms(t)) for t in shown["adjusted_terms"]], dtype=bool)


def _words(outcomes) -> str:
    from spinedash.casemix import join_words

    return join_words(list(outcomes))


def adjustment_heading(table: pd.DataFrame, adjust: str) -> str:
    """What the comparison adjusted for, short enough for a heading on a tablet ("Adjusted for the score
    before surgery, condition and 2 more; some left out: too few cases"). adjustment_note has it all."""
    shown = table[~table["suppressed"]]
    adjusted = _adjusted_rows(shown)
    if adjust == "none":
        return "Not adjusted for case mix"
    if not adjusted.any():
        return "Not adjusted: too few cases"
    used = list(dict.fromkeys(t for text in shown["adjusted_terms"][adjusted] for t in _terms(text)))
    scores = [t for t in used if t == SCORE_BEFORE or t.endswith(" before surgery")]
    # The baseline scores first (they weigh most), as one term: the propensity score names each.
    used = [*(["the scores before surgery"] if len(scores) > 1 else scores), *(t for t in used if t not in scores)]
    named = used if len(used) <= HEADING_TERMS else [*used[: HEADING_TERMS - 1], f"{len(used) - HEADING_TERMS + 1} more"]
    out = f"Adjusted for {_words(named)}"
    reasons = {why for text in shown["left_out_terms"][adjusted] for _, why in _left_out(text)}
    if reasons:
        out += "; some left out" + (": too few cases" if reasons == {TOO_FEW_WHY} else "")
    if not adjusted.all():
        out += f"; {int((~adjusted).sum())} of {len(shown)} outcomes not adjusted"
    return out


def adjustment_note(table: pd.DataFrame, adjust: str) -> str:
    """What the comparison adjusted for, outcome by outcome, what was left out and why (issue 14: every
    comparison says so). The page shows it under adjustment_heading; the PDF and Excel export carry it."""
    shown = table[~table["suppressed"]]
    adjusted = _adjusted_rows(shown)
    if adjust == "none":
        return "Not adjusted for case mix — the differences are raw group differences."
    if not adjusted.any():
        return ("Not adjusted for case mix: too few cases to adjust any outcome (about 10 cases per model term, Peduzzi "
                "1996, and enough in each group) — the differences are raw group differences.")
    rows = shown[adjusted]
    outcomes = rows["outcome"].tolist()
    used = [_terms(t) for t in rows["adjusted_terms"]]
    # Outcome lists by covariate set, in table order: {"condition, age and sex": ["Length of stay"], ...}.
    by_set: dict[str, list[str]] = {}
    for outcome, terms in zip(outcomes, used, strict=True):
        by_set.setdefault(_words(terms), []).append(outcome)
    rest = {_words([t for t in terms if t != SCORE_BEFORE]) for terms in used}
    with_score = [o for o, terms in zip(outcomes, used, strict=True) if SCORE_BEFORE in terms]
    if len(by_set) == 1:
        words = next(iter(by_set))
    elif with_score and len(rest) == 1 and "" not in rest:
        words = f"{rest.pop()}, and for the score before surgery in {', '.join(with_score)}"
    else:
        words = "; for ".join(f"{w} in {_words(o)}" for w, o in by_set.items())
    out = f"Adjusted for {words} ({ADJUSTMENT_WORDS[adjust]})."
    no_score = [o for o, t in zip(outcomes, rows["adjusted_for"], strict=True) if "(no score before surgery recorded)" in t]
    if no_score:
        out += f" No score before surgery recorded for {_words(no_score)}, so not adjusted for it."
    # Left out for too few cases: by outcome (the 10-per-term rule keeps fewer terms where fewer cases are recorded).
    left: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}  # reason -> labels ("the same for every case", "not recorded"), for every row alike
    for outcome, text in zip(outcomes, rows["left_out_terms"], strict=True):
        few = [label for label, why in _left_out(text) if why == TOO_FEW_WHY]
        if few:
            left.setdefault(_words(few), []).append(outcome)
        for label, why in _left_out(text):
            if why != TOO_FEW_WHY and label not in other.setdefault(why, []):
                other[why].append(label)
    if len(left) == 1 and sum(map(len, left.values())) == len(outcomes):
        out += f" Left out: {next(iter(left))} — {TOO_FEW_WHY}."
    elif left:
        out += f" Left out, {TOO_FEW_WHY}: " + "; ".join(f"{w} from {_words(o)}" for w, o in left.items()) + "."
    for why, labels in other.items():
        out += f" {_words(labels)[:1].upper() + _words(labels)[1:]} left out: {why}."
    out += ratio_note(shown)
    unadjusted = shown["outcome"][~adjusted].tolist()
    if unadjusted:
        out += f" Not adjusted — {', '.join(unadjusted)} (too few cases, or no adjusted estimate)."
    return out


def ratio_note(table: pd.DataFrame) -> str:
    """How the ratio-scale adjusted estimates read (stay, return to work), for the rows that have one."""
    measure = table.get("adjusted_measure", pd.Series("difference", index=table.index))
    adjusted = np.isfinite(table["adjusted_difference"].to_numpy(dtype=float, na_value=np.nan))
    out = ""
    for kind, words in (("ratio of geometric means", " {o}: the adjusted estimate is a ratio of geometric means, B ÷ A "
                         "(below 1: shorter with B; 0.80 = 20% shorter)."),
                        ("hazard ratio", " {o}: the adjusted estimate is a hazard ratio from a Cox model, B vs A (above 1: "
                         "back sooner with B; 1.5 = at any time after surgery, 1.5 times as likely to be back).")):
        rows = table["outcome"][(measure == kind).to_numpy() & adjusted]
        if len(rows):
            out += words.format(o=", ".join(rows))
    return out


def multiple_testing_note(table: pd.DataFrame) -> str:
    """The multiple-testing sentence, computed from the number of outcomes tested on the page."""
    from spinedash.analysis import chance_of_a_false_alarm

    tests = int(np.isfinite(table["p_value"].to_numpy(dtype=float, na_value=np.nan)).sum())
    if tests <= 1:
        return "One outcome is tested, so no allowance for multiple testing is needed."
    chance = chance_of_a_false_alarm(tests)
    return (
        f"{tests} outcomes are tested at once: even if no difference were real, the chance that at least one shows "
        f"p < 0.05 is about {chance:.2f} (1 − 0.95^{tests}, treating the tests as independent). Holm p allows for "
        f"this (Holm 1979): a difference with Holm p < 0.05 stands out even among the {tests}."
    )


def adjustment_method(table: pd.DataFrame) -> str:
    """Which adjustment a comparison table was computed with ("regression", "weighting" or "none"), read off its rows."""
    shown = table[~table["suppressed"]]
    if not np.isfinite(shown["adjusted_difference"].to_numpy(dtype=float, na_value=np.nan)).any():
        return "none"
    return "weighting" if shown["test"].str.contains("inverse-probability").any() else "regression"


def comparison_notes(table: pd.DataFrame, mode: str | None = None, min_cell: int = 1) -> list[str]:
    """What the comparison adjusted for and how, and the multiple-testing sentence: the same words on the
    page, in the PDF and in the Excel export's About sheet (issue 14: each says what it adjusted for)."""
    notes = [adjustment_note(table, adjustment_method(table)), multiple_testing_note(table)]
    if mode is not None and rest_note(mode, min_cell):
        notes.append(rest_note(mode, min_cell))
    return notes


def export_notes(table: pd.DataFrame, mode: str, min_cell: int, source: str) -> list[str]:
    """The Excel export's About sheet: the data source, the comparison's notes (as on the page and in
    the PDF) and each outcome's method and covariates."""
    from spinedash.analysis import CAUSAL_CAUTION

    return [f"Data: {source}.", *comparison_notes(table, mode, min_cell), *method_lines(table), CAUSAL_CAUTION]


def method_lines(table: pd.DataFrame) -> list[str]:
    """Per outcome shown: its method and what its adjusted estimate adjusted for, one line each."""
    out = []
    for r in table.itertuples(index=False):
        if r.suppressed:
            continue
        adjusted = r.adjusted_for if r.adjusted_for and r.adjusted_for != "not adjusted" and np.isfinite(r.adjusted_difference) \
            else "not adjusted"
        out.append(f"{r.outcome}: {r.test}. Adjusted for: {adjusted}.")
    return out


def rest_note(mode: str, min_cell: int) -> str:
    """For 'Surgeon vs the rest': who 'the rest' is, under the small-cell rule."""
    if mode != "Surgeon vs the rest" or min_cell <= 1:
        return ""
    return (
        f"{REST}: every other surgeon with at least {min_cell} cases with that outcome recorded. Smaller teams (and, "
        f"where needed, the next smallest, so that no small team can be worked out by subtraction) are left out of "
        f"each row; a row is suppressed when the chosen surgeon is one of them."
    )


def balance_display(balance: pd.DataFrame) -> pd.DataFrame:
    """The balance table for the page: standardised mean differences before and after weighting."""
    def fmt(v: float) -> str:
        return "—" if not np.isfinite(v) else f"{v:+.2f}"

    return pd.DataFrame(
        {
            "Covariate": balance["covariate"].to_numpy(),
            "Standardised difference before": [fmt(v) for v in balance["before"]],
            "After weighting": [fmt(v) for v in balance["after"]],
            "Balanced after (|SMD| < 0.1)": ["yes" if abs(v) < 0.1 else "no" for v in balance["after"]],
        }
    )
