r"""VWLS-MDVI: variance-weighted least-squares MDVI (linear MDPs, generative model).

Paper
-----
T. Kitamura, T. Kozuno, Y. Tang, N. Vieillard, M. Valko, W. Yang, J. Mei, P. Ménard,
M. G. Azar, R. Munos, O. Pietquin, M. Geist, Cs. Szepesvári, W. Kumagai, Y. Matsuo,
*Regularization and Variance-Weighted Regression Achieves Minimax Optimality in Linear MDPs:
Theory and Practice*, ICML 2023 (arXiv:2305.13185), Algorithm 2 (VWLS-MDVI) around Algorithm 1
(WLS-MDVI). Read: the abstract only ([V]: least squares weighted by the variance of an
estimated optimal value of the next state; G-optimal design; a weighted Kiefer–Wolfowitz
theorem; nearly minimax). The two-step weighting is from a review of the paper [S]; the
variance floor, the phase budgets and the rate ``O~(d / ((1 - gamma)^3 eps^2))`` are recalled
[M] and not checked against the paper's text.

Setting
-------
As :mod:`algorithms.generative.ls_mdvi`: a discounted linear MDP with features ``phi``, mean
rewards in [0, 1], a generative model, a budget of generative samples.

Algorithm
---------
With ``H = 1 / (1 - gamma)`` and the budget split ``N_1 + N_2 + N_3``:

1. **A sqrt(H)-accurate value.** LS-MDVI (unweighted design) with ``N_1`` samples; keep its
   value estimate ``v_hat = clip(v_K, 0, H)``.
2. **Its variance.** On the unweighted design, ``N_2`` fresh draws apportioned to the support;
   least squares of ``v_hat(s')`` and of ``v_hat(s')^2`` give ``P v_hat`` and
   ``P v_hat^2`` at every pair (exactly linear in ``phi`` in a linear MDP);
   ``sigma_hat^2 = clip(P v_hat^2, 0, H^2) - clip(P v_hat, 0, H)^2`` and the weight
   ``f^2 = max(sigma_hat^2, floor)``, ``floor = H`` by default [M].
3. **Weighted MDVI.** The G-optimal design of ``phi / f`` (weighted Kiefer–Wolfowitz: every
   ``||phi(y)||^2_{Lambda^-1} / f(y)^2 <= g``, ``Lambda = sum rho phi phi^T / f^2``), and WLS-MDVI
   with ``N_3`` samples (``floor(N_3 / K)`` per iteration): each sample of ``y`` weighs
   ``1 / f(y)^2`` in the least squares, so the
   error at ``y`` scales with the standard deviation at ``y`` rather than with the largest one.
   Output its ``pi_K``.

The budget split (``first_share``, ``variance_share``, the rest to step 3) stands in for the
paper's per-phase sample sizes, which it sets from ``eps`` and ``delta``.

Per-iteration complexity: as LS-MDVI, ``O(n log S + |C| d + S A d)`` for ``n`` samples per
iteration in steps 1 and 3;
step 2 is one such pass; two designs (``O(S A d + d^2)`` per Frank–Wolfe step).

Which code implements which step
--------------------------------
:meth:`VWLSMDVI.run`: step 1 through :func:`~algorithms.generative._mdvi.run_mdvi` on the
unweighted regression, step 2 in :func:`variance_weights`, step 3 through ``run_mdvi`` on
:func:`~algorithms.generative._mdvi.regression_on` the weighted design.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.generative._mdvi import (
    GenerativeProblem,
    MDVIParameters,
    Recorder,
    Regression,
    design_for,
    policy_of,
    regression_on,
    run_mdvi,
    sample_moments,
)
from mdptheory._validation import check_real
from mdptheory.regret import ConvergenceTrace
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["VWLSMDVI", "variance_weights"]


def variance_weights(
    problem: GenerativeProblem, regression: Regression, v_hat: np.ndarray, floor: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Step 2: ``(sigma_hat^2, f)`` at every pair from one pass of draws on ``regression``'s
    design (its counts), ``f = sqrt(max(sigma_hat^2, floor))``."""
    H = problem.horizon
    mean, mean_square = sample_moments(problem, regression.pairs, regression.counts, v_hat, rng)
    first = np.clip(regression.predict(problem.phi, mean), 0.0, H)
    second = np.clip(regression.predict(problem.phi, mean_square), 0.0, H * H)
    variance = np.maximum(second - first**2, 0.0)
    return variance, np.sqrt(np.maximum(variance, floor))


@dataclass(frozen=True)
class VWLSMDVI(MDVIParameters):
    """Variance-weighted least-squares MDVI (Kitamura et al. 2023): LS-MDVI, a variance
    estimate of its value, then MDVI on the variance-weighted design.

    Parameters
    ----------
    alpha, beta, iterations
        As :class:`~algorithms.generative._mdvi.MDVIParameters` (``K`` is that of steps 1
        and 3).
    first_share, variance_share : float
        Fractions of the budget for steps 1 and 2 (the rest goes to step 3).
    variance_floor : float or None
        Lower clip of ``sigma_hat^2``; ``None`` is ``H = 1 / (1 - gamma)`` [M].

    Examples
    --------
    >>> from instances.discounted_linear import discounted_linear_mdp
    >>> model = discounted_linear_mdp(S=8, A=2, d=3, gamma=0.8, seed=0)
    >>> trace = VWLSMDVI().run(model, budget=50_000, seed=1)
    >>> sorted(set(trace.extras["phase"].tolist())), int(trace.extras["iteration"][-1]) <= 50_000
    ([1.0, 2.0, 3.0], True)
    """

    first_share: float = 0.3
    variance_share: float = 0.1
    variance_floor: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_real(self.first_share, "first_share", 0.0, 1.0, low_open=True, high_open=True)
        check_real(self.variance_share, "variance_share", 0.0, 1.0, low_open=True, high_open=True)
        if self.first_share + self.variance_share >= 1.0:
            raise ValueError(
                f"first_share + variance_share must be < 1 (step 3 needs samples), got "
                f"{self.first_share} + {self.variance_share}"
            )
        if self.variance_floor is not None:
            check_real(self.variance_floor, "variance_floor", 0.0, low_open=True)

    def run(self, model, budget: int, seed: SeedLike = 0) -> ConvergenceTrace:
        """Spend at most ``budget`` generative samples in three steps; the trace's entry ``k``
        is the exact sub-optimality of the current policy (step 1's, then step 3's) at the
        samples spent so far, ``extras["phase"]`` the step."""
        budget, problem, alpha, K = self._start(model, budget, "VWLS-MDVI", True)
        H = problem.horizon
        floor = H if self.variance_floor is None else float(self.variance_floor)
        rng = as_generator(seed)
        first = int(self.first_share * budget)
        second = int(self.variance_share * budget)
        third = budget - first - second
        plain = design_for(problem.phi, None)
        n1, n3 = first // K, third // K
        step1 = regression_on(problem.phi, plain, None, n1, "VWLS-MDVI step 1")
        step2 = regression_on(problem.phi, plain, None, second, "VWLS-MDVI step 2")
        recorder = Recorder(problem)
        s, v, spent = run_mdvi(problem, step1, None, alpha, self.beta, K, rng, recorder, phase=1)
        v_hat = np.clip(v, 0.0, H)
        variance, f = variance_weights(problem, step2, v_hat, floor, rng)
        spent += int(step2.counts.sum())
        recorder.record(spent, policy_of(s, self.beta), v, phase=2)
        weighted = design_for(problem.phi, f)
        step3 = regression_on(problem.phi, weighted, f, n3, "VWLS-MDVI step 3")
        s, _, spent = run_mdvi(
            problem, step3, None, alpha, self.beta, K, rng, recorder, spent=spent, phase=3
        )
        return recorder.trace(
            {
                "learner": "VWLS-MDVI",
                "alpha": alpha,
                "beta": self.beta,
                "K": K,
                "per_iteration": [n1, second, n3],
                "variance_floor": floor,
                "design_points": [int(plain.support.size), int(weighted.support.size)],
                "design_g": [plain.g, weighted.g],
                "spent": spent,
                "budget": budget,
            },
            policy_of(s, self.beta),
            {"sigma2_hat": variance, "weight_f": f},
        )
