r"""The variance-weighted PEVI learner :class:`VWPEVI` (the linear specialisation of PNLSVI,
Di, Zhao, He, Gu, ICLR 2024; in the form of LinPEVI-ADV+, Xiong et al., ICLR 2023). The
algorithm, its constants and which code implements which step: :mod:`algorithms.offline.vw_pevi`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from algorithms._validation import check_choice, check_positive
from algorithms.offline.datasets import OfflineDataset, TransitionCounts
from algorithms.offline.pevi import PEVI, TUNED_C, pevi_beta, pevi_curves, pevi_zeta
from algorithms.offline.pevi._validation import _check_linear_model, _statistics
from algorithms.offline.pevi.backup import _backward, _linear_estimates
from algorithms.offline.pevi.result import _finish
from algorithms.offline.vw_pevi.result import VWPEVIResult, _coverage_terms
from algorithms.offline.vw_pevi.variance import (
    SPLITS,
    estimate_variance,
    pilot_values,
    split_counts,
    true_variance,
    weighted_counts,
)
from mdptheory.linear import LinearMDP
from mdptheory.regret import ConvergenceTrace
from mdptheory.seeding import SeedLike

__all__ = ["VWPEVI", "vw_beta"]

PAPER = (
    "Di, Zhao, He, Gu (ICLR 2024), PNLSVI, linear specialisation; Xiong et al. (ICLR 2023), "
    "arXiv:2205.15512, LinPEVI-ADV+ (as restated by the HYRULE paper, Alg. 3 and Lemma 2)"
)

PAPER_VW_C = 1.0
"""Default c in ``beta_2 = c sqrt(d zeta)``: the source states only ``beta_2 = O~(sqrt d)``."""


def vw_beta(d: int, H: int, K: float, xi: float, c: float = PAPER_VW_C) -> float:
    """``beta_2 = c sqrt(d zeta)``, ``zeta = log(2 d H K / xi)`` (PEVI's log, the ``O~(sqrt d)``
    of LinPEVI-ADV+).

    Examples
    --------
    >>> round(vw_beta(4, 5, 1000, 0.05) ** 2 / 4, 6) == round(pevi_zeta(4, 5, 1000, 0.05), 6)
    True
    """
    return c * math.sqrt(d * pevi_zeta(d, H, K, xi))


@dataclass(frozen=True)
class VWPEVI(PEVI):
    r"""Variance-weighted PEVI for linear MDPs (LinPEVI-ADV+ / linear PNLSVI).

    Parameters
    ----------
    c : float
        Constant in the penalty ``beta_2 = c sqrt(d zeta)``, ``zeta = log(2 d H K / xi)``;
        ``c = 1`` is the default (``"paper (c = 1)"``: the source gives only the order
        ``O~(sqrt d)``, unverified); ``c = 0`` is the weighted greedy fit.
    xi : float
        Confidence parameter in (0, 1).
    lam : float or None
        Ridge parameter; None (default) is the source's ``1 / H^2``.
    behaviour, epsilon, exclude
        As :class:`~algorithms.offline.pevi.PEVI`, used by :meth:`run` only.
    split : {"alternate", "none"}
        ``"alternate"`` (default): even episodes ``D`` fit the value, odd episodes ``D'`` the
        variance, so the weights are independent of the regression noise (the proofs need it);
        ``"none"`` uses all data for both (the pitfall; kept to compare).
    floor : float
        Lower clip of ``sigma2`` (the source's 1, for rewards in [0, 1]).
    offset_c : float
        Constant of the subtracted term ``offset_c d H^3 / sqrt(N' kappa_h)`` (``kappa_h`` the
        smallest eigenvalue of ``D'``'s feature covariance at stage h; the source's
        ``O~(d H^3 / sqrt(N kappa))``). Default 0: at any affordable ``N'`` the printed order
        exceeds ``H^2`` and would set every weight to the floor.
    pilot_c : float
        PEVI's c (``beta = c d H sqrt(zeta)``) in the pilot value ``V'`` on ``D'``; default
        :data:`~algorithms.offline.pevi.TUNED_C`.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> from algorithms.offline.datasets import collect
    >>> phi = np.eye(2).reshape(1, 2, 2)
    >>> model = LinearMDP(phi, np.ones((2, 1, 2)), theta=[[0.2, 0.8], [0.2, 0.8]])
    >>> result = VWPEVI(c=0.1).fit(model, collect(model, "uniform", 400, seed=0))
    >>> result.policy.tolist(), result.suboptimality, result.fit.good_event
    ([[1], [1]], 0.0, True)
    """

    c: float = PAPER_VW_C
    lam: float | None = None
    split: Literal["alternate", "none"] = "alternate"
    floor: float = 1.0
    offset_c: float = 0.0
    pilot_c: float = 0.0

    name = "VW-PEVI"
    control_name = "weighted greedy LSVI"
    algorithm = "LinPEVI-ADV+ (variance-weighted PEVI)"
    beta_formula = "beta_2 = c sqrt(d zeta), zeta = log(2 d H K / xi)"
    paper = PAPER
    paper_c = PAPER_VW_C

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.split, "split", SPLITS)
        check_positive("floor", self.floor)
        check_positive("offset_c", self.offset_c, allow_zero=True)
        check_positive("pilot_c", self.pilot_c, allow_zero=True)

    def _check_ridge(self) -> None:
        if self.lam is not None:
            check_positive("lam", self.lam)

    def ridge(self, H: int) -> float:
        """lam, or ``1 / H^2`` when unset."""
        return float(self.lam) if self.lam is not None else 1.0 / H**2

    def _beta(self, d: int, H: int, K: float) -> float:
        return vw_beta(d, H, K, self.xi, self.c)

    def transform_variance(self, sigma2: np.ndarray, H: int) -> np.ndarray:
        """The weights' variances as used; the identity here (a hook for planted defects)."""
        return sigma2

    def fit(
        self,
        model: LinearMDP,
        data: OfflineDataset | TransitionCounts,
        variance_data: OfflineDataset | TransitionCounts | None = None,
    ) -> VWPEVIResult:
        """Variance step on ``D'``, weighted pessimistic backup on ``D``; exact evaluation.

        Parameters
        ----------
        model : LinearMDP
            Features (``||phi|| <= 1``) and, through ``.tabular()``, the exact evaluation; the
            fit never reads ``mu`` or ``theta``.
        data : OfflineDataset or TransitionCounts
            The log. With ``variance_data`` None it is split as :attr:`split` says (counts
            cannot be split: pass ``variance_data`` or ``split="none"``).
        variance_data : OfflineDataset or TransitionCounts, optional
            ``D'`` given explicitly; ``data`` is then ``D`` whole.

        Returns
        -------
        VWPEVIResult

        Raises
        ------
        ValueError
            As :meth:`PEVI.fit`; or counts to split, or a log without episode indices.
        """
        model, features = _check_linear_model(model, type(self).__name__)
        mdp = model.tabular()
        H, d = model.H, model.d
        lam = self.ridge(H)
        if variance_data is not None:
            stats, var_stats = _statistics(mdp, data), _statistics(mdp, variance_data)
        elif isinstance(data, OfflineDataset):
            _statistics(mdp, data)
            stats, var_stats = split_counts(data, self.split)
        elif self.split == "none":
            stats = var_stats = _statistics(mdp, data)
        else:
            raise ValueError(
                "split='alternate' cannot split TransitionCounts; pass variance_data=... "
                "or split='none'"
            )
        S, A = mdp.S, mdp.A
        pilot_beta = 0.0
        if var_stats is None:
            sigma2 = np.full((H, S, A), float(self.floor))
            n_var = 0.0
        else:
            n_var = var_stats.n_episodes
            pilot_beta = pevi_beta(d, H, n_var, self.xi, self.pilot_c)
            V_pilot = pilot_values(features, var_stats, pilot_beta, lam)
            offset = self._offset(features, var_stats, d, H)
            sigma2 = estimate_variance(features, var_stats, V_pilot, lam, self.floor, offset)
        sigma2 = self.transform_variance(sigma2, H)
        wstats = weighted_counts(stats, sigma2)
        beta = self._beta(d, H, stats.n_episodes)
        gram, chol, widths2 = _linear_estimates(features, wstats, lam)
        fitted = _backward(wstats, beta, lam, features, chol, widths2)
        metadata = {
            "paper": PAPER,
            "constants": self.constants,
            "beta_formula": self.beta_formula,
            "clip": "[0, H - h + 1] (paper stages), [0, H - h] (code stages)",
            "split": self.split,
        }
        zeta = pevi_zeta(d, H, stats.n_episodes, self.xi)
        result = _finish(
            self.label,
            mdp,
            *fitted,
            gram,
            beta,
            lam,
            float(self.c),
            float(self.xi),
            zeta,
            stats.n_episodes,
            metadata,
        )
        V_star = np.vstack([result.optimal_values, np.zeros((1, S))])
        var_true = true_variance(mdp, V_star)
        coverage, plain = _coverage_terms(
            mdp, features, stats, var_true, self.floor, lam, result.optimal_policy
        )
        return VWPEVIResult(
            fit=result,
            variance=sigma2,
            true_variance=var_true,
            coverage=coverage,
            unweighted_coverage=plain,
            n_regression=stats.n_episodes,
            n_variance=n_var,
            split=self.split if variance_data is None else "given",
            pilot_beta=pilot_beta,
        )

    def _offset(self, features, var_stats, d, H):
        """``offset_c d H^3 / sqrt(N' kappa_h)`` per stage (zeros when ``offset_c = 0``)."""
        if self.offset_c == 0.0:
            return np.zeros(H)
        n = var_stats.n_episodes
        counts = var_stats.counts.reshape(H, -1)
        out = np.empty(H)
        for h in range(H):
            cov = features.T @ (counts[h, :, None] * features) / n
            kappa = max(float(np.linalg.eigvalsh(0.5 * (cov + cov.T))[0]), 1e-300)
            out[h] = self.offset_c * d * H**3 / math.sqrt(n * kappa)
        return out

    def expected_bound(self, model: Any, n_episodes) -> np.ndarray:
        raise NotImplementedError("VW-PEVI reports its data-dependent bound per fit")

    def reference_curve(self, model: Any, budget: int) -> None:
        """No plug-in theory line (the bound depends on the estimated weights)."""
        return None

    def run(self, model: Any, budget: int, seed: SeedLike) -> ConvergenceTrace:
        """Collect ``budget`` episodes with :attr:`behaviour` and fit on every prefix.

        ``gap[n - 1]`` is the exact sub-optimality of the fit on the first ``n`` episodes.
        ``extras`` (same prefixes, paired data): ``pevi_gap`` (PEVI with c =
        :data:`~algorithms.offline.pevi.TUNED_C`, lam = 1), ``coverage`` (``sum_h E_{pi*}
        ||phi||_{Sigma*_h^{-1}}``), ``bound``, ``good_event``, ``pessimistic`` and
        ``n_episodes``. Cost: one fit per prefix, O(budget (budget H + H (S A d^2 + d^3 +
        S^2 A))): meant for budgets up to a few thousand.

        Raises
        ------
        ValueError
            As :meth:`fit`, or for a budget that is not a positive int.
        """
        budget, behaviour, data = self._collect(model, budget, seed)
        grid = np.arange(1, budget + 1)
        gap = np.empty(budget)
        coverage = np.empty(budget)
        bound = np.empty(budget)
        event = np.empty(budget, dtype=bool)
        pessimistic = np.empty(budget, dtype=bool)
        for i, n in enumerate(grid):
            result = self.fit(model, data.first_episodes(int(n)))
            gap[i] = result.suboptimality
            coverage[i] = result.weighted_coverage
            bound[i] = result.fit.bound
            event[i] = result.fit.good_event
            pessimistic[i] = result.fit.pessimistic
        pevi = pevi_curves(model, data, grid, (PEVI(c=TUNED_C),))
        extras = {
            "pevi_gap": pevi.suboptimality[:, 0],
            "coverage": coverage,
            "bound": bound,
            "good_event": event,
            "pessimistic": pessimistic,
            "n_episodes": grid,
        }
        return ConvergenceTrace(gap, extras, self._run_metadata(model, seed, budget, behaviour))
