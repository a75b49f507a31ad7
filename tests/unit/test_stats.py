"""Statistics against published worked values and independent implementations (scipy, statsmodels-free)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from queries.kpi.stats import (
    classify,
    funnel_limits,
    indirect_standardisation,
    mean_interval,
    poisson_interval,
    rate_interval,
    trend_test,
    wilson_interval,
)


def test_wilson_matches_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:857, Table I: 81/263 -> 0.2553 to 0.3662 (Wilson).
    low, high = wilson_interval([81], [263])
    assert low[0] == pytest.approx(0.2553, abs=5e-4)
    assert high[0] == pytest.approx(0.3662, abs=5e-4)
    # 0/10 -> 0 to 0.2775 (same table)
    low, high = wilson_interval([0], [10])
    assert low[0] == 0 and high[0] == pytest.approx(0.2775, abs=5e-4)


def test_wilson_agrees_with_a_direct_formula_and_handles_empty():
    x, n, z = 37, 120, stats.norm.ppf(0.999)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low, high = wilson_interval([x, 0], [n, 0], level=0.998)
    assert (low[0], high[0]) == pytest.approx((centre - half, centre + half))
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_exact_poisson_interval():
    # Classic table values (e.g. Ulm 1990): 0 -> (0, 3.689); 5 -> (1.623, 11.668); 10 -> (4.795, 18.390)
    low, high = poisson_interval([0, 5, 10])
    assert low == pytest.approx([0, 1.6235, 4.7954], abs=1e-3)
    assert high == pytest.approx([3.6889, 11.6683, 18.3904], abs=1e-3)
    low, high = rate_interval([10], [1000.0])
    assert (low[0], high[0]) == pytest.approx((0.0047954, 0.0183904), abs=1e-6)


def test_mean_interval_matches_scipy():
    rng = np.random.default_rng(3)
    x = rng.lognormal(5, 0.5, 40)
    low, high = mean_interval([x.sum()], [(x**2).sum()], [len(x)])
    expected = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (low[0], high[0]) == pytest.approx(expected)


def test_classify_reads_polarity():
    value, low, high = np.array([0.6, 0.5, 0.4]), np.array([0.55, 0.45, 0.35]), np.array([0.65, 0.55, 0.45])
    assert list(classify(value, low, high, 0.5, "higher")) == ["better", "similar", "worse"]
    assert list(classify(value, low, high, 0.5, "lower")) == ["worse", "similar", "better"]
    assert list(classify(value, low, high, 0.5, "none")) == ["higher", "similar", "lower"]
    assert list(classify([np.nan], [np.nan], [np.nan], 0.5, "higher")) == ["unknown"]


def test_funnel_limits_narrow_with_size():
    low, high = funnel_limits("proportion", 0.5, [100, 10_000], 0.95)
    assert high[0] - low[0] > high[1] - low[1]
    assert high[1] == pytest.approx(0.5 + 1.959964 * 0.005)
    low, high = funnel_limits("rate", 0.02, [1000], 0.998)
    assert low[0] < 0.02 < high[0]
    assert (low[0] * 1000, high[0] * 1000) == (stats.poisson.ppf(0.001, 20), stats.poisson.ppf(0.999, 20))


def test_trend_test_finds_a_real_slope_and_not_noise():
    slope, p = trend_test([0.50, 0.52, 0.53, 0.55, 0.57, 0.58, 0.60])
    assert slope > 0 and p < 0.001
    result = stats.linregress(np.arange(7), [0.50, 0.52, 0.53, 0.55, 0.57, 0.58, 0.60])
    assert (slope, p) == pytest.approx((result.slope, result.pvalue))
    _, p = trend_test([0.5, 0.52, 0.49, 0.51, 0.5, 0.48])
    assert p > 0.05
    assert math.isnan(trend_test([1, 2, 3])[0])


def test_indirect_standardisation_worked_example():
    # Two strata; the unit's population is old. Reference rates 0.01 (young), 0.05 (old).
    observed = 60
    expected = 1000 * 0.01 + 1000 * 0.05  # = 60: all of its excess crude rate is its age structure
    ratio, low, high, adjusted, *_ = indirect_standardisation([observed], [expected], reference_crude=0.02)
    assert ratio[0] == pytest.approx(1.0)
    assert low[0] < 1 < high[0]
    assert adjusted[0] == pytest.approx(0.02)
