r"""Baselines without a regret guarantee: the negative controls of the average-reward checks.

* :class:`CertaintyEquivalence`: UCRL2's epochs (the doubling rule of Figure 1) with the
  **empirical** model in place of the plausible set, plus uniform exploration with probability
  ``epsilon`` at every step. An unvisited pair is planned as in UCRL2 (reward 1, whole simplex),
  so every pair gets tried. The planner runs extended value iteration on a fixed L1 ball of
  radius :data:`PLANNING_RADIUS` around the empirical rows: every row then sends some mass to
  the best state, so the planning model has one recurrent class and its value iteration
  converges (the empirical model alone may have state-dependent gains, where the span stopping
  rule never holds). Its exploration alone costs about ``epsilon`` times the mean gap of a
  uniform action per step: linear regret for a fixed ``epsilon > 0``.
* :class:`FixedPolicy`: plays one stationary deterministic policy forever (action 0 everywhere
  unless given): a learner whose policy is frozen, with linear regret unless that policy is
  optimal.

Both return the same per-step trace as :class:`~algorithms.average_reward.UCRL2`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms.average_reward._common import (
    act,
    build_trace,
    chunk_length,
    clock,
    grow,
    initial_state,
    log_policy,
    outputs,
    prepare,
    record_step,
    tick,
)
from algorithms.average_reward.evi import L1, extended_value_iteration
from mdptheory._validation import check_int, check_real
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike
from mdptheory.tabular import FiniteMDP

PLANNING_RADIUS = 0.01
"""L1 radius of the certainty-equivalent planner (far below UCRL2's once a pair has a few
visits)."""

APERIODIC_TAU = 0.5
"""Self-loop weight of the aperiodicity transform the empirical planner runs with (the empirical
model alone may be periodic, and relative value iteration would then not converge)."""


@njit(cache=True)
def _ce_run(env, gaps, T, epsilon, max_iter, chunk, rng):
    S, A = env[1].shape
    N = np.zeros((S, A))
    v = np.zeros((S, A))
    counts = np.zeros((S, A, S))
    reward_sum = np.zeros((S, A))
    p_hat = np.zeros((S, A, S))
    r_hat = np.zeros((S, A))
    radius = np.full((S, A, 1), PLANNING_RADIUS)
    u = np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    out = outputs(T, False)
    starts = np.zeros(64, dtype=np.int64)
    policies = np.zeros((64, S), dtype=np.int64)
    s = initial_state(env[2], rng.random())
    i = 0
    k = 0
    chunk_start = 0
    t0 = clock()
    while i < T:
        t_k = i + 1
        v[:] = 0.0
        n_plus = np.maximum(1.0, N)
        for x in range(S):
            for a in range(A):
                p_hat[x, a] = counts[x, a] / n_plus[x, a]
                # Unvisited pairs: optimistic reward 1 (p_hat = 0 means the whole simplex).
                r_hat[x, a] = reward_sum[x, a] / n_plus[x, a] if N[x, a] > 0 else 1.0
        _, _, _, converged = extended_value_iteration(
            p_hat, r_hat, radius, L1, 1.0 / math.sqrt(t_k), max_iter, APERIODIC_TAU, u, policy
        )
        starts = grow(starts, k + 1)
        starts[k] = i
        policies = log_policy(policies, k, policy)
        if not converged:
            return out, starts[: k + 1], policies[: k + 1], False
        while i < T:
            a = policy[s]
            if rng.random() < epsilon:
                a = rng.integers(0, A)
            if v[s, a] >= max(1.0, N[s, a]):
                break
            r, s_next = act(env, s, a, rng)
            record_step(out, i, gaps[s, a], r, a, s_next, False)
            v[s, a] += 1.0
            counts[s, a, s_next] += 1.0
            reward_sum[s, a] += r
            s = s_next
            i += 1
            chunk_start, t0 = tick(out[2], chunk_start, i, chunk, T, t0)
        N += v
        k += 1
    return out, starts[:k], policies[:k], True


@dataclass(frozen=True)
class CertaintyEquivalence:
    """Certainty equivalence with epsilon-greedy exploration, in UCRL2's epochs (a control).

    Parameters
    ----------
    epsilon : float
        Probability of a uniformly random action at each step, in [0, 1].
    evi_max_iter : int
        Sweeps of the planner before the run stops with a ``ValueError``.

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> trace = CertaintyEquivalence(epsilon=0.1).run(river_swim(S=6), budget=5000, seed=0)
    >>> trace.n_episodes, trace.metadata["constants"]
    (5000, 'control')
    """

    epsilon: float = 0.1
    evi_max_iter: int = 1_000_000

    def __post_init__(self) -> None:
        check_real(self.epsilon, "epsilon", 0.0, 1.0)
        check_int(self.evi_max_iter, "evi_max_iter", 1)

    @property
    def constants(self) -> str:
        return "control"

    @property
    def label(self) -> str:
        return f"certainty equivalence, epsilon = {self.epsilon:g}"

    def run(self, model, budget: int, seed: SeedLike) -> RegretTrace:
        env, T, rho, gaps, rng = prepare(model, "CertaintyEquivalence", budget, seed)
        out, starts, policies, ok = _ce_run(
            env, gaps, T, float(self.epsilon), int(self.evi_max_iter), chunk_length(T), rng
        )
        if not ok:
            raise ValueError(
                f"CertaintyEquivalence: the planner did not converge within evi_max_iter = "
                f"{self.evi_max_iter} sweeps in epoch {starts.size}"
            )
        return build_trace(self, model, seed, out, rho, starts, {}, epoch_policy=policies)


@njit(cache=True)
def _fixed_run(env, gaps, policy, T, chunk, rng):
    out = outputs(T, False)
    s = initial_state(env[2], rng.random())
    chunk_start = 0
    t0 = clock()
    for i in range(T):
        a = policy[s]
        r, s_next = act(env, s, a, rng)
        record_step(out, i, gaps[s, a], r, a, s_next, False)
        s = s_next
        chunk_start, t0 = tick(out[2], chunk_start, i + 1, chunk, T, t0)
    return out


@dataclass(frozen=True)
class FixedPolicy:
    """A learner whose policy is frozen: ``policy[s]`` at every step (a control).

    Parameters
    ----------
    policy : tuple of int
        The action of each state; empty (default) means action 0 everywhere.

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> trace = FixedPolicy().run(river_swim(S=6), budget=1000, seed=0)  # always 'left'
    >>> round(float(trace.realised_regret.mean()), 4)                     # rho* - 0.005
    0.4236
    """

    policy: tuple[int, ...] = ()

    @property
    def constants(self) -> str:
        return "control"

    @property
    def label(self) -> str:
        return "fixed policy" + (f" {list(self.policy)}" if self.policy else " (action 0)")

    def run(self, model, budget: int, seed: SeedLike) -> RegretTrace:
        if not isinstance(model, FiniteMDP):
            raise ValueError(f"FixedPolicy needs a FiniteMDP, got {type(model).__name__}")
        S, A = model.S, model.A
        policy = np.asarray(self.policy or (0,) * S, dtype=np.int64)
        if policy.shape != (S,):
            raise ValueError(
                f"FixedPolicy: policy has {policy.size} actions, the model has {S} states"
            )
        bad = np.flatnonzero((policy < 0) | (policy >= A))
        if bad.size:
            raise ValueError(
                f"FixedPolicy: policy[{int(bad[0])}] is {int(policy[bad[0]])}, outside 0..{A - 1}"
            )
        env, T, rho, gaps, rng = prepare(model, "FixedPolicy", budget, seed)
        out = _fixed_run(env, gaps, policy, T, chunk_length(T), rng)
        return build_trace(
            self, model, seed, out, rho, np.zeros(1, dtype=np.int64), {}, epoch_policy=policy[None]
        )


__all__ = ["APERIODIC_TAU", "PLANNING_RADIUS", "CertaintyEquivalence", "FixedPolicy"]
