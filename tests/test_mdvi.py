"""Tabular MDVI and LS-MDVI with a generative model: exact regularised value iteration when the
samples are exact, the sample budget, reproducibility, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from algorithms.generative import LSMDVI, MDVI
from algorithms.registry import make_learner
from instances import garnet
from instances.discounted_linear import discounted_linear_mdp
from instances.feature_failures import FeatureClassMDP
from mdptheory.planning import solve
from mdptheory.tabular import FiniteMDP


def _deterministic(S=5, A=3, gamma=0.8, seed=0) -> FiniteMDP:
    """A deterministic kernel: one draw is the exact expectation, so MDVI is exact."""
    rng = np.random.default_rng(seed)
    nxt = rng.integers(0, S, size=(S, A))
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None], nxt] = 1.0
    return FiniteMDP(P, rng.random((S, A)), gamma=gamma)


def _soft_q(mdp: FiniteMDP, kappa: float) -> np.ndarray:
    """The entropy-regularised optimum q = r + gamma P [kappa logsumexp(q / kappa)]."""
    q = np.zeros((mdp.S, mdp.A))
    for _ in range(3000):
        q = mdp.R + mdp.gamma * mdp.P @ (kappa * logsumexp(q / kappa, axis=1))
    return q


@pytest.mark.parametrize("learner", [MDVI, LSMDVI])
def test_exact_samples_give_the_regularised_fixed_point(learner):
    # With exact expectations MDVI is regularised VI: pi_K = softmax(beta s_K) -> softmax(q /
    # kappa) with kappa = (1 - alpha) / beta, q the entropy-regularised optimum.
    mdp = _deterministic()
    alpha, beta = 0.5, 4.0
    trace = learner(alpha=alpha, beta=beta, iterations=400).run(mdp, budget=400 * 15, seed=0)
    q = _soft_q(mdp, (1 - alpha) / beta)
    expected = np.exp(
        q / ((1 - alpha) / beta) - logsumexp(q / ((1 - alpha) / beta), axis=1)[:, None]
    )
    np.testing.assert_allclose(np.asarray(trace.metadata["final_policy"]), expected, atol=1e-9)


@pytest.mark.parametrize("learner", [MDVI, LSMDVI])
def test_exact_samples_greedy_limit_reaches_v_star(learner):
    mdp = _deterministic(gamma=0.9, seed=3)
    trace = learner(iterations=1000).run(mdp, budget=1000 * 15, seed=0)
    assert trace.gap[-1] == 0.0
    assert trace.extras["value_error"][-1] < 1e-8
    assert trace.metadata["final_policy"] == solve(mdp).policy.tolist()


def test_ls_mdvi_with_features_predicts_exactly_on_a_deterministic_linear_mdp():
    # phi(s, a) = e_{next(s, a)} (d = S < S A): least squares on the design is exact.
    rng = np.random.default_rng(1)
    S, A = 6, 3
    nxt = rng.integers(0, S, size=(S, A))
    phi = np.eye(S)[nxt]
    theta = rng.random(S)
    mdp = FiniteMDP(np.eye(S)[nxt], phi @ theta, gamma=0.85)
    model = FeatureClassMDP(mdp, phi, np.zeros(S), "deterministic linear")
    trace = LSMDVI(iterations=1000).run(model, budget=10**5, seed=0)
    assert trace.metadata["design_points"] <= S
    assert trace.extras["value_error"][-1] < 1e-8 and trace.gap[-1] == 0.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), budget=st.integers(2_000, 30_000), tabular=st.booleans())
def test_budget_and_trace_invariants(seed, budget, tabular):
    model = (
        garnet(S=4, A=2, branching=2, gamma=0.7, seed=seed)
        if tabular
        else discounted_linear_mdp(S=5, A=2, d=3, gamma=0.7, seed=seed)
    )
    learner = MDVI() if tabular else LSMDVI()
    trace = learner.run(model, budget=budget, seed=seed)
    positions = trace.extras["iteration"]
    assert positions[-1] == trace.metadata["spent"] <= budget
    assert np.all(np.diff(positions) > 0)
    assert np.all(trace.gap >= 0) and np.all(trace.extras["value_error"] >= 0)
    # every iteration spends the same number of samples
    assert np.allclose(np.diff(positions), positions[0])


@pytest.mark.parametrize("learner", [MDVI(), LSMDVI(), MDVI(beta=2.0)])
def test_same_seed_same_trace(learner):
    model = discounted_linear_mdp(S=6, A=2, d=3, gamma=0.8, seed=4)
    target = model.mdp if isinstance(learner, MDVI) else model
    a = learner.run(target, budget=20_000, seed=7)
    b = learner.run(target, budget=20_000, seed=7)
    c = learner.run(target, budget=20_000, seed=8)
    assert np.array_equal(a.extras["value_error"], b.extras["value_error"])
    assert np.array_equal(a.gap, b.gap)
    assert not np.array_equal(a.extras["value_error"], c.extras["value_error"])


def test_registered_and_built_from_strings():
    assert isinstance(make_learner("mdvi", beta="inf"), MDVI)
    assert make_learner("ls-mdvi", alpha="0.5").alpha == 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"beta": 0.0}, "beta"),
        ({"beta": float("nan")}, "beta"),
        ({"beta": True}, "beta"),
        ({"iterations": 0}, "iterations"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MDVI(**kwargs)
    with pytest.raises(ValueError, match=match):
        LSMDVI(**kwargs)


def test_bad_models_and_budgets():
    mdp = garnet(S=4, A=2, branching=2, gamma=0.7, seed=0)
    with pytest.raises(ValueError, match="budget 10 is below"):
        MDVI().run(mdp, budget=10)
    with pytest.raises(ValueError, match="budget"):
        MDVI().run(mdp, budget=0)
    with pytest.raises(ValueError, match="model must be"):
        MDVI().run("garnet", budget=1000)
    big = FiniteMDP(mdp.P, mdp.R * 3.0, gamma=0.7)
    with pytest.raises(ValueError, match=r"R\[0, \d, \d\] is .*outside \[0, 1\]"):
        MDVI().run(big, budget=1000)
    # features on which the kernel is not linear: the pair is named
    bad = FeatureClassMDP(mdp, np.ones((4, 2, 1)), np.zeros(1), "constant feature")
    with pytest.raises(ValueError, match=r"pair \(s=\d, a=\d\)"):
        LSMDVI().run(bad, budget=10_000)
    with pytest.raises(ValueError, match="phi has shape"):
        LSMDVI().run(FeatureClassMDP(mdp, np.ones((3, 2, 1)), np.zeros(1), "x"), budget=10_000)
