"""Burn-in of LSVI-UCB computed from its bonus formula alone, before any run.

LSVI-UCB's bonus in a feature direction seen ``n`` times is about ``beta / sqrt(n + lambda)``
with ``beta = c d H sqrt(iota)`` (Theorem 3.1). Two thresholds matter:

* ``until="clip"``: the bonus drops below the clip ``H``, so ``Q^k_h`` can leave ``H``:
  ``n >= (beta / H)^2 - lambda = c^2 d^2 iota - lambda`` visits per direction. Before that, the
  optimism event holds because every estimate sits at its clip.
* ``until="regret"``: the proof's per-stage regret term ``2 beta ||phi||_{Lambda^{-1}}``
  (Lemma B.4's recursion) drops below one stage's reward range 1, so the per-episode regret
  bound ``sum_h 2 beta ||phi_h||`` is below the trivial ``H``:
  ``n >= 4 beta^2 - lambda`` visits per direction. Before that, regret may be linear in K
  without contradicting Theorem 3.1.

Each is multiplied by the ``d`` directions to cover (one observation per stage and episode).
"""

from __future__ import annotations

from algorithms.burn_in import feature_burn_in
from algorithms.linear.lsvi_ucb import LAMBDA, PAPER_C, lsvi_ucb_beta

UNTIL = ("regret", "clip")


def burn_in(
    d: int,
    H: int,
    K: int,
    p: float = 0.05,
    c: float = PAPER_C,
    until: str = "regret",
    lam: float = LAMBDA,
) -> int:
    """Episodes before LSVI-UCB's bonus stops saturating, from the bonus formula alone.

    Parameters
    ----------
    d, H, K : int
        Feature dimension, horizon and number of episodes (``K`` enters ``iota``).
    p : float
        Confidence parameter of Theorem 3.1.
    c : float
        Constant in ``beta = c d H sqrt(iota)``; ``c = 0`` (no bonus) has no burn-in.
    until : {"regret", "clip"}
        ``"regret"``: until the per-stage term ``2 beta / sqrt(n + lambda)`` is below 1 (the
        proof's per-episode regret bound below ``H``); ``"clip"``: until ``beta / sqrt(n +
        lambda)`` is below ``H`` (``Q`` can leave its clip).
    lam : float
        Ridge parameter lambda.

    Returns
    -------
    int
        ``d * max(0, ceil((beta / level)^2 - lambda))`` with level ``1/2`` (regret) or ``H``
        (clip): visits per direction times the ``d`` directions to cover.

    Examples
    --------
    >>> burn_in(4, 5, 20_000, c=1.0, until="clip")        # d * d^2 iota
    1060
    >>> burn_in(4, 5, 20_000, c=0.1), burn_in(4, 5, 20_000, c=1.0)
    (1060, 106160)
    >>> burn_in(4, 5, 20_000, c=0.0)
    0
    """
    return feature_burn_in(
        d, H, c, until, UNTIL, lambda c: lsvi_ucb_beta(int(d), int(H), int(K), float(p), c), lam
    )


__all__ = ["UNTIL", "burn_in"]
