"""Finite MDPs: discounted (:class:`FiniteMDP`) and finite-horizon (:class:`EpisodicMDP`).

Conventions (``DESIGN.md`` section 2)
-------------------------------------
* ``P[s, a, s']`` has shape (S, A, S); an episodic kernel is stored as ``P[h, s, a, s']`` with a
  leading axis of length 1 (stationary, broadcast over stages) or H.
* A kernel may instead be a ``scipy.sparse`` matrix of shape (S*A, S), row ``s * A + a`` holding
  ``P(. | s, a)``; solvers and evaluation then work on it without densifying.
* Rewards are means ``R[s, a]`` (``R[h, s, a]`` episodic); a :class:`RewardNoise` says how reward
  samples are drawn around them.
* Stages are ``h = 0..H-1`` in code, ``1..H`` in papers.
* Every array is float64 and read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from mdptheory._validation import (
    DEFAULT_TOL,
    ParameterTypeError,
    as_float_array,
    check_discount,
    check_distributions,
    check_horizon,
    check_memory,
    check_probability_vector,
    check_real,
    check_shape,
    check_sparse_kernel,
    check_tol,
    dense_bytes,
)

NOISE_CODES = {"deterministic": 0, "bernoulli": 1, "gaussian": 2}


@dataclass(frozen=True)
class RewardNoise:
    """How a reward sample is drawn around its mean ``r``.

    ``deterministic``: the sample is ``r``. ``bernoulli``: the sample is 1 with probability ``r``
    (requires every mean in [0, 1]). ``gaussian``: the sample is ``r + sigma * N(0, 1)``.
    """

    kind: Literal["deterministic", "bernoulli", "gaussian"] = "deterministic"
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in NOISE_CODES:
            raise ValueError(
                f"reward noise kind must be one of {sorted(NOISE_CODES)}, got {self.kind!r}"
            )
        check_real(self.sigma, "reward noise sigma", 0.0)
        if self.kind == "gaussian" and self.sigma == 0:
            raise ValueError(
                "gaussian reward noise needs sigma > 0 (use 'deterministic' for noiseless rewards)"
            )
        if self.kind != "gaussian" and self.sigma != 0:
            raise ValueError(
                f"sigma is only used by gaussian noise, got sigma={self.sigma} "
                f"with kind {self.kind!r}"
            )

    @property
    def code(self) -> int:
        """Integer code passed to compiled kernels (0 deterministic, 1 Bernoulli, 2 Gaussian)."""
        return NOISE_CODES[self.kind]

    @classmethod
    def parse(cls, spec: RewardNoise | str | tuple | None) -> RewardNoise:
        """Accept ``None``, a kind name, ``("gaussian", sigma)`` or a :class:`RewardNoise`."""
        if spec is None:
            return cls()
        if isinstance(spec, RewardNoise):
            return spec
        if isinstance(spec, str):
            return cls(spec)
        if isinstance(spec, tuple) and len(spec) == 2:
            return cls(spec[0], check_real(spec[1], "reward noise sigma", 0.0))
        raise ValueError(
            f"cannot read reward noise from {spec!r}; use 'deterministic', "
            "'bernoulli' or ('gaussian', sigma)"
        )

    def check_means(self, R: np.ndarray, name: str = "R") -> None:
        if self.kind == "bernoulli":
            bad = (R < 0) | (R > 1)
            if bad.any():
                index = np.unravel_index(int(np.flatnonzero(bad)[0]), R.shape)
                inner = ", ".join(map(str, index))
                raise ValueError(
                    f"{name}[{inner}] is {float(R[index])!r}, outside [0, 1], which "
                    "Bernoulli reward noise requires"
                )


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _check_kernel_size(P, n_states: int, n_actions: int, stages: int, family: str) -> None:
    """Refuse a dense kernel whose float64 copy would exceed the memory limit."""
    if sp.issparse(P):
        return
    check_memory(
        dense_bytes(stages, n_states, n_actions, n_states),
        f"{family}: a dense kernel P of shape ({stages}, S, A, S)",
        f"S={n_states}, A={n_actions}" + (f", H={stages}" if stages > 1 else ""),
    )


def _read_kernel(
    P,
    n_states_hint: int | None,
    n_actions_hint: int | None,
    tol: float,
    allowed_ndim: tuple[int, ...],
):
    """Return (dense or None, sparse or None)."""
    if sp.issparse(P):
        if n_states_hint is None or n_actions_hint is None:
            raise ValueError("a sparse P needs R to fix S and A")
        csr = check_sparse_kernel(P, "P", n_states_hint, n_actions_hint, tol)
        csr.data.flags.writeable = False
        return None, csr
    dense = as_float_array(P, "P", ndim=allowed_ndim)
    return dense, None


class _TabularModel:
    """What :class:`FiniteMDP` and :class:`EpisodicMDP` hold alike: sizes, tolerance, name,
    read-only rewards, start distribution, reward noise and the kernel, dense or sparse."""

    def _store(
        self,
        R: np.ndarray,
        initial,
        noise,
        tol: float,
        name: str | None,
        dense: np.ndarray | None,
        sparse: sp.csr_array | None,
    ) -> None:
        """Check the start distribution and the noise against ``R``, then keep everything."""
        n_states, n_actions = R.shape[-2:]
        if initial is None:
            rho = np.full(n_states, 1.0 / n_states)
        else:
            rho = check_probability_vector(initial, "initial", n_states, tol)
        self.noise = RewardNoise.parse(noise)
        self.noise.check_means(R)
        self.S = n_states
        self.A = n_actions
        self.tol = tol
        self.name = name
        self.R = _read_only(R)
        self._reward_scale = float(np.max(np.abs(R)))
        self.initial = _read_only(rho)
        self._P = None if dense is None else _read_only(dense)
        self._P_sparse = sparse

    @property
    def is_sparse(self) -> bool:
        """True when the kernel is stored as a sparse (S*A, S) matrix."""
        return self._P_sparse is not None


class FiniteMDP(_TabularModel):
    """A discounted MDP with finite state and action sets.

    Parameters
    ----------
    P : array_like, shape (S, A, S), or scipy.sparse matrix, shape (S*A, S)
        Transition kernel ``P[s, a, s'] = Pr(s' | s, a)``. Each row must be non-negative and sum
        to 1 within ``tol``.
    R : array_like, shape (S, A)
        Mean rewards (any finite reals).
    gamma : float
        Discount factor, ``0 <= gamma < 1``.
    initial : array_like, shape (S,), optional
        Initial-state distribution ``rho``; uniform by default.
    noise : RewardNoise, str or tuple, optional
        Reward-noise model for sampling: ``"deterministic"`` (default), ``"bernoulli"`` or
        ``("gaussian", sigma)``.
    tol : float
        Tolerance on row sums, 1e-9 by default.
    name : str, optional
        A label carried into results and reports.

    Raises
    ------
    ValueError
        On a wrong shape, a non-finite entry, a negative probability or a row that does not sum
        to 1; the message names the first offending index and its value.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> R = np.array([[0.0, 0.5], [1.0, 0.0]])
    >>> mdp = FiniteMDP(P, R, gamma=0.9)
    >>> mdp.S, mdp.A
    (2, 2)
    """

    def __init__(
        self,
        P,
        R,
        gamma: float,
        initial=None,
        noise=None,
        tol: float = DEFAULT_TOL,
        name: str | None = None,
    ) -> None:
        tol = check_tol(tol, allow_zero=True)
        gamma = check_discount(gamma)
        R_array = as_float_array(R, "R", ndim=2)
        n_states, n_actions = R_array.shape
        if n_states == 0 or n_actions == 0:
            raise ValueError(f"R has shape {R_array.shape}: need at least one state and action")
        _check_kernel_size(P, n_states, n_actions, 1, "FiniteMDP")
        dense, sparse = _read_kernel(P, n_states, n_actions, tol, (3,))
        if dense is not None:
            check_shape(dense, "P", (n_states, n_actions, n_states))
            check_distributions(dense, "P", tol)
        self.gamma = gamma
        self._store(R_array, initial, noise, tol, name, dense, sparse)

    @property
    def P(self) -> np.ndarray:
        """The dense kernel, shape (S, A, S). Raises for a sparse model (see :meth:`dense_P`)."""
        if self._P is None:
            raise ValueError("this MDP stores a sparse kernel; use P_matrix() or dense_P()")
        return self._P

    def P_matrix(self) -> np.ndarray | sp.csr_array:
        """The kernel as an (S*A, S) matrix (a view of the dense array, or the CSR array).

        A method, like :meth:`EpisodicMDP.P_matrix`, which takes the stage ``h``: the two
        models ask for their kernel matrix the same way, the episodic one naming a stage
        (as with :meth:`expect`).
        """
        if self._P_sparse is not None:
            return self._P_sparse
        return self._P.reshape(self.S * self.A, self.S)

    def dense_P(self) -> np.ndarray:
        """The kernel as a dense (S, A, S) array (densifies a sparse kernel)."""
        if self._P is not None:
            return self._P
        return self._P_sparse.toarray().reshape(self.S, self.A, self.S)

    def expect(self, V: np.ndarray) -> np.ndarray:
        """``(P V)[s, a] = sum_s' P(s'|s, a) V[s']``; V of shape (S,) or (S, k)."""
        V = np.asarray(V, dtype=np.float64)
        out = self.P_matrix() @ V
        return np.asarray(out).reshape((self.S, self.A, *V.shape[1:]))

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        storage = "sparse" if self.is_sparse else "dense"
        return (
            f"FiniteMDP({label}S={self.S}, A={self.A}, gamma={self.gamma}, {storage}, "
            f"noise={self.noise.kind})"
        )


class EpisodicMDP(_TabularModel):
    """A finite-horizon MDP with finite state and action sets.

    Parameters
    ----------
    P : array_like, shape (S, A, S) or (H, S, A, S), or scipy.sparse matrix (S*A, S)
        Transition kernel; a 3-d (or sparse) kernel is stationary and shared by all stages.
    R : array_like, shape (S, A) or (H, S, A)
        Mean rewards; a 2-d array is shared by all stages.
    H : int
        Horizon (number of decisions per episode). Stage ``h`` in code is stage ``h + 1`` in
        papers.
    initial : array_like, shape (S,), optional
        Initial-state distribution; uniform by default.
    noise, tol, name
        As for :class:`FiniteMDP`.

    Attributes
    ----------
    P : ndarray, shape (1, S, A, S) or (H, S, A, S)
        Dense kernel with a stage axis (length 1 when stationary); use :meth:`transition`.
    R : ndarray, shape (H, S, A)

    Examples
    --------
    >>> import numpy as np
    >>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), np.eye(2), H=3)
    >>> mdp.S, mdp.A, mdp.H, mdp.stationary
    (2, 2, 3, True)
    """

    def __init__(
        self,
        P,
        R,
        H: int,
        initial=None,
        noise=None,
        tol: float = DEFAULT_TOL,
        name: str | None = None,
    ) -> None:
        H = check_horizon(H)
        tol = check_tol(tol, allow_zero=True)
        R_array = as_float_array(R, "R", ndim=(2, 3))
        if R_array.ndim == 3 and R_array.shape[0] != H:
            raise ValueError(
                f"R has shape {R_array.shape}: its stage axis is "
                f"{R_array.shape[0]}, expected H = {H}"
            )
        n_states, n_actions = R_array.shape[-2:]
        if n_states == 0 or n_actions == 0:
            raise ValueError(f"R has shape {R_array.shape}: need at least one state and action")
        check_memory(
            dense_bytes(H, n_states, n_actions),
            "EpisodicMDP: the stage rewards R[h, s, a] of shape (H, S, A)",
            f"H={H} (S={n_states}, A={n_actions})",
        )
        stages = 1 if sp.issparse(P) or np.ndim(P) == 3 else H
        _check_kernel_size(P, n_states, n_actions, stages, "EpisodicMDP")
        dense, sparse = _read_kernel(P, n_states, n_actions, tol, (3, 4))
        if dense is not None:
            if dense.ndim == 3:
                check_shape(dense, "P", (n_states, n_actions, n_states))
                check_distributions(dense, "P", tol)
                dense = dense[None]
            else:
                check_shape(dense, "P", (H, n_states, n_actions, n_states))
                check_distributions(dense, "P", tol)
        if R_array.ndim == 2:
            R_array = np.ascontiguousarray(np.broadcast_to(R_array, (H, n_states, n_actions)))
        self.H = H
        self._store(R_array, initial, noise, tol, name, dense, sparse)

    @property
    def stationary(self) -> bool:
        """True when one kernel is shared by every stage."""
        return self._P_sparse is not None or self._P.shape[0] == 1

    @property
    def P(self) -> np.ndarray:
        """Dense kernel of shape (1 or H, S, A, S). Raises for a sparse model."""
        if self._P is None:
            raise ValueError("this MDP stores a sparse kernel; use P_matrix(h) or transition(h)")
        return self._P

    def P_matrix(self, h: int) -> np.ndarray | sp.csr_array:
        """Stage-``h`` kernel as an (S*A, S) matrix (a view, or the shared CSR array).

        A method with the stage as its argument; :meth:`FiniteMDP.P_matrix` is the same method
        without one.
        """
        self._check_stage(h)
        if self._P_sparse is not None:
            return self._P_sparse
        return self._P[h if self._P.shape[0] > 1 else 0].reshape(self.S * self.A, self.S)

    def transition(self, h: int) -> np.ndarray:
        """Dense stage-``h`` kernel, shape (S, A, S) (densifies a sparse kernel)."""
        self._check_stage(h)
        if self._P_sparse is not None:
            return self._P_sparse.toarray().reshape(self.S, self.A, self.S)
        return self._P[h if self._P.shape[0] > 1 else 0]

    def dense_P(self) -> np.ndarray:
        """Dense kernel with stage axis, shape (1 or H, S, A, S)."""
        if self._P is not None:
            return self._P
        return self._P_sparse.toarray().reshape(1, self.S, self.A, self.S)

    def expect(self, V: np.ndarray, h: int) -> np.ndarray:
        """``(P_h V)[s, a] = sum_s' P_h(s'|s, a) V[s']``; V of shape (S,) or (S, k)."""
        V = np.asarray(V, dtype=np.float64)
        out = self.P_matrix(h) @ V
        return np.asarray(out).reshape((self.S, self.A, *V.shape[1:]))

    def _check_stage(self, h: int) -> None:
        if isinstance(h, (bool, np.bool_)) or not isinstance(h, (int, np.integer)):
            raise ParameterTypeError(f"stage h must be an int in 0..{self.H - 1}, got {h!r}")
        if not (0 <= h < self.H):
            raise ValueError(f"stage h = {h} is outside 0..{self.H - 1}")

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        kind = "stationary" if self.stationary else "non-stationary"
        storage = "sparse" if self.is_sparse else "dense"
        return (
            f"EpisodicMDP({label}S={self.S}, A={self.A}, H={self.H}, {kind}, {storage}, "
            f"noise={self.noise.kind})"
        )


def model_keywords(model, name: str | None = None) -> dict[str, Any]:
    """The keywords a model hands to a model built from it (its tabular twin, a factored or
    re-rewarded copy): its ``initial`` distribution, reward ``noise``, ``tol`` and ``name``
    (``name`` replaces the last when given).

    Examples
    --------
    >>> import numpy as np
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), H=2, name="coin")
    >>> EpisodicMDP(mdp.P[0], np.ones((2, 1)), H=3, **model_keywords(mdp)).name
    'coin'
    """
    return {
        "initial": model.initial,
        "noise": model.noise,
        "tol": model.tol,
        "name": model.name if name is None else name,
    }
