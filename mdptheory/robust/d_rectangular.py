r"""d-rectangular uncertainty sets of linear MDPs: exact robust DP and robust policy evaluation.

A linear MDP with **simplex features** (``phi_i(s, a) >= 0``, ``sum_i phi_i(s, a) = 1``) and
distribution-valued factors ``mu^0_{h, i} in Delta(S)`` has the nominal kernel
``P^0_h(. | s, a) = sum_i phi_i(s, a) mu^0_{h, i}``. Its **d-rectangular** set (Ma et al. 2022;
Liu and Xu 2024; ``theory-wave2.md`` section 3.2) lets each factor move in its own ball::

    U_h(s, a) = { sum_i phi_i(s, a) mu_i :  mu_i in Delta(S),  D(mu_i || mu^0_{h, i}) <= rho }

and the **regularised** d-rectangular robust MDP (d-RRMDP of Tang, Liu, Xu, ICML 2025,
arXiv:2411.18612, ``theory.md`` section 4.2) charges each factor a penalty instead::

    inf_{mu_i in Delta(S)} [ E_{mu_i} V + lam D(mu_i || mu^0_{h, i}) ].

Because ``phi_i >= 0`` the infimum over the product of the factor sets splits factor by
factor, so the robust Bellman equation is (episodic, code stages ``h = 0..H-1``)::

    Q_h(s, a) = r_h(s, a) + sum_i phi_i(s, a) nu_{h, i},
    nu_{h, i} = inf_{mu_i} E_{mu_i}[V_{h+1}]   (or its penalised version),

with one inner problem per factor and stage, shared by every (s, a): ``d`` rows instead of the
``S A`` of the (s, a)-rectangular set. Each inner problem is the exact one-dimensional dual of
:mod:`mdptheory.robust._kernels` (through :class:`~mdptheory.robust.sets.UncertaintySet`); the
conventions are those of :mod:`mdptheory.robust.sets` (``D_TV = 1/2 ||.||_1``, ``KL(mu ||
mu^0)``, Pearson's chi-square). The same recursion with ``V_{h+1} = V^pi_{h+1}`` and the
``pi``-average over actions is the exact robust value of any policy ``pi``: the worst factors
depend only on ``V^pi_{h+1}``, so nature's best reply is again factor by factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, check_tol
from mdptheory.evaluation import as_stochastic
from mdptheory.linear import LinearMDP
from mdptheory.robust.sets import UncertaintySet

__all__ = [
    "DRectangularEvaluation",
    "DRectangularSolution",
    "check_d_rectangular",
    "d_rectangular_evaluate",
    "d_rectangular_solve",
    "factor_backup",
]

SIMPLEX_TOL = 1e-9
"""Allowance for rounding in ``phi >= 0``, ``sum_i phi_i = 1`` and each factor's mass."""


@dataclass(frozen=True)
class DRectangularSolution:
    """Exact robust optimum of a d-rectangular set (backward induction, no approximation).

    Attributes
    ----------
    values : ndarray, shape (H, S)
        Robust optimal values ``V*_h`` (regularised values for a penalty).
    q : ndarray, shape (H, S, A)
        ``Q*_h(s, a) = r_h(s, a) + phi(s, a) . nu_h``.
    policy : ndarray of int64, shape (H, S)
        Greedy policy of ``q``, ties to the smallest action.
    factor_values : ndarray, shape (H, d)
        ``nu_{h, i}``: the inner value of factor ``i`` at stage ``h`` against ``V*_{h+1}``.
    worst_factors : ndarray, shape (H, d, S)
        The minimising factors ``mu_{h, i}``.
    worst_kernel : ndarray, shape (H, S, A, S)
        ``sum_i phi_i(s, a) mu_{h, i}``, a kernel in the set.
    policy_values : ndarray, shape (H, S)
        Exact value of ``policy`` under ``worst_kernel`` (for a ball this equals ``values``;
        for a penalty it omits the penalty the regularised value charges).
    value : float
        ``V*_0(initial)``.
    uncertainty : UncertaintySet
    """

    values: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    factor_values: np.ndarray
    worst_factors: np.ndarray
    worst_kernel: np.ndarray
    policy_values: np.ndarray
    value: float
    uncertainty: UncertaintySet


@dataclass(frozen=True)
class DRectangularEvaluation:
    """Exact robust value of a fixed policy on a d-rectangular set.

    Attributes
    ----------
    values : ndarray, shape (H, S)
        ``V^pi_h`` against nature's best reply (regularised for a penalty).
    q : ndarray, shape (H, S, A)
    factor_values : ndarray, shape (H, d)
    worst_factors : ndarray, shape (H, d, S)
    value : float
        ``V^pi_0(initial)``.
    """

    values: np.ndarray
    q: np.ndarray
    factor_values: np.ndarray
    worst_factors: np.ndarray
    value: float


def check_d_rectangular(model, tol: float = SIMPLEX_TOL) -> LinearMDP:
    """Validate a linear MDP for d-rectangular sets: simplex features, factors in ``Delta(S)``.

    Raises
    ------
    ValueError
        Naming the offending index: ``phi[s, a, i] < -tol``, ``sum_i phi[s, a, i]`` off 1 by
        more than ``tol``, ``mu[h, s', i] < -tol`` or ``sum_s' mu[h, s', i]`` off 1.

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> check_d_rectangular(simplex_feature_linear_mdp(S=4, A=2, H=2, d=3, seed=0)).d
    3
    """
    if not isinstance(model, LinearMDP):
        raise ParameterTypeError(
            f"a d-rectangular set needs a LinearMDP, got {type(model).__name__} {model!r:.60}"
        )
    tol = check_tol(tol, allow_zero=True)
    _check_simplices(model.phi, 2, tol, "phi")
    _check_simplices(model.mu, 1, tol, "mu")
    return model


# (where a negative entry is, why it may not be; where a sum off 1 is, why it must be 1)
_SIMPLEX_RULES = {
    "phi": (
        "phi[{}, {}, {}]",
        "d-rectangular sets need simplex features (phi_i >= 0)",
        "sum_i phi[{}, {}, i]",
        "d-rectangular sets need simplex features",
    ),
    "mu": (
        "mu[{}, {}, {}]",
        "each factor mu[h, :, i] must be a distribution over states",
        "sum_s' mu[{}, s', {}]",
        "each factor must be a distribution over states",
    ),
}


def _check_simplices(array: np.ndarray, axis: int, tol: float, name: str) -> None:
    """Raise a ValueError at the smallest entry of ``array`` if it is below ``-tol``, else at
    the sum along ``axis`` farthest from 1 if it is off by more than ``tol``, in the words of
    ``_SIMPLEX_RULES[name]``."""
    entry, negative, total, off = _SIMPLEX_RULES[name]
    low = np.unravel_index(int(np.argmin(array)), array.shape)
    if array[low] < -tol:
        raise ValueError(f"{entry.format(*low)} is {float(array[low])!r} < 0: {negative}")
    sums = array.sum(axis=axis)
    worst = np.unravel_index(int(np.argmax(np.abs(sums - 1.0))), sums.shape)
    if abs(sums[worst] - 1.0) > tol:
        raise ValueError(f"{total.format(*worst)} is {float(sums[worst])!r}, not 1: {off}")


def _check_set(uncertainty) -> UncertaintySet:
    if not isinstance(uncertainty, UncertaintySet):
        raise ParameterTypeError(
            f"uncertainty must be an UncertaintySet, got {type(uncertainty).__name__}"
        )
    return uncertainty


def _factors(model: LinearMDP, h: int) -> np.ndarray:
    """The nominal factors at stage ``h`` as rows (d, S), rounding negatives cleared."""
    return np.ascontiguousarray(np.maximum(model.mu[h].T, 0.0))


def factor_backup(
    uncertainty: UncertaintySet, factors: np.ndarray, V: np.ndarray, want_worst: bool = False
):
    """The d inner values ``nu_i = inf_{mu_i} E_{mu_i} V`` (or penalised) of rows ``factors``.

    Returns ``nu`` (d,), and the minimising factors (d, S) when ``want_worst``. Inputs are
    trusted (the solvers validate once).

    Examples
    --------
    >>> import numpy as np
    >>> nu = factor_backup(UncertaintySet("tv", radius=0.5), np.array([[0.5, 0.5]]),
    ...                    np.array([0.0, 1.0]))
    >>> nu.tolist()
    [0.0]
    """
    if want_worst:
        return uncertainty.worst_case(factors, V)
    return uncertainty.backup(factors, V)


def _stage(model, uncertainty, h, V_next, features, want_worst):
    factors = _factors(model, h)
    if want_worst:
        nu, worst = factor_backup(uncertainty, factors, V_next, True)
    else:
        nu, worst = factor_backup(uncertainty, factors, V_next), None
    q = model.R[h] + (features @ nu).reshape(model.S, model.A)
    return q, nu, worst


def d_rectangular_solve(model: LinearMDP, uncertainty: UncertaintySet) -> DRectangularSolution:
    """Exact robust backward induction on the d-rectangular set of ``uncertainty``.

    ``Q_h = r_h + Phi nu_h`` with ``nu_{h, i}`` the inner problem of factor ``i`` against
    ``V_{h+1} = max_a Q_{h+1}`` (``theory-wave2.md`` 3.2, robust Bellman; ``theory.md`` 4.2
    for penalties). Cost ``O(H (d S log S + S A d))``.

    Raises
    ------
    ValueError
        If the model is not a linear MDP with simplex features and distribution factors.

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=0)
    >>> nominal = d_rectangular_solve(model, UncertaintySet("kl", radius=0.0)).value
    >>> robust = d_rectangular_solve(model, UncertaintySet("kl", radius=0.2)).value
    >>> bool(robust <= nominal)
    True
    """
    model = check_d_rectangular(model)
    uncertainty = _check_set(uncertainty)
    S, A, H, d = model.S, model.A, model.H, model.d
    features = model.phi.reshape(S * A, d)
    values = np.zeros((H + 1, S))
    q = np.empty((H, S, A))
    policy = np.empty((H, S), dtype=np.int64)
    nus = np.empty((H, d))
    worst = np.empty((H, d, S))
    for h in range(H - 1, -1, -1):
        q[h], nus[h], worst[h] = _stage(model, uncertainty, h, values[h + 1], features, True)
        policy[h] = np.argmax(q[h], axis=1)
        values[h] = q[h].max(axis=1)
    kernel = np.einsum("sai,hit->hsat", model.phi, worst)
    # the returned policy against the worst kernel, one backward pass
    policy_values = np.zeros((H + 1, S))
    states = np.arange(S)
    for h in range(H - 1, -1, -1):
        a = policy[h]
        policy_values[h] = model.R[h, states, a] + kernel[h, states, a] @ policy_values[h + 1]
    return DRectangularSolution(
        values=values[:H],
        q=q,
        policy=policy,
        factor_values=nus,
        worst_factors=worst,
        worst_kernel=kernel,
        policy_values=policy_values[:H],
        value=float(model.initial @ values[0]),
        uncertainty=uncertainty,
    )


def d_rectangular_evaluate(
    model: LinearMDP, uncertainty: UncertaintySet, policy
) -> DRectangularEvaluation:
    """Exact robust value of ``policy`` (deterministic (H, S) or stochastic (H, S, A)).

    ``V^pi_h(s) = sum_a pi_h(a|s) [r_h(s, a) + phi(s, a) . nu_h]`` with ``nu_{h, i}`` the inner
    problem of factor ``i`` against ``V^pi_{h+1}``: nature's best reply within the
    d-rectangular set, factor by factor.

    Raises
    ------
    ValueError
        As :func:`d_rectangular_solve`, or for a policy of the wrong shape or with an action
        outside ``0..A-1`` (naming the index).

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=0)
    >>> ball = UncertaintySet("tv", radius=0.3)
    >>> best = d_rectangular_solve(model, ball)
    >>> bool(abs(d_rectangular_evaluate(model, ball, best.policy).value - best.value) < 1e-12)
    True
    """
    model = check_d_rectangular(model)
    uncertainty = _check_set(uncertainty)
    pi = as_stochastic(model.tabular(), policy)
    S, A, H, d = model.S, model.A, model.H, model.d
    features = model.phi.reshape(S * A, d)
    values = np.zeros((H + 1, S))
    q = np.empty((H, S, A))
    nus = np.empty((H, d))
    worst = np.empty((H, d, S))
    for h in range(H - 1, -1, -1):
        q[h], nus[h], worst[h] = _stage(model, uncertainty, h, values[h + 1], features, True)
        values[h] = np.einsum("sa,sa->s", pi[h], q[h])
    return DRectangularEvaluation(
        values=values[:H],
        q=q,
        factor_values=nus,
        worst_factors=worst,
        value=float(model.initial @ values[0]),
    )
