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
from scipy.stats import binom, norm

from spinedash import casemix, privacy
from spinedash.analysis import SAME_DAY_MAX_HOURS, WITHIN_24H_MAX_HOURS
from spinedash.casemix import CaseMixModel
from spinedash.catalogue import load_catalogue
from spinedash.privacy import DEFAULT_MIN_CELL, suppression_label
from spinedash.schema import MEASURES as CATALOGUE
from spinedash.vegalite import Spec, channel, encoding, layer_chart, mark_layer, records, title_params, tooltip

# Tail probabilities of the two limit pairs: 95% (2.5% each side) and 99.8% (0.1% each side),
# the pair Spiegelhalter 2005 recommends ("about 2 and 3 standard deviations").
TAIL_95 = 0.025
TAIL_998 = 0.001
# "improvement ≥ threshold" with the analysis module's tolerance (7.2 − 4.0 is 3.2000000000000006).
_EPS = 1e-9

def _measures() -> dict[str, dict]:
    """The funnel's measures: per catalogue measure recorded at 12 months, the share reaching its
    published MCID (a rating: its cut-off), then three yes/no outcomes, then each score's mean at 12
    months (names, direction and thresholds from data/measures.csv). A measure without a published
    default has no rate here: its mean is still offered."""
    out: dict[str, dict] = {
        "same_day_discharge": {
            "label": f"Went home the same day, stay ≤ {SAME_DAY_MAX_HOURS} h (%)",
            "columns": ("length_of_stay_hours",),
            "higher_is_better": True,
            "kind": "rate",
        },
        "complication": {
            "label": "Any complication recorded (%)",
            "columns": ("complication",),
            "higher_is_better": False,
            "kind": "rate",
        },
        "median_stay": {
            "label": f"Went home within {WITHIN_24H_MAX_HOURS} h (%)",
            "columns": ("length_of_stay_hours",),
            "higher_is_better": True,
            "kind": "rate",
        },
    }
    mcid: dict[str, dict] = {}
    means: dict[str, dict] = {}
    for name, m in CATALOGUE.items():
        if "12m" not in m.timepoints:
            continue
        post, label = m.column("12m"), m.label_with_scale
        if m.kind == "rating":
            mcid[f"mcid_{name}_12m"] = {
                "label": f"{m.short_label.split(' (')[0]} of {m.cutoff:g} or {'more' if m.higher_is_better else 'less'} at 12 months (%)",
                "columns": (post,),
                "higher_is_better": True,
                "kind": "rate",
                "score": name,
            }
            continue
        pre = m.column("pre")
        if m.mcid is not None:
            mcid[f"mcid_{name}_12m"] = {
                "label": f"Reached the {m.label} MCID at 12 months (%)",
                "columns": (pre, post),
                "higher_is_better": True,
                "kind": "rate",
                "score": name,
                "baseline": (pre, f"{m.label} before surgery"),
            }
        means[f"{name}_12m"] = {
            "label": f"{label} at 12 months, mean",
            "columns": (post,),
            "higher_is_better": m.higher_is_better,
            "kind": "score",
            "score": name,
            "baseline": (pre, f"{m.label} before surgery"),
        }
    return mcid | out | means


MEASURES: dict[str, dict] = _measures()


def offered_measures(cases: pd.DataFrame) -> list[str]:
    """The funnel measures these cases can draw (their columns present and recorded), the view's
    headline first (`default_measure`), then in MEASURES order; every measure when none can be drawn."""
    offered = [m for m, spec in MEASURES.items()
               if all(c in cases.columns and cases[c].notna().any() for c in spec["columns"])]  # fmt: skip
    first = default_measure(cases)
    if first in offered:
        offered.remove(first)
        offered.insert(0, first)
    return offered or list(MEASURES)


def default_measure(cases: pd.DataFrame) -> str:
    """The funnel's first measure: the view's headline score by the catalogue's rank for the region
    in view — the share reaching its MCID (a rating: its cut-off) where it has a published one
    (VAS leg for a lumbar file), else its mean at 12 months (arm pain for a cervical file); the
    same-day discharge rate when the cases hold no score column at all (with some of a score's
    columns, that score, so the error names what is missing)."""
    from spinedash.outcomes import UNKNOWN_REGION, headline_measure, regions_in_view

    lead = headline_measure(cases)
    if lead is None:
        regions = [r for r in regions_in_view(cases) if r != UNKNOWN_REGION]
        partly = [m.id for m in load_catalogue().headline_order(regions) if any(c.startswith(m.id + "_") for c in cases.columns)]
        if not partly:
            return "same_day_discharge"
        lead = partly[0]
    return f"mcid_{lead}_12m" if f"mcid_{lead}_12m" in MEASURES else f"{lead}_12m"
UNITS: tuple[str, ...] = ("surgeon", "site")
# Spiegelhalter 2005, section 4: the over-dispersion allowance. "additive" (random effects) widens
# the limits most for the largest units, which are the ones over-dispersion flags wrongly.
DISPERSION: dict[str, str] = {
    "additive": "Additive (random effects)",
    "multiplicative": "Multiplicative",
    "none": "None (exact binomial limits)",
}
_Z95 = float(norm.ppf(1 - 0.025))
_Z998 = float(norm.ppf(1 - 0.001))


class FunnelError(ValueError):
    """The funnel cannot be drawn from these cases (unknown measure or unit, or a missing column)."""


@dataclass(frozen=True)
class FunnelResult:
    """Everything a funnel chart needs, aggregated: one row per unit and the limit lines.

    `units`: unit, n, events, rate, expected, ratio, outside_95, outside_998, suppressed,
    complementary. For a rate, `events` is the observed count, `expected` what the case-mix model
    expects for the unit's patients, `ratio` O/E and `rate` the value plotted: the indirectly
    standardised rate p0·O/E (adjusted) or the crude rate (unadjusted), 0–1. For a score, `events`
    is the sum of the scores, `expected` the expected sum and `rate` the mean (adjusted: overall
    mean + (O − E)/n). Suppressed units (fewer than `min_cell` cases with the measure recorded, or
    hidden so that such a unit cannot be worked out by subtraction — `complementary`) keep only
    their name; n, events and rate are blank.
    `limits`: n, lower_95, upper_95, lower_998, upper_998 (in the measure's own scale).
    `overall_rate`: the target (p0, or the mean score), over the plotted units only; None when
    nothing is plotted.
    `model`: the case-mix model (None when unadjusted). `phi`: Spiegelhalter's over-dispersion
    estimate (NaN with fewer than 3 units); `tau2` the additive random-effects variance;
    `widened` whether the limits were widened for it.
    """

    units: pd.DataFrame
    limits: pd.DataFrame
    overall_rate: float | None
    measure_label: str
    measure: str
    by: str
    min_cell: int
    higher_is_better: bool
    kind: str = "rate"
    adjusted: bool = False
    model: CaseMixModel | None = None
    phi: float = float("nan")
    tau2: float = 0.0
    dispersion: str = "none"
    widened: bool = False
    n_hidden_cases: int = 0

    @property
    def scale(self) -> float:
        """Multiply `rate` and the limits by this for the page: 100 for a rate in %, 1 for points."""
        return 100.0 if self.kind == "rate" else 1.0


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


def _outcome(cases: pd.DataFrame, measure: str, threshold: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Per case: the outcome (1/0 for a rate, points for a score) and whether it is recorded."""
    spec = MEASURES[measure]
    if measure.startswith("mcid_") and CATALOGUE[spec["score"]].kind == "rating":
        # A rating at 12 months at or beyond its cut-off (satisfaction 4 or 5 of 5).
        m = CATALOGUE[spec["score"]]
        rating = pd.to_numeric(cases[spec["columns"][0]], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        recorded = ~np.isnan(rating)
        limit = float(m.cutoff) if threshold is None else float(threshold)
        with np.errstate(invalid="ignore"):
            value = (m.sign * (rating - limit) >= -_EPS).astype(np.float64)
    elif measure.startswith("mcid_"):
        # The analysis module's responder definition: improvement ≥ threshold in the measure's
        # direction (pre − 12 m for pain and ODI, 12 m − pre for EQ-5D and mJOA), both recorded.
        pre_col, post_col = spec["columns"]
        pre = pd.to_numeric(cases[pre_col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        post = pd.to_numeric(cases[post_col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        recorded = ~np.isnan(pre) & ~np.isnan(post)
        limit = float(CATALOGUE[spec["score"]].mcid) if threshold is None else float(threshold)
        with np.errstate(invalid="ignore"):
            value = (CATALOGUE[spec["score"]].sign * (post - pre) >= limit - _EPS).astype(np.float64)
    elif spec["kind"] == "score":
        value = pd.to_numeric(cases[spec["columns"][0]], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        recorded = ~np.isnan(value)
    elif measure == "complication":
        recorded = cases["complication"].notna().to_numpy(dtype=bool)
        value = (recorded & (cases["complication"] != "none").to_numpy(dtype=bool, na_value=False)).astype(np.float64)
    else:
        stay = pd.to_numeric(cases["length_of_stay_hours"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        recorded = ~np.isnan(stay)
        with np.errstate(invalid="ignore"):
            value = (stay <= (SAME_DAY_MAX_HOURS if measure == "same_day_discharge" else WITHIN_24H_MAX_HOURS)).astype(np.float64)
    return np.where(recorded, value, np.nan), recorded


def _normal_limits(n: np.ndarray, target: float, sd1: float, z: float, phi: float, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """target ± z·√(φ·sd1²/n + τ²): Spiegelhalter 2005's normal limits, with either allowance."""
    half = z * np.sqrt(phi * sd1**2 / np.asarray(n, dtype=float) + tau2)
    return target - half, target + half


def overdispersion(z: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """Spiegelhalter 2005 (section 4.1–4.2): φ̂ and the additive random-effects variance τ̂².

    φ̂ = (1/I)·Σ z_i² over the I units, with the z-scores winsorised at 10% each side: the
    floor(I/10) lowest and highest are set to the next one in (so one true outlier does not widen
    everyone's limits; with fewer than 10 units nothing is winsorised); τ̂² = (I·φ̂ − (I − 1)) /
    (Σ w_i − Σ w_i² / Σ w_i) with w_i = 1/se_i², and 0 when I·φ̂ ≤ I − 1. With fewer than 3 units
    φ̂ is not estimated (NaN).
    """
    z = np.asarray(z, dtype=float)
    if len(z) < 3:
        return float("nan"), 0.0
    # Winsorise the floor(10%) most extreme z-scores each side to the next one in (none below 10 units).
    cut = int(np.floor(0.1 * len(z)))
    ordered = np.sort(z)
    zw = np.clip(z, ordered[cut], ordered[len(z) - 1 - cut])
    count = len(zw)
    phi = float(np.mean(zw**2))
    w = 1 / np.asarray(se, dtype=float) ** 2
    denominator = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (count * phi - (count - 1)) / denominator) if denominator > 0 else 0.0
    return phi, tau2


def funnel_data(
    cases: pd.DataFrame,
    by: str = "surgeon",
    measure: str | None = None,
    threshold: float | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    adjust: bool = True,
    adjust_for_approach: bool = True,
    dispersion: str = "additive",
) -> FunnelResult:
    """Each surgeon's or site's outcome, risk-adjusted by default, and the funnel's control limits.

    Measures: see MEASURES (None: `default_measure`, the view's headline score). Rates: same-day discharge (stay ≤ 12 h), home within 24 h (the
    registries' way to funnel a skewed stay: a median has no simple exact null distribution),
    any complication, and per score the share reaching its MCID at 12 months (`threshold`, default
    the schema measure's Swespine MCID). Scores: the mean at 12 months.

    Case mix (`adjust`, default on): a model of the outcome on the cases of the plotted units
    (spinedash.casemix: logistic for a rate, linear for a score; the score before surgery, where
    relevant, condition, approach unless `adjust_for_approach` is off, age, sex, level) gives each
    case an expected value; per unit O = observed events (or sum of scores), E = the sum of the
    expected values. A rate is plotted as the indirectly standardised rate p0·O/E, a score as the
    overall mean + (O − E)/n. Unadjusted, the crude rate or mean is plotted.

    Limits around the target (p0 or the overall mean) at n cases: exact binomial for a rate
    (Spiegelhalter 2005, appendix A.1.1), normal for a score (σ = the SD of the scores, or the
    model's residual SD). Over-dispersion (`dispersion` "additive", "multiplicative" or "none"):
    z_i = (y_i − target)/se_i with se_i = σ/√n_i (σ² = p0(1 − p0) for a rate); φ̂ and τ̂² from
    `overdispersion`; when φ̂ > 1 the limits become target ± z·√(φ̂·σ²/n) (multiplicative) or
    target ± z·√(σ²/n + τ̂²) (additive), never inside the exact binomial limits for a rate (at a
    handful of cases the exact limits are the wider), and `widened` is True. Units are flagged against the limits
    at their own n.

    Small units: a unit with fewer than `min_cell` cases with the measure recorded is suppressed,
    and spinedash.privacy's complementary suppression hides the next smallest too where the page's
    case count minus the plotted units would otherwise give a hidden unit's size away (cases with
    the unit blank count as one more hidden cell). The target and the model use the plotted units'
    cases only, so nothing on the chart depends on a suppressed unit's cases.

    Raises:
        FunnelError: unknown measure, unit or allowance, or a column the measure needs is absent.
    """
    measure = default_measure(cases) if measure is None else measure
    if measure not in MEASURES:
        raise FunnelError(f"Unknown funnel measure {measure!r}; expected one of {', '.join(MEASURES)}.")
    if by not in UNITS:
        raise FunnelError(f"A funnel compares surgeons or sites; {by!r} is neither.")
    if dispersion not in DISPERSION:
        raise FunnelError(f"Unknown over-dispersion allowance {dispersion!r}; expected one of {', '.join(DISPERSION)}.")
    spec = MEASURES[measure]
    missing = [c for c in (by, *spec["columns"]) if c not in cases.columns]
    if missing:
        raise FunnelError(f"The funnel of {spec['label']} needs column(s) {', '.join(missing)}, absent from these cases.")
    min_cell = max(int(min_cell), 1)
    kind = spec["kind"]

    value, recorded = _outcome(cases, measure, threshold)
    unit_col = cases[by]
    has_unit = unit_col.notna().to_numpy(dtype=bool)
    keep = recorded & has_unit
    unit_codes, unit_names = pd.factorize(unit_col, sort=True)  # codes, not a string copy of every row
    present, codes = np.unique(unit_codes[keep], return_inverse=True)
    codes = codes.ravel()
    names = np.asarray(unit_names, dtype=object).astype(str)[present]
    y = value[keep]
    n_all = np.bincount(codes, minlength=len(names)).astype(np.int64)
    # The blank-unit cases with the measure recorded are one more cell the page never shows.
    blank = int((recorded & ~has_unit).sum())
    counts = np.append(n_all, blank)
    hidden = privacy.complementary_suppression(counts, min_cell, hidden=np.append(np.zeros(len(names), bool), blank > 0))
    if blank >= min_cell and not privacy.is_small(n_all, min_cell).any():
        hidden[:] = False  # a large blank cell alone hides nobody
    suppressed = hidden[:-1]
    complementary = suppressed & ~privacy.is_small(n_all, min_cell)
    shown_case = ~suppressed[codes]

    ys, cs = y[shown_case], codes[shown_case]
    model = None
    if adjust and len(ys):
        wanted = casemix.candidates(cases, spec.get("baseline"), approach=adjust_for_approach)
        fitted = cases.loc[keep].loc[shown_case] if len(cases) else cases
        model = casemix.fit_case_mix(fitted.reset_index(drop=True), ys, "logistic" if kind == "rate" else "linear", wanted)
        expected_case = model.expected
    else:
        expected_case = np.full(len(ys), ys.mean() if len(ys) else np.nan)

    n = np.bincount(cs, minlength=len(names)).astype(np.float64)
    observed = np.bincount(cs, weights=ys, minlength=len(names))
    expected = np.bincount(cs, weights=expected_case, minlength=len(names))
    plotted = ~suppressed & (n > 0)
    target = float(ys.mean()) if len(ys) else None
    centre = target if target is not None else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = observed / expected
        if kind == "rate":
            sd1 = float(np.sqrt(centre * (1 - centre)))
            plotted_value = centre * ratio if adjust else observed / n
        else:
            sd1 = (model.residual_sd if model is not None and model.used else float(np.std(ys, ddof=1)) if len(ys) > 1 else float("nan"))
            plotted_value = centre + (observed - expected) / n if adjust else observed / n

    units = pd.DataFrame(
        {
            "unit": pd.Series(names, dtype="object"),
            "n": pd.array(np.where(plotted, n, 0).astype(np.int64), dtype="Int64"),
            "events": pd.array(observed, dtype="Float64"),
            "rate": plotted_value.astype("float64"),
            "expected": expected.astype("float64"),
            "ratio": ratio.astype("float64"),
            "outside_95": pd.array([pd.NA] * len(names), dtype="boolean"),
            "outside_998": pd.array([pd.NA] * len(names), dtype="boolean"),
            "suppressed": suppressed.astype(bool),
            "complementary": complementary.astype(bool),
        }
    )
    for col in ("n", "events", "rate", "expected", "ratio"):
        units[col] = units[col].mask(suppressed)
    if kind == "rate":
        units["events"] = units["events"].round().astype("Int64")

    phi, tau2, widened = float("nan"), 0.0, False
    if target is None or not plotted.any():
        limits = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _LIMIT_DTYPES.items()})
    else:
        n_shown = n[plotted]
        y_shown = plotted_value[plotted]
        se = sd1 / np.sqrt(n_shown)
        if sd1 > 0:
            phi, tau2 = overdispersion((y_shown - target) / se, se)
        widened = dispersion != "none" and np.isfinite(phi) and phi > 1
        grid = np.unique(np.round(np.linspace(min_cell, max(int(n_shown.max()), min_cell), 200))).astype(int)

        def bounds(at: np.ndarray, tail: float, z: float) -> tuple[np.ndarray, np.ndarray]:
            if widened:
                lo, hi = _normal_limits(at, target, sd1, z, phi if dispersion == "multiplicative" else 1.0,
                                        tau2 if dispersion == "additive" else 0.0)
                if kind == "rate":  # widening never narrows: at small n the exact limits can be the wider
                    exact_lo, exact_hi = binomial_limits(at, target, tail)
                    lo, hi = np.minimum(lo, exact_lo), np.maximum(hi, exact_hi)
            elif kind == "rate":
                return binomial_limits(at, target, tail)
            else:
                lo, hi = _normal_limits(at, target, sd1, z, 1.0, 0.0)
            return (np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)) if kind == "rate" else (lo, hi)

        idx = np.flatnonzero(plotted)
        for col, tail, z in (("outside_95", TAIL_95, _Z95), ("outside_998", TAIL_998, _Z998)):
            lo, hi = bounds(n_shown, tail, z)
            units.loc[idx, col] = pd.array((y_shown < lo - 1e-12) | (y_shown > hi + 1e-12), dtype="boolean")
        lo95, hi95 = bounds(grid, TAIL_95, _Z95)
        lo998, hi998 = bounds(grid, TAIL_998, _Z998)
        limits = pd.DataFrame(
            {"n": grid, "lower_95": lo95, "upper_95": hi95, "lower_998": lo998, "upper_998": hi998}
        ).astype(_LIMIT_DTYPES)
    return FunnelResult(
        units=units,
        limits=limits,
        overall_rate=target,
        measure_label=spec["label"],
        measure=measure,
        by=by,
        min_cell=min_cell,
        higher_is_better=spec["higher_is_better"],
        kind=kind,
        adjusted=bool(adjust),
        model=model,
        phi=phi,
        tau2=tau2,
        dispersion=dispersion,
        widened=bool(widened),
        n_hidden_cases=int(counts[hidden].sum()),
    )


_LIMIT_DTYPES = {"n": "int64", "lower_95": "float64", "upper_95": "float64", "lower_998": "float64", "upper_998": "float64"}

FLAG_WITHIN = "Within 95% limits"
FLAG_95 = "Outside 95% limits"
FLAG_998 = "Outside 99.8% limits"
# Okabe–Ito: grey for the unremarkable, orange for a warning, vermillion for an alarm.
# Darkened Okabe–Ito orange (as the Tubular MIS colour): #E69F00 is 2.25:1 on white, #BB8100 3.36:1.
FLAG_COLOURS = {FLAG_WITHIN: "#7f7f7f", FLAG_95: "#BB8100", FLAG_998: "#D55E00"}


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
    subtitle.append(adjustment_text(result))
    if result.overall_rate is not None:
        subtitle.append(f"Solid line: the overall {'rate' if result.kind == 'rate' else 'mean'}, "
                        f"{_value_text(result, result.overall_rate)}, across the {who} shown.")
    if result.widened:
        subtitle.append(dispersion_text(result))
    n_hidden = int(result.units["suppressed"].sum())
    if n_hidden:
        subtitle.append(f"{n_hidden} of {len(result.units)} {who} not shown for that reason.")
    x_title = "Number of cases (with the measure recorded)"
    y_title = y_axis_title(result)

    points = result.units[~result.units["suppressed"]].copy()
    # rate_pct: the plotted value on the page's scale (% for a rate, points for a score).
    points["rate_pct"] = points["rate"] * result.scale
    points["n"] = points["n"].astype("int64")
    points["flag"] = points.apply(_flag, axis=1) if len(points) else pd.Series(dtype=str)
    points = points[["unit", "n", "rate_pct", "flag"]]

    long = result.limits.melt(id_vars="n", var_name="line", value_name="rate")
    long["rate_pct"] = long["rate"] * result.scale
    long["limits"] = np.where(long["line"].str.endswith("_95"), "95% limits", "99.8% limits")
    long = long[["n", "line", "limits", "rate_pct"]]

    x = channel("n:Q", title=x_title, scale={"zero": True, "nice": True})
    lines = mark_layer(
        "line",
        "limits",
        encoding(
            x=x,
            y=channel("rate_pct:Q", title=y_title, scale={"zero": result.kind == "rate"}),
            detail=channel("line:N"),
            strokeDash=channel(
                "limits:N",
                title="Control limits",
                scale={"domain": ["95% limits", "99.8% limits"], "range": [[6, 4], [2, 2]]},
                # Entries one under another: side by side, two legends ran off a tablet's chart.
                legend={"direction": "vertical"},
            ),
        ),
        color="#444444",
        strokeWidth=1.2,
    )
    overall_pct = (result.overall_rate or 0.0) * result.scale
    word = "rate" if result.kind == "rate" else "mean"
    overall_row = pd.DataFrame({"rate_pct": [overall_pct], "label": [f"Overall {word} {_value_text(result, result.overall_rate or 0.0)}"]})
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
                legend={"direction": "vertical"},
            ),
            # Larger for the alarm only; the test is the text Altair wrote for alt.datum.flag == FLAG_998.
            size={"condition": {"test": f"(datum.flag === {FLAG_998!r})", "value": 180}, "value": 70},
            tooltip=[
                tooltip("unit:N", result.by.capitalize()),
                tooltip("n:Q", "Cases"),
                tooltip("rate_pct:Q", y_title, ".1f"),
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


def _value_text(result: FunnelResult, value: float) -> str:
    return f"{value * 100:.1f}%" if result.kind == "rate" else f"{value:.1f} points"


def y_axis_title(result: FunnelResult) -> str:
    """The y-axis: the measure, risk-adjusted (indirectly standardised) or unadjusted."""
    label = result.measure_label
    if not result.adjusted:
        return f"{label}, unadjusted"
    return f"{label}, risk-adjusted" if result.model is not None and result.model.used else f"{label} (nothing to adjust for)"


def adjustment_text(result: FunnelResult) -> str:
    """One sentence: what the funnel adjusted for, or that it did not."""
    if not result.adjusted:
        return "Unadjusted: the crude rates, which mix each unit's results with its case mix."
    model = result.model
    if model is None or not model.used:
        return "Not adjusted: no case-mix covariate could be used with these cases."
    word = "indirectly standardised rate (overall rate × O/E)" if result.kind == "rate" else "overall mean + (observed − expected mean)"
    out = f"Risk-adjusted for {casemix.join_words(model.used)}: each dot is its {word}."
    if model.left_out:
        out += f" Not used: {'; '.join(model.left_out)}."
    return out


def dispersion_text(result: FunnelResult) -> str:
    """Whether the limits were widened for over-dispersion, with φ in words."""
    if not np.isfinite(result.phi):
        return "Over-dispersion not estimated: fewer than 3 units are shown."
    phi = f"φ = {result.phi:.1f}"
    if not result.widened:
        if result.dispersion == "none":
            return f"Limits not widened for over-dispersion ({phi}; allowance switched off)."
        return f"No over-dispersion ({phi} ≤ 1): limits not widened."
    how = ("additive random effects, τ = " + (f"{100 * np.sqrt(result.tau2):.1f} percentage points" if result.kind == "rate" else f"{np.sqrt(result.tau2):.1f} points")
           if result.dispersion == "additive" else "multiplied by √φ")
    return (f"Units vary more than chance allows ({phi} > 1, Spiegelhalter 2005): limits widened "
            f"({how}).")


def units_display(result: FunnelResult, min_cell: int) -> pd.DataFrame:
    """The funnel's units as a table, in name order (never ranked): cases, observed, expected, O/E, where it falls.

    'Where it falls' says above or below which control limit, without calling it better or worse.
    """
    title = result.by.capitalize()
    adjusted = result.adjusted and result.model is not None and bool(result.model.used)
    value_col = "Risk-adjusted" if adjusted else "Unadjusted"
    columns = [title, "Cases", "Observed", "Expected", "O/E", value_col, "Where it falls"]
    rows = []
    for r in result.units.sort_values("unit").itertuples(index=False):
        if r.suppressed:
            label = privacy.complementary_label() if r.complementary else suppression_label(min_cell)
            rows.append(dict.fromkeys(columns, label) | {title: r.unit})
            continue
        side = "above" if result.overall_rate is not None and r.rate > result.overall_rate else "below"
        if r.outside_998:
            where = f"{side} the 99.8% limit — worth a closer look"
        elif r.outside_95:
            where = f"{side} the 95% limit (expected for about 1 unit in 20 by chance)"
        else:
            where = "within the limits"
        if result.kind == "rate":
            observed = f"{100 * r.events / r.n:.1f}% ({int(r.events):,} of {int(r.n):,})"
            expected = f"{100 * r.expected / r.n:.1f}%"
        else:
            observed, expected = f"{r.events / r.n:.1f}", f"{r.expected / r.n:.1f}"
        rows.append({title: r.unit, "Cases": f"{int(r.n):,}", "Observed": observed,
                     "Expected": expected if adjusted else "—", "O/E": f"{r.ratio:.2f}" if adjusted and result.kind == "rate" else "—",
                     value_col: _value_text(result, r.rate), "Where it falls": where})
    return pd.DataFrame(rows, columns=columns)


def model_table(result: FunnelResult) -> pd.DataFrame:
    """The case-mix model's terms for the method note: odds ratios (rates) or points (scores), 95% CI."""
    model = result.model
    if model is None or model.terms.empty:
        return pd.DataFrame(columns=["Term", "Estimate (95% CI)"])
    unit = "odds ratio" if model.kind == "logistic" else "points"
    return pd.DataFrame(
        {
            "Term": model.terms["term"].to_numpy(),
            f"Estimate, {unit} (95% CI)": [
                f"{e:.2f} ({lo:.2f} to {hi:.2f})" for e, lo, hi in model.terms[["estimate", "ci_low", "ci_high"]].itertuples(index=False)
            ],
        }
    )


def model_text(result: FunnelResult) -> str:
    """The method note under the funnel: model, covariates used and left out, fit, over-dispersion."""
    model = result.model
    lines = []
    if not result.adjusted:
        lines.append("Unadjusted: no case-mix model; each dot is the unit's crude result.")
    elif model is None or not model.used:
        lines.append("No case-mix covariate could be used with these cases, so the result is the unadjusted one.")
    else:
        how = ("Logistic regression (statsmodels GLM, binomial)" if model.kind == "logistic"
               else "Linear regression (statsmodels OLS)")
        lines.append(f"{how} fitted on the {model.n:,} cases of the units shown.")
        lines.append(f"Covariates used: {casemix.join_words(model.used)}.")
        lines.append(f"Fit: {model.fit_name} {model.fit_value:.2f}"
                     + (" (0.5 = no better than chance, 1 = perfect)." if model.kind == "logistic" else " (share of variance explained)."))
    if model is not None and model.left_out:
        lines.append(f"Left out: {'; '.join(model.left_out)}.")
    if result.adjusted and model is not None and model.used:
        lines.append("Expected per unit = the sum of the model's predictions for its patients; O/E = observed ÷ expected.")
    if np.isfinite(result.phi):
        lines.append(f"Over-dispersion φ = {result.phi:.2f} (Spiegelhalter 2005: mean squared z-score, winsorised at 10%); "
                     f"additive random-effects τ² = {result.tau2:.4g}.")
    lines.append(dispersion_text(result))
    return "\n\n".join(lines)
