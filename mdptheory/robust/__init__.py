"""Robust MDPs: rectangular uncertainty sets, their exact inner problems and robust planning.

Modules
-------
* :mod:`~mdptheory.robust.sets`: :class:`UncertaintySet` ((s, a)-rectangular TV, KL and
  chi-square balls and penalties), :func:`inner_problem`, :func:`divergence`.
* :mod:`~mdptheory.robust.primal`: the inner problems as cvxpy programs (the primal
  cross-check).
* :mod:`~mdptheory.robust.planning`: :class:`RobustSolution`, :func:`robust_value_iteration`,
  :func:`robust_backward_induction`, :func:`robust_evaluate`, :func:`robust_bellman`.
* :mod:`~mdptheory.robust.s_rectangular`: the s-rectangular TV set (budget shared by the
  actions of a state): :func:`s_rectangular_tv_values`, :func:`s_rectangular_tv_evaluate`;
  :mod:`~mdptheory.robust.s_rectangular_policy`: its optimal randomised policy by one LP,
  :func:`s_rectangular_tv_policy`.
* :mod:`~mdptheory.robust._kernels`: the compiled inner problems.
"""

from mdptheory.robust.planning import (
    RobustEvaluation,
    RobustSolution,
    robust_backward_induction,
    robust_bellman,
    robust_evaluate,
    robust_solve,
    robust_value_iteration,
    row_divergences,
)
from mdptheory.robust.s_rectangular import (
    SRectangularValues,
    s_rectangular_tv_evaluate,
    s_rectangular_tv_values,
)
from mdptheory.robust.s_rectangular_policy import SRectangularPolicy, s_rectangular_tv_policy
from mdptheory.robust.sets import DIVERGENCES, UncertaintySet, divergence, inner_problem

__all__ = [
    "DIVERGENCES",
    "RobustEvaluation",
    "RobustSolution",
    "SRectangularPolicy",
    "SRectangularValues",
    "UncertaintySet",
    "divergence",
    "inner_problem",
    "robust_backward_induction",
    "robust_bellman",
    "robust_evaluate",
    "robust_solve",
    "robust_value_iteration",
    "row_divergences",
    "s_rectangular_tv_evaluate",
    "s_rectangular_tv_policy",
    "s_rectangular_tv_values",
]
