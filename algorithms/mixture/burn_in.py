"""Burn-in of UCRL-VTR computed from its radius formula alone, before any run.

A value feature direction observed ``n`` times with norm ``l`` has width
``||x||_{M^{-1}} <= l / sqrt(lambda + n l^2) <= 1 / sqrt(n)``, so the per-step bonus is at most
``c sqrt(beta_K) / sqrt(n)``. The proof's per-step regret term ``2 c sqrt(beta) ||x||`` is below
one stage's reward range 1 once ``n >= 4 c^2 beta_K``; each episode adds H regression pairs, so
covering the ``d`` directions takes ``ceil(d 4 c^2 beta_K / H)`` episodes.
"""

from __future__ import annotations

import math

from algorithms.mixture.ucrl_vtr import LAMBDA, PAPER_C, ucrl_vtr_radius


def burn_in(
    d: int, H: int, K: int, B: float, L: float, delta: float = 0.05, c: float = PAPER_C
) -> int:
    """Episodes before UCRL-VTR's per-step term ``2 c sqrt(beta_K) / sqrt(n)`` drops below 1.

    Parameters
    ----------
    d, H, K : int
        Dimension, horizon and number of episodes (``K`` fixes ``beta_K``).
    B, L : float
        Bounds on ``||theta||`` and on the value features (``UCRLVTR.radius_constants``).
    delta, c : float
        Confidence parameter and radius multiplier; ``c = 0`` has no burn-in.

    Examples
    --------
    >>> burn_in(4, 5, 20_000, B=1.0, L=10.0, c=0.0)
    0
    >>> burn_in(4, 5, 20_000, B=1.0, L=10.0, c=0.1) < burn_in(4, 5, 20_000, B=1.0, L=10.0)
    True
    """
    if c == 0.0:
        return 0
    radius = c * ucrl_vtr_radius(d, H, float(K * H), delta, B, L)
    return max(0, math.ceil(d * (4.0 * radius * radius - LAMBDA) / H))


__all__ = ["burn_in"]
