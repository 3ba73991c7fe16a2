r"""What R2PVI and DRPVI share: the pessimistic backward pass on coordinate duals, the
diagonal penalty, the exact robust evaluation of the output policy, and the learner protocol.

Backward pass (code stages ``h = H-1..0``; the paper's clip ``H - h + 1`` is ``H - h`` here)::

    nu_hat_h    = coordinate duals estimated by ridge regression on phi (learner-specific)
    w_h         = theta_hat_h + nu_hat_h
    Gamma_h     = beta sum_i phi_i(s, a) sqrt((Lambda_h^{-1})_ii)
    Q_hat_h     = min{ phi(s, a) . w_h - Gamma_h(s, a), H - h }^+
    pi_hat_h    = argmax_a Q_hat_h,   V_hat_h = max_a Q_hat_h
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from algorithms._constants import scale_constants
from algorithms.offline.datasets import OfflineDataset, TransitionCounts
from algorithms.offline.pevi import PEVI
from algorithms.offline.pevi._validation import _check_linear_model, _statistics
from algorithms.offline.pevi.learner import offline_trace_metadata
from algorithms.offline.robust._regression import stage_regressions
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP
from mdptheory.regret import ConvergenceTrace
from mdptheory.robust import UncertaintySet, d_rectangular_evaluate, d_rectangular_solve
from mdptheory.robust.d_rectangular import check_d_rectangular
from mdptheory.seeding import SeedLike
from mdptheory.tabular import EpisodicMDP

RUN_POINTS = 24
"""Number of prefixes (geometric in n) that :meth:`run` fits."""


def robust_beta(d: int, H: int, K: float, xi: float, c: float) -> float:
    """``beta = c sqrt(d) H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``: the ``O~(sqrt(d) H)``
    order of Tang, Liu, Xu (2025) and Liu and Xu (2024) for TV [M]; its constant and the KL and
    chi-square multipliers (which grow with ``H / lam``) were not verified, so ``c`` is a named
    scaling.

    Examples
    --------
    >>> round(robust_beta(4, 5, 1000, 0.05, 1.0) / 10, 6) == round(math.sqrt(
    ...     math.log(2 * 4 * 5 * 1000 / 0.05)), 6)
    True
    """
    return c * math.sqrt(d) * H * math.sqrt(math.log(2.0 * d * H * K / xi))


@dataclass(frozen=True)
class RobustOfflineResult:
    """What an R2PVI or DRPVI fit returns, with exact robust quantities from the model.

    Attributes
    ----------
    method : str
    uncertainty : UncertaintySet
        The d-rectangular set the learner is robust against (a penalty for R2PVI, a TV ball
        for DRPVI).
    policy : ndarray of int64, shape (H, S)
    V_hat : ndarray, shape (H, S)
    Q_hat : ndarray, shape (H, S, A)
    estimate : ndarray, shape (H, S, A)
        ``phi . w_h`` before penalty and clip.
    penalty : ndarray, shape (H, S, A)
        ``Gamma_h = beta sum_i phi_i sqrt((Lambda_h^{-1})_ii)``.
    factor_estimates : ndarray, shape (H, d)
        ``nu_hat_h``, the estimated coordinate duals.
    weights : ndarray, shape (H, d)
        ``w_h = theta_hat_h + nu_hat_h``.
    beta, c, xi, lam : float
    n_episodes : float
    robust_value, robust_optimal_value, suboptimality : float
        ``V^{pi_hat}_rob(rho)``, ``V*_rob(rho)`` and their difference, exact (d-rectangular
        robust evaluation and backward induction on the known nominal model).
    nominal_suboptimality : float
        ``V*_1(rho) - V^{pi_hat}_1(rho)`` on the nominal kernel.
    estimated_value : float
        ``V_hat_1(rho)``.
    robust_uncertainty : ndarray, shape (H,)
        ``E^{pi*_rob, P_worst}[ sum_i phi_i sqrt((Lambda_h^{-1})_ii) ]`` per stage, with
        ``P_worst`` the worst kernel of the robust optimum: the paper's instance-dependent term
        at one robustly admissible kernel (a lower bound on its sup over them).
    bound : float
        ``2 beta sum_h robust_uncertainty[h]``, the bound's shape at that kernel.
    """

    method: str
    uncertainty: UncertaintySet
    policy: np.ndarray
    V_hat: np.ndarray
    Q_hat: np.ndarray
    estimate: np.ndarray
    penalty: np.ndarray
    factor_estimates: np.ndarray
    weights: np.ndarray
    beta: float
    c: float
    xi: float
    lam: float
    n_episodes: float
    robust_value: float
    robust_optimal_value: float
    suboptimality: float
    nominal_suboptimality: float
    estimated_value: float
    robust_uncertainty: np.ndarray
    bound: float


def backward(model: LinearMDP, features, stats, lam, beta, coordinate_duals):
    """The pessimistic backward pass; ``coordinate_duals(M, V_next, h)`` gives ``nu_hat_h``."""
    S, A, H, d = model.S, model.A, model.H, model.d
    regressions = stage_regressions(features, stats, lam)
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    estimate = np.empty((H, S, A))
    penalty = np.empty((H, S, A))
    nus = np.empty((H, d))
    weights = np.empty((H, d))
    widths = np.empty((H, d))
    for h in range(H - 1, -1, -1):
        reg = regressions[h]
        nus[h] = coordinate_duals(reg.M, V[h + 1], h)
        weights[h] = reg.theta_hat + nus[h]
        estimate[h] = (features @ weights[h]).reshape(S, A)
        widths[h] = np.sqrt(reg.inverse_diagonal)
        penalty[h] = beta * (features @ widths[h]).reshape(S, A)
        Q[h] = np.clip(estimate[h] - penalty[h], 0.0, float(H - h))
        V[h] = Q[h].max(axis=1)
    return V, Q, estimate, penalty, nus, weights, widths


NOMINAL = UncertaintySet("tv", radius=0.0)
_OPTIMA: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _optima(model: LinearMDP, uncertainty: UncertaintySet):
    """The exact robust optimum, the nominal optimum and the robust optimum's occupancy under
    its worst kernel, computed once per (model, set): every fit on a model shares them."""
    per_model = _OPTIMA.setdefault(model, {})
    if uncertainty not in per_model:
        best = d_rectangular_solve(model, uncertainty)
        nominal = d_rectangular_solve(model, NOMINAL)
        worst = EpisodicMDP(best.worst_kernel, model.R, model.H, initial=model.initial, tol=1e-8)
        per_model[uncertainty] = (best, nominal, occupancy(worst, best.policy))
    return per_model[uncertainty]


@dataclass(frozen=True, kw_only=True)
class RobustOfflineLearner:
    """Base of R2PVI and DRPVI: the shared hyperparameters, validation, fit, exact result and
    the ``run`` protocol. Subclasses add the set's parameters and define ``uncertainty`` and
    ``_duals``.

    Parameters
    ----------
    c : float
        Scaling in ``beta = c sqrt(d) H sqrt(log(2 d H K / xi))`` (``c = 1``: the paper's order
        with constant 1, not verified). ``c = 0``: no pessimism.
    xi : float
        Confidence parameter in (0, 1).
    lam : float
        Ridge parameter of ``Lambda_h`` (1 in the paper).
    behaviour, epsilon, exclude :
        Only used by :meth:`run`, as for :class:`~algorithms.offline.pevi.PEVI`.
    """

    c: float = 1.0
    xi: float = 0.05
    lam: float = 1.0
    behaviour: Literal["uniform", "epsilon_optimal"] = "uniform"
    epsilon: float = 0.5
    exclude: str = ""

    name = "robust offline"
    paper = ""

    def _check_common(self) -> None:
        # PEVI's constructor checks the same hyperparameters, naming the offending one
        self._pevi_twin()

    @property
    def constants(self) -> str:
        """``"paper order (c = 1)"``, ``"none (c = 0)"`` or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, "paper order (c = 1)", "none (c = 0)", 1.0)

    @property
    def label(self) -> str:
        """``R2PVI-kl(lam=1)``, ``DRPVI-tv(rho=0.1)``, with ``c`` when it is not 1."""
        base = f"{self.name}-{self.uncertainty.label}"
        return base if self.c == 1.0 else f"{base} c={self.c:g}"

    def _pevi_twin(self) -> PEVI:
        return PEVI(
            c=self.c,
            xi=self.xi,
            lam=self.lam,
            behaviour=self.behaviour,
            epsilon=self.epsilon,
            exclude=self.exclude,
        )

    @property
    def uncertainty(self) -> UncertaintySet:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def beta(self, model: LinearMDP, n_episodes: float) -> float:
        """``beta = c sqrt(d) H sqrt(log(2 d H K / xi))`` (:func:`robust_beta`)."""
        return robust_beta(model.d, model.H, float(n_episodes), self.xi, self.c)

    def fit(self, model: LinearMDP, data: OfflineDataset | TransitionCounts) -> RobustOfflineResult:
        """Fit on ``data``; exact robust sub-optimality of the output policy.

        Parameters
        ----------
        model : LinearMDP
            Simplex features and distribution factors (a d-rectangular linear MDP), rewards
            in [0, 1]. The fit reads only ``phi`` and the data; ``mu`` and ``theta`` are used
            for the exact evaluation alone.
        data : OfflineDataset or TransitionCounts

        Raises
        ------
        ValueError
            For a model that is not a d-rectangular linear MDP (naming the index), rewards
            outside [0, 1], or data of another (S, A, H).
        """
        model, features = _check_linear_model(model, type(self).__name__)
        check_d_rectangular(model)
        stats = _statistics(model.tabular(), data)
        beta = self.beta(model, stats.n_episodes)
        V, Q, estimate, penalty, nus, weights, widths = backward(
            model, features, stats, self.lam, beta, self._duals(model)
        )
        fitted = (V, Q, estimate, penalty, nus, weights, widths)
        return self._result(model, fitted, beta, stats)

    def _result(self, model, fitted, beta, stats) -> RobustOfflineResult:
        """Exact robust and nominal sub-optimality of the greedy policy of ``Q_hat``."""
        V, Q, estimate, penalty, nus, weights, widths = fitted
        policy = np.argmax(Q, axis=2).astype(np.int64)
        uncertainty = self.uncertainty
        best, nominal, d_star = _optima(model, uncertainty)
        mine = d_rectangular_evaluate(model, uncertainty, policy)
        nominal_mine = d_rectangular_evaluate(model, NOMINAL, policy)
        per_pair = np.einsum("sai,hi->hsa", model.phi, widths)
        robust_uncertainty = (d_star * per_pair).sum(axis=(1, 2))
        return RobustOfflineResult(
            method=self.label,
            uncertainty=uncertainty,
            policy=policy,
            V_hat=V[: model.H].copy(),
            Q_hat=Q,
            estimate=estimate,
            penalty=penalty,
            factor_estimates=nus,
            weights=weights,
            beta=float(beta),
            c=float(self.c),
            xi=float(self.xi),
            lam=float(self.lam),
            n_episodes=float(stats.n_episodes),
            robust_value=mine.value,
            robust_optimal_value=best.value,
            suboptimality=best.value - mine.value,
            nominal_suboptimality=nominal.value - nominal_mine.value,
            estimated_value=float(model.initial @ V[0]),
            robust_uncertainty=robust_uncertainty,
            bound=float(2.0 * beta * robust_uncertainty.sum()),
        )

    def run(self, model: Any, budget: int, seed: SeedLike) -> ConvergenceTrace:
        """Collect ``budget`` episodes with :attr:`behaviour` and fit on a geometric grid of
        prefixes (``RUN_POINTS`` of them, ending at ``budget``).

        ``gap`` is the exact robust sub-optimality at each prefix, ``extras["iteration"]`` the
        prefix sizes; ``extras`` also hold, on the same prefixes, ``pevi_robust_gap`` (PEVI with
        the same c, xi, lambda on the same data, measured in robust sub-optimality),
        ``nominal_gap``, ``bound`` and ``estimated_value``.
        """
        # the log PEVI collects for these hyperparameters, drawn the same way
        budget, behaviour, data = self._pevi_twin()._collect(model, budget, seed)
        grid = np.unique(np.round(np.geomspace(1, budget, RUN_POINTS)).astype(np.int64))
        pevi = PEVI(c=self.c, xi=self.xi, lam=self.lam)
        columns = {k: np.empty(grid.size) for k in ("gap", "pevi", "nominal", "bound", "value")}
        for k, n in enumerate(grid):
            prefix = data.first_episodes(int(n))
            result = self.fit(model, prefix)
            other = pevi.fit(model, prefix)
            robust_other = d_rectangular_evaluate(model, self.uncertainty, other.policy).value
            columns["gap"][k] = result.suboptimality
            columns["pevi"][k] = result.robust_optimal_value - robust_other
            columns["nominal"][k] = result.nominal_suboptimality
            columns["bound"][k] = result.bound
            columns["value"][k] = result.estimated_value
        extras = {
            "iteration": grid.astype(np.float64),
            "pevi_robust_gap": columns["pevi"],
            "nominal_gap": columns["nominal"],
            "bound": columns["bound"],
            "estimated_value": columns["value"],
        }
        metadata = offline_trace_metadata(
            self,
            model,
            seed,
            budget,
            behaviour,
            "robust sub-optimality V*_rob(rho) - V^pi_hat_rob(rho) after n episodes",
            uncertainty=self.uncertainty.label,
        )
        return ConvergenceTrace(columns["gap"], extras, metadata)
