r"""R2PVI: robust regularised pessimistic value iteration on d-rectangular linear RRMDPs (Tang,
Liu, Xu, ICML 2025, arXiv:2411.18612), with the TV, KL and chi-square penalties.

Coordinate duals estimated by ridge regression (``theory.md`` section 4.2; the paper's
algorithm as the official code ``Simulated_Linear_MDP/algorithm.py`` implements it, [S]), with
``M_h`` the ridge operator of :mod:`algorithms.offline.robust._regression`:

* TV: ``nu_hat = M_h min{V_hat, min V_hat + lam}``;
* KL: ``nu_hat_i = -lam log max{ (M_h e^{-V_hat / lam})_i, e^{-H / lam} }``;
* chi-square: ``nu_hat_i = sup_alpha z_i(alpha) - (z2_i(alpha) - z_i(alpha)^2) / (4 lam)``,
  ``z = M_h [V_hat]_alpha``, ``z2 = M_h [V_hat]_alpha^2`` (the printed sup, solved exactly per
  interval; the official code calls a numerical minimiser instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from algorithms.offline.robust._common import RobustOfflineLearner
from algorithms.offline.robust._regression import chi2_penalty_dual
from mdptheory.robust import UncertaintySet

__all__ = ["R2PVI"]

PAPER = "Tang, Liu, Xu (ICML 2025), arXiv:2411.18612"


@dataclass(frozen=True)
class R2PVI(RobustOfflineLearner):
    r"""R2PVI (Tang, Liu, Xu, ICML 2025): regularised robust pessimistic VI, linear features.

    Parameters
    ----------
    divergence : {"tv", "kl", "chi2"}
        The f-divergence of the regulariser.
    penalty : float
        The regularisation weight lambda > 0 of ``inf_mu E_mu V + lambda D(mu || mu^0)`` (the
        code's ``Rho``); ``inf`` gives the nominal backup (then R2PVI is PEVI's regression with
        the diagonal penalty).
    c, xi, lam, behaviour, epsilon, exclude :
        Keyword-only, as for :class:`~algorithms.offline.robust._common.RobustOfflineLearner`.

    Notes
    -----
    Rewards are regressed from the log (``theta_hat_h = Lambda_h^{-1} Phi^T R_h``), as PEVI does,
    instead of being given; the paper and its code treat ``theta_h`` as known. With
    deterministic rewards in a linear MDP the two agree up to the ridge shrinkage.

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> from algorithms.offline.datasets import collect
    >>> model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=0)
    >>> data = collect(model, "uniform", 2000, seed=1)
    >>> result = R2PVI("kl", penalty=1.0, c=0.02).fit(model, data)
    >>> result.uncertainty.label, result.suboptimality >= -1e-12
    ('kl(lam=1)', True)
    """

    divergence: Literal["tv", "kl", "chi2"] = "kl"
    penalty: float = 1.0

    name = "R2PVI"
    paper = PAPER

    def __post_init__(self) -> None:
        if self.divergence not in ("tv", "kl", "chi2"):
            raise ValueError(f"divergence must be 'tv', 'kl' or 'chi2', got {self.divergence!r}")
        self.uncertainty  # noqa: B018 (validates the penalty)
        self._check_common()

    @property
    def uncertainty(self) -> UncertaintySet:
        """The regularised d-rectangular set ``UncertaintySet(divergence, penalty=penalty)``."""
        return UncertaintySet(self.divergence, penalty=float(self.penalty))

    def _duals(self, model):
        lam = float(self.penalty)
        H = float(model.H)
        kind = self.divergence
        if math.isinf(lam):
            return lambda M, V, h: M @ V
        if kind == "tv":
            return lambda M, V, h: M @ np.minimum(V, V.min() + lam)
        if kind == "kl":

            def kl(M, V, h):
                # shifted by min V so nothing underflows; the floor e^{-H/lam} shifts with it
                low = float(V.min())
                z = M @ np.exp(-(V - low) / lam)
                return low - lam * np.log(np.maximum(z, math.exp(-(H - low) / lam)))

            return kl

        def chi2(M, V, h):
            return chi2_penalty_dual(M, V, np.argsort(V, kind="stable"), lam)

        return chi2
