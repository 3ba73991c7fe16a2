"""Cooperative Markov games: validation, the joint twin, local policies, localised values and
the multi-agent performance-difference identity, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.games import (
    climbing_game,
    factored_gridworld,
    penalty_game,
    random_cooperative_game,
)
from mdptheory.evaluation import advantages, policy_value_at_start
from mdptheory.games import (
    CooperativeGame,
    joint_policy,
    localised_advantages,
    localised_q,
    marginal_policies,
    multi_agent_performance_difference,
    policies_value_at_start,
    solve_game,
)


def random_policies(game, rng, sequential):
    out = []
    for i in range(game.N):
        shape = (
            (*game.lead, *game.actions[: i + 1]) if sequential else (*game.lead, game.actions[i])
        )
        x = rng.random(shape) + 0.05
        out.append(x / x.sum(axis=-1, keepdims=True))
    return out


# ------------------------------------------------------------------ model and validation


def test_joint_twin_flattens_in_c_order():
    game = random_cooperative_game(S=3, n_agents=3, n_actions=2, seed=4)
    for a in itertools.product(range(2), repeat=3):
        j = game.joint_index(a)
        assert game.joint_action(j) == a
        assert np.array_equal(game.joint.P[:, j], game.P[(slice(None), *a)])
        assert np.array_equal(game.joint.R[:, j], game.R[(slice(None), *a)])


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda P, R: (P.at_negative(), R), "P[0, 1, 0, 0] is -0.5, a negative probability"),
        (lambda P, R: (P * 0.9, R), "P[0, 0, 0, :] sums to 0.9"),
        (lambda P, R: (P, np.where(R > 0.5, np.nan, R)), "not a finite number"),
        (lambda P, R: (P[..., :1], R), "P has shape"),
        (lambda P, R: (P, R[:, :1]), "R has shape"),
    ],
)
def test_bad_input_names_the_index(change, fragment):
    class Kernel(np.ndarray):
        def at_negative(self):
            out = np.array(self)
            out[0, 1, 0, 0] = -0.5
            out[0, 1, 0, 1] = 1.5
            return out

    P = np.full((2, 2, 2, 2), 0.5).view(Kernel)
    R = np.array([np.eye(2), np.eye(2)])
    bad_P, bad_R = change(P, R)
    with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        CooperativeGame(np.asarray(bad_P), bad_R, (2, 2), gamma=0.9)


def test_bad_arguments():
    P, R = np.full((1, 2, 2, 1), 1.0), np.zeros((1, 2, 2))
    with pytest.raises(ValueError, match="exactly one of gamma"):
        CooperativeGame(P, R, (2, 2))
    with pytest.raises(ValueError, match="actions\\[1\\] must be a positive int, got 0"):
        CooperativeGame(P, R, (2, 0), gamma=0.5)
    with pytest.raises(ValueError, match="gamma"):
        CooperativeGame(P, R, (2, 2), gamma=1.0)
    game = CooperativeGame(P, R, (2, 2), gamma=0.5)
    with pytest.raises(ValueError, match="joint action component 1"):
        game.joint_index((0, 2))
    with pytest.raises(ValueError, match="policy of agent 1 has shape"):
        joint_policy(game, [np.full((1, 2), 0.5), np.full((1, 3), 1 / 3)])
    with pytest.raises(ValueError, match="policy of agent 0\\[0, :\\] sums to"):
        joint_policy(game, [np.full((1, 2), 0.3), np.full((1, 2), 0.5)])
    with pytest.raises(ValueError, match="one local policy per agent"):
        joint_policy(game, [np.full((1, 2), 0.5)])
    with pytest.raises(ValueError, match="climbing_game: S must be"):
        climbing_game(S=0)
    with pytest.raises(ValueError, match="factored_gridworld: n_agents"):
        factored_gridworld(n_agents=4)


# ------------------------------------------------------------------ exact optima


def brute_force_optimum(game: CooperativeGame) -> float:
    """Best deterministic product policy by enumeration, evaluated by a plain linear solve."""
    best = -np.inf
    S, gamma = game.S, game.gamma
    P, R = game.joint.P, game.joint.R
    for choice in itertools.product(range(game.A), repeat=S):
        rows = np.arange(S), np.array(choice)
        V = np.linalg.solve(np.eye(S) - gamma * P[rows], R[rows])
        best = max(best, float(game.initial @ V))
    return best


@pytest.mark.parametrize(
    "game",
    [climbing_game(S=2), penalty_game(S=2, k=-50.0), random_cooperative_game(S=3, seed=2)],
    ids=lambda g: g.name,
)
def test_joint_optimum_matches_enumeration(game):
    result = solve_game(game)
    assert result.value_at_start == pytest.approx(brute_force_optimum(game), abs=1e-10)
    product = [np.eye(n)[pi] for n, pi in zip(game.actions, result.agent_policies, strict=True)]
    assert policies_value_at_start(game, product) == pytest.approx(result.value_at_start, abs=1e-10)


def test_climbing_game_optimum_and_safe_local_optimum():
    game = climbing_game(S=1, gamma=0.0)
    assert solve_game(game).joint_actions.tolist() == [[0, 0]]
    assert float(game.R[0, 1, 1]) == pytest.approx(37 / 41)


def test_marginals_of_a_deterministic_joint_policy():
    game = random_cooperative_game(S=3, n_agents=3, n_actions=2, seed=1)
    result = solve_game(game)
    marginals = marginal_policies(game, result.solution.policy)
    for i, m in enumerate(marginals):
        assert np.array_equal(np.argmax(m, axis=-1), result.agent_policies[i])


def test_episodic_game_solves_by_backward_induction():
    game = random_cooperative_game(S=3, n_agents=2, n_actions=2, H=4, seed=0)
    result = solve_game(game)
    assert result.joint_actions.shape == (4, 3, 2)
    product = [np.eye(2)[pi] for pi in result.agent_policies]
    assert policies_value_at_start(game, product) == pytest.approx(result.value_at_start)


# ------------------------------------------------------------------ localised values


def test_localised_values_against_enumeration():
    game = random_cooperative_game(S=2, n_agents=3, n_actions=2, seed=7)
    rng = np.random.default_rng(0)
    pols = random_policies(game, rng, sequential=True)
    Qs = localised_q(game, pols)
    Q = Qs[-1]
    # Q_{1:1}(s, a1) = sum_{a2, a3} pi2(a2|s,a1) pi3(a3|s,a1,a2) Q(s,a1,a2,a3), by loops
    for s in range(game.S):
        for a1 in range(2):
            total = sum(
                pols[1][s, a1, a2] * pols[2][s, a1, a2, a3] * Q[s, a1, a2, a3]
                for a2 in range(2)
                for a3 in range(2)
            )
            assert Qs[1][s, a1] == pytest.approx(total, abs=1e-12)
    # the advantage decomposition: A(s, a) = sum_i A_i(s, a^{1:i})
    parts = localised_advantages(game, pols)
    summed = parts[0][..., None, None] + parts[1][..., None] + parts[2]
    full = advantages(game.joint, joint_policy(game, pols)).reshape(summed.shape)
    np.testing.assert_allclose(summed, full, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_agents=st.integers(1, 3),
    n_actions=st.integers(1, 3),
    episodic=st.booleans(),
    old_sequential=st.booleans(),
    new_sequential=st.booleans(),
)
def test_multi_agent_performance_difference_is_an_identity(
    seed, n_agents, n_actions, episodic, old_sequential, new_sequential
):
    game = random_cooperative_game(
        S=3, n_agents=n_agents, n_actions=n_actions, H=3 if episodic else None, seed=seed
    )
    rng = np.random.default_rng(seed)
    old = random_policies(game, rng, old_sequential)
    new = random_policies(game, rng, new_sequential)
    total, terms = multi_agent_performance_difference(game, old, new)
    exact = policy_value_at_start(game.joint, joint_policy(game, new)) - policy_value_at_start(
        game.joint, joint_policy(game, old)
    )
    assert terms.shape == (n_agents,)
    assert total == pytest.approx(exact, abs=1e-10)


def test_instances_are_reproducible_and_seeded():
    a, b = climbing_game(seed=5), climbing_game(seed=5)
    assert np.array_equal(a.R, b.R) and np.array_equal(a.P, b.P)
    assert not np.array_equal(climbing_game(seed=6).R, a.R)
    grid = factored_gridworld(n_agents=3, width=3, height=1)
    assert grid.S == 27 and grid.A == 27
    np.testing.assert_allclose(grid.P.sum(axis=-1), 1.0)


def test_cli_solve_prints_the_joint_optimum_and_each_marginal(capsys):
    from mdptheory.cli import main

    assert main(["solve", "climbing_game", "--S", "2"]) == 0
    out = capsys.readouterr().out
    assert "V*(rho) = 10" in out
    assert "agent 0 marginal" in out and "agent 1 marginal" in out
    assert main(["solve", "random_cooperative_game", "--H", "3", "--n_agents", "3"]) == 0
    assert "agent 2 marginal" in capsys.readouterr().out
