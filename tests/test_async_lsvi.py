"""Async-Coop-LSVI-UCB and the multi-agent linear setting: oracle, invariants, seeds, input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.linear import LAMBDA, LSVIUCB
from algorithms.multi_agent import (
    AsyncCoopLSVIUCB,
    IndependentLSVIUCB,
    SyncEveryEpisodeLSVIUCB,
    communication_bound,
    paper_alpha,
)
from algorithms.registry import make_learner
from instances.linear import simplex_feature_linear_mdp
from mdptheory.multi_agent_linear import (
    MultiAgentLinearMDP,
    agent_rates,
    async_schedule,
    check_schedule,
    episodes_per_agent,
    round_robin_schedule,
)


@pytest.fixture(scope="module")
def mdp():
    return simplex_feature_linear_mdp(S=6, A=2, H=3, d=3, seed=0)


# ---------------------------------------------------------------------------------------------
# The setting
# ---------------------------------------------------------------------------------------------


def test_schedules_cover_the_agents_and_skew_concentrates_them():
    balanced = episodes_per_agent(async_schedule(4, 4000, 0.0, seed=1), 4)
    skewed = episodes_per_agent(async_schedule(4, 4000, 3.0, seed=1), 4)
    assert balanced.sum() == skewed.sum() == 4000
    assert balanced.min() > 900  # each near 1000
    assert skewed[0] > 3000 and skewed[-1] < 100  # rates 1, 1/8, 1/27, 1/64
    assert np.allclose(agent_rates(4, 3.0).sum(), 1.0)
    assert round_robin_schedule(3, 6).tolist() == [0, 1, 2, 0, 1, 2]
    assert np.array_equal(async_schedule(3, 50, 1.0, seed=7), async_schedule(3, 50, 1.0, seed=7))


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ([0, 1, 4], r"schedule\[2\] is 4"),
        ([0, -1], r"schedule\[1\] is -1"),
        ([0.0, 1.5], r"schedule\[1\] is 1.5"),
        ([], "non-empty"),
        ([[0, 1]], "one-dimensional"),
    ],
)
def test_bad_schedules_name_index_and_value(schedule, message):
    with pytest.raises(ValueError, match=message):
        check_schedule(schedule, 3)


def test_bad_setting_parameters(mdp):
    with pytest.raises(ValueError, match="n_agents"):
        async_schedule(0, 10)
    with pytest.raises(ValueError, match="skew"):
        async_schedule(2, 10, skew=-1.0)
    with pytest.raises(ValueError, match="LinearMDP"):
        MultiAgentLinearMDP("not a model", 2, [0, 1])
    game = MultiAgentLinearMDP(mdp, 2, [0, 1, 1, 0])
    assert game.n_episodes == 4 and game.imbalance == 1.0
    with pytest.raises(ValueError):
        game.schedule[0] = 1  # read-only


# ---------------------------------------------------------------------------------------------
# Exact oracles
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("plan_on", ["local", "download"])
def test_one_agent_synchronising_every_episode_is_lsvi_ucb_bit_for_bit(mdp, plan_on):
    reference = LSVIUCB(c=0.1).run(mdp, 300, seed=3)
    trace = SyncEveryEpisodeLSVIUCB(agents=1, c=0.1, plan_on=plan_on).run(mdp, 300, seed=3)
    assert np.array_equal(trace.pseudo_regret, reference.pseudo_regret)
    assert np.array_equal(trace.realised_regret, reference.realised_regret)
    assert trace.extras["communication_rounds"][-1] == 300
    assert trace.extras["uploads"].tolist() == trace.extras["downloads"].tolist() == [300]


def test_one_agent_without_communication_is_lsvi_ucb_bit_for_bit(mdp):
    reference = LSVIUCB(c=0.1).run(mdp, 300, seed=4)
    trace = IndependentLSVIUCB(agents=1, c=0.1).run(mdp, 300, seed=4)
    assert np.array_equal(trace.pseudo_regret, reference.pseudo_regret)
    assert trace.extras["communication_rounds"][-1] == 0


# ---------------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------------


def _gram(mdp, states, actions, episodes, H):
    d = mdp.phi.shape[2]
    G = np.tile(LAMBDA * np.eye(d), (H, 1, 1))
    for k in episodes:
        for h in range(H):
            x = mdp.phi[states[k, h], actions[k, h]]
            G[h] += np.outer(x, x)
    return G


@settings(max_examples=8, deadline=None)
@given(
    M=st.integers(1, 4),
    alpha=st.sampled_from([None, 0.0, 0.3, 2.0, math.inf]),
    skew=st.sampled_from([0.0, 1.0, 3.0]),
    seed=st.integers(0, 2**16),
)
def test_server_holds_exactly_the_uploaded_data_and_the_trigger_is_respected(
    mdp, M, alpha, skew, seed
):
    K, H = 120, mdp.H
    learner = AsyncCoopLSVIUCB(
        agents=M, alpha=alpha, c=0.1, skew=skew, refactor_every=7, record_policies=True
    )
    trace = learner.run(mdp, K, seed=seed)
    ex = trace.extras
    agent, synced = ex["agent"], ex["synced"]
    # Uploaded: every episode of an agent up to and including its last synchronisation.
    uploaded = []
    for m in range(M):
        mine = np.flatnonzero(agent == m)
        syncs = mine[synced[mine]]
        if syncs.size:
            uploaded += [k for k in mine if k <= syncs[-1]]
    server = _gram(mdp, ex["states"], ex["actions"], sorted(uploaded), H)
    assert np.allclose(ex["server_Lambda"], server, atol=1e-9)
    # Each agent: its copy is the server at its last download, plus its pending episodes.
    for m in range(M):
        local = ex["agent_Lambda"][m]
        mine = np.flatnonzero(agent == m)
        pending = [k for k in mine if not synced[mine][mine >= k].any()]
        delta = sum(
            (_gram(mdp, ex["states"], ex["actions"], [k], H) - LAMBDA * np.eye(mdp.d))
            for k in pending
        )
        copy = local - delta if pending else local
        sign, logdet = np.linalg.slogdet(copy)
        assert np.all(sign > 0)
        assert np.allclose(logdet, ex["agent_log_det_download"][m], atol=1e-8)
        # No stage's determinant ratio above 1 + alpha is left un-synchronised.
        ratio = ex["agent_log_det"][m] - ex["agent_log_det_download"][m]
        assert np.all(ratio <= math.log1p(learner.trigger_alpha) + 1e-12)
    # Every synchronisation is one upload and one download, within the bound.
    assert np.array_equal(ex["uploads"], ex["downloads"])
    assert ex["uploads"].sum() == ex["communication_rounds"][-1] == synced.sum()
    d = mdp.d
    assert synced.sum() <= communication_bound(d, H, M, K, learner.trigger_alpha)
    assert np.array_equal(ex["episodes_per_agent"], np.bincount(agent, minlength=M))
    assert np.all(trace.pseudo_regret >= -1e-12)


def test_paper_alpha_and_labels():
    assert paper_alpha(3) == pytest.approx(1 / 9)
    learner = AsyncCoopLSVIUCB(agents=3, c=0.1)
    assert learner.trigger_alpha == pytest.approx(1 / 9)
    assert learner.constants == "scaled (c = 0.1), alpha = 1/M^2"
    assert AsyncCoopLSVIUCB().constants == "paper (c = 1), alpha = 1/M^2"
    assert math.isinf(communication_bound(3, 2, 2, 100, 0.0))


# ---------------------------------------------------------------------------------------------
# Reproducibility, registry, bad input
# ---------------------------------------------------------------------------------------------


def test_same_seed_same_run(mdp):
    learner = AsyncCoopLSVIUCB(agents=3, c=0.1, skew=1.0)
    a, b = learner.run(mdp, 150, seed=11), learner.run(mdp, 150, seed=11)
    assert np.array_equal(a.pseudo_regret, b.pseudo_regret)
    assert np.array_equal(a.realised_regret, b.realised_regret)
    assert np.array_equal(a.extras["agent"], b.extras["agent"])
    assert np.array_equal(a.extras["synced"], b.extras["synced"])
    c = learner.run(mdp, 150, seed=12)
    assert not np.array_equal(a.extras["agent"], c.extras["agent"])


def test_given_schedule_and_multi_agent_model(mdp):
    schedule = round_robin_schedule(2, 100)
    learner = AsyncCoopLSVIUCB(agents=2, c=0.1)
    a = learner.run(mdp, 100, seed=0, schedule=schedule)
    b = learner.run(MultiAgentLinearMDP(mdp, 2, schedule), 100, seed=0)
    assert np.array_equal(a.extras["agent"], schedule)
    assert np.array_equal(a.pseudo_regret, b.pseudo_regret)


def test_registry_builds_the_learners():
    learner = make_learner("async-coop-lsvi-ucb", agents="3", c="0.1", alpha="0.5")
    assert (learner.agents, learner.c, learner.alpha) == (3, 0.1, 0.5)
    assert make_learner("independent-lsvi-ucb", agents="2").trigger_alpha == math.inf
    assert make_learner("sync-every-episode-lsvi-ucb").trigger_alpha == 0.0


test_bad_hyperparameters = refusal_test(
    AsyncCoopLSVIUCB,
    [
        (dict(agents=0), "agents"),
        (dict(alpha=-0.1), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(c=-1.0), "c"),
        (dict(skew=-1.0), "skew"),
        (dict(plan_on="server"), "plan_on"),
        (dict(refactor_every=0), "refactor_every"),
    ],
)


def test_bad_run_input(mdp):
    learner = AsyncCoopLSVIUCB(agents=2, c=0.1)
    with pytest.raises(ValueError, match=r"schedule\[3\] is 2"):
        learner.run(mdp, 4, seed=0, schedule=[0, 1, 0, 2])
    with pytest.raises(ValueError, match="fewer than the budget"):
        learner.run(mdp, 5, seed=0, schedule=[0, 1])
    with pytest.raises(ValueError, match="n_agents = 3"):
        learner.run(MultiAgentLinearMDP(mdp, 3, [0, 1, 2]), 3, seed=0)
    with pytest.raises(ValueError, match="LinearMDP"):
        learner.run("river", 3, seed=0)
    with pytest.raises(ValueError, match="independent"):
        IndependentLSVIUCB(alpha=1.0)
    with pytest.raises(ValueError, match="alpha = 0"):
        SyncEveryEpisodeLSVIUCB(alpha=1.0)
