"""Linear mixture MDPs and their instances: exact twin, the mixture invariant, seeds, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.linear_mixture import (
    random_linear_mixture_mdp,
    reward_free_hard_instance,
    tabular_as_mixture,
)
from instances.tabular import river_swim
from mdptheory.linear_mixture import LinearMixtureMDP
from mdptheory.planning import backward_induction


def _loops(basis, theta, H):
    """The induced kernel by explicit loops (shares no code with the model)."""
    d, S, A, _ = basis.shape
    out = np.zeros((S, A, S))
    for s in range(S):
        for a in range(A):
            for t in range(S):
                out[s, a, t] = sum(theta[i] * basis[i, s, a, t] for i in range(d))
    return out


def test_twin_kernel_equals_the_mixture_by_loops():
    mdp = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=1)
    np.testing.assert_allclose(mdp.tabular().P[0], _loops(mdp.basis, mdp.theta[0], 3), atol=1e-15)
    np.testing.assert_array_equal(mdp.tabular().R, mdp.R)


def test_tabular_embedding_is_bit_exact():
    base = river_swim(S=4, H=6)
    mix = tabular_as_mixture(base)
    assert mix.d == 4 * 2 * 4
    np.testing.assert_array_equal(mix.tabular().P, base.P)
    np.testing.assert_array_equal(
        backward_induction(mix.tabular()).values, backward_induction(base).values
    )


def test_hard_instance_optimum_is_the_sign_of_mu():
    """The optimal action at every chain state is sign(mu); its escape is delta + (d-1) Delta."""
    d, H, eps = 4, 5, 0.5
    mdp = reward_free_hard_instance(d=d, H=H, epsilon=eps, seed=2)
    mu = mdp.theta[0, 1:]
    sol = backward_induction(mdp.tabular())
    best = sol.policy[0, 0]
    from instances.linear import sign_vectors

    np.testing.assert_array_equal(sign_vectors(d - 1)[best], np.sign(mu))
    escape = mdp.P[0, 0, best, H + 1]
    assert escape == pytest.approx(1 / H + (d - 1) * eps / H / (d - 1))
    assert mdp.R.sum(axis=0).max() <= 1.0


@settings(max_examples=25, deadline=None)
@given(
    S=st.integers(2, 5),
    A=st.integers(1, 3),
    d=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_value_features_give_the_backup(S, A, d, seed):
    """<x_V(s, a), theta> = sum_s' P(s'|s, a) V(s'), the identity value-targeted regression uses."""
    mdp = random_linear_mixture_mdp(S=S, A=A, H=2, d=d, seed=seed)
    V = np.random.default_rng(seed).random((3, S))
    X = mdp.value_features(V)
    assert X.shape == (3, S, A, d)
    np.testing.assert_allclose(X @ mdp.theta[0], np.einsum("sat,nt->nsa", mdp.P[0], V), atol=1e-12)
    assert mdp.assumptions().feature_bound <= np.sqrt(d) + 1e-12


def test_same_seed_same_instance():
    a, b = random_linear_mixture_mdp(seed=5), random_linear_mixture_mdp(seed=5)
    np.testing.assert_array_equal(a.basis, b.basis)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.R, b.R)
    c = random_linear_mixture_mdp(seed=6)
    assert not np.array_equal(a.theta, c.theta)
    h1, h2 = reward_free_hard_instance(seed=1), reward_free_hard_instance(seed=1)
    np.testing.assert_array_equal(h1.theta, h2.theta)


def test_with_rewards_keeps_the_dynamics():
    mdp = random_linear_mixture_mdp(S=3, A=2, H=2, d=2, seed=0)
    other = mdp.with_rewards(np.zeros((3, 2)))
    np.testing.assert_array_equal(other.P, mdp.P)
    assert other.R.shape == (2, 3, 2) and other.R.max() == 0.0


def test_per_stage_theta():
    basis = np.stack([np.eye(2)[:, None, :], np.eye(2)[::-1][:, None, :]])
    mdp = LinearMixtureMDP(basis, [[1.0, 0.0], [0.0, 1.0]], np.zeros((2, 1)), H=2)
    assert not mdp.homogeneous
    assert mdp.tabular().P.shape == (2, 2, 1, 2)
    np.testing.assert_array_equal(mdp.tabular().P[1, 0, 0], [0.0, 1.0])


def test_bad_input_names_index_and_value():
    basis = np.stack([np.eye(2)[:, None, :], np.eye(2)[::-1][:, None, :]])
    with pytest.raises(ValueError, match=r"1\.5 at h=0, s=0, a=0"):
        LinearMixtureMDP(basis, [1.0, 0.5], np.zeros((2, 1)), H=2)
    with pytest.raises(ValueError, match=r"-0\.5 at h=0, s=(0|1), a=0, s'=(0|1)"):
        LinearMixtureMDP(basis, [1.5, -0.5], np.zeros((2, 1)), H=2)
    with pytest.raises(ValueError, match="theta"):
        LinearMixtureMDP(basis, [1.0, 0.0, 0.0], np.zeros((2, 1)), H=2)
    with pytest.raises(ValueError, match="basis"):
        LinearMixtureMDP(np.zeros((2, 2, 1, 3)), [1.0, 0.0], np.zeros((2, 1)), H=2)
    with pytest.raises(ValueError, match="nan|finite"):
        LinearMixtureMDP(basis, [np.nan, 0.0], np.zeros((2, 1)), H=2)
    with pytest.raises(ValueError, match="H"):
        LinearMixtureMDP(basis, [1.0, 0.0], np.zeros((2, 1)), H=0)
    with pytest.raises(ValueError, match="rewards"):
        random_linear_mixture_mdp(rewards="huge")
    with pytest.raises(ValueError, match="epsilon"):
        reward_free_hard_instance(epsilon=1.5)
    with pytest.raises(ValueError, match="stationary"):
        from mdptheory import EpisodicMDP

        tabular_as_mixture(EpisodicMDP(np.full((2, 2, 2, 2), 0.5), np.zeros((2, 2)), H=2))
    mdp = random_linear_mixture_mdp(S=3, A=2, H=2, d=2, seed=0)
    with pytest.raises(ValueError, match="V has shape"):
        mdp.value_features(np.zeros(4))
