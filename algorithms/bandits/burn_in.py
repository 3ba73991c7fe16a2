"""Burn-in of the bandit learners: rounds before their regret can follow its asymptotic rate.

Each function computes, from the learner's index or confidence formula alone (never from a
run), how many rounds pass before the exploration term stops dominating: before that, a
log-log slope of the regret mostly measures the forced exploration. Compute it before a run
to know which part of a regret curve can be judged against a rate (``proofs_check`` judges
local slopes only after it).

* :func:`ucb1_burn_in`: rounds until the UCB1 bonus ``sqrt(c ln T / n)`` of every sub-optimal
  arm is below half its gap (Auer et al. 2002, proof of Theorem 1: ``8 ln T / Delta^2`` pulls
  for ``c = 2``).
* :func:`kl_burn_in`: rounds until each sub-optimal arm has ``ln T / kl(mu_a, mu*)`` pulls, the
  count after which a KL confidence bound (KL-UCB) or a posterior (Thompson sampling) stops
  putting the arm above ``mu*`` (the Lai-Robbins count).
* :func:`oful_burn_in`: rounds until each of the ``d`` directions has been seen ``beta_T``
  times, the count after which the OFUL confidence width ``sqrt(beta_T / n)`` along a
  direction is below the per-round regret scale.
"""

from __future__ import annotations

import math

import numpy as np

from algorithms.bandits.kl_ucb import bernoulli_kl
from mdptheory._validation import check_int


def _gaps(means) -> tuple[np.ndarray, float]:
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 1 or means.size < 2 or not np.all(np.isfinite(means)):
        raise ValueError(f"means must be a finite 1-d array of at least 2 arms, got {means!r}")
    best = float(means.max())
    return best - means, best


def _horizon(T) -> float:
    if isinstance(T, bool) or not (
        isinstance(T, (int, float, np.integer, np.floating)) and math.isfinite(T) and T >= 2
    ):
        raise ValueError(f"T must be a number >= 2, got {T!r}")
    return float(T)


def _total_pulls(gaps: np.ndarray, pulls) -> int:
    """``sum_a ceil(pulls(a))`` over the sub-optimal arms ``a`` (those with a gap > 0)."""
    return int(sum(math.ceil(pulls(int(a))) for a in np.flatnonzero(gaps > 0)))


def ucb1_burn_in(means, T: float, c: float = 2.0) -> int:
    """Rounds until every sub-optimal arm's UCB1 bonus has fallen below half its gap.

    The bonus ``sqrt(c ln T / n)`` is below ``Delta_a / 2`` once ``n >= 4 c ln T / Delta_a^2``
    (``8 ln T / Delta_a^2`` for the paper's ``c = 2``, the count in the proof of Auer et al.
    2002, Theorem 1); the burn-in is the sum of these counts over the sub-optimal arms.

    Parameters
    ----------
    means : array_like, shape (K,)
        Arm means.
    T : float
        Horizon (the bonus is evaluated at ``ln T``).
    c : float, default 2.0
        UCB1's exploration constant.

    Returns
    -------
    int
        The rounds, summed over the sub-optimal arms.

    Examples
    --------
    >>> ucb1_burn_in([0.6, 0.4, 0.4, 0.4, 0.4], T=100_000)
    9212
    """
    gaps, _ = _gaps(means)
    T = _horizon(T)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"c must be finite and > 0, got {c!r}")
    return _total_pulls(gaps, lambda a: 4.0 * c * math.log(T) / gaps[a] ** 2)


def kl_burn_in(means, T: float, noise: str = "bernoulli", sigma: float = 1.0) -> int:
    """Rounds until every sub-optimal arm has ``ln T / kl(mu_a, mu*)`` pulls.

    ``kl`` is the Bernoulli relative entropy, or ``Delta^2 / (2 sigma^2)`` for Gaussian arms.
    This is the Lai-Robbins count: a KL-UCB index or a Thompson posterior of a sub-optimal arm
    stops exceeding ``mu*`` at about that many pulls.

    Parameters
    ----------
    means, T : array_like of shape (K,), float
        Arm means and horizon, as for :func:`ucb1_burn_in`.
    noise : {"bernoulli", "gaussian"}
        Reward distribution of the arms, which fixes ``kl``.
    sigma : float
        Standard deviation of Gaussian arms.

    Returns
    -------
    int
        The Lai-Robbins counts, summed over the sub-optimal arms.

    Examples
    --------
    >>> kl_burn_in([0.6, 0.4, 0.4, 0.4, 0.4], T=100_000)
    568
    >>> kl_burn_in([1.0, 0.5], T=100_000, noise="gaussian")
    93
    """
    gaps, best = _gaps(means)
    T = _horizon(T)
    means = np.asarray(means, dtype=np.float64)

    def pulls(a: int) -> float:
        if noise == "bernoulli":
            kl = bernoulli_kl(float(means[a]), best)
        elif noise == "gaussian":
            if not (math.isfinite(sigma) and sigma > 0):
                raise ValueError(f"sigma must be finite and > 0, got {sigma!r}")
            kl = gaps[a] ** 2 / (2.0 * sigma**2)
        else:
            raise ValueError(f"noise must be 'bernoulli' or 'gaussian', got {noise!r}")
        return math.log(T) / kl

    return _total_pulls(gaps, pulls)


def oful_burn_in(
    d: int,
    T: float,
    lambda_: float = 1.0,
    delta: float = 0.01,
    S: float = 1.0,
    R: float = 1.0,
    L: float = 1.0,
    scale: float = 1.0,
) -> int:
    """Rounds until each of ``d`` directions has been seen ``beta_T / scale^2`` times.

    ``sqrt(beta_T) = R sqrt(d log(1 + T L^2 / (lambda d)) + 2 log(1/delta)) + sqrt(lambda) S``
    is the Theorem 2 radius of Abbasi-Yadkori et al. (2011) at ``T`` (with the determinant
    bounded as in their Lemma 10/11); along a direction seen ``n`` times the confidence width
    is about ``sqrt(beta_T / n)``, below the per-round regret scale ``scale`` once
    ``n >= beta_T / scale^2``.

    Parameters
    ----------
    d : int
        Dimension.
    T : float
        Horizon.
    lambda_, delta, S, R, L : float
        OFUL's ridge, confidence level, parameter bound, noise level and arm-norm bound.
    scale : float, default 1.0
        Per-round regret scale (1 for unit arms and a unit ``theta``).

    Returns
    -------
    int

    Examples
    --------
    >>> oful_burn_in(2, 20_000)
    80
    """
    T = _horizon(T)
    check_int(d, "d", 1)
    for name, value in (
        ("lambda_", lambda_),
        ("delta", delta),
        ("S", S),
        ("R", R),
        ("L", L),
        ("scale", scale),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    if not 0 < delta < 1 or lambda_ <= 0 or scale <= 0:
        raise ValueError("need 0 < delta < 1, lambda_ > 0 and scale > 0")
    width = (
        R * math.sqrt(d * math.log(1.0 + T * L**2 / (lambda_ * d)) + 2.0 * math.log(1.0 / delta))
        + math.sqrt(lambda_) * S
    )
    return int(d * math.ceil(width**2 / scale**2))


__all__ = ["kl_burn_in", "oful_burn_in", "ucb1_burn_in"]
