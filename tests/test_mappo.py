"""Multi-agent PPO (exact and sampled) and independent PG on cooperative games: one step against
a numpy oracle, monotone joint return, reproducibility, bad input, the registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.multi_agent import MAPPO, IndependentPG, SampledMAPPO
from algorithms.multi_agent.mappo_common import npg_step
from algorithms.registry import make_learner
from instances.games import climbing_game, random_cooperative_game
from mdptheory.evaluation import occupancy
from mdptheory.games import (
    joint_policy,
    localised_q,
    policies_value_at_start,
    solve_game,
)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def uniform(game, sequential):
    if sequential:
        return [
            np.full((game.S, *game.actions[: i + 1]), 1.0 / game.actions[i]) for i in range(game.N)
        ]
    return [np.full((game.S, a), 1.0 / a) for a in game.actions]


def numpy_mappo_steps(game, eta, steps):
    """The update written with mdptheory's localised values (no JAX, no shared kernel)."""
    pols = uniform(game, sequential=True)
    for _ in range(steps):
        Qs = localised_q(game, pols)
        pols = [softmax(np.log(p) + eta * Qs[i + 1]) for i, p in enumerate(pols)]
    return pols


def numpy_independent_pg_steps(game, eta, steps):
    thetas = [np.zeros((game.S, a)) for a in game.actions]
    for _ in range(steps):
        pols = [softmax(t) for t in thetas]
        joint = joint_policy(game, pols)
        d = occupancy(game.joint, joint).sum(axis=-1)
        from mdptheory.evaluation import q_values

        Q = q_values(game.joint, joint).reshape(game.S, *game.actions)
        V = np.sum(joint.reshape(Q.shape) * Q, axis=tuple(range(1, game.N + 1)))
        new = []
        for i, (t, p) in enumerate(zip(thetas, pols, strict=True)):
            others = [j for j in range(game.N) if j != i]
            weights = np.ones(Q.shape)
            for j in others:
                shape = [game.S] + [1] * game.N
                shape[1 + j] = game.actions[j]
                weights = weights * pols[j].reshape(shape)
            qbar = np.sum(weights * Q, axis=tuple(1 + j for j in others))
            new.append(t + eta * d[:, None] * p * (qbar - V[:, None]))
        thetas = new
    return [softmax(t) for t in thetas]


def gap_of(game, pols):
    return solve_game(game).value_at_start - policies_value_at_start(game, pols)


def test_mappo_matches_the_numpy_update():
    game = random_cooperative_game(S=3, n_agents=3, n_actions=2, seed=5)
    eta = 0.7
    trace = MAPPO(eta=eta).run(game, budget=4, record_every=1)
    for k in range(1, 5):
        expected = gap_of(game, numpy_mappo_steps(game, eta, k))
        assert trace.gap[k - 1] == pytest.approx(expected, abs=1e-11)


def test_independent_pg_matches_the_numpy_gradient_step():
    game = random_cooperative_game(S=3, n_agents=2, n_actions=3, seed=2)
    trace = IndependentPG(eta=0.5).run(game, budget=3, record_every=1)
    for k in range(1, 4):
        expected = gap_of(game, numpy_independent_pg_steps(game, 0.5, k))
        assert trace.gap[k - 1] == pytest.approx(expected, abs=1e-11)


def test_independent_pg_gradient_is_the_derivative_of_the_return():
    # The step's direction against central differences of J in one logit.
    game = random_cooperative_game(S=2, n_agents=2, n_actions=2, seed=9)
    eps = 1e-6
    base = [np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([[0.0, 0.5], [-0.3, 0.2]])]

    def J(thetas):
        return policies_value_at_start(game, [softmax(t) for t in thetas])

    plus = [t.copy() for t in base]
    minus = [t.copy() for t in base]
    plus[1][1, 0] += eps
    minus[1][1, 0] -= eps
    numeric = (J(plus) - J(minus)) / (2 * eps)
    pols = [softmax(t) for t in base]
    joint = joint_policy(game, pols)
    d = occupancy(game.joint, joint).sum(axis=-1)
    from mdptheory.evaluation import q_values

    Qf = q_values(game.joint, joint).reshape(2, 2, 2)
    qbar = np.einsum("sab,sa->sb", Qf, pols[0])
    V = np.einsum("sb,sb->s", qbar, pols[1])
    analytic = d[1] * pols[1][1, 0] * (qbar[1, 0] - V[1])
    assert analytic == pytest.approx(numeric, rel=1e-6)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6), eta=st.sampled_from([0.1, 1.0, 10.0]))
def test_mappo_never_decreases_the_joint_return(seed, eta):
    game = random_cooperative_game(S=3, n_agents=2, n_actions=2, seed=seed)
    trace = MAPPO(eta=eta).run(game, budget=30, record_every=1)
    gaps = np.concatenate([[trace.metadata["initial_gap"]], trace.gap])
    assert np.all(np.diff(gaps) <= 1e-12)


def test_mappo_reaches_the_optimum_where_independent_pg_stalls():
    game = climbing_game(S=1)
    mappo = MAPPO().run(game, budget=2000, record_every=1000)
    control = IndependentPG(eta=1.0).run(game, budget=2000, record_every=1000)
    assert mappo.gap[-1] < 1e-6
    assert control.gap[-1] > 0.5


@pytest.mark.slow
def test_sampled_mappo_is_reproducible_batch_independent_and_improves():
    game = climbing_game(S=1)
    learner = SampledMAPPO(eta=0.5, rollouts=2, horizon=8)
    a = learner.run_batch(game, 20, seed=3, n_runs=2, record_every=1)
    b = learner.run_batch(game, 20, seed=3, n_runs=2, record_every=1)
    c = learner.run(game, 20, seed=3, record_every=1)
    d = learner.run(game, 20, seed=4, record_every=1)
    np.testing.assert_array_equal(a.gap, b.gap)
    np.testing.assert_array_equal(a.gap[0], c.gap)
    assert not np.array_equal(a.gap[0], a.gap[1])
    assert not np.array_equal(c.gap, d.gap)
    assert a.gap[:, -1].max() < 0.5 * a.initial_gap.min()


def test_default_steps_and_metadata():
    game = climbing_game(S=1)
    trace = MAPPO().run(game, budget=2, record_every=1)
    assert trace.metadata["eta"] == pytest.approx(npg_step(0.9, (3, 3)))
    assert trace.metadata["n_agents"] == 2
    assert IndependentPG().run(game, 2, record_every=1).metadata["eta"] == pytest.approx(0.1**3 / 8)


def test_bad_input():
    with pytest.raises(ValueError, match="episodic"):
        MAPPO().run(climbing_game(S=1, H=3), budget=2)
    with pytest.raises(ValueError, match="games\\[1\\] has S=2"):
        MAPPO().run_batch([climbing_game(S=1), climbing_game(S=2)], budget=2)
    with pytest.raises(ValueError, match="eta"):
        MAPPO(eta=-1.0)
    with pytest.raises(ValueError, match="rollouts"):
        SampledMAPPO(rollouts=0)
    with pytest.raises(ValueError, match="eta\\[1\\] is -0.5"):
        MAPPO().run_batch(climbing_game(S=1), 2, etas=[1.0, -0.5])
    with pytest.raises(ValueError, match="number of iterations"):
        MAPPO().run(climbing_game(S=1), budget=0)


def test_registered_learners():
    assert isinstance(make_learner("mappo", eta="0.5"), MAPPO)
    assert isinstance(make_learner("mappo-sampled", rollouts="3"), SampledMAPPO)
    assert isinstance(make_learner("independent-pg"), IndependentPG)


def test_cli_runs_mappo_on_a_game(tmp_path, capsys):
    from mdptheory.cli import main

    argv = ["run", "mappo", "climbing_game", "--S", "1", "--budget", "20", "--seeds", "1"]
    assert main([*argv, "--no-progress", "--out", str(tmp_path)]) == 0
    assert "mappo on climbing_game(S=1,gamma=0.9,seed=0)" in capsys.readouterr().out
