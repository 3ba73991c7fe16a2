"""Multi-agent PPO with localised action values, exact version (Zhao, Yang, Wang, Lee 2023).

Paper
-----
Y. Zhao, Z. Yang, Z. Wang, J. D. Lee. "Local Optimization Achieves Global Optimality in
Multi-Agent Reinforcement Learning". ICML 2023, arXiv:2305.04819. Only the abstract was read
(theory-wave2.md 5.2): the claim (sublinear convergence of the joint policy to the global
optimum in cooperative Markov games, through the multi-agent performance-difference lemma and
localised action values) is verified; the update and the rate below are recalled [M].

Setting
-------
A discounted cooperative Markov game (:class:`mdptheory.games.CooperativeGame`), agents in a
fixed order ``1..N``. Agent ``i`` holds a softmax local policy ``pi^i(a^i | s, a^{1:i-1})``
conditioned on the actions of the agents before it, so the executed joint policy
``prod_i pi^i`` can be any joint policy (a product of unconditioned local policies cannot leave
the stage game's local optima, see :class:`~algorithms.multi_agent.independent_pg.
IndependentPG`). From the uniform policy.

Update (sequential local updates, exact localised values)
---------------------------------------------------------
For ``i = 1..N`` in order, with ``Q^{pi_k}_{1:i}`` the localised action value of the current
joint policy (:mod:`mdptheory.games.advantage`):

    pi^i_{k+1}(.|s, a^{1:i-1})  ∝  pi^i_k(.|s, a^{1:i-1}) exp(eta Q^{pi_k}_{1:i}(s, a^{1:i-1}, .))

the KL-regularised mirror-ascent (PPO-like) step on agent ``i``'s term of the multi-agent
performance difference, whose ``a^{1:i-1}`` are weighted by the already updated
``pi^{1:i-1}_{k+1}``. ``Q^{pi_k}_{1:i}`` depends only on the agents after ``i`` and on ``pi_k``
at later states, so the exact sequential sweep equals one computation from ``pi_k``. Each
agent's term ``<pi^i_{k+1} - pi^i_k, Q_{1:i}>`` is non-negative, so ``J(pi_k)`` never decreases
(checked exactly in ``proofs_check/theorems/games.py``). Rate [M]: average gap
``O(N / ((1-gamma)^2 sqrt(K)))`` up to ``log |A|``.

Step ``eta``: ``None`` is ``(1 - gamma) log |A|`` (:func:`~algorithms.multi_agent.
mappo_common.npg_step`), a tuned constant, since the paper's ``eta_k`` could not be read.

Where each step is implemented
------------------------------
:func:`_mappo_kernel`: ``evaluate`` computes the joint policy's exact ``V``, ``Q`` (one LU
solve); ``step`` computes the localised values (:func:`~algorithms.multi_agent.mappo_common.
localised_values`) and applies the update to every agent; ``observe`` records the exact global
sub-optimality ``V*(rho) - V^{pi_k}(rho)`` of the executed joint policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from algorithms._validation import check_positive
from algorithms.multi_agent.mappo_common import (
    joint_log_policy,
    local_softmax,
    localised_values,
    npg_step,
    read_games,
    zero_logits,
)
from algorithms.policy_gradient._arguments import check_run, check_step_sizes
from algorithms.policy_gradient._exact import policy_evaluation
from algorithms.policy_gradient._jax import call_batched
from algorithms.policy_gradient._learner import BatchedLearner
from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace

GAP_MEANING = "V*(rho) - V^pi_k(rho), the global sub-optimality of the executed joint policy"
CURVES = ("gap", "min_prob")


def joint_evaluation(thetas, P, R, gamma, actions):
    """Local probabilities, the joint ``log pi`` and its exact ``V``, ``Q`` and LU factors."""
    ps, logps = local_softmax(thetas)
    logp = joint_log_policy(logps, actions)
    V, Q, factors = policy_evaluation(logp, P, R, gamma, jnp.zeros(()), False)
    return ps, logps, logp, V, Q, factors


def mappo_update(ps, logps, Q, eta, actions):
    """The sequential local updates: ``log pi^i + eta Q_{1:i}`` for every agent (logits)."""
    Qs = localised_values(ps, Q, actions)
    return tuple(logps[i] + eta * Qs[i + 1] for i in range(len(actions)))


def _mappo_kernel(P, R, gamma, rho, v_star, eta, *thetas, budget, every, actions):
    def evaluate(th):
        ps, logps, logp, V, Q, _ = joint_evaluation(th, P, R, gamma, actions)
        return th, ps, logps, logp, V, Q

    def step(c):
        _, ps, logps, _, _, Q = c
        return evaluate(mappo_update(ps, logps, Q, eta, actions))

    def observe(c):
        _, _, _, logp, V, _ = c
        return rho @ (v_star - V), jnp.exp(jnp.min(logp))

    return recorded_curves(step, observe, evaluate(tuple(thetas)), budget, every, CURVES)


def run_game_kernel(
    learner: Any,
    kernel: Any,
    models: Any,
    budget: int,
    seed: Any,
    etas: Any,
    record_every: int | None,
    sequential: bool,
    default_step: Any,
    n_runs: int | None = None,
    keys: Any = None,
    **static: Any,
) -> BatchTrace:
    """Read the games, broadcast them with the step sizes (and runs), call ``kernel`` vmapped
    over the batch and assemble the :class:`BatchTrace`."""
    budget, every = check_run(budget, seed, record_every)
    games = read_games(models)
    eta = check_step_sizes(
        [default_step(g, games.actions) for g in games.gamma] if etas is None else etas
    )
    n = max(len(games.names), eta.shape[0], n_runs or 1)
    for what, size in (("games", len(games.names)), ("etas", eta.shape[0])):
        if size not in (1, n):
            raise ValueError(f"{what} has {size} entries; expected 1 or the batch size {n}")
    args = [games.P, games.R, games.gamma, games.rho, games.v_star, eta]
    if n > 1:
        args = [np.broadcast_to(a, (n, *a.shape[1:])) if a.shape[0] == 1 else a for a in args]
    if keys is not None:
        args.append(keys(n))
    thetas = zero_logits(games.P.shape[1], games.actions, sequential)
    if n > 1:
        thetas = tuple(np.broadcast_to(t, (n, *t.shape[1:])) for t in thetas)
    out, _ = call_batched(
        kernel, (*args, *thetas), budget=budget, every=every, actions=games.actions, **static
    )
    names = games.names if len(games.names) == n else games.names * n
    return make_batch_trace(
        learner,
        dict(out),
        budget,
        every,
        seed,
        names,
        np.broadcast_to(eta, (n,)),
        GAP_MEANING,
        constants=learner.constants,
        n_agents=len(games.actions),
        actions=list(games.actions),
    )


@dataclass(frozen=True)
class GameLearner(BatchedLearner):
    """What the learners on games share: a step ``eta`` (``None``: the learner's default step,
    ``default_step(gamma, actions)``) and the batched run of the learner's ``kernel`` from
    uniform local policies (``sequential`` or product)."""

    eta: float | None = None

    default_label = "default"

    def __post_init__(self) -> None:
        check_positive("eta", self.eta, allow_none=True)

    @property
    def constants(self) -> str:
        """How the step was chosen: the learner's ``default_label`` or ``"given"``."""
        return self.default_label if self.eta is None else "given"

    def run_batch(
        self,
        models: Any,
        budget: int,
        seed: Any = 0,
        *,
        etas=None,
        record_every: int | None = None,
    ) -> BatchTrace:
        """Run a batch (broadcast of ``models`` and ``etas``) in one vmapped call.

        ``models``: a discounted :class:`~mdptheory.games.CooperativeGame` or a sequence of
        them of equal shape. ``etas``: (N,) step sizes. ``record_every``: ``None`` (the
        geometric grid) or every ``m``-th iterate. ``seed`` is recorded only (deterministic).
        Curves: ``gap`` (global sub-optimality) and ``min_prob`` (smallest joint probability).
        """
        return self._run(models, budget, seed, etas, record_every)

    def _run(self, models, budget, seed, etas, record_every, **options: Any) -> BatchTrace:
        return run_game_kernel(
            self,
            self.kernel,
            models,
            budget,
            seed,
            etas if etas is not None or self.eta is None else [self.eta],
            record_every,
            sequential=self.sequential,
            default_step=self.default_step,
            **options,
        )


@dataclass(frozen=True)
class MAPPO(GameLearner):
    """Multi-agent PPO with exact localised action values (Zhao, Yang, Wang, Lee 2023).

    Parameters
    ----------
    eta : float, optional
        Step size of the local mirror-ascent updates; ``None``: ``(1 - gamma) log |A|`` (a
        tuned default, ``constants == "default"``).

    Examples
    --------
    >>> from instances.games import climbing_game
    >>> trace = MAPPO().run(climbing_game(S=2), budget=1000, record_every=500)
    >>> bool(trace.gap[-1] < 1e-6 < 1 < trace.metadata["initial_gap"])
    True
    """

    kernel = staticmethod(_mappo_kernel)
    default_step = staticmethod(npg_step)
    sequential = True


__all__ = ["MAPPO", "GameLearner", "joint_evaluation", "mappo_update", "run_game_kernel"]
