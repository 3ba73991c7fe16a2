r"""Robust planning on (s, a)-rectangular sets: value iteration, backward induction, evaluation.

The robust Bellman operator of an :class:`~mdptheory.robust.sets.UncertaintySet` ``U``
(Iyengar 2005, Thm 3.2; Nilim and El Ghaoui 2005, section 3)::

    (T V)(s) = max_a Q(s, a),   Q(s, a) = R(s, a) + gamma inf_{q in U(P(.|s,a))} q . V

(with ``inf_q [q.V + lam D(q || P(.|s,a))]`` for a penalty, the regularised robust MDP) is a
``gamma``-contraction in the sup norm, since each inner problem is an infimum of linear maps of
``V`` with weights summing to 1. Hence the certificates of :mod:`mdptheory.planning` carry over:
``||V - V*_rob|| <= ||T V - V|| / (1 - gamma)`` and, for value iteration,
``||V_{k+1} - V*_rob|| <= gamma / (1 - gamma) ||V_{k+1} - V_k||``. Under rectangularity a
deterministic stationary policy is optimal, and the greedy policy of the robust Q is returned.

A result also holds the **worst-case kernel**, the rows minimising the inner problems at the
returned values, and the exact value of the returned policy under that kernel (one linear solve
or backward pass of :func:`mdptheory.evaluation.evaluate`). For a ball that value is the
policy's return when nature plays the worst-case kernel against it; for a penalty it omits the
penalty ``lam D`` that the regularised value charges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mdptheory._validation import (
    ParameterTypeError,
    as_float_array,
    check_max_iter,
    check_memory,
    check_tol,
    check_value_scale,
    dense_bytes,
)
from mdptheory.evaluation import as_stochastic, check_policy, evaluate
from mdptheory.robust.sets import UncertaintySet
from mdptheory.tabular import EpisodicMDP, FiniteMDP

Model = FiniteMDP | EpisodicMDP


class _KernelOnRead:
    """The ``worst_kernel`` of a robust solution or evaluation, read from its
    ``kernel_source``."""

    @cached_property
    def worst_kernel(self) -> np.ndarray:
        """The worst-case kernel, written on first access when the solve or evaluation
        deferred it."""
        source = self.kernel_source
        return source if isinstance(source, np.ndarray) else source()


@dataclass(frozen=True)
class RobustSolution(_KernelOnRead):
    """Result of a robust planner (as :class:`mdptheory.planning.Solution`, plus the kernel).

    Attributes
    ----------
    values : ndarray
        Robust optimal values: (S,) discounted, (H, S) episodic.
    q : ndarray
        Robust Q-values ``R + gamma inf_q q.V``: (S, A) or (H, S, A).
    policy : ndarray of int64
        Greedy deterministic policy, (S,) or (H, S); ties go to the smallest action.
    policy_values : ndarray
        Exact value of ``policy`` under ``worst_kernel`` (linear solve or backward pass).
    worst_kernel : ndarray
        Minimisers of the inner problems at ``values``: (S, A, S) or (H, S, A, S). Value
        iteration solves with the policy's own rows of it and writes the whole kernel on the
        first access of this attribute, from what the solve kept (the model's rows, ``values``
        and the KL ball's dual variables): the same inner problems as the final backup, bit
        for bit the array an eager solve would hold, at the cost of one more backup then.
    bound : float
        Certified ``max |values - V*_rob| <= bound`` (0 for backward induction).
    iterations : int
    stop_reason : str
    method : str
    uncertainty : UncertaintySet
    kernel_source : ndarray or callable
        The worst-case kernel, or a callable without arguments that returns it (what
        ``worst_kernel`` reads).
    """

    values: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    policy_values: np.ndarray
    bound: float
    iterations: int
    stop_reason: str
    method: str
    uncertainty: UncertaintySet
    kernel_source: object = field(repr=False, compare=False)


@dataclass(frozen=True)
class _DeferredKernel:
    """The minimisers of ``uncertainty.worst_case(P2, V, warm)``, reshaped, written when
    called (a class, not a closure, so that a solution pickles)."""

    uncertainty: UncertaintySet
    P2: np.ndarray
    V: np.ndarray
    warm: np.ndarray
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        # own read-only copies: a caller who edits the returned values in place must not
        # change the kernel written later (P2 is the model's read-only kernel)
        for name in ("V", "warm"):
            array = np.array(getattr(self, name), dtype=np.float64)
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    def __call__(self) -> np.ndarray:
        return self.uncertainty.worst_case(self.P2, self.V, self.warm.copy())[1].reshape(self.shape)


@dataclass(frozen=True)
class RobustEvaluation(_KernelOnRead):
    """Robust value of a fixed policy: ``values`` within ``bound`` of ``V^pi_rob``.

    ``worst_kernel`` minimises the inner problems at ``values`` (at the values before the last
    evaluation when stopped by ``max_iter``); ``iterations`` counts the exact evaluations
    (discounted) or stages (episodic). For a deterministic policy on a discounted model the
    kernel is written on its first read (as for :class:`RobustSolution`), the iterations
    having used the policy's rows alone; ``kernel_source`` is the kernel or what writes it.
    """

    values: np.ndarray
    bound: float
    iterations: int
    stop_reason: str
    kernel_source: object = field(repr=False, compare=False)


def _check_set(uncertainty) -> UncertaintySet:
    if not isinstance(uncertainty, UncertaintySet):
        raise ParameterTypeError(
            f"uncertainty must be an UncertaintySet, got "
            f"{type(uncertainty).__name__} {uncertainty!r:.60}"
        )
    return uncertainty


def _dense_rows(mdp: Model, h: int | None = None) -> np.ndarray:
    """The kernel as dense (S*A, S) rows (a view for a dense model)."""
    if mdp.is_sparse:
        check_memory(
            dense_bytes(mdp.S, mdp.A, mdp.S),
            "robust planning: the dense kernel (S, A, S)",
            f"S={mdp.S}, A={mdp.A}",
        )
    P = mdp.dense_P() if isinstance(mdp, FiniteMDP) else mdp.transition(h)
    return np.ascontiguousarray(P).reshape(mdp.S * mdp.A, mdp.S)


def _require(mdp, kind, name: str) -> None:
    if not isinstance(mdp, kind):
        raise ParameterTypeError(f"{name} needs a {kind.__name__} as mdp, got {type(mdp).__name__}")
    check_value_scale(mdp, name)


def robust_bellman(mdp: Model, V, uncertainty: UncertaintySet, h: int | None = None) -> np.ndarray:
    """Robust Q-values ``R + gamma inf_q q.V`` (S, A) of a discounted model, or
    ``R_h + inf_q q.V`` at stage ``h`` of an episodic one.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], gamma=0.5)
    >>> robust_bellman(mdp, np.array([0.0, 2.0]), UncertaintySet("tv", radius=0.5))
    array([[0.],
           [1.]])
    """
    uncertainty = _check_set(uncertainty)
    if not isinstance(mdp, (FiniteMDP, EpisodicMDP)):
        raise ParameterTypeError(
            f"robust_bellman needs a FiniteMDP or EpisodicMDP, got {type(mdp).__name__}"
        )
    V = as_float_array(V, "V", ndim=1)
    if V.shape != (mdp.S,):
        raise ValueError(f"V has shape {V.shape}, expected ({mdp.S},)")
    if isinstance(mdp, EpisodicMDP):
        if h is None:
            raise ValueError("an episodic model needs the stage h")
        mdp._check_stage(h)
        return mdp.R[h] + uncertainty.backup(_dense_rows(mdp, h), V).reshape(mdp.S, mdp.A)
    return mdp.R + mdp.gamma * uncertainty.backup(_dense_rows(mdp), V).reshape(mdp.S, mdp.A)


def robust_value_iteration(
    mdp: FiniteMDP,
    uncertainty: UncertaintySet,
    tol: float = 1e-8,
    max_iter: int = 1_000_000,
    V0=None,
) -> RobustSolution:
    """Robust value iteration ``V_{k+1} = T V_k``, stopped by the certified bound.

    Stops when ``gamma / (1 - gamma) ||V_{k+1} - V_k|| <= tol``; ``bound`` is the smaller of
    that and the residual bound. The KL ball's dual variables are carried from one sweep to the
    next as a warm start, and its search stops at a duality gap of a tenth of the last change
    of ``V`` but at most ``tol (1 - gamma) / (4 gamma)``, which the certificate adds:
    ``gamma / (1 - gamma) (||V_{k+1} - V_k|| + gap)``.
    The returned worst-case kernel and residual bound come from an exact final backup.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 2, 2), 0.5), [[0.0, 0.1], [1.0, 1.0]], gamma=0.5)
    >>> sol = robust_value_iteration(mdp, UncertaintySet("kl", radius=0.1))
    >>> sol.policy, bool(sol.bound <= 1e-8)
    (array([1, 0]), True)
    """
    _require(mdp, FiniteMDP, "robust_value_iteration")
    uncertainty = _check_set(uncertainty)
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    S, A, gamma = mdp.S, mdp.A, mdp.gamma
    P2 = _dense_rows(mdp)
    V = np.zeros(S) if V0 is None else as_float_array(V0, "V0", ndim=1)
    if V.shape != (S,):
        raise ValueError(f"V0 has shape {V.shape}, expected ({S},)")
    warm = np.zeros(S * A)
    factor = gamma / (1.0 - gamma)
    # The KL ball's search may stop at a duality gap of a tenth of the last change of V (early
    # sweeps need no precise inner problems), and never above a quarter of what the tolerance
    # allows.
    floor = 0.25 * tol / factor
    change = np.inf
    stop_reason, iterations, contraction_bound = "max_iter", 0, np.inf
    for iterations in range(1, max_iter + 1):  # noqa: B007 (kept for the count)
        inner, gap = uncertainty.backup_with_gap(P2, V, warm, max(floor, 0.1 * change))
        V_next = (mdp.R + gamma * inner.reshape(S, A)).max(axis=1)
        # ||V_{k+1} - V*|| <= gamma / (1 - gamma) (||V_{k+1} - V_k|| + gap) for a backup whose
        # values exceed the exact ones by at most gap
        change = float(np.max(np.abs(V_next - V)))
        contraction_bound = factor * (change + gap)
        V = V_next
        if contraction_bound <= tol:
            stop_reason = "tolerance"
            break
    # the final backup: values of every row, minimisers of the greedy policy's rows only
    # (the whole worst-case kernel is written on demand, from the dual variables kept here)
    deferred = _DeferredKernel(uncertainty, P2, V, warm.copy(), (S, A, S))
    inner = uncertainty.worst_case_values(P2, V, warm)
    q = mdp.R + gamma * inner.reshape(S, A)
    policy = np.argmax(q, axis=1).astype(np.int64)
    residual = float(np.max(np.abs(q.max(axis=1) - V))) / (1.0 - gamma)
    states = np.arange(S)
    policy_rows = uncertainty.worst_case_minimisers(P2, V, deferred.warm, warm, states * A + policy)
    # the policy's rows alone (one action per state): the same linear system as the whole
    # worst-case model, without writing, copying and validating its S A S entries
    policy_mdp = FiniteMDP(policy_rows[:, None, :], mdp.R[states, policy][:, None], gamma)
    return RobustSolution(
        values=V,
        q=q,
        policy=policy,
        policy_values=evaluate(policy_mdp, np.zeros(S, dtype=np.int64)),
        bound=min(contraction_bound, residual),
        iterations=iterations,
        stop_reason=stop_reason,
        method=f"robust_value_iteration[{uncertainty.label}]",
        uncertainty=uncertainty,
        kernel_source=deferred,
    )


def robust_backward_induction(mdp: EpisodicMDP, uncertainty: UncertaintySet) -> RobustSolution:
    """Robust backward induction ``Q_h = R_h + inf_q q.V_{h+1}``, ``V_H = 0`` (exact).

    Stage ``h`` is ``h + 1`` in papers. ``bound`` is 0 up to the inner problems' rounding; for
    a ball ``policy_values`` equals ``values`` (the greedy policy attains every backup against
    the worst-case kernel).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=2)
    >>> robust_backward_induction(mdp, UncertaintySet("tv", radius=1.0)).values
    array([[0., 1.],
           [0., 1.]])
    """
    _require(mdp, EpisodicMDP, "robust_backward_induction")
    uncertainty = _check_set(uncertainty)
    H, S, A = mdp.H, mdp.S, mdp.A
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    worst = np.empty((H, S, A, S))
    for h in range(H - 1, -1, -1):
        inner, Q2 = uncertainty.worst_case(_dense_rows(mdp, h), V[h + 1])
        Q[h] = mdp.R[h] + inner.reshape(S, A)
        worst[h] = Q2.reshape(S, A, S)
        V[h] = Q[h].max(axis=1)
    policy = np.argmax(Q, axis=-1).astype(np.int64)
    worst_mdp = EpisodicMDP(worst, mdp.R, H, initial=mdp.initial)
    return RobustSolution(
        values=V[:H],
        q=Q,
        policy=policy,
        policy_values=evaluate(worst_mdp, policy),
        bound=0.0,
        iterations=H,
        stop_reason="exact",
        method=f"robust_backward_induction[{uncertainty.label}]",
        uncertainty=uncertainty,
        kernel_source=worst,
    )


def row_divergences(uncertainty: UncertaintySet, P2: np.ndarray, Q2: np.ndarray) -> np.ndarray:
    """``D(q || p)`` for every pair of rows (the penalty charged by a regularised set)."""
    if uncertainty.divergence == "tv":
        return 0.5 * np.abs(Q2 - P2).sum(axis=1)
    on = P2 > 0
    safe_p = np.where(on, P2, 1.0)
    if uncertainty.divergence == "kl":
        pos = on & (Q2 > 0)
        return np.where(pos, Q2 * np.log(np.where(pos, Q2, 1.0) / safe_p), 0.0).sum(axis=1)
    return np.where(on, (Q2 - P2) ** 2 / safe_p, 0.0).sum(axis=1)


def robust_solve(mdp: Model, uncertainty: UncertaintySet, **options) -> RobustSolution:
    """Robust backward induction for an episodic model, robust value iteration otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=1)
    >>> robust_solve(mdp, UncertaintySet("kl", penalty=1.0)).values
    array([[0., 1.]])
    """
    if isinstance(mdp, EpisodicMDP):
        return robust_backward_induction(mdp, uncertainty, **options)
    return robust_value_iteration(mdp, uncertainty, **options)


def robust_evaluate(
    mdp: Model, policy, uncertainty: UncertaintySet, tol: float = 1e-10, max_iter: int = 1000
) -> RobustEvaluation:
    """Robust value of a fixed policy, ``V^pi_rob = inf over kernels in the set of V^pi``.

    Episodic: one exact backward pass (the worst row at each stage is nature's best response).
    Discounted: policy iteration for nature. Starting from the nominal value, take the rows
    minimising the inner problems at the current ``V`` and evaluate the policy exactly under
    them (for a penalty, with the penalty ``gamma lam D(q || p)`` added to the rewards); the
    values decrease monotonically to ``V^pi_rob``. Stops when the residual certificate
    ``||T^pi V - V|| / (1 - gamma)`` is at most ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], gamma=0.5)
    >>> robust_evaluate(mdp, np.array([0, 0]), UncertaintySet("tv", radius=1.0)).values
    array([0., 1.])
    """
    if not isinstance(mdp, (FiniteMDP, EpisodicMDP)):
        raise ParameterTypeError(
            f"robust_evaluate needs a FiniteMDP or EpisodicMDP, got {type(mdp).__name__}"
        )
    uncertainty = _check_set(uncertainty)
    check_policy(mdp, policy)
    check_value_scale(mdp, "robust_evaluate")
    pi = as_stochastic(mdp, policy)
    S, A = mdp.S, mdp.A
    if isinstance(mdp, EpisodicMDP):
        V = np.zeros((mdp.H + 1, S))
        worst = np.empty((mdp.H, S, A, S))
        for h in range(mdp.H - 1, -1, -1):
            inner, Q2 = uncertainty.worst_case(_dense_rows(mdp, h), V[h + 1])
            V[h] = np.einsum("sa,sa->s", pi[h], mdp.R[h] + inner.reshape(S, A))
            worst[h] = Q2.reshape(S, A, S)
        return RobustEvaluation(V[: mdp.H], 0.0, mdp.H, "exact", kernel_source=worst)
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    gamma = mdp.gamma
    P2 = _dense_rows(mdp)
    V = evaluate(mdp, policy)
    stop_reason, bound = "max_iter", np.inf
    iterations = 0
    actions = np.asarray(policy)
    deterministic = np.issubdtype(actions.dtype, np.integer)
    states = np.arange(S)
    for iterations in range(1, max_iter + 1):  # noqa: B007
        if deterministic:
            # the values of every row, the minimisers of the policy's rows only: the whole
            # kernel (S A S entries, fresh memory each iteration) is written on demand
            start = np.zeros(S * A)
            warm = start.copy()
            kernel = _DeferredKernel(uncertainty, P2, V, start, (S, A, S))
            inner = uncertainty.worst_case_values(P2, V, warm)
        else:
            inner, Q2 = uncertainty.worst_case(P2, V)
            kernel = Q2.reshape(S, A, S)
        TV = np.einsum("sa,sa->s", pi, mdp.R + gamma * inner.reshape(S, A))
        bound = float(np.max(np.abs(TV - V))) / (1.0 - gamma)
        if bound <= tol:
            stop_reason = "tolerance"
            break
        if deterministic:
            rows = states * A + actions
            Q_rows = uncertainty.worst_case_minimisers(P2, V, start, warm, rows)
            rewards = mdp.R[states, actions]
            if uncertainty.penalised:
                rewards = rewards + gamma * uncertainty.penalty * row_divergences(
                    uncertainty, np.ascontiguousarray(P2[rows]), Q_rows
                )
            # the same linear system as the whole worst-case model under the policy
            policy_mdp = FiniteMDP(Q_rows[:, None, :], rewards[:, None], gamma)
            V = evaluate(policy_mdp, np.zeros(S, dtype=np.int64))
            continue
        rewards = mdp.R
        if uncertainty.penalised:
            rewards = mdp.R + gamma * uncertainty.penalty * row_divergences(
                uncertainty, P2, Q2
            ).reshape(S, A)
        V = evaluate(FiniteMDP(kernel, rewards, gamma), policy)
    return RobustEvaluation(V, bound, iterations, stop_reason, kernel_source=kernel)


__all__ = [
    "RobustEvaluation",
    "RobustSolution",
    "robust_backward_induction",
    "robust_bellman",
    "robust_evaluate",
    "robust_solve",
    "robust_value_iteration",
    "row_divergences",
]
