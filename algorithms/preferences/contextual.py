r"""Contextual MaxInP: a linear Bradley–Terry dueling bandit whose arm set changes every round.

Paper
-----
A. Saha. "Optimal Algorithms for Stochastic Contextual Preference Bandits". NeurIPS 2021,
algorithm MaxInP in its contextual setting (the arm set of round t is given by a context). The
paper was not re-read for this module: as for the fixed-arm :class:`~algorithms.preferences.
MaxInP`, the steps are reconstructed from the published description and the radius is the
project's self-normalised Bradley–Terry radius, not a constant read in the paper.

Setting
-------
:class:`~mdptheory.preferences.contextual.ContextualPreferenceBandit` with the logistic link:
round t draws a context ``c_t ~ q`` showing arms ``x_{c_t, i}``; comparing ``(i, j)`` returns
``o = 1`` with probability ``sigma((x_{c_t,i} - x_{c_t,j})^T theta*)``. Regret of round t
(exact): ``(Delta_{c_t, i_t} + Delta_{c_t, j_t}) / 2``.

Algorithm (round t, 0-based)
----------------------------
1. Exploration, ``t < t0``: a uniformly random pair of distinct arms of the round's context.
2. ``theta_t`` = ridge BT MLE on every past comparison, ``V_t = lam I + sum_s z_s z_s^T``,
   ``z_s = x_{c_s, i_s} - x_{c_s, j_s}`` (Newton, warm-started: ``maxinp._newton``).
3. ``C_t = {i : (x_i - x_j)^T theta_t + beta_t ||x_i - x_j||_{V_t^{-1}} >= 0 for every j}`` over
   the arms ``x = x_{c_t, .}`` of the round's context.
4. Play the pair of ``C_t`` with the largest ``||x_i - x_j||_{V_t^{-1}}``.

``beta_t`` and ``kappa`` are those of :mod:`algorithms.preferences.maxinp`, with ``max |x|``
taken over every context. Controls: ``rule="uniform"`` and ``rule="greedy"`` (the two arms of
largest MLE utility in the round's context).

Every comparison is stored as a win count of its (context, arm, arm) triple, so the MLE is the
fixed-arm MLE on the C K stacked arms with a block-diagonal ``W``: a Newton step costs
O((C K)^2 d^2) whatever t is, and the run is one numba kernel.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from algorithms._validation import check_positive
from algorithms.preferences.maxinp import _newton, _sigmoid
from mdptheory._validation import check_int, check_real
from mdptheory.preferences.contextual import ContextualPreferenceBandit
from mdptheory.preferences.links import LogisticLink
from mdptheory.regret import RegretTrace, trace_metadata
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["ContextualMaxInP"]

RULES = ("maxinp", "uniform", "greedy")
_RULE_CODE = {name: i for i, name in enumerate(RULES)}


@njit(cache=True)
def _contextual_kernel(X, U, cumulative, K, T, t0, lam, log_delta, B, c, rule, rng):
    """One run of contextual MaxInP (rule 0) or a control (1 uniform, 2 greedy).

    ``X`` (C K, d) stacks the contexts' arms, ``U`` (C, K) their true utilities,
    ``cumulative`` (C,) the context distribution's cumulative sums. Returns the contexts,
    arms (T, 2), outcomes, beta_t and |C_t| per round.
    """
    n_arms, d = X.shape
    C = n_arms // K
    contexts = np.empty(T, dtype=np.int64)
    arms = np.empty((T, 2), dtype=np.int64)
    outcome = np.empty(T)
    beta_rec = np.full(T, np.nan)
    active_rec = np.full(T, K, dtype=np.int64)
    W = np.zeros((n_arms, n_arms))
    V = lam * np.eye(d)
    theta = np.zeros(d)
    norm_max = 0.0
    for a in range(n_arms):
        norm_max = max(norm_max, math.sqrt(np.dot(X[a], X[a])))
    z = 2.0 * B * norm_max
    kappa = _sigmoid(z) * (1.0 - _sigmoid(z))
    n = 0.0
    active = np.ones(K, dtype=np.bool_)
    width = np.zeros((K, K))
    for t in range(T):
        ctx = min(int(np.searchsorted(cumulative, rng.random(), side="right")), C - 1)
        contexts[t] = ctx
        Xc = X[ctx * K : (ctx + 1) * K]
        if rule == 1 or t < t0:
            i = rng.integers(0, K)
            j = rng.integers(0, K - 1)
            if j >= i:
                j += 1
        else:
            theta = _newton(theta, X, W, lam, n)
            u = Xc @ theta
            if rule == 2:
                i = int(np.argmax(u))
                best = -np.inf
                j = i
                for m in range(K):
                    if m != i and u[m] > best:
                        best = u[m]
                        j = m
            else:
                Vinv = np.linalg.inv(V)
                log_det = np.linalg.slogdet(V)[1]
                noise = 0.5 * math.sqrt(2.0 * (0.5 * log_det - 0.5 * d * math.log(lam) - log_delta))
                beta = c * (noise + math.sqrt(lam) * B) / kappa
                beta_rec[t] = beta
                for a in range(K):
                    for b in range(a + 1, K):
                        diff = Xc[a] - Xc[b]
                        w = math.sqrt(max(np.dot(diff, Vinv @ diff), 0.0))
                        width[a, b] = w
                        width[b, a] = w
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
                active_rec[t] = count
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
        arms[t, 0] = i
        arms[t, 1] = j
        win = 1.0 if rng.random() < _sigmoid(U[ctx, i] - U[ctx, j]) else 0.0
        outcome[t] = win
        if i != j:
            # a comparison of an arm with itself carries no information (z = 0)
            W[ctx * K + i, ctx * K + j] += win
            W[ctx * K + j, ctx * K + i] += 1.0 - win
            n += 1.0
            for a in range(d):
                za = Xc[i, a] - Xc[j, a]
                for b in range(d):
                    V[a, b] += za * (Xc[i, b] - Xc[j, b])
    return contexts, arms, outcome, beta_rec, active_rec


@dataclass(frozen=True)
class ContextualMaxInP:
    """Contextual MaxInP (Saha, NeurIPS 2021; reconstructed) with exact per-round regret.

    Parameters
    ----------
    c : float
        Scale of the confidence radius (1: the self-normalised radius; others are named scaled
        variants).
    delta : float
        Failure probability of the radius, in (0, 1).
    bound : float
        ``B >= |theta*|``.
    lam : float
        Ridge weight of the MLE and of ``V_t``.
    explore : int
        ``t0``, rounds of uniformly random pairs first.
    rule : {"maxinp", "uniform", "greedy"}
        The algorithm or a control.

    ``run(model, budget, seed)`` returns a :class:`~mdptheory.regret.RegretTrace` with
    ``pseudo_regret[t] = (Delta_{c_t,i_t} + Delta_{c_t,j_t}) / 2`` (exact); preference feedback
    has no realised reward, so ``realised_regret`` equals it. Extras: ``context``, ``arm0``,
    ``arm1``, ``outcome``, ``beta`` (NaN outside MaxInP's rounds), ``active`` (``|C_t|``).

    Examples
    --------
    >>> from instances.preferences import contextual_bt_bandit
    >>> trace = ContextualMaxInP(c=0.3).run(contextual_bt_bandit(), budget=300, seed=0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret[-100:].mean() < 0.5)
    ((300,), True)
    """

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

    @property
    def label(self) -> str:
        if self.rule != "maxinp":
            return {"uniform": "uniform pairs", "greedy": "greedy MLE pair"}[self.rule]
        return "contextual MaxInP" if self.c == 1.0 else f"contextual MaxInP c={self.c:g}"

    def run(self, model: Any, budget: int, seed: SeedLike = 0) -> RegretTrace:
        """Run ``budget`` rounds on a contextual Bradley–Terry bandit.

        Raises
        ------
        ValueError
            For a model that is not a ContextualPreferenceBandit with the logistic link, or a
            budget that is not a positive int.
        """
        if not isinstance(model, ContextualPreferenceBandit):
            raise ValueError(
                f"contextual MaxInP needs a ContextualPreferenceBandit, got {type(model).__name__}"
            )
        if not isinstance(model.link, LogisticLink):
            raise ValueError(
                f"contextual MaxInP models Bradley-Terry feedback (logistic link); "
                f"{model.name} has the {model.link.name} link"
            )
        T = check_int(budget, "budget", 1)
        C, K, d = model.shape
        X = np.ascontiguousarray(model.contexts.reshape(C * K, d), dtype=np.float64)
        U = np.ascontiguousarray(model.utilities, dtype=np.float64)
        cumulative = np.cumsum(model.weights)
        start = time.perf_counter()
        contexts, arms, outcome, beta, active = _contextual_kernel(
            X,
            U,
            cumulative,
            K,
            T,
            int(self.explore),
            float(self.lam),
            float(np.log(self.delta)),
            float(self.bound),
            float(self.c),
            _RULE_CODE[self.rule],
            as_generator(seed),
        )
        elapsed = time.perf_counter() - start
        regret = model.pair_regret(contexts, arms[:, 0], arms[:, 1])
        meta = trace_metadata(
            self,
            model,
            seed,
            T,
            label=self.label,
            constants=self.constants,
            paper="Saha (NeurIPS 2021), MaxInP, contextual setting (reconstructed)",
            quantity="pseudo-regret (Delta_i + Delta_j) / 2 of the compared pair in its context",
            d=int(d),
        )
        extras = {
            "context": contexts.astype(np.float64),
            "arm0": arms[:, 0],
            "arm1": arms[:, 1],
            "outcome": outcome,
            "beta": beta,
            "active": active.astype(np.float64),
        }
        return RegretTrace(regret, regret.copy(), np.full(T, elapsed / T), meta, extras)
