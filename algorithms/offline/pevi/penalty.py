r"""PEVI's penalty multiplier ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``, and its
constants (Jin, Yang, Wang, ICML 2021, arXiv:2012.15085, the linear-MDP theorem with
``lambda = 1``)."""

from __future__ import annotations

import math

__all__ = ["LAMBDA", "PAPER_C", "TUNED_C", "XI", "pevi_beta", "pevi_zeta"]


LAMBDA = 1.0
"""Ridge parameter lambda (the paper's choice)."""


PAPER_C = 1.0
"""Default c in ``beta = c d H sqrt(zeta)``: the paper only says "an absolute constant"."""


TUNED_C = 0.05
"""The named tuned scaling used by the checks and docs: ``beta = 0.05 d H sqrt(zeta)``.

With ``c = 1`` the penalty keeps every ``Q_hat`` at 0 until a direction has about
``(beta / H)^2 = d^2 zeta`` samples (hundreds of thousands of episodes for d = 4, H = 5), so the
paper constant is checked where it is informative (the bound and the good event) and the rates
are measured with this scaling."""


XI = 0.05
"""Default confidence parameter xi (failure probability of the good event)."""


def pevi_zeta(d: int, H: int, K: float, xi: float) -> float:
    """``zeta = log(2 d H K / xi)`` (linear-MDP theorem of Jin et al. 2021).

    Examples
    --------
    >>> round(pevi_zeta(4, 5, 1000, 0.05), 6) == round(math.log(2 * 4 * 5 * 1000 / 0.05), 6)
    True
    """
    return math.log(2.0 * d * H * K / xi)


def pevi_beta(d: int, H: int, K: float, xi: float = XI, c: float = PAPER_C) -> float:
    """``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``.

    Examples
    --------
    >>> round(pevi_beta(4, 5, 1000, 0.05) / 20, 6) == round(math.sqrt(pevi_zeta(4, 5, 1000,
    ...                                                                          0.05)), 6)
    True
    """
    return c * d * H * math.sqrt(pevi_zeta(d, H, K, xi))
