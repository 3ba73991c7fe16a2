"""Multi-agent PPO with sampled localised action values (Zhao, Yang, Wang, Lee 2023).

The update of :mod:`algorithms.multi_agent.mappo` with ``Q^{pi_k}`` replaced by a Monte Carlo
estimate from a generative model: every iteration draws, from every state and joint action,
``rollouts`` trajectories of ``horizon`` steps under the current joint policy (each agent
sampling its action given the actions of the agents before it) and averages their discounted
returns into ``Qhat(s, a)``. The localised values ``Qhat_{1:i}`` follow exactly from ``Qhat``
and the known local policies, and each agent updates in the fixed order

    pi^i_{k+1}(.|s, a^{1:i-1})  ∝  pi^i_k(.|s, a^{1:i-1}) exp(eta Qhat_{1:i}(s, a^{1:i-1}, .)).

The paper's estimator (log-linear policies, temporal-difference evaluation with an
approximation error) could not be read [M]; this is the tabular generative-model version, whose
error is the sampling error plus the truncation bias ``gamma^horizon / (1 - gamma)``. The recorded
gap is the exact global sub-optimality of the executed joint policy (exact evaluation, used
only to record).

Randomness: run ``i`` of a batch uses ``fold_in(root(seed), i)``
(:func:`~algorithms.policy_gradient._keys.trajectory_keys`) and iteration ``t`` uses
``fold_in(run_key, t)``, split over the rollout steps: the same seed gives the same numbers, bit
for bit, whatever the batch size. Where each step is implemented: :func:`_sampled_kernel`
(``estimate_q`` the rollouts, ``step`` the update, ``observe`` the exact gap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from algorithms.multi_agent.mappo import GameLearner, joint_evaluation, mappo_update
from algorithms.multi_agent.mappo_common import npg_step
from algorithms.policy_gradient._keys import trajectory_keys
from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._traces import BatchTrace
from mdptheory._validation import check_int

CURVES = ("gap", "min_prob")
TRUNCATION = 1e-4
"""Default horizon: the smallest with ``gamma^horizon <= TRUNCATION``."""


def default_horizon(gamma: float) -> int:
    """``ceil(log(TRUNCATION) / log(gamma))`` (1 when ``gamma = 0``)."""
    if gamma == 0.0:
        return 1
    return max(1, math.ceil(math.log(TRUNCATION) / math.log(gamma)))


def _sampled_kernel(
    P, R, gamma, rho, v_star, eta, key, *thetas, budget, every, actions, rollouts, horizon
):
    S, A = R.shape
    log_P = jnp.log(P)
    s0 = jnp.repeat(jnp.arange(S), A * rollouts)
    a0 = jnp.tile(jnp.repeat(jnp.arange(A), rollouts), S)

    def estimate_q(logp, k):
        def advance(c, step_key):
            s, a, discount, total = c
            total = total + discount * R[s, a]
            k_state, k_action = jax.random.split(step_key)
            s = jax.random.categorical(k_state, log_P[s, a])
            a = jax.random.categorical(k_action, logp[s])
            return (s, a, discount * gamma, total), None

        start = (s0, a0, jnp.ones(()), jnp.zeros(s0.shape))
        (_, _, _, total), _ = jax.lax.scan(advance, start, jax.random.split(k, horizon))
        return total.reshape(S, A, rollouts).mean(axis=-1)

    def evaluate(th, t):
        ps, logps, logp, V, _, _ = joint_evaluation(th, P, R, gamma, actions)
        return th, ps, logps, logp, V, t

    def step(c):
        _, ps, logps, logp, _, t = c
        Q_hat = estimate_q(logp, jax.random.fold_in(key, t))
        return evaluate(mappo_update(ps, logps, Q_hat, eta, actions), t + 1)

    def observe(c):
        _, _, _, logp, V, _ = c
        return rho @ (v_star - V), jnp.exp(jnp.min(logp))

    start = evaluate(tuple(thetas), jnp.zeros((), jnp.uint32))
    return recorded_curves(step, observe, start, budget, every, CURVES)


@dataclass(frozen=True)
class SampledMAPPO(GameLearner):
    """Multi-agent PPO with Monte Carlo localised action values (generative model).

    Parameters
    ----------
    eta : float, optional
        Step size; ``None``: ``(1 - gamma) log |A|`` as for :class:`MAPPO`.
    rollouts : int
        Rollouts per state and joint action per iteration.
    horizon : int, optional
        Rollout length; ``None``: the smallest with ``gamma^horizon <= 1e-4``.

    Examples
    --------
    >>> from instances.games import climbing_game
    >>> trace = SampledMAPPO(eta=0.2).run(climbing_game(S=1), 300, seed=1, record_every=100)
    >>> bool(trace.gap[-1] < 0.1 * trace.metadata["initial_gap"])
    True
    """

    rollouts: int = 4
    horizon: int | None = None

    kernel = staticmethod(_sampled_kernel)
    default_step = staticmethod(npg_step)
    sequential = True

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int(self.rollouts, "rollouts", 1)
        if self.horizon is not None:
            check_int(self.horizon, "horizon", 1)

    def run_batch(
        self,
        models: Any,
        budget: int,
        seed: Any = 0,
        *,
        etas=None,
        n_runs: int | None = None,
        record_every: int | None = None,
    ) -> BatchTrace:
        """Run N sampled trajectories in one vmapped call: N is the broadcast of ``models``,
        ``etas`` and ``n_runs``; run ``i`` draws with ``fold_in(root(seed), i)``."""
        if n_runs is not None:
            n_runs = check_int(n_runs, "n_runs", 1)
        games = models if isinstance(models, (list, tuple)) else [models]
        gammas = [g.gamma for g in games if getattr(g, "gamma", None) is not None]
        horizon = self.horizon or max((default_horizon(g) for g in gammas), default=1)
        return self._run(
            models,
            budget,
            seed,
            etas,
            record_every,
            n_runs=n_runs,
            keys=lambda n: trajectory_keys(seed, n),
            rollouts=self.rollouts,
            horizon=horizon,
        )


__all__ = ["SampledMAPPO", "default_horizon"]
