"""The inner problems of the robust backups as cvxpy programs: the primal cross-check.

Nothing here is shared with the compiled duals of :mod:`mdptheory.robust._kernels`: the
divergence is written out as a convex constraint (ball) or objective term (penalty) on the
distribution ``q`` itself, and a conic solver (Clarabel by default, tight tolerances) returns
the optimum. KL and chi-square restrict ``q`` to the support of ``p`` (their divergence is
infinite elsewhere); TV with ``support="all"`` lets ``q`` use every state.
"""

from __future__ import annotations

import numpy as np

from mdptheory._validation import check_cvxpy_solver
from mdptheory.robust.sets import UncertaintySet, _check_row

SOLVER_OPTIONS = {
    "CLARABEL": {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11, "max_iter": 500}
}


def inner_problem_primal(
    uncertainty: UncertaintySet, p, V, solver: str | None = "CLARABEL"
) -> tuple[float, np.ndarray]:
    """``inf_{q in U(p)} q.V`` (ball) or ``inf_q q.V + lam D(q || p)`` (penalty) by cvxpy.

    Returns the optimal value and the solver's ``q``. Raises ``ValueError`` if the solver does
    not report an optimal status.

    Examples
    --------
    >>> value, q = inner_problem_primal(UncertaintySet("tv", radius=0.5), [0.5, 0.5],
    ...                                 [0.0, 1.0])
    >>> round(value, 7)
    0.0
    """
    import cvxpy as cp

    check_cvxpy_solver(solver)
    p, V = _check_row(p, V)
    kind = uncertainty.divergence
    if uncertainty.nominal:
        return float(p @ V), p.copy()
    if kind == "tv" and uncertainty.support == "all":
        states = np.arange(p.size)
    else:
        states = np.flatnonzero(p > 0)
    ps, Vs = p[states], V[states]
    q = cp.Variable(states.size, nonneg=True)
    constraints = [cp.sum(q) == 1]
    if kind == "tv":
        term = 0.5 * cp.norm1(q - ps)
    elif kind == "kl":
        term = cp.sum(cp.rel_entr(q, ps))
    else:
        # q = p + sqrt(p) d, chi2 = ||d||^2: no 1/p factor to spoil the conditioning when
        # some p_j is tiny
        d = cp.Variable(states.size)
        constraints.append(q == ps + cp.multiply(np.sqrt(ps), d))
        term = cp.sum_squares(d)
    if uncertainty.penalised:
        objective = cp.Minimize(Vs @ q + uncertainty.penalty * term)
    elif kind == "chi2":
        objective = cp.Minimize(Vs @ q)
        constraints.append(cp.norm(d, 2) <= np.sqrt(uncertainty.radius))
    else:
        objective = cp.Minimize(Vs @ q)
        # divided by the radius: the solver's feasibility tolerance is absolute, and at a radius
        # of 1e-4 an overshoot of 5e-9 moves the KL ball's value by about 5e-7
        constraints.append(term / uncertainty.radius <= 1.0)
    problem = cp.Problem(objective, constraints)
    options = SOLVER_OPTIONS.get(solver, {}) if solver else {}
    problem.solve(solver=solver, **options)
    if problem.status not in ("optimal", "optimal_inaccurate") or q.value is None:
        raise ValueError(
            f"cvxpy ({solver}) did not solve the {uncertainty.label} inner problem: "
            f"status {problem.status}"
        )
    full = np.zeros(p.size)
    full[states] = np.maximum(q.value, 0.0)
    return float(problem.value), full
