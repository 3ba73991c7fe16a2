"""HF-UCRL-RFE and its high-order moment estimator: exact oracles, invariants, seeds, bad
input, the lower-bound family, and the value-error rate check with its control."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.registry import make_learner
from algorithms.reward_free import HFUCRLRFE, HorizonFreeRFE
from algorithms.reward_free._moments import (
    home_add,
    home_orders,
    home_radius,
    home_refresh,
    home_variances,
    moment_features,
)
from algorithms.reward_free.hf_ucrl_rfe import burn_in
from instances.linear_mixture import random_linear_mixture_mdp, reward_free_lower_bound
from instances.registry import make
from instances.tabular import garnet
from proofs_check.harness import run_check


def _basis2(model):
    return np.ascontiguousarray(model.basis.reshape(model.d, model.S * model.A, model.S))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), M=st.integers(1, 5))
def test_moment_features_equal_the_mixture_moments(seed, M):
    # Exact oracle: <x_{V^(2^m)}(s, a), theta> = E[V(s')^(2^m) | s, a] on the true kernel.
    model = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=seed)
    rng = np.random.default_rng(seed)
    V = rng.random(model.S)
    X, y = np.zeros((M, model.d)), np.zeros(M)
    r, nxt = int(rng.integers(model.S * model.A)), int(rng.integers(model.S))
    moment_features(_basis2(model), r, V, nxt, X, y)
    s, a = divmod(r, model.A)
    for m in range(M):
        power = V ** (2**m)
        assert X[m] @ model.theta[0] == pytest.approx(model.P[0, s, a] @ power, abs=1e-12)
        assert y[m] == pytest.approx(power[nxt], rel=1e-12)


def test_home_variances_match_the_formula_by_hand():
    rng = np.random.default_rng(3)
    M, d = 3, 2
    X = rng.random((M, d))
    theta = rng.random((M, d)) / 2
    inv = np.stack([np.eye(d) * (m + 1) / 10 for m in range(M)])
    beta, alpha, gamma = 0.7, 0.05, 0.8
    out = np.zeros(M)
    home_variances(X, theta, inv, beta, alpha, gamma, out)
    width = [math.sqrt(X[m] @ inv[m] @ X[m]) for m in range(M)]
    pred = [min(1.0, max(0.0, X[m] @ theta[m])) for m in range(M)]
    for m in range(M):
        if m < M - 1:
            error = min(1.0, 2 * beta * width[m]) + min(1.0, beta * width[m + 1])
            variance = pred[m + 1] - pred[m] ** 2 + error
        else:
            variance = 1.0
        assert out[m] == pytest.approx(max(variance, alpha**2, gamma**2 * width[m]), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_with_the_true_theta_the_variance_bound_is_the_true_variance(seed):
    # The defining invariant of HOME: at theta_m = theta and zero width, sigma_m^2 is the
    # conditional variance of V^(2^m), computed from the next order's moment.
    model = random_linear_mixture_mdp(S=5, A=2, H=3, d=3, seed=seed)
    rng = np.random.default_rng(seed)
    V, M = rng.random(model.S), 4
    X, y = np.zeros((M, model.d)), np.zeros(M)
    moment_features(_basis2(model), 1, V, 0, X, y)
    theta = np.repeat(model.theta, M, axis=0)
    out = np.zeros(M)
    home_variances(X, theta, np.zeros((M, model.d, model.d)), 1.0, 1e-6, 1.0, out)
    p = model.P[0, 0, 1]
    for m in range(M - 1):
        power = V ** (2**m)
        assert out[m] == pytest.approx(max(p @ power**2 - (p @ power) ** 2, 1e-12), abs=1e-12)
    assert out[-1] == 1.0


def test_weighted_ridge_update_equals_the_normal_equations():
    rng = np.random.default_rng(0)
    M, d, n = 2, 3, 20
    Sigma = np.repeat(np.eye(d)[None], M, axis=0)
    b = np.zeros((M, d))
    Xs, ys, ws = rng.random((n, M, d)), rng.random((n, M)), rng.uniform(0.1, 2.0, (n, M))
    for t in range(n):
        home_add(Sigma, b, Xs[t], ys[t], ws[t])
    inv, theta = np.zeros_like(Sigma), np.zeros_like(b)
    home_refresh(Sigma, inv, b, theta)
    for m in range(M):
        W = np.diag(1 / ws[:, m])
        A = np.eye(d) + Xs[:, m].T @ W @ Xs[:, m]
        np.testing.assert_allclose(theta[m], np.linalg.solve(A, Xs[:, m].T @ W @ ys[:, m]))
        np.testing.assert_allclose(inv[m] @ A, np.eye(d), atol=1e-10)


def test_constants():
    assert home_orders(10_000, 20) == 20 and home_orders(1, 1) == 2
    beta = home_radius(4, np.array([0.0, 5e4]), 0.1, 1.0, 1 / math.sqrt(5e4), 4**-0.25, 5)
    assert 0 < beta[0] < beta[1] and 1000 < beta[1] < 3000  # the reconstructed beta is ~2 000
    model = random_linear_mixture_mdp(S=6, A=3, H=5, d=4, seed=0)
    assert burn_in(model, 10_000, 0.1, 1.0) == 10_001  # vacuous at the reconstructed constant
    assert burn_in(model, 10_000, 0.1, 1e-4) == 0 and burn_in(model, 100, 0.1, 0.0) == 0


def test_learns_theta_and_the_value_error_decreases():
    model = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=2)
    trace = HFUCRLRFE(c=1e-4).run(model, budget=3000, seed=1)
    error = trace.extras["value_error"]
    assert error[-1] < error[0] / 3
    assert trace.extras["theta_error"][-1] < trace.extras["theta_error"][0]
    assert trace.metadata["constants"] == "scaled (c = 0.0001)"
    # c = 0: no pseudo-reward and no bonus, U = 0, nothing is learned (the control)
    control = HFUCRLRFE(c=0.0).run(model, budget=300, seed=1)
    assert np.ptp(control.extras["value_error"]) == 0.0


def test_same_seed_same_trace():
    model = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=0)
    a, b = (HFUCRLRFE(c=1e-4).run(model, 200, seed=5) for _ in range(2))
    np.testing.assert_array_equal(a.extras["suboptimality"], b.extras["suboptimality"])
    np.testing.assert_array_equal(a.extras["value_error"], b.extras["value_error"])
    c = HFUCRLRFE(c=1e-4).run(model, 200, seed=6)
    assert not np.array_equal(a.extras["theta_error"], c.extras["theta_error"])


def test_registry_and_labels():
    assert isinstance(make_learner("hf-rfe", c="0.001"), HFUCRLRFE)
    assert isinstance(make_learner("hf-rfe-indicator"), HorizonFreeRFE)
    assert HFUCRLRFE().constants == "reconstructed (c = 1)"
    assert HFUCRLRFE(c=0.0).constants == "no pseudo-reward, no bonus (c = 0)"
    assert HFUCRLRFE().label == "HF-UCRL-RFE"


def test_bad_input():
    with pytest.raises(ValueError, match="c"):
        HFUCRLRFE(c=-1.0)
    with pytest.raises(ValueError, match="delta"):
        HFUCRLRFE(delta=1.0)
    with pytest.raises(ValueError, match="n_random_rewards"):
        HFUCRLRFE(n_random_rewards=-2)
    with pytest.raises(ValueError, match="LinearMixtureMDP"):
        HFUCRLRFE().run(garnet(S=3, A=2, H=2), budget=10, seed=0)
    with pytest.raises(ValueError, match="episodes"):
        HFUCRLRFE().run(random_linear_mixture_mdp(S=3, A=2, H=2, d=2), budget=0, seed=0)


def test_lower_bound_family():
    model = make("reward_free_lower_bound", d=3, H=4, epsilon="0.5", seed=2)
    H, good, bad = 4, 5, 6
    P = model.P[0]
    delta, Delta = 1 / H, 0.5 / H / 4
    mu = model.theta[0, 1:]
    assert set(np.abs(mu)) == {Delta}
    # escape to good or bad depends on <mu, a>, their sum does not
    for a in range(model.A):
        assert P[0, a, good] + P[0, a, bad] == pytest.approx(delta)
    best = int(np.argmax(P[0, :, good]))
    worst = int(np.argmax(P[0, :, bad]))
    assert P[0, best, good] - P[0, worst, good] == pytest.approx(2 * Delta * (model.d - 1))
    assert (model.tabular().R.sum(axis=0).max(axis=1) <= 1.0).all()
    with pytest.raises(ValueError, match="epsilon"):
        reward_free_lower_bound(epsilon=0.0)
    with pytest.raises(ValueError, match="H"):
        reward_free_lower_bound(H=1)


def test_the_blind_spot_on_the_lower_bound_family():
    # U(good) = U(bad), so x_U has no component along mu: the weighted learner never learns mu
    # (its theta error stops at ||mu||), while the indicator targets see mu in every sample.
    model = reward_free_lower_bound(d=3, H=3, epsilon=1.0, seed=0)
    weighted = HFUCRLRFE(c=1e-4).run(model, 1000, seed=0)
    mu = np.linalg.norm(model.theta[0, 1:])
    assert weighted.extras["theta_error"][-1] == pytest.approx(mu, rel=0.02)
    assert (weighted.gap > 0.5).all()
    assert HorizonFreeRFE().run(model, 1000, seed=0).gap[-1] == 0.0


@pytest.mark.slow
def test_value_error_rate_check_passes_and_rejects_its_control():
    result = run_check(
        "zhang2023-reward-free-value-error-rate", scale="quick", seed=0, raise_errors=True
    )
    assert result.status == "pass", result.verdict.reason
    assert result.controls and all(c.rejected for c in result.controls)
    assert result.theorem.verified is False


def test_doctests():
    import doctest

    from algorithms.reward_free import _moments, hf_ucrl_rfe
    from proofs_check.theorems import reward_free_weighted

    for module in (_moments, hf_ucrl_rfe, reward_free_weighted):
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0, module.__name__
