"""What the multi-agent policy-optimisation learners share: reading games into stacked arrays,
local softmax policies in JAX, the executed joint policy and the localised action values.

Local policies are softmax policies of logits ``theta_i``: shape ``(S, A_1, ..., A_i)`` for a
sequential local policy ``pi^i(a^i | s, a^{1:i-1})`` (MAPPO) and ``(S, A_i)`` for a product one
(independent PG), as in :mod:`mdptheory.games.joint`. The exact values of the joint policy come
from the policy-gradient lab's JAX evaluator (:func:`~algorithms.policy_gradient._exact.
policy_evaluation`) on the joint twin; the optimum ``V*`` from :func:`mdptheory.games.solve_game`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from algorithms.policy_gradient._softmax import softmax_and_log
from mdptheory._validation import ParameterTypeError
from mdptheory.games import CooperativeGame, solve_game


@dataclass(frozen=True)
class GameBatch:
    """Discounted cooperative games of one shape, stacked over the joint twin.

    ``P`` (n, S, A, S), ``R`` (n, S, A), ``gamma`` (n,), ``rho`` (n, S), ``v_star`` (n, S) over
    flat joint actions; ``actions`` the per-agent action counts.
    """

    P: np.ndarray
    R: np.ndarray
    gamma: np.ndarray
    rho: np.ndarray
    v_star: np.ndarray
    actions: tuple[int, ...]
    names: tuple[str, ...]
    games: tuple[CooperativeGame, ...]


def read_games(models: Any) -> GameBatch:
    """One discounted :class:`~mdptheory.games.CooperativeGame` or a sequence of them with the
    same states and actions; ValueError naming the offending entry otherwise."""
    games = (models,) if isinstance(models, CooperativeGame) else tuple(models)
    if not games:
        raise ValueError("no game given")
    for i, game in enumerate(games):
        if not isinstance(game, CooperativeGame):
            raise ParameterTypeError(
                f"games[{i}] must be a CooperativeGame, got {type(game).__name__}"
            )
        if game.episodic:
            raise ValueError(
                f"games[{i}] ({game.name}) is episodic; the multi-agent policy-optimisation "
                "learners run on discounted games"
            )
        if (game.S, game.actions) != (games[0].S, games[0].actions):
            raise ValueError(
                f"games[{i}] has S={game.S}, actions={game.actions}; games[0] has "
                f"S={games[0].S}, actions={games[0].actions}"
            )
    return GameBatch(
        P=np.stack([np.asarray(g.joint.P) for g in games]),
        R=np.stack([np.asarray(g.joint.R) for g in games]),
        gamma=np.array([g.gamma for g in games]),
        rho=np.stack([np.asarray(g.initial) for g in games]),
        v_star=np.stack([solve_game(g, method="policy_iteration").values for g in games]),
        actions=games[0].actions,
        names=tuple(g.name or repr(g) for g in games),
        games=games,
    )


def npg_step(gamma: float, actions: Sequence[int]) -> float:
    """Default step on localised values: ``(1 - gamma) log |A|``, Agarwal et al.'s NPG step
    ``eta = (1 - gamma)^2 log A`` times their ``1/(1 - gamma)``, with A the joint actions.

    A tuned choice, not the paper's: Zhao et al.'s ``eta_k`` could not be read (its
    O(1/sqrt(K)) rate is recalled for ``eta ~ 1/sqrt(K)``).
    """
    return (1.0 - gamma) * max(math.log(math.prod(actions)), 1e-300)


def zero_logits(S: int, actions: Sequence[int], sequential: bool) -> tuple[np.ndarray, ...]:
    """Uniform local policies: logits of zeros, batch axis of 1 (shared by every run)."""
    if sequential:
        return tuple(np.zeros((1, S, *actions[: i + 1])) for i in range(len(actions)))
    return tuple(np.zeros((1, S, a)) for a in actions)


def local_softmax(thetas: Sequence[jnp.ndarray]) -> tuple[list, list]:
    """``(probabilities, log-probabilities)`` of each agent's logits (last axis)."""
    pairs = [softmax_and_log(t) for t in thetas]
    return [p for p, _ in pairs], [lp for _, lp in pairs]


def as_sequential(x: jnp.ndarray, i: int, actions: Sequence[int]) -> jnp.ndarray:
    """A product local array ``(S, A_i)`` with singleton axes for agents ``0..i-1``."""
    if x.ndim == 2 + i:
        return x
    return x.reshape(x.shape[0], *([1] * i), actions[i])


def joint_log_policy(logps: Sequence[jnp.ndarray], actions: Sequence[int]) -> jnp.ndarray:
    """``log pi(a | s) = sum_i log pi^i(a^i | s, a^{1:i-1})`` over flat joint actions (S, A)."""
    N = len(actions)
    total = 0.0
    for i, lp in enumerate(logps):
        lp = as_sequential(lp, i, actions)
        total = total + lp.reshape(lp.shape + (1,) * (N - 1 - i))
    return jnp.broadcast_to(total, (logps[0].shape[0], *actions)).reshape(logps[0].shape[0], -1)


def localised_values(
    ps: Sequence[jnp.ndarray], Q: jnp.ndarray, actions: Sequence[int]
) -> list[jnp.ndarray]:
    """``[V, Q_{1:1}, ..., Q_{1:N}]`` from the joint ``Q`` (S, A) (:func:`mdptheory.games.
    localise` in JAX): agent ``i``'s action averaged out under its local policy, last first."""
    current = Q.reshape(Q.shape[0], *actions)
    out = [current]
    for i in range(len(actions) - 1, -1, -1):
        current = jnp.sum(as_sequential(ps[i], i, actions) * current, axis=-1)
        out.append(current)
    return out[::-1]


def marginal_q(ps: Sequence[jnp.ndarray], Q: jnp.ndarray, i: int, actions: Sequence[int]):
    """``Qbar_i(s, a^i) = E_{a^{-i} ~ pi^{-i}}[Q(s, a)]`` for product policies ``ps``."""
    current = Q.reshape(Q.shape[0], *actions)
    for j in range(len(actions) - 1, -1, -1):
        if j != i:
            shape = [1] * len(actions)
            shape[j] = actions[j]
            weights = ps[j].reshape(ps[j].shape[0], *shape)
            current = jnp.sum(current * weights, axis=1 + j, keepdims=True)
    return current.reshape(Q.shape[0], actions[i])
