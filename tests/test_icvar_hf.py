"""ICVaR-HF (reconstructed): the Bradley-Terry fit, the learner and its check."""

import numpy as np
import pytest
from conftest import assert_quick_pass, refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from algorithms.registry import make_learner
from algorithms.risk import LEARNERS, ICVaRHF
from algorithms.risk.icvar_hf import _pool, bt_fit
from instances.linear import simplex_feature_linear_mdp
from instances.risk import safe_vs_risky_route
from mdptheory.risk import icvar_backward_induction, icvar_evaluate
from proofs_check.theorems import risk_hf


def reference_negative_log_likelihood(theta, Z, labels, lam):
    """Unpooled ridge Bradley-Terry loss, written from the definition."""
    t = Z @ theta
    p = 1.0 / (1.0 + np.exp(-t))
    return 0.5 * lam * theta @ theta - np.sum(labels * np.log(p) + (1 - labels) * np.log(1 - p))


def pooled(Z, labels):
    n, D = Z.shape
    P, ones, totals = np.empty((n, D)), np.zeros(n), np.zeros(n)
    m = 0
    for z, label in zip(Z, labels, strict=True):
        m = _pool(P, ones, totals, m, np.ascontiguousarray(z), float(label))
    return P, ones, totals, m


def test_bt_fit_matches_a_generic_optimiser_on_the_unpooled_loss():
    rng = np.random.default_rng(0)
    Z = rng.integers(-1, 2, (60, 4)).astype(float)
    labels = (rng.random(60) < 1 / (1 + np.exp(-Z @ np.array([1.0, -0.5, 0.3, 0.0])))) * 1.0
    P, ones, totals, m = pooled(Z, labels)
    assert m < 60  # some differences repeat: the pooled fit is tested
    fit = bt_fit(np.zeros(4), P, ones, totals, m, 1.0)
    ref = minimize(reference_negative_log_likelihood, np.zeros(4), args=(Z, labels, 1.0), tol=1e-12)
    np.testing.assert_allclose(fit, ref.x, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 40),
    D=st.integers(1, 5),
    lam=st.floats(0.1, 10.0),
    seed=st.integers(0, 10_000),
)
def test_pooling_leaves_the_maximum_likelihood_fit_unchanged(n, D, lam, seed):
    rng = np.random.default_rng(seed)
    Z = rng.integers(-1, 2, (n, D)).astype(float)
    labels = (rng.random(n) < 0.6) * 1.0
    P, ones, totals, m = pooled(Z, labels)
    fit = bt_fit(np.zeros(D), P, ones, totals, m, lam)
    single = bt_fit(np.zeros(D), Z, labels, np.ones(n), n, lam)
    np.testing.assert_allclose(fit, single, atol=1e-9)
    # the fit is the minimiser: zero gradient of the unpooled loss
    p = 1.0 / (1.0 + np.exp(-Z @ fit))
    gradient = lam * fit + Z.T @ (p - labels)
    assert np.abs(gradient).max() <= 1e-7


def test_regret_is_the_exact_iterated_cvar_gap_of_the_executed_policies():
    mdp = simplex_feature_linear_mdp(S=4, A=2, H=3, d=3, seed=2)
    alpha = 0.3
    trace = ICVaRHF(alpha=alpha, c=0.01, c_r=0.1, record_policies=True).run(mdp, 60, 1)
    twin = mdp.tabular()
    best = float(twin.initial @ icvar_backward_induction(twin, alpha).values[0])
    for k in (0, 17, 59):
        policy = trace.extras["policies"][k]
        value = float(twin.initial @ icvar_evaluate(twin, policy, alpha)[0])
        assert trace.pseudo_regret[k] == pytest.approx(best - value, abs=1e-12)
    assert trace.metadata["comparisons"] == 59
    assert trace.extras["theta_hat"].shape == (3, 3)


def test_same_seed_same_numbers():
    route = safe_vs_risky_route()
    learner = ICVaRHF(alpha=0.1, c=0.003, c_r=0.1)
    a, b = learner.run(route, 300, 4), learner.run(route, 300, 4)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.realised_regret, b.realised_regret)
    np.testing.assert_array_equal(a.extras["theta_hat"], b.extras["theta_hat"])


test_bad_hyperparameters_are_named = refusal_test(
    ICVaRHF,
    [
        ({"alpha": 0.0}, "alpha"),
        ({"c_r": -1.0}, "c_r"),
        ({"lam_r": 0.0}, "lam_r"),
        ({"p": 1.0}, "p"),
    ],
)


def test_bad_models_and_budgets_are_refused():
    with pytest.raises(ValueError, match="LinearMDP"):
        ICVaRHF().run("route", 10, 0)
    with pytest.raises(ValueError, match="episodes"):
        ICVaRHF().run(safe_vs_risky_route(), 0, 0)


def test_registered_for_the_command_line():
    assert LEARNERS["icvar-hf"] is ICVaRHF
    assert make_learner("icvar-hf", c="0.1", c_r="0.5") == ICVaRHF(c=0.1, c_r=0.5)


@pytest.mark.slow
def test_check_at_quick_scale_passes_and_rejects_its_control():
    result = assert_quick_pass("chen2024-icvar-hf-learns-risk-averse-road", controls=1)
    assert result.evidence.fitted["largest_episode_regret"] == pytest.approx(1.5)
    assert risk_hf.BOUND == 0.1
