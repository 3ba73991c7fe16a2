r"""Coverage of a target policy by a behaviour, exactly from occupancy measures.

:func:`coverage` gives the single-policy concentrability
``C* = max_{h,s,a} d^{pi*}_h(s, a) / d^mu_h(s, a)`` (``inf`` when pi* reaches a pair the
behaviour never takes; Rashidinejad, Zhu, Ma, Jiao, Russell, NeurIPS 2021);
:func:`feature_uncertainty` gives ``E_{pi*}[||phi(s_h, a_h)||_{Lambda_h^{-1}}]`` per stage, the
feature coverage of pi* under ``Lambda_h`` that enters PEVI's bound (Jin, Yang, Wang, ICML
2021, Theorem 4.2 with Algorithm 2's penalty); :func:`expected_gram` is ``E[Lambda_h]`` under
the behaviour and :func:`relative_condition_number` the feature analogue of ``C*``. Occupancy
measures come from :func:`mdptheory.evaluation.occupancy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from algorithms.offline.datasets._validation import tabular_twin
from algorithms.offline.datasets.behaviour import Behaviour, _check_target, as_behaviour
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP

__all__ = [
    "Coverage",
    "coverage",
    "expected_gram",
    "feature_uncertainty",
    "relative_condition_number",
]


@dataclass(frozen=True)
class Coverage:
    """Exact single-policy coverage of a target policy by a behaviour.

    Attributes
    ----------
    concentrability : float
        ``C* = max_{h,s,a} d^{pi}_h(s, a) / d^mu_h(s, a)`` over the pairs the target visits;
        ``inf`` when the target reaches a pair the behaviour never takes.
    worst : tuple of int
        The ``(h, s, a)`` attaining the maximum.
    ratio : ndarray, shape (H, S, A)
        The ratio per triple: 0 where the target never goes, ``inf`` where only the target goes.
    target_occupancy, behaviour_occupancy : ndarray, shape (H, S, A)
        ``d^pi_h(s, a)`` and ``d^mu_h(s, a)`` (each stage sums to 1).
    uncovered : tuple of (h, s, a)
        Triples the target visits and the behaviour never takes.
    """

    concentrability: float
    worst: tuple[int, int, int]
    ratio: np.ndarray
    target_occupancy: np.ndarray
    behaviour_occupancy: np.ndarray
    uncovered: tuple[tuple[int, int, int], ...]

    @property
    def covers_target(self) -> bool:
        """True when every pair the target visits has positive behaviour probability."""
        return not self.uncovered


def coverage(model: Any, behaviour: Behaviour | np.ndarray | str, target=None) -> Coverage:
    """Single-policy concentrability ``C*`` of ``target`` (pi* by default) under ``behaviour``.

    Both occupancy measures are computed exactly by forward propagation on the twin, from the
    model's initial distribution. A zero is an exact zero (products of zero probabilities), so
    ``C* = inf`` exactly when the target reaches a pair the behaviour never takes.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> from algorithms.offline.datasets import partial_coverage_behaviour
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=1)
    >>> coverage(mdp, "uniform").concentrability
    2.0
    >>> cov = coverage(mdp, partial_coverage_behaviour(mdp, [(0, 0, 1)]))
    >>> cov.concentrability, cov.uncovered
    (inf, ((0, 0, 1),))
    """
    mdp = tabular_twin(model)
    mu = as_behaviour(mdp, behaviour)
    pi = _check_target(mdp, target)
    d_pi = occupancy(mdp, pi)
    d_mu = occupancy(mdp, mu.policy)
    ratio = np.zeros_like(d_pi)
    visited = d_pi > 0
    taken = d_mu > 0
    both = visited & taken
    ratio[both] = d_pi[both] / d_mu[both]
    ratio[visited & ~taken] = np.inf
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), ratio.shape))
    uncovered = tuple(tuple(int(i) for i in idx) for idx in np.argwhere(visited & ~taken))
    for array in (ratio, d_pi, d_mu):
        array.flags.writeable = False
    return Coverage(float(ratio[worst]), worst, ratio, d_pi, d_mu, uncovered)


def _check_linear(model: Any, name: str) -> LinearMDP:
    if not isinstance(model, LinearMDP):
        raise ValueError(f"{name} needs a LinearMDP (features phi), got {type(model).__name__}")
    return model


def expected_gram(
    model: LinearMDP, behaviour: Behaviour | np.ndarray | str, n_episodes: float, lam: float = 1.0
) -> np.ndarray:
    """``E[Lambda_h] = n sum_{s,a} d^mu_h(s, a) phi(s, a) phi(s, a)^T + lam I``, shape (H, d, d).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> model = LinearMDP(np.eye(2).reshape(1, 2, 2), np.full((1, 1, 2), 1.0), [[0.0, 1.0]])
    >>> expected_gram(model, "uniform", 10).tolist()
    [[[6.0, 0.0], [0.0, 6.0]]]
    """
    model = _check_linear(model, "expected_gram")
    n_episodes = float(n_episodes)
    lam = float(lam)
    if not (np.isfinite(n_episodes) and n_episodes >= 0 and np.isfinite(lam) and lam >= 0):
        raise ValueError(f"need n_episodes >= 0 and lam >= 0, got {n_episodes!r}, {lam!r}")
    d_mu = occupancy(model.tabular(), as_behaviour(model, behaviour).policy)
    phi = model.phi.reshape(model.S * model.A, model.d)
    weights = d_mu.reshape(model.H, -1)
    gram = np.einsum("hn,ni,nj->hij", weights, phi, phi) * n_episodes
    return gram + lam * np.eye(model.d)


def feature_uncertainty(model: LinearMDP, gram: np.ndarray, target=None) -> np.ndarray:
    """``E_{pi}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]`` for each stage h, shape (H,).

    The expectation is over the target's (pi* by default) exact occupancy from the model's
    initial distribution; ``2 beta`` times the sum over stages is the right-hand side of
    PEVI's bound (Jin et al. 2021, Theorem 4.2 with Algorithm 2's penalty).

    Parameters
    ----------
    model : LinearMDP
    gram : ndarray, shape (H, d, d)
        ``Lambda_h`` (positive definite), e.g. a fitted result's ``gram`` or
        :func:`expected_gram`.
    target : policy, optional

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> model = LinearMDP(np.eye(2).reshape(1, 2, 2), np.full((1, 1, 2), 1.0), [[0.0, 1.0]])
    >>> feature_uncertainty(model, 4.0 * np.eye(2)[None]).tolist()   # pi* takes action 1
    [0.5]
    """
    model = _check_linear(model, "feature_uncertainty")
    gram = np.asarray(gram, dtype=np.float64)
    if gram.shape != (model.H, model.d, model.d):
        raise ValueError(f"gram has shape {gram.shape}, expected {(model.H, model.d, model.d)}")
    mdp = model.tabular()
    d_pi = occupancy(mdp, _check_target(mdp, target)).reshape(model.H, -1)
    phi = model.phi.reshape(model.S * model.A, model.d)
    # Cholesky: ||phi||^2_{Lambda^{-1}} = ||L^{-1} phi||^2, exact for a positive definite Lambda.
    chol = np.linalg.cholesky(gram)
    solved = np.linalg.solve(chol, np.broadcast_to(phi.T, (model.H, *phi.T.shape)))
    widths = np.sqrt((solved**2).sum(axis=1))
    return (d_pi * widths).sum(axis=1)


def relative_condition_number(
    model: LinearMDP, behaviour: Behaviour | np.ndarray | str, target=None, tol: float = 1e-12
) -> float:
    """``max_h sup_x (x^T Sigma^pi_h x) / (x^T Sigma^mu_h x)``: the feature analogue of ``C*``.

    ``Sigma^pi_h = E_{pi}[phi phi^T]`` at stage h (target pi* by default), ``Sigma^mu_h`` the
    same under the behaviour. It is ``inf`` when the target's features reach a direction the
    behaviour's never do (relative to ``tol`` times the largest eigenvalue). It bounds
    ``E_pi ||phi||^2_{(n Sigma^mu)^{-1}} <= d kappa / n``, so ``kappa < inf`` is the coverage
    PEVI's bound needs. It is at most the tabular ``C*`` (``d^pi <= C* d^mu`` gives
    ``Sigma^pi <= C* Sigma^mu``), with equality for one-hot features.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> model = LinearMDP(np.eye(2).reshape(1, 2, 2), np.full((1, 1, 2), 1.0), [[0.0, 1.0]])
    >>> round(relative_condition_number(model, "uniform"), 12)
    2.0
    """
    model = _check_linear(model, "relative_condition_number")
    mdp = model.tabular()
    d_pi = occupancy(mdp, _check_target(mdp, target)).reshape(model.H, -1)
    d_mu = occupancy(mdp, as_behaviour(mdp, behaviour).policy).reshape(model.H, -1)
    phi = model.phi.reshape(model.S * model.A, model.d)
    worst = 0.0
    for h in range(model.H):
        sigma_pi = phi.T @ (d_pi[h, :, None] * phi)
        sigma_mu = phi.T @ (d_mu[h, :, None] * phi)
        eigval, eigvec = np.linalg.eigh(sigma_mu)
        scale = max(float(eigval.max()), float(np.abs(sigma_pi).max()), 1e-300)
        keep = eigval > tol * scale
        null = eigvec[:, ~keep]
        if null.size and float(np.abs(null.T @ sigma_pi @ null).max()) > tol * scale:
            return float("inf")
        basis = eigvec[:, keep] / np.sqrt(eigval[keep])
        whitened = basis.T @ sigma_pi @ basis
        worst = max(worst, float(np.linalg.eigvalsh(whitened).max()) if whitened.size else 0.0)
    return worst
