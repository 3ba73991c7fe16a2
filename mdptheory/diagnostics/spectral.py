r"""Spectral features of a finite MDP: the SVD of its kernel, exact and estimated from samples.

Paper
-----
SPEDER: T. Ren, T. Zhang, L. Lee, J. E. Gonzalez, D. Schuurmans, B. Dai, *Spectral Decomposition
Representation for Reinforcement Learning*, ICLR 2023 (reading list S4-9; abstract only). A
low-rank kernel ``P(s'|s, a) = phi(s, a) . mu(s')`` makes every ``Q^pi = r + P V^pi`` lie in
``span(phi, r)``; on a finite MDP the factorisation is an SVD of the kernel written as an
(S A, S) matrix (Eckart-Young: the rank-d truncation is the best rank-d approximation in the
spectral and Frobenius norms, with errors ``sigma_{d+1}`` and ``(sum_{i>d} sigma_i^2)^{1/2}``).

Three constructions
-------------------
* :func:`spectral_decomposition`: per stage, ``P_h = U diag(sigma) V^T`` and the rank-d
  factors ``phi_h = U_d diag(sigma_d)``, ``psi_h = V_d`` with the truncation errors;
  :func:`spectral_low_rank_mdp` is the resulting :class:`~mdptheory.linear.LowRankMDP`
  (:meth:`LowRankMDP.from_tabular`, exact when d is at least the numerical rank).
* :func:`spectral_linear_mdp`: one feature map shared by every stage, from the SVD of the
  stacked matrix ``M = [P_0 | ... | P_{H-1} | r_0 | ... | r_{H-1}]`` (S A rows; a stationary
  kernel enters once). Its column space is the smallest one holding every ``P_h`` column and
  every reward, so at d = rank(M) the result is a :class:`~mdptheory.linear.LinearMDP` (Jin et
  al. 2020, Assumption A: ``phi`` shared, ``mu_h`` and ``theta_h`` per stage) whose twin equals
  the model to rounding. Features are scaled so that ``max ||phi(s, a)||_2 = 1``.
* :func:`estimate_spectral_features`: the same features from ``n`` sampled next states per
  (stage, s, a) (a generative model; rewards known, as LSVI-UCB assumes). The estimate keeps the
  constant vector in its span: every kernel has ``P 1 = 1``, and a feature map carries a linear
  MDP only if ``1`` lies in its span (rows sum to 1), so the estimated subspace is
  ``span(1) + the top d - 1 left singular vectors of M_hat`` with its mean row removed. On an
  exact rank-d model this is the plain top-d subspace. The distance to the exact features is
  given by the principal angles (``scipy.linalg.subspace_angles``). :func:`linear_mdp_from_features`
  fits a valid linear MDP on any such features (an LP), for learners that need one.

Cost: an SVD of an (S A) x (m S + H) matrix, O(S A (m S + H) min(S A, m S + H)) with m the
number of distinct stage kernels; the fit of :func:`linear_mdp_from_features` is one LP per
stage kernel with d S + S A S variables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import subspace_angles
from scipy.optimize import linprog

from mdptheory._validation import (
    ParameterTypeError,
    as_float_array,
    check_finite,
    check_int,
    check_memory,
    check_shape,
)
from mdptheory.diagnostics.registry import Diagnosis, diagnostic
from mdptheory.linear import LinearMDP, LowRankMDP
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, FiniteMDP, model_keywords

__all__ = [
    "EstimatedFeatures",
    "SpectralDecomposition",
    "estimate_spectral_features",
    "linear_mdp_from_features",
    "spectral_decomposition",
    "spectral_linear_mdp",
    "spectral_low_rank_mdp",
]

MARGIN = 1e-7
"""Smallest transition probability of the LP fit, so rounding cannot make one negative."""


def _tabular(model, where: str):
    if isinstance(model, (FiniteMDP, EpisodicMDP)):
        return model
    if hasattr(model, "tabular") and callable(model.tabular):
        return model.tabular()
    if isinstance(getattr(model, "mdp", None), (FiniteMDP, EpisodicMDP)):
        return model.mdp
    raise ParameterTypeError(
        f"{where} needs a FiniteMDP, an EpisodicMDP or a model with a "
        f".tabular() twin, got {type(model).__name__}"
    )


def _episodic(model, where: str, result: str) -> EpisodicMDP:
    mdp = _tabular(model, where)
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(
            f"{where} needs an episodic model ({result} is finite-horizon), got "
            f"{type(mdp).__name__}"
        )
    return mdp


def _kernels(mdp) -> np.ndarray:
    """Distinct stage kernels as (m, S A, S): one for a discounted or stationary model."""
    S, A = mdp.S, mdp.A
    if isinstance(mdp, FiniteMDP):
        return mdp.dense_P().reshape(1, S * A, S)
    return np.ascontiguousarray(mdp.dense_P()).reshape(-1, S * A, S)


def _rewards(mdp) -> np.ndarray:
    """Reward columns (S A, n_reward_stages)."""
    if isinstance(mdp, FiniteMDP):
        return mdp.R.reshape(-1, 1)
    return mdp.R.reshape(mdp.H, -1).T


@dataclass(frozen=True)
class SpectralDecomposition:
    """Per-stage SVD of the kernel as an (S A, S) matrix and its rank-d factors.

    Attributes
    ----------
    singular_values : ndarray, shape (m, min(S A, S))
        Of each distinct stage kernel (m = 1 for a discounted or stationary model).
    rank : ndarray of int, shape (m,)
        Numerical ranks (``numpy.linalg.matrix_rank``'s threshold).
    d : int
    phi : ndarray, shape (m, S, A, d)
        ``U_d diag(sigma_d)``.
    psi : ndarray, shape (m, S, d)
        ``V_d``: ``P_h ~ phi_h psi_h^T``.
    spectral_error, frobenius_error : ndarray, shape (m,)
        ``||P_h - phi_h psi_h^T||`` in the spectral norm (``sigma_{d+1}``) and in Frobenius.
    """

    singular_values: np.ndarray
    rank: np.ndarray
    d: int
    phi: np.ndarray
    psi: np.ndarray
    spectral_error: np.ndarray
    frobenius_error: np.ndarray


def spectral_decomposition(model, d: int | None = None) -> SpectralDecomposition:
    """Truncated SVD of each stage kernel, ``P_h = U diag(sigma) V^T`` (Eckart-Young).

    Parameters
    ----------
    model : FiniteMDP, EpisodicMDP, or a model with a tabular twin
    d : int, optional
        Rank of the factors, ``1 <= d <= min(S A, S)``; the largest numerical rank over the
        stages by default (the exact factorisation).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.0, 1.0]]])
    >>> dec = spectral_decomposition(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9), d=1)
    >>> dec.rank.tolist(), round(float(dec.spectral_error[0]), 6)
    ([2], 1.0)
    """
    mdp = _tabular(model, "spectral_decomposition")
    kernels = _kernels(mdp)
    m, n, S = kernels.shape
    U, sigma, Vt = np.linalg.svd(kernels, full_matrices=False)
    rank = np.linalg.matrix_rank(kernels).astype(np.int64)
    d = int(rank.max()) if d is None else check_int(d, "d", 1, min(n, S))
    phi = (U[:, :, :d] * sigma[:, None, :d]).reshape(m, mdp.S, mdp.A, d)
    psi = Vt[:, :d, :].transpose(0, 2, 1)
    spectral = sigma[:, d] if d < sigma.shape[1] else np.zeros(m)
    frobenius = np.sqrt(np.sum(sigma[:, d:] ** 2, axis=1))
    return SpectralDecomposition(
        singular_values=sigma,
        rank=rank,
        d=d,
        phi=phi,
        psi=psi,
        spectral_error=spectral,
        frobenius_error=frobenius,
    )


def spectral_low_rank_mdp(model, d: int | None = None) -> LowRankMDP:
    """The :class:`~mdptheory.linear.LowRankMDP` of the per-stage SVD (exact at the rank).

    :meth:`LowRankMDP.from_tabular` with ``rank = d``: ``phi_h = U_d diag(sigma_d)``,
    ``psi_h = V_d``; ``d`` below the numerical rank is refused (the truncation is not a kernel).

    Examples
    --------
    >>> from mdptheory import EpisodicMDP
    >>> import numpy as np
    >>> lr = spectral_low_rank_mdp(EpisodicMDP(np.full((3, 2, 3), 1 / 3), np.ones((3, 2)), H=2))
    >>> lr.d, float(abs(lr.P - 1 / 3).max()) < 1e-12
    (1, True)
    """
    mdp = _episodic(model, "spectral_low_rank_mdp", "LowRankMDP")
    return LowRankMDP.from_tabular(mdp, rank=d)


def _stacked(mdp, kernels: np.ndarray) -> np.ndarray:
    """``[P_0 | ... | P_{m-1} | r_0 | ... | r_{H-1}]``, (S A, m S + H)."""
    m, n, S = kernels.shape
    return np.concatenate([kernels.transpose(1, 0, 2).reshape(n, m * S), _rewards(mdp)], axis=1)


def _scaled(factor: np.ndarray) -> tuple[np.ndarray, float]:
    """Features divided by their largest row norm (so ``max ||phi(s, a)|| = 1``)."""
    scale = float(np.linalg.norm(factor, axis=1).max())
    return factor / scale, scale


def _split(mdp, right: np.ndarray, scale: float, m: int):
    """Measures (H, S, d) and reward weights (H, d) from right factors (d, m S + H)."""
    S = mdp.S
    H = mdp.H
    d = right.shape[0]
    blocks = (scale * right[:, : m * S]).reshape(d, m, S).transpose(1, 2, 0)  # (m, S, d)
    mu = np.broadcast_to(blocks, (H, S, d)) if m == 1 else blocks
    theta = (scale * right[:, m * S :]).T
    return np.ascontiguousarray(mu), np.ascontiguousarray(theta)


def spectral_linear_mdp(model, d: int | None = None) -> LinearMDP:
    """An exact linear MDP with shared spectral features (SVD of ``[P_0 | ... | r]``).

    Parameters
    ----------
    model : EpisodicMDP, or a linear or low-rank MDP (its twin)
    d : int, optional
        Feature dimension; the numerical rank of the stacked matrix by default. A smaller d is
        refused: the truncation misses ``sigma_{d+1}`` and is no kernel.

    Returns
    -------
    LinearMDP
        ``phi`` (S, A, d) with ``max ||phi(s, a)||_2 = 1``, ``mu_h`` and ``theta_h`` from the
        right factors; its kernel and rewards equal the model's to rounding (about 1e-15), with
        the same initial distribution, noise and tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.0, 1.0]]])
    >>> lin = spectral_linear_mdp(EpisodicMDP(P, np.zeros((2, 2)), H=3))
    >>> lin.d, bool(np.abs(lin.P - P).max() < 1e-12)
    (2, True)
    """
    mdp = _episodic(model, "spectral_linear_mdp", "LinearMDP")
    kernels = _kernels(mdp)
    M = _stacked(mdp, kernels)
    U, sigma, Vt = np.linalg.svd(M, full_matrices=False)
    rank = int(np.linalg.matrix_rank(M))
    if d is None:
        d = rank
    d = check_int(d, "d", 1, min(M.shape))
    if d < rank:
        raise ValueError(
            f"d = {d} is below the rank {rank} of the stacked kernel and rewards: "
            f"the rank-{d} truncation misses sigma_{d + 1} = {sigma[d]:.3g} and is "
            "not a linear MDP (estimate_spectral_features and "
            "linear_mdp_from_features give an approximate one)"
        )
    phi, scale = _scaled(U[:, :d] * sigma[:d])
    mu, theta = _split(mdp, Vt[:d], scale, kernels.shape[0])
    label = f"spectral_linear_mdp({mdp.name or 'model'}, d={d})"
    return LinearMDP(phi.reshape(mdp.S, mdp.A, d), mu, theta, **model_keywords(mdp, label))


def _constant_span(M: np.ndarray, d: int) -> np.ndarray:
    """Rank-d factor ``U_d diag(sigma_d)`` of the projection of M on span(1) + the top d - 1
    left singular vectors of M with its mean row removed."""
    n = M.shape[0]
    u0 = np.full((n, 1), 1.0 / np.sqrt(n))
    centred = M - u0 @ (u0.T @ M)
    U = np.linalg.svd(centred, full_matrices=False)[0][:, : d - 1]
    Q = np.concatenate([u0, U], axis=1)
    W, sigma, _ = np.linalg.svd(Q.T @ M, full_matrices=False)
    return Q @ W[:, :d] * sigma[:d]


@dataclass(frozen=True)
class EstimatedFeatures:
    """Spectral features estimated from samples, with their distance to the exact ones.

    Attributes
    ----------
    phi : ndarray, shape (S, A, d)
        The estimate (``max ||phi(s, a)||_2 = 1``; the constant vector lies in its span).
    exact_phi : ndarray, shape (S, A, d)
        The same construction on the exact kernel.
    angles : ndarray, shape (d,)
        Principal angles between the two column spans, largest first (radians).
    kernel : ndarray, shape (m, S, A, S)
        The empirical kernels (next-state frequencies) of the m distinct stages.
    n_samples : int
        Next states sampled per (stage, s, a).
    """

    phi: np.ndarray
    exact_phi: np.ndarray
    angles: np.ndarray
    kernel: np.ndarray
    n_samples: int

    @property
    def distance(self) -> float:
        """``sin`` of the largest principal angle: the spectral norm of the difference of the
        two orthogonal projections."""
        return float(np.sin(self.angles.max()))


def estimate_spectral_features(model, d: int, n_samples: int, seed: SeedLike) -> EstimatedFeatures:
    """Spectral features from ``n_samples`` sampled next states per (stage, s, a).

    The empirical kernels replace the exact ones in the stacked matrix of
    :func:`spectral_linear_mdp` (rewards known); the rank-d factor keeps the constant vector in
    its span (module notes). Cost: one multinomial draw per (stage, s, a) and two SVDs.

    Parameters
    ----------
    model : EpisodicMDP or FiniteMDP, or a model with a tabular twin
    d : int
        Feature dimension, ``1 <= d <= min(S A, m S + H)``.
    n_samples : int
        Next states per (stage, s, a), >= 1.
    seed : int, SeedSequence or Generator
        The same seed gives the same features, bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, np.zeros((2, 2)), H=3)
    >>> [round(estimate_spectral_features(mdp, 2, n, seed=0).distance, 3) for n in (10, 10**6)]
    [0.327, 0.001]
    """
    mdp = _tabular(model, "estimate_spectral_features")
    kernels = _kernels(mdp)
    m, n, S = kernels.shape
    M = _stacked(mdp, kernels)
    d = check_int(d, "d", 1, min(M.shape))
    n_samples = check_int(n_samples, "n_samples", 1)
    check_memory(
        16.0 * m * n * S,
        "estimate_spectral_features: counts and frequencies of shape (m, S A, S)",
        f"S={mdp.S}, A={mdp.A}",
    )
    rng = as_generator(seed)
    # rows sum to 1 within the model's tolerance; numpy's sampler refuses sums above 1 + 1e-12
    counts = rng.multinomial(n_samples, kernels / kernels.sum(axis=-1, keepdims=True))
    empirical = counts / float(n_samples)
    estimate, _ = _scaled(_constant_span(_stacked(mdp, empirical), d))
    exact, _ = _scaled(_constant_span(M, d))
    return EstimatedFeatures(
        phi=estimate.reshape(mdp.S, mdp.A, d),
        exact_phi=exact.reshape(mdp.S, mdp.A, d),
        angles=subspace_angles(estimate, exact),
        kernel=empirical.reshape(m, mdp.S, mdp.A, S),
        n_samples=n_samples,
    )


def _fit_measures(Phi: np.ndarray, target: np.ndarray, row_sums: np.ndarray) -> np.ndarray:
    """``M`` (d, S) minimising ``sum |Phi M - target|`` with ``Phi M >= MARGIN`` and
    ``M 1 = row_sums`` (so every row of ``Phi M`` sums to ``Phi row_sums = 1``)."""
    n, d = Phi.shape
    S = target.shape[1]
    big = sp.kron(sp.csr_array(Phi), sp.identity(S, format="csr"), format="csr")  # vec(Phi M)
    eye = sp.identity(n * S, format="csr")
    zeros = sp.csr_array((n * S, n * S))
    A_ub = sp.vstack(
        [sp.hstack([big, -eye]), sp.hstack([-big, -eye]), sp.hstack([-big, zeros])], format="csr"
    )
    flat = target.reshape(-1)
    b_ub = np.concatenate([flat, -flat, np.full(n * S, -MARGIN)])
    A_eq = sp.hstack(
        [
            sp.kron(sp.identity(d, format="csr"), sp.csr_array(np.ones((1, S)))),
            sp.csr_array((d, n * S)),
        ],
        format="csr",
    )
    cost = np.concatenate([np.zeros(d * S), np.ones(n * S)])
    bounds = [(None, None)] * (d * S) + [(0.0, None)] * (n * S)
    result = linprog(
        cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=row_sums, bounds=bounds, method="highs"
    )
    if result.status != 0:
        raise ValueError(
            f"the linear-MDP fit LP did not solve (status {result.status}: {result.message})"
        )
    measures = result.x[: d * S].reshape(d, S)
    # meet M 1 = row_sums exactly (the solver meets it to its tolerance); the shift is far
    # below MARGIN, so no probability turns negative
    return measures + (row_sums - measures.sum(axis=1))[:, None] / S


def linear_mdp_from_features(
    phi, kernel, rewards, initial=None, name: str | None = None, tol: float = 1e-9
) -> LinearMDP:
    """The valid linear MDP on features ``phi`` closest to a kernel in l1 (one LP per stage).

    ``mu_h = argmin sum_{s,a,s'} |phi(s, a) . mu_h(s') - P_h(s'|s, a)|`` over the ``mu_h``
    whose induced kernel is a distribution with every probability at least 1e-7; reward weights
    by least squares, ``theta_h = argmin ||phi theta - r_h||_2``. Feasible exactly when the
    constant vector lies in the span of ``phi``. The result is a well-defined
    :class:`~mdptheory.linear.LinearMDP` carrying ``phi`` (e.g. for LSVI-UCB with the true
    model passed as ``true_mdp``); its distance to ``kernel`` measures how far the features are
    from representing it.

    Parameters
    ----------
    phi : array_like, shape (S, A, d)
    kernel : array_like, shape (m, S, A, S) with m = 1 or H
        Target kernels (e.g. the empirical ones of :func:`estimate_spectral_features`).
    rewards : array_like, shape (H, S, A)
    initial : array_like, shape (S,), optional
    name : str, optional
    tol : float
        Tolerance of the constant-in-span test and of the LinearMDP.

    Raises
    ------
    ValueError
        When the constant vector is not in the span of ``phi`` (naming the residual), or on
        shapes that do not match.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.0, 1.0]]])
    >>> lin = linear_mdp_from_features(np.eye(4).reshape(2, 2, 4), P[None], np.zeros((3, 2, 2)))
    >>> lin.H, bool(np.abs(lin.P - P).max() < 1e-6)
    (3, True)
    """
    features = as_float_array(phi, "phi", ndim=3)
    check_finite(features, "phi")
    S, A, d = features.shape
    target = as_float_array(kernel, "kernel", ndim=4)
    if target.shape[0] == 0 or target.shape[1:] != (S, A, S):
        raise ValueError(f"kernel has shape {target.shape}, expected (m, {S}, {A}, {S})")
    R = as_float_array(rewards, "rewards", ndim=3)
    H = R.shape[0]
    check_shape(R, "rewards", (H, S, A))
    if target.shape[0] not in (1, H):
        raise ValueError(f"kernel has {target.shape[0]} stages, expected 1 or H = {H}")
    Phi = features.reshape(S * A, d)
    row_sums = np.linalg.lstsq(Phi, np.ones(S * A), rcond=None)[0]
    residual = float(np.max(np.abs(Phi @ row_sums - 1.0)))
    if residual > tol:
        raise ValueError(
            f"the constant vector is not in the span of phi (least-squares "
            f"residual {residual:.3g} > tol = {tol:g}): no kernel phi . mu has rows "
            "summing to 1"
        )
    blocks = np.stack(
        [
            _fit_measures(Phi, target[b].reshape(S * A, S), row_sums).T
            for b in range(target.shape[0])
        ]
    )
    mu = np.ascontiguousarray(np.broadcast_to(blocks, (H, S, d)))
    theta = np.linalg.lstsq(Phi, R.reshape(H, S * A).T, rcond=None)[0].T
    return LinearMDP(features, mu, theta, initial=initial, tol=tol, name=name)


@diagnostic("spectral features")
def _diagnose(model) -> Diagnosis | None:
    """Ranks of the kernel and of the stacked kernel and rewards."""
    try:
        mdp = _tabular(model, "spectral features")
    except ValueError:
        return None
    dec = spectral_decomposition(mdp)
    sigma = dec.singular_values
    kernels = _kernels(mdp)
    stacked_rank = int(np.linalg.matrix_rank(_stacked(mdp, kernels)))
    top = int(dec.rank.max())
    values: dict[str, object] = {
        "rank of P_h as an SA x S matrix (max over stages)": top,
        "rank of [P_0 ... P_{H-1} | r] (shared linear-MDP features)": stacked_rank,
        "largest singular value": float(sigma.max()),
        "smallest nonzero singular value": float(
            min(sigma[i, r - 1] for i, r in enumerate(dec.rank) if r > 0)
        ),
    }
    return Diagnosis(
        name="spectral features",
        definition="SVD of the kernel as an SA x S matrix (SPEDER, ICLR 2023): at d = rank, "
        "phi = U_d diag(sigma_d) makes Q^pi lie in span(phi, r) for every pi; the "
        "rank-d truncation errs by sigma_{d+1} (Eckart-Young).",
        values=values,
        complexity="O(S A S min(S A, S)) per distinct stage kernel",
    )
