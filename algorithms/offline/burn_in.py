"""Burn-in of PEVI computed from its penalty formula alone, before any data are collected.

PEVI's penalty in a feature direction with ``m`` samples is about ``beta / sqrt(m + lambda)``,
``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)`` (Algorithm 2). Two thresholds:

* ``until="clip"``: the penalty drops below ``H``, so ``Q_hat_h`` can leave its clip at 0:
  ``m >= (beta / H)^2 - lambda`` samples per direction. Before that, pessimism holds because
  every estimate sits at 0.
* ``until="bound"``: the per-stage term ``2 beta ||phi||_{Lambda^{-1}}`` of the data-dependent
  bound drops below one stage's reward range 1, so the bound ``2 beta sum_h E_{pi*} ||phi||``
  can be below ``H``: ``m >= 4 beta^2 - lambda`` samples per direction.

Each is multiplied by the ``d`` directions to cover (one sample per stage and episode, spread
over the directions by a well-covering behaviour).
"""

from __future__ import annotations

from algorithms.burn_in import feature_burn_in
from algorithms.offline.pevi import LAMBDA, PAPER_C, XI, pevi_beta

UNTIL = ("bound", "clip")


def burn_in(
    d: int,
    H: int,
    n: int,
    xi: float = XI,
    c: float = PAPER_C,
    until: str = "bound",
    lam: float = LAMBDA,
) -> int:
    """Episodes of data before PEVI's penalty stops saturating, from the penalty formula alone.

    Parameters
    ----------
    d, H : int
        Feature dimension and horizon.
    n : int
        Episodes in the data set (``K = n`` enters ``zeta``).
    xi : float
        Confidence parameter.
    c : float
        Constant in ``beta = c d H sqrt(zeta)``; ``c = 0`` (greedy) has no burn-in.
    until : {"bound", "clip"}
        ``"bound"``: until ``2 beta / sqrt(m + lambda) < 1`` (the bound's per-stage term below
        a stage's reward range); ``"clip"``: until ``beta / sqrt(m + lambda) < H``.
    lam : float
        Ridge parameter lambda.

    Returns
    -------
    int
        ``d * max(0, ceil((beta / level)^2 - lambda))``, level ``1/2`` (bound) or ``H`` (clip).

    Examples
    --------
    >>> burn_in(4, 5, 10_000, c=1.0, until="clip")       # d * d^2 zeta
    1016
    >>> burn_in(4, 5, 10_000, c=0.03), burn_in(4, 5, 10_000, c=1.0)
    (88, 101724)
    >>> burn_in(4, 5, 10_000, c=0.0)
    0
    """
    return feature_burn_in(
        d, H, c, until, UNTIL, lambda c: pevi_beta(int(d), int(H), float(n), float(xi), c), lam
    )


__all__ = ["UNTIL", "burn_in"]
