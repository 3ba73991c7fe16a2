"""Trajectory preferences on an episodic tabular MDP: the exact trajectory distribution of any
policy, trajectory features, and the concentrability coefficients of offline preference-based RL.

Setting (Zhan, Uehara, Kallus, Lee, Sun, ICLR 2024, arXiv:2305.14816, Sec. 2-4; the formulas
are from memory, see the project's references 4.3): trajectories ``tau = (s_0, a_0, ..., s_{H-1},
a_{H-1})`` of an episodic MDP with known transitions; a trajectory-level reward that is linear
in the one-hot trajectory features ``phi(tau)[h, s, a] = 1{s_h = s, a_h = a}``, so ``r_theta(tau)
= phi(tau)^T theta`` and ``J(pi; theta) = E_{tau ~ pi}[r_theta(tau)]`` (with ``theta = R`` it is
the usual return); a pair ``(tau^0, tau^1)`` is labelled ``o = 1`` with probability
``sigma(r*(tau^1) - r*(tau^0))``.

:class:`TrajectorySpace` enumerates every trajectory that some policy can produce (positive
initial and transition probabilities), once; the probability of trajectory ``tau`` under a
(stochastic) Markov policy ``pi[h, s, a]`` is then ``rho(s_0) prod_h pi_h(a_h | s_h)
P_h(s_{h+1} | s_h, a_h)``, exactly, for any policy.

Concentrability (Zhan et al., Sec. 4, formula from memory):

    C_r(G, pi_tar, mu_ref) = max{0, sup_{r in G} E_{tau0 ~ pi_tar, tau1 ~ mu_ref}[dr]
                                                 / sqrt(E_{tau0 ~ mu_0, tau1 ~ mu_1}[dr^2])},
    dr = r*(tau0) - r*(tau1) - r(tau0) + r(tau1),

and the per-trajectory coefficient ``C_tr = max_tau d^{pi_tar}(tau) / mu_0(tau)``. With
``mu_ref = mu_1``, Cauchy–Schwarz and a change of measure give ``C_r <= sqrt(C_tr) <= C_tr``
(derived here; the paper states the upper bound by the per-trajectory coefficient).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import as_float_array
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "TrajectorySpace",
    "per_trajectory_concentrability",
    "preference_concentrability",
]

MAX_TRAJECTORIES = 200_000
"""Enumeration stops with a ValueError beyond this many trajectories."""


@dataclass(frozen=True)
class TrajectorySpace:
    """Every trajectory of an episodic MDP with positive probability under some policy.

    Attributes
    ----------
    states, actions : ndarray of int, shape (T, H)
        ``s_h`` and ``a_h`` of each trajectory.
    dynamics : ndarray, shape (T,)
        ``rho(s_0) prod_h P_h(s_{h+1} | s_h, a_h)``: the policy-free part of its probability.
    S, A, H : int

    Examples
    --------
    >>> import numpy as np
    >>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), np.zeros((2, 2)), H=2, initial=[1.0, 0.0])
    >>> space = TrajectorySpace.of(mdp)
    >>> len(space), float(space.probabilities(np.full((2, 2, 2), 0.5)).sum())
    (8, 1.0)
    """

    states: np.ndarray
    actions: np.ndarray
    dynamics: np.ndarray
    S: int
    A: int
    H: int

    @classmethod
    def of(cls, mdp: EpisodicMDP) -> TrajectorySpace:
        """Enumerate the trajectories of ``mdp`` (stage by stage, keeping positive branches)."""
        if not isinstance(mdp, EpisodicMDP):
            raise ValueError(
                f"trajectory preferences need an EpisodicMDP, got {type(mdp).__name__}"
            )
        P = mdp.dense_P()
        H, S, A = mdp.H, mdp.S, mdp.A
        start = np.flatnonzero(mdp.initial > 0)
        states = start[:, None]
        actions = np.zeros((start.size, 0), dtype=np.int64)
        weight = mdp.initial[start].astype(np.float64)
        for h in range(H):
            T = states.shape[0] * A
            if T > MAX_TRAJECTORIES:
                raise ValueError(
                    f"the MDP has more than {MAX_TRAJECTORIES} trajectories by "
                    f"stage {h} (S={S}, A={A}, H={H}); use a smaller instance"
                )
            states = np.repeat(states, A, axis=0)
            actions = np.concatenate(
                [np.repeat(actions, A, axis=0), np.tile(np.arange(A), T // A)[:, None]], axis=1
            )
            weight = np.repeat(weight, A)
            if h == H - 1:
                break
            kernel = P[h if P.shape[0] > 1 else 0]
            nxt = kernel[states[:, -1], actions[:, -1]]  # (T, S)
            rows, succ = np.nonzero(nxt > 0)
            if rows.size > MAX_TRAJECTORIES:
                raise ValueError(
                    f"the MDP has more than {MAX_TRAJECTORIES} trajectories by "
                    f"stage {h + 1}; use a smaller instance"
                )
            states = np.concatenate([states[rows], succ[:, None]], axis=1)
            actions = actions[rows]
            weight = weight[rows] * nxt[rows, succ]
        for array in (states, actions, weight):
            array.flags.writeable = False
        return cls(states, actions, weight, S, A, H)

    def __len__(self) -> int:
        return int(self.states.shape[0])

    def probabilities(self, policy) -> np.ndarray:
        """``d^pi(tau)`` of every trajectory under ``policy`` (H, S, A) stochastic or (H, S)
        deterministic; sums to 1."""
        pi = self._policy(policy)
        h = np.arange(self.H)[None, :]
        return self.dynamics * np.prod(pi[h, self.states, self.actions], axis=1)

    def _policy(self, policy) -> np.ndarray:
        array = np.asarray(policy)
        if array.shape == (self.H, self.S) and np.issubdtype(array.dtype, np.integer):
            return np.eye(self.A)[array]
        array = as_float_array(policy, "policy", ndim=3)
        if array.shape != (self.H, self.S, self.A):
            raise ValueError(
                f"policy has shape {array.shape}, expected ({self.H}, {self.S}, "
                f"{self.A}) or an int ({self.H}, {self.S})"
            )
        return array

    def features(self) -> np.ndarray:
        """``phi(tau)``: one-hot (T, H*S*A) with a 1 at each ``(h, s_h, a_h)``."""
        T = len(self)
        phi = np.zeros((T, self.H * self.S * self.A))
        index = (np.arange(self.H)[None, :] * self.S + self.states) * self.A + self.actions
        np.put_along_axis(phi, index, 1.0, axis=1)
        return phi

    def returns(self, theta) -> np.ndarray:
        """``r_theta(tau) = phi(tau)^T theta`` of every trajectory: (T,) for one ``theta`` of
        shape (H, S, A), (T, G) for a stack (G, H, S, A)."""
        array = as_float_array(theta, "theta")
        size = self.H * self.S * self.A
        if array.size % size or array.ndim not in (3, 4):
            raise ValueError(
                f"theta must have shape ({self.H}, {self.S}, {self.A}) or (G, "
                f"{self.H}, {self.S}, {self.A}), got {array.shape}"
            )
        values = self.features() @ array.reshape(-1, size).T
        return values[:, 0] if array.ndim == 3 else values


def _moments(space: TrajectorySpace, probabilities: np.ndarray, phi: np.ndarray):
    mean = probabilities @ phi
    second = (phi * probabilities[:, None]).T @ phi
    return mean, second - np.outer(mean, mean)


def preference_concentrability(
    space: TrajectorySpace, theta_star, reward_class, target, reference, mu0, mu1
) -> float:
    """``C_r(G, pi_tar, mu_ref)`` of Zhan et al. (module docstring), exactly.

    Parameters
    ----------
    space : TrajectorySpace
    theta_star : array_like, shape (H, S, A)
        The true reward.
    reward_class : array_like, shape (G, H, S, A)
        The class ``G`` (members equal to ``theta_star`` in every feature direction are skipped).
    target, reference, mu0, mu1 : policies (H, S, A) or (H, S) int
        ``pi_tar``, ``mu_ref`` and the two behaviours generating ``tau^0`` and ``tau^1``.

    Returns
    -------
    float
        ``inf`` when some member differs from ``theta_star`` only where the data never go
        and the target sees the difference.
    """
    phi = space.features()
    star = as_float_array(theta_star, "theta_star").reshape(-1)
    G = as_float_array(reward_class, "reward_class").reshape(-1, star.size)
    m_tar = space.probabilities(target) @ phi
    m_ref = space.probabilities(reference) @ phi
    m0, c0 = _moments(space, space.probabilities(mu0), phi)
    m1, c1 = _moments(space, space.probabilities(mu1), phi)
    spread = c0 + c1 + np.outer(m0 - m1, m0 - m1)
    best = 0.0
    for theta in G:
        v = star - theta
        numerator = float((m_tar - m_ref) @ v)
        denominator = float(np.sqrt(max(v @ spread @ v, 0.0)))
        if numerator <= 1e-12 * max(1.0, float(np.abs(v).max())):
            continue
        if denominator <= 1e-12 * max(1.0, float(np.abs(v).max())):
            return float("inf")
        best = max(best, numerator / denominator)
    return best


def per_trajectory_concentrability(space: TrajectorySpace, target, mu0) -> float:
    """``C_tr = max_tau d^{pi_tar}(tau) / mu_0(tau)`` (``inf`` where ``mu_0`` misses a trajectory
    the target takes)."""
    d = space.probabilities(target)
    mu = space.probabilities(mu0)
    seen = d > 0
    if np.any(seen & (mu <= 0)):
        return float("inf")
    return float(np.max(d[seen] / mu[seen]))
