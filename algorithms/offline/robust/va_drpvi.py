r"""VA-DRPVI: variance-aware DRPVI for the d-rectangular linear DRMDP (Liu and Xu, 2024),
reconstructed.

The steps (``theory-wave2.md`` 3.2 says only "VA-DRPVI adds variance weighting" [M]; the
variance step follows the pattern of LinPEVI-ADV+, :mod:`algorithms.offline.vw_pevi.variance`,
so every step below is a reconstruction and no constant is verified)::

    D, D'      = even and odd episodes of the log (independent halves)
    V'_h       = DRPVI's pessimistic backward pass on D' (pilot scaling pilot_c)
    sigma2_h   = max{ floor, [phi^T b_2]_{[0, (H-h)^2]} - [phi^T b_1]_{[0, H-h]}^2 }
                 (ridge regressions of V'_{h+1}(s') and V'_{h+1}(s')^2 on phi over D')
    Lambda_h   = sum_{D} phi phi^T / sigma2_h + lam I
    nu_hat_h   = DRPVI's coordinate duals on the weighted ridge estimates
                 Lambda_h^{-1} sum_D phi f(s') / sigma2_h
    Gamma_h    = beta sum_i phi_i sqrt((Lambda_h^{-1})_ii),  beta = c sqrt(d zeta)

The weighted regressions are DRPVI's on counts divided by ``sigma2`` (every row of a stage
at (s, a) carries weight ``1 / sigma2_h(s, a)``), so the backward pass, its duals and the
exact robust evaluation are DRPVI's unchanged. The penalty drops DRPVI's factor ``H``: the
weights already normalise the target's variance, which lies in ``[floor, H^2]`` (the
``O~(sqrt d)`` of the variance-aware bound, [M]). With ``sigma2`` fixed to 1 and ``c`` replaced
by ``c H``, VA-DRPVI is DRPVI on the regression half.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from algorithms._validation import check_choice, check_positive
from algorithms.offline.datasets import OfflineDataset, TransitionCounts
from algorithms.offline.pevi import pevi_zeta
from algorithms.offline.pevi._validation import _check_linear_model, _statistics
from algorithms.offline.robust._common import backward, robust_beta
from algorithms.offline.robust.drpvi import DRPVI
from algorithms.offline.vw_pevi.variance import (
    SPLITS,
    estimate_variance,
    split_counts,
    weighted_counts,
)
from mdptheory.linear import LinearMDP
from mdptheory.robust.d_rectangular import check_d_rectangular

__all__ = ["VADRPVI", "va_beta", "variance_weighted_counts"]

PAPER = (
    "Liu and Xu (2024), VA-DRPVI for d-rectangular linear DRMDPs (variance-weighted DRPVI); "
    "reconstructed, the paper's text was not read"
)


def va_beta(d: int, H: int, K: float, xi: float, c: float) -> float:
    """``beta = c sqrt(d zeta)``, ``zeta = log(2 d H K / xi)``: DRPVI's
    :func:`~algorithms.offline.robust._common.robust_beta` without its factor ``H``.

    Examples
    --------
    >>> round(va_beta(4, 5, 1000, 0.05, 1.0) * 5, 9) == round(robust_beta(4, 5, 1000, 0.05, 1.0),
    ...     9)
    True
    """
    return c * math.sqrt(d * pevi_zeta(d, H, K, xi))


def variance_weighted_counts(regression: TransitionCounts, sigma2: np.ndarray) -> TransitionCounts:
    """The regression half's counts with every row at stage h and pair (s, a) weighted by
    ``1 / sigma2_h(s, a)``: DRPVI's ridge regressions on them are the weighted regressions
    ``Lambda_h = sum phi phi^T / sigma2 + lam I``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> stats = TransitionCounts(1, 2, 1, np.array([[[2.0, 4.0]]]), np.array([[[1.0, 2.0]]]),
    ...     sp.csr_array(np.array([[2.0], [4.0]])), 4.0)
    >>> variance_weighted_counts(stats, np.array([[[1.0, 4.0]]])).counts.tolist()
    [[[2.0, 1.0]]]
    """
    return weighted_counts(regression, sigma2)


@dataclass(frozen=True)
class VADRPVI(DRPVI):
    """VA-DRPVI (Liu and Xu 2024, reconstructed): DRPVI with variance-weighted ridge regression.

    Parameters
    ----------
    radius, divergence :
        As :class:`~algorithms.offline.robust.drpvi.DRPVI` (TV is the paper's setting for the
        variance-aware bound; KL and chi-square share the code).
    split : {"alternate", "none"}
        ``"alternate"`` (default): even episodes fit the robust value, odd episodes the
        variance; ``"none"``: both on all the data. :class:`TransitionCounts` (population
        moments, no noise) are used for both halves whatever ``split`` says.
    floor : float
        Lower clip of ``sigma2`` (1, for rewards in [0, 1]).
    pilot_c : float
        DRPVI's ``c`` (``beta = c sqrt(d) H sqrt(zeta)``) in the pilot value on ``D'``; 0
        (default) is the greedy pilot.
    c, xi, lam, behaviour, epsilon, exclude :
        Keyword-only, as for :class:`~algorithms.offline.robust._common.RobustOfflineLearner`;
        ``c`` scales ``beta = c sqrt(d zeta)`` (:func:`va_beta`).

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> from algorithms.offline.datasets import collect
    >>> model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=0)
    >>> result = VADRPVI(radius=0.2, c=0.05).fit(model, collect(model, "uniform", 2000, seed=1))
    >>> result.method, result.suboptimality >= 0
    ('VA-DRPVI-tv(rho=0.2) c=0.05', True)
    """

    split: Literal["alternate", "none"] = "alternate"
    floor: float = 1.0
    pilot_c: float = 0.0

    name = "VA-DRPVI"
    paper = PAPER

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.split, "split", SPLITS)
        check_positive("floor", self.floor)
        check_positive("pilot_c", self.pilot_c, allow_zero=True)

    def beta(self, model: LinearMDP, n_episodes: float) -> float:
        """``beta = c sqrt(d zeta)`` (:func:`va_beta`)."""
        return va_beta(model.d, model.H, float(n_episodes), self.xi, self.c)

    def transform_variance(self, sigma2: np.ndarray, H: int) -> np.ndarray:
        """The variances the regression divides by; the identity here (a hook for controls)."""
        return sigma2

    def variances(self, model: LinearMDP, data: OfflineDataset | TransitionCounts):
        """``(regression half, sigma2)``: the counts the value is fitted on and the estimated
        ``sigma2_h(s, a)``, shape (H, S, A), before :meth:`transform_variance`."""
        model, features = _check_linear_model(model, type(self).__name__)
        stats = _statistics(model.tabular(), data)
        if isinstance(data, TransitionCounts) or self.split == "none":
            regression, variance_half = stats, stats
        else:
            regression, variance_half = split_counts(data, "alternate")
        H = model.H
        if variance_half is None:
            # a log too short to reach every stage in its odd episodes: no variance information
            return regression, np.full((H, model.S, model.A), float(self.floor))
        pilot = robust_beta(model.d, H, variance_half.n_episodes, self.xi, self.pilot_c)
        V_pilot = backward(model, features, variance_half, self.lam, pilot, self._duals(model))[0]
        sigma2 = estimate_variance(
            features, variance_half, V_pilot, self.lam, self.floor, np.zeros(H)
        )
        return regression, sigma2

    def fit(self, model: LinearMDP, data: OfflineDataset | TransitionCounts):
        """Fit on ``data`` (split as :attr:`split` says); exact robust sub-optimality.

        Raises
        ------
        ValueError
            As :meth:`DRPVI.fit <algorithms.offline.robust._common.RobustOfflineLearner.fit>`,
            and when the even episodes of the log miss a stage.
        """
        model, features = _check_linear_model(model, type(self).__name__)
        check_d_rectangular(model)
        regression, sigma2 = self.variances(model, data)
        sigma2 = self.transform_variance(sigma2, model.H)
        stats = variance_weighted_counts(regression, sigma2)
        beta = self.beta(model, regression.n_episodes)
        fitted = backward(model, features, stats, self.lam, beta, self._duals(model))
        return self._result(model, fitted, beta, regression)
