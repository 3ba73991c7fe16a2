"""Rate fitting on synthetic curves with known exponents: a wrong fit must fail these."""

from __future__ import annotations

import numpy as np
import pytest

from proofs_check.rates import (
    RATE_SLOPES,
    fit_lines,
    fit_loglog_slope,
    geometric_grid,
    rate_test,
    ratio_band_test,
    ratio_to_rate,
    slope_test,
)


def power_curves(alpha: float, n_seeds: int, seed: int, x=None, noise: float = 0.1):
    """Y[i, j] = c_i x_j^alpha exp(noise * eps_ij): per-seed scale and per-point noise."""
    rng = np.random.default_rng(seed)
    x = np.geomspace(100, 1e5, 12) if x is None else x
    scale = rng.uniform(0.5, 1.5, size=(n_seeds, 1))
    return x, scale * x**alpha * np.exp(noise * rng.standard_normal((n_seeds, x.size)))


def cumulative_regret_curves(n_seeds: int, horizon: int, seed: int):
    """Cumulative sums of noisy per-step regret 0.5 t^{-1/2} E_t (E_t exponential, mean 1),
    read off a geometric grid: the shape of a sqrt(T)-regret learner's curve."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, horizon + 1)
    steps = 0.5 * t**-0.5 * rng.exponential(size=(n_seeds, horizon))
    grid = geometric_grid(100, horizon, 12, integer=True)
    return grid.astype(float), np.cumsum(steps, axis=1)[:, grid - 1]


def test_exact_power_law_is_recovered():
    x = np.geomspace(1, 1e4, 9)
    for alpha in (-1.0, 0.0, 0.5, 2.0 / 3.0, 1.0):
        fit = fit_loglog_slope(x, 3.0 * x**alpha, n_boot=50)
        assert fit.slope == pytest.approx(alpha, abs=1e-12)
        assert fit.intercept == pytest.approx(np.log(3.0), abs=1e-12)
        assert fit.ci_low == pytest.approx(alpha, abs=1e-12)  # one exact curve: zero width
        assert fit.residual_rms < 1e-12


def test_noisy_sqrt_curves_ci_contains_half_and_excludes_neighbours():
    # A 95% interval misses the truth one time in twenty by design (calibration is tested in
    # test_ci_coverage_on_repeated_experiments), so ten independent data sets are used here.
    contains = 0
    for data_seed in range(10):
        x, Y = power_curves(0.5, n_seeds=40, seed=data_seed)
        fit = fit_loglog_slope(x, Y, n_boot=1000, seed=data_seed)
        contains += fit.contains(0.5)
        assert not fit.contains(0.4) and not fit.contains(0.6)
        assert fit.ci_high - fit.ci_low < 0.05
        assert slope_test(fit, max_slope=0.5, tol=0.05).status == "pass"
        assert slope_test(fit, min_slope=0.5, max_slope=0.5, tol=0.05).status == "pass"
        # planted wrong claims: exponent <= 0.3, or >= 0.8
        assert slope_test(fit, max_slope=0.3, tol=0.05).status == "fail"
        assert slope_test(fit, min_slope=0.8, tol=0.05).status == "fail"
    assert contains >= 8


def test_wrong_rate_fails():
    x, Y = power_curves(1.0, n_seeds=20, seed=2)
    fit = fit_loglog_slope(x, Y, seed=0)
    assert fit.contains(1.0)
    verdict = slope_test(fit, max_slope=0.5)
    assert verdict.status == "fail"
    assert "entirely above" in verdict.reason
    assert rate_test(x, Y, "sqrt", n_boot=300).verdict.status == "fail"


def test_cumulative_regret_shape():
    x, Y = cumulative_regret_curves(n_seeds=16, horizon=50_000, seed=3)
    fit = fit_loglog_slope(x, Y, seed=1)
    assert abs(fit.slope - 0.5) < 0.03
    assert slope_test(fit, min_slope=0.5, max_slope=0.5, tol=0.05).status == "pass"
    assert slope_test(fit, max_slope=0.35).status == "fail"
    assert rate_test(x, Y, "sqrt", two_sided=True, n_boot=300).verdict.status == "pass"
    assert rate_test(x, Y, "log", n_boot=300).verdict.status == "fail"


def test_log_curves():
    x = np.geomspace(100, 1e6, 12)
    rng = np.random.default_rng(4)
    Y = rng.uniform(1, 3, size=(20, 1)) * np.log(x) * (1 + 0.05 * rng.standard_normal((20, 12)))
    fit = fit_loglog_slope(x, Y, seed=0)
    # the local slope of log x is 1 / log x: about 0.08 on this tail
    assert 0.0 < fit.slope < 0.12
    assert rate_test(x, Y, "log", two_sided=True, n_boot=500).verdict.status == "pass"
    # O(sqrt T) holds, but sqrt T is not tight: the ratio decays
    assert rate_test(x, Y, "sqrt", n_boot=500).verdict.status == "pass"
    assert rate_test(x, Y, "sqrt", two_sided=True, n_boot=500).verdict.status == "fail"


def test_inverse_curves():
    x, Y = power_curves(-1.0, n_seeds=15, seed=5)
    fit = fit_loglog_slope(x, Y)
    assert fit.contains(RATE_SLOPES["inverse"])
    check = rate_test(x, Y, "inverse", two_sided=True, n_boot=300)
    assert check.verdict.status == "pass"
    assert check.ratio.shape == Y.shape
    # a 1/sqrt(t) curve is not O(1/t)
    x2, Y2 = power_curves(-0.5, n_seeds=15, seed=6)
    assert rate_test(x2, Y2, "inverse", n_boot=300).verdict.status == "fail"


def test_very_noisy_few_seeds_is_inconclusive():
    x, Y = power_curves(0.55, n_seeds=4, seed=7, noise=0.8)
    fit = fit_loglog_slope(x, Y, seed=0)
    assert fit.ci_high - fit.ci_low > 0.1
    assert slope_test(fit, max_slope=0.5, tol=0.0).status == "inconclusive"


def test_only_the_tail_is_fitted():
    # slope 1 up to x = 1000, then slope 1/2 (continuous): a pre-asymptotic phase
    x = np.geomspace(1, 1e6, 13)
    Y = np.where(x <= 1e3, x, np.sqrt(1e3 * x))
    assert fit_loglog_slope(x, Y, tail=0.5).slope == pytest.approx(0.5, abs=1e-12)
    assert fit_loglog_slope(x, Y, tail=1.0).slope > 0.6


def test_bootstrap_reproducible_and_seeded():
    x, Y = power_curves(0.5, n_seeds=10, seed=8)
    a = fit_loglog_slope(x, Y, seed=42)
    b = fit_loglog_slope(x, Y, seed=42)
    c = fit_loglog_slope(x, Y, seed=43)
    np.testing.assert_array_equal(a.boot_slopes, b.boot_slopes)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert not np.array_equal(a.boot_slopes, c.boot_slopes)
    assert a.slope == c.slope  # the point estimate does not depend on the resampling


def test_ci_coverage_on_repeated_experiments():
    covered = 0
    for rep in range(40):
        x, Y = power_curves(0.5, n_seeds=20, seed=100 + rep, noise=0.3)
        covered += fit_loglog_slope(x, Y, n_boot=400, seed=rep).contains(0.5)
    assert covered >= 32  # nominal 95%; the percentile bootstrap undercovers a little


def test_scale_invariance():
    x, Y = power_curves(0.5, n_seeds=8, seed=9)
    a = fit_loglog_slope(x, Y, seed=0)
    b = fit_loglog_slope(x, 7.0 * Y, seed=0)
    assert b.slope == pytest.approx(a.slope, abs=1e-12)
    assert b.intercept == pytest.approx(a.intercept + np.log(7.0), abs=1e-12)
    np.testing.assert_allclose(b.boot_slopes, a.boot_slopes, atol=1e-12)


def test_negative_seed_curves_are_allowed_when_the_mean_is_positive():
    rng = np.random.default_rng(10)
    x = np.geomspace(10, 1e4, 8)
    Y = np.sqrt(x) + 5 * rng.standard_normal((30, 8))  # some seeds dip below zero
    assert (Y < 0).any()
    fit = fit_loglog_slope(x, Y, seed=0)
    assert fit.n_boot_dropped == 0
    assert abs(fit.slope - 0.5) < 0.1


def test_ratio_to_rate():
    x = np.array([4.0, 16.0, 64.0])
    np.testing.assert_allclose(ratio_to_rate(x, np.sqrt(x), "sqrt"), 1.0)
    np.testing.assert_allclose(ratio_to_rate(x, 1 / x, "inverse"), 1.0)
    np.testing.assert_allclose(ratio_to_rate(x, np.log(x), "log"), 1.0)
    np.testing.assert_allclose(ratio_to_rate(x, x**2, lambda z: z**2), 1.0)
    with pytest.raises(ValueError, match="rate 'log' is 0.0 at x = 1.0"):
        ratio_to_rate([1.0, 2.0], [1.0, 1.0], "log")
    with pytest.raises(ValueError, match="rate must be one of"):
        ratio_to_rate(x, x, "cubic")


def test_ratio_band_test():
    grid = np.array([0.5, 0.9, 0.99])
    predicted = 1 / (1 - grid)
    assert ratio_band_test(0.3 * predicted, predicted, 0.1, 1.0).status == "pass"
    verdict = ratio_band_test(predicted * [0.3, 0.3, 2.0], predicted, 0.1, 1.0, grid=grid)
    assert verdict.status == "fail" and "grid value 0.99" in verdict.reason
    rng = np.random.default_rng(11)
    noisy = 0.5 * predicted * (1 + 0.05 * rng.standard_normal((10, 3)))
    assert ratio_band_test(noisy, predicted, 0.2, 1.0).status == "pass"
    assert ratio_band_test(noisy, predicted, 0.6, 1.0).status == "fail"
    # an interval across the band edge
    assert ratio_band_test(noisy, predicted, 0.5, 1.0).status == "inconclusive"
    with pytest.raises(ValueError, match=r"predicted\[1\]"):
        ratio_band_test([1.0, 1.0], [1.0, 0.0], 0, 1)
    with pytest.raises(ValueError, match="lo"):
        ratio_band_test([1.0], [1.0], 2.0, 1.0)


def test_fit_lines_and_grid():
    x = np.geomspace(10, 1e4, 7)
    fit = fit_loglog_slope(x, 2 * x**0.45, n_boot=20)
    fitted, reference = fit_lines(fit, reference_slope=0.5)
    np.testing.assert_allclose(fitted.y, 2 * fit.x_tail**0.45)
    assert reference.y[0] == pytest.approx(fitted.y[0])
    assert np.log(reference.y[-1] / reference.y[0]) / np.log(
        x[-1] / fit.x_tail[0]
    ) == pytest.approx(0.5)
    grid = geometric_grid(1, 1000, 30, integer=True)
    assert grid[0] == 1 and grid[-1] == 1000 and np.all(np.diff(grid) > 0)


@pytest.mark.parametrize(
    ("x", "Y", "kwargs", "match"),
    [
        ([1.0, 2.0, 2.0], [1.0, 2.0, 3.0], {}, r"strictly increasing.*x\[2\]"),
        ([-1.0, 2.0], [1.0, 2.0], {}, r"x\[0\] is -1.0"),
        ([1.0, 2.0], [[1.0, 2.0, 3.0]], {}, "shape"),
        ([1.0, 2.0], [[1.0, np.nan]], {}, r"Y\[0, 1\] is nan"),
        ([1.0, 2.0], [[1.0, -2.0]], {}, "mean curve is -2.0 at x = 2.0"),
        ([1.0, 2.0], [1.0, 2.0], {"tail": 0.0}, "tail"),
        ([1.0, 2.0], [1.0, 2.0], {"ci": 1.5}, "ci"),
        ([1.0, 2.0], [1.0, 2.0], {"n_boot": 0}, "n_boot"),
        ([1.0], [1.0], {}, "at least 2"),
    ],
)
def test_fit_bad_input(x, Y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_loglog_slope(x, Y, **kwargs)


def test_slope_test_bad_input():
    fit = fit_loglog_slope([1.0, 10.0], [1.0, 10.0], n_boot=5)
    with pytest.raises(ValueError, match="max_slope, min_slope"):
        slope_test(fit)
    with pytest.raises(ValueError, match="exceeds"):
        slope_test(fit, min_slope=1.0, max_slope=0.5)
    with pytest.raises(ValueError, match="tol"):
        slope_test(fit, max_slope=1.0, tol=-1.0)
