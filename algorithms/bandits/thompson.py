"""Thompson sampling: Beta-Bernoulli and Gaussian (Agrawal and Goyal, 2012 and 2013).

Papers
------
S. Agrawal, N. Goyal. "Analysis of Thompson Sampling for the Multi-armed Bandit Problem".
COLT 2012, JMLR W&CP 23. Algorithm 1 (Bernoulli bandits, Beta(1, 1) prior) and Algorithm 2
(general rewards in [0, 1] through a Bernoulli trial).

S. Agrawal, N. Goyal. "Further Optimal Regret Bounds for Thompson Sampling". AISTATS 2013,
JMLR W&CP 31. Algorithm 2 (Thompson sampling using Gaussian priors).

Setting
-------
K arms with means ``mu_i``. Beta-Bernoulli: rewards in [0, 1]. Gaussian: any rewards; the
analysis of the 2013 paper covers rewards in [0, 1] and the algorithm is the natural one for
Gaussian arms with unit variance.

Updates
-------
:class:`ThompsonBernoulli` (COLT 2012, Algorithms 1 and 2), with ``S_i`` successes and ``F_i``
failures of arm ``i``:

1. Sample ``theta_i ~ Beta(S_i + 1, F_i + 1)`` for every arm; play ``i(t) = argmax_i theta_i``.
2. Observe ``r_t``. If ``r_t`` is not already in {0, 1}, perform a Bernoulli trial with success
   probability ``r_t`` and use its outcome instead (Algorithm 2).
3. On success ``S_i += 1``, else ``F_i += 1``.

:class:`ThompsonGaussian` (AISTATS 2013, Algorithm 2), with ``k_i`` pulls and reward sum:

1. Sample ``theta_i ~ N(mu_hat_i, sigma^2 / (k_i + sigma^2))``, with
   ``mu_hat_i = sum_i / (k_i + sigma^2)``; play ``argmax_i theta_i``.
2. Observe ``r_t``; ``k_i += 1``, ``sum_i += r_t``.

With ``sigma = 1`` (the default) step 1 is the paper's ``N(mu_hat_i, 1 / (k_i + 1))`` with
``mu_hat_i = sum_i / (k_i + 1)``: the exact posterior under an ``N(0, 1)`` prior and unit-variance
Gaussian likelihood. Another ``sigma`` is the conjugate posterior for a known noise level
``sigma`` under the same ``N(0, 1)`` prior, a named variant (``constants="known-sigma"``).

Where each step is implemented
------------------------------
In :func:`_thompson_bernoulli_kernel` and :func:`_thompson_gaussian_kernel`: step 1 is the loop
over arms drawing ``theta``, step 2 the reward draw (and, for Beta-Bernoulli, the trial), step 3
the count update. Ties in the argmax have probability zero; they go to the smaller arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from algorithms.bandits._common import check_positive
from algorithms.bandits._finite_armed import FiniteArmedLearner, record_round, round_records
from mdptheory._kernels import draw_reward


@njit(cache=True)
def beta_bernoulli_choice(successes, failures, rng) -> int:
    """One Thompson step: ``argmax_i theta_i`` with ``theta_i ~ Beta(S_i + 1, F_i + 1)``."""
    best = -np.inf
    a = 0
    for i in range(successes.shape[0]):
        sample = rng.beta(successes[i] + 1.0, failures[i] + 1.0)
        if sample > best:
            best = sample
            a = i
    return a


@njit(cache=True)
def _thompson_bernoulli_kernel(means, gaps, noise_code, sigma, budget, rng):
    K = means.shape[0]
    successes = np.zeros(K)
    failures = np.zeros(K)
    arms, rewards, pseudo = round_records(budget)
    for t in range(budget):
        # Step 1.
        a = beta_bernoulli_choice(successes, failures, rng)
        # Step 2: Bernoulli rewards are already binary; other rewards in [0, 1] go through the
        # trial of Algorithm 2, which keeps the Beta posterior conjugate.
        r = draw_reward(means[a], noise_code, sigma, rng)
        if r == 1.0:
            success = True
        elif r == 0.0:
            success = False
        else:
            success = rng.random() < r
        # Step 3.
        if success:
            successes[a] += 1.0
        else:
            failures[a] += 1.0
        record_round(t, a, r, gaps, arms, rewards, pseudo)
    return arms, rewards, pseudo


@njit(cache=True)
def gaussian_choice(counts, sums, sigma2, rng) -> int:
    """One Gaussian Thompson step: ``argmax_i theta_i``, ``theta_i ~ N(sum_i / (k_i + s2),
    s2 / (k_i + s2))`` with ``s2 = sigma^2``."""
    best = -np.inf
    a = 0
    for i in range(counts.shape[0]):
        denominator = counts[i] + sigma2
        sample = sums[i] / denominator + np.sqrt(sigma2 / denominator) * rng.standard_normal()
        if sample > best:
            best = sample
            a = i
    return a


@njit(cache=True)
def _thompson_gaussian_kernel(means, gaps, noise_code, sigma, budget, prior_sigma, rng):
    K = means.shape[0]
    counts = np.zeros(K)
    sums = np.zeros(K)
    sigma2 = prior_sigma * prior_sigma
    arms, rewards, pseudo = round_records(budget)
    for t in range(budget):
        # Step 1.
        a = gaussian_choice(counts, sums, sigma2, rng)
        # Step 2.
        r = draw_reward(means[a], noise_code, sigma, rng)
        counts[a] += 1.0
        sums[a] += r
        record_round(t, a, r, gaps, arms, rewards, pseudo)
    return arms, rewards, pseudo


@dataclass(frozen=True)
class ThompsonBernoulli(FiniteArmedLearner):
    """Beta-Bernoulli Thompson sampling with a Beta(1, 1) prior (Agrawal and Goyal 2012).

    No hyperparameters: the uniform Beta(1, 1) prior is the paper's.

    Notes
    -----
    Needs rewards in [0, 1]; Gaussian reward noise raises ``ValueError``. Deterministic rewards
    in (0, 1) are turned into Bernoulli outcomes by the trial of Algorithm 2.

    Examples
    --------
    >>> from mdptheory.bandits import Bandit
    >>> trace = ThompsonBernoulli().run(Bandit([0.6, 0.5], noise="bernoulli"), 1000, seed=0)
    >>> trace.n_episodes
    1000
    """

    @property
    def constants(self) -> str:
        return "paper"

    def _kernel(self):
        return _thompson_bernoulli_kernel, ()

    def _metadata(self):
        return {"constants": self.constants, "prior": "Beta(1, 1)"}


@dataclass(frozen=True)
class ThompsonGaussian(FiniteArmedLearner):
    """Thompson sampling with Gaussian priors (Agrawal and Goyal 2013, Algorithm 2).

    Parameters
    ----------
    sigma : float, default 1.0
        Assumed reward noise level. ``sigma = 1`` is the paper's algorithm: sample
        ``N(mu_hat_i, 1 / (k_i + 1))``, the posterior under an ``N(0, 1)`` prior and
        unit-variance likelihood. Another value uses the conjugate posterior for known noise
        ``sigma`` under the same prior, ``N(sum_i / (k_i + sigma^2), sigma^2 / (k_i + sigma^2))``
        (variant ``constants="known-sigma"``).

    Notes
    -----
    Takes any reward noise (deterministic, Bernoulli or Gaussian).

    Examples
    --------
    >>> from mdptheory.bandits import Bandit
    >>> bandit = Bandit([0.5, 0.0], noise=("gaussian", 1.0))
    >>> ThompsonGaussian().run(bandit, 1000, seed=0).n_episodes
    1000
    """

    sigma: float = 1.0
    unit_interval_rewards: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_positive("sigma", self.sigma)

    @property
    def constants(self) -> str:
        """``"paper"`` for ``sigma = 1``, else ``"known-sigma"``."""
        return "paper" if self.sigma == 1.0 else "known-sigma"

    def _kernel(self):
        return _thompson_gaussian_kernel, (float(self.sigma),)

    def _metadata(self):
        return {"constants": self.constants, "prior": "N(0, 1)"}
