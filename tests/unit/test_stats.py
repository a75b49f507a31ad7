"""Statistics against published worked values and independent implementations (scipy, statsmodels-free)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from queries.kpi.stats import (
    classify,
    funnel_limits,
    funnel_outcomes,
    funnel_standard_errors,
    indirect_standardisation,
    mean_interval,
    overdispersion,
    poisson_interval,
    rank_by_polarity,
    rate_interval,
    sign_outcomes,
    target_met,
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


def test_zero_and_full_proportions_have_exact_bounds_over_n_1_to_1000():
    # Issue 12, item 2: 0/n's Wilson lower bound is exactly 0 and n/n's upper bound exactly 1 (the closed form
    # left 1.7e-18 for 86 of n = 1…500), and the other bounds agree with scipy's Wilson interval.
    n = np.arange(1, 1001)
    scipy_zero = [stats.binomtest(0, int(trials)) for trials in n]
    scipy_full = [stats.binomtest(int(trials), int(trials)) for trials in n]
    for level in (0.95, 0.998):
        low, high = wilson_interval(np.zeros_like(n), n, level)
        low_full, high_full = wilson_interval(n, n, level)
        assert (low == 0).all() and (high_full == 1).all()
        zero = [r.proportion_ci(level, method="wilson") for r in scipy_zero]
        full = [r.proportion_ci(level, method="wilson") for r in scipy_full]
        assert all(ci.low == 0 for ci in zero) and all(ci.high == 1 for ci in full)
        assert high == pytest.approx([ci.high for ci in zero], rel=1e-12)
        assert low_full == pytest.approx([ci.low for ci in full], rel=1e-12)


def test_wilson_agrees_with_scipy_for_every_count_of_small_n():
    for trials in (1, 2, 3, 5, 8, 13, 21, 34):
        k = np.arange(trials + 1)
        low, high = wilson_interval(k, np.full_like(k, trials))
        for successes in k:
            ci = stats.binomtest(int(successes), trials).proportion_ci(0.95, method="wilson")
            assert (low[successes], high[successes]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_zero_events_have_an_exact_poisson_lower_bound_of_zero():
    low, high = poisson_interval(np.zeros(5))
    assert (low == 0).all() and high == pytest.approx([stats.chi2.ppf(0.975, 2) / 2] * 5)
    low, _ = rate_interval([0, 0], [10.0, 1e6], level=0.998)
    assert (low == 0).all()


def test_a_zero_unit_is_never_worse_than_a_comparator_it_does_not_exceed():
    # a hospital with 0 of n low-risk deaths against peers at 0.0%: never "worse" (DOMAIN.md §5), for any n
    n = np.arange(1, 1001)
    low, high = wilson_interval(np.zeros_like(n), n)
    assert set(classify(np.zeros(len(n)), low, high, 0.0, "lower")) == {"similar"}
    # the guard holds even for an interval that rounding put just above its own value
    assert list(classify([0.0], [1e-18], [0.02], 0.0, "lower")) == ["similar"]
    assert list(classify([1.0], [0.9], [1.0 - 1e-18], 1.0, "higher")) == ["similar"]
    # a real excess is still found
    assert list(classify([0.05], [0.02], [0.09], 0.0, "lower")) == ["worse"]


def test_a_band_kpi_is_placed_in_its_band_not_ranked_by_a_direction():
    # Issue 12, item 10: capitation spend is within budget, overspent (超支不补) or under the warning line (推诿?)
    values = [0.80, 0.85, 0.97, 1.0, 1.02, np.nan]
    expected = ["underuse", "within_budget", "within_budget", "within_budget", "overspend", "unknown"]
    assert list(classify(values, [np.nan] * 6, [np.nan] * 6, 0.99, "band", band=(0.85, 1.0))) == expected
    assert rank_by_polarity([0.8, 0.9, 1.1], "band") == [None, None, None]


def test_overdispersion_by_hand_spiegelhalter_2005():
    # Issue 12, item 9. Five units around p0 = 0.5, worked by hand:
    #   n = 100, 400, 100, 400, 100 -> s = sqrt(0.25 / n) = 0.05, 0.025, 0.05, 0.025, 0.05
    #   y = 0.40, 0.45, 0.50, 0.58, 0.65 -> z = -2, -2, 0, 3.2, 3.0
    #   10th / 90th percentiles of z (linear): -2 and 3.0 + 0.6 × 0.2 = 3.12 -> winsorised 3.2 becomes 3.12
    #   phi = (4 + 4 + 0 + 9.7344 + 9) / 5 = 5.34688
    #   w = 1 / s² = 400, 1600, 400, 1600, 400: Σw = 4400, Σw² = 5,600,000
    #   tau² = (5 × 5.34688 − 4) / (4400 − 5,600,000 / 4400) = 22.7344 / 3127.2727 = 0.00726972
    n = np.array([100, 400, 100, 400, 100])
    y = np.array([0.40, 0.45, 0.50, 0.58, 0.65])
    s = funnel_standard_errors("proportion", 0.5, n)
    assert s == pytest.approx([0.05, 0.025, 0.05, 0.025, 0.05])
    phi, tau2 = overdispersion(y, 0.5, s)
    assert phi == pytest.approx(5.34688) and tau2 == pytest.approx(0.00726972, rel=1e-6)
    # the limits widen additively: 0.5 ± 3.0902 × sqrt(0.0025 + tau²) at n = 100
    low, high = funnel_limits("proportion", 0.5, [100], 0.998, tau2=tau2)
    assert (low[0], high[0]) == pytest.approx((0.194556, 0.805444), abs=1e-6)


def test_no_overdispersion_means_the_plain_limits():
    rng = np.random.default_rng(7)
    n = np.full(40, 1000)
    y = rng.binomial(n, 0.3) / n  # binomial noise only
    phi, tau2 = overdispersion(y, 0.3, funnel_standard_errors("proportion", 0.3, n))
    assert tau2 == 0 and phi < 1 + 3 * np.sqrt(2 / 40)
    assert overdispersion(y[:4], 0.3, funnel_standard_errors("proportion", 0.3, n[:4]))[1] == 0  # too few
    plain = funnel_limits("rate", 0.02, [1000], 0.998)
    assert funnel_limits("rate", 0.02, [1000], 0.998, tau2=0.0) == plain


def test_funnel_outcomes_read_the_polarity():
    # above the upper limit is worse for a lower-is-better KPI (住院率), better for a higher-is-better one
    value, low, high = [0.9, 0.5, 0.1], [0.3] * 3, [0.7] * 3
    assert list(funnel_outcomes(value, low, high, "lower")) == ["worse", "similar", "better"]
    assert list(funnel_outcomes(value, low, high, "higher")) == ["better", "similar", "worse"]
    assert list(funnel_outcomes(value, low, high, "none")) == ["higher", "similar", "lower"]


def test_targets_and_signs_are_read_through_the_polarity():
    assert target_met([0.6, 0.4, np.nan], 0.5, "higher") == [True, False, None]
    assert target_met([0.6, 0.4], 0.5, "lower") == [False, True]
    assert target_met([0.9], None, "higher") == [None] and target_met([0.9], 1.0, "band") == [None]
    assert list(sign_outcomes([100.0, -5.0, 0.0, np.nan], "higher")) == [
        "better",
        "worse",
        "similar",
        "unknown",
    ]
