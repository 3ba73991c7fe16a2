"""The Bradley–Terry curvature-floor check at quick scale, and its brute-force pieces."""

from __future__ import annotations

import numpy as np
from conftest import assert_quick_pass, quick_check_tests
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from algorithms.preferences import fit_bradley_terry
from algorithms.preferences.bt_mle import curvature_floor
from proofs_check.harness import get, run_check
from proofs_check.theorems import preferences_curvature as checks

IDS = ("bradley-terry-curvature-floor",)

results, test_check_passes_with_its_controls_rejected = quick_check_tests(IDS, tag="bradley-terry")


def test_quick_pass_rejects_both_controls():
    result = assert_quick_pass("bradley-terry-curvature-floor", controls=2, seed=1)
    assert result.evidence.fitted["max_kappa_over_segment_minimum"] <= 1.0
    assert get("bradley-terry-curvature-floor").kind == "exact"


def test_check_is_reproducible():
    a = run_check("bradley-terry-curvature-floor", "quick", 3, raise_errors=True)
    b = run_check("bradley-terry-curvature-floor", "quick", 3, raise_errors=True)
    assert a.evidence.fitted == b.evidence.fitted
    for key, value in a.evidence.arrays.items():
        np.testing.assert_array_equal(value, b.evidence.arrays[key])


@settings(max_examples=30, deadline=None)
@given(st.floats(-30.0, 30.0))
def test_sigma_prime_matches_the_logistic_form(z):
    assert np.isclose(checks.sigma_prime(np.array(z)), expit(z) * expit(-z), rtol=1e-13)


def test_segment_minimum_sits_at_the_farther_endpoint():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    theta_star, theta_hat = np.array([0.5, -0.25]), np.array([-1.5, 0.25])
    # |z| at the endpoints: pair 1: 0.5 and 1.5; pair 2: 0.5 and 0.5 -> min at z = 1.5
    assert checks.segment_minimum(X, theta_star, theta_hat) == checks.sigma_prime(np.array(1.5))


def test_library_floor_is_the_ball_minimum_and_a_naive_floor_is_not_valid():
    phi = np.array([[0.5, 0.0], [0.0, 0.5], [-0.3, 0.2]])
    fit = fit_bradley_terry(phi, 1.0 - np.eye(3))
    kappa = curvature_floor(fit, 2.0)
    ball = checks.ball_minimum(fit.differences, fit.theta, 2.0)
    assert checks.floor_equals_ball("x", np.array([kappa]), np.array([ball])).status == "pass"
    seg = np.array([checks.segment_minimum(fit.differences, np.array([2.0, 0.0]), fit.theta)])
    assert checks.floor_below_segment("x", np.array([kappa]), seg).status == "pass"
    assert checks.floor_below_segment("x", np.array([0.25]), seg).status == "fail"
