r"""The average-reward linear programs, solved with cvxpy: a cross-check of policy iteration.

Primal (Puterman 1994, section 9.3, for a model whose optimal gain is the same from every
state)::

    min_{rho, h}  rho    s.t.  rho + h(s) >= r(s, a) + sum_s' P(s' | s, a) h(s')   for all (s, a)

with ``h(0) = 0`` pinning the additive constant of ``h``. Dual (the occupancy LP)::

    max_{x >= 0}  sum_{s,a} x(s, a) r(s, a)
    s.t.  sum_a x(s', a) = sum_{s,a} P(s' | s, a) x(s, a)  for all s',   sum_{s,a} x(s, a) = 1

``x`` is the stationary state-action distribution of an optimal policy; both optimal values are
``rho*``. Clarabel runs to tight tolerances, so the two agree with policy iteration to about
1e-9 on unit-scale rewards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import check_cvxpy_solver, check_value_scale
from mdptheory.lp_solver import lp_solver
from mdptheory.tabular import FiniteMDP


@dataclass(frozen=True)
class AverageRewardLP:
    """Both linear programs' solutions.

    Attributes
    ----------
    gain_primal : float
        Optimal value of the primal, ``rho*``.
    bias_primal : ndarray, shape (S,)
        The primal's ``h`` (``h(0) = 0``); one solution among possibly many.
    gain_dual : float
        Optimal value of the occupancy dual, ``rho*``.
    occupancy : ndarray, shape (S, A)
        The dual's ``x(s, a)``, a stationary state-action distribution of an optimal policy.
    status : str
        The solver's statuses, primal then dual.
    """

    gain_primal: float
    bias_primal: np.ndarray
    gain_dual: float
    occupancy: np.ndarray
    status: str


def average_reward_lp(
    mdp: FiniteMDP, solver: str | None = None, **solver_options
) -> AverageRewardLP:
    """Solve the primal and the occupancy dual of the average-reward LP.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.9, 0.1], [0.85, 0.15]], [[0.1, 0.9], [0.1, 0.9]]])
    >>> lp = average_reward_lp(FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9))
    >>> round(lp.gain_primal, 9), round(lp.gain_dual, 9)
    (0.6, 0.6)
    """
    import cvxpy as cp

    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"average_reward_lp needs a FiniteMDP, got {type(mdp).__name__}")
    check_value_scale(mdp, "average_reward_lp")
    check_cvxpy_solver(solver)
    solver, options = lp_solver(solver, solver_options)
    S, A = mdp.S, mdp.A
    P = np.asarray(mdp.dense_P())
    R = np.asarray(mdp.R)

    rho = cp.Variable()
    h = cp.Variable(S)
    constraints = [rho + h[s] >= R[s] + P[s] @ h for s in range(S)]
    constraints.append(h[0] == 0)
    primal = cp.Problem(cp.Minimize(rho), constraints)
    primal.solve(solver=solver, **options)

    x = cp.Variable((S, A), nonneg=True)
    inflow = sum(P[:, a, :].T @ x[:, a] for a in range(A))
    dual = cp.Problem(
        cp.Maximize(cp.sum(cp.multiply(R, x))), [cp.sum(x, axis=1) == inflow, cp.sum(x) == 1]
    )
    dual.solve(solver=solver, **options)
    for name, problem in (("primal", primal), ("dual", dual)):
        if problem.status not in ("optimal", "optimal_inaccurate"):
            raise ValueError(
                f"average_reward_lp: the {name} LP solver {solver} returned "
                f"status {problem.status!r}"
            )
    return AverageRewardLP(
        gain_primal=float(rho.value),
        bias_primal=np.asarray(h.value, dtype=np.float64),
        gain_dual=float(dual.value),
        occupancy=np.asarray(x.value, dtype=np.float64),
        status=f"{primal.status}/{dual.status}",
    )


__all__ = ["AverageRewardLP", "average_reward_lp"]
