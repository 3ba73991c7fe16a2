"""Offline preference-based RL with a finite reward class: FREEHAND (Zhan et al., ICLR 2024).

Paper
-----
W. Zhan, M. Uehara, N. Kallus, J. D. Lee, W. Sun. "Provable Offline Preference-Based
Reinforcement Learning". ICLR 2024, arXiv:2305.14816, Algorithm 1 and Theorem 1 (known
transitions). Only the abstract and the table of contents were read; the algorithm below is as
recalled in the project's references (4.3, tag [M]) and the constant ``c`` of ``zeta`` is not
verified.

Setting
-------
An :class:`~mdptheory.preferences.OfflinePreferenceProblem`: an episodic MDP with known
transitions, a finite reward class ``G`` containing ``theta*``, and ``n`` pairs ``(tau^0,
tau^1)`` with ``tau^0 ~ mu_0``, ``tau^1 ~ mu_1`` (rolled out by
:func:`algorithms.offline.datasets.collect`) and labels ``o ~ Bernoulli(sigma(r*(tau^1) -
r*(tau^0)))``.

Algorithm (Algorithm 1)
-----------------------
1. MLE: ``r_hat = argmax_{r in G} l(r)``, ``l(r) = sum_i log sigma((2 o_i - 1)(r(tau^1_i) -
   r(tau^0_i)))``.
2. Confidence set: ``R = {r in G : l(r) >= l(r_hat) - zeta}``, ``zeta = c log(|G| / delta)``
   (``c = 1`` by default, a named choice).
3. Robust planning: ``pi_hat = argmax_pi min_{r in R} (J(pi; r) - E_{tau ~ mu_ref}[r(tau)])``
   over the deterministic Markov policies (enumerated; ``J`` from exact occupancies).

Where each step is implemented: :func:`freehand` (steps 1 to 3 in order), the data in
:func:`collect_pairs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, log_expit

from algorithms._validation import check_positive
from algorithms.offline.datasets import collect
from mdptheory._validation import check_int, check_real
from mdptheory.preferences.offline_problem import (
    OfflinePreferenceProblem,
    deterministic_policies,
    policy_occupancies,
)
from mdptheory.regret import ConvergenceTrace, trace_metadata
from mdptheory.seeding import SeedLike, as_generator, spawn_seeds

__all__ = ["Freehand", "FreehandResult", "TrajectoryPairs", "collect_pairs", "freehand"]


@dataclass(frozen=True)
class TrajectoryPairs:
    """``n`` labelled pairs: one-hot features ``phi0``, ``phi1`` (n, H*S*A), labels ``o``."""

    phi0: np.ndarray
    phi1: np.ndarray
    labels: np.ndarray

    @property
    def n(self) -> int:
        return int(self.labels.shape[0])

    def first(self, m: int) -> TrajectoryPairs:
        """The first ``m`` pairs (a dataset grows by appending)."""
        return TrajectoryPairs(self.phi0[:m], self.phi1[:m], self.labels[:m])


def _episode_features(data, H: int, S: int, A: int, n: int) -> np.ndarray:
    phi = np.zeros((n, H * S * A))
    flat = (data.stage * S + data.state) * A + data.action
    phi[data.episode, flat] = 1.0
    return phi


def collect_pairs(problem: OfflinePreferenceProblem, n: int, seed: SeedLike) -> TrajectoryPairs:
    """``n`` pairs: ``tau^0`` from ``mu_0`` and ``tau^1`` from ``mu_1`` (each rolled out by
    :func:`algorithms.offline.datasets.collect`), labelled with probability ``sigma(r*(tau^1)
    - r*(tau^0))``. Three child seeds of ``seed``: the same seed gives the same pairs."""
    n = check_int(n, "n", 1)
    mdp = problem.mdp
    s0, s1, s_label = spawn_seeds(seed, 3)
    phi = [
        _episode_features(collect(mdp, mu, n, s), mdp.H, mdp.S, mdp.A, n)
        for mu, s in ((problem.mu0, s0), (problem.mu1, s1))
    ]
    star = problem.theta_star.reshape(-1)
    p_one = expit(phi[1] @ star - phi[0] @ star)
    labels = (as_generator(s_label).random(n) < p_one).astype(np.float64)
    return TrajectoryPairs(phi[0], phi[1], labels)


@dataclass(frozen=True)
class FreehandResult:
    """What FREEHAND returns on one dataset.

    Attributes
    ----------
    policy : ndarray of int, shape (H, S)
        ``pi_hat``.
    mle : int
        Index in the class of ``r_hat``.
    confidence : ndarray of bool, shape (G,)
        Membership in ``R``.
    log_likelihood : ndarray, shape (G,)
    robust_value : float
        ``min_{r in R} (J(pi_hat; r) - E_{mu_ref} r)``.
    suboptimality : float
        ``J(pi_tar; theta*) - J(pi_hat; theta*)`` (exact).
    """

    policy: np.ndarray
    mle: int
    confidence: np.ndarray
    log_likelihood: np.ndarray
    robust_value: float
    suboptimality: float


def freehand(
    problem: OfflinePreferenceProblem, pairs: TrajectoryPairs, zeta: float
) -> FreehandResult:
    """FREEHAND's three steps on one dataset (module docstring).

    Examples
    --------
    >>> from instances.preferences import offline_preference_garnet
    >>> problem = offline_preference_garnet()
    >>> result = freehand(problem, collect_pairs(problem, 2000, seed=0), zeta=np.log(370))
    >>> result.suboptimality
    0.0
    """
    zeta = check_real(zeta, "zeta", 0.0)
    G = problem.reward_class.reshape(problem.reward_class.shape[0], -1)
    diff = (pairs.phi1 - pairs.phi0) @ G.T  # (n, G)
    sign = 2.0 * pairs.labels - 1.0
    loglik = log_expit(sign[:, None] * diff).sum(axis=0)
    mle = int(np.argmax(loglik))
    confidence = loglik >= loglik[mle] - zeta
    mdp = problem.mdp
    policies = deterministic_policies(mdp.H, mdp.S, mdp.A)
    occ = policy_occupancies(mdp, policies).reshape(policies.shape[0], -1)
    ref = problem.space.probabilities(problem.reference) @ problem.space.features()
    robust = (occ - ref[None, :]) @ G[confidence].T  # (Pi, |R|)
    worst = robust.min(axis=1)
    best = int(np.argmax(worst))
    star = problem.theta_star.reshape(-1)
    target = problem.value(problem.target)
    value = float(occ[best] @ star)
    gap = target - value
    # Exact ties of J within rounding count as 0.
    gap = 0.0 if abs(gap) <= 1e-12 * max(1.0, abs(target)) else gap
    return FreehandResult(policies[best], mle, confidence, loglik, float(worst[best]), gap)


@dataclass(frozen=True)
class Freehand:
    """FREEHAND on a growing offline dataset: sub-optimality against ``pi_tar`` versus n.

    Parameters
    ----------
    delta : float
        Confidence level of ``zeta = c log(|G| / delta)``.
    c : float
        The constant of ``zeta`` (1: a named choice; the paper's is not verified).

    ``run(problem, budget, seed)`` collects ``budget`` pairs once and runs FREEHAND on the first
    ``n`` of them for ``n`` on a geometric grid of 16 points from 10 to ``budget``: a
    :class:`~mdptheory.regret.ConvergenceTrace` whose ``gap`` is the exact sub-optimality
    ``J(pi_tar) - J(pi_hat)`` at each ``n`` (``extras["n"]``).

    Examples
    --------
    >>> from instances.preferences import offline_preference_garnet
    >>> trace = Freehand().run(offline_preference_garnet(), budget=300, seed=0)
    >>> trace.extras["n"][[0, -1]].tolist()
    [10.0, 300.0]
    """

    delta: float = 0.1
    c: float = 1.0

    def __post_init__(self) -> None:
        check_real(self.delta, "delta", 0.0, 1.0, low_open=True, high_open=True)
        check_positive("c", self.c)

    def zeta(self, problem: OfflinePreferenceProblem) -> float:
        return self.c * float(np.log(problem.reward_class.shape[0] / self.delta))

    def run(self, problem: Any, budget: int, seed: SeedLike = 0) -> ConvergenceTrace:
        if not isinstance(problem, OfflinePreferenceProblem):
            raise ValueError(
                f"FREEHAND needs an OfflinePreferenceProblem, got {type(problem).__name__}"
            )
        budget = check_int(budget, "budget", 10)
        grid = np.unique(np.rint(np.geomspace(10, budget, 16)).astype(np.int64))
        pairs = collect_pairs(problem, budget, seed)
        zeta = self.zeta(problem)
        results = [freehand(problem, pairs.first(int(n)), zeta) for n in grid]
        gaps = np.array([r.suboptimality for r in results])
        extras = {
            "n": grid.astype(np.float64),
            "confidence_size": np.array([r.confidence.sum() for r in results], float),
        }
        meta = trace_metadata(
            self,
            problem,
            seed,
            budget,
            zeta=zeta,
            quantity="sub-optimality J(pi_tar) - J(pi_hat) against episodes "
            "of data n (extras['n'])",
            constants="zeta = c log(|G|/delta), c not verified",
        )
        return ConvergenceTrace(gaps, extras, meta)
