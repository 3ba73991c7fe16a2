"""Localised action values, the multi-agent advantage decomposition and the multi-agent
performance-difference identity (Zhao, Yang, Wang, Lee, ICML 2023, arXiv:2305.04819).

For a joint policy ``pi`` given by local policies (:mod:`mdptheory.games.joint`), agents in the
fixed order ``1..N``:

* localised action value: ``Q^pi_{1:i}(s, a^{1:i}) = E_{a^{i+1:N} ~ pi^{i+1:N}}[Q^pi(s, a)]``,
  with ``Q^pi_{1:N} = Q^pi`` and ``Q^pi_{1:0} = V^pi``;
* localised advantage: ``A^pi_i(s, a^{1:i}) = Q^pi_{1:i}(s, a^{1:i}) - Q^pi_{1:i-1}(s,
  a^{1:i-1})``, so that ``A^pi(s, a) = sum_i A^pi_i(s, a^{1:i})`` (the decomposition; it
  telescopes);
* multi-agent performance difference, for any two joint policies ``pi``, ``pi'``:

      J(pi') - J(pi) = sum_i sum_s d^{pi'}(s) E_{a^{1:i} ~ pi'}[ A^pi_i(s, a^{1:i}) ]

  with the unnormalised discounted occupancy ``d^{pi'}`` (``1/(1 - gamma)`` times the
  normalised one, the paper's factor), or per stage for an episodic game. It follows from the
  single-agent lemma (Kakade & Langford 2002) and the decomposition; the paper's statement is
  recalled, not read (theory-wave2.md 5.2, tag [M]), and the identity is checked exactly
  (``proofs_check/theorems/games.py``).

Stages are ``h = 0..H-1`` in code; every array has the leading axes ``lead`` of the game
(``(S,)`` or ``(H, S)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mdptheory.evaluation import occupancy, q_values
from mdptheory.games.joint import joint_policy, local_policies
from mdptheory.games.model import CooperativeGame


def localise(game: CooperativeGame, local: Sequence[np.ndarray], Q: np.ndarray) -> list:
    """``[Q_{1:0}, Q_{1:1}, ..., Q_{1:N}]`` from a joint ``Q`` (``(*lead, A)`` flat or
    factored) and validated local policies (:func:`~mdptheory.games.joint.local_policies`)."""
    current = np.asarray(Q, dtype=np.float64).reshape(*game.lead, *game.actions)
    out = [current]
    for i in range(game.N - 1, -1, -1):
        # Average agent i's action out under its local policy, conditioned on 0..i-1.
        current = np.sum(local[i] * current, axis=-1)
        out.append(current)
    return out[::-1]


def localised_q(game: CooperativeGame, policies: Sequence) -> list[np.ndarray]:
    """Exact localised action values ``[V^pi, Q^pi_{1:1}, ..., Q^pi_{1:N} = Q^pi]``.

    Entry ``i`` has shape ``(*lead, A_1, ..., A_i)``; entry 0 is ``V^pi`` (shape ``lead``).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.games import CooperativeGame
    >>> game = CooperativeGame(np.ones((1, 2, 2, 1)), [np.eye(2)], (2, 2), gamma=0.0)
    >>> uniform = [np.full((1, 2), 0.5), np.full((1, 2), 0.5)]
    >>> V, Q1, Q = localised_q(game, uniform)
    >>> float(V[0]), Q1.tolist()
    (0.5, [[0.5, 0.5]])
    """
    local = local_policies(game, policies)
    Q = q_values(game.joint, joint_policy(game, policies))
    return localise(game, local, Q)


def localised_advantages(game: CooperativeGame, policies: Sequence) -> list[np.ndarray]:
    """``[A^pi_1, ..., A^pi_N]``, ``A^pi_i = Q^pi_{1:i} - Q^pi_{1:i-1}`` (broadcast), entry
    ``i - 1`` of shape ``(*lead, A_1, ..., A_i)``. Their broadcast sum is ``A^pi(s, a)``."""
    Qs = localised_q(game, policies)
    return [Qs[i] - Qs[i - 1][..., None] for i in range(1, game.N + 1)]


def multi_agent_performance_difference(
    game: CooperativeGame, policies: Sequence, new_policies: Sequence, initial=None
) -> tuple[float, np.ndarray]:
    """The right-hand side of the multi-agent performance-difference identity.

    Returns ``(total, terms)``: ``terms[i] = sum_s d^{pi'}(s) E_{a^{1:i} ~ pi'}[A^pi_i(s,
    a^{1:i})]`` (summed over stages when episodic) for ``pi`` = ``policies`` and ``pi'`` =
    ``new_policies``, and ``total = sum_i terms[i]``, which equals ``J(pi') - J(pi)`` (from
    ``initial``, by default the game's ``rho``).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.games import CooperativeGame
    >>> game = CooperativeGame(np.ones((1, 2, 2, 1)), [np.eye(2)], (2, 2), gamma=0.5)
    >>> uniform = [np.full((1, 2), 0.5)] * 2
    >>> pure = [np.array([[1.0, 0.0]])] * 2
    >>> total, terms = multi_agent_performance_difference(game, uniform, pure)
    >>> round(total, 12), terms.round(12).tolist()
    (1.0, [0.0, 1.0])
    """
    advantages = localised_advantages(game, policies)
    new_local = local_policies(game, new_policies)
    d = occupancy(game.joint, joint_policy(game, new_policies), initial).sum(axis=-1)
    terms = np.empty(game.N)
    prefix = np.ones(game.lead)
    for i in range(game.N):
        prefix = prefix[..., None] * new_local[i]  # Pr'(a^{1:i} | s), shape (*lead, A_1..A_i)
        inner = np.sum(prefix * advantages[i], axis=tuple(range(len(game.lead), prefix.ndim)))
        terms[i] = float(np.sum(d * inner))
    return float(terms.sum()), terms
