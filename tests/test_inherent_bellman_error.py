"""Inherent Bellman error and exact fitted Q iteration; the Tsitsiklis-Van Roy instance."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from conftest import random_discounted_mdp
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import make
from instances.feature_failures import FeatureClassMDP, tsitsiklis_van_roy
from instances.linear import misspecified_linear_mdp, simplex_feature_linear_mdp
from mdptheory import EpisodicMDP, FiniteMDP
from mdptheory.diagnostics import diagnose
from mdptheory.diagnostics.inherent_bellman_error import (
    fitted_q_iteration,
    inherent_bellman_error,
)


def chebyshev_distance(Phi: np.ndarray, x: np.ndarray) -> float:
    """Oracle sharing no code with the module: min_theta ||Phi theta - x||_inf by cvxpy."""
    theta = cp.Variable(Phi.shape[1])
    problem = cp.Problem(cp.Minimize(cp.norm(Phi @ theta - x, "inf")))
    problem.solve(solver=cp.CLARABEL)
    return float(problem.value)


def random_discounted(seed: int, S: int = 3, A: int = 2, d: int = 2):
    """A random discounted MDP (Dirichlet(1) rows, gamma 0.8) and Gaussian features."""
    rng = np.random.default_rng(seed)
    mdp = random_discounted_mdp(rng, S, A, gamma=0.8, concentration=1.0)
    return mdp, rng.normal(size=(S, A, d))


def evaluation_image(mdp: FiniteMDP, phi: np.ndarray, pi: np.ndarray, theta: np.ndarray):
    Q = phi @ theta
    V = Q[np.arange(mdp.S), pi]
    return (mdp.R + mdp.gamma * mdp.P @ V).reshape(-1)


@pytest.mark.parametrize(("gamma", "radius"), [(0.9, 1.0), (0.5, 2.0), (0.99, 0.3)])
def test_tsitsiklis_van_roy_value_is_two_gamma_radius_over_three(gamma, radius):
    inst = tsitsiklis_van_roy(gamma=gamma)
    for norm in ("l1", "linf"):  # d = 1: the two balls coincide
        result = inherent_bellman_error(inst, radius=radius, norm=norm)
        assert result.exact and result.operator == "evaluation"
        assert result.value == pytest.approx(2 * gamma * radius / 3, abs=1e-10)
        assert abs(result.worst_weights[0]) == radius
    assert inherent_bellman_error(tsitsiklis_van_roy(gamma, one_hot=True)).value == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evaluation_operator_matches_a_cvxpy_oracle_on_a_grid_of_the_ball(seed):
    mdp, phi = random_discounted(seed)
    pi = np.array([0, 1, 0])
    Phi = phi.reshape(-1, 2)
    result = inherent_bellman_error(mdp, phi, radius=1.0, norm="l1", policy=pi)
    vertices = [np.array(v) for v in ([1, 0], [-1, 0], [0, 1], [0, -1])]
    oracle = max(chebyshev_distance(Phi, evaluation_image(mdp, phi, pi, v)) for v in vertices)
    assert result.exact
    assert result.value == pytest.approx(oracle, abs=1e-7)
    # no point of the ball does better than the vertices (the value is the supremum)
    angles = np.linspace(0, 2 * np.pi, 41)
    for scale in (0.5, 1.0):
        for angle in angles:
            direction = np.array([np.cos(angle), np.sin(angle)])
            theta = scale * direction / np.abs(direction).sum()
            assert chebyshev_distance(Phi, evaluation_image(mdp, phi, pi, theta)) <= (
                result.value + 1e-7
            )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), radius=st.floats(0.1, 3.0))
def test_bounds_bracket_every_sampled_point_of_the_ball(seed, radius):
    mdp, phi = random_discounted(seed, S=4, A=3, d=3)
    result = inherent_bellman_error(mdp, phi, radius=radius)
    assert result.lower <= result.upper + 1e-12
    rng = np.random.default_rng(seed)
    Phi = phi.reshape(-1, 3)
    for _ in range(3):
        theta = rng.normal(size=3)
        theta *= radius * rng.random() / np.abs(theta).sum()
        target = (mdp.R + mdp.gamma * mdp.P @ (phi @ theta).max(axis=1)).reshape(-1)
        assert chebyshev_distance(Phi, target) <= result.upper + 1e-7


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4))
def test_linear_mdp_features_have_zero_inherent_bellman_error(seed, d):
    model = simplex_feature_linear_mdp(S=6, A=2, H=3, d=d, seed=seed)
    result = inherent_bellman_error(model, radius=2.0)
    assert result.exact and result.upper <= 1e-9
    assert inherent_bellman_error(model, norm="linf").upper <= 1e-9


def test_misspecified_pair_uses_nominal_features_on_the_true_model():
    pair = misspecified_linear_mdp(S=6, A=2, H=3, d=2, zeta=0.3, seed=1)
    result = inherent_bellman_error(pair)
    assert result.lower > 1e-3 and result.upper >= result.lower
    assert inherent_bellman_error(pair.linear).upper <= 1e-9


def test_episodic_last_stage_is_the_reward_residual():
    phi = np.array([[[1.0], [0.0]], [[0.0], [1.0]]])  # S = 2, A = 2, d = 1
    mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), [[1.0, 0.0], [0.0, 3.0]], H=1)
    result = inherent_bellman_error(mdp, phi)
    # r = (1, 0, 0, 3) against span(1, 0, 0, 1): best theta 2, error 1
    assert result.exact and result.value == pytest.approx(1.0)


def test_fitted_q_iteration_diverges_on_the_failure_and_converges_when_complete():
    gamma = 0.9
    fqi = fitted_q_iteration(tsitsiklis_van_roy(gamma), n_iter=40)
    np.testing.assert_allclose(fqi.weights[:, 0], (6 * gamma / 5) ** np.arange(41), rtol=1e-12)
    assert fqi.errors[-1] > 10 * fqi.errors[0]
    control = fitted_q_iteration(tsitsiklis_van_roy(gamma, one_hot=True), n_iter=40)
    assert np.all(control.errors <= gamma ** np.arange(41) * control.errors[0] + 1e-12)
    # below 5/6 the same class contracts, by 6 gamma / 5 per step
    slow = fitted_q_iteration(tsitsiklis_van_roy(0.8), n_iter=400)
    assert slow.errors[-1] == pytest.approx(2 * 0.96**400, rel=1e-9)


def test_results_are_deterministic():
    mdp, phi = random_discounted(3, S=5, A=3, d=3)
    a = inherent_bellman_error(mdp, phi)
    b = inherent_bellman_error(mdp, phi)
    assert (a.lower, a.upper) == (b.lower, b.upper)
    np.testing.assert_array_equal(a.stage_upper, b.stage_upper)


def test_bad_input_raises_naming_the_parameter():
    inst = tsitsiklis_van_roy()
    with pytest.raises(ValueError, match="radius"):
        inherent_bellman_error(inst, radius=0.0)
    with pytest.raises(ValueError, match="norm"):
        inherent_bellman_error(inst, norm="l2")
    with pytest.raises(ValueError, match="phi has shape"):
        inherent_bellman_error(inst.mdp, phi=np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="carries no features"):
        inherent_bellman_error(inst.mdp)
    with pytest.raises(ValueError, match="phi"):
        inherent_bellman_error(inst.mdp, phi=[[[np.nan]], [[1.0]]])
    with pytest.raises(ValueError, match="2\\^d"):
        inherent_bellman_error(inst.mdp, phi=np.ones((2, 1, 17)), norm="linf")
    with pytest.raises(ValueError, match="policy"):
        inherent_bellman_error(inst, policy=np.array([0, 3]))
    with pytest.raises(ValueError, match="weights"):
        fitted_q_iteration(inst, weights=[[1.0], [-1.0]])
    with pytest.raises(ValueError, match="FiniteMDP"):
        fitted_q_iteration(simplex_feature_linear_mdp(S=3, A=2, H=2, d=2))
    with pytest.raises(ValueError, match="n_iter"):
        fitted_q_iteration(inst, n_iter=0)
    with pytest.raises(ValueError, match="gamma"):
        tsitsiklis_van_roy(gamma=1.0)


def test_catalogue_entry_and_diagnosis():
    inst = make("tsitsiklis_van_roy", gamma="0.9")
    assert isinstance(inst, FeatureClassMDP) and inst.d == 1
    np.testing.assert_array_equal(inst.phi @ inst.realising_weights, np.zeros((2, 1)))
    found = {d.name: d for d in diagnose(inst)}
    assert found["inherent Bellman error"].values["inherent Bellman error"] == pytest.approx(0.6)


def test_d10_evaluation_operator_equals_the_vertex_oracle():
    rng = np.random.default_rng(0)
    S, A, d = 12, 3, 10
    mdp = random_discounted_mdp(rng, S, A, gamma=0.9, concentration=1.0)
    phi = rng.normal(size=(S, A, d)) / np.sqrt(d)
    pi = rng.integers(A, size=S)
    result = inherent_bellman_error(mdp, phi, radius=2.0, policy=pi)
    Phi = phi.reshape(-1, d)
    vertices = np.concatenate([2.0 * np.eye(d), -2.0 * np.eye(d)])
    oracle = max(chebyshev_distance(Phi, evaluation_image(mdp, phi, pi, v)) for v in vertices)
    assert result.exact and result.value == pytest.approx(oracle, abs=1e-7)
    assert result.n_lps <= 2 * d + 1
