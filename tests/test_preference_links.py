"""Link functions, the link-aware MLE and its Wald region, linear trajectory preferences:
exact oracles, link properties, reproducibility, bad input, and the coverage check."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.stats import logistic, norm

from algorithms.preferences import fit_bradley_terry
from algorithms.preferences.link_mle import (
    fit_link_mle,
    fit_link_mle_pairs,
    link_objective,
    wald_region,
)
from algorithms.preferences.newton import newton_minimise
from mdptheory.preferences import sample_dataset
from mdptheory.preferences.links import (
    ClippedLinearLink,
    LogisticLink,
    ProbitLink,
    link_preferences,
    make_link,
)
from proofs_check.harness import get

LINKS = (LogisticLink(), ProbitLink(), ClippedLinearLink(width=2.0, floor=0.05))
finite = st.floats(-30.0, 30.0, allow_nan=False)


# ------------------------------------------------------------------------------------------
# Links
# ------------------------------------------------------------------------------------------


def test_links_against_scipy_distributions():
    z = np.linspace(-8.0, 8.0, 161)
    np.testing.assert_allclose(LogisticLink().cdf(z), logistic.cdf(z), rtol=1e-14)
    np.testing.assert_allclose(LogisticLink().derivative(z), logistic.pdf(z), rtol=1e-12)
    np.testing.assert_allclose(ProbitLink().cdf(z), norm.cdf(z), rtol=1e-14)
    np.testing.assert_allclose(ProbitLink().derivative(z), norm.pdf(z), rtol=1e-12)
    np.testing.assert_allclose(ProbitLink().log_cdf(z), norm.logcdf(z), rtol=1e-12)
    clipped = ClippedLinearLink(width=2.0, floor=0.05)
    np.testing.assert_allclose(clipped.cdf(z), np.clip(0.5 + z / 4.0, 0.05, 0.95))


@pytest.mark.parametrize("link", LINKS, ids=lambda link: link.name)
@settings(max_examples=60, deadline=None)
@given(z=finite, radius=st.floats(0.0, 10.0))
def test_link_properties(link, z, radius):
    """Symmetric, in [0, 1], non-decreasing; F' even, bounded by the Lipschitz constant, and
    at least kappa(R) on [-R, R]; the information is F'^2 / (F (1 - F))."""
    F, Fm = float(link.cdf(z)), float(link.cdf(-z))
    assert 0.0 <= F <= 1.0
    assert F + Fm == pytest.approx(1.0, abs=1e-15)
    assert float(link.cdf(z + 0.5)) >= F
    d = float(link.derivative(z))
    assert d == pytest.approx(float(link.derivative(-z)), rel=1e-14, abs=0.0)
    assert 0.0 <= d <= link.lipschitz + 1e-15
    if abs(z) <= radius:
        assert d >= link.kappa(radius) - 1e-15
    if 1e-12 < F < 1 - 1e-12:
        assert float(link.information(z)) == pytest.approx(d * d / (F * (1 - F)), rel=1e-9)
        assert float(link.score(z)) == pytest.approx(d / F, rel=1e-9)


@pytest.mark.parametrize("link", LINKS, ids=lambda link: link.name)
def test_kappa_is_the_minimum_of_the_derivative_on_a_grid(link):
    for radius in (0.0, 0.5, 1.0, 1.8, 3.0):
        grid = np.linspace(-radius, radius, 2001)
        assert link.kappa(radius) == pytest.approx(float(link.derivative(grid).min()), abs=1e-15)
    assert link.lipschitz == pytest.approx(float(link.derivative(np.linspace(-3, 3, 601)).max()))


def test_link_preferences_is_a_preference_matrix():
    r = np.array([0.7, -0.2, 0.1, 0.0])
    for name in ("logistic", "probit", "clipped-linear"):
        P = link_preferences(r, name)
        np.testing.assert_array_equal(P + P.T, np.ones((4, 4)))
        assert P[0, 1] > 0.5 > P[1, 0]


def test_bad_links():
    with pytest.raises(ValueError, match="cauchit"):
        make_link("cauchit")
    with pytest.raises(ValueError, match="width"):
        ClippedLinearLink(width=0.0)
    with pytest.raises(ValueError, match="floor"):
        ClippedLinearLink(floor=0.5)
    with pytest.raises(ValueError, match="radius"):
        LogisticLink().kappa(-1.0)
    with pytest.raises(ValueError, match=r"utilities\[1\]"):
        link_preferences([0.0, np.nan])


# ------------------------------------------------------------------------------------------
# The MLE
# ------------------------------------------------------------------------------------------


def _pairs(seed: int, link: str, n: int = 400, d: int = 3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 0.5
    theta = np.array([0.8, -0.4, 0.3])[:d]
    labels = (rng.random(n) < make_link(link).cdf(X @ theta)).astype(float)
    return X, labels


@pytest.mark.parametrize("link", ["logistic", "probit"])
def test_mle_matches_scipy_optimize(link):
    """The Fisher-scoring fit equals a scipy BFGS minimiser of the same penalised likelihood,
    written here independently, to a tight tolerance."""
    X, o = _pairs(3, link)
    F = make_link(link)
    fit = fit_link_mle_pairs(X, o, link, lam=0.5)
    sign = 2 * o - 1

    def nll(theta):
        z = sign * (X @ theta)
        log_p = np.log(norm.cdf(z)) if link == "probit" else -np.logaddexp(0.0, -z)
        return -log_p.sum() + 0.25 * theta @ theta

    reference = minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-11}).x
    np.testing.assert_allclose(fit.theta, reference, atol=1e-7)
    assert fit.gradient_norm <= 1e-12 * X.shape[0]
    _, grad, info = link_objective(
        fit.theta, np.where(o[:, None] == 1, X, -X), np.ones(400), 0.5, F
    )
    np.testing.assert_allclose(grad, 0.0, atol=1e-9)
    np.testing.assert_allclose(info, fit.information)


def test_logistic_link_mle_is_the_bradley_terry_fit():
    rng = np.random.default_rng(4)
    phi = rng.normal(size=(6, 2)) * 0.5
    data = sample_dataset(link_preferences(phi @ [1.0, 0.5]), np.full(6, 1 / 6), 2000, 5)
    bt = fit_bradley_terry(phi, data, lam=1.0)
    fit = fit_link_mle(phi, data, "logistic", lam=1.0)
    np.testing.assert_allclose(fit.theta, bt.theta, atol=1e-12)
    np.testing.assert_allclose(fit.information, bt.information, atol=1e-9)


def test_clipped_linear_mle_on_its_linear_piece():
    """With every difference on the linear piece the likelihood is a product of linear terms:
    one feature, a wins w of n times: F(theta) = 1/2 + theta / (2 w) = w / n."""
    link = ClippedLinearLink(width=4.0, floor=0.01)
    fit = fit_link_mle_pairs(np.ones((10, 1)), [1] * 7 + [0] * 3, link, lam=1e-12)
    assert float(fit.theta[0]) == pytest.approx(4.0 * (2 * 0.7 - 1), abs=1e-9)


def test_newton_minimise_shared_and_bit_identical():
    """fit_bradley_terry runs through newton_minimise: same iterate as a direct call."""
    rng = np.random.default_rng(7)
    phi = rng.normal(size=(4, 2))
    W = rng.integers(0, 9, size=(4, 4)).astype(float)
    np.fill_diagonal(W, 0.0)
    from algorithms.preferences.bt_mle import _objective

    i, j = np.nonzero(W)
    X, w = phi[i] - phi[j], W[i, j]
    result = newton_minimise(lambda t: _objective(t, X, w, 1.0), np.zeros(2), 1e-12 * w.sum())
    np.testing.assert_array_equal(result.x, fit_bradley_terry(phi, W).theta)


def test_mle_reproducible_and_wald_region():
    X, o = _pairs(8, "probit")
    a, b = fit_link_mle_pairs(X, o, "probit"), fit_link_mle_pairs(X, o, "probit")
    np.testing.assert_array_equal(a.theta, b.theta)
    region = wald_region(a, 0.1)
    assert region.contains(a.theta) and region.radius**2 == pytest.approx(6.2513886, rel=1e-7)
    assert wald_region(a, 0.01).radius > region.radius


def test_mle_bad_input():
    X, o = _pairs(1, "logistic", n=5)
    with pytest.raises(ValueError, match=r"labels\[2\]"):
        fit_link_mle_pairs(X, [1, 0, 0.5, 1, 0])
    with pytest.raises(ValueError, match="labels has 3"):
        fit_link_mle_pairs(X, [1, 0, 1])
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"differences\[3, 1\]"):
        fit_link_mle_pairs(bad, o)
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        fit_link_mle_pairs(X, o, weights=[-1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="lam"):
        fit_link_mle_pairs(X, o, lam=0.0)
    with pytest.raises(ValueError, match="delta"):
        wald_region(fit_link_mle_pairs(X, o), 1.0)
    with pytest.raises(ValueError, match="features have 2 rows"):
        fit_link_mle(np.eye(2), np.ones((3, 3)) - np.eye(3))


# ------------------------------------------------------------------------------------------
# The coverage check
# ------------------------------------------------------------------------------------------


def test_wald_coverage_check_passes_with_its_controls_rejected():
    assert_quick_pass("link-mle-wald-coverage", controls=2)
    theorem = get("link-mle-wald-coverage")
    assert theorem.verified is False and "revision 1" in theorem.rule.lower()


# ------------------------------------------------------------------------------------------
# Linear trajectory features
# ------------------------------------------------------------------------------------------


def _stationary_mdp():
    from instances.linear import simplex_feature_linear_mdp
    from mdptheory.linear import LinearMDP

    base = simplex_feature_linear_mdp(S=3, A=2, H=3, d=2, seed=0)
    theta = np.broadcast_to(base.theta[0], base.theta.shape).copy()
    return LinearMDP(base.phi, base.mu, theta, initial=base.initial)


def test_expected_feature_against_trajectory_enumeration():
    """Oracle sharing no code with the occupancy route: every trajectory of the tabular twin,
    its probability under the policy and its summed feature."""
    from mdptheory.preferences import TrajectorySpace
    from mdptheory.preferences.linear_trajectories import LinearTrajectoryPreferences

    mdp = _stationary_mdp()
    model = LinearTrajectoryPreferences(mdp, [0.7, -0.3], "probit")
    space = TrajectorySpace.of(mdp.tabular())
    rng = np.random.default_rng(0)
    policy = rng.dirichlet(np.ones(2), size=(3, 3))
    weights = space.probabilities(policy)
    features = np.array(
        [
            sum(mdp.phi[s, a] for s, a in zip(st_, ac, strict=False))
            for st_, ac in zip(space.states, space.actions, strict=True)
        ]
    )
    np.testing.assert_allclose(model.expected_feature(policy), weights @ features, atol=1e-13)
    np.testing.assert_allclose(model.features(space.states, space.actions), features, atol=1e-15)


def test_from_returns_value_is_the_policy_value():
    from mdptheory.evaluation import policy_value_at_start
    from mdptheory.preferences.linear_trajectories import LinearTrajectoryPreferences

    mdp = _stationary_mdp()
    model = LinearTrajectoryPreferences.from_returns(mdp)
    policy = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 1]])
    assert model.value(policy) == pytest.approx(
        policy_value_at_start(mdp.tabular(), policy), abs=1e-13
    )


def test_sampled_trajectory_pairs_reproducible_and_the_mle_recovers_omega():
    from mdptheory.preferences.linear_trajectories import LinearTrajectoryPreferences

    mdp = _stationary_mdp()
    omega = np.array([1.5, -1.0])
    model = LinearTrajectoryPreferences(mdp, omega, "probit")
    rng = np.random.default_rng(1)
    pi1, pi0 = rng.integers(0, 2, size=(3, 3)), rng.integers(0, 2, size=(3, 3))
    a = model.sample_pairs(pi1, pi0, 3000, seed=4)
    b = model.sample_pairs(pi1, pi0, 3000, seed=4)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    x1, x0, labels = a
    fit = fit_link_mle_pairs(x1 - x0, labels, "probit", lam=1e-6)
    assert wald_region(fit, 1e-3).contains(omega)
    assert not wald_region(fit, 1e-3).contains(-omega)


def test_linear_trajectory_bad_input():
    from mdptheory.preferences.linear_trajectories import LinearTrajectoryPreferences

    mdp = _stationary_mdp()
    with pytest.raises(ValueError, match="omega has shape"):
        LinearTrajectoryPreferences(mdp, [1.0])
    with pytest.raises(ValueError, match="LinearMDP"):
        LinearTrajectoryPreferences(mdp.tabular(), [1.0, 0.0])
    model = LinearTrajectoryPreferences(mdp, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"policy0\[1, 2\] is 5"):
        bad = np.zeros((3, 3), dtype=int)
        bad[1, 2] = 5
        model.sample_pairs(np.zeros((3, 3), dtype=int), bad, 2)
    from instances.linear import simplex_feature_linear_mdp

    with pytest.raises(ValueError, match=r"theta\[1, 0\]"):
        LinearTrajectoryPreferences.from_returns(simplex_feature_linear_mdp(S=3, A=2, H=3, d=2))
