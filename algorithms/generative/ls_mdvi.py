r"""LS-MDVI: least-squares MDVI on a G-optimal design (linear MDPs, generative model).

Paper
-----
T. Kitamura, T. Kozuno, Y. Tang, N. Vieillard, M. Valko, W. Yang, J. Mei, P. Ménard,
M. G. Azar, R. Munos, O. Pietquin, M. Geist, Cs. Szepesvári, W. Kumagai, Y. Matsuo,
*Regularization and Variance-Weighted Regression Achieves Minimax Optimality in Linear MDPs:
Theory and Practice*, ICML 2023 (arXiv:2305.13185): WLS-MDVI (their Algorithm 1) with the
constant weight ``f = 1``. Only the abstract was read (``theory-wave2.md`` 7.6: [V] for the
claim, [M] for the recursion and the rates); the steps below are as recalled.

Setting
-------
Discounted linear MDP: ``P(s'|s, a) = phi(s, a) . mu(s')`` and ``r(s, a) = phi(s, a) . theta``
for features ``phi`` of dimension ``d`` (a model with ``.mdp`` and ``.phi``; a plain
``FiniteMDP`` gets one-hot features, ``d = S A``), mean rewards in [0, 1], a generative model.
Budget: total generative samples.

Algorithm
---------
1. Once: a G-optimal design ``rho`` on the feature set (Frank–Wolfe, ``g <= 1.01 d``;
   :mod:`mdptheory.optimal_design`) with support ``C``.
2. For ``k = 0..K-1``: ``v_k = w_k - alpha w_{k-1}``; at every ``y in C`` draw
   about ``rho(y) n`` next states (``n = floor(budget / K)`` per iteration, apportioned by
   largest remainders with at least one per point) and take the target
   ``r(y) + gamma * mean v_k(s')``; ``theta_{k+1}`` is the least-squares fit of the targets
   (each sample counted once); ``q_{k+1} = phi . theta_{k+1}``, ``s_{k+1} = q_{k+1} + alpha s_k``,
   ``w_{k+1} = max_a s_{k+1}`` (``beta = inf``) or its log-sum-exp.
3. Output ``pi_K``, greedy in ``s_K`` (softmax for finite ``beta``).

The least-squares error at every pair is at most ``sqrt(g / n)`` times the largest standard
deviation of ``v_k(s')``, of order ``1 / (1 - gamma)``: hence the recalled [M] rate
``O~(d / ((1 - gamma)^4 eps^2))``, a factor ``1 / (1 - gamma)`` above the minimax
``d / ((1 - gamma)^3 eps^2)`` that the variance weighting of VWLS-MDVI recovers.

Per-iteration complexity: ``O(n log S)`` draws, ``O(|C| d + d^2)`` for the solve (one
Cholesky factor of the design's Gram matrix for the whole run) and ``O(S A d)`` BLAS for the
predictions; once, the design (``O(S A d + d^2)`` per Frank–Wolfe step).

Which code implements which step
--------------------------------
:func:`algorithms.generative._mdvi.design_for` step 1, :func:`~algorithms.generative._mdvi.
regression_on` the counts and the factor, :func:`~algorithms.generative._mdvi.run_mdvi` step 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms.generative._mdvi import (
    MDVIParameters,
    Recorder,
    design_for,
    policy_of,
    regression_on,
    run_mdvi,
)
from mdptheory.regret import ConvergenceTrace
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["LSMDVI"]


@dataclass(frozen=True)
class LSMDVI(MDVIParameters):
    """Least-squares MDVI on a G-optimal design, unweighted (Kitamura et al. 2023, f = 1).

    Parameters
    ----------
    alpha, beta, iterations
        As :class:`~algorithms.generative._mdvi.MDVIParameters`.

    Examples
    --------
    >>> from instances.discounted_linear import discounted_linear_mdp
    >>> model = discounted_linear_mdp(S=8, A=2, d=3, gamma=0.8, seed=0)
    >>> trace = LSMDVI().run(model, budget=20_000, seed=1)
    >>> int(trace.extras["iteration"][-1]) <= 20_000, trace.metadata["design_points"] <= 6
    (True, True)
    """

    def run(self, model, budget: int, seed: SeedLike = 0) -> ConvergenceTrace:
        """Spend at most ``budget`` generative samples on the design; the trace's entry ``k``
        is the exact sub-optimality of ``pi_k`` at the samples spent so far."""
        budget, problem, alpha, K = self._start(model, budget, "LS-MDVI", True)
        design = design_for(problem.phi, None)
        per_iteration = budget // K
        regression = regression_on(problem.phi, design, None, per_iteration, "LS-MDVI")
        recorder = Recorder(problem)
        s, _, spent = run_mdvi(
            problem, regression, None, alpha, self.beta, K, as_generator(seed), recorder
        )
        return recorder.trace(
            {
                "learner": "LS-MDVI",
                "alpha": alpha,
                "beta": self.beta,
                "K": K,
                "per_iteration": per_iteration,
                "design_points": int(design.support.size),
                "design_g": design.g,
                "spent": spent,
                "budget": budget,
            },
            policy_of(s, self.beta),
        )
