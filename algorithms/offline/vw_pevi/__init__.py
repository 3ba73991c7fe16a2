r"""Variance-weighted PEVI: pessimistic value iteration with variance-weighted ridge regression,
exact sub-optimality and the variance-weighted coverage of its bound.

Papers
------
* Q. Di, H. Zhao, J. He, Q. Gu, *Pessimistic Nonlinear Least-Squares Value Iteration for
  Offline RL*, ICLR 2024 (PNLSVI); its linear specialisation is this algorithm.
* W. Xiong, H. Zhong, C. Shi, C. Shen, L. Wang, T. Zhang, *Nearly Minimax Optimal Offline RL
  with Linear Function Approximation*, ICLR 2023, arXiv:2205.15512 (LinPEVI-ADV+), as restated
  line by line by the HYRULE paper (Alg. 3, lines 21-28, and Lemma 2). Compare VAPVI (Yin,
  Duan, Wang, Wang, ICLR 2022, arXiv:2203.05804).

Only the abstracts and the restatement could be read (``theory-wave2.md`` 2.3, tags [S]/[M]):
the constants in ``beta_2 = O~(sqrt d)`` and in the variance offset ``O~(d H^3 / sqrt(N
kappa))`` are unverified, and the defaults below are labelled so.

Algorithm (code stages h = 0..H-1; paper stage h + 1)
-----------------------------------------------------
::

    (1) split the log: D (even episodes), D' (odd episodes)
    (2) V'      = PEVI on D' (pilot, beta = pilot_c d H sqrt(zeta'))
        beta_1  = ridge of V'_{h+1}(s') on phi over D',   beta_2 = ridge of V'_{h+1}(s')^2
        sigma2_h(s, a) = max{ floor, [phi^T beta_2]_{[0,(H-h)^2]} - [phi^T beta_1]^2_{[0,H-h]}
                              - offset_c d H^3 / sqrt(N' kappa_h) }
    (3) Sigma_h = sum_D phi phi^T / sigma2_h + lam I,      lam = 1 / H^2
        w_h     = Sigma_h^{-1} sum_D phi (r + V_hat_{h+1}(s')) / sigma2_h
    (4) Gamma_h = beta_2 ||phi||_{Sigma_h^{-1}},  beta_2 = c sqrt(d zeta), zeta = log(2dHK/xi)
        Q_hat_h = {phi^T w_h - Gamma_h}_{[0, H - h]},  pi_hat_h = argmax_a Q_hat_h

Guarantee [S]: for N large enough, ``SubOpt <~ sqrt(d) sum_h E_{pi*} ||phi||_{Sigma*_h^{-1}}``
with ``Sigma*_h = sum_D phi phi^T / max{1, [Var_h V*_{h+1}]} + lam I``. Every fit reports
this coverage term exactly (:attr:`VWPEVIResult.coverage`, pi*'s exact occupancy on the
twin), beside PEVI's unweighted term at the same lam; with floor 1 the weighted term is at
most H times the unweighted one.

Which code implements which step
--------------------------------
* :mod:`~algorithms.offline.vw_pevi.variance`: (1) ``split_counts`` (finite-state counts of
  each half, one ``bincount``), (2) ``pilot_values`` (PEVI's backup,
  :func:`algorithms.offline.pevi.backup._backward`) and ``estimate_variance``,
  ``weighted_counts`` (the counts divided by ``sigma2``), ``true_variance`` (exact).
* (3)-(4): PEVI's own aggregated fit (``_linear_estimates``, ``_backward``) on the weighted
  counts: a weighted ridge regression on a finite state space depends on the data only through
  ``sum_D phi phi^T / sigma2`` and ``sum_D phi (r + V(s')) / sigma2``, which are PEVI's
  statistics of the divided counts. A fit costs O(n + H (S A d^2 + d^3 + nnz)) twice (pilot
  and weighted backup), never a loop over samples.
* :mod:`~algorithms.offline.vw_pevi.result`: :class:`VWPEVIResult` (PEVI's
  :class:`~algorithms.offline.pevi.PEVIResult` of the weighted fit, with its exact
  sub-optimality, good event and pessimism, plus the variances and coverage terms).
* :mod:`~algorithms.offline.vw_pevi.learner`: :class:`VWPEVI` (``fit``, ``run`` for
  ``mdptheory run vw-pevi``).

Examples
--------
>>> import numpy as np
>>> from instances.linear import simplex_feature_linear_mdp
>>> from algorithms.offline.datasets import collect
>>> model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=0)
>>> result = VWPEVI(c=0.1).fit(model, collect(model, "uniform", 200, seed=1))
>>> bool(result.variance.min() >= 1.0), result.n_regression, result.n_variance
(True, 100.0, 100.0)
"""

from algorithms.offline.vw_pevi.learner import PAPER_VW_C, VWPEVI, vw_beta
from algorithms.offline.vw_pevi.result import VWPEVIResult, weighted_coverage
from algorithms.offline.vw_pevi.variance import SPLITS

__all__ = ["PAPER_VW_C", "SPLITS", "VWPEVI", "VWPEVIResult", "vw_beta", "weighted_coverage"]
