r"""PEVI: pessimistic value iteration for offline RL, linear and tabular, with exact sub-optimality.

Paper
-----
Y. Jin, Z. Yang, Z. Wang, *Is Pessimism Provably Efficient for Offline RL?*, ICML 2021,
arXiv:2012.15085. Algorithm 1 (PEVI, general), Algorithm 2 (PEVI for linear MDPs), the general
sub-optimality bound (cited as Theorem 4.2: on the event that the penalties are
xi-uncertainty quantifiers, ``SubOpt <= 2 sum_h E_{pi*}[Gamma_h]``) and its linear
specialisation with ``lambda = 1``, ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``.
The statement numbers are as recalled and not verified against the published text;
``docs/offline.md`` says what could and could not be verified.

Setting
-------
Episodic MDP, H stages, finite S and A, rewards in [0, 1]. A fixed dataset of K trajectories
(or any log with at least one transition per stage) collected by a behaviour the learner does
not know. Linear MDP (Jin et al. 2020, Assumption A): ``P_h(s'|s, a) = phi(s, a) . mu_h(s')``,
``r_h(s, a) = phi(s, a) . theta_h``, ``||phi|| <= 1``. The learner sees ``phi`` and the data,
never ``mu`` or ``theta``; rewards are learned from the logged ones. Sub-optimality
``SubOpt(pi; rho) = V*_1(rho) - V^pi_1(rho)``. **Stages**: the paper's ``h = 1..H`` are
``h = 0..H-1`` here, so the paper's clip ``H - h + 1`` is ``H - h`` in code and
``V_hat_{H+1} = 0`` is ``V[H] = 0``.

Update (Algorithm 2, for h = H, ..., 1; step labels ours)
---------------------------------------------------------
::

    (a) Lambda_h  = sum_tau phi_h^tau (phi_h^tau)^T + lambda I
    (b) w_h       = Lambda_h^{-1} sum_tau phi_h^tau ( r_h^tau + V_hat_{h+1}(x_{h+1}^tau) )
    (c) Gamma_h   = beta ( phi(x, a)^T Lambda_h^{-1} phi(x, a) )^{1/2}
    (d) Q_bar_h   = phi(x, a)^T w_h - Gamma_h(x, a)
    (e) Q_hat_h   = min{ Q_bar_h, H - h + 1 }^+
    (f) pi_hat_h  = argmax_a Q_hat_h(x, a)          (g) V_hat_h = max_a Q_hat_h(x, a)

with ``phi_h^tau = phi(x_h^tau, a_h^tau)``. The bound the result reports is the right-hand side
``2 beta sum_h E_{pi*}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]``, computed exactly from pi*'s
occupancy on the tabular twin.

Finite-state aggregation (why fitting is O(n + H S A d^2))
----------------------------------------------------------
On a finite state space the data enter (a) and (b) only through the counts of
:meth:`~algorithms.offline.datasets.OfflineDataset.aggregate`: with ``Phi`` the (S A, d)
feature matrix, ``N_h`` the visit counts, ``R_h`` the reward sums and ``C_h`` the sparse
(S A, S) next-state counts,

    Lambda_h = Phi^T diag(N_h) Phi + lambda I,     sum_tau phi_tau (r_tau + V(x'_tau)) =
    Phi^T (R_h + C_h V).

Aggregation is one ``bincount`` (O(n)); a fit then costs O(H (S A d^2 + d^3 + nnz(C_h))) and
never loops over samples. :func:`pevi_curves` computes the fits for every prefix of a log in one
compiled call (rank-one additions to ``Lambda_h``, next-state-aggregated targets), so a whole
sub-optimality-versus-n curve costs one pass over the data plus one fit per grid point.

Which code implements which step
--------------------------------
* :mod:`~algorithms.offline.pevi.penalty`: ``beta = c d H sqrt(zeta)`` of (c) and its
  constants.
* :mod:`~algorithms.offline.pevi.backup`: ``_linear_estimates``: (a) ``gram = Phi^T (N_h Phi)
  + lam I``; the squared widths ``phi^T Lambda_h^{-1} phi`` used by (c). ``_backward``: per
  stage, the target of (b) ``Phi^T (R_h + C_h V_hat_{h+1})`` (tabular: no ``Phi``), ``w_h``
  by the Cholesky factor (b), ``Gamma_h`` (c), ``Q_bar`` (d), the clip to ``[0, H - h]`` (e,
  code stages) and ``V_hat_h = max_a Q_hat_h`` (g). ``_greedy_stage``: (d)-(g) for one stage
  inside the compiled prefix curves.
* :mod:`~algorithms.offline.pevi.result`: ``_finish``: the first maximiser of ``Q_hat`` (f),
  exact ``V^{pi_hat}`` (:func:`mdptheory._kernels.evaluate_deterministic_kernel`), ``V*`` and
  pi* (:func:`mdptheory._kernels.backward_induction_kernel`), the bound from pi*'s exact
  occupancy, and the good event ``|phi^T w_h - (r_h + P_h V_hat_{h+1})| <= Gamma_h`` for
  every (h, s, a), checked against the true model; :class:`PEVIResult` holds them.
* :mod:`~algorithms.offline.pevi.curves`: ``_linear_prefix_kernel`` /
  ``_tabular_prefix_kernel``: the same steps inside one ``@njit`` loop over the grid of
  prefixes (``_evaluate_and_check`` the exact evaluation, the good event and pessimism).
* :mod:`~algorithms.offline.pevi.learner`: ``PEVI.run``, the ``mdptheory run`` protocol
  (collect, then :func:`pevi_curves` on every prefix); ``PEVI.expected_bound``: the bound at
  ``E[Lambda_h]``, exactly. :mod:`~algorithms.offline.pevi.greedy`: the control
  :class:`GreedyLSVI`.
* :mod:`~algorithms.offline.pevi._validation`: the input checks.

Algorithms and constants
------------------------
* :class:`PEVI`: Algorithm 2. ``lambda = 1`` and ``xi = 0.05`` by default. The paper's c is an
  unspecified absolute constant; ``c = 1`` is the default (``constants = "paper (c = 1)"``)
  and any other ``c > 0`` is the named tuned scaling ``"scaled (c = ...)"``.
  :data:`TUNED_C` is the scaling the checks and docs use.
* :class:`GreedyLSVI`: the control, the same regression with ``beta = 0`` (still clipped to
  ``[0, H - h + 1]``): greedy least-squares value iteration.
* :class:`TabularPEVI`: Jin et al.'s tabular specialisation (Algorithm 2 with one-hot features,
  ``d = S A``): ``Lambda_h`` is diagonal with entries ``N_h(s, a) + lambda``, so
  ``phi^T w_h = (R_h(s, a) + sum_s' N_h(s, a, s') V_hat(s')) / (N_h(s, a) + lambda)`` and the
  count-based penalty is ``Gamma_h = beta / sqrt(N_h(s, a) + lambda)``, ``beta = c S A H
  sqrt(zeta)``. It equals :class:`PEVI` on ``instances.linear.tabular_as_linear`` up to
  rounding (tested) at O(H S A S) per fit. (Rashidinejad et al.'s VI-LCB, NeurIPS 2021, uses a
  penalty of the same ``1 / sqrt(N)`` form with its own constants and data splitting; that
  variant is not implemented here.) ``c = 0`` gives greedy tabular VI.
"""

from algorithms.offline.pevi._validation import FEATURE_NORM_TOL as FEATURE_NORM_TOL
from algorithms.offline.pevi.curves import OfflineCurves, pevi_curves
from algorithms.offline.pevi.greedy import GreedyLSVI
from algorithms.offline.pevi.learner import BEHAVIOURS as BEHAVIOURS
from algorithms.offline.pevi.learner import PEVI, TabularPEVI
from algorithms.offline.pevi.penalty import LAMBDA, PAPER_C, TUNED_C, XI, pevi_beta, pevi_zeta
from algorithms.offline.pevi.result import EVENT_TOL as EVENT_TOL
from algorithms.offline.pevi.result import PEVIResult

__all__ = [
    "LAMBDA",
    "PAPER_C",
    "PEVI",
    "TUNED_C",
    "XI",
    "GreedyLSVI",
    "OfflineCurves",
    "PEVIResult",
    "TabularPEVI",
    "pevi_beta",
    "pevi_curves",
    "pevi_zeta",
]
