"""Linear and low-rank MDPs on a finite state space, each with an exact tabular twin.

Conventions (``DESIGN.md`` section 2)
-------------------------------------
* Linear MDP (Jin, Yang, Wang, Jordan, COLT 2020, arXiv:1907.05388, Assumption A): features
  ``phi[s, a, :]`` (S, A, d), measures ``mu[h, s', :]`` (H, S, d), reward weights ``theta[h, :]``
  (H, d), with ``P_h(s'|s, a) = phi(s, a) . mu_h(s')`` and ``r_h(s, a) = phi(s, a) . theta_h``.
* Low-rank MDP: ``P_h(s'|s, a) = phi_h(s, a) . psi_h(s')`` with stage-dependent features
  ``phi[h, s, a, :]`` and rewards given directly.
* Stages are ``h = 0..H-1`` in code and ``h + 1`` in the papers.

Because the state space is finite, the induced kernel is an (H, S, A, S) array; the constructors
compute it, check that every ``P_h(.|s, a)`` is a probability vector within ``tol`` and keep it,
so :meth:`LinearMDP.tabular` returns an exact :class:`mdptheory.EpisodicMDP` twin on which V*, Q*,
gaps and regret are exact.

Tolerance rule (no silent repair): an induced probability below ``-tol`` or a row sum off 1 by
more than ``tol`` is an error naming the worst (h, s, a). Entries in ``[-tol, 0)``, which only
rounding produces in a valid model, are set to exactly 0 in the twin (and only there), because a
tabular kernel must be non-negative; the row sums are checked again after that step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import (
    DEFAULT_TOL,
    as_float_array,
    check_memory,
    check_probability_vector,
    check_shape,
    check_tol,
    dense_bytes,
)
from mdptheory.tabular import EpisodicMDP, RewardNoise, model_keywords

__all__ = ["LinearMDP", "LinearMDPAssumptions", "LowRankMDP"]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _check_tol(tol: float) -> float:
    return check_tol(tol, allow_zero=True)


def _check_twin_size(family: str, H: int, S: int, A: int, d: int) -> None:
    """Refuse before the induced kernel (H, S, A, S) and its twin are allocated."""
    check_memory(
        2 * dense_bytes(H, S, A, S) + 2 * dense_bytes(H, S, A, d),
        f"{family}: the induced kernel P[h, s, a, s'] of shape (H, S, A, S) and its tabular twin",
        f"H={H}, S={S}, A={A}",
    )


def _induced_kernel(phi: np.ndarray, measures: np.ndarray) -> np.ndarray:
    """``P[h, s, a, s'] = phi[h or 0, s, a] . measures[h, s']``.

    ``phi`` has shape (1 or H, S, A, d) and ``measures`` (H, S, d); one BLAS product per stage.
    """
    n_stages, n_states, dim = measures.shape
    n_actions = phi.shape[2]
    rows = phi.reshape(phi.shape[0], n_states * n_actions, dim)
    with np.errstate(over="ignore", invalid="ignore"):
        kernel = np.matmul(rows, measures.transpose(0, 2, 1))
    return kernel.reshape(n_stages, n_states, n_actions, n_states)


def _tabular_twin(model, P) -> EpisodicMDP:
    """The ``EpisodicMDP`` with kernel ``P`` and the model's rewards ``R``, horizon, initial
    distribution, reward noise, tolerance and name: the exact twin of a linear, low-rank or
    linear-mixture model."""
    return EpisodicMDP(P, model.R, model.H, **model_keywords(model))


def _check_product_finite(array: np.ndarray, formula: str, labels: str) -> None:
    """Raise naming the first entry of a product of the inputs that overflowed (inf or NaN)."""
    bad = ~np.isfinite(array)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        where = ", ".join(
            f"{label}={int(i)}" for label, i in zip(labels.split(","), index, strict=True)
        )
        raise ValueError(
            f"{formula} is {float(array[index])!r} at {where}: the product of the "
            "inputs overflows float64"
        )


def _check_induced_kernel(P: np.ndarray, tol: float, formula: str) -> np.ndarray:
    """Validate an induced kernel (H, S, A, S) and return the twin kernel (tiny negatives -> 0).

    Errors name the worst offender: the most negative entry, or the row sum farthest from 1.
    """
    _check_product_finite(P, formula, "h,s,a,s'")
    worst = np.unravel_index(int(np.argmin(P)), P.shape)
    if P[worst] < -tol:
        h, s, a, t = (int(i) for i in worst)
        raise ValueError(
            f"{formula} is {float(P[worst])!r} at h={h}, s={s}, a={a}, s'={t} "
            f"(the most negative entry), a negative probability beyond "
            f"-tol = {-tol:g}"
        )
    negative = P < 0.0
    twin = np.where(negative, 0.0, P) if negative.any() else P
    for kernel, when in ((P, ""), (twin, " after entries in [-tol, 0) are set to 0")):
        sums = kernel.sum(axis=-1)
        deviation = np.abs(sums - 1.0)
        worst_row = np.unravel_index(int(np.argmax(deviation)), deviation.shape)
        if deviation[worst_row] > tol:
            h, s, a = (int(i) for i in worst_row)
            raise ValueError(
                f"sum over s' of {formula} is {float(sums[worst_row])!r} at "
                f"h={h}, s={s}, a={a}{when} (the largest deviation from 1), "
                f"not 1 within tol = {tol:g}"
            )
    return twin


def _read_initial(initial, n_states: int, tol: float) -> np.ndarray:
    if initial is None:
        return np.full(n_states, 1.0 / n_states)
    return check_probability_vector(initial, "initial", n_states, tol)


@dataclass(frozen=True)
class LinearMDPAssumptions:
    """Norms of Assumption A of Jin et al. (COLT 2020) in its total-variation form.

    Attributes
    ----------
    d : int
        Feature dimension.
    bound : float
        ``sqrt(d)``, the bound on the reward weights and on the measures.
    phi_norm : float
        ``max_{s, a} ||phi(s, a)||_2`` (must be <= 1).
    theta_norm : float
        ``max_h ||theta_h||_2`` (must be <= sqrt(d)).
    mu_total_variation : float
        ``max_h ||(|mu_h^(1)|(S), ..., |mu_h^(d)|(S))||_2`` with ``|mu_h^(i)|(S) =
        sum_s' |mu[h, s', i]|`` (must be <= sqrt(d)); the form the proof of Lemma B.1 uses.
    mu_net_mass : float
        ``max_h ||mu_h(S)||_2`` with ``mu_h(S)_i = sum_s' mu[h, s', i]``, the printed form
        (reported for comparison only; it is <= ``mu_total_variation``).
    phi_ok, theta_ok, mu_ok : bool
        Each bound, allowing ``tol`` of the model for rounding.
    holds : bool
        All three bounds hold.
    """

    d: int
    bound: float
    phi_norm: float
    theta_norm: float
    mu_total_variation: float
    mu_net_mass: float
    phi_ok: bool
    theta_ok: bool
    mu_ok: bool
    holds: bool


class LinearMDP:
    """A finite-horizon linear MDP on a finite state space (Jin et al., COLT 2020).

    Parameters
    ----------
    phi : array_like, shape (S, A, d)
        Features ``phi(s, a)``.
    mu : array_like, shape (H, S, d)
        Signed measures: ``mu[h, s', i] = mu_h^(i)(s')``.
    theta : array_like, shape (H, d)
        Reward weights.
    initial : array_like, shape (S,), optional
        Initial-state distribution; uniform by default.
    noise : RewardNoise, str or tuple, optional
        Reward-noise model of the twin (deterministic by default; Bernoulli needs rewards in
        [0, 1]).
    tol : float
        Tolerance of the kernel check (see the module notes), 1e-9 by default.
    name : str, optional

    Attributes
    ----------
    S, A, H, d : int
    phi, mu, theta, initial : ndarray
        Read-only float64 copies of the inputs.
    noise : RewardNoise
    P : ndarray, shape (H, S, A, S)
        The induced kernel ``phi(s, a) . mu_h(s')`` exactly as computed (read-only).
    R : ndarray, shape (H, S, A)
        The induced rewards ``phi(s, a) . theta_h`` (read-only).

    Raises
    ------
    ValueError
        On a wrong shape or non-finite entry; or when the induced kernel is not a distribution
        for some (h, s, a) within ``tol``, naming the worst (h, s, a) and its value.

    Notes
    -----
    Assumption A's norm bounds are reported by :meth:`assumptions`, never enforced: the finite
    twin is exact whatever the scaling.

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [1.0, 0.0]]])   # S=2, A=2, d=2
    >>> mu = np.array([[[1.0, 0.0], [0.0, 1.0]]])                              # H=1: e_0, e_1
    >>> mdp = LinearMDP(phi, mu, theta=[[1.0, 0.0]])
    >>> mdp.P[0, 1, 0].tolist(), mdp.R[0].tolist()
    ([0.5, 0.5], [[1.0, 0.0], [0.5, 1.0]])
    >>> mdp.tabular().H
    1
    """

    def __init__(
        self,
        phi,
        mu,
        theta,
        initial=None,
        noise=None,
        tol: float = DEFAULT_TOL,
        name: str | None = None,
    ) -> None:
        phi_array = as_float_array(phi, "phi", ndim=3)
        n_states, n_actions, dim = phi_array.shape
        if min(n_states, n_actions, dim) == 0:
            raise ValueError(f"phi has shape {phi_array.shape}: need S, A, d >= 1")
        mu_array = as_float_array(mu, "mu", ndim=3)
        if mu_array.shape[0] == 0 or mu_array.shape[1:] != (n_states, dim):
            raise ValueError(
                f"mu has shape {mu_array.shape}, expected (H, S, d) with H >= 1, "
                f"S = {n_states}, d = {dim}"
            )
        horizon = int(mu_array.shape[0])
        theta_array = as_float_array(theta, "theta", ndim=2)
        check_shape(theta_array, "theta", (horizon, dim))
        self.tol = _check_tol(tol)
        _check_twin_size("LinearMDP", horizon, n_states, n_actions, dim)
        kernel = _induced_kernel(phi_array[None], mu_array)
        self._twin_P = _check_induced_kernel(kernel, self.tol, "phi[s, a] . mu[h, s']")
        with np.errstate(over="ignore", invalid="ignore"):
            rewards = (phi_array.reshape(n_states * n_actions, dim) @ theta_array.T).T
        rewards = np.ascontiguousarray(rewards).reshape(horizon, n_states, n_actions)
        _check_product_finite(rewards, "R = phi[s, a] . theta[h]", "h,s,a")
        self.noise = RewardNoise.parse(noise)
        self.noise.check_means(rewards, "R")
        self.S, self.A, self.H, self.d = n_states, n_actions, horizon, dim
        self.name = name
        self.phi = _read_only(phi_array)
        self.mu = _read_only(mu_array)
        self.theta = _read_only(theta_array)
        self.initial = _read_only(_read_initial(initial, n_states, self.tol))
        self.P = _read_only(kernel)
        self.R = _read_only(rewards)
        self._tabular: EpisodicMDP | None = None

    def tabular(self) -> EpisodicMDP:
        """The exact tabular twin: ``EpisodicMDP`` with kernel (H, S, A, S) and rewards
        (H, S, A), the same initial distribution, noise, tolerance and name (built once)."""
        if self._tabular is None:
            self._tabular = _tabular_twin(self, self._twin_P)
        return self._tabular

    def assumptions(self) -> LinearMDPAssumptions:
        """Report Assumption A of Jin et al. (2020) in the total-variation form.

        ``||phi(s, a)||_2 <= 1``, ``||theta_h||_2 <= sqrt(d)`` and
        ``||(|mu_h^(i)|(S))_i||_2 <= sqrt(d)``. The paper prints the net-mass bound
        ``||mu_h(S)||_2 <= sqrt(d)``, which does not bound ``int V d mu_h``; the total-variation
        version is what the proof of Lemma B.1 needs. Nothing is enforced.
        """
        bound = float(np.sqrt(self.d))
        phi_norm = float(np.linalg.norm(self.phi, axis=-1).max())
        theta_norm = float(np.linalg.norm(self.theta, axis=-1).max())
        mu_tv = float(np.linalg.norm(np.abs(self.mu).sum(axis=1), axis=-1).max())
        mu_net = float(np.linalg.norm(self.mu.sum(axis=1), axis=-1).max())
        phi_ok = phi_norm <= 1.0 + self.tol
        theta_ok = theta_norm <= bound + self.tol
        mu_ok = mu_tv <= bound + self.tol
        return LinearMDPAssumptions(
            d=self.d,
            bound=bound,
            phi_norm=phi_norm,
            theta_norm=theta_norm,
            mu_total_variation=mu_tv,
            mu_net_mass=mu_net,
            phi_ok=phi_ok,
            theta_ok=theta_ok,
            mu_ok=mu_ok,
            holds=phi_ok and theta_ok and mu_ok,
        )

    def q_weights(self, V) -> np.ndarray:
        """Weights ``w_h = theta_h + sum_s' V_{h+1}(s') mu_h(s')`` of shape (H, d).

        For any policy ``pi``, ``Q^pi_h(s, a) = phi(s, a) . w^pi_h`` with ``V = V^pi``
        (Jin et al. 2020, Proposition 2.3). ``V`` has shape (H + 1, S) with ``V[H] = 0``, the
        layout of :func:`mdptheory._kernels.backward_induction_kernel`.
        """
        values = as_float_array(V, "V", ndim=2)
        check_shape(values, "V", (self.H + 1, self.S))
        return self.theta + np.einsum("hsd,hs->hd", self.mu, values[1:])

    def q_from_weights(self, w) -> np.ndarray:
        """``Q[h, s, a] = phi(s, a) . w[h]`` for weights ``w`` of shape (H, d)."""
        weights = as_float_array(w, "w", ndim=2)
        check_shape(weights, "w", (self.H, self.d))
        flat = self.phi.reshape(self.S * self.A, self.d) @ weights.T
        return np.ascontiguousarray(flat.T).reshape(self.H, self.S, self.A)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"LinearMDP({label}S={self.S}, A={self.A}, H={self.H}, d={self.d}, "
            f"noise={self.noise.kind})"
        )


class LowRankMDP:
    """A finite-horizon MDP whose stage kernels factor as ``phi_h(s, a) . psi_h(s')``.

    Parameters
    ----------
    phi : array_like, shape (H, S, A, d) or (S, A, d)
        Features; a 3-d array is shared by all stages.
    psi : array_like, shape (H, S, d)
        Next-state factors: ``P_h(s'|s, a) = phi_h(s, a) . psi[h, s']``. Fixes H, S and d.
    reward : array_like, shape (H, S, A) or (S, A)
        Mean rewards, given directly (a 2-d array is shared by all stages).
    initial, noise, tol, name
        As for :class:`LinearMDP`.

    Attributes
    ----------
    S, A, H, d : int
    phi : ndarray, shape (H, S, A, d)
        Always stored with a stage axis.
    psi : ndarray, shape (H, S, d)
    R : ndarray, shape (H, S, A)
    P : ndarray, shape (H, S, A, S)
        The induced kernel as computed.
    rank : ndarray of int, shape (H,)
        Numerical rank of each stage kernel seen as an (S*A, S) matrix.

    Raises
    ------
    ValueError
        As for :class:`LinearMDP`.

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.array([[[1.0, 0.0]], [[0.5, 0.5]]])      # S=2, A=1, d=2
    >>> psi = np.array([[[1.0, 0.0], [0.0, 1.0]]])        # H=1
    >>> mdp = LowRankMDP(phi, psi, reward=[[0.0], [1.0]])
    >>> mdp.rank.tolist(), mdp.P[0, 1, 0].tolist()
    ([2], [0.5, 0.5])
    """

    def __init__(
        self,
        phi,
        psi,
        reward,
        initial=None,
        noise=None,
        tol: float = DEFAULT_TOL,
        name: str | None = None,
    ) -> None:
        psi_array = as_float_array(psi, "psi", ndim=3)
        horizon, n_states, dim = psi_array.shape
        if min(horizon, n_states, dim) == 0:
            raise ValueError(f"psi has shape {psi_array.shape}: need H, S, d >= 1")
        phi_array = as_float_array(phi, "phi", ndim=(3, 4))
        if phi_array.ndim == 3:
            phi_array = phi_array[None]
        if (
            phi_array.shape[0] not in (1, horizon)
            or phi_array.shape[1] != n_states
            or phi_array.shape[3] != dim
            or phi_array.shape[2] == 0
        ):
            raise ValueError(
                f"phi has shape {phi_array.shape}, expected (H, S, A, d) or "
                f"(S, A, d) with H = {horizon}, S = {n_states}, d = {dim}, A >= 1"
            )
        n_actions = int(phi_array.shape[2])
        self.tol = _check_tol(tol)
        _check_twin_size("LowRankMDP", horizon, n_states, n_actions, dim)
        reward_array = as_float_array(reward, "reward", ndim=(2, 3))
        if reward_array.ndim == 2:
            check_shape(reward_array, "reward", (n_states, n_actions))
            reward_array = np.ascontiguousarray(
                np.broadcast_to(reward_array, (horizon, n_states, n_actions))
            )
        else:
            check_shape(reward_array, "reward", (horizon, n_states, n_actions))
        kernel = _induced_kernel(phi_array, psi_array)
        self._twin_P = _check_induced_kernel(kernel, self.tol, "phi[h, s, a] . psi[h, s']")
        self.noise = RewardNoise.parse(noise)
        self.noise.check_means(reward_array, "reward")
        self.S, self.A, self.H, self.d = n_states, n_actions, horizon, dim
        self.name = name
        self.phi = _read_only(
            np.ascontiguousarray(np.broadcast_to(phi_array, (horizon, n_states, n_actions, dim)))
        )
        self.psi = _read_only(psi_array)
        self.R = _read_only(reward_array)
        self.initial = _read_only(_read_initial(initial, n_states, self.tol))
        self.P = _read_only(kernel)
        self._rank: np.ndarray | None = None
        self._tabular: EpisodicMDP | None = None

    @property
    def rank(self) -> np.ndarray:
        """Numerical rank of each ``P_h`` as an (S*A, S) matrix (``numpy.linalg.matrix_rank``
        with its default SVD threshold); at most ``d``."""
        if self._rank is None:
            matrices = self.P.reshape(self.H, self.S * self.A, self.S)
            self._rank = _read_only(np.linalg.matrix_rank(matrices).astype(np.int64))
        return self._rank

    def tabular(self) -> EpisodicMDP:
        """The exact tabular twin (kernel (H, S, A, S), rewards (H, S, A)), built once."""
        if self._tabular is None:
            self._tabular = _tabular_twin(self, self._twin_P)
        return self._tabular

    @classmethod
    def from_tabular(cls, mdp: EpisodicMDP, rank: int | None = None) -> LowRankMDP:
        """Factor an episodic MDP's stage kernels by SVD: ``phi_h = U_d diag(s_d)``,
        ``psi_h = V_d``.

        Parameters
        ----------
        mdp : EpisodicMDP
        rank : int, optional
            The feature dimension d; by default the largest numerical rank over the stages. It
            may not be below that rank (the factorisation would not be exact).

        Returns
        -------
        LowRankMDP
            Same rewards, initial distribution, noise, tolerance and name; its kernel equals
            the original up to rounding (about 1e-15), not bit for bit.
        """
        S, A, H = mdp.S, mdp.A, mdp.H
        matrices = np.stack([mdp.transition(h).reshape(S * A, S) for h in range(H)])
        ranks = np.linalg.matrix_rank(matrices)
        needed = int(ranks.max())
        if rank is None:
            dim = needed
        else:
            if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
                raise ValueError(f"rank must be an int, got {rank!r}")
            dim = int(rank)
            if dim < needed or dim > min(S * A, S):
                stage = int(np.argmax(ranks))
                raise ValueError(
                    f"rank = {dim} is not in {needed}..{min(S * A, S)}: stage "
                    f"h={stage} has numerical rank {needed}"
                )
        U, sing, Vt = np.linalg.svd(matrices, full_matrices=False)
        phi = (U[:, :, :dim] * sing[:, None, :dim]).reshape(H, S, A, dim)
        psi = Vt[:, :dim, :].transpose(0, 2, 1)
        return cls(phi, psi, mdp.R, **model_keywords(mdp))

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"LowRankMDP({label}S={self.S}, A={self.A}, H={self.H}, d={self.d}, "
            f"noise={self.noise.kind})"
        )
