"""The episodic learners' shared skeleton: the episode log, its chunked run and trace template.

Every episodic learner (UCBVI, Q-learning with UCB, ICVaR-RM, LSVI-UCB) runs its own compiled
loop in chunks of episodes timed from Python; these tests hold that the chunking is invisible
(the same seed gives the same trace whatever the chunks), that the record of an episode is the
one its definition gives, and that every learner's trace carries the same extras and metadata.
"""

from __future__ import annotations

import numpy as np
import pytest

import algorithms._episodic as episodic
from algorithms._episodic import (
    EpisodeLog,
    check_episodic_model,
    count_transitions,
    new_log,
    record_episode,
)
from algorithms._timing import chunk_length, timed, timed_chunks
from algorithms.linear import LSVIUCB, RareSwitchLSVIUCB
from algorithms.risk import ICVaRRM
from algorithms.tabular import UCBVI, QLearningUCB
from instances.linear import tabular_as_linear
from instances.tabular import garnet
from mdptheory import EpisodicMDP
from mdptheory._kernels import backward_induction_kernel

MDP = garnet(S=4, A=2, branching=2, H=3, seed=3, noise="bernoulli")
LEARNERS = [
    (UCBVI(record_policies=True), MDP),
    (UCBVI(bonus="bernstein", transitions="per_stage", bonus_scale=0.1), MDP),
    (QLearningUCB(c=0.1, record_policies=True), MDP),
    (QLearningUCB(bonus="bernstein"), MDP),
    (ICVaRRM(alpha=0.4, record_policies=True), MDP),
    (LSVIUCB(c=0.05, record_policies=True), tabular_as_linear(MDP)),
    (RareSwitchLSVIUCB(c=0.05), tabular_as_linear(MDP)),
]
IDS = [learner.label for learner, _ in LEARNERS]


def _arrays(trace) -> dict[str, np.ndarray]:
    out = {"pseudo": trace.pseudo_regret, "realised": trace.realised_regret}
    out.update({k: np.asarray(v) for k, v in trace.extras.items()})
    return out


def test_timed_chunks_cover_every_item_once_in_order():
    calls: list[tuple[int, int]] = []
    seconds = timed_chunks(
        lambda start, stop: calls.append((start, stop)), 10, chunks=3, min_seconds=0.0
    )
    assert calls == [(0, 4), (4, 8), (8, 10)]
    calls.clear()
    timed_chunks(lambda start, stop: calls.append((start, stop)), 20, chunks=20)
    assert calls == [(0, 1), (1, 3), (3, 7), (7, 15), (15, 20)]  # fast chunks grow
    assert seconds.shape == (10,) and np.all(seconds >= 0) and np.all(np.isfinite(seconds))
    assert chunk_length(10, 3) == 4 and chunk_length(1, 200) == 1 and chunk_length(401) == 3
    result, elapsed = timed(sum, [1, 2, 3])
    assert result == 6 and elapsed >= 0


@pytest.mark.parametrize(("learner", "model"), LEARNERS, ids=IDS)
def test_chunks_are_invisible(learner, model, monkeypatch):
    """One chunk per episode, one chunk for the run and the default give the same trace."""
    K = 23
    reference = _arrays(learner.run(model, K, seed=5))
    for chunks in (1, K):
        monkeypatch.setattr(
            episodic,
            "timed_chunks",
            lambda step, n, chunks=chunks, **_: timed_chunks(step, n, chunks, min_seconds=0.0),
        )
        again = _arrays(learner.run(model, K, seed=5))
        assert again.keys() == reference.keys()
        for key, value in reference.items():
            np.testing.assert_array_equal(again[key], value, err_msg=key)


@pytest.mark.parametrize(("learner", "model"), LEARNERS, ids=IDS)
def test_every_learner_records_the_same_skeleton(learner, model):
    K = 12
    trace = learner.run(model, K, seed=1)
    H = MDP.H
    assert trace.metadata["constants"] == learner.constants
    assert trace.metadata["label"] == learner.label and trace.metadata["budget"] == K
    gaps = trace.extras["optimism_gap"]
    np.testing.assert_array_equal(trace.extras["optimistic"], gaps >= -1e-9 * H)
    assert trace.episode_time.shape == (K,) and np.all(trace.episode_time >= 0)
    assert ("policies" in trace.extras) == learner.record_policies
    if learner.record_policies:
        assert trace.extras["policies"].shape == (K, H, MDP.S)
    # Without the exact evaluation the same loop records the same episodes, no pseudo-regret.
    plain = learner._simulate(model, K, 1, exact_regret=False).log
    assert np.all(np.isnan(plain.pseudo))
    np.testing.assert_array_equal(plain.realised, trace.realised_regret)
    np.testing.assert_array_equal(plain.gaps, gaps)


def test_record_episode_follows_the_definitions():
    env = check_episodic_model(MDP, "test")
    Q_star, V_star, pi_star = backward_induction_kernel(env.P4, env.R3)
    log = new_log(env, 3, True, Q_star, V_star)
    assert isinstance(log, EpisodeLog) and log.optimal_value == float(MDP.initial @ V_star[0])
    Q = Q_star + 0.25
    states = np.array([1, 0, 2, 3])
    rewards = np.array([0.5, 1.0, 0.0])
    record_episode(log, 1, pi_star, Q, 0.125, states, rewards)
    assert log.gaps[1] == pytest.approx(0.25, abs=1e-15)
    assert log.pseudo[1] == log.optimal_value - 0.125
    assert log.realised[1] == V_star[0, 1] - 1.5
    np.testing.assert_array_equal(log.policies[1], pi_star)


def test_counts_pool_or_keep_stages():
    S, A, H = 3, 2, 3
    states = np.array([0, 1, 1, 2])
    actions = np.array([1, 0, 0])
    pooled = np.zeros((1, S, A, S)), np.zeros((1, S, A))
    count_transitions(*pooled, states, actions)
    assert pooled[1][0, 1, 0] == 2.0 and pooled[0][0, 1, 0, 1] == 1.0
    assert pooled[0][0, 1, 0, 2] == 1.0 and pooled[1].sum() == H
    staged = np.zeros((H, S, A, S)), np.zeros((H, S, A))
    count_transitions(*staged, states, actions)
    assert staged[1][1, 1, 0] == 1.0 and staged[1][2, 1, 0] == 1.0 and staged[1].sum() == H


def test_model_checks_name_the_offending_value():
    with pytest.raises(ValueError, match="needs an EpisodicMDP"):
        check_episodic_model("not a model", "UCBVI")
    P = np.full((2, 2, 2), 0.5)
    bad = EpisodicMDP(P, np.array([[0.0, 1.5], [0.2, 0.3]]), H=2)
    with pytest.raises(ValueError, match="1.5"):
        check_episodic_model(bad, "UCBVI")
