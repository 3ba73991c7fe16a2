r"""The optimal randomised policy under the s-rectangular TV set, by one linear program.

At state ``s``, with the robust values ``V`` of :func:`~mdptheory.robust.s_rectangular_tv_values`,
the optimal policy maximises over ``pi`` in the simplex the inner minimum
``min_{q in U_s} sum_a pi_a (R(s,a) + gamma q_a . V)`` (Wiesemann, Kuhn, Rustem 2013: under
s-rectangularity a randomised policy can be strictly better than every deterministic one).

Writing ``q_a = p_a + u_a - w_a`` with ``u, w >= 0``, ``w_a <= p_a``, ``sum_j (u - w)_aj = 0``
and the budget ``1/2 sum_{a,j} (u + w)_aj <= rho``, the inner problem is a linear program in
``(u, w)`` for a fixed ``pi``. Its dual (budget price ``lam >= 0``, mass prices ``nu_a``,
``kappa_aj >= 0`` on ``w <= p``) is linear in ``pi`` and the dual variables together::

    max_{pi in simplex, lam >= 0, nu, kappa >= 0}
        sum_a pi_a (R(s,a) + gamma p_a . V) - rho lam - sum_{a,j} kappa_aj p_aj
    s.t.  pi_a gamma V_j + lam / 2 + nu_a >= 0,
         -pi_a gamma V_j + lam / 2 - nu_a + kappa_aj >= 0     for every a, j,

so the max-min is one LP (the states separate; they are solved together). Its value at state
``s`` is the robust value ``V(s)`` when ``V`` is the fixed point, which the function checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from mdptheory.robust.s_rectangular import (
    SRectangularValues,
    s_rectangular_tv_evaluate,
    s_rectangular_tv_values,
)
from mdptheory.tabular import FiniteMDP

LP_TOL = 1e-7
"""Largest accepted gap between the LP's state values and the robust values it was built on
(interior-point accuracy; a larger gap means the values were not the fixed point)."""


@dataclass(frozen=True)
class SRectangularPolicy:
    """The optimal randomised policy ``policy`` (S, A), the robust values ``values`` it was built
    on, the LP's value at every state ``lp_values`` and the robust value of the policy itself,
    ``policy_values``, with its certificate (``evaluation.bound``)."""

    policy: np.ndarray
    values: SRectangularValues
    lp_values: np.ndarray
    policy_values: np.ndarray
    evaluation: SRectangularValues

    @property
    def gap(self) -> float:
        """``max_s |V*(s) - V^pi(s)|``: 0 up to the certificates for an optimal policy."""
        return float(np.max(np.abs(self.values.values - self.policy_values)))


def _policy_program(P: np.ndarray, R: np.ndarray, V: np.ndarray, gamma: float, rho: float):
    S, A, _ = P.shape
    pi = cp.Variable((S, A), nonneg=True)
    lam = cp.Variable(S, nonneg=True)
    nu = cp.Variable((S, A))
    kappa = cp.Variable((S * A, S), nonneg=True)
    pairs = S * A
    # (S A, S) affine expressions: row (s, a), column j
    pi_v = cp.reshape(pi, (pairs, 1), order="C") @ (gamma * V[None, :])
    lam_rows = cp.reshape(np.repeat(np.eye(S), A, axis=0) @ lam, (pairs, 1), order="C")
    lam_rows = lam_rows @ np.ones((1, S))
    nu_rows = cp.reshape(nu, (pairs, 1), order="C") @ np.ones((1, S))
    p_flat = P.reshape(pairs, S)
    gain = R + gamma * (P @ V)  # (S, A): R + gamma p_a . V
    per_state = (
        cp.sum(cp.multiply(pi, gain), axis=1)
        - rho * lam
        - cp.reshape(cp.sum(cp.multiply(kappa, p_flat), axis=1), (S, A), order="C") @ np.ones(A)
    )
    constraints = [
        cp.sum(pi, axis=1) == 1,
        pi_v + lam_rows / 2 + nu_rows >= 0,
        -pi_v + lam_rows / 2 - nu_rows + kappa >= 0,
    ]
    return cp.Problem(cp.Maximize(cp.sum(per_state)), constraints), pi, per_state


def s_rectangular_tv_policy(
    mdp: FiniteMDP, radius: float, tol: float = 1e-10, max_iter: int = 100_000
) -> SRectangularPolicy:
    """The optimal (possibly randomised) policy for the s-rectangular TV set of ``radius``.

    The robust values come from :func:`s_rectangular_tv_values` (to ``tol``), the policy from
    the LP above (cvxpy with Clarabel), and its own robust value from
    :func:`s_rectangular_tv_evaluate`: ``gap`` is 0 up to the certificates and the LP's
    accuracy.

    Raises
    ------
    ValueError
        As :func:`s_rectangular_tv_values`; or when the LP's state values differ from the
        robust values by more than :data:`LP_TOL` plus the certificate (the values were not
        converged: lower ``tol`` or raise ``max_iter``).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.zeros((2, 2, 2)); P[0, :, 0] = 1.0; P[1, :, 1] = 1.0
    >>> mdp = FiniteMDP(P, [[1.0, 1.0], [0.0, 0.0]], gamma=0.5)
    >>> result = s_rectangular_tv_policy(mdp, radius=0.5)
    >>> np.round(result.policy[0], 3), result.gap < 1e-6
    (array([0.5, 0.5]), True)
    """
    values = s_rectangular_tv_values(mdp, radius, tol, max_iter)
    P = np.asarray(mdp.dense_P(), dtype=np.float64)
    R = np.asarray(mdp.R, dtype=np.float64)
    V = values.values
    problem, pi, per_state = _policy_program(P, R, V, mdp.gamma, float(radius))
    problem.solve(solver=cp.CLARABEL)
    if problem.status != cp.OPTIMAL:
        raise ValueError(f"the s-rectangular policy LP ended with status {problem.status!r}")
    lp_values = np.asarray(per_state.value, dtype=np.float64)
    worst = int(np.argmax(np.abs(lp_values - V)))
    if abs(lp_values[worst] - V[worst]) > LP_TOL + values.bound:
        raise ValueError(
            f"LP value at state {worst} is {lp_values[worst]!r}, the robust value "
            f"{V[worst]!r}: the LP and value iteration disagree (values not converged, bound "
            f"{values.bound:.2e}, or an LP that is not this set's)"
        )
    policy = np.clip(np.asarray(pi.value, dtype=np.float64), 0.0, None)
    policy /= policy.sum(axis=1, keepdims=True)
    evaluation = s_rectangular_tv_evaluate(mdp, policy, radius, tol, max_iter)
    return SRectangularPolicy(policy, values, lp_values, evaluation.values, evaluation)


__all__ = ["LP_TOL", "SRectangularPolicy", "s_rectangular_tv_policy"]
