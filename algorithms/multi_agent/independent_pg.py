"""Independent softmax policy gradient: each agent ascends its own exact gradient.

The control for :class:`~algorithms.multi_agent.mappo.MAPPO`. Each agent ``i`` holds a product
softmax local policy ``pi^i(a^i | s) = softmax(theta_i(s, .))`` and all agents take the exact
gradient step of the shared objective ``J(pi) = V^pi(rho)`` at once:

    theta_i(s, a^i) <- theta_i(s, a^i) + eta d^pi_rho(s) pi^i(a^i|s) (Qbar_i(s, a^i) - V^pi(s))

with ``Qbar_i(s, a^i) = E_{a^{-i} ~ pi^{-i}}[Q^pi(s, a)]`` and the unnormalised discounted
occupancy ``d^pi_rho`` (Agarwal, Kakade, Lee, Mahajan 2021, Lemma C.1 for one agent; the
product parameterisation splits the gradient by agent). Every limit point is a stationary
point of ``J`` over product policies; a strict Nash equilibrium of a stage game (the safe joint
action of the climbing game) is a local maximum it can converge to, so its global
sub-optimality need not vanish.

Step ``eta``: ``None`` is Mei et al.'s ``(1 - gamma)^3 / 8`` for one agent (ICML 2020,
Theorem 4; rewards in [0, 1]), applied per agent; it is not known to be a safe step for the
joint objective. Where each step is implemented: :func:`_independent_pg_kernel`, ``evaluate``
(exact ``V``, ``Q``, occupancy of the joint product policy), ``step`` (the gradient step),
``observe`` (the exact global sub-optimality).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp

from algorithms.multi_agent.mappo import GameLearner, joint_evaluation
from algorithms.multi_agent.mappo_common import marginal_q
from algorithms.policy_gradient._exact import state_occupancy
from algorithms.policy_gradient._recording import recorded_curves

CURVES = ("gap", "min_prob")


def single_agent_pg_step(gamma: float, actions: Any) -> float:
    """Mei et al. (2020)'s exact softmax PG step ``(1 - gamma)^3 / 8`` (rewards in [0, 1])."""
    return (1.0 - gamma) ** 3 / 8.0


def _independent_pg_kernel(P, R, gamma, rho, v_star, eta, *thetas, budget, every, actions):
    def evaluate(th):
        ps, _, logp, V, Q, factors = joint_evaluation(th, P, R, gamma, actions)
        return th, ps, logp, V, Q, state_occupancy(factors, rho)

    def step(c):
        th, ps, _, V, Q, d = c
        new = tuple(
            th[i] + eta * d[:, None] * ps[i] * (marginal_q(ps, Q, i, actions) - V[:, None])
            for i in range(len(actions))
        )
        return evaluate(new)

    def observe(c):
        _, _, logp, V, _, _ = c
        return rho @ (v_star - V), jnp.exp(jnp.min(logp))

    return recorded_curves(step, observe, evaluate(tuple(thetas)), budget, every, CURVES)


@dataclass(frozen=True)
class IndependentPG(GameLearner):
    """Independent per-agent exact softmax policy gradient on a cooperative game (the control).

    Parameters
    ----------
    eta : float, optional
        Step size; ``None``: ``(1 - gamma)^3 / 8`` (Mei et al. 2020 for one agent,
        ``constants == "paper"``).

    Examples
    --------
    >>> from instances.games import climbing_game
    >>> trace = IndependentPG(eta=1.0).run(climbing_game(S=1), budget=2000, record_every=1000)
    >>> bool(trace.gap[-1] > 0.5)    # stalls at the safe joint action
    True
    """

    kernel = staticmethod(_independent_pg_kernel)
    default_step = staticmethod(single_agent_pg_step)
    sequential = False
    default_label = "paper"


__all__ = ["IndependentPG"]
