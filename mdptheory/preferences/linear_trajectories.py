r"""Trajectory preferences on the linear trajectory features of a linear MDP, with a link.

Setting (the linear trajectory-feature model of preference-based RL in linear MDPs, e.g. Zhan et
al., ICLR 2024, Sec. 2 with a link ``Phi``, and Wu and Sun, ICLR 2024; formulas from memory,
theory-wave2.md 4.3-4.4 [M]): a :class:`~mdptheory.linear.LinearMDP` with features ``phi(s,
a) in R^d``; a trajectory ``tau = (s_0, a_0, ..., s_{H-1}, a_{H-1})`` has the summed feature

    phi(tau) = sum_{h=0}^{H-1} phi(s_h, a_h)  in R^d,

its reward is ``r(tau) = phi(tau)^T omega`` and a pair is labelled ``o = 1`` (``tau^1``
preferred) with probability ``F(r(tau^1) - r(tau^0))`` for a link ``F``
(:mod:`mdptheory.preferences.links`). When the MDP's reward parameter is stationary, ``theta_h =
omega`` for every h, ``r(tau)`` is the trajectory's return (:meth:`LinearTrajectoryPreferences.
from_returns`).

Exact quantities: the expected feature of a policy, ``E_pi[phi(tau)] = sum_h sum_{s,a}
d_h^pi(s, a) phi(s, a)`` with the exact occupancy ``d^pi`` of the tabular twin, and so its
expected reward ``J(pi; omega)``; preference probabilities of any two trajectories.
"""

from __future__ import annotations

import numpy as np

from mdptheory._kernels import rollout_episode
from mdptheory._validation import as_float_array, check_int
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP
from mdptheory.preferences.links import Link, make_link
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["LinearTrajectoryPreferences", "summed_features"]


def summed_features(phi, states, actions) -> np.ndarray:
    """``phi(tau) = sum_h phi(s_h, a_h)`` of one trajectory (states and actions (H,)) or of a
    batch ((N, H) each; then (N, d)).

    Examples
    --------
    >>> phi = np.eye(2).reshape(2, 1, 2)
    >>> summed_features(phi, [0, 1, 1], [0, 0, 0]).tolist()
    [1.0, 2.0]
    """
    features = np.asarray(phi, dtype=np.float64)
    s = np.asarray(states, dtype=np.int64)
    a = np.asarray(actions, dtype=np.int64)
    H = a.shape[-1]
    return features[s[..., :H], a].sum(axis=-2)


class LinearTrajectoryPreferences:
    """Preferences ``P(tau^1 > tau^0) = F((phi(tau^1) - phi(tau^0))^T omega)`` on a linear MDP.

    Parameters
    ----------
    mdp : LinearMDP
    omega : array_like, shape (d,)
        The reward weights of the summed features.
    link : str or Link
        Default ``"logistic"`` (Bradley–Terry on trajectory rewards).

    Examples
    --------
    >>> phi = np.eye(2).reshape(2, 1, 2)  # S = 2 states, one action, d = 2
    >>> mdp = LinearMDP(phi, np.full((2, 2, 2), 0.5), theta=[[1.0, 0.0], [1.0, 0.0]])
    >>> model = LinearTrajectoryPreferences(mdp, [1.0, -1.0], link="probit")
    >>> model.value(np.zeros((2, 2), int))
    0.0
    >>> x1, x0, labels = model.sample_pairs(np.zeros((2, 2), int), np.zeros((2, 2), int), 5)
    >>> x1.shape, labels.shape
    ((5, 2), (5,))
    """

    def __init__(self, mdp: LinearMDP, omega, link: str | Link = "logistic") -> None:
        if not isinstance(mdp, LinearMDP):
            raise ValueError(
                f"linear trajectory features need a LinearMDP, got {type(mdp).__name__}"
            )
        w = as_float_array(omega, "omega", ndim=1)
        d = mdp.phi.shape[2]
        if w.shape != (d,):
            raise ValueError(f"omega has shape {w.shape}, expected ({d},)")
        self.mdp = mdp
        self.omega = w
        self.omega.flags.writeable = False
        self.link = make_link(link)
        self._twin = mdp.tabular()

    @classmethod
    def from_returns(cls, mdp: LinearMDP, link: str | Link = "logistic"):
        """``omega = theta_0`` for an MDP whose reward parameter is the same at every stage, so
        ``r(tau)`` is the return of ``tau``."""
        theta = np.asarray(mdp.theta, dtype=np.float64)
        moved = np.argwhere(np.abs(theta - theta[0]) > 0)
        if moved.size:
            h, i = (int(v) for v in moved[0])
            raise ValueError(
                f"theta[{h}, {i}] is {float(theta[h, i])!r} but theta[0, {i}] is "
                f"{float(theta[0, i])!r}: the return is a summed-feature reward only for a "
                "stationary theta"
            )
        return cls(mdp, theta[0], link)

    def features(self, states, actions) -> np.ndarray:
        """:func:`summed_features` with this MDP's ``phi``."""
        return summed_features(self.mdp.phi, states, actions)

    def reward(self, features) -> np.ndarray:
        """``r(tau) = phi(tau)^T omega`` of summed features (..., d)."""
        return np.asarray(features, dtype=np.float64) @ self.omega

    def probability(self, x1, x0) -> np.ndarray:
        """``P(tau^1 > tau^0) = F((x1 - x0)^T omega)``."""
        return self.link.cdf(self.reward(np.asarray(x1, float) - np.asarray(x0, float)))

    def expected_feature(self, policy) -> np.ndarray:
        """``E_pi[phi(tau)]`` exactly, for a policy (H, S) int or (H, S, A) stochastic."""
        d = occupancy(self._twin, policy)
        return np.einsum("hsa,sak->k", d, self.mdp.phi)

    def value(self, policy) -> float:
        """``J(pi; omega) = E_pi[r(tau)]`` exactly."""
        return float(self.expected_feature(policy) @ self.omega)

    def sample_pairs(self, policy1, policy0, n: int, seed: SeedLike = 0):
        """``n`` pairs: ``tau^1`` from the deterministic ``policy1`` (H, S), ``tau^0`` from
        ``policy0``, rolled out on the exact tabular twin, labelled by the link.

        Returns
        -------
        x1, x0 : ndarray, shape (n, d)
            Summed features of the two trajectories.
        labels : ndarray, shape (n,)
            1.0 when ``tau^1`` is preferred.
        """
        n = check_int(n, "n", 1)
        rng = as_generator(seed)
        twin = self._twin
        P4 = np.ascontiguousarray(twin.dense_P(), dtype=np.float64)
        R3 = np.ascontiguousarray(
            np.broadcast_to(twin.R, (twin.H, twin.S, twin.A)), dtype=np.float64
        )
        initial = np.ascontiguousarray(twin.initial, dtype=np.float64)
        pols = []
        for name, policy in (("policy1", policy1), ("policy0", policy0)):
            pi = np.asarray(policy)
            if pi.shape != (twin.H, twin.S) or not np.issubdtype(pi.dtype, np.integer):
                raise ValueError(f"{name} must be an int array of shape ({twin.H}, {twin.S})")
            bad = np.argwhere((pi < 0) | (pi >= twin.A))
            if bad.size:
                h, s = (int(v) for v in bad[0])
                raise ValueError(f"{name}[{h}, {s}] is {int(pi[h, s])}, not an action")
            pols.append(np.ascontiguousarray(pi, dtype=np.int64))
        x = np.empty((2, n, self.omega.shape[0]))
        for m in range(n):
            for k in range(2):
                states, actions, _ = rollout_episode(P4, R3, 0, 0.0, initial, pols[k], rng)
                x[k, m] = self.features(states, actions)
        labels = (rng.random(n) < self.probability(x[0], x[1])).astype(np.float64)
        return x[0], x[1], labels
