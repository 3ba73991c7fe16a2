"""UCB1 (Auer, Cesa-Bianchi and Fischer, 2002).

Paper
-----
P. Auer, N. Cesa-Bianchi, P. Fischer. "Finite-time Analysis of the Multiarmed Bandit Problem".
Machine Learning 47, 235-256 (2002). Figure 1 (policy UCB1) and Theorem 1.

Setting
-------
K arms with reward distributions supported on [0, 1] and means ``mu_1..mu_K``; ``mu* = max_j
mu_j``, gaps ``Delta_j = mu* - mu_j``. One arm is pulled per round for ``T`` rounds.

Update (paper notation: ``n`` plays so far, ``n_j`` plays of arm j, ``xbar_j`` their mean)
-----------------------------------------------------------------------------------------
1. Initialisation: play each arm once (rounds ``n = 0..K-1``).
2. Loop: play ``j = argmax_j  xbar_j + sqrt(2 ln n / n_j)``                     (Figure 1)
3. Observe ``X_j`` and update ``n_j <- n_j + 1``, ``xbar_j`` by the running sum.

Theorem 1 bounds the expected pseudo-regret after ``n`` plays by
``8 sum_{j: Delta_j > 0} ln n / Delta_j + (1 + pi^2 / 3) sum_j Delta_j``.

The constant 2 under the square root is the paper's and the default (``c=2``). Any other ``c``
is a tuned variant, reported as ``constants="tuned"`` in the trace metadata.

Where each step is implemented
------------------------------
In :func:`_ucb1_kernel`: step 1 is the ``t < K`` branch, step 2 the index loop (ties go to the
smallest arm), step 3 the lines after the reward draw. The pseudo-regret of the round is
the exact gap of the pulled arm; the realised regret is ``mu* - X_j``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms.bandits._common import check_positive
from algorithms.bandits._finite_armed import FiniteArmedLearner, record_round, round_records
from mdptheory._kernels import draw_reward

PAPER_C = 2.0
"""The exploration constant of Auer et al. (2002), Figure 1: ``sqrt(2 ln n / n_j)``."""


@njit(cache=True)
def ucb1_index(mean: float, count: int, plays: int, c: float) -> float:
    """UCB1 index ``xbar_j + sqrt(c ln n / n_j)`` of Auer et al. (2002), Figure 1.

    ``mean`` is ``xbar_j``, ``count`` is ``n_j >= 1`` and ``plays`` is ``n``, the number of plays
    done so far over all arms.

    Examples
    --------
    >>> round(ucb1_index(0.5, 4, 100, 2.0), 6)  # 0.5 + sqrt(2 ln 100 / 4)
    2.017427
    """
    return mean + np.sqrt(c * np.log(plays) / count)


@njit(cache=True)
def _ucb1_kernel(means, gaps, noise_code, sigma, budget, c, rng):
    K = means.shape[0]
    counts = np.zeros(K)
    sums = np.zeros(K)
    # Per-arm mean and 1 / n_j change only when the arm is pulled; keeping them makes the
    # index loop a branch-free multiply-sqrt-add that the compiler vectorises.
    averages = np.zeros(K)
    inverse_counts = np.zeros(K)
    index = np.empty(K)
    arms, rewards, pseudo = round_records(budget)
    for t in range(budget):
        if t < K:
            # Step 1: each arm once.
            a = t
        else:
            # Step 2: t is the number of plays so far (the paper's n).
            c_log_t = c * np.log(t)
            for j in range(K):
                index[j] = averages[j] + np.sqrt(c_log_t * inverse_counts[j])
            a = 0
            best = index[0]
            for j in range(1, K):
                if index[j] > best:
                    best = index[j]
                    a = j
        r = draw_reward(means[a], noise_code, sigma, rng)
        # Step 3.
        counts[a] += 1.0
        sums[a] += r
        averages[a] = sums[a] / counts[a]
        inverse_counts[a] = 1.0 / counts[a]
        record_round(t, a, r, gaps, arms, rewards, pseudo)
    return arms, rewards, pseudo


@dataclass(frozen=True)
class UCB1(FiniteArmedLearner):
    """UCB1 of Auer, Cesa-Bianchi and Fischer (2002), Figure 1.

    Parameters
    ----------
    c : float, default 2.0
        Exploration constant in the index ``xbar_j + sqrt(c ln n / n_j)``. The paper's value 2
        is the default; any other value is a tuned variant (``constants="tuned"``).

    Notes
    -----
    The paper's guarantee (Theorem 1) needs rewards in [0, 1]; :meth:`run` therefore accepts
    Bernoulli arms and deterministic arms with means in [0, 1] and raises ``ValueError`` on
    Gaussian reward noise.

    Examples
    --------
    >>> from mdptheory.bandits import Bandit
    >>> bandit = Bandit([0.5, 0.4, 0.3], noise="bernoulli")
    >>> trace = UCB1().run(bandit, budget=2000, seed=0)
    >>> trace.n_episodes, bool((trace.pseudo_regret >= 0).all())
    (2000, True)
    """

    c: float = PAPER_C

    def __post_init__(self) -> None:
        check_positive("c", self.c)

    @property
    def constants(self) -> str:
        """``"paper"`` when ``c`` is the paper's 2, else ``"tuned"``."""
        return "paper" if self.c == PAPER_C else "tuned"

    def _kernel(self):
        return _ucb1_kernel, (float(self.c),)
