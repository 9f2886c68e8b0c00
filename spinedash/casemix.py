"""Case mix: what a unit's or a group's patients would be expected to score, given who they are.

A surgeon who operates mostly on stenosis, or mostly with open surgery, sends fewer patients home
the same day whoever they are. Benchmarking and Compare therefore set each unit's or group's
outcome against what a model of the loaded data expects for its own patients:

- the model is fitted on the cases in view with statsmodels: logistic regression (GLM, binomial
  family) for a yes/no outcome, ordinary least squares for a score;
- covariates, in order of priority: the score before surgery (where the outcome is a score at
  follow-up), condition, approach (optional: choosing the approach may be part of what is
  judged), age, sex, level;
- a covariate the data lack, leave blank, or hold only one value of is left out, and a model
  that would have fewer than 10 events per term (the usual rule of thumb, Peduzzi et al., J Clin
  Epidemiol 1996) drops covariates from the end of that list; every covariate left out is named,
  with the reason, in words;
- a blank value of a category is its own level ("not recorded"); levels with fewer than
  RARE_LEVEL cases are pooled as "other"; a blank number is set to the median and flagged by an
  indicator term, so no case is dropped for a missing covariate.

Pure numpy / pandas / statsmodels; no Streamlit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import Logit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

# (column, kind, what the page calls it). Order = priority: the last are dropped first.
CASE_MIX: tuple[tuple[str, str, str], ...] = (
    ("condition", "category", "condition"),
    ("approach", "category", "approach"),
    ("age", "number", "age"),
    ("sex", "category", "sex"),
    ("spinal_level", "category", "level"),
)
CASE_MIX_COLUMNS: tuple[str, ...] = tuple(c for c, _, _ in CASE_MIX)
# ASSUMPTION: a category level seen fewer than 10 times is pooled with the other rare ones; its own
# coefficient would be noise (and can make the logistic fit diverge).
RARE_LEVEL = 10
# Peduzzi P et al., J Clin Epidemiol 1996;49:1373–9: about 10 events per model term.
EVENTS_PER_TERM = 10


@dataclass(frozen=True)
class Covariate:
    """One covariate turned into design columns: its label, columns and their names."""

    label: str
    columns: np.ndarray  # 2-D, one column per model term
    names: tuple[str, ...]


@dataclass(frozen=True)
class CaseMixModel:
    """A fitted case-mix model: expected outcome per case and what went into it.

    `expected`: per case, in the order given (a probability 0–1 for "logistic", points for "linear").
    `used`: labels of the covariates in the model. `left_out`: "level (not in the data)", … .
    `fit_name`/`fit_value`: "c-statistic" (area under the ROC curve) or "R²".
    `residual_sd`: the residual standard deviation (linear), NaN for logistic.
    `terms`: term, estimate (odds ratio or points), ci_low, ci_high, for the method note.
    """

    kind: str
    expected: np.ndarray
    used: tuple[str, ...]
    left_out: tuple[str, ...]
    fit_name: str
    fit_value: float
    n: int
    residual_sd: float
    terms: pd.DataFrame

    def describe(self) -> str:
        """'Adjusted for condition, approach and age (c-statistic 0.81, 2,500 cases).'"""
        if not self.used:
            return "Not adjusted: no case-mix covariate could be used."
        return f"Adjusted for {join_words(self.used)} ({self.fit_name} {self.fit_value:.2f}, {self.n:,} cases)."


def join_words(words: Sequence[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def candidates(cases: pd.DataFrame, baseline: tuple[str, str] | None = None, approach: bool = True) -> list[tuple[str, str, str]]:
    """The covariates to try, in priority order: the baseline score first (if given), then CASE_MIX."""
    out = [(baseline[0], "number", baseline[1])] if baseline else []
    out += [c for c in CASE_MIX if approach or c[0] != "approach"]
    return out


def _category(values: pd.Series, label: str) -> Covariate | str:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # integer codes: no string copy of a million rows
    names = np.append(np.asarray(uniques, dtype=object).astype(str), "not recorded")
    codes = np.where(codes < 0, len(names) - 1, codes)
    counts = np.bincount(codes, minlength=len(names))
    present = np.flatnonzero(counts > 0)
    rare = [i for i in present if counts[i] < RARE_LEVEL]
    if len(rare) > 1 or (rare and len(present) > 2):
        other = len(names)
        names = np.append(names, "other")
        codes = np.where(np.isin(codes, rare), other, codes)
        counts = np.bincount(codes, minlength=len(names))
        present = np.flatnonzero(counts > 0)
    if len(present) < 2:
        return f"{label} (the same for every case)"
    order = present[np.argsort(names[present], kind="stable")]
    reference = order[np.argmax(counts[order])]
    kept = [i for i in order if i != reference]
    columns = np.zeros((len(codes), len(kept)))
    for j, i in enumerate(kept):
        columns[codes == i, j] = 1.0
    return Covariate(label, columns, tuple(f"{label}: {names[i]} (vs {names[reference]})" for i in kept))


def _number(values: pd.Series, label: str) -> Covariate | str:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    blank = np.isnan(x)
    if blank.all():
        return f"{label} (not recorded)"
    filled = np.where(blank, np.nanmedian(x), x)
    if np.ptp(filled) == 0:
        return f"{label} (the same for every case)"
    if blank.any():
        return Covariate(label, np.column_stack([filled, blank.astype(np.float64)]), (label, f"{label} not recorded"))
    return Covariate(label, filled[:, None], (label,))


def design(cases: pd.DataFrame, wanted: Sequence[tuple[str, str, str]]) -> tuple[list[Covariate], list[str]]:
    """The covariates that can be used, in order, and the others with the reason in words."""
    used: list[Covariate] = []
    left_out: list[str] = []
    for column, kind, label in wanted:
        if column not in cases.columns:
            left_out.append(f"{label} (not in the data)")
            continue
        if cases[column].isna().all():
            left_out.append(f"{label} (not recorded)")
            continue
        made = _category(cases[column], label) if kind == "category" else _number(cases[column], label)
        (left_out if isinstance(made, str) else used).append(made)
    return used, left_out


def c_statistic(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: P(score of a random event > score of a random non-event), ties ½."""
    y = np.asarray(y, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# Rows looked at to decide whether collapsing a logistic design into its covariate patterns pays.
PATTERN_PROBE_ROWS = 20_000


def _fit(kind: str, y: np.ndarray, X: np.ndarray):
    """statsmodels OLS, or a logistic model fitted by maximum likelihood either way below.

    A logistic model's likelihood depends on the cases only through, per distinct row of X, the
    number of cases and of events; so where the rows share few patterns the GLM is fitted to those
    (endog = [events, non-events]), which gives the same estimates as one row per case and is 10–100
    times faster at 100,000 cases (condition × approach × sex × level × age in years has a few
    thousand patterns). Where nearly every row is its own pattern (a score before surgery with
    decimals among the covariates: the propensity score of Compare), collapsing saves nothing, and
    the model is statsmodels Logit fitted by Newton's method on the rows: the same maximum-likelihood
    estimates (tests check both against a one-row-per-case GLM), about three times faster than the
    GLM's IRLS at a million cases. Which way is taken is decided on the first PATTERN_PROBE_ROWS
    rows; it changes the time taken, not the result. Returns the fit and the per-case predictions.
    """
    if kind == "linear":
        fit = OLS(y, X).fit()
        return fit, np.asarray(fit.fittedvalues, dtype=np.float64)
    probe = X[:PATTERN_PROBE_ROWS]
    if len(X) > PATTERN_PROBE_ROWS and _row_groups(probe).max() + 1 > len(probe) // 2:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            # Newton starts from the fit to the probe rows: near the answer, it needs fewer passes over
            # all the rows. The end point is the same maximum of the full likelihood.
            start = None
            events = float(y[:PATTERN_PROBE_ROWS].sum())
            if min(events, len(probe) - events) >= EVENTS_PER_TERM * X.shape[1]:  # a probe of sorted rows may hold one group only
                try:
                    first = Logit(y[:PATTERN_PROBE_ROWS], probe).fit(method="newton", maxiter=100, disp=0)
                    if first.mle_retvals.get("converged", False) and np.isfinite(first.params).all():
                        start = first.params
                except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError, ValueError):
                    start = None
            fit = Logit(y, X).fit(start_params=start, method="newton", maxiter=100, disp=0)
            if start is not None and not fit.mle_retvals.get("converged", False):
                fit = Logit(y, X).fit(method="newton", maxiter=100, disp=0)
        if not fit.mle_retvals.get("converged", False):
            raise np.linalg.LinAlgError("did not converge")
        return fit, np.asarray(fit.predict(X), dtype=np.float64)
    inverse = _row_groups(X)
    first = np.full(inverse.max() + 1, len(inverse), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(inverse)))
    patterns = X[first]
    trials = np.bincount(inverse, minlength=len(patterns)).astype(np.float64)
    events = np.bincount(inverse, weights=y, minlength=len(patterns))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        fit = GLM(np.column_stack([events, trials - events]), patterns, family=families.Binomial()).fit()
    if not fit.converged:
        raise np.linalg.LinAlgError("did not converge")
    return fit, np.asarray(fit.predict(patterns), dtype=np.float64)[inverse]


def _row_groups(X: np.ndarray) -> np.ndarray:
    """Per row, the number of its distinct pattern (equal rows, equal numbers): hashed column by
    column with pandas, ~50 times faster than np.unique(axis=0)'s sort at a million rows."""
    key = np.zeros(X.shape[0], dtype=np.int64)
    for column in X.T:
        codes, uniques = pd.factorize(column)
        key, _ = pd.factorize(key * len(uniques) + codes)
    return key


def _distinct_columns(X: np.ndarray) -> np.ndarray:
    """Indices of the columns of X that are not exact repeats of an earlier one (hash, then compare)."""
    seen: dict[tuple[float, float], list[int]] = {}
    keep = []
    position = np.arange(X.shape[0], dtype=np.float64)
    # Every column's two keys in one pass over X (column by column, a C-ordered X is read with a stride).
    sums, dots = X.sum(axis=0), position @ X
    for j in range(X.shape[1]):
        key = (float(sums[j]), float(dots[j]))
        if any(np.array_equal(X[:, i], X[:, j]) for i in seen.get(key, [])):
            continue
        seen.setdefault(key, []).append(j)
        keep.append(j)
    return np.asarray(keep, dtype=np.int64)


# Gram–Schmidt tolerance: a column whose residual, after the columns kept before it, holds less than
# this share of its own sum of squares adds nothing the design does not already hold (round-off).
ALIASED = 1e-9


def independent_columns(cross: np.ndarray) -> np.ndarray:
    """Indices of the design columns to keep, in order, from the cross-products X'X (or X'WX).

    Column j is kept when its sum of squares left after regressing it on the columns kept before it
    (the Schur complement of those in `cross`) is more than ALIASED of its own: a covariate that is a
    combination of others (a condition every case of one level has, a dummy that sums with the
    others to the intercept) would make the design singular, and its inverse then returns numbers
    of any size. Pure numpy on a k × k matrix, so it costs nothing at a million cases.
    """
    k = cross.shape[0]
    keep: list[int] = []
    for j in range(k):
        own = float(cross[j, j])
        if not own > 0:
            continue
        if keep:
            sub = cross[np.ix_(keep, keep)]
            v = cross[keep, j]
            try:
                left = own - float(v @ np.linalg.solve(sub, v))
            except np.linalg.LinAlgError:
                continue
        else:
            left = own
        if left > ALIASED * own:
            keep.append(j)
    return np.asarray(keep, dtype=np.int64)


def fit_case_mix(cases: pd.DataFrame, y: np.ndarray, kind: str, wanted: Sequence[tuple[str, str, str]]) -> CaseMixModel:
    """Fit the case-mix model of `y` (one value per row of `cases`, none missing) on the `wanted` covariates.

    kind "logistic" (y is 0/1) or "linear" (y is a score). Covariates are dropped from the end of
    `wanted` while the model has fewer than EVENTS_PER_TERM events (for linear: cases) per term,
    or while the fit fails (perfect separation, a singular design). With none left, expected is
    the overall mean: the result is the unadjusted one, and `used` is empty.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    covariates, left_out = design(cases, wanted)
    if kind == "logistic":
        budget = int(min(y.sum(), n - y.sum()) // EVENTS_PER_TERM)
        too_few = "too few events for more terms: fewer than 10 per term"
    else:
        budget = n // EVENTS_PER_TERM
        too_few = "too few cases for more terms: fewer than 10 per term"
    while covariates and sum(c.columns.shape[1] for c in covariates) > budget:
        left_out.append(f"{covariates.pop().label} ({too_few})")
    fit = None
    while True:
        X = np.column_stack([np.ones(n), *[c.columns for c in covariates]]) if covariates else np.ones((n, 1))
        # Identical columns (two scores missing for the same patients give the same indicator) would
        # make the design rank-deficient: keep the first of each.
        distinct = _distinct_columns(X)
        X = X[:, distinct]
        try:
            fit, predicted = _fit(kind, y, X) if n > X.shape[1] else (None, None)
            break
        except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError, ValueError):
            if not covariates:
                fit = None
                break
            left_out.append(f"{covariates.pop().label} (the model could not be fitted with it)")
    names = ["intercept", *[name for c in covariates for name in c.names]]
    names = [names[i] for i in distinct] if covariates else names[:1]
    if fit is None:
        expected = np.full(n, y.mean() if n else np.nan)
        terms = pd.DataFrame(columns=["term", "estimate", "ci_low", "ci_high"])
        covariates = []
    else:
        expected = predicted
        ci = np.asarray(fit.conf_int(0.05))
        params = np.asarray(fit.params)
        if kind == "logistic":
            with np.errstate(over="ignore"):  # a near-separated level's CI runs to infinity: shown as such
                params, ci = np.exp(params), np.exp(ci)
        terms = pd.DataFrame({"term": names, "estimate": params, "ci_low": ci[:, 0], "ci_high": ci[:, 1]}).iloc[1:]
    if kind == "logistic":
        fit_name, fit_value, resid_sd = "c-statistic", c_statistic(y > 0.5, expected), float("nan")
    else:
        resid = y - expected
        dof = max(n - (1 + sum(c.columns.shape[1] for c in covariates)), 1)
        resid_sd = float(np.sqrt(resid @ resid / dof)) if n else float("nan")
        total = float(((y - y.mean()) ** 2).sum()) if n else 0.0
        fit_name, fit_value = "R²", (1 - float(resid @ resid) / total) if total > 0 else float("nan")
    return CaseMixModel(
        kind=kind,
        expected=expected,
        used=tuple(c.label for c in covariates),
        left_out=tuple(left_out),
        fit_name=fit_name,
        fit_value=float(fit_value),
        n=n,
        residual_sd=resid_sd,
        terms=terms.reset_index(drop=True),
    )


# --------------------------------------------------------------------------------------------
# Two-group comparisons (Compare): the group effect with covariates or weights, propensity, balance
# --------------------------------------------------------------------------------------------


def design_matrix(covariates: Sequence[Covariate]) -> np.ndarray:
    """The covariates' columns side by side (n × terms); n × 0 when there are none."""
    if not covariates:
        return np.zeros((0, 0))
    return np.column_stack([c.columns for c in covariates])


def group_effect(
    y: np.ndarray, group: np.ndarray, covariates: np.ndarray | None = None, weights: np.ndarray | None = None, robust: bool = False
) -> tuple[float, float, float, float]:
    """Least squares of y on [1, group, covariates], optionally weighted: the group coefficient, 95% CI, p.

    Classic (robust=False, no weights): σ² = RSS/(n − k), t on n − k degrees of freedom — statsmodels
    OLS. Robust: the HC1 sandwich (X'WX)⁻¹ X'W diag(e²) W X (X'WX)⁻¹ · n/(n − k) with normal CI and
    p — statsmodels WLS(…).fit(cov_type="HC1"); used for yes/no outcomes (a linear probability
    model: the coefficient is a difference in risk) and for inverse-probability weights. Solved from
    the k × k cross-products, so a million cases cost milliseconds. Covariate columns constant
    within these rows, or combinations of other columns (independent_columns), are dropped (they
    would make the design singular). NaN when the group itself is a combination of the case mix
    (every B case has a condition no A case has, say) or the model fits every case exactly.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    cols = [np.ones(n), np.asarray(group, dtype=np.float64)]
    if covariates is not None and covariates.size:
        cols += [c for c in covariates.T if np.ptp(c) > 0]
    X = np.column_stack(cols)
    if n <= X.shape[1] or np.ptp(X[:, 1]) == 0:
        return (float("nan"),) * 4
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    Xw = X * w[:, None]
    cross = X.T @ Xw
    # The group is judged last: a covariate that only repeats others is left out, but when the group
    # is itself a combination of the case mix, nothing separates them and there is no estimate.
    order = np.r_[0, 2:X.shape[1], 1]
    keep = order[independent_columns(cross[np.ix_(order, order)])]
    if keep[-1] != 1:
        return (float("nan"),) * 4
    keep = np.r_[0, 1, keep[1:-1]]
    if len(keep) < X.shape[1]:
        X, Xw, cross = X[:, keep], Xw[:, keep], cross[np.ix_(keep, keep)]
    k = X.shape[1]
    if n <= k:
        return (float("nan"),) * 4
    try:
        bread = np.linalg.inv(cross)
    except np.linalg.LinAlgError:
        return (float("nan"),) * 4
    beta = bread @ (Xw.T @ y)
    resid = y - X @ beta
    if robust or weights is not None:
        meat = (Xw * (resid**2)[:, None]).T @ Xw
        cov = bread @ meat @ bread * n / (n - k)
        se = float(np.sqrt(cov[1, 1]))
        crit, p_of = float(stats.norm.ppf(0.975)), (lambda t: float(2 * stats.norm.sf(abs(t))))
    else:
        sigma2 = float((w * resid**2).sum() / (n - k))
        se = float(np.sqrt(sigma2 * bread[1, 1]))
        crit, p_of = float(stats.t.ppf(0.975, n - k)), (lambda t: float(2 * stats.t.sf(abs(t), n - k)))
    coef = float(beta[1])
    if not se > 0:  # the model fits every case exactly: no interval can be given, so no estimate either
        return (float("nan"),) * 4
    return coef, coef - crit * se, coef + crit * se, p_of(coef / se)


def propensity_weights(cases: pd.DataFrame, group_b: np.ndarray, wanted: Sequence[tuple[str, str, str]]) -> tuple[np.ndarray, CaseMixModel]:
    """Stabilised inverse-probability-of-group weights from a logistic propensity score.

    ps = P(group B | covariates), a statsmodels logistic GLM (fit_case_mix) on `cases` (the two
    groups' cases). Weights: P(B)/ps for B, P(A)/(1 − ps) for A (stabilised, Robins 2000; they weigh
    both groups to the combined case mix — the average treatment effect). ps is kept within
    [0.01, 0.99] so that no single case carries the comparison (ASSUMPTION: a common truncation).
    """
    group_b = np.asarray(group_b, dtype=bool)
    model = fit_case_mix(cases, group_b.astype(np.float64), "logistic", wanted)
    ps = np.clip(model.expected, 0.01, 0.99)
    share_b = float(group_b.mean())
    weights = np.where(group_b, share_b / ps, (1 - share_b) / (1 - ps))
    return weights, model


def standardised_differences(cases: pd.DataFrame, group_b: np.ndarray, weights: np.ndarray, wanted: Sequence[tuple[str, str, str]]) -> pd.DataFrame:
    """Balance table: each covariate term's standardised mean difference (B − A) before and after weighting.

    SMD = (mean_B − mean_A) / √((var_A + var_B)/2), with weighted means and variances after
    weighting (Austin, Stat Med 2009). |SMD| < 0.1 is the usual mark of balance.
    """
    group_b = np.asarray(group_b, dtype=bool)
    covariates, _ = design(cases, wanted)
    names = [name for cov in covariates for name in cov.names]
    if not names:
        return pd.DataFrame(columns=["covariate", "before", "after"])
    X = design_matrix(covariates)
    return pd.DataFrame({"covariate": names, "before": _smd(X, group_b, None), "after": _smd(X, group_b, weights)},
                        columns=["covariate", "before", "after"])


def _smd(X: np.ndarray, group_b: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Per column of X, the (weighted) standardised mean difference B − A; all columns at once."""
    if group_b.all() or not group_b.any():
        return np.full(X.shape[1], np.nan)
    w = np.ones(len(group_b)) if weights is None else np.asarray(weights, dtype=np.float64)

    # Weighted first and second moments of every column for both groups in two matrix products (no
    # copy of the rows of each group): var = E[x²] − E[x]², fine at these magnitudes (0/1, ages, scores).
    W = np.column_stack([w * group_b, w * ~group_b])
    total = W.sum(axis=0)[:, None]
    mean = W.T @ X / total
    var = np.maximum(W.T @ (X * X) / total - mean**2, 0.0)
    (m_b, m_a), (v_b, v_a) = mean, var
    pooled = np.sqrt((v_a + v_b) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pooled > 0, (m_b - m_a) / np.where(pooled > 0, pooled, 1.0), 0.0)


# --------------------------------------------------------------------------------------------
# Time to an event (return to work): the Cox proportional hazards model, optionally weighted
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model: coefficients (log hazard ratios), their covariance, and whether it converged."""

    params: np.ndarray
    cov: np.ndarray
    converged: bool


def cox_fit(time: np.ndarray, event: np.ndarray, X: np.ndarray, weights: np.ndarray | None = None, robust: bool = False,
            max_iter: int = 50, tol: float = 1e-10) -> CoxFit:
    """Cox proportional hazards by Newton–Raphson on the Breslow partial likelihood, optionally case-weighted.

    The same model and estimates as statsmodels PHReg(time, X, status=event, ties="breslow") (tests
    check coefficients and standard errors against it to 1e-6), but with case weights, which PHReg
    does not take, and fast at a million cases: at ~10 s for 270,000 cases PHReg was too slow for a
    page. The risk sets are summed per distinct time (return days are whole days: a few hundred),
    and the information matrix is Σ_i r_i c_i x_i x_iᵀ − Σ_j D_j x̄_j x̄_jᵀ with c_i the Breslow
    cumulative hazard at the case's time, one matrix product.

    Weights w_i (frequency or inverse-probability weights) multiply each case's contribution: with
    whole-number weights the estimates equal PHReg on the rows repeated w_i times. `robust`: the
    sandwich covariance I⁻¹ (Σ_i w_i² U_i U_iᵀ) I⁻¹ from the score residuals U_i (Lin & Wei, JASA
    1989), the one to use with inverse-probability weights; it equals PHReg's fit(groups=case) on
    repeated rows. Otherwise the model-based covariance I⁻¹.
    """
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event, dtype=bool)
    X = np.asarray(X, dtype=np.float64)
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    uniq, idx = np.unique(time, return_inverse=True)
    m = len(uniq)
    dw = w * event
    D = np.bincount(idx, weights=dw, minlength=m)  # weighted events per distinct time
    xd = dw @ X

    def sums(beta: np.ndarray):
        eta = X @ beta
        shift = eta.max() if n else 0.0
        r = w * np.exp(eta - shift)  # a common factor cancels in every ratio below
        s0 = np.bincount(idx, weights=r, minlength=m)
        s1 = np.column_stack([np.bincount(idx, weights=r * X[:, j], minlength=m) for j in range(k)]) if k else np.zeros((m, 0))
        R0 = np.cumsum(s0[::-1])[::-1]  # risk set: every case with time ≥ this time
        R1 = np.cumsum(s1[::-1], axis=0)[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            loglik = float(dw @ (eta - shift) - D[D > 0] @ np.log(R0[D > 0]))
            hazard = np.where(D > 0, D / R0, 0.0)  # Breslow increments dΛ_j (on the shifted scale)
            xbar = np.where(R0[:, None] > 0, R1 / np.where(R0 > 0, R0, 1.0)[:, None], 0.0)
        return eta, r, loglik, hazard, xbar

    def score_info(beta: np.ndarray):
        eta, r, loglik, hazard, xbar = sums(beta)
        score = xd - D @ xbar
        cum = np.cumsum(hazard)[idx]  # Λ(t_i)
        info = (X * (r * cum)[:, None]).T @ X - (xbar * D[:, None]).T @ xbar
        return loglik, score, info, (eta, r, hazard, xbar, cum)

    beta = np.zeros(k)
    loglik, score, info, parts = score_info(beta)
    converged = False
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        for _halving in range(30):  # step halving keeps the likelihood from falling
            new = beta + step
            new_loglik, new_score, new_info, new_parts = score_info(new)
            # Rounding in a sum over a million cases can lower the likelihood by a few ulps at the optimum.
            if np.isfinite(new_loglik) and new_loglik >= loglik - 1e-10 * max(1.0, abs(loglik)):
                break
            step = step / 2
        else:
            break
        change = new_loglik - loglik
        beta, loglik, score, info, parts = new, new_loglik, new_score, new_info, new_parts
        # Newton converges quadratically: a step this small means the next would change nothing.
        if np.max(np.abs(step), initial=0.0) < 1e-8 or abs(change) < tol * max(1.0, abs(loglik)):
            converged = True
            break
    try:
        bread = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return CoxFit(beta, np.full((k, k), np.nan), False)
    if not robust:
        return CoxFit(beta, bread, converged)
    eta, r, hazard, xbar, cum = parts
    # Score residual of case i: d_i (x_i − x̄(t_i)) − e^{η_i} Σ_{t_j ≤ t_i} (x_i − x̄_j) dΛ_j; r holds w_i e^{η_i}.
    cum_x = np.cumsum(xbar * hazard[:, None], axis=0)[idx]
    e = r / np.where(w > 0, w, 1.0)
    resid = event[:, None] * (X - xbar[idx]) - e[:, None] * (X * cum[:, None] - cum_x)
    wr = resid * w[:, None]
    meat = wr.T @ wr
    return CoxFit(beta, bread @ meat @ bread, converged)


def hazard_ratio(time: np.ndarray, event: np.ndarray, group: np.ndarray, covariates: np.ndarray | None = None,
                 weights: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """Hazard ratio of group (1 = B) against A from a Cox model (cox_fit): HR, 95% CI, Wald p.

    With `covariates` (n × terms; columns constant here are dropped) the HR is adjusted for them;
    with `weights` (inverse-probability weights) the covariance is the robust sandwich. NaN when the
    model cannot be fitted (a group with no event, a singular design).
    """
    group = np.asarray(group, dtype=np.float64)
    cols = [group]
    if covariates is not None and covariates.size:
        cols += [c for c in np.asarray(covariates, dtype=np.float64).T if np.ptp(c) > 0]
    X = np.column_stack(cols)
    event = np.asarray(event, dtype=bool)
    if len(group) <= X.shape[1] or np.ptp(group) == 0 or not event[group > 0].any() or not event[group == 0].any():
        return (float("nan"),) * 4
    # As in group_effect: covariates that repeat others (with the baseline hazard as the constant) are
    # left out; a group that is a combination of the case mix has no hazard ratio of its own.
    full = np.column_stack([np.ones(len(X)), X[:, 1:], X[:, 0]])
    keep = independent_columns(full.T @ full)
    if keep[-1] != full.shape[1] - 1:
        return (float("nan"),) * 4
    X = X[:, np.r_[0, keep[1:-1]]]
    fit = cox_fit(time, event, X, weights=weights, robust=weights is not None)
    se = float(np.sqrt(fit.cov[0, 0])) if np.isfinite(fit.cov[0, 0]) and fit.cov[0, 0] > 0 else float("nan")
    if not fit.converged or not np.isfinite(se):
        return (float("nan"),) * 4
    coef = float(fit.params[0])
    z = float(stats.norm.ppf(0.975))
    return (float(np.exp(coef)), float(np.exp(coef - z * se)), float(np.exp(coef + z * se)),
            float(2 * stats.norm.sf(abs(coef / se))))
