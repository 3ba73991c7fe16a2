r"""The planning phase of reward-free exploration: a battery of rewards, planned and judged exactly.

After exploring without rewards, a reward-free learner receives rewards and plans for each on
what it learned (the empirical kernel, or the estimated mixture). The quantity the theorems
bound is the planning-phase sub-optimality of the returned policy ``pi_r``,

.. math::

    \mathrm{SubOpt}(r) = V^\star_{1}(\rho; r) - V^{\pi_r}_{1}(\rho; r),

uniformly over all rewards (Jin et al. 2020; Ménard et al. 2021; Zhang, Zhang, Gu 2023). It is
computed here exactly, in batch over the rewards, on the true kernel.

The battery (:func:`reward_battery`), every reward with total at most 1 along every trajectory:

* the model's own reward;
* ``n_random`` rewards uniform on ``[0, 1/H]`` per step (seeded);
* every stage-state indicator ``r_h(s, a) = 1[h = h0, s = s0]``, the rewards of Jin et al.'s
  exploration phase. The **adversarial** reward is the indicator that maximises the
  sub-optimality of its returned policy, found exactly by evaluating all ``H S`` of them.

Cost: one batched backward induction costs O(n H S^2 A) for n rewards.

Examples
--------
>>> import numpy as np
>>> P = np.full((2, 2, 2), 0.5)
>>> battery = reward_battery(S=2, A=2, H=3, n_random=2, seed=0)
>>> battery.rewards.shape, int(battery.indicator.sum())
((8, 3, 2, 2), 6)
>>> float(planning_suboptimality(P, P, battery.rewards, np.array([1.0, 0.0])).max())
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory.seeding import SeedLike, as_generator

__all__ = [
    "RewardBattery",
    "evaluate_batch",
    "plan_batch",
    "planning_suboptimality",
    "reward_battery",
]


@dataclass(frozen=True)
class RewardBattery:
    """Rewards for the planning phase.

    Attributes
    ----------
    rewards : ndarray, shape (n, H, S, A)
    names : tuple of str
        ``"model"``, ``"random[i]"``, ``"indicator[h0, s0]"``.
    indicator : ndarray of bool, shape (n,)
        Which rewards are stage-state indicators (the adversarial family).
    """

    rewards: np.ndarray
    names: tuple[str, ...]
    indicator: np.ndarray


def reward_battery(
    S: int, A: int, H: int, n_random: int = 8, seed: SeedLike = 0, base: np.ndarray | None = None
) -> RewardBattery:
    """The battery: ``base`` (H, S, A) when given, ``n_random`` uniform rewards on [0, 1/H],
    and the ``H S`` stage-state indicators; every total reward is at most 1 (``base``'s
    total is the caller's)."""
    rng = as_generator(seed)
    parts, names = [], []
    if base is not None:
        parts.append(np.asarray(base, dtype=np.float64)[None])
        names.append("model")
    parts.append(rng.random((n_random, H, S, A)) / H)
    names += [f"random[{i}]" for i in range(n_random)]
    indicators = np.zeros((H * S, H, S, A))
    for h in range(H):
        for s in range(S):
            indicators[h * S + s, h, s, :] = 1.0
            names.append(f"indicator[{h}, {s}]")
    parts.append(indicators)
    rewards = np.ascontiguousarray(np.concatenate(parts))
    mask = np.zeros(rewards.shape[0], dtype=bool)
    mask[-H * S :] = True
    return RewardBattery(rewards, tuple(names), mask)


def _stage(P: np.ndarray, h: int) -> np.ndarray:
    return P[h] if P.ndim == 4 else P


def plan_batch(
    P: np.ndarray, R: np.ndarray, clip: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Backward induction for every reward of ``R`` (n, H, S, A) on the kernel ``P`` (S, A, S)
    or (H, S, A, S), which may be an estimate (not a distribution). ``clip = (lo, hi)`` clips
    every ``Q_h`` to the value range (the planners of the linear-mixture learners).

    Returns the greedy policies (n, H, S) (first maximiser) and ``V_0`` (n, S).
    """
    n, H, S, _ = R.shape
    V = np.zeros((n, S))
    policies = np.zeros((n, H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        Q = R[:, h] + np.einsum("sat,nt->nsa", _stage(P, h), V)
        if clip is not None:
            np.clip(Q, clip[0], clip[1], out=Q)
        policies[:, h] = np.argmax(Q, axis=2)
        V = Q.max(axis=2)
    return policies, V


def evaluate_batch(P: np.ndarray, R: np.ndarray, policies: np.ndarray) -> np.ndarray:
    """``V^{pi}_0`` (n, S) of the deterministic ``policies`` (n, H, S) for the rewards ``R``
    (n, H, S, A) on the kernel ``P``."""
    n, H, S, _ = R.shape
    V = np.zeros((n, S))
    rows = np.arange(S)
    for h in range(H - 1, -1, -1):
        a = policies[:, h]  # (n, S)
        Ph = _stage(P, h)[rows[None, :], a]  # (n, S, S')
        r = np.take_along_axis(R[:, h], a[..., None], axis=2)[..., 0]
        V = r + np.einsum("nst,nt->ns", Ph, V)
    return V


def planning_suboptimality(
    P_true: np.ndarray,
    P_model: np.ndarray,
    rewards: np.ndarray,
    initial: np.ndarray,
    clip: tuple[float, float] | None = None,
    optimal: np.ndarray | None = None,
) -> np.ndarray:
    """Exact ``V*(rho; r) - V^{pi_r}(rho; r)`` (n,) for the policies ``pi_r`` planned on
    ``P_model`` for every reward ``r`` of ``rewards``; ``optimal`` (n,) are the ``V*(rho; r)``
    when already known."""
    policies, _ = plan_batch(P_model, rewards, clip)
    achieved = evaluate_batch(P_true, rewards, policies) @ initial
    if optimal is None:
        optimal = plan_batch(P_true, rewards)[1] @ initial
    return np.maximum(optimal - achieved, 0.0)
