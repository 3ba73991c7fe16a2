"""OFUL: optimism in the face of uncertainty for linear bandits (Abbasi-Yadkori et al., 2011).

Paper
-----
Y. Abbasi-Yadkori, D. Pál, Cs. Szepesvári. "Improved Algorithms for Linear Stochastic Bandits".
NeurIPS 2011. Algorithm 1 (OFUL), Theorem 2 (confidence ellipsoid), Theorem 3 (regret).

Setting
-------
A finite arm set ``D = {x_1..x_K} in R^d`` with ``||x_a|| <= L``; rewards
``Y_t = <X_t, theta*> + eta_t`` with ``eta_t`` conditionally ``R``-sub-Gaussian and
``||theta*|| <= S``. Regret is measured against ``max_a <x_a, theta*>``.

Update (paper notation, ``V = lambda I``)
-----------------------------------------
1. Ridge estimate: ``Vbar_t = lambda I + sum_{s<=t} X_s X_s^T``,
   ``theta_hat_t = Vbar_t^{-1} sum_{s<=t} Y_s X_s``.
2. Radius (Theorem 2): ``sqrt(beta_t) = R sqrt(2 log(det(Vbar_t)^{1/2} det(lambda I)^{-1/2}
   / delta)) + lambda^{1/2} S``, so that ``theta* in C_t = {theta : ||theta_hat_t -
   theta||_{Vbar_t} <= sqrt(beta_t)}`` for all ``t`` with probability ``>= 1 - delta``.
3. Action (Algorithm 1): ``(X_t, theta_tilde) = argmax_{(x, theta) in D x C_{t-1}} <x, theta>``,
   which for a finite ``D`` is ``X_t = argmax_a <x_a, theta_hat_{t-1}> + sqrt(beta_{t-1})
   ||x_a||_{Vbar_{t-1}^{-1}}``.
4. Observe ``Y_t``; rank-one updates:
   Sherman-Morrison ``Vbar_t^{-1} = Vbar_{t-1}^{-1} - u u^T / (1 + X_t^T u)`` with
   ``u = Vbar_{t-1}^{-1} X_t``; matrix determinant lemma
   ``log det Vbar_t = log det Vbar_{t-1} + log(1 + X_t^T u)``; recursive least squares
   ``theta_hat_t = theta_hat_{t-1} + u (Y_t - <X_t, theta_hat_{t-1}>) / (1 + X_t^T u)``.
5. Every ``refactor_every`` rounds, recompute ``Vbar_t^{-1}``, ``log det Vbar_t`` and
   ``theta_hat_t`` exactly from a Cholesky factor of ``Vbar_t`` (kept alongside) so that
   rounding in the rank-one updates cannot drift.

The per-arm means ``<x_a, theta_hat>`` and squared widths ``||x_a||^2_{Vbar^{-1}}`` are kept
for all arms and updated with the same rank-one terms (``z = D u``: means ``+= z * residual /
(1 + X^T u)``, widths ``-= z^2 / (1 + X^T u)``), so a round costs O(K d + d^2), not O(K d^2).

Theorem 3 (regret, with ``lambda >= max(1, L^2)`` and ``|<x, theta*>| <= 1``):
``R_n <= 4 sqrt(n d log(lambda + n L^2 / d)) (lambda^{1/2} S + R sqrt(2 log(1/delta)
+ d log(1 + n L^2 / (lambda d))))`` with probability ``>= 1 - delta`` (see
:func:`oful_regret_bound`).

Where each step is implemented
------------------------------
In :func:`_oful_kernel`: step 2 is the line computing ``radius``, step 3 the loop over arms,
step 4 the block after the reward draw (``u``, ``denominator``, ``log_det_ratio``, ``V_inv``,
``theta_hat``, ``estimates``, ``widths2``), step 5 the ``refactor_every`` branch calling
:func:`_refactor`. Step 1 is the state those updates maintain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms._validation import check_refactor_every
from algorithms.bandits._common import (
    build_trace,
    check_budget,
    check_positive,
    kernel_array,
    timed,
    warm_up,
)
from mdptheory._kernels import cholesky_inverse, matvec_into
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike, as_generator


@njit(cache=True)
def sherman_morrison_update(V_inv: np.ndarray, x: np.ndarray) -> float:
    """Replace ``V_inv`` by ``(V + x x^T)^{-1}`` in place; return ``log(1 + x^T V^{-1} x)``.

    The returned value is the increment of ``log det V`` (matrix determinant lemma).

    Examples
    --------
    >>> V_inv = np.eye(2)
    >>> increment = sherman_morrison_update(V_inv, np.array([1.0, 0.0]))
    >>> float(V_inv[0, 0]), round(increment, 6)  # (1 + 1)^{-1}, log 2
    (0.5, 0.693147)
    """
    d = x.shape[0]
    u = V_inv @ x
    denominator = 1.0 + np.dot(x, u)
    for i in range(d):
        for j in range(d):
            V_inv[i, j] -= u[i] * u[j] / denominator
    return np.log(denominator)


@njit(cache=True)
def _refactor(V, b, arms, log_lambda_d):
    """Exact ``V^{-1}``, ``log det V - d log lambda``, ``theta_hat``, means and widths from V."""
    V_inv, log_det = cholesky_inverse(V)
    theta_hat = V_inv @ b
    estimates = arms @ theta_hat
    XV = arms @ V_inv
    K = arms.shape[0]
    widths2 = np.empty(K)
    for a in range(K):
        widths2[a] = np.dot(XV[a], arms[a])
    return V_inv, log_det - log_lambda_d, theta_hat, estimates, widths2


@njit(cache=True)
def _oful_kernel(
    arms,
    means,
    gaps,
    noise_std,
    budget,
    lambda_,
    log_inv_delta,
    S,
    R,
    refactor_every,
    record_confidence,
    theta_star,
    rng,
):
    K, d = arms.shape
    V = lambda_ * np.eye(d)
    V_inv = np.eye(d) / lambda_
    b = np.zeros(d)
    theta_hat = np.zeros(d)
    estimates = np.zeros(K)
    widths2 = np.empty(K)
    for a in range(K):
        widths2[a] = np.dot(arms[a], arms[a]) / lambda_
    # log det Vbar_t - log det(lambda I); 0 at t = 0.
    log_det_ratio = 0.0
    log_lambda_d = d * np.log(lambda_)
    sqrt_lambda_S = np.sqrt(lambda_) * S
    u = np.empty(d)
    chosen = np.empty(budget, dtype=np.int64)
    rewards = np.empty(budget)
    pseudo = np.empty(budget)
    radii = np.empty(budget if record_confidence else 0)
    errors = np.empty(budget if record_confidence else 0)
    for t in range(budget):
        # Step 2: sqrt(beta_{t-1}) of Theorem 2, with 2 log(det^{1/2} det^{-1/2} / delta)
        # = log det Vbar - d log lambda + 2 log(1 / delta).
        radius = R * np.sqrt(log_det_ratio + 2.0 * log_inv_delta) + sqrt_lambda_S
        if record_confidence:
            # Diagnostic only (theta* is never used for decisions): ||theta_hat - theta*||_V.
            diff = theta_hat - theta_star
            radii[t] = radius
            errors[t] = np.sqrt(max(np.dot(diff, V @ diff), 0.0))
        # Step 3: optimistic arm; ties go to the smaller arm.
        best = -np.inf
        a = 0
        for j in range(K):
            ucb = estimates[j] + radius * np.sqrt(max(widths2[j], 0.0))
            if ucb > best:
                best = ucb
                a = j
        x = arms[a]
        y = means[a] + noise_std * rng.standard_normal() if noise_std > 0.0 else means[a]
        # Step 4: rank-one updates of V^{-1}, log det V, theta_hat, means and widths.
        # Explicit loops: at the small d of bandit problems a BLAS call costs more than the
        # arithmetic it does.
        matvec_into(V_inv, x, u)
        denominator = 1.0 + np.dot(x, u)
        log_det_ratio += np.log(denominator)
        residual = y - np.dot(x, theta_hat)
        for i in range(d):
            theta_hat[i] += u[i] * residual / denominator
            b[i] += y * x[i]
            for j in range(d):
                V_inv[i, j] -= u[i] * u[j] / denominator
                V[i, j] += x[i] * x[j]
        for k in range(K):
            z = 0.0
            for i in range(d):
                z += arms[k, i] * u[i]
            estimates[k] += z * residual / denominator
            widths2[k] -= z * z / denominator
        # Step 5: periodic exact refactorisation.
        if (t + 1) % refactor_every == 0:
            V_inv, log_det_ratio, theta_hat, estimates, widths2 = _refactor(
                V, b, arms, log_lambda_d
            )
        chosen[t] = a
        rewards[t] = y
        pseudo[t] = gaps[a]
    return chosen, rewards, pseudo, radii, errors


def oful_regret_bound(
    n: int | np.ndarray, d: int, lambda_: float, delta: float, S: float, L: float, R: float
) -> np.ndarray:
    """Theorem 3 of Abbasi-Yadkori et al. (2011), with ``n L^2 / d`` in both logarithms.

    ``R_n <= 4 sqrt(n d log(lambda + n L^2 / d)) (lambda^{1/2} S + R sqrt(2 log(1/delta)
    + d log(1 + n L^2 / (lambda d))))``, valid with probability ``>= 1 - delta`` when
    ``lambda >= max(1, L^2)`` and ``|<x, theta*>| <= 1`` on the arm set. (The paper prints
    ``n L / d``; the ``L^2`` form is the one its proof gives through the det-trace inequality.)

    Examples
    --------
    >>> bound = oful_regret_bound(10**6, d=2, lambda_=1.0, delta=0.01, S=1.0, L=1.0, R=1.0)
    >>> int(bound), bool(bound < 10**6)
    (142508, True)
    """
    n = np.asarray(n, dtype=np.float64)
    radius = math.sqrt(lambda_) * S + R * np.sqrt(
        2.0 * math.log(1.0 / delta) + d * np.log1p(n * L**2 / (lambda_ * d))
    )
    return 4.0 * np.sqrt(n * d * np.log(lambda_ + n * L**2 / d)) * radius


_DUMMY_ARMS = np.eye(2)
_DUMMY_VEC = np.array([0.5, 0.25])


@dataclass(frozen=True)
class OFUL:
    """OFUL with the confidence radius of Theorem 2 (Abbasi-Yadkori, Pál, Szepesvári 2011).

    Parameters
    ----------
    lambda_ : float, default 1.0
        Ridge parameter (``V = lambda I``). Theorem 3 needs ``lambda >= max(1, L^2)``; the
        metadata records whether that holds.
    delta : float, default 0.01
        Confidence level: the ellipsoids hold for all ``t`` with probability ``>= 1 - delta``.
    S : float, default 1.0
        Assumed bound on ``||theta*||_2``. The learner never looks at ``theta*``; the metadata
        records whether the model satisfies the bound.
    L : float, optional
        Bound on ``||x||_2`` over the arm set; ``None`` takes the largest arm norm (the arms
        are known to the learner). An arm longer than a given ``L`` raises ``ValueError``.
    R : float, optional
        Sub-Gaussian constant of the noise; ``None`` takes the model's ``noise_std`` (Gaussian
        noise with standard deviation ``sigma`` is ``sigma``-sub-Gaussian).
    refactor_every : int, default 1000
        Rounds between exact refactorisations of ``Vbar_t`` (step 5).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.bandits import LinearBandit
    >>> arms = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    >>> bandit = LinearBandit(arms, theta=np.array([0.6, 0.2]), noise_std=0.1)
    >>> trace = OFUL().run(bandit, budget=500, seed=0)
    >>> bool(trace.cumulative[-1] < 0.4 * 500)
    True
    """

    lambda_: float = 1.0
    delta: float = 0.01
    S: float = 1.0
    L: float | None = None
    R: float | None = None
    refactor_every: int = 1000

    def __post_init__(self) -> None:
        check_positive("lambda_", self.lambda_)
        check_positive("delta", self.delta)
        if not self.delta < 1.0:
            raise ValueError(f"delta must lie in (0, 1), got {self.delta!r}")
        check_positive("S", self.S, allow_zero=True)
        if self.L is not None:
            check_positive("L", self.L)
        if self.R is not None:
            check_positive("R", self.R, allow_zero=True)
        check_refactor_every(self.refactor_every)

    def resolved(self, model) -> tuple[float, float]:
        """``(L, R)`` used on ``model``: the given values, or the arm-norm maximum and the
        model's noise level."""
        norms = np.linalg.norm(np.asarray(model.arms, dtype=np.float64), axis=1)
        if self.L is None:
            L = float(norms.max())
        else:
            L = float(self.L)
            over = np.flatnonzero(norms > L * (1.0 + 1e-12))
            if over.size:
                a = int(over[0])
                raise ValueError(f"arm {a} has norm {norms[a]!r} > L={L!r}")
        R = float(model.noise_std) if self.R is None else float(self.R)
        return L, R

    def radius(self, log_det_ratio: float | np.ndarray, R: float) -> np.ndarray:
        """``sqrt(beta_t) = R sqrt(log det Vbar_t - d log lambda + 2 log(1/delta)) + sqrt(lambda)
        S`` (Theorem 2), given ``log det Vbar_t - d log lambda``."""
        ratio = np.asarray(log_det_ratio, dtype=np.float64)
        width = np.sqrt(ratio + 2.0 * math.log(1.0 / self.delta))
        return R * width + math.sqrt(self.lambda_) * self.S

    def run(
        self,
        model,
        budget: int,
        seed: SeedLike,
        *,
        record_policies: bool = False,
        record_confidence: bool = False,
    ) -> RegretTrace:
        """Play ``budget`` rounds on a linear bandit and return the exact regret trace.

        Parameters
        ----------
        model : mdptheory.bandits.LinearBandit
            Finite arm set ``arms`` (K, d), parameter ``theta`` and Gaussian noise
            ``noise_std``.
        budget : int
            Number of rounds ``T >= 1``.
        seed : int, SeedSequence or Generator
            Randomness of the reward noise.
        record_policies : bool, default False
            Keep the policy of every round, the pulled arm, in ``trace.extras["arms"]`` and the
            observed rewards in ``trace.extras["rewards"]``.
        record_confidence : bool, default False
            Keep ``extras["radius"][t] = sqrt(beta_{t-1})`` (the radius used at round ``t``)
            and ``extras["theta_error"][t] = ||theta_hat_{t-1} - theta*||_{Vbar_{t-1}}``, a
            diagnostic computed from the true ``theta*`` (never used by the learner). Theorem 2
            says ``theta_error <= radius`` at every round with probability ``>= 1 - delta``.

        Returns
        -------
        RegretTrace
            ``pseudo_regret[t] = max_a <x_a, theta*> - <X_t, theta*>`` exactly and
            ``realised_regret[t] = max_a <x_a, theta*> - Y_t``.
            ``episode_time`` is the wall time of the single compiled call spread evenly
            over the rounds.
        """
        from mdptheory.bandits import LinearBandit

        if not isinstance(model, LinearBandit):
            raise ValueError(
                f"OFUL needs a mdptheory.bandits.LinearBandit, got {type(model).__name__}"
            )
        budget = check_budget(budget)
        L, R = self.resolved(model)
        rng = as_generator(seed)
        arms = kernel_array(model.arms)
        means = kernel_array(model.means)
        gaps = kernel_array(model.gaps)
        theta = kernel_array(model.theta)
        noise_std = float(model.noise_std)
        log_inv_delta = math.log(1.0 / self.delta)
        warm_up(
            _oful_kernel,
            _DUMMY_ARMS,
            _DUMMY_VEC,
            _DUMMY_VEC,
            1.0,
            3,
            1.0,
            1.0,
            1.0,
            1.0,
            2,
            True,
            _DUMMY_VEC,
            np.random.default_rng(0),
        )
        (chosen, rewards, pseudo, radii, errors), seconds = timed(
            _oful_kernel,
            arms,
            means,
            gaps,
            noise_std,
            budget,
            float(self.lambda_),
            log_inv_delta,
            float(self.S),
            R,
            int(self.refactor_every),
            bool(record_confidence),
            theta,
            rng,
        )
        extras = {"radius": radii, "theta_error": errors} if record_confidence else None
        theta_norm = float(np.linalg.norm(theta))
        return build_trace(
            self,
            model,
            seed,
            budget,
            chosen,
            rewards,
            pseudo,
            float(model.optimal_mean),
            seconds,
            record_policies,
            extras,
            L=L,
            R=R,
            constants="paper",
            radius="Theorem 2 (determinant form)",
            # Unit-norm arms give L = 1 + 1 ulp after normalisation; compare up to rounding.
            theta_norm_within_S=theta_norm <= self.S * (1.0 + 1e-12),
            theorem3_lambda_condition=self.lambda_ >= max(1.0, L * L) * (1.0 - 1e-12),
        )
