r"""The coverability coefficient of an episodic MDP (Xie, Foster, Bai, Jiang, Kakade, ICLR 2023).

Definition
----------
.. math::

    C_{cov} = \inf_{\mu_1, \dots, \mu_H \in \Delta(S \times A)} \; \sup_{\pi, h}
    \Big\| \frac{d^\pi_h}{\mu_h} \Big\|_\infty,

with :math:`d^\pi_h(s, a) = \Pr^\pi(s_h = s, a_h = a)` (Definition 2.1 of the GLOW paper, which
restates Xie et al. verbatim; ``references/theory-wave2.md`` section 6.4, [S]). The per-stage
coefficient :math:`C_h = \inf_{\mu} \sup_\pi \|d^\pi_h / \mu\|_\infty` gives
:math:`C_{cov} = \max_h C_h` (the infimum separates over stages).

Exact computation
-----------------
The supremum over policies is taken pair by pair: with
:math:`\bar d_h(s, a) = \sup_\pi d^\pi_h(s, a)`,
:math:`\sup_\pi \|d^\pi_h / \mu\|_\infty = \max_{s,a} \bar d_h(s, a) / \mu(s, a)`, and the
infimum over :math:`\mu` of that is :math:`\sum_{s,a} \bar d_h(s, a)`, attained at
:math:`\mu \propto \bar d_h` ([D], ``theory-wave2.md`` 6.4). A policy can take action ``a``
wherever it is at stage ``h``, so :math:`\bar d_h(s, a) = \max_\pi \Pr^\pi(s_h = s)` for every
``a``: a reachability problem. Hence

.. math::

    C_h = A \sum_s \max_\pi \Pr^\pi(s_h = s) \in [A, S A].

Two ways, sharing no code:

* ``method="dp"``: for each stage ``h``, one backward induction with the indicator of every
  target state at once, :math:`W_h = I`, :math:`W_t(x, s) = \max_a \sum_{x'} P_t(x'|x, a)
  W_{t+1}(x', s)`, and :math:`\max_\pi \Pr^\pi(s_h = s) = \sum_x \rho(x) W_0(x, s)`. Cost
  :math:`O(H^2 S^3 A)` on dense kernels (BLAS); :math:`O(H S^3 A)` when the kernel is
  stationary, since :math:`W_t` then depends on ``h - t`` only and one product per stage
  serves every target stage.
* ``method="lp"``: for each ``(h, s, a)`` one LP over the occupancy polytope
  (:math:`\sum_a d_0(x, a) = \rho(x)`, :math:`\sum_a d_{t+1}(x', a) = \sum_{x,a} P_t(x'|x,a)
  d_t(x, a)`, :math:`d \ge 0`) maximising :math:`d_h(s, a)`, then for each ``h`` the LP
  :math:`\max u` s.t. :math:`\mu \ge u\, \bar d_h`, :math:`\mu \in \Delta`, whose value is
  :math:`1 / C_h` (cvxpy). :math:`H S A` LPs of :math:`H S A` variables: small models only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mdptheory._validation import ParameterTypeError, check_cvxpy_solver
from mdptheory.diagnostics.registry import Diagnosis, diagnostic
from mdptheory.tabular import EpisodicMDP


@dataclass(frozen=True)
class Coverability:
    r"""Result of :func:`coverability`.

    Attributes
    ----------
    value : float
        :math:`C_{cov} = \max_h C_h`.
    per_stage : ndarray, shape (H,)
        :math:`C_h`.
    max_occupancy : ndarray, shape (H, S, A)
        :math:`\bar d_h(s, a) = \sup_\pi d^\\pi_h(s, a)`.
    mu : ndarray, shape (H, S, A)
        An optimal :math:`\mu_h \propto \bar d_h`.
    method : str
    """

    value: float
    per_stage: np.ndarray
    max_occupancy: np.ndarray
    mu: np.ndarray
    method: str


def _require(mdp, where: str) -> EpisodicMDP:
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(
            f"{where} needs an EpisodicMDP (finite horizon), got {type(mdp).__name__}"
        )
    return mdp


def max_state_occupancy(mdp: EpisodicMDP) -> np.ndarray:
    r""":math:`\max_\pi \Pr^\pi(s_h = s)` for every stage and state, shape (H, S), by backward
    induction on the indicators of all targets at once (``method="dp"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> max_state_occupancy(EpisodicMDP(P, np.zeros((2, 2)), H=2, initial=[1.0, 0.0]))
    array([[1. , 0. ],
           [1. , 0.5]])
    """
    mdp = _require(mdp, "max_state_occupancy")
    H, S, A = mdp.H, mdp.S, mdp.A
    rho = np.asarray(mdp.initial)
    out = np.empty((H, S))
    out[0] = rho
    if mdp.stationary:
        # W_t for target stage h depends on h - t only: one product per stage serves all h
        W = np.eye(S)
        for h in range(1, H):
            W = np.asarray(mdp.P_matrix(0) @ W).reshape(S, A, S).max(axis=1)
            out[h] = rho @ W
        return out
    for h in range(1, H):
        W = np.eye(S)  # W_h(x, s) = 1[x = s]
        for t in range(h - 1, -1, -1):
            W = np.asarray(mdp.P_matrix(t) @ W).reshape(S, A, S).max(axis=1)
        out[h] = rho @ W
    return out


def _lp_max_occupancy(mdp: EpisodicMDP, solver: str | None) -> np.ndarray:
    import cvxpy as cp

    H, S, A = mdp.H, mdp.S, mdp.A
    d = [cp.Variable((S, A), nonneg=True) for _ in range(H)]
    constraints = [cp.sum(d[0], axis=1) == np.asarray(mdp.initial)]
    for t in range(H - 1):
        P = mdp.transition(t).reshape(S * A, S)
        constraints.append(cp.sum(d[t + 1], axis=1) == P.T @ cp.reshape(d[t], (S * A,), order="C"))
    # one problem, compiled once: the objective picks d_h(s, a) through a parameter
    weight = cp.Parameter(H * S * A, nonneg=True)
    flat = cp.hstack([cp.reshape(d[h], (S * A,), order="C") for h in range(H)])
    problem = cp.Problem(cp.Maximize(weight @ flat), constraints)
    out = np.empty(H * S * A)
    for index in range(H * S * A):
        weight.value = np.eye(1, H * S * A, index).ravel()
        problem.solve(solver=solver or "CLARABEL")
        if problem.status not in ("optimal", "optimal_inaccurate"):
            h, s, a = np.unravel_index(index, (H, S, A))
            raise ValueError(
                f"the occupancy LP for (h={h}, s={s}, a={a}) returned status {problem.status!r}"
            )
        out[index] = max(0.0, float(problem.value))
    return out.reshape(H, S, A)


def _lp_stage_coefficient(max_occupancy: np.ndarray, solver: str | None) -> float:
    import cvxpy as cp

    mu = cp.Variable(max_occupancy.size, nonneg=True)
    u = cp.Variable()
    problem = cp.Problem(cp.Maximize(u), [cp.sum(mu) == 1, mu >= u * max_occupancy.ravel()])
    problem.solve(solver=solver or "CLARABEL")
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise ValueError(f"the coverability LP returned status {problem.status!r}")
    return 1.0 / float(u.value)


def coverability(
    mdp: EpisodicMDP, method: Literal["dp", "lp"] = "dp", solver: str | None = None
) -> Coverability:
    r"""The coverability coefficient :math:`C_{cov}` and its per-stage values :math:`C_h`.

    Parameters
    ----------
    mdp : EpisodicMDP
    method : {"dp", "lp"}
        Reachability dynamic programming and the closed form :math:`C_h = \sum_{s,a} \bar d_h`
        (default), or the LPs of the module docstring (cvxpy; small models).
    solver : str, optional
        cvxpy solver for ``method="lp"`` (Clarabel by default).

    Returns
    -------
    Coverability

    Notes
    -----
    :math:`A \le C_h \le S A`: the upper bound because :math:`\bar d_h \le 1`, the lower
    because the states' probabilities under any one policy sum to 1. Cost of ``"dp"``:
    :math:`O(H S^3 A)` for a stationary kernel, :math:`O(H^2 S^3 A)` otherwise.

    Examples
    --------
    A deterministic walk whose state at each stage is fixed has :math:`C_h = A`:

    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((3, 2, 3)); P[:, :, 0] = 1.0
    >>> result = coverability(EpisodicMDP(P, np.zeros((3, 2)), H=4, initial=[1.0, 0, 0]))
    >>> result.value, result.per_stage.tolist()
    (2.0, [2.0, 2.0, 2.0, 2.0])
    """
    mdp = _require(mdp, "coverability")
    if method == "dp":
        bar = np.repeat(max_state_occupancy(mdp)[:, :, None], mdp.A, axis=2)
        per_stage = bar.sum(axis=(1, 2))
    elif method == "lp":
        check_cvxpy_solver(solver)
        bar = _lp_max_occupancy(mdp, solver)
        per_stage = np.array([_lp_stage_coefficient(bar[h], solver) for h in range(mdp.H)])
    else:
        raise ValueError(f"method must be 'dp' or 'lp', got {method!r}")
    mu = bar / bar.sum(axis=(1, 2), keepdims=True)
    return Coverability(
        value=float(per_stage.max()), per_stage=per_stage, max_occupancy=bar, mu=mu, method=method
    )


_DEFINITION = (
    "C_cov = inf_mu sup_{pi,h} ||d^pi_h / mu_h||_inf (Xie, Foster, Bai, Jiang, "
    "Kakade 2023); per stage C_h = sum_{s,a} sup_pi d^pi_h(s,a) = A sum_s "
    "max_pi Pr(s_h = s), between A and SA."
)


@diagnostic("coverability")
def diagnose_coverability(model) -> Diagnosis | None:
    """The coverability coefficient of an episodic model (None for any other model)."""
    if not isinstance(model, EpisodicMDP):
        return None
    result = coverability(model)
    worst = int(np.argmax(result.per_stage))
    return Diagnosis(
        name="coverability",
        definition=_DEFINITION,
        values={
            "C_cov": result.value,
            "stage of the maximum (papers' 1..H)": worst + 1,
            "C_cov / (S A)": result.value / (model.S * model.A),
            "min_h C_h": float(result.per_stage.min()),
        },
        complexity="O(H S^3 A) stationary, O(H^2 S^3 A) otherwise: backward inductions over "
        "all target states at once",
    )


__all__ = ["Coverability", "coverability", "max_state_occupancy"]
