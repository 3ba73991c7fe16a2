r"""Inherent Bellman error of a linear feature class, and exact fitted Q iteration.

Paper
-----
A. Zanette, A. Lazaric, M. Kochenderfer, E. Brunskill, *Learning Near Optimal Policies with Low
Inherent Bellman Error*, ICML 2020, Definition 1 (read in secondary quotes only: from memory,
not checked against the paper's text)::

    I = max_h sup_{theta' in B_{h+1}} inf_{theta in B_h} sup_{(s, a)}
            | phi_h(s, a) . theta - (T_h Q_{theta'})(s, a) |,     Q_theta = phi . theta,

with ``T_h Q(s, a) = r_h(s, a) + sum_s' P_h(s'|s, a) max_a' Q(s', a')`` (discounted:
``r + gamma P max Q``, one equation). ``I = 0`` for a linear MDP, whose Bellman images lie in
the span of its features; a class can realise ``Q*`` and still have ``I > 0`` (not Bellman
complete), and then fitted Q iteration can diverge (Tsitsiklis & Van Roy 1996).

What is computed, and how exactly
---------------------------------
* **The class.** ``B`` is the ``l1`` (default) or ``l_inf`` ball of radius ``radius`` in
  R^d (a polytope). The inner infimum runs over the whole span of the features (the inner
  radius of Zanette et al. large enough to contain every Bellman image, as for a linear MDP).
* **Inner minimum: one LP.** ``dist(x) = min_theta ||phi theta - x||_inf`` is the LP
  ``min t s.t. -t <= phi theta - x <= t`` (d + 1 variables, 2 S A constraints; HiGHS). The
  value reported is ``||phi theta - x||_inf`` recomputed at the solver's theta, an upper bound on
  the minimum that exceeds it by at most the solver's tolerance (~1e-9). A least-squares fit
  is tried first and replaces the LP when its residual is below 1e-12 (x in the span).
* **Outer supremum, evaluation operator (``policy`` given, or A = 1): exact.**
  ``theta' -> T^pi Q_theta'`` is affine and ``dist`` is a seminorm, so ``g(theta') =
  dist(T^pi Q_theta')`` is convex and its supremum over the polytope is attained at a vertex:
  the maximum over the 2 d vertices ``+-radius e_i`` (``l1``) or the 2^d vertices
  ``radius {-1, 1}^d`` (``l_inf``) is the exact value.
* **Outer supremum, optimality operator (A > 1): certified bounds.** ``max_a`` makes ``g``
  only piecewise convex (convex on each cone where one greedy policy holds), so the vertex
  maximum is a **lower** bound (``g`` evaluated exactly at the vertices and at 0). The
  **upper** bound is, with ``dist`` a seminorm, ``dist(r_h) + c sum_s' M(s') dist(P_h[:, s'])``
  where ``P_h[:, s']`` is the column of the (S A, S) kernel, ``c`` is gamma (discounted) or 1,
  and ``M(s') = radius max_a ||phi_{h+1}(s', a)||_*`` bounds ``|V_theta'(s')|`` (``||.||_*`` the
  dual norm), capped by ``||r_h||_inf + c max_{s,a} P_h M``. Both are 0 for a linear MDP, so
  ``I = 0`` is certified there; ``exact`` says whether the bounds meet.
* **Episodic** models have one equation per stage (the last stage's target is ``r_{H-1}``,
  no supremum); ``I`` is the maximum over the stages.

Cost
----
Per stage: m vertex LPs (m = 2d + 1 for ``l1``, 2^d + 1 for ``l_inf``) and at most S column
LPs for the upper bound, each with d + 1 variables and 2 S A constraints, plus one (S A x d)
least-squares factorisation; the vertex targets cost O(S A d m + S A S m). At d = 10, ``l1``:
21 LPs per stage; a discounted model with S = 50, A = 4 takes well under a second.

Fitted Q iteration
------------------
:func:`fitted_q_iteration` runs the population version (no sampling) on a discounted model:
``theta_{k+1} = argmin_theta sum_{s,a} rho(s, a) (phi(s, a) . theta - (T Q_{theta_k})(s, a))^2``,
the ``rho``-weighted least-squares projection of the Bellman image, and records
``||Q_{theta_k} - Q*||_inf``. On a complete class (``I = 0``) it is value iteration in weight
space and converges; on Tsitsiklis & Van Roy's two-state chain it multiplies the weight by
``6 gamma / 5`` per step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from mdptheory._validation import (
    ParameterTypeError,
    as_float_array,
    check_finite,
    check_int,
    check_real,
)
from mdptheory.diagnostics.registry import Diagnosis, diagnostic
from mdptheory.evaluation import as_stochastic
from mdptheory.planning import solve
from mdptheory.tabular import EpisodicMDP, FiniteMDP

__all__ = [
    "NORMS",
    "FittedQIteration",
    "InherentBellmanError",
    "fitted_q_iteration",
    "inherent_bellman_error",
]

NORMS = ("l1", "linf")
"""Balls of the parameter class: ``l1`` (2d vertices) or ``l_inf`` (2^d vertices)."""
MAX_LINF_DIMENSION = 16
"""Largest d whose 2^d vertices of the l_inf ball are enumerated."""
SPAN_TOL = 1e-12
"""A least-squares residual below this (relative to 1 + ||x||_inf) certifies x in the span."""
EXACT_TOL = 1e-9
"""Lower and upper bounds closer than this (relative to 1 + upper) make the value exact."""


def _carried_features(model):
    """The model's own features: ``model.phi``, or ``model.linear.phi`` for a misspecified pair
    (nominal features, true dynamics in ``model.mdp``)."""
    phi = getattr(model, "phi", None)
    if phi is None:
        phi = getattr(getattr(model, "linear", None), "phi", None)
    return phi


def _model_and_features(model, phi):
    """(FiniteMDP or EpisodicMDP, features as given or carried by the model)."""
    if phi is None:
        phi = _carried_features(model)
        if phi is None:
            raise ValueError(
                f"{type(model).__name__} carries no features: pass phi of shape "
                "(S, A, d) (or (H, S, A, d) for an episodic model)"
            )
    if isinstance(model, (FiniteMDP, EpisodicMDP)):
        return model, phi
    if isinstance(getattr(model, "mdp", None), (FiniteMDP, EpisodicMDP)):
        return model.mdp, phi
    if hasattr(model, "tabular") and callable(model.tabular):
        return model.tabular(), phi
    raise ParameterTypeError(
        f"inherent_bellman_error needs a FiniteMDP, an EpisodicMDP, a "
        f"linear or low-rank MDP or a pair with .mdp and .phi, got "
        f"{type(model).__name__}"
    )


def _stage_features(mdp, phi) -> np.ndarray:
    """Features as (n_stages, S, A, d): one stage for a discounted model, H for an episodic one."""
    array = as_float_array(phi, "phi", ndim=(3, 4))
    check_finite(array, "phi")
    episodic = isinstance(mdp, EpisodicMDP)
    n_stages = mdp.H if episodic else 1
    if array.ndim == 3:
        array = np.broadcast_to(array[None], (n_stages, *array.shape))
    if array.shape[0] != n_stages or array.shape[1:3] != (mdp.S, mdp.A) or array.shape[3] == 0:
        expected = "(S, A, d) or (H, S, A, d)" if episodic else "(S, A, d)"
        raise ValueError(
            f"phi has shape {np.shape(phi)}, expected {expected} with S = {mdp.S}, "
            f"A = {mdp.A}" + (f", H = {mdp.H}" if episodic else "") + ", d >= 1"
        )
    return array


def _vertices(d: int, radius: float, norm: str) -> np.ndarray:
    """Columns: the ball's vertices, then 0 (d, m)."""
    if norm == "l1":
        corners = np.concatenate([np.eye(d), -np.eye(d)], axis=1)
    else:
        corners = np.array(list(itertools.product((1.0, -1.0), repeat=d))).T
    return np.concatenate([radius * corners, np.zeros((d, 1))], axis=1)


class _Chebyshev:
    """``min_theta ||Phi theta - x||_inf`` for one basis Phi (n, d) and many x."""

    def __init__(self, Phi: np.ndarray) -> None:
        n, d = Phi.shape
        self.Phi = Phi
        self.pinv = np.linalg.pinv(Phi)
        ones = np.ones((n, 1))
        self.A_ub = np.block([[Phi, -ones], [-Phi, -ones]])
        self.cost = np.zeros(d + 1)
        self.cost[-1] = 1.0
        self.bounds = [(None, None)] * d + [(0.0, None)]
        self.n_lps = 0

    def residuals(self, X: np.ndarray) -> np.ndarray:
        """Least-squares residuals ``||Phi pinv(Phi) x - x||_inf`` of the columns of X: upper
        bounds on their distances, exact (to rounding) for columns in the span."""
        return np.max(np.abs(self.Phi @ (self.pinv @ X) - X), axis=0)

    def distance(self, x: np.ndarray, residual: float | None = None) -> float:
        """Certified upper bound on the distance, within the LP tolerance of it."""
        if residual is None:
            residual = float(self.residuals(x[:, None])[0])
        if residual <= SPAN_TOL * (1.0 + float(np.max(np.abs(x)))):
            return residual
        self.n_lps += 1
        result = linprog(
            self.cost,
            A_ub=self.A_ub,
            b_ub=np.concatenate([x, -x]),
            bounds=self.bounds,
            method="highs",
        )
        if result.status != 0:
            raise ValueError(
                f"the Chebyshev LP did not solve (status {result.status}: {result.message})"
            )
        return min(residual, float(np.max(np.abs(self.Phi @ result.x[:-1] - x))))

    def max_distance(self, X: np.ndarray) -> tuple[float, int]:
        """``max_j dist(X[:, j])`` and its column. Columns are taken by decreasing
        least-squares residual, and a column whose residual (an upper bound on its distance)
        is below the best distance found cannot be the maximum: it gets no LP."""
        residuals = self.residuals(X)
        best, where = -1.0, 0
        for j in np.argsort(-residuals, kind="stable"):
            if residuals[j] <= best:
                break
            value = self.distance(X[:, j], float(residuals[j]))
            if value > best:
                best, where = value, int(j)
        return best, where


@dataclass(frozen=True)
class InherentBellmanError:
    """The inherent Bellman error of a feature class, with certified bounds.

    Attributes
    ----------
    lower, upper : float
        ``lower <= I <= upper`` (to the LP solver's tolerance, ~1e-9).
    exact : bool
        True when the bounds meet (always for the evaluation operator); then ``value`` is I.
    stage_lower, stage_upper : ndarray, shape (n_stages,)
        The bounds of each stage's equation (one for a discounted model).
    worst_stage : int
        The stage attaining ``lower``.
    worst_weights : ndarray, shape (d,)
        The ``theta'`` (a vertex of the ball, or 0) attaining ``lower`` there.
    radius : float
    norm : {"l1", "linf"}
    operator : {"optimality", "evaluation"}
    n_lps : int
        Linear programs solved (least-squares certificates replace the others).
    """

    lower: float
    upper: float
    exact: bool
    stage_lower: np.ndarray
    stage_upper: np.ndarray
    worst_stage: int
    worst_weights: np.ndarray
    radius: float
    norm: str
    operator: str
    n_lps: int

    @property
    def value(self) -> float:
        """The inherent Bellman error when the bounds meet; a ``ValueError`` otherwise."""
        if not self.exact:
            raise ValueError(
                f"the inherent Bellman error is only bracketed: [{self.lower:.6g}, "
                f"{self.upper:.6g}] (optimality operator with A > 1)"
            )
        return self.upper


def inherent_bellman_error(
    model, phi=None, radius: float = 1.0, norm: str = "l1", policy=None
) -> InherentBellmanError:
    """Inherent Bellman error (Zanette et al. 2020, Definition 1) of the class ``phi . theta``.

    Parameters
    ----------
    model : FiniteMDP, EpisodicMDP, LinearMDP, LowRankMDP or a pair with ``.mdp`` and ``.phi``
        A linear or low-rank MDP supplies its own features (and its tabular twin); a
        misspecified pair (``.linear``, ``.mdp``) its nominal features and its true model.
    phi : array_like, shape (S, A, d) or (H, S, A, d), optional
        The features; required for a plain tabular model. Stage-dependent features (episodic
        only) define a class per stage.
    radius : float
        Radius of the parameter ball ``B`` (> 0).
    norm : {"l1", "linf"}
        The ball: ``l1`` (2d vertices) or ``linf`` (2^d vertices, d <= 16).
    policy : array_like, optional
        Use the evaluation operator ``T^pi`` of this policy (deterministic ints or
        probabilities, ``(S, ...)`` discounted, ``(H, S, ...)`` episodic) instead of the
        optimality operator; the value is then exact.

    Returns
    -------
    InherentBellmanError

    Raises
    ------
    ValueError
        For features of the wrong shape or non-finite, a radius <= 0, an unknown norm, an
        ``linf`` ball with d > 16 or a bad policy.

    Notes
    -----
    The module notes say which supremum is exact and how; cost: per stage 2d + 1 (``l1``) or
    2^d + 1 (``linf``) LPs with d + 1 variables and 2 S A constraints, plus up to S column LPs.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])       # Tsitsiklis & Van Roy: 1 -> 2 -> 2
    >>> mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.9)
    >>> ibe = inherent_bellman_error(mdp, phi=[[[1.0]], [[2.0]]])
    >>> round(ibe.value, 12), ibe.exact                  # 2 gamma radius / 3
    (0.6, True)
    """
    mdp, phi = _model_and_features(model, phi)
    features = _stage_features(mdp, phi)
    radius = check_real(radius, "radius", 0.0, None, low_open=True)
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    n_stages, S, A, d = features.shape
    if norm == "linf" and d > MAX_LINF_DIMENSION:
        raise ValueError(
            f"norm='linf' enumerates 2^d vertices; d = {d} exceeds "
            f"{MAX_LINF_DIMENSION} (use norm='l1')"
        )
    episodic = isinstance(mdp, EpisodicMDP)
    if policy is not None:
        pi = as_stochastic(mdp, policy)
        pi = pi if episodic else pi[None]
    operator = "evaluation" if policy is not None or A == 1 else "optimality"
    scale = 1.0 if episodic else mdp.gamma
    vertices = _vertices(d, radius, norm)
    dual = np.abs(features).max(axis=-1) if norm == "l1" else np.abs(features).sum(axis=-1)
    lower = np.zeros(n_stages)
    upper = np.zeros(n_stages)
    arg = np.zeros((n_stages, d))
    n_lps = 0
    for h in range(n_stages):
        basis = _Chebyshev(features[h].reshape(S * A, d))
        reward = np.ascontiguousarray(mdp.R[h] if episodic else mdp.R).reshape(S * A)
        last = episodic and h == n_stages - 1
        if last:
            lower[h] = upper[h] = basis.distance(reward)
            n_lps += basis.n_lps
            continue
        kernel = mdp.P_matrix(h) if episodic else mdp.P_matrix()
        nxt = h + 1 if episodic else 0
        Q = features[nxt].reshape(S * A, d) @ vertices  # (S A, m)
        Q = Q.reshape(S, A, -1)
        if policy is not None:
            V = np.einsum("sa,sam->sm", pi[nxt], Q)
        else:
            V = Q.max(axis=1)
        targets = reward[:, None] + scale * np.asarray(kernel @ V)  # (S A, m)
        lower[h], best = basis.max_distance(targets)
        arg[h] = vertices[:, best]
        if operator == "evaluation":
            upper[h] = lower[h]
        else:
            columns = np.asarray(kernel.toarray() if hasattr(kernel, "toarray") else kernel)
            column_residuals = basis.residuals(columns)
            column_dist = np.array(
                [basis.distance(columns[:, t], float(column_residuals[t])) for t in range(S)]
            )
            bound_V = radius * dual[nxt].max(axis=1)  # |V(s')| <= M(s')
            via_span = basis.distance(reward) + scale * float(column_dist @ bound_V)
            via_norm = float(np.max(np.abs(reward)) + scale * np.max(columns @ bound_V))
            upper[h] = max(lower[h], min(via_span, via_norm))
        n_lps += basis.n_lps
    worst = int(np.argmax(lower))
    low, high = float(lower.max()), float(upper.max())
    return InherentBellmanError(
        lower=low,
        upper=high,
        exact=bool(high - low <= EXACT_TOL * (1.0 + high)),
        stage_lower=lower,
        stage_upper=upper,
        worst_stage=worst,
        worst_weights=arg[worst],
        radius=radius,
        norm=norm,
        operator=operator,
        n_lps=n_lps,
    )


@dataclass(frozen=True)
class FittedQIteration:
    """Population fitted Q iteration on a discounted model.

    Attributes
    ----------
    weights : ndarray, shape (n_iter + 1, d)
        ``theta_k``, from ``theta_0``.
    errors : ndarray, shape (n_iter + 1,)
        ``||phi . theta_k - Q*||_inf`` (inf once the iterates overflow).
    q_star : ndarray, shape (S, A)
        The optimal Q-values the errors are measured against.
    """

    weights: np.ndarray
    errors: np.ndarray
    q_star: np.ndarray


def fitted_q_iteration(
    model, phi=None, n_iter: int = 50, weights=None, theta0=None
) -> FittedQIteration:
    """Fitted Q iteration with exact (population) least-squares projections.

    ``theta_{k+1} = argmin_theta sum_{s,a} rho(s, a) (phi(s, a) . theta - (T Q_{theta_k})(s,
    a))^2`` with ``T Q = R + gamma P max_a Q`` (module notes). Cost O(n_iter (S A S + S A d)).

    Parameters
    ----------
    model : FiniteMDP, or a pair with ``.mdp`` (a FiniteMDP) and ``.phi``
    phi : array_like, shape (S, A, d), optional
        Required unless the model carries features.
    n_iter : int
        Iterations (>= 1).
    weights : array_like, shape (S, A), optional
        The data distribution ``rho`` (positive entries; normalised); uniform by default.
    theta0 : array_like, shape (d,), optional
        Start; ``(1, ..., 1)`` by default, so that an unstable iteration shows (0 is a fixed
        point of every iteration when the rewards are 0).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
    >>> fqi = fitted_q_iteration(FiniteMDP(P, np.zeros((2, 1)), gamma=0.9), [[[1.0]], [[2.0]]],
    ...                          n_iter=3)
    >>> np.round(fqi.weights[:, 0], 6).tolist()             # multiplied by 6 gamma / 5
    [1.0, 1.08, 1.1664, 1.259712]
    """
    mdp, phi = _model_and_features(model, phi)
    if not isinstance(mdp, FiniteMDP):
        raise ParameterTypeError(
            f"fitted_q_iteration needs a discounted FiniteMDP, got {type(mdp).__name__}"
        )
    features = _stage_features(mdp, phi)[0]
    S, A, d = features.shape
    n_iter = check_int(n_iter, "n_iter", 1)
    if weights is None:
        rho = np.full(S * A, 1.0 / (S * A))
    else:
        rho = as_float_array(weights, "weights", ndim=2).reshape(-1)
        if rho.shape != (S * A,):
            raise ValueError(f"weights has shape {np.shape(weights)}, expected ({S}, {A})")
        bad = ~np.isfinite(rho) | (rho <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"weights[{i // A}, {i % A}] is {float(rho[i])!r}; the data "
                "distribution needs positive finite weights"
            )
        rho = rho / rho.sum()
    theta = np.ones(d) if theta0 is None else as_float_array(theta0, "theta0", ndim=1)
    if theta.shape != (d,):
        raise ValueError(f"theta0 has shape {theta.shape}, expected ({d},)")
    check_finite(theta, "theta0")
    Phi = features.reshape(S * A, d)
    root = np.sqrt(rho)
    projector = np.linalg.pinv(root[:, None] * Phi) * root[None, :]  # (d, S A)
    q_star = solve(mdp).q
    out = np.empty((n_iter + 1, d))
    errors = np.empty(n_iter + 1)
    out[0] = theta
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_iter + 1):
            Q = (Phi @ out[k]).reshape(S, A)
            errors[k] = float(np.max(np.abs(Q - q_star)))
            if not np.isfinite(errors[k]):
                errors[k] = np.inf
            if k == n_iter:
                break
            target = (mdp.R + mdp.gamma * mdp.expect(Q.max(axis=1))).reshape(S * A)
            out[k + 1] = projector @ target
    return FittedQIteration(weights=out, errors=errors, q_star=q_star)


@diagnostic("inherent bellman error")
def _diagnose(model) -> Diagnosis | None:
    """Bounds on I for models that carry features (linear, low-rank, feature-class pairs)."""
    if _carried_features(model) is None:
        return None
    result = inherent_bellman_error(model)
    values: dict[str, object] = {
        "class": "phi . theta, ||theta||_1 <= 1",
        "operator": result.operator,
    }
    if result.exact:
        values["inherent Bellman error"] = result.upper
    else:
        values["lower bound"] = result.lower
        values["upper bound"] = result.upper
    values["worst stage"] = result.worst_stage
    return Diagnosis(
        name="inherent Bellman error",
        definition="Zanette et al. (ICML 2020), Def. 1: sup over ||theta'||_1 <= 1 of min over "
        "theta of ||phi theta - T(phi theta')||_inf; 0 for a linear MDP, > 0 for a "
        "class that is not Bellman complete.",
        values=values,
        complexity="per stage 2d + 1 LPs (d + 1 variables, 2SA constraints) + up to S column LPs",
    )
