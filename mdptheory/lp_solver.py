"""The cvxpy solver and options of the exact linear programs.

When the caller names no solver, every LP in :mod:`mdptheory` (the discounted primal in
:func:`mdptheory.planning.linear_program`, the CVaR LP in :func:`mdptheory.risk.cvar_lp`, the
average-reward pair in :func:`mdptheory.average_reward.average_reward_lp`) is solved by Clarabel
with the tolerances of :data:`TIGHT_CLARABEL`: the interior-point defaults (1e-8) leave errors
that the exact checks would see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TIGHT_CLARABEL: Mapping[str, float | int] = {
    "tol_gap_abs": 1e-12,
    "tol_gap_rel": 1e-12,
    "tol_feas": 1e-12,
    "tol_ktratio": 1e-10,
    "max_iter": 500,
}
"""Clarabel's options for the exact LPs: duality gap and feasibility to 1e-12."""


def lp_solver(
    solver: str | None, options: Mapping[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """The solver name and keyword options to pass to ``cvxpy.Problem.solve``.

    Parameters
    ----------
    solver : str or None
        A cvxpy solver name (checked by the caller), or ``None`` for Clarabel.
    options : mapping, optional
        The caller's solver options. With ``solver=None`` they override
        :data:`TIGHT_CLARABEL` key by key; with a named solver they are passed as they are.

    Returns
    -------
    tuple of (str, dict)
        The solver name and a fresh dict of options.

    Examples
    --------
    >>> lp_solver(None, {"max_iter": 50})[1]["max_iter"]
    50
    >>> lp_solver("SCS")
    ('SCS', {})
    """
    given = dict(options or {})
    if solver is None:
        return "CLARABEL", {**TIGHT_CLARABEL, **given}
    return solver, given
