"""KL-UCB for Bernoulli arms (Garivier and Cappé, 2011).

Paper
-----
A. Garivier, O. Cappé. "The KL-UCB Algorithm for Bounded Stochastic Bandits and Beyond".
COLT 2011, JMLR W&CP 19, 359-376. Algorithm 1 (KL-UCB), Theorem 1, Section 6 (experiments).

Setting
-------
K arms with rewards in [0, 1] (Bernoulli arms in the paper's main case), means ``mu_a``,
``mu* = max_a mu_a``. ``d(p, q) = p log(p/q) + (1-p) log((1-p)/(1-q))`` is the Bernoulli
Kullback-Leibler divergence.

Update (paper notation: ``t`` rounds played so far, ``N_a(t)`` pulls, ``mu_hat_a(t)`` mean)
-----------------------------------------------------------------------------------------
1. Rounds ``t = 1..K``: play arm ``t`` once.
2. For ``t = K..n-1`` play at round ``t + 1``                                   (Algorithm 1)
   ``A_{t+1} = argmax_a max{ q in [0, 1] : N_a(t) d(mu_hat_a(t), q) <= log t + c log log t }``.
3. Observe the reward, update ``N_a`` and ``mu_hat_a``.

Theorem 1 is proved with ``c = 3``; the paper's experiments (Section 6) use ``c = 0``, which is
this module's default. Both are the paper's; ``c`` is recorded in the metadata. The threshold is
``log t + c log(log t)`` for ``t >= 3`` and ``log t`` for ``t < 3``, where ``log log t`` is
negative or undefined (only the first rounds of a 2-armed run reach that case).

Index computation
-----------------
The index ``q`` solves ``d(p, q) = threshold / N`` on ``[p, 1)``: ``d(p, .)`` is increasing and
convex there. Newton's method started at an upper bound of the root decreases monotonically to
the root (convexity), so :func:`kl_ucb_index` starts at the smaller of two closed-form upper
bounds, Pinsker's ``p + sqrt(target / 2)`` and ``1 - exp(-(target + H(p)) / (1 - p))`` (from
``d(p, q) >= -H(p) - (1 - p) log(1 - q)``), and iterates to a relative tolerance of 1e-12. If
both bounds round to 1, it falls back to bisection. ``p = 0`` and ``p = 1`` have closed forms.

Inside a run two exact shortcuts keep a round cheap. An arm whose ``(p, N)`` did not change
since its last index keeps it as a warm start (:func:`kl_ucb_index_warm`): the threshold only
grows, so the old index lies left of the new root and one Newton step jumps just right of it.
And an arm whose Pinsker bound does not beat the best index found so far in the round cannot
be the argmax, so its index is not computed at all.

Where each step is implemented
------------------------------
In :func:`_kl_ucb_kernel`: step 1 is the ``t < K`` branch, step 2 the loop over arms (Pinsker
skip, then :func:`kl_ucb_index_warm` or :func:`kl_ucb_index`; ties go to the smaller arm),
step 3 the lines after the reward draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms.bandits._common import check_positive
from algorithms.bandits._finite_armed import FiniteArmedLearner, record_round, round_records
from mdptheory._kernels import draw_reward

EXPERIMENTS_C = 0.0
"""``c`` of the paper's experiments (Section 6); Theorem 1 is stated for ``c = 3``."""

THEOREM_C = 3.0
"""``c`` under which Theorem 1 of Garivier and Cappé (2011) is proved."""

_NEWTON_RTOL = 1e-12
_MAX_NEWTON = 60
_BISECTION_STEPS = 64


@njit(cache=True)
def bernoulli_kl(p: float, q: float) -> float:
    """Bernoulli divergence ``d(p, q)``, with ``0 log 0 = 0`` and ``+inf`` where it diverges.

    Examples
    --------
    >>> round(bernoulli_kl(0.5, 0.75), 6), bernoulli_kl(0.5, 1.0)
    (0.143841, inf)
    """
    total = 0.0
    if p > 0.0:
        if q <= 0.0:
            return np.inf
        total += p * np.log(p / q)
    if p < 1.0:
        if q >= 1.0:
            return np.inf
        total += (1.0 - p) * np.log((1.0 - p) / (1.0 - q))
    return total


@njit(cache=True)
def _upper_start(p: float, target: float) -> float:
    """An upper bound of the root of ``d(p, q) = target``: Pinsker's, or the entropy bound."""
    q = p + np.sqrt(0.5 * target)
    if q < 1.0:
        return q
    entropy = -p * np.log(p) - (1.0 - p) * np.log1p(-p)
    return -np.expm1(-(target + entropy) / (1.0 - p))


@njit(cache=True)
def _newton_down(p: float, target: float, q: float) -> float:
    """Newton's method for ``d(p, q) = target`` from ``q`` above the root (monotone descent)."""
    if q >= 1.0:
        # The upper bounds round to 1: bisect on [p, 1) instead.
        lo = p
        hi = 1.0
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if bernoulli_kl(p, mid) > target:
                hi = mid
            else:
                lo = mid
        return lo
    for _ in range(_MAX_NEWTON):
        f = bernoulli_kl(p, q) - target
        if f <= 0.0:
            # At (or, by rounding, just below) the root: q is feasible, stop.
            break
        q_next = q - f * q * (1.0 - q) / (q - p)
        if q_next <= p:
            q_next = 0.5 * (p + q)
        if q - q_next <= _NEWTON_RTOL * q:
            q = q_next
            break
        q = q_next
    return q


@njit(cache=True)
def kl_ucb_index(p: float, count: int, threshold: float) -> float:
    """``max{q in [p, 1] : count * d(p, q) <= threshold}`` (Garivier and Cappé 2011, Alg. 1).

    Parameters
    ----------
    p : float
        Empirical mean in [0, 1].
    count : int
        Number of pulls ``N >= 1``.
    threshold : float
        ``log t + c log log t``.

    Examples
    --------
    >>> q = kl_ucb_index(0.5, 10, 2.0)
    >>> round(10 * bernoulli_kl(0.5, q), 9)
    2.0
    """
    target = threshold / count
    if target <= 0.0 or p >= 1.0:
        return p
    if p <= 0.0:
        # d(0, q) = -log(1 - q): closed form.
        return -np.expm1(-target)
    return _newton_down(p, target, _upper_start(p, target))


@njit(cache=True)
def kl_ucb_index_warm(p: float, count: int, threshold: float, previous: float) -> float:
    """As :func:`kl_ucb_index`, started from ``previous``, the index of the same ``(p, count)``
    at a smaller threshold.

    ``previous`` lies at or below the new root, and one Newton step from the left of the root
    of a convex increasing function lands at or above it; Newton then descends monotonically.
    As the threshold moves by about ``1/t`` per round, this takes two or three evaluations of
    ``d`` instead of the four to six of a cold start.
    """
    target = threshold / count
    if target <= 0.0 or p >= 1.0:
        return p
    if p <= 0.0:
        return -np.expm1(-target)
    q = previous
    if p < q < 1.0:
        f = bernoulli_kl(p, q) - target
        if f == 0.0:
            return q
        if f < 0.0:
            q = q - f * q * (1.0 - q) / (q - p)
        if not q < 1.0:
            q = _upper_start(p, target)
    else:
        q = _upper_start(p, target)
    return _newton_down(p, target, q)


@njit(cache=True)
def kl_ucb_threshold(t: int, c: float) -> float:
    """``log t + c log log t`` for ``t >= 3``; ``log t`` below (``log log t`` <= 0 or undefined)."""
    log_t = np.log(t)
    if t >= 3 and c != 0.0:
        return log_t + c * np.log(log_t)
    return log_t


@njit(cache=True)
def _kl_ucb_kernel(means, gaps, noise_code, sigma, budget, c, rng):
    K = means.shape[0]
    counts = np.zeros(K, dtype=np.int64)
    sums = np.zeros(K)
    # cache[j]: index of arm j at an earlier threshold with its current (p, N), if fresh[j].
    cache = np.zeros(K)
    fresh = np.zeros(K, dtype=np.bool_)
    arms, rewards, pseudo = round_records(budget)
    for t in range(budget):
        if t < K:
            # Step 1.
            a = t
        else:
            # Step 2: t rounds played so far, deciding round t + 1.
            threshold = kl_ucb_threshold(t, c)
            best = -np.inf
            a = 0
            for j in range(K):
                p = sums[j] / counts[j]
                # An arm's index never exceeds its Pinsker bound, so an arm whose bound does
                # not beat the current best cannot win the argmax (ties go to the smaller arm,
                # which is already the current best): skip its Newton solve. Its cached index
                # stays a valid warm start, since the threshold only grows.
                if p + np.sqrt(0.5 * (threshold / counts[j])) <= best:
                    continue
                if fresh[j]:
                    index = kl_ucb_index_warm(p, counts[j], threshold, cache[j])
                else:
                    index = kl_ucb_index(p, counts[j], threshold)
                cache[j] = index
                fresh[j] = True
                if index > best:
                    best = index
                    a = j
        r = draw_reward(means[a], noise_code, sigma, rng)
        # Step 3. The pulled arm's (p, N) changed, so its cached index is no warm start.
        counts[a] += 1
        sums[a] += r
        fresh[a] = False
        record_round(t, a, r, gaps, arms, rewards, pseudo)
    return arms, rewards, pseudo


@dataclass(frozen=True)
class KLUCB(FiniteArmedLearner):
    """KL-UCB with the Bernoulli divergence (Garivier and Cappé 2011, Algorithm 1).

    Parameters
    ----------
    c : float, default 0.0
        Coefficient of ``log log t`` in the exploration threshold ``log t + c log log t``.
        0 is the value of the paper's experiments (Section 6) and the default; 3 is the value
        of Theorem 1 (:data:`THEOREM_C`). Both are the paper's; the choice is recorded.

    Notes
    -----
    The index needs rewards in [0, 1]; Gaussian reward noise raises ``ValueError``.

    Examples
    --------
    >>> from mdptheory.bandits import Bandit
    >>> trace = KLUCB().run(Bandit([0.6, 0.5], noise="bernoulli"), budget=1000, seed=0)
    >>> trace.n_episodes
    1000
    """

    c: float = EXPERIMENTS_C

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)

    @property
    def constants(self) -> str:
        """``"paper-experiments"`` (c = 0), ``"paper-theorem"`` (c = 3), else ``"tuned"``."""
        if self.c == EXPERIMENTS_C:
            return "paper-experiments"
        if self.c == THEOREM_C:
            return "paper-theorem"
        return "tuned"

    def _kernel(self):
        return _kl_ucb_kernel, (float(self.c),)
