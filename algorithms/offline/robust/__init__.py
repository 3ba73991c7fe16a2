r"""Robust offline RL on d-rectangular linear MDPs: R2PVI and DRPVI, with exact robust
sub-optimality.

Papers
------
* C. Tang, Z. Liu, P. Xu, *Robust Offline Reinforcement Learning with Linearly Structured
  f-Divergence Regularization*, ICML 2025, arXiv:2411.18612 (R2PVI on the regularised
  d-rectangular robust MDP, TV, KL and chi-square penalties).
* Z. Liu, P. Xu, DRPVI for the d-rectangular linear DRMDP (2024), on the set of Ma et al.
  (2022): the constrained (ball) baseline.

Statements and constants are from ``theory.md`` 4.2 and ``theory-wave2.md`` 3.2, tagged [M]
(from memory, consistent with the official R2PVI code) or [S]; the papers' texts were not read.

Setting
-------
A linear MDP with simplex features and distribution factors, ``P^0_h(.|s, a) = sum_i phi_i(s,
a) mu^0_{h, i}``; offline data from the nominal kernel (PEVI's datasets). The learner sees
``phi`` and the log; the exact robust optimum and the robust value of its output policy come
from :mod:`mdptheory.robust.d_rectangular` on the known model.

Which code implements which step
--------------------------------
* :mod:`~algorithms.offline.robust._regression`: ``Lambda_h``, the ridge operator ``M_h =
  Lambda_h^{-1} Phi^T C_h``, ``theta_hat_h`` and ``diag(Lambda_h^{-1})``; the exact
  per-coordinate duals on estimated moments (chi-square penalty: compiled; TV ball: atoms).
* :mod:`~algorithms.offline.robust._common`: the backward pass (``w_h = theta_hat_h +
  nu_hat_h``, diagonal penalty, clip to ``[0, H - h + 1]``), :class:`RobustOfflineResult`
  (exact robust sub-optimality) and the ``run`` protocol.
* :mod:`~algorithms.offline.robust.r2pvi`: :class:`R2PVI` (the regularised duals).
* :mod:`~algorithms.offline.robust.drpvi`: :class:`DRPVI` (the TV ball dual).
* :mod:`~algorithms.offline.robust.va_drpvi`: :class:`VADRPVI` (DRPVI with variance-weighted
  ridge regression, reconstructed).
"""

from algorithms.offline.robust._common import RobustOfflineResult, robust_beta
from algorithms.offline.robust.drpvi import DRPVI
from algorithms.offline.robust.r2pvi import R2PVI
from algorithms.offline.robust.va_drpvi import VADRPVI

__all__ = ["DRPVI", "R2PVI", "VADRPVI", "RobustOfflineResult", "robust_beta"]
