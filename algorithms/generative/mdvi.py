r"""MDVI with a generative model, tabular.

Paper
-----
T. Kozuno, W. Yang, N. Vieillard, T. Kitamura, Y. Tang, J. Mei, P. Ménard, M. G. Azar,
M. Valko, R. Munos, O. Pietquin, M. Geist, Cs. Szepesvári, *KL-Entropy-Regularized RL with a
Generative Model is Minimax Optimal* (arXiv:2205.14211, 2022), Algorithm 1; restated as the
tabular case of WLS-MDVI in Kitamura et al. (ICML 2023, arXiv:2305.13185). The recursion below
is as recalled in ``theory-wave2.md`` 7.6 [M]: not checked against the papers' text.

Setting
-------
Discounted MDP, S states, A actions, mean rewards in [0, 1], a generative model. Budget: the
total number of generative samples.

Algorithm
---------
With ``alpha = tau / (tau + kappa)`` (KL weight ``tau``, entropy weight ``kappa``) and
``beta = 1 / (tau + kappa)``; from ``s_0 = 0``, ``w_0 = w_{-1} = 0``, for ``k = 0..K-1``:

1. ``v_k = w_k - alpha w_{k-1}``;
2. draw ``M`` next states at every pair; ``q_{k+1}(s, a) = r(s, a) + gamma * mean_m v_k(s'_m)``;
3. ``s_{k+1} = q_{k+1} + alpha s_k``; ``w_{k+1}(s) = (1/beta) log sum_a exp(beta s_{k+1}(s, a))``
   (``max_a`` for ``beta = inf``);
4. ``pi_{k+1} ∝ exp(beta s_{k+1})`` (greedy for ``beta = inf``).

Output ``pi_K``. Defaults: ``alpha = gamma`` and ``beta = inf`` (the choice of the minimax
theorem, which recalls [M] ``O~(S A / ((1 - gamma)^3 eps^2))`` samples for small ``eps``),
``K = ceil(log(H^2 sqrt(budget)) / (1 - alpha))`` (``H = 1 / (1 - gamma)``: the bias
``alpha^K H`` stays below the sampling error) and ``M = floor(budget / (K S A))``.

Per-iteration complexity: ``O(S A M log S)`` for the draws (one inverse-CDF search each) and
``O(S A)`` for the update; the exact evaluation of each new policy for the trace (a linear solve,
``O(S^3)``) is bookkeeping, not part of the algorithm.

Which code implements which step
--------------------------------
:func:`algorithms.generative._mdvi.run_mdvi` steps 1 to 4 (the draws and their means in one
compiled pass, ``_sampled_moments``); :meth:`MDVI.run` the budget split and the trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms.generative._mdvi import (
    MDVIParameters,
    Recorder,
    policy_of,
    run_mdvi,
)
from mdptheory.regret import ConvergenceTrace
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["MDVI"]


@dataclass(frozen=True)
class MDVI(MDVIParameters):
    """Tabular KL- and entropy-regularised MDVI with a generative model (Kozuno et al. 2022).

    Parameters
    ----------
    alpha, beta, iterations
        As :class:`~algorithms.generative._mdvi.MDVIParameters`.

    Examples
    --------
    >>> from instances import garnet
    >>> mdp = garnet(S=6, A=2, branching=3, gamma=0.8, seed=0)
    >>> trace = MDVI().run(mdp, budget=20_000, seed=1)
    >>> int(trace.extras["iteration"][-1]) <= 20_000, bool(trace.gap[-1] >= 0)
    (True, True)
    """

    def run(self, model, budget: int, seed: SeedLike = 0) -> ConvergenceTrace:
        """Spend at most ``budget`` generative samples; the trace's entry ``k`` is the exact
        sub-optimality of ``pi_k`` at the samples spent so far (``extras["iteration"]``)."""
        budget, problem, alpha, K = self._start(model, budget, "MDVI", False)
        pairs = problem.S * problem.A
        M = budget // (K * pairs)
        if M < 1:
            raise ValueError(
                f"budget {budget} is below the {K * pairs} samples of one draw per pair in "
                f"each of the K = {K} iterations of MDVI"
            )
        recorder = Recorder(problem)
        s, _, spent = run_mdvi(problem, None, M, alpha, self.beta, K, as_generator(seed), recorder)
        return recorder.trace(
            {
                "learner": "MDVI",
                "alpha": alpha,
                "beta": self.beta,
                "K": K,
                "M": M,
                "spent": spent,
                "budget": budget,
            },
            policy_of(s, self.beta),
        )
