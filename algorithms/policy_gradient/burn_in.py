"""Burn-in of the softmax policy-gradient bandit learners, from the update formula alone.

:func:`gradient_bandit_burn_in` is the number of iterations the expected (exact) softmax PG
flow needs to lift the optimal arm's probability from its uniform start ``1/K`` to ``1/2``.
Before that, the gap is dominated by the escape from the uniform start and a log-log slope of
it does not measure the asymptotic ``O(1/t)`` rate; ``proofs_check`` judges local slopes only
after it. Compute it before a run to choose a budget.
"""

from __future__ import annotations

import math

import numpy as np


def gradient_bandit_burn_in(means, eta: float) -> int:
    """Iterations for the expected softmax-PG flow to lift ``pi(a*)`` from ``1/K`` to ``1/2``.

    With ``z = theta(a*) - log sum_{a != a*} exp theta(a)`` and ``pi(a*) = sigmoid(z)``, the
    expected update raises ``z`` by at least ``eta Delta pi(a*) (1 - pi(a*))`` per iteration
    when every other arm trails ``a*`` by at least ``Delta`` (the smallest gap). Integrating
    ``dz / (sigmoid(z) (1 - sigmoid(z)))`` from ``z = -log(K - 1)`` to ``0`` gives

        t_burn = (K - 1 - 1/(K - 1) + 2 log(K - 1)) / (eta Delta),

    rounded up, and 0 for two arms (``pi(a*)`` starts at 1/2).

    Parameters
    ----------
    means : array_like, shape (K,)
        Mean rewards, with a unique optimal arm.
    eta : float
        Constant step size (> 0).

    Returns
    -------
    int

    Examples
    --------
    >>> gradient_bandit_burn_in([0.9, 0.6, 0.3], eta=0.0433)
    223
    >>> gradient_bandit_burn_in([0.9, 0.6], eta=0.1)
    0
    """
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 1 or means.size < 2 or not np.all(np.isfinite(means)):
        raise ValueError(f"means must be a finite 1-d array of at least 2 arms, got {means!r}")
    if isinstance(eta, bool) or not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be finite and > 0, got {eta!r}")
    top = np.sort(means)
    delta = float(top[-1] - top[-2])
    if delta <= 0:
        raise ValueError("the optimal arm must be unique (the smallest gap is 0)")
    K = means.size
    lift = K - 1 - 1.0 / (K - 1) + 2.0 * math.log(K - 1)
    return math.ceil(lift / (eta * delta))


__all__ = ["gradient_bandit_burn_in"]
