"""Funnel plots: each surgeon's or site's rate against the overall rate, with control limits.

A funnel plot is how the spine registries compare units without a league table: every unit is a
point at (number of cases, rate); the control limits around the overall rate narrow as volume
grows, so a small unit's extreme rate is read as the noise it most likely is. Units are listed in
name order, never ranked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom

from spinedash.analysis import SAME_DAY_MAX_HOURS, WITHIN_24H_MAX_HOURS, mcid_rates, suppression_label
from spinedash.vegalite import Spec, channel, encoding, layer_chart, mark_layer, records, title_params, tooltip

# Tail probabilities of the two limit pairs: 95% (2.5% each side) and 99.8% (0.1% each side),
# the pair Spiegelhalter 2005 recommends ("about 2 and 3 standard deviations").
TAIL_95 = 0.025
TAIL_998 = 0.001

MEASURES: dict[str, dict] = {
    "mcid_vas_leg_12m": {
        "label": "Reached the VAS leg MCID at 12 months (%)",
        "columns": ("vas_leg_pre", "vas_leg_12m"),
        "higher_is_better": True,
    },
    "same_day_discharge": {
        "label": f"Went home the same day, stay ≤ {SAME_DAY_MAX_HOURS} h (%)",
        "columns": ("length_of_stay_hours",),
        "higher_is_better": True,
    },
    "complication": {
        "label": "Any complication recorded (%)",
        "columns": ("complication",),
        "higher_is_better": False,
    },
    "median_stay": {
        "label": f"Went home within {WITHIN_24H_MAX_HOURS} h (%)",
        "columns": ("length_of_stay_hours",),
        "higher_is_better": True,
    },
}
UNITS: tuple[str, ...] = ("surgeon", "site")


class FunnelError(ValueError):
    """The funnel cannot be drawn from these cases (unknown measure or unit, or a missing column)."""


@dataclass(frozen=True)
class FunnelResult:
    """Everything a funnel chart needs, aggregated: one row per unit and the limit lines.

    `units`: unit, n, events, rate, outside_95, outside_998, suppressed. Suppressed units (fewer
    than `min_cell` cases with the measure recorded) keep only their name; n, events and rate are
    blank so the hidden count cannot be read off.
    `limits`: n, lower_95, upper_95, lower_998, upper_998 (proportions, 0–1).
    `overall_rate`: the target p0 (0–1), over the plotted units only; None when nothing is plotted.
    """

    units: pd.DataFrame
    limits: pd.DataFrame
    overall_rate: float | None
    measure_label: str
    measure: str
    by: str
    min_cell: int
    higher_is_better: bool


def binomial_limits(n, p0: float, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits for a proportion, with Spiegelhalter's interpolation.

    Spiegelhalter DJ, "Funnel plots for comparing institutional performance", Stat Med 2005;
    24:1185–1202, appendix A.1.1. With r_p the p-th quantile of Binomial(n, p0) (smallest r with
    P(R ≤ r) ≥ p, `scipy.stats.binom.ppf`), the lower limit is (r_p − α)/n with
    α = (P(R ≤ r_p) − p) / P(R = r_p): the point where the cumulative probability, spread linearly
    over [r_p − 1, r_p], reaches p. The upper limit is the mirror image, (r_q + 1 − α')/n with
    r_q = ppf(1 − p) and α' = (P(R ≤ r_q) − (1 − p)) / P(R = r_q), as in Spiegelhalter's own
    funnel program (qbinom.interp), so that the limits for p0 and 1 − p0 are reflections.
    Interpolating removes the saw-teeth that the discrete quantiles alone would draw.

    For large n these approach the normal approximation p0 ± z·sqrt(p0(1 − p0)/n), with z = 1.96
    for 95% (tail 0.025) and z = 3.09 for 99.8% (tail 0.001).

    Args:
        n: number(s) of cases (positive integers).
        p0: the target proportion, 0–1.
        tail: probability in each tail, e.g. 0.025 for 95% limits.
    Returns:
        (lower, upper) proportions, clipped to 0–1.
    """
    n = np.asarray(n, dtype=float)
    lo_r = binom.ppf(tail, n, p0)
    lo_mass = binom.pmf(lo_r, n, p0)
    lo_alpha = np.where(lo_mass > 0, (binom.cdf(lo_r, n, p0) - tail) / np.where(lo_mass > 0, lo_mass, 1.0), 0.0)
    lower = (lo_r - lo_alpha) / n

    hi_r = binom.ppf(1 - tail, n, p0)
    hi_mass = binom.pmf(hi_r, n, p0)
    hi_alpha = np.where(hi_mass > 0, (binom.cdf(hi_r, n, p0) - (1 - tail)) / np.where(hi_mass > 0, hi_mass, 1.0), 0.0)
    upper = (hi_r + 1 - hi_alpha) / n
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def _counts(cases: pd.DataFrame, by: str, measure: str, threshold: float) -> pd.DataFrame:
    """DataFrame[unit, n, events]: cases with the measure recorded and events, per unit (name order)."""
    if measure == "mcid_vas_leg_12m":
        # The analysis module's responder definition (pre − 12 m ≥ threshold, both recorded).
        rates = mcid_rates(cases, "vas_leg", threshold, by=by, min_cell=1)
        at_12m = rates[rates["timepoint"] == "12m"]
        counts = pd.DataFrame({"unit": at_12m["group"].astype(str), "n": at_12m["n"], "events": at_12m["responders"]})
        counts = counts[counts["n"] > 0]
    else:
        if measure == "complication":
            recorded = cases["complication"].dropna().astype(str)
            event = recorded != "none"
        else:
            stay = cases["length_of_stay_hours"].dropna()
            event = stay <= (SAME_DAY_MAX_HOURS if measure == "same_day_discharge" else WITHIN_24H_MAX_HOURS)
        frame = pd.DataFrame({"unit": cases.loc[event.index, by].astype("object"), "event": event.astype(bool)})
        frame = frame.dropna(subset=["unit"])
        frame["unit"] = frame["unit"].astype(str)
        counts = frame.groupby("unit").agg(n=("event", "size"), events=("event", "sum")).reset_index()
    counts = counts.astype({"unit": "object", "n": "int64", "events": "int64"})
    return counts.sort_values("unit").reset_index(drop=True)


def funnel_data(
    cases: pd.DataFrame,
    by: str = "surgeon",
    measure: str = "mcid_vas_leg_12m",
    threshold: float = 3.2,
    min_cell: int = 5,
) -> FunnelResult:
    """Rates per surgeon or site and the funnel's control limits.

    Measures (all proportions, so one exact binomial funnel serves them all):
    - "mcid_vas_leg_12m": share whose VAS leg fell by at least `threshold` (default 3.2, Parai 2020)
      from before surgery to 12 months, among cases with both scores.
    - "same_day_discharge": share with stay ≤ 12 h, among recorded stays.
    - "complication": share with a complication other than "none", among recorded.
    - "median_stay": share home within 24 h, among recorded stays. A median has no simple exact
      null distribution for a funnel, and stay is heavily skewed (a few long stays after open
      surgery), so the registries' practice is followed: turn it into a proportion and use the
      binomial funnel. No median funnel is drawn.

    Units with fewer than `min_cell` recorded cases are suppressed: not plotted, listed by name
    only. The overall rate p0 is taken over the plotted units, so nothing on the chart depends on a
    suppressed unit's cases. Limits are drawn over up to 200 whole numbers of cases from `min_cell`
    to the largest unit's volume; each unit is flagged against the limits at its own n.

    Raises:
        FunnelError: unknown measure or unit, or a column the measure needs is absent.
    """
    if measure not in MEASURES:
        raise FunnelError(f"Unknown funnel measure {measure!r}; expected one of {', '.join(MEASURES)}.")
    if by not in UNITS:
        raise FunnelError(f"A funnel compares surgeons or sites; {by!r} is neither.")
    spec = MEASURES[measure]
    missing = [c for c in (by, *spec["columns"]) if c not in cases.columns]
    if missing:
        raise FunnelError(f"The funnel of {spec['label']} needs column(s) {', '.join(missing)}, absent from these cases.")
    min_cell = max(int(min_cell), 1)

    counts = _counts(cases, by, measure, threshold)
    counts["suppressed"] = counts["n"] < min_cell
    shown = counts[~counts["suppressed"]]

    overall = float(shown["events"].sum() / shown["n"].sum()) if len(shown) else None
    units = pd.DataFrame(
        {
            "unit": counts["unit"].astype(str),
            "n": counts["n"].astype("Int64").mask(counts["suppressed"]),
            "events": counts["events"].astype("Int64").mask(counts["suppressed"]),
            "rate": (counts["events"] / counts["n"]).astype("float64").mask(counts["suppressed"]),
            "outside_95": pd.array([pd.NA] * len(counts), dtype="boolean"),
            "outside_998": pd.array([pd.NA] * len(counts), dtype="boolean"),
            "suppressed": counts["suppressed"].astype(bool),
        }
    )
    if overall is None:
        limits = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _LIMIT_DTYPES.items()})
    else:
        n_shown = shown["n"].to_numpy()
        rate_shown = (shown["events"] / shown["n"]).to_numpy()
        for col, tail in (("outside_95", TAIL_95), ("outside_998", TAIL_998)):
            lo, hi = binomial_limits(n_shown, overall, tail)
            units.loc[shown.index, col] = pd.array((rate_shown < lo) | (rate_shown > hi), dtype="boolean")
        grid = np.unique(np.round(np.linspace(min_cell, max(int(n_shown.max()), min_cell), 200))).astype(int)
        lo95, hi95 = binomial_limits(grid, overall, TAIL_95)
        lo998, hi998 = binomial_limits(grid, overall, TAIL_998)
        limits = pd.DataFrame(
            {"n": grid, "lower_95": lo95, "upper_95": hi95, "lower_998": lo998, "upper_998": hi998}
        ).astype(_LIMIT_DTYPES)
    return FunnelResult(
        units=units,
        limits=limits,
        overall_rate=overall,
        measure_label=spec["label"],
        measure=measure,
        by=by,
        min_cell=min_cell,
        higher_is_better=spec["higher_is_better"],
    )


_LIMIT_DTYPES = {"n": "int64", "lower_95": "float64", "upper_95": "float64", "lower_998": "float64", "upper_998": "float64"}

FLAG_WITHIN = "Within 95% limits"
FLAG_95 = "Outside 95% limits"
FLAG_998 = "Outside 99.8% limits"
# Okabe–Ito: grey for the unremarkable, orange for a warning, vermillion for an alarm.
FLAG_COLOURS = {FLAG_WITHIN: "#7f7f7f", FLAG_95: "#E69F00", FLAG_998: "#D55E00"}


def _flag(row) -> str:
    if bool(row["outside_998"]):
        return FLAG_998
    if bool(row["outside_95"]):
        return FLAG_95
    return FLAG_WITHIN


def funnel_chart(result: FunnelResult, title: str) -> Spec:
    """The funnel plot: units as points, the overall rate, 95% (dashed) and 99.8% (dotted) limits.

    x is the number of cases with the measure recorded, y the rate in %. Units outside the 99.8%
    limits are drawn larger in vermillion. Only aggregated rows go to the browser.
    """
    who = "surgeons" if result.by == "surgeon" else "sites"
    subtitle = [f"Units with fewer than {result.min_cell} cases are not shown (k = {result.min_cell}, the minimum cell size)."]
    subtitle.append("Not adjusted for case mix: filter to one condition and approach to compare like with like.")
    if result.overall_rate is not None:
        subtitle.append(f"Solid line: the overall rate, {result.overall_rate * 100:.1f}%, across the {who} shown.")
    n_hidden = int(result.units["suppressed"].sum())
    if n_hidden:
        subtitle.append(f"{n_hidden} of {len(result.units)} {who} not shown for that reason.")
    x_title = "Number of cases (with the measure recorded)"
    y_title = result.measure_label

    points = result.units[~result.units["suppressed"]].copy()
    points["rate_pct"] = points["rate"] * 100
    points["n"] = points["n"].astype("int64")
    points["events"] = points["events"].astype("int64")
    points["flag"] = points.apply(_flag, axis=1) if len(points) else pd.Series(dtype=str)
    points = points[["unit", "n", "events", "rate_pct", "flag"]]

    long = result.limits.melt(id_vars="n", var_name="line", value_name="rate")
    long["rate_pct"] = long["rate"] * 100
    long["limits"] = np.where(long["line"].str.endswith("_95"), "95% limits", "99.8% limits")
    long = long[["n", "line", "limits", "rate_pct"]]

    x = channel("n:Q", title=x_title, scale={"zero": True, "nice": True})
    lines = mark_layer(
        "line",
        "limits",
        encoding(
            x=x,
            y=channel("rate_pct:Q", title=y_title, scale={"zero": True}),
            detail=channel("line:N"),
            strokeDash=channel(
                "limits:N",
                title="Control limits",
                scale={"domain": ["95% limits", "99.8% limits"], "range": [[6, 4], [2, 2]]},
            ),
        ),
        color="#444444",
        strokeWidth=1.2,
    )
    overall_pct = (result.overall_rate or 0.0) * 100
    overall_row = pd.DataFrame({"rate_pct": [overall_pct], "label": [f"Overall rate {overall_pct:.1f}%"]})
    overall = mark_layer(
        "rule",
        "overall",
        encoding(y=channel("rate_pct:Q"), tooltip=[tooltip("label:N", "Overall")]),
        color="#000000",
        strokeWidth=1.5,
    )
    dots = mark_layer(
        "circle",
        "shown",
        encoding(
            x=x,
            y=channel("rate_pct:Q", title=y_title),
            color=channel(
                "flag:N",
                title="Against the limits",
                scale={"domain": list(FLAG_COLOURS), "range": list(FLAG_COLOURS.values())},
            ),
            # Larger for the alarm only; the test is the text Altair wrote for alt.datum.flag == FLAG_998.
            size={"condition": {"test": f"(datum.flag === {FLAG_998!r})", "value": 180}, "value": 70},
            tooltip=[
                tooltip("unit:N", result.by.capitalize()),
                tooltip("n:Q", "Cases"),
                tooltip("rate_pct:Q", "Rate (%)", ".1f"),
                tooltip("flag:N", "Against the limits"),
            ],
        ),
        opacity=0.9,
        stroke="white",
        strokeWidth=0.5,
    )
    layers = [lines, overall, dots] if result.overall_rate is not None else [dots]
    return layer_chart(
        layers,
        {"limits": records(long), "overall": records(overall_row), "shown": records(points)},
        title=title_params(title, subtitle, anchor="start"),
        height=380,
    )


def units_display(result: FunnelResult, min_cell: int) -> pd.DataFrame:
    """The funnel's units as a table, in name order (never ranked): cases, rate and where it falls.

    'Where it falls' says above or below which control limit, without calling it better or worse:
    the rates are not adjusted for case mix.
    """
    title = result.by.capitalize()
    rows = []
    for r in result.units.sort_values("unit").itertuples(index=False):
        if r.suppressed:
            label = suppression_label(min_cell)
            rows.append({title: r.unit, "Cases": label, "Rate": label, "Where it falls": label})
            continue
        side = "above" if result.overall_rate is not None and r.rate > result.overall_rate else "below"
        if r.outside_998:
            where = f"{side} the 99.8% limit — worth a closer look"
        elif r.outside_95:
            where = f"{side} the 95% limit (expected for about 1 unit in 20 by chance)"
        else:
            where = "within the limits"
        rows.append({title: r.unit, "Cases": f"{int(r.n):,}", "Rate": f"{100 * r.rate:.1f}% ({int(r.events):,} of {int(r.n):,})",
                     "Where it falls": where})
    return pd.DataFrame(rows, columns=[title, "Cases", "Rate", "Where it falls"])
