r"""What a variance-weighted PEVI fit returns: :class:`VWPEVIResult`, PEVI's result for the
weighted fit plus the variance estimate, the exact variance of ``V*`` and the data-dependent
coverage ``sum_h E_{pi*} ||phi(s_h, a_h)||_{Sigma*_h^{-1}}`` of the LinPEVI-ADV+ / PNLSVI
bound, ``Sigma*_h = sum_D phi phi^T / max{floor, [Var_h V*_{h+1}]} + lam I``, exactly from
pi*'s occupancy on the twin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.offline.datasets import TransitionCounts
from algorithms.offline.pevi.result import PEVIResult
from mdptheory.evaluation import occupancy

__all__ = ["VWPEVIResult", "weighted_coverage"]


def weighted_coverage(
    features: np.ndarray,
    counts: np.ndarray,
    sigma2: np.ndarray,
    lam: float,
    d_star: np.ndarray,
) -> np.ndarray:
    """``E_{pi*} ||phi||_{Sigma_h^{-1}}`` per stage, ``Sigma_h = Phi^T diag(N_h / sigma2_h) Phi
    + lam I``; ``counts``, ``sigma2`` and the occupancy ``d_star`` have shape (H, S, A).

    Examples
    --------
    One-hot features: the width of a pair is ``sqrt(sigma2 / (N + lam sigma2))``.

    >>> import numpy as np
    >>> features = np.eye(2)                                  # S = 1, A = 2, d = 2
    >>> counts = np.array([[[4.0, 1.0]]])
    >>> sigma2 = np.array([[[4.0, 1.0]]])
    >>> d_star = np.array([[[1.0, 0.0]]])                     # pi* takes action 0
    >>> weighted_coverage(features, counts, sigma2, 0.0, d_star).tolist()
    [1.0]
    """
    H = counts.shape[0]
    d = features.shape[1]
    out = np.empty(H)
    for h in range(H):
        w = (counts[h] / sigma2[h]).ravel()
        gram = features.T @ (w[:, None] * features) + lam * np.eye(d)
        chol = np.linalg.cholesky(0.5 * (gram + gram.T))
        widths = np.sqrt((np.linalg.solve(chol, features.T) ** 2).sum(axis=0))
        out[h] = float(d_star[h].ravel() @ widths)
    return out


@dataclass(frozen=True)
class VWPEVIResult:
    """A variance-weighted PEVI fit, with exact quantities from the twin.

    Attributes
    ----------
    fit : PEVIResult
        The weighted fit: policy, ``V_hat``, ``Q_hat``, penalty ``beta ||phi||_{Sigma_h^{-1}}``
        (``widths`` are ``||phi||_{Sigma_h^{-1}}`` with the estimated weights), the exact
        sub-optimality, ``bound = 2 beta sum_h E_{pi*} ||phi||_{Sigma_h^{-1}}``, the good event
        and pessimism, as for PEVI.
    variance : ndarray, shape (H, S, A)
        The estimated ``sigma2_h(s, a)`` the regression was weighted by.
    true_variance : ndarray, shape (H, S, A)
        ``[Var_h V*_{h+1}](s, a)``, exact.
    coverage : ndarray, shape (H,)
        ``E_{pi*} ||phi(s_h, a_h)||_{Sigma*_h^{-1}}`` with the oracle weights
        ``1 / max{floor, [Var_h V*_{h+1}]}`` on the regression half: the variance-weighted
        coverage term of the bound.
    unweighted_coverage : ndarray, shape (H,)
        ``E_{pi*} ||phi||_{(Phi^T N_h Phi + lam I)^{-1}}`` on the same half (PEVI's term with
        this lam); with a floor of 1, ``coverage <= H unweighted_coverage``.
    n_regression, n_variance : float
        Episodes in the regression half D and the variance half D' (0: no variance half).
    split : str
    pilot_beta : float
        The penalty multiplier of the pilot PEVI on D'.
    """

    fit: PEVIResult
    variance: np.ndarray
    true_variance: np.ndarray
    coverage: np.ndarray
    unweighted_coverage: np.ndarray
    n_regression: float
    n_variance: float
    split: str
    pilot_beta: float

    def __post_init__(self) -> None:
        for name in ("variance", "true_variance", "coverage", "unweighted_coverage"):
            getattr(self, name).flags.writeable = False

    @property
    def suboptimality(self) -> float:
        """``V*_1(rho) - V^{pi_hat}_1(rho)``, exact."""
        return self.fit.suboptimality

    @property
    def policy(self) -> np.ndarray:
        return self.fit.policy

    @property
    def weighted_coverage(self) -> float:
        """``sum_h E_{pi*} ||phi||_{Sigma*_h^{-1}}``: the data-dependent bound's sum."""
        return float(self.coverage.sum())


def _coverage_terms(mdp, features, stats: TransitionCounts, true_var, floor, lam, pi_star):
    d_star = occupancy(mdp, pi_star)
    sigma_star = np.maximum(floor, true_var)
    counts = stats.counts
    weighted = weighted_coverage(features, counts, sigma_star, lam, d_star)
    plain = weighted_coverage(features, counts, np.ones_like(sigma_star), lam, d_star)
    return weighted, plain
