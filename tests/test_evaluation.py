"""Exact evaluation: identities that must hold to rounding error."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdptheory as mt
from proofs_check.strategies import episodic_mdps, finite_mdps, policies


def model_and_policy(data, models):
    """A model drawn from the strategy ``models`` and a deterministic policy for it."""
    mdp = data.draw(models)
    return mdp, data.draw(policies(mdp))


@pytest.mark.parametrize(
    "models",
    [finite_mdps(max_states=5), episodic_mdps(max_states=4)],
    ids=["discounted", "episodic"],
)
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_performance_difference_identity(models, data):
    mdp, pi = model_and_policy(data, models)
    pi_prime = data.draw(policies(mdp))
    direct = mt.policy_value_at_start(mdp, pi) - mt.policy_value_at_start(mdp, pi_prime)
    # discounted values reach 1 / (1 - gamma): the tolerance grows with them
    scale = 1 / (1 - mdp.gamma) if isinstance(mdp, mt.FiniteMDP) else 1.0
    assert abs(mt.performance_difference(mdp, pi, pi_prime) - direct) <= 1e-10 * max(1.0, scale)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_discounted_occupancy_flow_constraints(data):
    mdp, pi = model_and_policy(data, finite_mdps(max_states=5))
    d = mt.occupancy(mdp, pi)
    assert np.all(d >= -1e-12)
    np.testing.assert_allclose(d.sum(), 1 / (1 - mdp.gamma), rtol=1e-10)
    # sum_a d(s', a) = rho(s') + gamma sum_{s,a} P(s'|s,a) d(s,a)
    inflow = mdp.initial + mdp.gamma * np.einsum("sa,sat->t", d, mdp.P)
    np.testing.assert_allclose(d.sum(axis=1), inflow, atol=1e-10 / (1 - mdp.gamma))
    # <d, R> is the value of the start distribution.
    np.testing.assert_allclose(
        np.sum(d * mdp.R), mt.policy_value_at_start(mdp, pi), atol=1e-9 / (1 - mdp.gamma)
    )


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_episodic_occupancy_flow_constraints(data):
    mdp, pi = model_and_policy(data, episodic_mdps(max_states=5))
    d = mt.occupancy(mdp, pi)
    np.testing.assert_allclose(d.sum(axis=(1, 2)), 1.0, atol=1e-12)
    np.testing.assert_allclose(d[0].sum(axis=1), mdp.initial, atol=1e-12)
    for h in range(mdp.H - 1):
        inflow = np.einsum("sa,sat->t", d[h], mdp.transition(h))
        np.testing.assert_allclose(d[h + 1].sum(axis=1), inflow, atol=1e-12)
    np.testing.assert_allclose(np.sum(d * mdp.R), mt.policy_value_at_start(mdp, pi), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_bellman_equations_hold(data):
    mdp = data.draw(finite_mdps(max_states=5))
    pi = mt.evaluation.as_stochastic(mdp, data.draw(policies(mdp)))
    V = mt.evaluate(mdp, pi)
    Q = mt.q_values(mdp, pi)
    np.testing.assert_allclose(np.einsum("sa,sa->s", pi, Q), V, atol=1e-9 / (1 - mdp.gamma))
    np.testing.assert_allclose(
        np.einsum("sa,sa->s", pi, mt.advantages(mdp, pi)), 0.0, atol=1e-9 / (1 - mdp.gamma)
    )


def test_deterministic_equals_one_hot_stochastic():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=(4, 3))
    mdp = mt.EpisodicMDP(P, rng.random((4, 3)), H=5)
    pi = rng.integers(0, 3, size=(5, 4))
    np.testing.assert_allclose(mt.evaluate(mdp, pi), mt.evaluate(mdp, np.eye(3)[pi]), atol=1e-14)


def test_bad_policies_name_the_problem():
    mdp = mt.FiniteMDP(np.full((2, 2, 2), 0.5), np.zeros((2, 2)), gamma=0.5)
    with pytest.raises(ValueError, match=r"policy\[1\] is action 2, outside 0..1"):
        mt.evaluate(mdp, np.array([0, 2]))
    with pytest.raises(ValueError, match=r"policy\[0, :\] sums to 0.5"):
        mt.evaluate(mdp, np.array([[0.25, 0.25], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="deterministic policy for this model has shape"):
        mt.evaluate(mdp, np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="integer .*or float"):
        mt.evaluate(mdp, np.array(["a", "b"]))


@settings(max_examples=40, deadline=None)
@given(episodic_mdps(max_states=3, max_actions=2, max_horizon=3))
def test_max_episode_regret_equals_brute_force_over_deterministic_policies(mdp):
    import itertools

    from mdptheory.evaluation import max_episode_regret

    if mdp.A ** (mdp.H * mdp.S) > 4096:
        return
    starts = [
        mt.policy_value_at_start(mdp, np.array(flat, dtype=np.int64).reshape(mdp.H, mdp.S))
        for flat in itertools.product(range(mdp.A), repeat=mdp.H * mdp.S)
    ]
    assert abs(max_episode_regret(mdp) - (max(starts) - min(starts))) <= 1e-12


def test_max_episode_regret_on_the_tabular_check_garnet():
    from instances.tabular import garnet
    from mdptheory.evaluation import max_episode_regret

    assert round(max_episode_regret(garnet(S=5, A=2, branching=2, H=5, seed=0)), 3) == 0.725
    with pytest.raises(ValueError, match="EpisodicMDP"):
        max_episode_regret(mt.FiniteMDP(np.ones((1, 1, 1)), [[0.0]], gamma=0.5))
