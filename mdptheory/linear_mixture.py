r"""Linear mixture MDPs on a finite state space, with an exact tabular twin.

Model (Ayoub, Jia, Szepesvári, Wang, Yang, ICML 2020; Zhou, Gu, Szepesvári, COLT 2021; Zhang,
Zhang, Gu, ICML 2023): ``d`` known basis kernels ``basis[i, s, a, s'] = P_i(s'|s, a)`` and an
unknown mixing vector ``theta`` give

.. math::

    P_h(s' \mid s, a) = \sum_{i=1}^d \theta_{h,i} P_i(s' \mid s, a)
                      = \langle \phi(s' \mid s, a), \theta_h \rangle ,

with ``phi(s'|s, a) = basis[:, s, a, s']``. ``theta`` is one vector (a time-homogeneous model,
the setting of UCRL-VTR and of the reward-free algorithm of Zhang, Zhang, Gu) or one per stage,
``theta[h, :]``. Rewards ``R[h, s, a]`` are given directly (known to the learners).

The learners regress on value targets, so the quantity they see is the **value feature**

.. math::

    x_V(s, a) = \sum_{s'} \phi(s' \mid s, a) V(s') \in \mathbb R^d ,
    \qquad \langle x_V(s, a), \theta \rangle = [P V](s, a),

which :meth:`LinearMixtureMDP.value_features` computes for a batch of value functions.

Validation follows :class:`mdptheory.linear.LinearMDP`: the induced kernel must be a
probability distribution for every (h, s, a) within ``tol``; entries in ``[-tol, 0)`` are set to
0 in the twin only. The basis kernels themselves may be signed measures (the hard instances use
signed directions), so only the mixture is checked.

Stages are ``h = 0..H-1`` in code and ``h + 1`` in the papers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import (
    DEFAULT_TOL,
    as_float_array,
    check_horizon,
    check_memory,
    check_shape,
    dense_bytes,
)
from mdptheory.linear import (
    _check_induced_kernel,
    _check_tol,
    _read_initial,
    _read_only,
    _tabular_twin,
)
from mdptheory.tabular import EpisodicMDP, RewardNoise, model_keywords

__all__ = ["LinearMixtureAssumptions", "LinearMixtureMDP"]


@dataclass(frozen=True)
class LinearMixtureAssumptions:
    """The norms the linear-mixture analyses assume, computed exactly on the model.

    Attributes
    ----------
    d : int
        Number of basis kernels.
    theta_norm : float
        ``max_h ||theta_h||_2`` (the papers' ``B``).
    feature_bound : float
        ``max_{s,a} sqrt(sum_i (sum_{s'} |phi_i(s'|s, a)|)^2)``, an upper bound on
        ``||x_V(s, a)||_2`` over every ``V`` with values in [0, 1] (the papers' bound 1, or
        ``sqrt(d)`` for probability basis kernels).
    basis_nonnegative : bool
        Every basis kernel is a non-negative measure.
    """

    d: int
    theta_norm: float
    feature_bound: float
    basis_nonnegative: bool


class LinearMixtureMDP:
    r"""A finite-horizon linear mixture MDP ``P_h(s'|s,a) = sum_i theta_{h,i} P_i(s'|s,a)``.

    Parameters
    ----------
    basis : array_like, shape (d, S, A, S)
        Basis kernels ``basis[i, s, a, s'] = P_i(s'|s, a)`` (known to the learner).
    theta : array_like, shape (d,) or (H, d)
        Mixing weights: one vector (time-homogeneous) or one per stage.
    R : array_like, shape (H, S, A) or (S, A)
        Mean rewards (a 2-d array is shared by all stages).
    H : int
        Horizon.
    initial : array_like, shape (S,), optional
        Initial-state distribution; uniform by default.
    noise : RewardNoise, str or tuple, optional
        Reward-noise model of the twin (deterministic by default).
    tol : float
        Tolerance of the kernel check, 1e-9 by default.
    name : str, optional

    Attributes
    ----------
    S, A, H, d : int
    basis, theta, R, initial : ndarray
        Read-only float64 copies; ``theta`` has shape (1, d) when homogeneous, (H, d) otherwise.
    homogeneous : bool
        One ``theta`` for every stage.
    P : ndarray, shape (1 or H, S, A, S)
        The induced kernel exactly as computed (read-only).

    Raises
    ------
    ValueError
        On a wrong shape or non-finite entry, or when the induced kernel is not a distribution
        within ``tol``, naming the worst (h, s, a) and its value.

    Examples
    --------
    >>> import numpy as np
    >>> stay = np.eye(2)[:, None, :].repeat(1, axis=1)          # (S=2, A=1, S): stay put
    >>> swap = stay[::-1]                                       # move to the other state
    >>> mdp = LinearMixtureMDP(np.stack([stay, swap]), theta=[0.75, 0.25], R=np.eye(2)[:, :1], H=3)
    >>> mdp.P[0, 0, 0].tolist(), mdp.tabular().H
    ([0.75, 0.25], 3)
    >>> mdp.value_features(np.array([1.0, 0.0]))[0, 0].tolist()   # x_V(0, 0) = (P_1 V, P_2 V)
    [1.0, 0.0]
    """

    def __init__(
        self,
        basis,
        theta,
        R,
        H: int,
        initial=None,
        noise=None,
        tol: float = DEFAULT_TOL,
        name: str | None = None,
    ) -> None:
        horizon = check_horizon(H)
        basis_array = as_float_array(basis, "basis", ndim=4)
        dim, n_states, n_actions, n_next = basis_array.shape
        if min(dim, n_states, n_actions) == 0 or n_next != n_states:
            raise ValueError(
                f"basis has shape {basis_array.shape}, expected (d, S, A, S) with d, S, A >= 1"
            )
        theta_array = as_float_array(theta, "theta", ndim=(1, 2))
        if theta_array.ndim == 1:
            check_shape(theta_array, "theta", (dim,))
            theta_array = theta_array[None]
        else:
            check_shape(theta_array, "theta", (horizon, dim))
        R_array = as_float_array(R, "R", ndim=(2, 3))
        if R_array.ndim == 2:
            check_shape(R_array, "R", (n_states, n_actions))
            R_array = np.repeat(R_array[None], horizon, axis=0)
        else:
            check_shape(R_array, "R", (horizon, n_states, n_actions))
        self.tol = _check_tol(tol)
        check_memory(
            2 * dense_bytes(theta_array.shape[0], n_states, n_actions, n_states)
            + dense_bytes(dim, n_states, n_actions, n_states),
            "LinearMixtureMDP: the basis (d, S, A, S) and the induced kernel (H, S, A, S)",
            f"d={dim}, S={n_states}, A={n_actions}",
        )
        rows = basis_array.reshape(dim, -1)
        with np.errstate(over="ignore", invalid="ignore"):
            kernel = (theta_array @ rows).reshape(-1, n_states, n_actions, n_states)
        self._twin_P = _check_induced_kernel(
            kernel, self.tol, "sum_i theta[h, i] basis[i, s, a, s']"
        )
        self.noise = RewardNoise.parse(noise)
        self.noise.check_means(R_array, "R")
        self.S, self.A, self.H, self.d = n_states, n_actions, horizon, dim
        self.name = name
        self.homogeneous = theta_array.shape[0] == 1
        self.basis = _read_only(np.ascontiguousarray(basis_array))
        self.theta = _read_only(np.ascontiguousarray(theta_array))
        self.R = _read_only(np.ascontiguousarray(R_array))
        self.P = _read_only(kernel)
        self.initial = _read_only(_read_initial(initial, n_states, self.tol))
        self._tabular: EpisodicMDP | None = None

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        kind = "homogeneous" if self.homogeneous else "per-stage theta"
        return f"LinearMixtureMDP({label}S={self.S}, A={self.A}, H={self.H}, d={self.d}, {kind})"

    def tabular(self) -> EpisodicMDP:
        """The exact tabular twin (same kernel, rewards, initial distribution, noise)."""
        if self._tabular is None:
            P = self._twin_P[0] if self.homogeneous else self._twin_P
            self._tabular = _tabular_twin(self, P)
        return self._tabular

    def value_features(self, V: np.ndarray) -> np.ndarray:
        """``x_V(s, a) = sum_{s'} phi(s'|s, a) V(s')`` for one or several value functions.

        Parameters
        ----------
        V : ndarray, shape (S,) or (n, S)

        Returns
        -------
        ndarray, shape (S, A, d) or (n, S, A, d)
            ``<x_V(s, a), theta_h> = sum_{s'} P_h(s'|s, a) V(s')``.
        """
        values = as_float_array(V, "V", ndim=(1, 2))
        if values.shape[-1] != self.S:
            raise ValueError(f"V has shape {values.shape}, expected (..., S) with S = {self.S}")
        # (d, S, A, S') . (..., S') -> (..., S, A, d)
        out = np.tensordot(values, self.basis, axes=([-1], [3]))
        return np.moveaxis(out, -3, -1)

    def assumptions(self) -> LinearMixtureAssumptions:
        """Norms of the linear-mixture assumptions (reported, never enforced)."""
        mass = np.abs(self.basis).sum(axis=3)  # (d, S, A)
        return LinearMixtureAssumptions(
            d=self.d,
            theta_norm=float(np.linalg.norm(self.theta, axis=1).max()),
            feature_bound=float(np.sqrt((mass**2).sum(axis=0)).max()),
            basis_nonnegative=bool((self.basis >= 0).all()),
        )

    def with_rewards(self, R, name: str | None = None) -> LinearMixtureMDP:
        """The same dynamics with other mean rewards ``R`` (H, S, A) or (S, A)."""
        theta = self.theta[0] if self.homogeneous else self.theta
        return LinearMixtureMDP(self.basis, theta, R, self.H, **model_keywords(self, name))
