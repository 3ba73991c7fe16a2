r"""Discretised CVaR-LSVI: static CVaR planning with the budget on a grid and linear backups.

The planning oracle of Zhao, Zhan, Hu, Leung, Farnia, Sun, Lee, *Provably Efficient CVaR RL in
Low-rank MDPs*, ICLR 2024, arXiv:2311.11965 (the "discretised LSVI" of its abstract), on a model
whose features are known. Stages are ``h = 0..H-1`` here and ``1..H`` in the paper.

Objective
---------
Static CVaR of the total return ``G`` at level ``alpha`` (the paper's ``tau``), by the
Rockafellar-Uryasev form and the budget augmentation (Bauerle and Ott 2011)::

    CVaR^alpha(G) = max_{b in [0, H]} { b - E[(b - G)^+] / alpha },
    c_0 = b,   c_{h+1} = c_h - r_h(s_h, a_h),   shortfall (c_H)^+.

For fixed ``b`` the inner problem is a risk-neutral MDP on ``(s, c)`` that minimises the
expected shortfall. Here ``c`` lives on the grid ``{0, eta, ..., M eta}``, ``M = ceil(H/eta)``:

    W_H(s, j) = j eta,
    W_h(s, j) = min_a  phi_h(s, a) . w_h(next_j(h, s, a, j)),
    w_h(g)    = sum_{s'} mu_h(s') W_{h+1}(s', g)              (one d-vector per grid point g),

with ``next_j = max(0, j - floor(r / eta))`` (``rounding="up"``: the budget left is rounded
*up*, so the tracked budget never falls below the true one) and the planner's value
``max_j { j eta - rho . W_0(., j) / alpha }``. A budget at or below 0 can never produce a
shortfall again, so it is kept at 0. ``w_h(g)`` is the least-squares weight of the targets
``W_{h+1}(s', g)`` under the model's own transitions: on the finite-state twin it is exact.

Error in eta (derived here [D]; the paper's bound is "at most the grid width" [M], not read)
--------------------------------------------------------------------------------------------
With ``W`` the exact shortfall function of the continuous budget, rounding up gives
``W_h <= W^eta_h <= W_h + (H - h) eta`` on the grid (induction: the rounded budget exceeds the
true one by less than ``eta`` per step, ``W`` is 1-Lipschitz and non-decreasing in ``c``). So::

    0 <= CVaR* - value(eta) <= (H + 1 - alpha) eta / alpha,

the ``H eta / alpha`` of the shortfall and ``(1/alpha - 1) eta`` of restricting ``b`` to the grid
(the objective's slope above its maximiser is ``1 - Pr(G < b)/alpha >= 1 - 1/alpha``). The
tracked budget bounds the true one from above, so ``value(eta)`` is also a certified lower bound
on the CVaR of the policy the planner returns. ``rounding="down"`` rounds the other way: its
value is optimistic and carries no certificate (kept as a negative control for the checks).

Functions
---------
* :func:`budget_grid`: the grid.
* :func:`discretised_cvar_lsvi`: the planner, returning a :class:`DiscretisedCVaRSolution`.
* :func:`budget_policy_return_distribution`: the exact law of the return of the planner's
  policy (history enters through the tracked budget), by forward propagation.
* :func:`discretisation_error_bound`: ``(H + 1 - alpha) eta / alpha``.
* :func:`shortfall_min_backup`: the compiled backup step, shared with the learners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from mdptheory._validation import check_real
from mdptheory.risk.distribution import ATOM_DECIMALS, ReturnDistribution
from mdptheory.risk.measures import check_alpha
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "ROUNDINGS",
    "DiscretisedCVaRSolution",
    "budget_grid",
    "budget_policy_return_distribution",
    "budget_steps",
    "discretisation_error_bound",
    "discretised_cvar_lsvi",
    "executed_augmented_states",
    "model_features",
    "shortfall_min_backup",
]

ROUNDINGS = ("up", "down")
"""``"up"``: the budget left is rounded up (conservative, certified); ``"down"``: the wrong way."""

GRID_TOL = 1e-9
"""A reward within ``GRID_TOL`` grid steps of a multiple of ``eta`` counts as that multiple."""

MAX_GRID = 10_000_000
"""Largest ``(M + 1) * S`` grid the planner builds before refusing ``eta``."""


@dataclass(frozen=True)
class DiscretisedCVaRSolution:
    """Result of :func:`discretised_cvar_lsvi`.

    Attributes
    ----------
    value : float
        ``max_j { j eta - rho . W_0(., j) / alpha }``: with ``rounding="up"`` a lower bound on
        the exact static CVaR of ``policy`` and within ``(H + 1 - alpha) eta / alpha`` of the
        optimum.
    budget : float
        The maximising initial budget ``b = j* eta``.
    budget_index : int
        ``j*``.
    eta, alpha : float
    rounding : str
    policy : ndarray, shape (H, S, M + 1)
        ``policy[h, s, j]``: the action at stage ``h`` in state ``s`` with tracked budget
        ``j eta`` (ties to the smallest action).
    shortfall : ndarray, shape (H + 1, S, M + 1)
        ``W^eta_h(s, j)``, the expected shortfall of the grid problem.
    objective : ndarray, shape (M + 1,)
        ``j eta - rho . W_0(., j) / alpha`` for every grid budget.
    steps : ndarray, shape (H, S, A)
        Grid steps the tracked budget drops after ``r_h(s, a)``.
    """

    value: float
    budget: float
    budget_index: int
    eta: float
    alpha: float
    rounding: str
    policy: np.ndarray = field(repr=False)
    shortfall: np.ndarray = field(repr=False)
    objective: np.ndarray = field(repr=False)
    steps: np.ndarray = field(repr=False)

    @property
    def grid(self) -> np.ndarray:
        """The budget grid ``j eta``, ``j = 0..M``."""
        return np.arange(self.objective.shape[0]) * self.eta

    def act(self, h: int, s: int, budget_index: int) -> int:
        """The action at stage ``h``, state ``s``, tracked budget ``budget_index * eta``."""
        return int(self.policy[h, s, budget_index])

    def next_budget(self, h: int, s: int, a: int, budget_index: int) -> int:
        """The tracked budget index after taking ``a`` in ``s`` at stage ``h``."""
        return max(0, int(budget_index) - int(self.steps[h, s, a]))


def budget_grid(H: int, eta: float) -> np.ndarray:
    """The budget grid ``{0, eta, ..., M eta}``, ``M = ceil(H / eta)`` (it covers ``[0, H]``).

    Examples
    --------
    >>> budget_grid(2, 0.5).tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0]
    >>> budget_grid(1, 0.3).shape
    (5,)
    """
    eta = _check_eta(eta)
    M = math.ceil(H / eta - GRID_TOL)
    return np.arange(M + 1) * eta


def discretisation_error_bound(H: int, alpha: float, eta: float) -> float:
    """``(H + 1 - alpha) eta / alpha``: the bound on ``CVaR* - value(eta)`` (derived [D]).

    Examples
    --------
    >>> discretisation_error_bound(3, 0.5, 0.01)
    0.07
    """
    alpha = check_alpha(alpha)
    return (H + 1.0 - alpha) * _check_eta(eta) / alpha


def _check_eta(eta: float) -> float:
    return check_real(eta, "eta", low=0.0, low_open=True)


def budget_steps(R: np.ndarray, eta: float, rounding: str = "up") -> np.ndarray:
    """Grid steps the tracked budget drops after each reward: ``floor(r / eta)`` when the budget
    left is rounded up (``c - r`` rounded up is ``(j - floor(r / eta)) eta``), ``ceil(r / eta)``
    when it is rounded down. Rewards within :data:`GRID_TOL` steps of a multiple of ``eta``
    count as that multiple, so rewards on the grid move the budget exactly.

    Examples
    --------
    >>> budget_steps(np.array([0.25, 0.3, 1.0]), 0.1).tolist()
    [2, 3, 10]
    >>> budget_steps(np.array([0.25, 0.3]), 0.1, rounding="down").tolist()
    [3, 3]
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {list(ROUNDINGS)}, got {rounding!r}")
    units = np.asarray(R, dtype=np.float64) / _check_eta(eta)
    nearest = np.round(units)
    on_grid = np.abs(units - nearest) <= GRID_TOL
    raw = np.floor(units) if rounding == "up" else np.ceil(units)
    return np.where(on_grid, nearest, raw).astype(np.int64)


def model_features(model) -> tuple[np.ndarray, np.ndarray, EpisodicMDP]:
    """Per-stage features ``(H, S A, d)``, measures ``(H, S, d)`` and the finite-state twin.

    A :class:`~mdptheory.linear.LinearMDP` gives ``phi`` (the same at every stage) and ``mu``;
    a :class:`~mdptheory.linear.LowRankMDP` its known ``phi_h`` and ``psi_h``; an
    :class:`~mdptheory.tabular.EpisodicMDP` the one-hot features of the pairs (``d = S A``,
    ``mu_h(s')_{(s, a)} = P_h(s' | s, a)``, Jin et al. 2020, Example 2.1).
    """
    if isinstance(model, EpisodicMDP):
        H, S, A = model.H, model.S, model.A
        twin = model
        eye = np.eye(S * A)
        features = np.broadcast_to(eye, (H, S * A, S * A))
        P = np.asarray(model.dense_P(), dtype=np.float64)
        P4 = np.broadcast_to(P.reshape(-1, S, A, S), (H, S, A, S))
        measures = np.ascontiguousarray(P4.reshape(H, S * A, S).transpose(0, 2, 1))
        return np.ascontiguousarray(features), measures, twin
    phi = getattr(model, "phi", None)
    measures = getattr(model, "mu", getattr(model, "psi", None))
    if phi is None or measures is None or not hasattr(model, "tabular"):
        raise ValueError(
            f"the discretised planner needs an EpisodicMDP, LinearMDP or "
            f"LowRankMDP, got {type(model).__name__}"
        )
    twin = model.tabular()
    H, S, A = twin.H, twin.S, twin.A
    phi = np.asarray(phi, dtype=np.float64)
    d = phi.shape[-1]
    features = np.broadcast_to(phi.reshape(-1, S * A, d), (H, S * A, d))
    return np.ascontiguousarray(features), np.ascontiguousarray(measures), twin


@njit(cache=True)
def shortfall_min_backup(
    EW: np.ndarray, steps: np.ndarray, bonus: np.ndarray, W: np.ndarray, policy: np.ndarray
) -> None:
    """One stage of the grid shortfall DP: ``W[s, j] = max(0, min_a EW[s A + a, j'] - bonus)``.

    ``EW[n, g]`` (S A, M + 1) is the (estimated) expected next shortfall of pair ``n`` at grid
    budget ``g``; ``j' = max(0, j - steps[s, a])``; ``bonus[n] >= 0`` is subtracted (optimism
    for a learner; zeros for the planner); the floor 0 is the shortfall's range. Ties go to the
    smallest action. Overwrites ``W`` (S, M + 1) and ``policy`` (S, M + 1).
    """
    S, n_grid = W.shape
    A = steps.shape[1]
    for s in range(S):
        for j in range(n_grid):
            best = np.inf
            best_a = 0
            for a in range(A):
                g = j - steps[s, a]
                if g < 0:
                    g = 0
                n = s * A + a
                value = EW[n, g] - bonus[n]
                if value < best:
                    best = value
                    best_a = a
            W[s, j] = best if best > 0.0 else 0.0
            policy[s, j] = best_a


@njit(cache=True)
def _discretised_dp(
    features: np.ndarray, measures: np.ndarray, steps: np.ndarray, eta: float, n_grid: int
):
    """The grid shortfall DP with feature backups: ``W`` (H + 1, S, M + 1), ``policy``."""
    H, S, A = steps.shape
    W = np.zeros((H + 1, S, n_grid))
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    for s in range(S):
        for j in range(n_grid):
            W[H, s, j] = j * eta
    zero = np.zeros(S * A)
    for h in range(H - 1, -1, -1):
        # w_h(g) = mu_h^T W_{h+1}(., g) for every g at once, then phi . w_h(g) for every pair.
        weights = np.ascontiguousarray(measures[h].T) @ W[h + 1]  # (d, M + 1)
        EW = features[h] @ weights  # (S A, M + 1)
        shortfall_min_backup(EW, steps[h], zero, W[h], policy[h])
    return W, policy


def discretised_cvar_lsvi(
    model, alpha: float, eta: float, rounding: str = "up"
) -> DiscretisedCVaRSolution:
    r"""Static CVaR planning with the budget on a grid of width ``eta`` and feature backups.

    The discretised LSVI of Zhao et al. (ICLR 2024, arXiv:2311.11965) with known features, as
    stated in the module notes: ``W_h(s, j) = min_a phi_h(s, a) . w_h(next_j)``,
    ``w_h(g) = sum_{s'} mu_h(s') W_{h+1}(s', g)``, value ``max_j {j eta - rho W_0(., j)/alpha}``.
    With ``rounding="up"`` (default), ``0 <= CVaR* - value <= (H + 1 - alpha) eta / alpha`` and
    the value is a lower bound on the static CVaR of the returned policy; when every reward is
    a multiple of ``eta`` the grid is exact and ``value = CVaR*``.

    Parameters
    ----------
    model : EpisodicMDP, LinearMDP or LowRankMDP
        Deterministic rewards in [0, 1] (the budget grid covers ``[0, H]``).
    alpha : float
        Risk level in (0, 1].
    eta : float
        Grid width, > 0.
    rounding : {"up", "down"}
        Direction in which the budget left is rounded; ``"down"`` is the wrong way (optimistic,
        no certificate), kept as a control.

    Returns
    -------
    DiscretisedCVaRSolution

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> from mdptheory.risk import static_cvar_optimum
    >>> mdp = safe_vs_risky_route(H=3)
    >>> sol = discretised_cvar_lsvi(mdp, alpha=0.1, eta=0.5)     # rewards on the grid: exact
    >>> round(sol.value, 12), round(static_cvar_optimum(mdp, 0.1).value, 12), sol.act(0, 0, 2)
    (1.0, 1.0, 0)
    """
    alpha = check_alpha(alpha)
    eta = _check_eta(eta)
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {list(ROUNDINGS)}, got {rounding!r}")
    features, measures, twin = model_features(model)
    if twin.noise.kind != "deterministic":
        raise ValueError(
            f"discretised_cvar_lsvi needs deterministic rewards (the budget moves "
            f"by the reward), got {twin.noise.kind} noise"
        )
    R = np.asarray(twin.R, dtype=np.float64)
    bad = (R < 0.0) | (R > 1.0)
    if bad.any():
        h, s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"R[{h}, {s}, {a}] is {float(R[h, s, a])!r}, outside [0, 1] (the "
            f"budget grid covers [0, H])"
        )
    H, S = twin.H, twin.S
    n_grid = len(budget_grid(H, eta))
    if n_grid * S > MAX_GRID:
        raise ValueError(
            f"eta = {eta!r} gives {n_grid} budgets x {S} states, above "
            f"{MAX_GRID}; use a coarser grid"
        )
    steps = budget_steps(R, eta, rounding)
    W, policy = _discretised_dp(features, measures, steps, eta, n_grid)
    rho = np.asarray(twin.initial, dtype=np.float64)
    objective = np.arange(n_grid) * eta - (rho @ W[0]) / alpha
    j = int(np.argmax(objective))
    return DiscretisedCVaRSolution(
        value=float(objective[j]),
        budget=float(j * eta),
        budget_index=j,
        eta=eta,
        alpha=alpha,
        rounding=rounding,
        policy=policy,
        shortfall=W,
        objective=objective,
        steps=steps,
    )


def executed_augmented_states(model, solution: DiscretisedCVaRSolution) -> list[tuple]:
    """Every ``(h, s, return so far, tracked budget index, action)`` the planner's policy can
    reach from the start distribution, by stage: where to compare it with another policy of the
    augmented state (e.g. :attr:`mdptheory.risk.StaticCVaRSolution.policy`).

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> mdp = safe_vs_risky_route(H=2)
    >>> executed_augmented_states(mdp, discretised_cvar_lsvi(mdp, 0.1, 0.5))
    [(0, 0, 0.0, 1, 0), (1, 1, 0.0, 1, 0)]
    """
    rows, _ = _propagate(model, solution)
    return rows


def budget_policy_return_distribution(
    model, solution: DiscretisedCVaRSolution
) -> ReturnDistribution:
    """The exact law of the total return when ``solution``'s policy is executed.

    The policy starts with budget index ``j*`` and tracks it on the grid
    (``j <- max(0, j - steps)``); the return is the true sum of rewards. Forward propagation of
    the law of ``(state, tracked budget, return so far)``: exact, for small instances.

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> mdp = safe_vs_risky_route(H=3)
    >>> sol = discretised_cvar_lsvi(mdp, alpha=0.1, eta=0.5)
    >>> budget_policy_return_distribution(mdp, sol).atoms.tolist()
    [1.0]
    """
    _, mass = _propagate(model, solution)
    values = np.array([g for (_, g) in mass.values()])
    probs = np.array([m for (m, _) in mass.values()])
    return ReturnDistribution.from_atoms(values, probs / probs.sum())


def _propagate(model, solution: DiscretisedCVaRSolution):
    """Forward law of (state, tracked budget, return so far) under the planner's policy."""
    _, _, twin = model_features(model)
    H = twin.H
    if solution.policy.shape[:2] != (H, twin.S):
        raise ValueError(
            f"solution.policy has shape {solution.policy.shape}, the model has "
            f"(H, S) = {(H, twin.S)}"
        )
    R = np.asarray(twin.R, dtype=np.float64)
    rows: list[tuple] = []
    # key (s, j, rounded return) -> (probability, exact return of the first path reaching it)
    mass: dict[tuple[int, int, float], tuple[float, float]] = {}
    for s in np.flatnonzero(twin.initial > 0):
        mass[(int(s), solution.budget_index, 0.0)] = (float(twin.initial[s]), 0.0)
    for h in range(H):
        P = twin.transition(h)
        nxt: dict[tuple[int, int, float], tuple[float, float]] = {}
        for (s, j, _), (m, g) in mass.items():
            a = int(solution.policy[h, s, j])
            rows.append((h, s, g, j, a))
            j_next = max(0, j - int(solution.steps[h, s, a]))
            g_next = g + float(R[h, s, a])
            for s_next in np.flatnonzero(P[s, a] > 0):
                key = (int(s_next), j_next, float(np.round(g_next, ATOM_DECIMALS)))
                previous, first = nxt.get(key, (0.0, g_next))
                nxt[key] = (previous + m * P[s, a, s_next], first)
        mass = nxt
    return rows, mass
