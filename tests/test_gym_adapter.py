"""The Gymnasium adapter: API conformance, seeding, horizons and sampling frequencies."""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from instances.gym import MDPEnv, absorbing_states  # noqa: E402
from instances.risk import safe_vs_risky_route  # noqa: E402
from instances.tabular import (  # noqa: E402
    chain,
    deep_sea,
    garnet,
    gridworld,
    gridworld_layout,
    river_swim,
)
from mdptheory import EpisodicMDP, FiniteMDP  # noqa: E402

MODELS = [
    river_swim(H=6),
    river_swim(),
    garnet(S=6, A=3, seed=1),
    garnet(S=6, A=3, H=4, seed=1, sparse=True),
    garnet(S=6, A=3, seed=2, sparse=True, noise="bernoulli"),
    chain(S=4, H=5),
    gridworld(),
    deep_sea(N=4),
    safe_vs_risky_route(),
    EpisodicMDP(np.full((2, 2, 2, 2), 0.5), np.zeros((2, 2, 2)), H=2, noise=("gaussian", 1.0)),
]


@pytest.mark.parametrize("mdp", MODELS, ids=lambda m: m.name or repr(m))
def test_check_env(mdp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        check_env(MDPEnv(mdp), skip_render_check=True)
        check_env(MDPEnv(mdp, terminate_on_absorbing=True), skip_render_check=True)


def rollout(env, seed, actions):
    out = [env.reset(seed=seed)[0]]
    for a in actions:
        state, reward, terminated, truncated, _ = env.step(a)
        out.append((int(state), reward, terminated, truncated))
        if terminated or truncated:
            break
    return out


def test_seeded_reset_replays_the_episode():
    mdp = garnet(S=8, A=2, seed=3, noise="bernoulli")
    actions = [0, 1] * 20
    first = rollout(MDPEnv(mdp), 7, actions)
    env = MDPEnv(mdp)
    rollout(env, 99, actions)
    assert rollout(env, 7, actions) == first
    assert rollout(MDPEnv(mdp), 8, actions) != first


def test_episodic_truncates_at_H():
    env = MDPEnv(river_swim(H=5))
    state, info = env.reset(seed=0)
    assert info == {"stage": 0} and int(state) == 0
    flags = []
    for _ in range(5):
        _, _, terminated, truncated, info = env.step(1)
        flags.append((terminated, truncated))
    assert flags == [(False, False)] * 4 + [(False, True)] and info["stage"] == 5
    with pytest.raises(ValueError, match="call reset"):
        env.step(0)


def test_discounted_runs_until_max_steps():
    env = MDPEnv(river_swim(), max_steps=50)
    env.reset(seed=0)
    for t in range(50):
        _, _, terminated, truncated, _ = env.step(1)
        assert not terminated and truncated == (t == 49)
    endless = MDPEnv(river_swim())
    endless.reset(seed=0)
    flags = {tuple(endless.step(1)[2:4]) for _ in range(500)}
    assert flags == {(False, False)}


def test_gridworld_terminates_in_the_absorbing_state():
    layout = gridworld_layout("S.G")
    mdp = gridworld("S.G", slip=0.0)
    assert absorbing_states(mdp).tolist() == [layout.terminal]
    env = MDPEnv(mdp, terminate_on_absorbing=True)
    env.reset(seed=0)
    steps = [env.step(1) for _ in range(3)]
    assert [int(s[0]) for s in steps] == [1, 2, layout.terminal]
    assert [s[1] for s in steps] == [-0.01, -0.01, 1.0]
    assert [s[2] for s in steps] == [False, False, True]


def test_sampled_transitions_and_rewards_match_the_model():
    mdp = garnet(S=5, A=2, branching=3, seed=4, noise="bernoulli")
    env = MDPEnv(mdp)
    n = 20_000
    counts = np.zeros((mdp.S, mdp.A, mdp.S))
    reward_sums = np.zeros((mdp.S, mdp.A))
    rng = np.random.default_rng(0)
    state = int(env.reset(seed=1)[0])
    for _ in range(n):
        a = int(rng.integers(mdp.A))
        nxt, reward, _, _, _ = env.step(a)
        counts[state, a, int(nxt)] += 1
        reward_sums[state, a] += reward
        state = int(nxt)
    visits = counts.sum(axis=2)
    assert visits.min() > 200
    frequencies = counts / visits[..., None]
    # 5 standard errors of a binomial proportion, entrywise
    tolerance = 5 * np.sqrt(mdp.P * (1 - mdp.P) / visits[..., None]) + 1e-12
    assert np.all(np.abs(frequencies - mdp.P) <= tolerance)
    assert np.all(counts[mdp.P == 0] == 0)
    reward_tolerance = 5 * np.sqrt(mdp.R * (1 - mdp.R) / visits) + 1e-12
    assert np.all(np.abs(reward_sums / visits - mdp.R) <= reward_tolerance)


def test_initial_distribution_is_sampled():
    mdp = FiniteMDP(np.full((3, 1, 3), 1 / 3), np.zeros((3, 1)), gamma=0.5, initial=[0.2, 0.0, 0.8])
    env = MDPEnv(mdp)
    starts = np.array([int(env.reset(seed=seed)[0]) for seed in range(2000)])
    assert not np.any(starts == 1)
    assert abs(np.mean(starts == 0) - 0.2) < 5 * np.sqrt(0.16 / 2000)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"mdp": "river"}, "needs a FiniteMDP or EpisodicMDP, got str"),
        ({"mdp": river_swim(H=3), "max_steps": 10}, "truncates at H = 3"),
        ({"mdp": river_swim(), "max_steps": 0}, "max_steps must be a positive int"),
        ({"mdp": river_swim(), "terminate_on_absorbing": "yes"}, "True or False"),
    ],
)
def test_rejects(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        MDPEnv(**kwargs)
    assert fragment in str(info.value)


def test_rejects_bad_action():
    env = MDPEnv(river_swim(H=3))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an int in 0..1, got 2"):
        env.step(2)


def test_missing_gymnasium_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # makes `import gymnasium` fail
    monkeypatch.delitem(sys.modules, "instances.gym")
    with pytest.raises(ImportError, match=r"mdptheory\[gym\]"):
        importlib.import_module("instances.gym")
    monkeypatch.undo()
    importlib.import_module("instances.gym")
