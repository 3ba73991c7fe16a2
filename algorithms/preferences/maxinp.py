r"""MaxInP: a linear Bradley–Terry dueling bandit with maximum-informative pairs.

Paper
-----
A. Saha. "Optimal Algorithms for Stochastic Contextual Preference Bandits". NeurIPS 2021,
algorithm MaxInP ("Maximum Informative Pair"), here with a fixed arm set (no contexts). The
paper was not re-read for this module: the algorithm below is reconstructed from its published
description (initial exploration, MLE, a set of arms not yet ruled out, the pair of widest
confidence among them) and the confidence radius is the project's self-normalised Bradley–Terry
radius (:func:`algorithms.preferences.confidence_set`), not a constant read in the paper.

Setting
-------
K arms with features ``x_i in R^d`` and utilities ``r_i = x_i^T theta*``; comparing arms
``(i, j)`` returns ``o = 1`` (``i`` wins) with probability ``P[i, j]`` (``sigma(r_i - r_j)`` for
a Bradley–Terry bandit). Regret of round t (exact pseudo-regret, the average of the two arms'
gaps to the best arm):

    reg_t = (Delta_{i_t} + Delta_{j_t}) / 2,    Delta_i = max_l r_l - r_i.

Algorithm (round t, 0-based)
----------------------------
1. Exploration, ``t < t0``: a uniformly random pair of distinct arms.
2. ``theta_t`` = ridge-regularised Bradley–Terry MLE on the past comparisons (Newton, warm
   started, to a gradient max-norm below 1e-10 per comparison), ``V_t = lam I + sum_s z_s
   z_s^T`` with ``z_s = x_{i_s} - x_{j_s}``.
3. Arms not ruled out: ``C_t = {i : (x_i - x_j)^T theta_t + beta_t ||x_i - x_j||_{V_t^{-1}} >=
   0 for every j}``.
4. Play ``(i_t, j_t) = argmax_{i, j in C_t} ||x_i - x_j||_{V_t^{-1}}`` (ties to the smallest
   index; ``i = j`` only when ``C_t`` has one arm).

``beta_t = c (1/kappa) ((1/2) sqrt(2 log(det(V_t)^{1/2} lam^{-d/2} / delta)) + sqrt(lam) B)``,
``kappa = sigma'(2 B max_i |x_i|)``: the self-normalised radius of
:mod:`algorithms.preferences.bt_mle` with the curvature floor over the whole parameter ball.
``c = 1`` is the default (``constants = "self-normalised radius (c = 1)"``); other ``c`` are
named scaled variants.

Controls: ``rule="uniform"`` (uniformly random distinct pairs every round, linear regret) and
``rule="greedy"`` (the two arms with the largest MLE utility, no confidence term).

The whole run is one numba kernel (:func:`_maxinp_kernel`) around the round's steps 2-4
(:func:`choose_pair`, with the elimination of step 3 in :func:`eliminate`), which contextual
MaxInP shares; comparisons enter the MLE through
the win counts ``W[i, j]``, so a Newton step costs O(K^2 d^2) whatever t is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numba import njit

from algorithms._validation import check_positive
from mdptheory._validation import check_int, check_real
from mdptheory.preferences import PreferenceBandit
from mdptheory.regret import RegretTrace, trace_metadata
from mdptheory.seeding import SeedLike, as_generator

__all__ = [
    "MaxInP",
    "MaxInPParameters",
    "add_comparison",
    "bt_newton",
    "choose_pair",
    "curvature_floor_kappa",
    "dueling_extras",
    "dueling_features",
    "eliminate",
    "greedy_pair",
    "learner_start",
    "maxinp_radius",
    "pair_regret",
    "pair_widths",
    "random_distinct_pair",
    "record_comparison",
    "round_records",
    "widest_active_pair",
]

RULES = ("maxinp", "uniform", "greedy")
_RULE_CODE = {name: i for i, name in enumerate(RULES)}
NEWTON_TOL = 1e-10
"""Newton stops at a gradient max-norm below this times the number of comparisons."""


def dueling_features(model: PreferenceBandit) -> np.ndarray:
    """The arm features a dueling learner uses: ``model.features`` (K, d) when the bandit has
    them, the one-hot ``I_K`` otherwise (then MaxInP is a K-armed dueling bandit)."""
    features = getattr(model, "features", None)
    if features is None:
        return np.eye(model.K)
    phi = np.ascontiguousarray(features, dtype=np.float64)
    if phi.ndim != 2 or phi.shape[0] != model.K:
        raise ValueError(f"features must have shape ({model.K}, d), got {phi.shape}")
    return phi


def dueling_extras(arms, outcome, beta, active) -> dict[str, np.ndarray]:
    """The extras of a dueling trace: the two arms, the outcome, ``beta_t`` and ``|C_t|``."""
    return {
        "arm0": arms[:, 0],
        "arm1": arms[:, 1],
        "outcome": outcome,
        "beta": beta,
        "active": active.astype(np.float64),
    }


def pair_regret(rewards, i, j) -> np.ndarray:
    """``(Delta_i + Delta_j) / 2``: the exact pseudo-regret of comparing arms ``i`` and ``j``.

    Examples
    --------
    >>> pair_regret([1.0, 0.0, 0.5], [0, 1], [2, 2]).tolist()
    [0.25, 0.75]
    """
    r = np.asarray(rewards, dtype=np.float64)
    gaps = r.max() - r
    return 0.5 * (gaps[np.asarray(i)] + gaps[np.asarray(j)])


@njit(cache=True)
def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True)
def _objective(theta, X, W, lam):
    """Penalised BT negative log-likelihood on win counts, its gradient and Hessian."""
    K, d = X.shape
    value = 0.5 * lam * np.dot(theta, theta)
    grad = lam * theta.copy()
    hess = lam * np.eye(d)
    u = X @ theta
    for i in range(K):
        for j in range(K):
            w = W[i, j]
            if w == 0.0:
                continue
            z = u[i] - u[j]
            p = _sigmoid(z)
            # -log sigma(z), stably
            value += w * (math.log1p(math.exp(-abs(z))) + max(-z, 0.0))
            g = -w * (1.0 - p)
            c = w * p * (1.0 - p)
            for a in range(d):
                xa = X[i, a] - X[j, a]
                grad[a] += g * xa
                for b in range(d):
                    hess[a, b] += c * xa * (X[i, b] - X[j, b])
    return value, grad, hess


@njit(cache=True)
def bt_newton(theta, X, W, lam, n):
    """Step 2 of MaxInP: the ridge Bradley–Terry MLE on the win counts ``W`` of the arms ``X``
    by warm-started Newton from ``theta`` with Armijo backtracking (strictly convex for
    ``lam > 0``), to a gradient max-norm below ``NEWTON_TOL * max(n, 1)`` (``n`` comparisons)."""
    value, grad, hess = _objective(theta, X, W, lam)
    tol = NEWTON_TOL * max(n, 1.0)
    for _ in range(100):
        if np.max(np.abs(grad)) <= tol:
            break
        step = -np.linalg.solve(hess, grad)
        t = 1.0
        slope = np.dot(grad, step)
        while True:
            trial = theta + t * step
            trial_value = _objective(trial, X, W, lam)[0]
            if trial_value <= value + 1e-4 * t * slope + 1e-14 * abs(value) or t < 1e-12:
                break
            t *= 0.5
        theta = trial
        value, grad, hess = _objective(theta, X, W, lam)
    return theta


@njit(cache=True)
def curvature_floor_kappa(X: np.ndarray, B: float) -> float:
    """``kappa = sigma'(2 B max_i |x_i|)``: the curvature floor of the BT likelihood over the
    parameter ball ``|theta| <= B`` for the arms (rows) of ``X``."""
    norm_max = 0.0
    for a in range(X.shape[0]):
        norm_max = max(norm_max, math.sqrt(np.dot(X[a], X[a])))
    z = 2.0 * B * norm_max
    return _sigmoid(z) * (1.0 - _sigmoid(z))


@njit(cache=True)
def maxinp_radius(V, lam, log_delta, B, c, kappa):
    """``beta_t`` of the module docstring for the design matrix ``V = V_t`` (d, d)."""
    d = V.shape[0]
    log_det = np.linalg.slogdet(V)[1]
    noise = 0.5 * math.sqrt(2.0 * (0.5 * log_det - 0.5 * d * math.log(lam) - log_delta))
    return c * (noise + math.sqrt(lam) * B) / kappa


@njit(cache=True)
def random_distinct_pair(K, rng):
    """A uniformly random ordered pair of distinct arms among ``K``."""
    i = rng.integers(0, K)
    j = rng.integers(0, K - 1)
    if j >= i:
        j += 1
    return i, j


@njit(cache=True)
def greedy_pair(u):
    """The two arms of largest estimated utility ``u`` (the greedy control)."""
    i = int(np.argmax(u))
    best = -np.inf
    j = i
    for m in range(u.shape[0]):
        if m != i and u[m] > best:
            best = u[m]
            j = m
    return i, j


@njit(cache=True)
def pair_widths(X, Vinv, width):
    """``width[a, b] = ||x_a - x_b||_{V^{-1}}`` for the arms ``X`` (K, d), off the diagonal
    (which stays 0)."""
    K = X.shape[0]
    for a in range(K):
        for b in range(a + 1, K):
            diff = X[a] - X[b]
            w = math.sqrt(max(np.dot(diff, Vinv @ diff), 0.0))
            width[a, b] = w
            width[b, a] = w


@njit(cache=True)
def widest_active_pair(width, active):
    """Step 4 of MaxInP: the pair of arms not ruled out (``active``) with the largest
    ``width``, ties to the smallest index (``i = j`` only when one arm is left)."""
    K = active.shape[0]
    i = -1
    j = -1
    best = -1.0
    for a in range(K):
        if not active[a]:
            continue
        for b in range(a, K):
            if active[b] and width[a, b] > best:
                best = width[a, b]
                i = a
                j = b
    return i, j


@njit(cache=True)
def add_comparison(W, V, X, first, i, j, win):
    """Record that arm ``i`` of ``X`` beat arm ``j`` (``win = 1``) or lost (``win = 0``): win
    counts ``W[first + i, first + j]`` and ``V += z z^T``, ``z = x_i - x_j``."""
    W[first + i, first + j] += win
    W[first + j, first + i] += 1.0 - win
    d = X.shape[1]
    for a in range(d):
        za = X[i, a] - X[j, a]
        for b in range(d):
            V[a, b] += za * (X[i, b] - X[j, b])


@njit(cache=True)
def record_comparison(t, i, j, p_win, arms, first, W, V, pairs, outcome, rng):
    """Play the pair ``(i, j)`` of ``arms`` in round ``t``: arm ``i`` wins with probability
    ``p_win``; records the pair and the outcome, and (for distinct arms) the comparison
    (:func:`add_comparison`). Returns the number of comparisons it adds (0 or 1)."""
    pairs[t, 0] = i
    pairs[t, 1] = j
    win = 1.0 if rng.random() < p_win else 0.0
    outcome[t] = win
    if i == j:
        # a comparison of an arm with itself carries no information (z = 0)
        return 0.0
    add_comparison(W, V, arms, first, i, j, win)
    return 1.0


@njit(cache=True)
def eliminate(u, beta, width, active):
    """Step 3 of MaxInP: ``active[a]`` is set to whether arm ``a`` is in ``C_t``, i.e.
    ``u[a] - u[b] + beta width[a, b] >= 0`` for every other arm ``b`` (``u`` the estimated
    utilities, ``width`` from :func:`pair_widths`). Returns ``|C_t|``."""
    K = u.shape[0]
    count = 0
    for a in range(K):
        keep = True
        for b in range(K):
            if b != a and u[a] - u[b] + beta * width[a, b] < 0.0:
                keep = False
                break
        active[a] = keep
        if keep:
            count += 1
    return count


@njit(cache=True)
def choose_pair(theta, X, Xc, W, V, n, lam, log_delta, B, c, kappa, rule, width, active):
    """Steps 2-4 of a round after the exploration (rule 0 MaxInP, 2 the greedy control).

    ``X`` holds every arm the win counts ``W`` refer to (the MLE's design), ``Xc`` the arms
    of this round (``X`` itself for a fixed arm set, the round's context otherwise); ``n``
    is the number of comparisons so far. Returns ``(theta_t, i, j, beta_t, |C_t|)``, with
    ``beta_t = NaN`` and ``|C_t| = K`` for the greedy control.
    """
    K = Xc.shape[0]
    theta = bt_newton(theta, X, W, lam, n)
    u = Xc @ theta
    if rule == 2:
        i, j = greedy_pair(u)
        return theta, i, j, np.nan, K
    beta = maxinp_radius(V, lam, log_delta, B, c, kappa)
    pair_widths(Xc, np.linalg.inv(V), width)
    count = eliminate(u, beta, width, active)
    i, j = widest_active_pair(width, active)
    return theta, i, j, beta, count


@njit(cache=True)
def round_records(T, K):
    """The per-round records of a run of ``T`` rounds on ``K`` arms: the pair (T, 2), the
    outcome, ``beta_t`` (NaN until set) and ``|C_t|`` (``K`` until set)."""
    arms = np.empty((T, 2), dtype=np.int64)
    outcome = np.empty(T)
    beta_rec = np.full(T, np.nan)
    active_rec = np.full(T, K, dtype=np.int64)
    return arms, outcome, beta_rec, active_rec


@njit(cache=True)
def learner_start(X, K, lam, B):
    """The learner's state before any comparison, for the arms ``X`` (n, d) the win counts
    refer to and rounds of ``K`` arms: ``W = 0`` (n, n), ``V_0 = lam I``, ``theta_0 = 0``,
    ``kappa`` over ``X``, and the round's scratch ``active`` (K,) and ``width`` (K, K)."""
    n_arms, d = X.shape
    W = np.zeros((n_arms, n_arms))
    V = lam * np.eye(d)
    kappa = curvature_floor_kappa(X, B)
    return W, V, np.zeros(d), kappa, np.ones(K, dtype=np.bool_), np.zeros((K, K))


@njit(cache=True)
def _maxinp_kernel(X, P, T, t0, lam, log_delta, B, c, rule, rng):
    """One run of MaxInP (rule 0) or a control (1 uniform, 2 greedy): arms (T, 2), outcomes,
    the radius beta_t and the size of C_t per round."""
    K = X.shape[0]
    arms, outcome, beta_rec, active_rec = round_records(T, K)
    W, V, theta, kappa, active, width = learner_start(X, K, lam, B)
    n = 0.0
    for t in range(T):
        if rule == 1 or t < t0:
            i, j = random_distinct_pair(K, rng)
        else:
            theta, i, j, beta_rec[t], active_rec[t] = choose_pair(
                theta, X, X, W, V, n, lam, log_delta, B, c, kappa, rule, width, active
            )
        n += record_comparison(t, i, j, P[i, j], X, 0, W, V, arms, outcome, rng)
    return arms, outcome, beta_rec, active_rec


@dataclass(frozen=True)
class MaxInPParameters:
    """Hyperparameters, their checks and the names shared by :class:`MaxInP` and
    :class:`~algorithms.preferences.contextual.ContextualMaxInP` (parameters documented on
    :class:`MaxInP`)."""

    NAME: ClassVar[str] = "MaxInP"
    """The algorithm's name in ``label``."""

    c: float = 1.0
    delta: float = 0.05
    bound: float = 1.0
    lam: float = 1.0
    explore: int = 10
    rule: str = "maxinp"

    def __post_init__(self) -> None:
        check_positive("c", self.c)
        check_real(self.delta, "delta", 0.0, 1.0, low_open=True, high_open=True)
        check_real(self.bound, "bound", 0.0, low_open=True)
        check_real(self.lam, "lam", 0.0, low_open=True)
        check_int(self.explore, "explore", 0)
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")

    @property
    def constants(self) -> str:
        """Which radius ran: the default or a named scaled variant (or a control)."""
        if self.rule != "maxinp":
            return f"control ({self.rule} pairs)"
        if self.c == 1.0:
            return "self-normalised radius (c = 1)"
        return f"scaled (c = {self.c:g})"

    def kernel_constants(self) -> tuple[int, float, float, float, float, int]:
        """``(t0, lam, log delta, B, c, rule code)`` as the compiled kernels take them."""
        return (
            int(self.explore),
            float(self.lam),
            float(np.log(self.delta)),
            float(self.bound),
            float(self.c),
            _RULE_CODE[self.rule],
        )

    def trace(
        self,
        model: Any,
        seed: SeedLike,
        regret: np.ndarray,
        elapsed: float,
        paper: str,
        quantity: str,
        d: int,
        extras: dict[str, np.ndarray],
    ) -> RegretTrace:
        """The trace of a run: ``regret`` as pseudo-regret and (preference feedback has no
        realised reward) as realised regret, the run's ``elapsed`` seconds spread evenly over
        the rounds, and the metadata of the learner, the model and the seed."""
        T = regret.shape[0]
        meta = trace_metadata(
            self,
            model,
            seed,
            T,
            label=self.label,
            constants=self.constants,
            paper=paper,
            quantity=quantity,
            d=int(d),
        )
        return RegretTrace(regret, regret.copy(), np.full(T, elapsed / T), meta, extras)

    @property
    def label(self) -> str:
        if self.rule != "maxinp":
            return {"uniform": "uniform pairs", "greedy": "greedy MLE pair"}[self.rule]
        return self.NAME if self.c == 1.0 else f"{self.NAME} c={self.c:g}"


@dataclass(frozen=True)
class MaxInP(MaxInPParameters):
    """MaxInP (Saha, NeurIPS 2021) on a Bradley–Terry preference bandit, exact regret per round.

    Parameters
    ----------
    c : float
        Scale of the confidence radius ``beta_t`` (module docstring); 1 is the default
        self-normalised radius, other values are named scaled variants.
    delta : float
        Failure probability of the radius, in (0, 1).
    bound : float
        ``B >= |theta*|``, used by the radius (curvature floor and ridge term).
    lam : float
        Ridge weight of the MLE and of ``V_t``.
    explore : int
        ``t0``, rounds of uniformly random pairs first (0: MaxInP from round 0, the MLE is
        then 0 and every arm is in ``C_0``).
    rule : {"maxinp", "uniform", "greedy"}
        ``"maxinp"`` is the algorithm; ``"uniform"`` and ``"greedy"`` are the controls.

    ``run(model, budget, seed)`` returns a :class:`~mdptheory.regret.RegretTrace`:
    ``pseudo_regret[t] = (Delta_i + Delta_j) / 2`` for the pair compared in round t (exact, from
    the bandit's rewards); preference feedback has no realised reward, so
    ``realised_regret`` equals it and the realised label is ``extras["outcome"]`` (1 when the
    first arm won). Extras: ``arm0``, ``arm1``, ``outcome``, ``beta`` (NaN outside MaxInP's
    rounds) and ``active`` (``|C_t|``).

    Examples
    --------
    >>> from mdptheory.preferences import PreferenceBandit
    >>> bandit = PreferenceBandit.bradley_terry([1.0, 0.0, -1.0])
    >>> trace = MaxInP(c=0.1).run(bandit, budget=400, seed=0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret[-100:].mean() < 0.5)
    ((400,), True)
    """

    def run(self, model: Any, budget: int, seed: SeedLike = 0) -> RegretTrace:
        """Run ``budget`` rounds on a Bradley–Terry preference bandit.

        Raises
        ------
        ValueError
            For a model that is not a PreferenceBandit with rewards (Bradley–Terry), fewer
            than two arms, or a budget that is not a positive int.
        """
        if not isinstance(model, PreferenceBandit):
            raise ValueError(f"MaxInP needs a PreferenceBandit, got {type(model).__name__}")
        if model.rewards is None:
            raise ValueError(
                f"MaxInP needs a Bradley-Terry bandit (rewards given) for its regret; "
                f"{model.name} has none"
            )
        if model.K < 2:
            raise ValueError(f"MaxInP needs K >= 2 arms, got K = {model.K}")
        T = check_int(budget, "budget", 1)
        X = dueling_features(model)
        P = np.ascontiguousarray(model.preferences, dtype=np.float64)
        start = time.perf_counter()
        arms, outcome, beta, active = _maxinp_kernel(
            X,
            P,
            T,
            *self.kernel_constants(),
            as_generator(seed),
        )
        elapsed = time.perf_counter() - start
        regret = pair_regret(model.rewards, arms[:, 0], arms[:, 1])
        return self.trace(
            model,
            seed,
            regret,
            elapsed,
            "Saha (NeurIPS 2021), MaxInP, fixed arm set (reconstructed)",
            "pseudo-regret (Delta_i + Delta_j) / 2 of the compared pair",
            X.shape[1],
            dueling_extras(arms, outcome, beta, active),
        )
