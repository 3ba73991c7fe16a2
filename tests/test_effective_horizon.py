"""The effective horizon k*, its bound, and SQIRL: oracles, invariants, reproducibility, bad
input and the registered checks at quick scale."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import assert_quick_pass, refusal_test
from hypothesis import assume, given, settings

from algorithms.effective_horizon import SQIRL
from algorithms.effective_horizon.sqirl import _regress
from instances.structure import effective_horizon_lure
from instances.tabular import combination_lock, garnet
from mdptheory import EpisodicMDP, backward_induction, evaluate
from mdptheory.diagnostics import diagnose
from mdptheory.diagnostics.effective_horizon import (
    effective_horizon,
    qvi_iterates,
    random_policy_q,
)
from proofs_check import harness
from proofs_check.strategies import episodic_mdps


def _solvable_by_enumeration(mdp: EpisodicMDP, Q: np.ndarray, atol: float) -> bool:
    """Every policy greedy for Q (each tie set enumerated) has the optimal value from rho."""
    ties = [
        np.flatnonzero(Q[h, s] >= Q[h, s].max() - atol) for h in range(mdp.H) for s in range(mdp.S)
    ]
    optimum = float(mdp.initial @ backward_induction(mdp).values[0])
    for choice in itertools.product(*ties):
        policy = np.array(choice, dtype=np.int64).reshape(mdp.H, mdp.S)
        if float(mdp.initial @ evaluate(mdp, policy)[0]) < optimum - atol:
            return False
    return True


@settings(max_examples=40, deadline=None)
@given(episodic_mdps(min_states=1, max_states=4, max_actions=3, max_horizon=4))
def test_k_star_matches_the_definition_by_enumeration(mdp):
    # the oracle judges values within atol, so a state reached with a negligible probability
    # could hide a suboptimal greedy action from it (the reachability rule counts any mass)
    masses = np.concatenate([mdp.dense_P().ravel(), mdp.initial])
    assume(masses[masses > 0].min() >= 1e-3)
    result = effective_horizon(mdp)
    for k in range(1, mdp.H + 1):
        Q = qvi_iterates(mdp, k)
        assert result.solvable[k - 1] == _solvable_by_enumeration(mdp, Q, result.atol), k
    assert result.k_star == int(np.argmax(result.solvable)) + 1
    assert result.solvable[-1]


@settings(max_examples=30, deadline=None)
@given(episodic_mdps(min_states=1, max_states=4, max_actions=3, max_horizon=5))
def test_qvi_iterates_reach_q_star_at_k_equal_h(mdp):
    np.testing.assert_allclose(qvi_iterates(mdp, mdp.H), backward_induction(mdp).q, atol=1e-12)
    uniform = np.full((mdp.H, mdp.S, mdp.A), 1 / mdp.A)
    q_rand = random_policy_q(mdp)
    V_rand = evaluate(mdp, uniform)
    np.testing.assert_allclose((q_rand * uniform).sum(axis=2), V_rand, atol=1e-12)


@pytest.mark.parametrize(("H", "k_star", "A"), [(4, 1, 2), (8, 3, 2), (8, 7, 3), (12, 5, 2)])
def test_lure_has_its_designed_k_star_and_bound(H, k_star, A):
    result = effective_horizon(effective_horizon_lure(H=H, k_star=k_star, A=A, seed=H))
    assert result.k_star == k_star
    assert result.solvable.tolist() == [k >= k_star for k in range(1, H + 1)]
    # zero-variance values beyond the lookahead: m_k = 1, so the bound is k* itself
    assert result.deterministic and result.bound == k_star


def test_combination_lock_has_k_star_one_but_bound_h():
    result = effective_horizon(combination_lock(S=9, A=2, H=8, seed=0))
    assert result.k_star == 1 and result.bound == pytest.approx(8.0)


def test_bound_only_for_deterministic_models():
    result = effective_horizon(garnet(S=5, A=2, H=4, seed=0))
    assert not result.deterministic and result.bound is None


def test_bad_input():
    with pytest.raises(ValueError, match="EpisodicMDP"):
        effective_horizon(garnet(S=3, A=2, seed=0))
    with pytest.raises(ValueError, match="atol"):
        effective_horizon(garnet(S=3, A=2, H=3, seed=0), atol=-1.0)
    with pytest.raises(ValueError, match="k must be"):
        qvi_iterates(garnet(S=3, A=2, H=3, seed=0), 0)


def test_diagnosis_of_an_episodic_model():
    found = {d.name: d for d in diagnose(effective_horizon_lure(H=8, k_star=3))}
    assert {"effective horizon", "coverability"} <= set(found)  # and the feature diagnostics
    assert "bisimulation metric" not in found
    values = found["effective horizon"].values
    assert values["k*"] == 3 and values["k-QVI-solvable for k in"] == "3-8"


# ----------------------------------------------------------------- SQIRL


@pytest.mark.parametrize("k_star", [1, 2, 4])
def test_sqirl_with_enough_data_is_greedy_on_q_k(k_star):
    """With every relevant path sampled many times the estimates are exact (deterministic
    instance), so SQIRL is optimal exactly when k >= k*."""
    mdp = effective_horizon_lure(H=7, k_star=k_star, A=2, seed=1)
    for k in range(1, 7):
        result = SQIRL(k=k, episodes_per_stage=4000).learn(mdp, seed=k)
        assert result.optimal() == (k >= k_star), k


def test_regression_matches_numpy():
    rng = np.random.default_rng(0)
    m, H, S, A = 50, 4, 3, 2
    states = rng.integers(S, size=(m, H + 1))
    actions = rng.integers(A, size=(m, H))
    rewards = rng.random((m, H))
    Q = _regress(states, actions, rewards, 1, 3, S, A)
    # frontier 3: mean return-to-go; then one backup to stage 2 and one to stage 1
    frontier = np.zeros((S, A))
    for s, a in itertools.product(range(S), range(A)):
        rows = (states[:, 3] == s) & (actions[:, 3] == a)
        frontier[s, a] = rewards[rows, 3].mean() if rows.any() else 0.0
    current = frontier
    for j in (2, 1):
        target = rewards[:, j] + current.max(axis=1)[states[:, j + 1]]
        nxt = np.zeros((S, A))
        for s, a in itertools.product(range(S), range(A)):
            rows = (states[:, j] == s) & (actions[:, j] == a)
            nxt[s, a] = target[rows].mean() if rows.any() else 0.0
        current = nxt
    np.testing.assert_allclose(Q, current, atol=1e-12)


def test_sqirl_is_reproducible():
    mdp = garnet(S=6, A=3, H=5, seed=2)
    a = SQIRL(k=2, episodes_per_stage=30).learn(mdp, seed=11)
    b = SQIRL(k=2, episodes_per_stage=30).learn(mdp, seed=11)
    np.testing.assert_array_equal(a.policy, b.policy)
    policies = {
        SQIRL(k=2, episodes_per_stage=3).learn(mdp, seed=s).policy.tobytes() for s in range(6)
    }
    assert len(policies) > 1
    assert a.episodes == 150 and a.value <= a.optimal_value + 1e-12


test_sqirl_bad_hyperparameters = refusal_test(
    SQIRL,
    [
        ({"k": 0, "episodes_per_stage": 5}, "k must be"),
        ({"k": 2, "episodes_per_stage": 0}, "episodes_per_stage"),
        ({"k": True, "episodes_per_stage": 5}, "k must be"),
        ({"k": 2.0, "episodes_per_stage": 5}, "k must be"),
    ],
)


def test_sqirl_bad_models():
    with pytest.raises(ValueError, match="EpisodicMDP"):
        SQIRL(k=1, episodes_per_stage=2).learn(garnet(S=3, A=2, seed=0))
    mdp = EpisodicMDP(np.ones((1, 2, 1)), [[2.0, 0.0]], H=2)
    with pytest.raises(ValueError, match=r"R\[0, 0, 0\] is 2.0"):
        SQIRL(k=1, episodes_per_stage=2).learn(mdp)


@pytest.mark.parametrize(
    "check_id", ["laidlaw2023-sqirl-k-vs-kstar", "laidlaw2023-sqirl-rollouts-a-kstar"]
)
def test_registered_checks_pass_at_quick_scale(check_id):
    assert_quick_pass(check_id)


def test_sparse_and_dense_kernels_agree():
    dense = effective_horizon(garnet(S=12, A=3, H=6, seed=4))
    sparse = effective_horizon(garnet(S=12, A=3, H=6, seed=4, sparse=True))
    assert sparse.k_star == dense.k_star
    np.testing.assert_array_equal(sparse.solvable, dense.solvable)
    one_successor = effective_horizon(garnet(S=12, A=3, H=6, seed=4, branching=1, sparse=True))
    assert one_successor.deterministic and one_successor.bound is not None


def test_checks_are_reproducible():
    a = harness.run_check("laidlaw2023-sqirl-rollouts-a-kstar", "quick", seed=3, raise_errors=True)
    b = harness.run_check("laidlaw2023-sqirl-rollouts-a-kstar", "quick", seed=3, raise_errors=True)
    np.testing.assert_array_equal(a.evidence.arrays["needed"], b.evidence.arrays["needed"])
    np.testing.assert_array_equal(
        a.evidence.arrays["lock_needed"], b.evidence.arrays["lock_needed"]
    )
