r"""DRPVI: pessimistic value iteration for the d-rectangular TV-ball linear DRMDP (Liu and Xu,
2024; the set of Ma et al., 2022), the constrained baseline R2PVI is compared with.

Each coordinate dual is the TV ball's ``max_alpha { E_{mu^0_{h, i}}[min(V, alpha)] - rho (alpha -
min V) }`` with ``nu_{h, i}(alpha)`` estimated by ridge regression of ``[V_hat]_alpha`` on
``phi`` (``theory-wave2.md`` section 3.2 [M]); the maximum over ``alpha`` is over the atoms of
``V_hat`` (:func:`~algorithms.offline.robust._regression.tv_ball_dual`), a search over ``S``
levels per coordinate that the regularised TV dual of R2PVI does not need. Penalty
``Gamma_h = beta sum_i phi_i sqrt((Lambda_h^{-1})_ii)``, the diagonal form, **not**
``beta ||phi||_{Lambda^{-1}}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from algorithms._validation import check_positive
from algorithms.offline.robust._common import RobustOfflineLearner
from algorithms.offline.robust._regression import tv_ball_dual
from mdptheory.robust import UncertaintySet

__all__ = ["DRPVI"]

PAPER = "Liu and Xu (2024), DRPVI for d-rectangular linear DRMDPs; set of Ma et al. (2022)"


@dataclass(frozen=True)
class DRPVI(RobustOfflineLearner):
    """DRPVI (Liu and Xu 2024): pessimistic VI for the d-rectangular TV ball of radius ``rho``.

    Parameters
    ----------
    radius : float
        ``rho >= 0`` of the TV ball ``1/2 ||mu_i - mu^0_{h, i}||_1 <= rho`` of each factor.
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
    """

    radius: float = 0.1

    name = "DRPVI"
    paper = PAPER

    def __post_init__(self) -> None:
        check_positive("radius", self.radius, allow_zero=True)
        self._check_common()

    @property
    def uncertainty(self) -> UncertaintySet:
        """``UncertaintySet("tv", radius=radius)`` applied factor by factor."""
        return UncertaintySet("tv", radius=float(self.radius))

    def _duals(self, model):
        rho = float(self.radius)
        return lambda M, V, h: tv_ball_dual(M, V, rho)
