r"""DRPVI: pessimistic value iteration for the d-rectangular linear DRMDP (Liu and Xu, 2024; the
set of Ma et al., 2022), the constrained baseline R2PVI is compared with, with TV, KL or
chi-square balls.

For KL and chi-square each coordinate dual is the ball's one-dimensional dual on the ridge
estimates of the factor's moments (:mod:`~algorithms.offline.robust._ball_duals`, reconstructed:
safeguarded Newton on the KL dual variable, the chi-square dual's shift in closed form). For TV
each coordinate dual is the TV ball's ``max_alpha { E_{mu^0_{h, i}}[min(V, alpha)] - rho (alpha
- min V) }`` with ``nu_{h, i}(alpha)`` estimated by ridge regression of ``[V_hat]_alpha`` on
``phi`` (``theory-wave2.md`` section 3.2 [M]); the maximum over ``alpha`` is over the atoms of
``V_hat`` (:func:`~algorithms.offline.robust._regression.tv_ball_dual`), a search over ``S``
levels per coordinate that the regularised TV dual of R2PVI does not need. Penalty ``Gamma_h =
beta sum_i phi_i sqrt((Lambda_h^{-1})_ii)``, the diagonal form, **not** ``beta
||phi||_{Lambda^{-1}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from algorithms._validation import check_positive
from algorithms.offline.robust._ball_duals import chi2_ball_dual, kl_ball_dual
from algorithms.offline.robust._common import RobustOfflineLearner
from algorithms.offline.robust._regression import tv_ball_dual
from mdptheory.robust import UncertaintySet

__all__ = ["DRPVI"]

PAPER = "Liu and Xu (2024), DRPVI for d-rectangular linear DRMDPs; set of Ma et al. (2022)"


@dataclass(frozen=True)
class DRPVI(RobustOfflineLearner):
    """DRPVI (Liu and Xu 2024): pessimistic VI for the d-rectangular ball of radius ``rho``.

    Parameters
    ----------
    radius : float
        ``rho >= 0`` of the ball ``D(mu_i || mu^0_{h, i}) <= rho`` of each factor.
    divergence : {"tv", "kl", "chi2"}
        ``D``: ``1/2 ||.||_1`` (the paper's), ``KL(mu_i || mu^0_{h, i})`` or Pearson's
        chi-square (both reconstructed, see :mod:`~algorithms.offline.robust._ball_duals`).
    c, xi, lam, behaviour, epsilon, exclude :
        Keyword-only, as for :class:`~algorithms.offline.robust._common.RobustOfflineLearner`.

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> from algorithms.offline.datasets import collect
    >>> model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=0)
    >>> result = DRPVI(radius=0.2, c=0.02).fit(model, collect(model, "uniform", 2000, seed=1))
    >>> result.uncertainty.label
    'tv(rho=0.2)'
    >>> DRPVI(radius=0.2, divergence="kl", c=0.02).fit(model, collect(model, "uniform", 2000,
    ...     seed=1)).uncertainty.label
    'kl(rho=0.2)'
    """

    radius: float = 0.1
    divergence: Literal["tv", "kl", "chi2"] = "tv"

    name = "DRPVI"
    paper = PAPER

    def __post_init__(self) -> None:
        check_positive("radius", self.radius, allow_zero=True)
        if self.divergence not in ("tv", "kl", "chi2"):
            raise ValueError(f"divergence must be 'tv', 'kl' or 'chi2', got {self.divergence!r}")
        self._check_common()

    @property
    def uncertainty(self) -> UncertaintySet:
        """``UncertaintySet(divergence, radius=radius)`` applied factor by factor."""
        return UncertaintySet(self.divergence, radius=float(self.radius))

    def _duals(self, model):
        rho = float(self.radius)
        if self.divergence == "kl":
            return lambda M, V, h: kl_ball_dual(M, V, rho)
        if self.divergence == "chi2":
            return lambda M, V, h: chi2_ball_dual(M, V, np.argsort(V, kind="stable"), rho)
        return lambda M, V, h: tv_ball_dual(M, V, rho)
