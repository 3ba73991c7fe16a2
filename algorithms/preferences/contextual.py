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
   ``z_s = x_{c_s, i_s} - x_{c_s, j_s}`` (Newton, warm-started: ``maxinp.bt_newton``).
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

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numba import njit

from algorithms.preferences.maxinp import (
    MaxInPParameters,
    _sigmoid,
    choose_pair,
    dueling_extras,
    learner_start,
    random_distinct_pair,
    record_comparison,
    round_records,
)
from mdptheory._validation import check_int
from mdptheory.preferences.contextual import ContextualPreferenceBandit
from mdptheory.preferences.links import LogisticLink
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["ContextualMaxInP"]


@njit(cache=True)
def _contextual_kernel(X, U, cumulative, K, T, t0, lam, log_delta, B, c, rule, rng):
    """One run of contextual MaxInP (rule 0) or a control (1 uniform, 2 greedy).

    ``X`` (C K, d) stacks the contexts' arms, ``U`` (C, K) their true utilities,
    ``cumulative`` (C,) the context distribution's cumulative sums. Returns the contexts,
    arms (T, 2), outcomes, beta_t and |C_t| per round.
    """
    C = X.shape[0] // K
    contexts = np.empty(T, dtype=np.int64)
    arms, outcome, beta_rec, active_rec = round_records(T, K)
    W, V, theta, kappa, active, width = learner_start(X, K, lam, B)
    n = 0.0
    for t in range(T):
        ctx = min(int(np.searchsorted(cumulative, rng.random(), side="right")), C - 1)
        contexts[t] = ctx
        Xc = X[ctx * K : (ctx + 1) * K]
        if rule == 1 or t < t0:
            i, j = random_distinct_pair(K, rng)
        else:
            theta, i, j, beta_rec[t], active_rec[t] = choose_pair(
                theta, X, Xc, W, V, n, lam, log_delta, B, c, kappa, rule, width, active
            )
        p_win = _sigmoid(U[ctx, i] - U[ctx, j])
        n += record_comparison(t, i, j, p_win, Xc, ctx * K, W, V, arms, outcome, rng)
    return contexts, arms, outcome, beta_rec, active_rec


@dataclass(frozen=True)
class ContextualMaxInP(MaxInPParameters):
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

    NAME: ClassVar[str] = "contextual MaxInP"

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
            *self.kernel_constants(),
            as_generator(seed),
        )
        elapsed = time.perf_counter() - start
        regret = model.pair_regret(contexts, arms[:, 0], arms[:, 1])
        return self.trace(
            model,
            seed,
            regret,
            elapsed,
            "Saha (NeurIPS 2021), MaxInP, contextual setting (reconstructed)",
            "pseudo-regret (Delta_i + Delta_j) / 2 of the compared pair in its context",
            d,
            {
                "context": contexts.astype(np.float64),
                **dueling_extras(arms, outcome, beta, active),
            },
        )
