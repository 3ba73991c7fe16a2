"""An offline preference-based RL problem: an episodic MDP with known transitions, a true
trajectory reward, a finite reward class, two behaviours and a reference and target policy.

The object of Zhan, Uehara, Kallus, Lee, Sun (ICLR 2024, arXiv:2305.14816) in its tabular form,
with a finite class ``G`` so that the maximum likelihood, the minimum over the confidence set
and the concentrability coefficients are exact enumerations (the project's references, 4.3).
Rewards are trajectory-level and linear in the one-hot trajectory features,
``r_theta(tau) = sum_h theta[h, s_h, a_h]`` (:mod:`mdptheory.preferences.trajectories`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mdptheory._validation import as_float_array
from mdptheory.preferences.trajectories import (
    TrajectorySpace,
    per_trajectory_concentrability,
    preference_concentrability,
)
from mdptheory.tabular import EpisodicMDP

__all__ = ["OfflinePreferenceProblem", "deterministic_policies", "policy_occupancies"]


def deterministic_policies(H: int, S: int, A: int) -> np.ndarray:
    """Every deterministic Markov policy, (A^(H S), H, S) ints, in lexicographic order."""
    count = A ** (H * S)
    if count > 1 << 16:
        raise ValueError(
            f"A^(H S) = {A}^{H * S} deterministic policies are too many to enumerate (limit 65536)"
        )
    codes = np.arange(count)
    digits = (codes[:, None] // A ** np.arange(H * S)[None, ::-1]) % A
    return digits.reshape(count, H, S).astype(np.int64)


def policy_occupancies(mdp: EpisodicMDP, policies: np.ndarray) -> np.ndarray:
    """``d_h(s, a)`` of each deterministic policy (N, H, S) by one forward pass, (N, H, S, A)."""
    P = mdp.dense_P()
    N = policies.shape[0]
    occ = np.zeros((N, mdp.H, mdp.S, mdp.A))
    state = np.broadcast_to(mdp.initial, (N, mdp.S)).copy()
    rows = np.arange(N)[:, None]
    cols = np.arange(mdp.S)[None, :]
    for h in range(mdp.H):
        occ[rows, h, cols, policies[:, h]] = state
        state = np.einsum("nsa,sat->nt", occ[:, h], P[h if P.shape[0] > 1 else 0])
    return occ


def _policy_array(value: Any, mdp: EpisodicMDP, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.shape == (mdp.H, mdp.S) and np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() >= mdp.A:
            bad = np.argwhere((array < 0) | (array >= mdp.A))[0]
            raise ValueError(
                f"{name}[{bad[0]}, {bad[1]}] is {int(array[tuple(bad)])}, outside 0..{mdp.A - 1}"
            )
        return np.eye(mdp.A)[array]
    array = as_float_array(value, name, ndim=3)
    if array.shape != (mdp.H, mdp.S, mdp.A):
        raise ValueError(
            f"{name} has shape {array.shape}, expected ({mdp.H}, {mdp.S}, "
            f"{mdp.A}) or an int ({mdp.H}, {mdp.S})"
        )
    sums = array.sum(axis=2)
    off = np.argwhere((np.abs(sums - 1) > 1e-9) | np.any(array < 0, axis=2))
    if off.size:
        h, s = (int(v) for v in off[0])
        raise ValueError(f"{name}[{h}, {s}, :] is not a probability vector")
    return array


@dataclass(frozen=True)
class OfflinePreferenceProblem:
    """An offline preference-based RL problem on an episodic tabular MDP.

    Parameters
    ----------
    mdp : EpisodicMDP
        Known transitions (Zhan et al.'s known-transition setting, Theorem 1).
    theta_star : array_like, shape (H, S, A)
        The true trajectory reward ``r*(tau) = sum_h theta*[h, s_h, a_h]``.
    reward_class : array_like, shape (G, H, S, A)
        The finite class ``G``; must contain ``theta_star`` (realisability).
    mu0, mu1 : policies
        Behaviours generating ``tau^0`` and ``tau^1`` ((H, S, A) stochastic or (H, S) int).
    reference : policy
        ``mu_ref`` of the robust objective ``J(pi; r) - E_{mu_ref} r``.
    target : policy
        ``pi_tar``, the policy the sub-optimality is measured against.
    name : str
    """

    mdp: EpisodicMDP
    theta_star: np.ndarray
    reward_class: np.ndarray
    mu0: np.ndarray
    mu1: np.ndarray
    reference: np.ndarray
    target: np.ndarray
    name: str = "offline_preference_problem"
    space: TrajectorySpace = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.mdp, EpisodicMDP):
            raise ValueError(f"mdp must be an EpisodicMDP, got {type(self.mdp).__name__}")
        shape = (self.mdp.H, self.mdp.S, self.mdp.A)
        star = as_float_array(self.theta_star, "theta_star", ndim=3)
        if star.shape != shape:
            raise ValueError(f"theta_star has shape {star.shape}, expected {shape}")
        G = as_float_array(self.reward_class, "reward_class", ndim=4)
        if G.shape[1:] != shape:
            raise ValueError(
                f"reward_class has shape {G.shape}, expected (G, {shape[0]}, "
                f"{shape[1]}, {shape[2]})"
            )
        if not np.any(np.all(G == star, axis=(1, 2, 3))):
            raise ValueError(
                "reward_class does not contain theta_star (the class must be realisable)"
            )
        object.__setattr__(self, "theta_star", star)
        object.__setattr__(self, "reward_class", G)
        for name in ("mu0", "mu1", "reference", "target"):
            object.__setattr__(self, name, _policy_array(getattr(self, name), self.mdp, name))
        object.__setattr__(self, "space", TrajectorySpace.of(self.mdp))

    def value(self, policy, theta=None) -> float:
        """``J(pi; theta) = E_{tau ~ pi}[r_theta(tau)]`` (``theta*`` by default)."""
        theta = self.theta_star if theta is None else theta
        return float(self.space.probabilities(policy) @ self.space.returns(theta))

    def concentrability(self) -> float:
        """``C_r(G, pi_tar, mu_ref)`` (:func:`preference_concentrability`)."""
        return preference_concentrability(
            self.space,
            self.theta_star,
            self.reward_class,
            self.target,
            self.reference,
            self.mu0,
            self.mu1,
        )

    def per_trajectory_concentrability(self) -> float:
        """``max_tau d^{pi_tar}(tau) / mu_0(tau)``."""
        return per_trajectory_concentrability(self.space, self.target, self.mu0)
