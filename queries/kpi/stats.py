"""Statistics for fair comparison (DOMAIN.md §5): intervals, benchmarks, funnels, trends, standardisation.

All functions are vectorised over numpy arrays so a whole league table is computed at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = {"95": 0.95, "99.8": 0.998}


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(successes, trials, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion; NaN where there are no trials.

    The bounds at the edges are exact: 0/n has a lower bound of exactly 0 and n/n an upper bound of exactly 1
    (the closed form gives them only up to rounding, e.g. 1.7e-18, which would read as "above a comparator
    of 0").

    Args:
        successes: numerator counts.
        trials: denominator counts.
        level: confidence level, e.g. 0.95 or 0.998.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low, high = centre - half, centre + half
    low = np.where(x <= 0, 0.0, low)
    high = np.where(x >= n, 1.0, high)
    empty = n <= 0
    return np.where(empty, np.nan, np.clip(low, 0, 1)), np.where(empty, np.nan, np.clip(high, 0, 1))


def poisson_interval(events, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a Poisson count, from chi-square quantiles; 0 events have a lower bound of
    exactly 0."""
    k = np.asarray(events, dtype=float)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(k, 1)) / 2, 0.0)
    high = stats.chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
    return low, high


def rate_interval(events, exposure, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson interval of events / exposure (person-years, expected counts …)."""
    exposure = np.asarray(exposure, dtype=float)
    low, high = poisson_interval(events, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(exposure > 0, low / exposure, np.nan), np.where(exposure > 0, high / exposure, np.nan)


def mean_interval(total, total_sq, count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation interval of a mean from Σx, Σx² and n (t quantile for small n)."""
    s = np.asarray(total, dtype=float)
    s2 = np.asarray(total_sq, dtype=float)
    n = np.asarray(count, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / n
        variance = np.maximum(s2 - n * mean * mean, 0) / (n - 1)
        quantile = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = quantile * np.sqrt(variance / n)
    ok = n >= 2
    return np.where(ok, mean - half, np.nan), np.where(ok, mean + half, np.nan)


def verdicts(above, below, polarity: str) -> np.ndarray:
    """The one reading of "above / below the comparator" through a KPI's polarity: better / similar / worse
    (higher / similar / lower where the KPI has no polarity, or a band). Every verdict of the product (league
    tables, funnels, cards, tiles, reports, downloads) comes from here."""
    above = np.asarray(above, dtype=bool)
    below = np.asarray(below, dtype=bool)
    if polarity == "higher":
        return np.where(above, "better", np.where(below, "worse", "similar"))
    if polarity == "lower":
        return np.where(below, "better", np.where(above, "worse", "similar"))
    return np.where(above, "higher", np.where(below, "lower", "similar"))


def sign_outcomes(values, polarity: str) -> np.ndarray:
    """A total judged by its sign (a surplus above 0, a deficit below), read through the KPI's polarity."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        labels = verdicts(values > 0, values < 0, polarity)
    return np.where(np.isnan(values), "unknown", labels)


def target_met(values, target, polarity: str) -> list[bool | None]:
    """Whether each value meets a yearly target by the KPI's polarity (at most the target where lower is
    better, at least it otherwise); None without a value or a target, or for a band KPI."""
    if target is None or polarity == "band" or target != target:
        return [None] * len(np.atleast_1d(values))
    out = []
    for value in np.atleast_1d(np.asarray(values, dtype=float)):
        out.append(
            None if np.isnan(value) else bool(value <= target if polarity == "lower" else value >= target)
        )
    return out


def band_outcomes(value, band: tuple[float, float]) -> np.ndarray:
    """A KPI judged against a band rather than a direction (capitation spend against its budget): above the
    band's top is "overspend", below its bottom (the warning line) "underuse", inside it "within_budget"."""
    value = np.asarray(value, dtype=float)
    bottom, top = band
    with np.errstate(invalid="ignore"):
        labels = np.where(value > top, "overspend", np.where(value < bottom, "underuse", "within_budget"))
    return np.where(np.isnan(value), "unknown", labels)


def classify(
    value, low, high, benchmark, polarity: str, band: tuple[float, float] | None = None
) -> np.ndarray:
    """better / similar / worse (or higher / similar / lower where the KPI has no polarity).

    A unit differs from the benchmark only when its interval excludes the benchmark value and its value lies
    on that side: a 0/n unit is never above a comparator of 0 (DOMAIN.md §5). A KPI judged by a ``band``
    (polarity "band") is placed in it by its value (``band_outcomes``), whatever the benchmark.
    """
    value = np.asarray(value, dtype=float)
    if polarity == "band" and band is not None:
        return band_outcomes(value, band)
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    benchmark = np.asarray(benchmark, dtype=float)
    with np.errstate(invalid="ignore"):
        above = (low > benchmark) & (value > benchmark)
        below = (high < benchmark) & (value < benchmark)
    unknown = np.isnan(low) | np.isnan(high) | np.isnan(value) | np.isnan(benchmark)
    return np.where(unknown, "unknown", verdicts(above, below, polarity))


def unit_outcomes(frame, benchmark, polarity: str, band: tuple[float, float] | None = None) -> np.ndarray:
    """Each unit's outcome against ``benchmark`` (a value, or one per unit) from its value and interval;
    a suppressed unit is "suppressed", never classified on numbers nobody may see."""
    outcome = classify(frame["value"], frame["ci_low"], frame["ci_high"], benchmark, polarity, band)
    if "suppressed" in frame:
        outcome = np.where(np.asarray(frame["suppressed"], dtype=bool), "suppressed", outcome)
    return outcome


def rank_by_polarity(values, polarity: str) -> list[int | None]:
    """Ranks with 1 = best by the KPI's polarity; ties share the better rank; no rank without a value or a
    polarity."""
    series = pd.Series(np.asarray(values, dtype=float))
    if polarity not in ("higher", "lower"):  # no direction (or a band): no "best"
        return [None] * len(series)
    ranked = series.rank(ascending=polarity == "lower", method="min")
    return [None if np.isnan(r) else int(r) for r in ranked]


def funnel_standard_errors(kind: str, benchmark: float, denominators, spread: float | None = None):
    """Each unit's standard error under the null (its true value is the benchmark), by its size: binomial
    sqrt(p(1 − p) / n) for proportions, Poisson sqrt(λ / n) for rates per unit of denominator, s / sqrt(n)
    for means."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "proportion":
            return np.sqrt(benchmark * (1 - benchmark) / n)
        if kind == "rate":
            return np.sqrt(benchmark / n)
        if kind == "mean":
            return (spread or 0.0) / np.sqrt(n)
    raise ValueError(f"unknown funnel kind {kind!r}")


MIN_UNITS_FOR_OVERDISPERSION = 5  # fewer units cannot estimate a between-unit variance
WINSORISE = 0.1  # Spiegelhalter (2005): z-scores are winsorised at 10% at each end before estimating φ


def overdispersion(values, benchmark: float, standard_errors, trim: float = WINSORISE) -> tuple[float, float]:
    """Spiegelhalter's (2005) overdispersion of units around a benchmark, as PHE's funnel tools estimate it.

    z-scores (value − benchmark) / s are winsorised at ``trim`` at each end (the 10th and 90th percentiles,
    linear interpolation), φ = Σz² / I, and the between-unit variance by DerSimonian–Laird:
    τ² = (Iφ − (I − 1)) / (Σw − Σw² / Σw) with w = 1 / s², and 0 when Iφ ≤ I − 1 (no overdispersion).

    Returns:
        (φ, τ²); (nan, 0) with fewer than MIN_UNITS_FOR_OVERDISPERSION usable units.
    """
    y = np.asarray(values, dtype=float)
    s = np.asarray(standard_errors, dtype=float)
    ok = np.isfinite(y) & np.isfinite(s) & (s > 0)
    y, s = y[ok], s[ok]
    units = len(y)
    if units < MIN_UNITS_FOR_OVERDISPERSION:
        return float("nan"), 0.0
    z = (y - benchmark) / s
    low, high = np.percentile(z, [100 * trim, 100 * (1 - trim)])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    if units * phi <= units - 1:
        return phi, 0.0
    w = 1 / s**2
    return phi, float((units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def funnel_limits(
    kind: str,
    benchmark: float,
    denominators,
    level: float,
    spread: float | None = None,
    tau2: float = 0.0,
):
    """Control limits around ``benchmark`` for units of size ``denominators``.

    Args:
        kind: "proportion" (binomial, normal approximation), "rate" (exact Poisson on expected events) or
            "mean" (normal, with ``spread`` the unit-level standard deviation).
        benchmark: the comparator value (a fraction for proportions, events per unit of denominator for rates).
        denominators: unit sizes along the funnel's x axis.
        level: 0.95 or 0.998.
        tau2: a between-unit variance (``overdispersion``): when positive, the limits are Spiegelhalter's
            additive random-effects limits, benchmark ± z·sqrt(s² + τ²); 0 gives the plain limits.
    """
    n = np.asarray(denominators, dtype=float)
    z = _z(level)
    if tau2 > 0:
        s = funnel_standard_errors(kind, benchmark, n, spread)
        half = z * np.sqrt(s**2 + tau2)
        low, high = benchmark - half, benchmark + half
        if kind == "proportion":
            return np.clip(low, 0, 1), np.clip(high, 0, 1)
        return (np.maximum(low, 0), high) if kind == "rate" else (low, high)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "proportion":
            half = z * np.sqrt(benchmark * (1 - benchmark) / n)
            return np.clip(benchmark - half, 0, 1), np.clip(benchmark + half, 0, 1)
        if kind == "rate":
            expected = benchmark * n
            low = stats.poisson.ppf((1 - level) / 2, expected) / n
            high = stats.poisson.ppf(1 - (1 - level) / 2, expected) / n
            return low, high
        if kind == "mean":
            half = z * (spread or 0.0) / np.sqrt(n)
            return benchmark - half, benchmark + half
    raise ValueError(f"unknown funnel kind {kind!r}")


def funnel_outcomes(value, low_limit, high_limit, polarity: str) -> np.ndarray:
    """A funnel's verdict on each unit: outside its 99.8% limits above or below the benchmark, read through the
    KPI's polarity by ``verdicts`` (the same reading as every other verdict); "unknown" without a value."""
    value = np.asarray(value, dtype=float)
    low_limit = np.asarray(low_limit, dtype=float)
    high_limit = np.asarray(high_limit, dtype=float)
    with np.errstate(invalid="ignore"):
        above, below = value > high_limit, value < low_limit
    unknown = np.isnan(value) | np.isnan(low_limit) | np.isnan(high_limit)
    return np.where(unknown, "unknown", verdicts(above, below, polarity))


def trend_test(values, weights=None, min_points: int = 5) -> tuple[float, float]:
    """Weighted least-squares slope of value on time index and its two-sided p-value.

    Returns (slope per step, p-value); (nan, nan) with fewer than ``min_points`` usable points.
    """
    y = np.asarray(values, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    x = np.arange(len(y), dtype=float)
    ok = ~np.isnan(y) & (w > 0)
    x, y, w = x[ok], y[ok], w[ok]
    if len(y) < min_points:
        return float("nan"), float("nan")
    w = w / w.mean()
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = np.sum(w * (x - xm) * (y - ym)) / sxx
    residuals = y - (ym + slope * (x - xm))
    dof = len(y) - 2
    sigma2 = np.sum(w * residuals**2) / dof
    if sigma2 == 0:
        return float(slope), 0.0 if slope != 0 else 1.0
    t = slope / np.sqrt(sigma2 / sxx)
    return float(slope), float(2 * stats.t.sf(abs(t), dof))


def indirect_standardisation(observed, expected, reference_crude: float, level: float = 0.95):
    """Standardised ratio O/E with an exact Poisson interval, and the adjusted rate (ratio × crude).

    Returns:
        (ratio, ratio_low, ratio_high, adjusted, adjusted_low, adjusted_high) as arrays.
    """
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(e > 0, o / e, np.nan)
    low, high = rate_interval(o, e, level)
    return ratio, low, high, ratio * reference_crude, low * reference_crude, high * reference_crude
