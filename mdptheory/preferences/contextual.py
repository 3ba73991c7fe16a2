r"""Contextual preference bandits with a linear utility: the exact ground truth.

Setting (Saha, NeurIPS 2021, the contextual dueling bandit): in round t a context ``c_t`` is
drawn i.i.d. from a distribution ``q`` over a finite set of C contexts; context ``c`` shows K
arms with features ``x_{c,i} in R^d`` and utilities ``r_{c,i} = x_{c,i}^T theta*``; the
learner compares two arms ``(i, j)`` and sees ``o = 1`` (``i`` won) with probability ``F(r_{c,i}
- r_{c,j})`` for a link ``F`` (:mod:`mdptheory.preferences.links`). The paper's arm sets may be
arbitrary; a finite context set keeps every optimum exact and lets a learner aggregate its
comparisons by (context, pair).

Exact regret of round t (average of the two compared arms' utility gaps in the round's
context):

    reg_t = (Delta_{c_t, i_t} + Delta_{c_t, j_t}) / 2,    Delta_{c, i} = max_l r_{c, l} - r_{c, i}.
"""

from __future__ import annotations

import numpy as np

from mdptheory._validation import as_float_array, check_probability_vector
from mdptheory.preferences.links import Link, make_link

__all__ = ["ContextualPreferenceBandit"]


class ContextualPreferenceBandit:
    """Contexts of K arms with linear utilities and a link (module docstring).

    Parameters
    ----------
    contexts : array_like, shape (C, K, d)
        ``x_{c, i}``.
    theta : array_like, shape (d,)
        ``theta*``.
    weights : array_like, shape (C,), optional
        The context distribution ``q`` (default uniform).
    link : str or Link
        Default ``"logistic"`` (Bradley–Terry).
    name : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> bandit = ContextualPreferenceBandit(np.eye(2)[None], [1.0, 0.0])
    >>> bandit.utilities.tolist(), bandit.pair_regret([0], [0], [1]).tolist()
    ([[1.0, 0.0]], [0.5])
    """

    def __init__(self, contexts, theta, weights=None, link: str | Link = "logistic", name=None):
        X = as_float_array(contexts, "contexts", ndim=3)
        C, K, d = X.shape
        if K < 2:
            raise ValueError(f"each context needs K >= 2 arms, got K = {K}")
        th = as_float_array(theta, "theta", ndim=1)
        if th.shape != (d,):
            raise ValueError(f"theta has shape {th.shape}, expected ({d},)")
        q = (
            np.full(C, 1.0 / C)
            if weights is None
            else check_probability_vector(weights, "weights", C)
        )
        self.contexts = X
        self.theta = th
        self.weights = q
        self.link = make_link(link)
        self.utilities = X @ th
        self.gaps = self.utilities.max(axis=1, keepdims=True) - self.utilities
        for array in (self.contexts, self.theta, self.weights, self.utilities, self.gaps):
            array.flags.writeable = False
        self.name = name or f"contextual_preference_bandit(C={C},K={K},d={d})"

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(C, K, d)``."""
        return self.contexts.shape

    def preferences(self, context: int) -> np.ndarray:
        """``P[i, j] = F(r_{c,i} - r_{c,j})`` in context ``c``."""
        from mdptheory.preferences.links import link_preferences

        C = self.contexts.shape[0]
        if not 0 <= int(context) < C:
            raise ValueError(f"context must be in [0, {C}), got {context!r}")
        return link_preferences(self.utilities[int(context)], self.link)

    def __repr__(self) -> str:
        C, K, d = self.shape
        return (
            f"ContextualPreferenceBandit({self.name!r}, C={C}, K={K}, d={d}, "
            f"link={self.link.name!r})"
        )

    def pair_regret(self, contexts, i, j) -> np.ndarray:
        """``(Delta_{c,i} + Delta_{c,j}) / 2`` per round (module docstring)."""
        c = np.asarray(contexts)
        return 0.5 * (self.gaps[c, np.asarray(i)] + self.gaps[c, np.asarray(j)])
