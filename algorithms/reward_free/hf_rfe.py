r"""Horizon-free reward-free exploration for linear mixture MDPs (after Zhang, Zhang, Gu 2023).

Paper
-----
J. Zhang, W. Zhang, Q. Gu, *Optimal Horizon-Free Reward-Free Exploration for Linear Mixture
MDPs*, ICML 2023, arXiv:2303.10165. Claim [V: abstract]: with total reward at most 1,
``O~(d^2 eps^-2)`` exploration episodes suffice for an eps-optimal policy for **every** reward,
with no polynomial dependence on H, and ``Omega(d^2 eps^-2)`` are necessary. Its ingredients
(abstract): uncertainty-weighted value-targeted regression, an exploration-driven
pseudo-reward, a high-order moment estimator (HOME).

What is implemented (the paper's text beyond the abstract was not read)
----------------------------------------------------------------------
This is the library's transcription of that structure, not the printed algorithm:

* **Regression.** After each step (s_h, a_h, s_{h+1}) the mixing vector is regressed on the
  targets of *every* indicator value function ``V = 1[. = j]`` at once (value-targeted
  regression with the S indicator targets, all valid since ``E[1[s' = j]] = <phi(j|s, a),
  theta>``)::

      M = lambda I + sum_t G(s_t, a_t),  G(s, a) = sum_j phi(j|s, a) phi(j|s, a)^T,
      b = sum_t phi(s_{t+1}|s_t, a_t),   theta_hat = M^{-1} b.

  The regression is unweighted: HOME and the uncertainty weights are not implemented.
* **Exploration pseudo-reward.** ``u(s, a) = c r_k w(s, a)`` with the width
  ``w(s, a) = sqrt(tr(M^{-1} G(s, a)))`` (it bounds ``||x_V(s, a)||_{M^{-1}}`` for every
  ``V`` in [0, 1]^S up to sqrt(S)) and the self-normalised radius
  ``r_k = sqrt(lambda) B + sqrt(2 log(1/delta) + d log(1 + n F^2 / (lambda d)))`` after
  ``n = k H`` steps (F the basis's feature bound). The exploration values are horizon-free:
  ``U_h(s, a) = min{1, u(s, a) + <x_{U_{h+1}}(s, a), theta_hat>}`` clipped to [0, 1],
  ``U_H = 0``, and the episode is played greedily in U.
* **Planning phase.** For each battery reward (total at most 1): backward induction on the
  estimated mixture ``P_hat = sum_i theta_hat_i P_i`` with ``Q`` clipped to [0, 1].

Complexity
----------
Per episode O(d^3 + S A d^2 + H d S^2 A) (inverse, widths, the value features of U); per
checkpoint O(n H S^2 A) for the n battery rewards.

Constants
---------
lambda = 1, delta = 0.1 and the radius above are this library's (``constants = "as derived
(c = 1)"``, unverified); ``c`` multiplies the pseudo-reward as a named variant; ``c = 0``
explores greedily in the estimated model without pseudo-reward: the control.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from algorithms._episodic import Environment, act, environment
from algorithms.mixture.ucrl_vtr import value_features
from algorithms.reward_free._moments import mixture_gram_blocks, trace_widths
from algorithms.reward_free._phases import (
    ExplorationParameters,
    Phases,
    homogeneous_mixture_twin,
)
from mdptheory._kernels import greedy_backup
from mdptheory.linear_mixture import LinearMixtureMDP
from mdptheory.seeding import SeedLike, as_generator

LAMBDA = 1.0


def hf_rfe_radius(d: int, n: float, delta: float, B: float, F: float, lam: float = LAMBDA):
    """``r = sqrt(lambda) B + sqrt(2 log(1/delta) + d log(1 + n F^2 / (lambda d)))``.

    Examples
    --------
    >>> round(hf_rfe_radius(2, 0, 0.1, 1.0, 1.0), 6) == round(1 + math.sqrt(2 * math.log(10)), 6)
    True
    """
    n = np.asarray(n, dtype=np.float64)
    out = math.sqrt(lam) * B + np.sqrt(
        2.0 * math.log(1.0 / delta) + d * np.log1p(n * F * F / (lam * d))
    )
    return float(out) if out.ndim == 0 else out


class _State(NamedTuple):
    M: np.ndarray  # (d, d)
    M_inv: np.ndarray  # (d, d)
    b: np.ndarray  # (d,)
    theta_hat: np.ndarray  # (d,)
    widths: np.ndarray  # (S A,)
    X: np.ndarray  # (S A, d)
    U: np.ndarray  # (H + 1, S)
    Q: np.ndarray  # (H, S, A)
    policy: np.ndarray  # (H, S)


@njit(cache=True)
def _refresh(state, G: np.ndarray) -> None:
    """``M^{-1}``, ``theta_hat`` and the widths ``sqrt(tr(M^{-1} G(s, a)))``."""
    inv = np.linalg.inv(state.M)
    d = inv.shape[0]
    for i in range(d):
        for j in range(d):
            state.M_inv[i, j] = 0.5 * (inv[i, j] + inv[j, i])
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += state.M_inv[i, j] * state.b[j]
        state.theta_hat[i] = acc
    trace_widths(state.M_inv, G, state.widths)


@njit(cache=True)
def _plan_u(state, basis2: np.ndarray, bonus: float, S: int, A: int) -> None:
    """The exploration values U (module notes) and the greedy policy."""
    H = state.Q.shape[0]
    d = state.theta_hat.shape[0]
    for h in range(H - 1, -1, -1):
        value_features(basis2, state.U[h + 1], state.X)
        for s in range(S):
            for a in range(A):
                r = s * A + a
                mean = 0.0
                for i in range(d):
                    mean += state.X[r, i] * state.theta_hat[i]
                q = bonus * state.widths[r] + mean
                state.Q[h, s, a] = min(1.0, max(0.0, q))  # horizon-free range [0, 1]
        greedy_backup(state.Q[h], state.U[h], state.policy[h])


@njit(cache=True)
def _explore(env, state, basis2, G, radii, c, start: int, stop: int, rng) -> None:
    H, S, A = env.R3.shape
    d = state.b.shape[0]
    for k in range(start, stop):
        _refresh(state, G)
        _plan_u(state, basis2, c * radii[k], S, A)
        states, actions, _ = act(env, state.policy, rng)
        for h in range(H):
            r = states[h] * A + actions[h]
            nxt = states[h + 1]
            for i in range(d):
                state.b[i] += basis2[i, r, nxt]
                for j in range(d):
                    state.M[i, j] += G[r, i, j]


class Exploration(NamedTuple):
    """What the compiled exploration loop takes: the true model, the basis as (d, S A, S), the
    Gram blocks ``G`` (S A, d, d), the radii per episode and the statistics."""

    env: Environment
    basis2: np.ndarray
    G: np.ndarray
    radii: np.ndarray
    state: _State


def start_exploration(model: LinearMixtureMDP, K: int, delta: float) -> Exploration:
    """``M = lambda I``, ``b = 0``, the radii ``r_k`` for k = 0..K-1 and the fixed arrays."""
    H, S, A, d = model.H, model.S, model.A, model.d
    basis2, G = mixture_gram_blocks(model)
    assumptions = model.assumptions()
    radii = hf_rfe_radius(
        d, np.arange(K) * float(H), delta, assumptions.theta_norm, assumptions.feature_bound
    )
    state = _State(
        LAMBDA * np.eye(d),
        np.eye(d) / LAMBDA,
        np.zeros(d),
        np.zeros(d),
        np.zeros(S * A),
        np.zeros((S * A, d)),
        np.zeros((H + 1, S)),
        np.zeros((H, S, A)),
        np.zeros((H, S), dtype=np.int64),
    )
    return Exploration(environment(model.tabular()), basis2, G, np.ascontiguousarray(radii), state)


@dataclass(frozen=True)
class HorizonFreeRFE(ExplorationParameters):
    """Reward-free exploration on linear mixture MDPs with values in [0, 1] (module notes).

    Parameters
    ----------
    c : float
        Multiplier of the exploration pseudo-reward; 1 is the default, 0 the control.
    delta : float
        Confidence parameter in (0, 1) of the radius.
    n_random_rewards, battery_seed : int
        The planning battery (as for :class:`~algorithms.reward_free.RFExpress`).

    Notes
    -----
    Returns a :class:`~mdptheory.regret.ConvergenceTrace` (see
    :class:`~algorithms.reward_free.RFExpress`), with ``radius`` and ``theta_error``
    (``||theta_hat - theta||_M``) per checkpoint in the extras.

    Examples
    --------
    >>> from instances.linear_mixture import reward_free_hard_instance
    >>> trace = HorizonFreeRFE().run(reward_free_hard_instance(d=3, H=3), budget=100, seed=0)
    >>> float(trace.extras["iteration"][-1]), trace.gap.shape
    (100.0, (11,))
    """

    short_name: ClassVar[str] = "HF-RFE"
    control_name: ClassVar[str] = "greedy mixture exploration"
    paper_constants: ClassVar[str] = "as derived (c = 1)"
    control_constants: ClassVar[str] = "no pseudo-reward (c = 0)"

    def _phases(self, model, budget: int, seed: SeedLike) -> Phases:
        """The :class:`Phases` of HF-RFE: width pseudo-reward exploration, the VTR estimate."""
        twin, K = homogeneous_mixture_twin(model, budget, type(self).__name__)
        env, basis2, G, radii, state = start_exploration(model, K, self.delta)
        rng = as_generator(seed)
        c = float(self.c)
        theta = model.theta[0]

        def estimate() -> np.ndarray:
            _refresh(state, G)
            return np.tensordot(state.theta_hat, model.basis, axes=1)

        def measured() -> dict[str, float]:
            diff = state.theta_hat - theta
            return {"theta_error": float(math.sqrt(max(diff @ state.M @ diff, 0.0)))}

        return Phases(
            twin,
            lambda start, stop: _explore(env, state, basis2, G, radii, c, start, stop, rng),
            estimate,
            (0.0, 1.0),
            measured,
            dict(
                paper="after Zhang, Zhang, Gu (ICML 2023), arXiv:2303.10165 (abstract only)",
                radius_formula="sqrt(lambda) B + sqrt(2 log(1/delta) "
                "+ d log(1 + n F^2/(lambda d)))",
                ridge_lambda=LAMBDA,
                implemented="indicator-target VTR, width pseudo-reward, values in [0, 1]; "
                "no HOME, no uncertainty weights",
            ),
        )
