r"""Mutation score: planted defects that the quick checks must catch.

A check earns its PASS only if it could have failed (``DESIGN.md``, section 7). Negative
controls show that a criterion rejects a learner that violates the claim; **mutants** show
that the checks as a whole notice a small defect of the kind a real implementation makes: a
dropped log factor, a missing clip at H, a stage off by one, a flipped sign. Each mutant of
:data:`CATALOGUE` is a documented source change of one or more library functions, named by
dotted path (``algorithms.tabular.ucbvi._plan``). ``mdptheory check --mutants`` runs, for each
mutant, the quick checks whose tags match the mutant's and reports which checks **kill** it:

* a mutant is *killed* when some check's status becomes ``fail`` where it was not failing on
  the unmutated code, or when a check raises where it did not;
* it *survived* when every check kept its status;
* it was *not exercised* when no check's numbers changed at all (the defect never ran in any
  check: a gap in the checks, or a patch that missed its callers);
* it is *broken* when its patch could not be applied (a target renamed or edited) or the
  mutated code does not compile: the catalogue needs updating, it says nothing of the checks.

The mutation score is the fraction of mutants killed; the kill table goes to ``mutants.md``
and ``mutants.json`` in the report folder.

Mechanism
---------
Nothing is hooked into the learners: each mutant runs in a fresh ``python`` process
(``python -m proofs_check.mutants --run ID --only CHECK ...``) that imports the checks,
applies the patch, runs the checks and writes their statuses as JSON. The unmutated baseline
runs the same way once, so statuses and numbers are compared like for like.

A patch is a list of ``(old, new)`` source fragments; each ``old`` must occur exactly once in
the target's source, so an edited or renamed target stops with a clear error ("mutant X:
target a.b.c not found") instead of a silent no-op. The mutated source is compiled in the
target module's namespace (same globals as the original) and rebound:

* in the defining module and in **every** loaded module that imported the same object
  (``from m import f`` copies the binding), so callers resolve the mutant, and in every class
  of those modules that holds it as a ``staticmethod`` (a learner's ``kernel`` attribute);
* for a ``numba.njit`` target, as a new ``njit`` function with the original's options but no
  on-disk cache. A compiled caller links the callee it found in its module's globals when it
  was compiled, and numba's on-disk cache index checks only the caller's own source file: a
  cached caller would silently keep the original callee. So every compiled function that
  calls a patched one, directly or through other compiled functions, has its cache disabled
  (and is recompiled if it was already compiled) before any check runs. Unrelated kernels
  still load from the cache, so a mutant costs only the compilation of its own callers; they
  never write to it, so nothing compiled in a mutant's process reaches ordinary runs.

Each patch carries a *probe*: a cheap call of the target function on small inputs, whose
output must change under the mutation (``tests/test_mutants.py``), so a patch that does
nothing to its own function is caught without running any check.

Checks must run their learners in the calling process for a patch to reach them (the checks
of :mod:`proofs_check.theorems` do: ``run_seeds`` with ``n_jobs=1``).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import hashlib
import importlib
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

TARGET_SCORE = 0.9
"""The mutation score the checks should reach (issue 12: at least 90% of mutants killed)."""
PACKAGES = ("algorithms", "mdptheory", "proofs_check", "instances")
"""Packages whose modules are searched for bindings of a patched object."""
DEFAULT_TIMEOUT = 1800.0
"""Seconds a mutant's process may run before it is stopped (reported as ``timeout``)."""


class MutantError(RuntimeError):
    """A mutant that cannot be applied: a target not found, or code to change not found."""


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """One function changed by a mutant.

    Attributes
    ----------
    target : str
        Dotted name of a module-level function, e.g. ``"algorithms.tabular.ucbvi._plan"``.
    replace : tuple of (str, str)
        Source fragments ``(old, new)``; each ``old`` occurs exactly once in the target.
    probe : callable
        ``probe(f)`` calls the (uncompiled) function ``f`` on small inputs and returns what it
        computed; it must differ between the original and the mutated function.
    """

    target: str
    replace: tuple[tuple[str, str], ...]
    probe: Callable[[Callable], Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Mutant:
    """A documented defect: an id, what it does, the patches and the tags of relevant checks.

    ``tags``: the checks carrying any of these tags are the ones expected to notice the defect
    and are the ones run against it.
    """

    id: str
    description: str
    patches: tuple[Patch, ...]
    tags: tuple[str, ...]

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(p.target for p in self.patches)

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "targets": list(self.targets),
            "tags": list(self.tags),
            "changes": [
                {"target": p.target, "replace": [list(r) for r in p.replace]} for p in self.patches
            ],
        }


# Probes: small inputs, uncompiled calls (cheap), outputs compared by ``outputs_differ``.


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _probe_ucbvi_plan(plan: Callable) -> Any:
    H, S, A = 3, 2, 2
    rng = _rng(1)
    R3 = rng.uniform(0.0, 1.0, (H, S, A))
    N_sas = rng.integers(1, 6, (1, S, A, S)).astype(np.float64)
    N_sa = N_sas.sum(axis=3)
    out = []
    for scale in (0.01, 1.0):
        Q = np.full((H, S, A), float(H))
        V = np.zeros((H + 1, S))
        policy = np.zeros((H, S), dtype=np.int64)
        plan(
            R3,
            N_sas,
            N_sa,
            np.zeros((H + 1, S)),
            Q,
            V,
            policy,
            False,
            2.0,
            scale,
            False,
            np.zeros(S),
        )
        out += [Q, V, policy]
    return out


def _probe_stage_visit_term(term: Callable) -> Any:
    out = np.zeros(3)
    term(np.array([0.0, 1.0, 1.0e9]), 100.0, 3, out)
    return out


def _probe_q_update(update: Callable) -> Any:
    return [update(0.5, 1.0, 3, 5), update(2.0, 0.0, 10, 5)]


def _probe_qlearning_start(start: Callable) -> Any:
    state = start(3, 2, 2)
    return [state.Q, state.V]


def _probe_lsvi_sherman_morrison(update: Callable) -> Any:
    inverse = np.eye(2)
    u = np.empty(2)
    denominator = update(inverse, np.array([1.0, 0.5]), u)
    return [inverse, denominator]


def _probe_lsvi_plan(plan: Callable) -> Any:
    H, S, A, d = 2, 2, 2, 3
    rng = _rng(2)
    features = rng.uniform(0.0, 1.0, (S * A, d))
    features /= features.sum(axis=1, keepdims=True)
    R3 = rng.uniform(0.0, 1.0, (H, S, A))
    Lambda_inv = np.tile(np.eye(d) * 0.5, (H, 1, 1))
    width2 = np.einsum("nd,hde,ne->hn", features, Lambda_inv, features)
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    policy = np.zeros((H, S), dtype=np.int64)
    plan(
        features,
        R3,
        rng.uniform(0.0, 1.0, (H, d)),
        rng.uniform(0.0, 1.0, (H, S, d)),
        Lambda_inv,
        width2,
        0.5,
        Q,
        V,
        policy,
        np.zeros((H, d)),
        np.empty(d),
        np.empty(S * A),
    )
    return [Q, V]


def _probe_oful(kernel: Callable) -> Any:
    arms = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])
    theta = np.array([0.5, 0.3])
    means = arms @ theta
    gaps = means.max() - means
    out = kernel(
        arms, means, gaps, 0.1, 30, 1.0, math.log(1.0 / 0.05), 1.0, 0.1, 1000, True, theta, _rng(0)
    )
    return [out[0], out[3], out[4]]


def _probe_bandit_kernel(kernel: Callable, *extra: Any) -> Any:
    means = np.array([0.5, 0.45, 0.3])
    gaps = means.max() - means
    return kernel(means, gaps, 1, 0.0, 200, *extra, _rng(0))[0]


def _probe_ucb1(kernel: Callable) -> Any:
    return _probe_bandit_kernel(kernel, 2.0)


def _probe_kl_newton(newton: Callable) -> Any:
    return [newton(0.3, 0.5, 0.9), newton(0.6, 0.1, 0.95)]


def _probe_thompson_gaussian(choice: Callable) -> Any:
    counts = np.array([30.0, 30.0, 5.0])
    sums = np.array([15.0, 14.0, 2.0])
    rng = _rng(0)
    return [choice(counts, sums, 1.0, rng) for _ in range(200)]


def _probe_thompson_bernoulli(choice: Callable) -> Any:
    successes = np.array([20.0, 5.0])
    failures = np.array([5.0, 20.0])
    rng = _rng(0)
    return [choice(successes, failures, rng) for _ in range(50)]


def _probe_pevi_greedy_stage(stage: Callable) -> Any:
    S, A = 2, 2
    Q_row = np.empty(S * A)
    V_row = np.empty(S)
    policy_row = np.zeros(S, dtype=np.int64)
    stage(
        np.array([0.8, 0.6, 0.3, 0.9]),
        np.array([0.1, 0.5, 0.2, 0.4]),
        1.0,
        2.0,
        S,
        A,
        Q_row,
        V_row,
        policy_row,
    )
    return [Q_row, V_row, policy_row]


def _probe_pevi_backward(backward: Callable) -> Any:
    import scipy.sparse as sp

    H, S, A = 2, 2, 2
    counts = np.full((H, S, A), 4.0)
    blocks = [sp.csr_array(np.full((S * A, S), 2.0)) for _ in range(H)]
    stats = types.SimpleNamespace(
        S=S,
        A=A,
        H=H,
        counts=counts,
        reward_sums=np.arange(H * S * A, dtype=float).reshape(H, S, A) / 4.0,
        stage_block=lambda h: blocks[h],
    )
    out = backward(stats, 0.5, 1.0, None, None, np.full((H, S * A), 0.2))
    return list(out[:4])


def _probe_softmax_bandit(kernel: Callable) -> Any:
    gap = kernel(
        np.zeros((1, 3)),
        np.array([[1.0, 0.5, 0.2]]),
        np.array([0.4]),
        0.0,
        False,
        np.arange(1, 6, dtype=np.int64),
    )[0]
    return [np.asarray(gap)]


def _probe_sampled(kernel: Callable) -> Any:
    import jax

    from algorithms.policy_gradient._jax import float64_scope

    with float64_scope():  # the precision the learners run the kernel in
        r = jax.numpy.array([0.9, 0.5, 0.2])
        out = kernel(
            jax.random.PRNGKey(0),
            jax.numpy.zeros(3),
            jax.numpy.eye(3),
            r,
            0.5,
            0.0,
            budget=20,
            every=1,
            noise_code=0,
            features=False,
            rule="reinforce",
        )
        return [np.asarray(out["gap"])]


def _probe_npg_mdp(kernel: Callable) -> Any:
    import jax.numpy as jnp

    from algorithms.policy_gradient._jax import float64_scope

    S, A, gamma = 2, 2, 0.9
    with float64_scope():  # the precision the learners run the kernel in
        P = jnp.array([[[0.9, 0.1], [0.1, 0.9]], [[0.5, 0.5], [0.2, 0.8]]])
        R = jnp.array([[0.0, 0.5], [1.0, 0.2]])
        out = kernel(
            jnp.zeros((S, A)),
            P,
            R,
            gamma,
            jnp.array([0.5, 0.5]),
            jnp.zeros(S),
            jnp.zeros(S, dtype=int),
            jnp.zeros((S, A)),
            jnp.zeros((S, A)),
            0.5,
            0.1,
            budget=4,
            every=1,
            regularized=True,
        )
        return [np.asarray(out["gap"])]


def _probe_icvar_plan(plan: Callable) -> Any:
    H, S, A = 3, 3, 2
    rng = _rng(3)
    R3 = rng.uniform(0.0, 1.0, (H, S, A))
    counts = rng.integers(1, 6, (S, A, S)).astype(np.float64)
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    policy = np.zeros((H, S), dtype=np.int64)
    plan(R3, counts, counts.sum(axis=2), 0.3, 2.0, 0.01, Q, V, policy)
    return [Q, V]


def _probe_cvar(cvar: Callable) -> Any:
    return [
        cvar([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.25),
        cvar([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.6),
    ]


def _tiny_discounted():
    from mdptheory.tabular import FiniteMDP

    P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    return FiniteMDP(P, np.array([[0.0, 0.2], [0.5, 1.0]]), gamma=0.9)


def _probe_value_iteration(vi: Callable) -> Any:
    sol = vi(_tiny_discounted(), tol=1e-3)
    return [sol.values, sol.bound, sol.iterations]


def _probe_bellman(bellman: Callable) -> Any:
    return bellman(_tiny_discounted(), np.array([1.0, 2.0]))


def _probe_backward_induction(bi: Callable) -> Any:
    from mdptheory.tabular import EpisodicMDP

    P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    sol = bi(EpisodicMDP(P, np.array([[0.0, 0.2], [0.5, 1.0]]), H=3))
    return [sol.values, sol.q]


def _probe_l1_inner_max(inner: Callable) -> Any:
    u = np.array([0.3, 1.0, -0.5, 0.2])
    order = np.argsort(-u, kind="mergesort")
    p_hat = np.array([0.4, 0.1, 0.3, 0.2])
    return [inner(p_hat, d, u, order) for d in (0.1, 0.4, 1.0)]


def _probe_descending_order(order: Callable) -> Any:
    return order(np.array([0.1, 0.5, 0.3, -0.2]))


def _probe_ucrl2_plan(plan: Callable) -> Any:
    S, A = 3, 2
    rng = _rng(4)
    counts = rng.integers(0, 5, (S, A, S)).astype(np.float64)
    N = counts.sum(axis=2)
    reward_sum = N * rng.uniform(0.0, 1.0, (S, A))
    u = np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    radius_l1 = np.zeros((S, A, 1))
    out = plan(
        counts,
        N,
        reward_sum,
        reward_sum.copy(),
        50,
        0.05,
        False,
        1.0,
        10**5,
        np.zeros((S, A, S)),
        np.zeros((S, A)),
        radius_l1,
        np.zeros((S, A, S)),
        u,
        policy,
    )
    return [radius_l1, u, out[1], out[2]]


def _probe_tsde_sample(sample: Callable) -> Any:
    counts = np.zeros((2, 2, 3))
    counts[0, 0] = [50.0, 0.0, 0.0]
    counts[1, 1] = [0.0, 0.0, 80.0]
    out = np.empty_like(counts)
    sample(counts, 1.0, _rng(5), out)
    return out


def _probe_max_state_occupancy(occupancy: Callable) -> Any:
    from mdptheory.tabular import EpisodicMDP

    P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    return occupancy(EpisodicMDP(P, np.zeros((2, 2)), H=3, initial=[1.0, 0.0]))


def _probe_tv_row(row: Callable) -> Any:
    p = np.array([0.2, 0.3, 0.5])
    V = np.array([1.0, 0.0, 2.0])
    return row(p, V, np.argsort(V), 0.25, True, np.empty(3), False)


def _probe_kl_penalty_row(row: Callable) -> Any:
    p = np.array([0.2, 0.3, 0.5])
    V = np.array([1.0, 0.0, 2.0])
    return row(p, V, np.argsort(V), 0.7, np.empty(3), False)


def _probe_reduce_support(reduce: Callable) -> Any:
    from mdptheory.optimal_design import design_from_weights

    X = _rng(3).normal(size=(12, 2))
    return reduce(design_from_weights(X, np.full(12, 1 / 12))).weights


def _probe_ipo_minimiser(minimiser: Callable) -> Any:
    from mdptheory.preferences import PreferenceDataset

    return minimiser(PreferenceDataset([0, 1, 0], [1, 2, 2], 3), [1 / 3] * 3, 0.5).log_ratio


def _probe_weighted_counts(weighted: Callable) -> Any:
    """The counts of a variance-weighted regression (VW-PEVI's ``weighted_counts``, VA-DRPVI's
    ``variance_weighted_counts``) on one stage, one state, two actions of variances 1 and 4."""
    import scipy.sparse as sp

    from algorithms.offline.datasets import TransitionCounts

    counts = np.array([[[2.0, 4.0]]])
    stats = TransitionCounts(
        1, 2, 1, counts, counts / 2, sp.csr_array(np.array([[2.0], [4.0]])), 4.0
    )
    out = weighted(stats, np.array([[[1.0, 4.0]]]))
    return [out.counts, out.reward_sums]


def _probe_budget_steps(steps: Callable) -> Any:
    return steps(np.array([[0.25, 0.3], [0.55, 0.0]]), 0.1, "up")


def _probe_cvar_ucbvi_plan(plan: Callable) -> Any:
    H, S, A, eta = 2, 2, 2, 0.5
    rng = _rng(4)
    counts = rng.integers(0, 4, (S, A, S)).astype(np.float64)
    counts[0, 0] = 0.0  # one unvisited pair
    visits = counts.sum(axis=2)
    steps = rng.integers(0, 2, (H, S, A)).astype(np.int64)
    n_grid = 1 + int(H / eta)
    W = np.zeros((H + 1, S, n_grid))
    W[H] = np.arange(n_grid) * eta  # the shortfall of budget j eta at the end: (c - 0)^+
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    out = plan(
        counts,
        visits,
        steps,
        np.array([1.0, 0.0]),
        eta,
        0.5,
        0.3,
        W,
        policy,
        np.empty((S * A, n_grid)),
        np.empty(S * A),
        np.empty((S * A, S)),
    )
    return [np.asarray(out, dtype=float), W, policy]


def _probe_icvar_l_plan(plan: Callable) -> Any:
    H, S, A, d = 2, 2, 2, 3
    rng = _rng(5)
    features = rng.uniform(0.0, 1.0, (S * A, d))
    features /= features.sum(axis=1, keepdims=True)
    Lambda_inv = np.tile(np.eye(d) * 0.5, (H, 1, 1))
    width2 = np.einsum("nd,hde,ne->hn", features, Lambda_inv, features)
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    plan(
        features,
        rng.uniform(0.0, 1.0, (H, S, A)),
        rng.uniform(0.0, 1.0, (H, S, d)),
        Lambda_inv,
        width2,
        0.5,
        0.3,
        Q,
        V,
        np.zeros((H, S), dtype=np.int64),
        np.empty(S * A),
        np.empty(S * A),
    )
    return [Q, V]


def _probe_lowrank_cvar_plan(plan: Callable) -> Any:
    H, S, A, d, eta = 2, 2, 2, 3, 0.5
    rng = _rng(6)
    features = rng.uniform(0.0, 1.0, (S * A, d))
    features /= features.sum(axis=1, keepdims=True)
    Lambda_inv = np.tile(np.eye(d) * 0.5, (H, 1, 1))
    width2 = np.einsum("nd,hde,ne->hn", features, Lambda_inv, features)
    n_grid = 1 + int(H / eta)
    W = np.zeros((H + 1, S, n_grid))
    W[H] = np.arange(n_grid) * eta
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    out = plan(
        features,
        rng.uniform(0.0, 2.0, (H, S, d)),
        Lambda_inv,
        width2,
        rng.integers(0, 2, (H, S, A)).astype(np.int64),
        np.array([1.0, 0.0]),
        eta,
        0.3,
        0.2,
        W,
        policy,
        np.empty(S * A),
    )
    return [np.asarray(out, dtype=float), W, policy]


def _probe_icvar_hf_add_comparison(add: Callable) -> Any:
    D = 2
    Z, ones, totals = np.zeros((3, D)), np.zeros(3), np.zeros(3)
    counters = np.zeros(2, dtype=np.int64)
    Sigma_inv, theta = np.eye(D), np.zeros(D)
    for z, label in ((np.array([1.0, 0.0]), 1.0), (np.array([0.0, -1.0]), 1.0)):
        add(Z, ones, totals, counters, z, label, Sigma_inv, np.empty(D), theta, 1.0)
    return [theta, Sigma_inv, counters.astype(float)]


def _probe_em_steps(steps: Callable) -> Any:
    mu = np.array([[1.0, 0.0]])
    steps(np.array([[1.0, 1.0]]), np.ones((1, 1)), mu, 3, np.empty((1, 2)))
    return mu


def _probe_s_rectangular_program(program: Callable) -> Any:
    P = np.zeros((2, 2, 2))
    P[0, :, 0] = 1.0
    P[1, :, 1] = 1.0
    problem, pi, _ = program(P, np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([2.0, 0.0]), 0.5, 0.5)
    problem.solve()
    return [round(float(problem.value), 6), np.round(pi.value, 4)]


def _probe_async_synchronise(synchronise: Callable) -> Any:
    from algorithms.linear.lsvi_ucb import start_statistics
    from algorithms.multi_agent.async_lsvi import _agent_statistics

    H, S, A, d = 2, 2, 2, 3
    rng = _rng(3)
    features = rng.uniform(0.0, 1.0, (S * A, d))
    features /= features.sum(axis=1, keepdims=True)
    R3 = rng.uniform(0.0, 1.0, (H, S, A))
    server, _ = start_statistics(features, H, S, A, 0, False)
    agents = _agent_statistics(server, 2, 1)
    agents.states[0] = [0, 1, 1]
    agents.actions[0] = [1, 0]
    agents.head[0] = agents.tail[0] = 0
    synchronise(features, R3, agents, 0, server, 1000)
    return [agents.Lambda[0], agents.b[0]]


def _probe_mappo_update(update: Callable) -> Any:
    import jax.numpy as jnp

    from algorithms.policy_gradient._jax import float64_scope

    with float64_scope():
        ps = [jnp.array([[0.5, 0.5]]), jnp.array([[[0.5, 0.5], [0.3, 0.7]]])]
        Q = jnp.array([[1.0, 0.0, 0.2, 0.5]])
        out = update(ps, [jnp.log(p) for p in ps], Q, 0.5, (2, 2))
        return [np.asarray(o) for o in out]


def _probe_multi_agent_pdl(pdl: Callable) -> Any:
    from mdptheory.games import CooperativeGame

    P = np.full((2, 2, 2, 2), 0.5)
    P[0, 0, 0] = [0.9, 0.1]
    game = CooperativeGame(P, np.arange(8.0).reshape(2, 2, 2) / 8, (2, 2), gamma=0.5)
    old = [np.full((2, 2), 0.5), np.full((2, 2), 0.5)]
    new = [np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.3, 0.7], [0.6, 0.4]])]
    return pdl(game, old, new)[0]


def _probe_robust_backward(backward: Callable) -> Any:
    from algorithms.offline import R2PVI, population_counts
    from instances.linear import robust_route_linear_mdp

    model = robust_route_linear_mdp()
    learner = R2PVI("tv", penalty=0.8, c=0.0)
    features = model.phi.reshape(model.S * model.A, model.d)
    stats = population_counts(model, "uniform", 100.0)
    return backward(model, features, stats, 1.0, 0.0, learner._duals(model))[0]


def _generative_toy():
    from algorithms.generative._mdvi import generative_problem
    from mdptheory.tabular import FiniteMDP

    P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.2, 0.8], [1.0, 0.0]]])
    return generative_problem(FiniteMDP(P, [[0.2, 0.9], [0.5, 0.1]], gamma=0.8), "toy", True)


def _probe_run_mdvi(run_mdvi: Callable) -> Any:
    from algorithms.generative._mdvi import Recorder

    problem = _generative_toy()
    s, v, _ = run_mdvi(
        problem, None, 1, 0.5, np.inf, 5, np.random.default_rng(0), Recorder(problem)
    )
    return [s, v]


def _probe_variance_weights(variance_weights: Callable) -> Any:
    from algorithms.generative._mdvi import design_for, regression_on

    problem = _generative_toy()
    regression = regression_on(problem.phi, design_for(problem.phi, None), None, 40, "toy")
    v_hat = np.array([0.0, 5.0])
    return list(variance_weights(problem, regression, v_hat, 0.5, np.random.default_rng(0)))


def _probe_eliminate(eliminate: Callable) -> Any:
    active = np.ones(3, dtype=np.bool_)
    count = eliminate(np.array([0.0, 0.5, 1.0]), 1.0, 1.0 - np.eye(3), active)
    return [active, count]


def _probe_pr_lsvi_kernel(kernel: Callable) -> Any:
    from instances.preferences import preference_lock_linear_mdp

    model = preference_lock_linear_mdp(H=2)
    env = model.tabular()
    S, A, d = model.phi.shape
    P4 = np.ascontiguousarray(env.dense_P(), dtype=np.float64)
    R3 = np.ascontiguousarray(np.broadcast_to(env.R, (env.H, S, A)), dtype=np.float64)
    out = kernel(
        np.ascontiguousarray(model.phi.reshape(S * A, d)),
        P4,
        R3,
        np.ascontiguousarray(env.initial, dtype=np.float64),
        np.ascontiguousarray(model.theta, dtype=np.float64).reshape(-1),
        60,
        0.0,
        0,
        0.5,
        0.5,
        1.0,
        _rng(5),
    )
    return [out[0], out[4]]


def _probe_vtr_episodes(episodes: Callable) -> Any:
    from algorithms._episodic import new_log
    from algorithms.mixture.ucrl_vtr import check_mixture_model, start_vtr_statistics
    from instances.linear_mixture import random_linear_mixture_mdp
    from mdptheory._kernels import backward_induction_kernel, reachable_evaluation

    model = random_linear_mixture_mdp(S=3, A=2, H=3, d=2, rewards="per_step", seed=0)
    basis2, env = check_mixture_model(model, "probe")
    Q_star, V_star, _ = backward_induction_kernel(env.P4, env.R3)
    log = new_log(env, 4, False, Q_star, V_star)
    state = start_vtr_statistics(2, 3, 3, 2)
    episodes(
        env,
        log,
        reachable_evaluation(env.P4, env.initial, 3),
        state,
        basis2,
        np.ones(4),
        np.ascontiguousarray(model.theta[0]),
        np.zeros(4),
        np.zeros((0, 4), dtype=np.int64),
        np.zeros((0, 3), dtype=np.int64),
        0,
        4,
        np.random.default_rng(0),
        1000,
    )
    return [state.b.copy(), state.M.copy()]


def _probe_hf_rfe_explore(explore: Callable) -> Any:
    from algorithms.reward_free.hf_rfe import start_exploration
    from instances.linear_mixture import reward_free_hard_instance

    model = reward_free_hard_instance(d=3, H=3, epsilon=1.0, seed=1)
    env, basis2, G, _, state = start_exploration(model, 5, 0.1)
    explore(env, state, basis2, G, np.ones(5), 0.5, 0, 5, np.random.default_rng(0))
    return [state.b.copy(), state.M.copy()]


def _probe_hf_ucrl_rfe_plan(plan: Callable) -> Any:
    from algorithms.reward_free.hf_ucrl_rfe import _widths, start_weighted
    from instances.linear_mixture import random_linear_mixture_mdp

    model = random_linear_mixture_mdp(S=3, A=2, H=3, d=2, seed=0)
    weighted = start_weighted(model, 5, 0.1)
    _widths(weighted.home, weighted.G)
    plan(weighted.home, weighted.basis2, 0.5, model.S, model.A)
    return weighted.home.Q.copy()


def _probe_wald_region(region: Callable) -> Any:
    from algorithms.preferences.link_mle import fit_link_mle

    fit = fit_link_mle(np.eye(2), [[0, 30], [10, 0]], "probit")
    return [region(fit, 0.1).radius, region(fit, 0.05).radius]


def _probe_choose_pair(choose_pair: Callable) -> Any:
    # two contexts of three arms each; the round shows the second one
    X = _rng(5).normal(size=(6, 2)) * 0.5
    W = np.zeros((6, 6))
    W[3, 4], W[4, 5], W[5, 3], W[4, 3] = 4.0, 3.0, 1.0, 1.0
    V = np.eye(2) + 0.5 * np.ones((2, 2))
    data = (X, X[3:], W, V, 9.0, 1.0, np.log(0.05), 1.0, 0.01, 0.2)
    out = []
    for rule in (0, 2):
        scratch = (np.zeros((3, 3)), np.ones(3, dtype=np.bool_))
        _, i, j, _, count = choose_pair(np.zeros(2), *data, rule, *scratch)
        out += [i, j, count]
    return out


def _probe_hf_lsvi_block(block: Callable) -> Any:
    return [block(h, True) for h in range(3)] + [block(h, False) for h in range(3)]


def _probe_hf_ucrl_rfe_explore(explore: Callable) -> Any:
    from algorithms.reward_free.hf_ucrl_rfe import start_weighted
    from instances.linear_mixture import reward_free_lower_bound

    model = reward_free_lower_bound(d=3, H=3, epsilon=1.0, seed=1)
    env, basis2, G, radii, alpha, gamma, home = start_weighted(model, 5, 0.1)
    explore(env, home, basis2, G, radii, 1e-4, alpha, gamma, 0, 5, np.random.default_rng(0))
    return [home.b.copy(), home.Sigma.copy()]


def _patch(target: str, probe: Callable, *replace: tuple[str, str]) -> Patch:
    return Patch(target, tuple(replace), probe)


_UCBVI_PLAN = "algorithms.tabular.ucbvi._plan"


def _probe_lsvi_ucb_pp_replan(replan: Callable) -> Any:
    from algorithms.linear.lsvi_ucb_pp import _start

    H, S, A, d = 2, 2, 2, 3
    rng = _rng(4)
    features = rng.dirichlet(np.ones(d), size=S * A)
    st, pp, _, _ = _start(features, H, S, A, 5, False)
    st.w[0] = rng.uniform(0.0, 1.0, d)
    pp.w_check[0] = rng.uniform(0.0, 1.0, d)
    replan(features, rng.uniform(0.0, 0.5, (H, S, A)), st, pp, 0, 0.3, 0.2)
    return [st.Q.copy(), pp.Qc.copy()]


def _probe_lsvi_ucb_pp_radii(radii: Callable) -> Any:
    return radii(9, 3, 1000, 0.05, 0.03)


def _probe_drpvi_kl_duals(kl_duals: Callable) -> Any:
    from algorithms.offline.robust._ball_duals import kl_grid

    M = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    w = np.array([0.0, 0.5, 1.0])
    xs = kl_grid(0.1)
    return kl_duals(M, w, 1.0, 0.1, xs)


def _probe_drpvi_chi2_duals(chi2_duals: Callable) -> Any:
    M = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    V = np.array([0.0, 0.5, 1.0])
    return chi2_duals(M, V, np.argsort(V, kind="stable"), 0.1)


def _probe_tv_cut_row(row: Callable) -> Any:
    p = np.array([0.2, 0.3, 0.5])
    V = np.array([1.0, 0.0, 2.0])
    return row(p, V, np.argsort(V), 0.25, True, 2)


def _probe_chi2_walk_row(walk: Callable) -> Any:
    p = np.array([0.2, 0.3, 0.1, 0.4])
    V = np.array([1.0, 0.0, 3.0, 2.0])
    Vc = V - 1.5
    return walk(p, Vc, np.argsort(V), 2.0, False, 3, 1e-3, 1e-9)


def _probe_first_difference(first_difference: Callable) -> Any:
    # three stages; the new policy differs from the evaluated one at the last stage only
    from mdptheory._kernels import evaluate_deterministic_reachable, reachable_evaluation

    P4 = np.zeros((1, 2, 2, 2))
    P4[0, :, 0, 0] = 1.0
    P4[0, :, 1, 1] = 1.0
    R3 = _rng(6).uniform(size=(3, 2, 2))
    initial = np.array([1.0, 0.0])
    ws = reachable_evaluation(P4, initial, 3)
    policy = np.zeros((3, 2), dtype=np.int64)
    evaluate_deterministic_reachable(P4, R3, policy, initial, ws)
    changed = policy.copy()
    changed[2, 0] = 1
    return [first_difference(policy, ws), first_difference(changed, ws)]


def _probe_occupancy(occupancy: Callable) -> Any:
    from mdptheory import FiniteMDP

    P = _rng(7).dirichlet(np.ones(3), size=(3, 2))
    mdp = FiniteMDP(P, _rng(8).uniform(size=(3, 2)), gamma=0.8, initial=[0.6, 0.3, 0.1])
    return [occupancy(mdp, np.array([0, 1, 0])), occupancy(mdp, np.full((3, 2), 0.5))]


def _probe_lin_spg_exact(kernel: Callable) -> Any:
    X = np.array([[1.0, 0.0], [0.5, 1.0], [0.0, -1.0]])
    r = np.array([1.0, 0.3, 0.6])
    out = kernel(np.zeros(2), X, r, 0.5, budget=4, every=1)
    return [np.asarray(out["gap"]), np.asarray(out["opt_prob"])]


def _probe_pair_loss(pair_loss: Callable) -> Any:
    W = np.array([[0.0, 3.0, 1.0], [1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    theta, log_ref = np.array([0.2, -0.1, 0.4]), np.log(np.array([0.5, 0.3, 0.2]))
    return [
        float(pair_loss(theta, W, log_ref, s, loss)) for s, loss in ((0.5, "ipo"), (2.0, "dpo"))
    ]


def _probe_curvature_floor(floor: Callable) -> Any:
    from algorithms.preferences.bt_mle import fit_bradley_terry

    fit = fit_bradley_terry(np.array([[0.5, 0.0], [0.0, 0.5], [-0.3, 0.2]]), 1.0 - np.eye(3))
    return [floor(fit, 1.0), floor(fit, 3.0)]


def _probe_project(project: Callable) -> Any:
    z = np.linspace(0.0, 2.0, 5)
    return project(np.array([0.1, 0.75, 1.5, 2.4]), np.array([0.1, 0.2, 0.3, 0.4]), z)


def _probe_static_cvar(optimum: Callable) -> Any:
    from mdptheory import EpisodicMDP

    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = 1.0
    P[0, 1] = [0.0, 0.5, 0.5]
    P[1:, :, 1:] = np.eye(2)[:, None, :]
    mdp = EpisodicMDP(P, [[0.4, 0.0], [0.0, 0.0], [1.0, 1.0]], H=2, initial=[1, 0, 0])
    sol = optimum(mdp, 0.5)
    return [sol.value, sol.threshold, sol.objective]


def _probe_sqirl_run(run: Callable) -> Any:
    from algorithms._episodic import environment
    from instances.structure import effective_horizon_lure

    env = environment(effective_horizon_lure(H=6, k_star=2, A=2))
    args = (env.P4, env.R3, env.noise_code, env.sigma, env.initial)
    return [run(*args, k, 60, np.random.default_rng(0)) for k in (1, 2)]


def _probe_qvi_iterates(iterates: Callable) -> Any:
    from mdptheory import EpisodicMDP

    mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), [[0.0, 1.0], [0.5, 0.0]], H=3)
    return [iterates(mdp, 1), iterates(mdp, 2)]


def _bisimulation_operator():
    from mdptheory import FiniteMDP
    from mdptheory.diagnostics.bisimulation import _Operator, _row_kernel

    mdp = FiniteMDP(
        _rng(9).dirichlet(np.ones(3), size=(3, 2)), [[1.0, 0.0], [0.2, 0.5], [0.0, 0.9]], 0.5
    )
    return _Operator(_row_kernel(mdp), np.asarray(mdp.R), 0.5, 0.5, 1.0)


def _probe_bisimulation_apply(apply: Callable) -> Any:
    op = _bisimulation_operator()
    d, out = np.array([0.3, 0.1, 0.2]), np.empty(3)
    current = np.full(3, -1, dtype=np.int64)
    extra = (op.best_action, op.C, op.work_int, op.work_float)
    apply(d, op.data, op.layout, op.warm, op.tol, current, False, 0.0, out, *extra)
    return out


def _probe_bisimulation_affine(affine: Callable) -> Any:
    op = _bisimulation_operator()
    op(np.array([0.3, 0.1, 0.2]))
    n = op.n_cells
    rows, cols = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    vals, b = np.empty(n), np.empty(3)
    count = affine(op.best_action, op.layout, rows, cols, vals, b)
    return [b, vals[:count]]


def _probe_projected_rewards(projected: Callable) -> Any:
    X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0], [0.5, 0.5]])
    return projected(X, np.array([1.0, 0.2, 0.5, 0.9]))


def _probe_reach_squares(reach: Callable) -> Any:
    P_pi = _rng(10).dirichlet(np.ones(3), size=(3, 3))
    return reach(P_pi, _rng(11).uniform(size=(3, 3)))


def _probe_lowrank_mle_plan(plan: Callable) -> Any:
    H, S, A, d, eta = 2, 2, 2, 3, 0.5
    rng = _rng(12)
    features = rng.dirichlet(np.ones(d), size=S * A)
    mu = rng.dirichlet(np.ones(S), size=d)
    n_grid = 1 + int(H / eta)
    W = np.zeros((H + 1, S, n_grid))
    W[H] = np.arange(n_grid) * eta
    W[:H] = rng.uniform(0.0, 1.0, (H, S, n_grid))  # the previous episode's values
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    steps = rng.integers(0, 2, (H, S, A)).astype(np.int64)
    width2 = rng.uniform(0.0, 0.5, (H, S * A))
    args = (np.array([1.0, 0.0]), eta, 0.3, 0.2, W, policy, np.empty(S * A))
    out = plan(features, mu, width2, steps, *args)
    return [np.asarray(out, dtype=float), W, policy]


def _probe_cvar_sorted_row(row: Callable) -> Any:
    values = np.array([0.5, -1.0, 2.0, 0.0])
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    order = np.argsort(values, kind="mergesort")
    return [row(weights, 1.0, values, order, a) for a in (0.1, 0.3, 0.7)]


def _probe_pg_policy_evaluation(evaluation: Callable) -> Any:
    P = _rng(13).dirichlet(np.ones(3), size=(3, 2))
    R = _rng(14).uniform(size=(3, 2))
    logp = np.log(_rng(15).dirichlet(np.ones(2), size=3))
    V, Q, _ = evaluation(logp, P, R, 0.8, 0.3, True)
    return [np.asarray(V), np.asarray(Q)]


def _probe_soft_optimum(optimum: Callable) -> Any:
    P = _rng(16).dirichlet(np.ones(3), size=(3, 2))
    return list(optimum(P, _rng(17).uniform(size=(3, 2)), 0.8, 0.3))


def _probe_bellman_gaps(gaps: Callable) -> Any:
    from mdptheory import FiniteMDP

    P = np.array([[[0.9, 0.1], [0.85, 0.15]], [[0.1, 0.9], [0.1, 0.9]]])
    return gaps(FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9))


def _probe_inherent_bellman_error(ibe: Callable) -> Any:
    from mdptheory import FiniteMDP

    P = np.zeros((2, 1, 2))
    P[:, 0, 1] = 1.0
    result = ibe(FiniteMDP(P, np.zeros((2, 1)), gamma=0.9), np.array([[[1.0]], [[2.0]]]))
    return [result.lower, result.upper]


def _probe_episodic_values(values: Callable) -> Any:
    from mdptheory import EpisodicMDP

    P = _rng(18).dirichlet(np.ones(2), size=(3, 2, 2))  # a kernel per stage
    mdp = EpisodicMDP(P, _rng(19).uniform(size=(3, 2, 2)), H=3)
    return list(values(mdp, np.array([[0, 1], [1, 0], [0, 0]])))


def _probe_sampled_mappo(kernel: Callable) -> Any:
    from algorithms.multi_agent.mappo_sampled import SampledMAPPO
    from instances.games import climbing_game

    class Probe(SampledMAPPO):
        pass

    Probe.kernel = staticmethod(kernel)
    trace = Probe(eta=0.2, rollouts=2, horizon=5).run(climbing_game(S=1), 4, seed=0, record_every=1)
    return np.asarray(trace.gap)


def _probe_contextual_kernel(kernel: Callable) -> Any:
    C, K, d = 3, 3, 2
    X = _rng(20).normal(size=(C * K, d)) * 0.5
    U = (X @ np.array([1.0, -0.5])).reshape(C, K)
    cumulative = np.cumsum(np.full(C, 1.0 / C))
    out = kernel(X, U, cumulative, K, 12, 3, 1.0, np.log(0.05), 1.0, 0.3, 0, _rng(21))
    return [np.asarray(o, dtype=float) for o in out]


def _probe_robust_value_iteration(vi: Callable) -> Any:
    from mdptheory.robust import UncertaintySet

    sol = vi(_tiny_discounted(), UncertaintySet("tv", radius=0.2), tol=1e-3)
    return [sol.values, sol.bound, sol.iterations]


CATALOGUE: tuple[Mutant, ...] = (
    Mutant(
        "ucbvi-log-factor-dropped",
        "UCBVI-CH bonus 7 H / sqrt(N) instead of 7 H L / sqrt(N): the log factor "
        "L = ln(5SAT/delta) is dropped, the bonus is about 10x too small.",
        (
            _patch(
                _UCBVI_PLAN,
                _probe_ucbvi_plan,
                ("bonus = 7.0 * Hf * L / math.sqrt(n)", "bonus = 7.0 * Hf / math.sqrt(n)"),
            ),
        ),
        ("ucbvi",),
    ),
    Mutant(
        "ucbvi-missing-clip",
        "UCBVI's optimistic Q is neither clipped at H nor kept below the previous "
        "episode's Q: Q = R + P V + b, so unvisited bonuses compound over the stages.",
        (
            _patch(
                _UCBVI_PLAN,
                _probe_ucbvi_plan,
                (
                    "q = min(Q[h, s, a], Hf, R3[h, s, a] + mean + scale * bonus)",
                    "q = R3[h, s, a] + mean + scale * bonus",
                ),
            ),
        ),
        ("ucbvi",),
    ),
    Mutant(
        "ucbvi-stage-off-by-one",
        "UCBVI's backward pass stops at stage 1 (range(H - 1, 0, -1)): the first stage is "
        "never planned and keeps its initial policy (action 0).",
        (
            _patch(
                _UCBVI_PLAN,
                _probe_ucbvi_plan,
                ("for h in range(H - 1, -1, -1):", "for h in range(H - 1, 0, -1):"),
            ),
        ),
        ("ucbvi",),
    ),
    Mutant(
        "ucbvi-bf-min-max",
        "UCBVI-BF third bonus term max{100^2 H^3 S^2 A L^2 / N'(y), H^2} instead of the "
        "min: the next-state term never falls below H^2.",
        (
            _patch(
                "algorithms.tabular.ucbvi._stage_visit_term",
                _probe_stage_visit_term,
                ("min(big / n, cap)", "max(big / n, cap)"),
            ),
        ),
        ("ucbvi",),
    ),
    Mutant(
        "qlearning-rate-one-over-t",
        "Q-learning learning rate 1/t instead of (H + 1)/(H + t), the rate Jin et al. "
        "(2018) show gives regret exponential in H.",
        (
            _patch(
                "algorithms.tabular.q_learning_ucb.q_update",
                _probe_q_update,
                ("alpha = (H + 1.0) / (H + t)", "alpha = 1.0 / t"),
            ),
        ),
        ("q-learning",),
    ),
    Mutant(
        "qlearning-no-optimistic-init",
        "Q-learning starts from Q = 0, V = 0 instead of the optimistic Q = V = H.",
        (
            _patch(
                "algorithms.tabular.q_learning_ucb._start",
                _probe_qlearning_start,
                ("Q = np.full((H, S, A), Hf)", "Q = np.zeros((H, S, A))"),
                ("V[:H] = Hf ", "V[:H] = 0.0 "),
            ),
        ),
        ("q-learning",),
    ),
    Mutant(
        "lsvi-sherman-morrison-sign",
        "LSVI-UCB's rank-one update adds u u^T / (1 + x^T u) to Lambda^{-1} instead of "
        "subtracting it (Sherman-Morrison sign flipped): widths grow with data.",
        (
            _patch(
                "algorithms.linear.lsvi_ucb.sherman_morrison_update",
                _probe_lsvi_sherman_morrison,
                ("Lambda_inv[i, j] -= ui * u[j]", "Lambda_inv[i, j] += ui * u[j]"),
            ),
        ),
        ("lsvi-ucb",),
    ),
    Mutant(
        "lsvi-bonus-squared-width",
        "LSVI-UCB bonus beta * phi^T Lambda^{-1} phi instead of beta * sqrt(phi^T Lambda^{-1}"
        " phi): the square root is forgotten, the bonus shrinks like 1/n instead of "
        "1/sqrt(n).",
        (
            _patch(
                "algorithms.linear.lsvi_ucb.plan_optimistic",
                _probe_lsvi_plan,
                ("beta * math.sqrt(max(width2[h, n], 0.0))", "beta * max(width2[h, n], 0.0)"),
            ),
        ),
        ("lsvi-ucb",),
    ),
    Mutant(
        "oful-sherman-morrison-sign",
        "OFUL's rank-one update of V^{-1} adds u u^T / (1 + x^T u) instead of subtracting "
        "it (Sherman-Morrison sign flipped); exact refactorisations correct it only "
        "every refactor_every rounds.",
        (
            _patch(
                "algorithms.bandits.oful._oful_kernel",
                _probe_oful,
                (
                    "V_inv[i, j] -= u[i] * u[j] / denominator",
                    "V_inv[i, j] += u[i] * u[j] / denominator",
                ),
            ),
        ),
        ("oful",),
    ),
    Mutant(
        "oful-radius-no-log-det",
        "OFUL's confidence radius R sqrt(2 log(1/delta)) + sqrt(lambda) S: the log det "
        "V_t / lambda^d term of Theorem 2 is dropped, so the ellipsoid is too small.",
        (
            _patch(
                "algorithms.bandits.oful._oful_kernel",
                _probe_oful,
                (
                    "radius = R * np.sqrt(log_det_ratio + 2.0 * log_inv_delta)",
                    "radius = R * np.sqrt(2.0 * log_inv_delta)",
                ),
            ),
        ),
        ("oful",),
    ),
    Mutant(
        "ucb1-no-exploration",
        "UCB1's index is the empirical mean: the exploration term sqrt(c ln n / n_j) is "
        "dropped (greedy after one pull per arm).",
        (
            _patch(
                "algorithms.bandits.ucb1._ucb1_kernel",
                _probe_ucb1,
                (
                    "index[j] = averages[j] + np.sqrt(c_log_t * inverse_counts[j])",
                    "index[j] = averages[j]",
                ),
            ),
        ),
        ("ucb1", "lai-robbins"),
    ),
    Mutant(
        "kl-ucb-reverse-divergence",
        "KL-UCB's Newton solve uses d(q, p) instead of d(p, q) (arguments of the "
        "Bernoulli divergence swapped), so the index solves the wrong equation.",
        (
            _patch(
                "algorithms.bandits.kl_ucb._newton_down",
                _probe_kl_newton,
                ("f = bernoulli_kl(p, q) - target", "f = bernoulli_kl(q, p) - target"),
            ),
        ),
        ("kl-ucb",),
    ),
    Mutant(
        "thompson-gaussian-variance",
        "Gaussian Thompson sampling draws with standard deviation s2 / (k + s2), the "
        "posterior variance, instead of its square root: the posterior is too narrow.",
        (
            _patch(
                "algorithms.bandits.thompson.gaussian_choice",
                _probe_thompson_gaussian,
                ("np.sqrt(sigma2 / denominator)", "(sigma2 / denominator)"),
            ),
        ),
        ("thompson",),
    ),
    Mutant(
        "thompson-beta-swapped",
        "Bernoulli Thompson sampling draws Beta(F + 1, S + 1): successes and failures "
        "swapped in the posterior.",
        (
            _patch(
                "algorithms.bandits.thompson.beta_bernoulli_choice",
                _probe_thompson_bernoulli,
                (
                    "rng.beta(successes[i] + 1.0, failures[i] + 1.0)",
                    "rng.beta(failures[i] + 1.0, successes[i] + 1.0)",
                ),
            ),
        ),
        ("thompson",),
    ),
    Mutant(
        "pevi-penalty-sign",
        "PEVI adds the penalty beta ||phi||_{Lambda^{-1}} instead of subtracting it "
        "(optimism in place of pessimism), in the fit and in the compiled prefix curves.",
        (
            _patch(
                "algorithms.offline.pevi.backup._greedy_stage",
                _probe_pevi_greedy_stage,
                ("q = means[n] - beta * widths_h[n]", "q = means[n] + beta * widths_h[n]"),
            ),
            _patch(
                "algorithms.offline.pevi.backup._backward",
                _probe_pevi_backward,
                ("estimate[h] - beta * widths[h]", "estimate[h] + beta * widths[h]"),
            ),
        ),
        ("pevi",),
    ),
    Mutant(
        "softmax-pg-step-sign",
        "Softmax policy gradient on bandits steps theta - eta grad instead of theta + "
        "eta grad (descent on the value).",
        (
            _patch(
                "algorithms.policy_gradient._softmax_kernels.bandit_trajectories",
                _probe_softmax_bandit,
                (
                    "theta[a] += step * p[a] * (rr[a] - mean)",
                    "theta[a] -= step * p[a] * (rr[a] - mean)",
                ),
            ),
        ),
        ("softmax-pg",),
    ),
    Mutant(
        "reinforce-score-without-baseline-term",
        "Stochastic gradient bandit (REINFORCE) uses e_a R instead of (e_a - pi) R as the "
        "score-function estimate: the -pi term of grad log softmax is forgotten.",
        (
            _patch(
                "algorithms.policy_gradient._sampled.sampled_kernel",
                _probe_sampled,
                ("g = (hit - p) * reward", "g = hit * reward"),
            ),
        ),
        ("gradient-bandit",),
    ),
    Mutant(
        "npg-entropy-step-missing-horizon",
        "Entropy-regularised NPG on MDPs steps (1 - eta tau / (1 - gamma)) log pi + eta Q "
        "instead of ... + eta / (1 - gamma) Q: the fixed point is the softmax at the "
        "wrong temperature.",
        (
            _patch(
                "algorithms.policy_gradient.npg._npg_mdp_kernel",
                _probe_npg_mdp,
                (
                    "theta = (1.0 - alpha) * logp + eta / (1.0 - gamma) * Q",
                    "theta = (1.0 - alpha) * logp + eta * Q",
                ),
            ),
        ),
        ("npg",),
    ),
    Mutant(
        "icvar-rm-alpha-complement",
        "ICVaR-RM plans with the empirical CVaR at level 1 - alpha instead of alpha "
        "(alpha <-> 1 - alpha confusion).",
        (
            _patch(
                "algorithms.risk.icvar_rm._plan",
                _probe_icvar_plan,
                (
                    "cvar_sorted_row(counts[s, a], n, next_value, order, alpha)",
                    "cvar_sorted_row(counts[s, a], n, next_value, order, 1.0 - alpha)",
                ),
            ),
        ),
        ("icvar",),
    ),
    Mutant(
        "cvar-alpha-complement",
        "cvar(values, p, alpha) averages the worst 1 - alpha fraction instead of the worst "
        "alpha fraction (alpha <-> 1 - alpha).",
        (
            _patch(
                "mdptheory.risk.measures.cvar",
                _probe_cvar,
                ("m, _ = _var_index(sp, alpha)", "m, _ = _var_index(sp, 1.0 - alpha)"),
                ("x - sv[:m]) / alpha)", "x - sv[:m]) / (1.0 - alpha))"),
            ),
        ),
        ("cvar",),
    ),
    Mutant(
        "value-iteration-certificate",
        "Value iteration certifies gamma ||V_{k+1} - V_k|| instead of gamma / (1 - gamma) "
        "||V_{k+1} - V_k||: it stops early with a bound that is too small.",
        (
            _patch(
                "mdptheory.planning.value_iteration",
                _probe_value_iteration,
                ("factor = gamma / (1.0 - gamma)", "factor = gamma"),
            ),
        ),
        ("planning",),
    ),
    Mutant(
        "bellman-gamma-squared",
        "The Bellman optimality backup discounts by gamma^2: Q = R + gamma^2 P V.",
        (
            _patch(
                "mdptheory.planning.bellman_optimality",
                _probe_bellman,
                ("mdp.gamma * mdp.expect(V)", "mdp.gamma ** 2 * mdp.expect(V)"),
            ),
        ),
        ("planning",),
    ),
    Mutant(
        "backward-induction-stage-off-by-one",
        "Backward induction backs up V_h instead of V_{h+1}: Q_h = R_h + P_h V_h, "
        "where V_h is still zero (the planner is myopic).",
        (
            _patch(
                "mdptheory.planning.backward_induction",
                _probe_backward_induction,
                (
                    "Q[h] = mdp.R[h] + mdp.expect(V[h + 1], h)",
                    "Q[h] = mdp.R[h] + mdp.expect(V[h], h)",
                ),
            ),
        ),
        ("planning", "pevi", "icvar"),
    ),
    Mutant(
        "evi-l1-full-radius",
        "Extended value iteration's inner maximisation (Figure 2) adds the whole L1 radius d "
        "to the best state instead of d / 2, so the optimistic kernel leaves the L1 ball.",
        (
            _patch(
                "algorithms.average_reward.evi.l1_inner_max",
                _probe_l1_inner_max,
                ("p[top] = min(1.0, p_hat[top] + 0.5 * d)", "p[top] = min(1.0, p_hat[top] + d)"),
            ),
        ),
        ("evi",),
    ),
    Mutant(
        "evi-sort-ascending",
        "Extended value iteration sorts the next states by increasing u: the inner "
        "maximisation pours the extra mass onto the worst state (a pessimistic planner).",
        (
            _patch(
                "algorithms.average_reward.evi.descending_order",
                _probe_descending_order,
                ('np.argsort(-u, kind="mergesort")', 'np.argsort(u, kind="mergesort")'),
            ),
        ),
        ("evi",),
    ),
    Mutant(
        "ucrl2-kernel-radius-without-S",
        "UCRL2's L1 radius sqrt(14 log(2 A t_k / delta) / N+) instead of sqrt(14 S log(2 A "
        "t_k / delta) / N+): the factor S of Figure 1 is dropped, the plausible set is "
        "sqrt(S) times too small.",
        (
            _patch(
                "algorithms.average_reward.ucrl2._plan",
                _probe_ucrl2_plan,
                (
                    "scale * math.sqrt(14.0 * S * log_p / n_plus)",
                    "scale * math.sqrt(14.0 * log_p / n_plus)",
                ),
            ),
        ),
        ("ucrl2-planner",),
    ),
    Mutant(
        "tsde-posterior-ignores-counts",
        "TSDE samples each kernel row from the prior Dirichlet(alpha) instead of the "
        "posterior Dirichlet(alpha + counts): the posterior is never updated.",
        (
            _patch(
                "algorithms.average_reward.tsde.sample_kernel",
                _probe_tsde_sample,
                ("rng.standard_gamma(alpha + counts[s, a, x])", "rng.standard_gamma(alpha)"),
            ),
        ),
        ("tsde",),
    ),
    Mutant(
        "coverability-mean-over-actions",
        "The reachability DP of max_s Pr^pi(s_h = s) averages the next-state probabilities "
        "over actions instead of maximising: it computes the uniform policy's occupancy, "
        "not the sup over policies (stationary kernels).",
        (
            _patch(
                "mdptheory.diagnostics.coverability.max_state_occupancy",
                _probe_max_state_occupancy,
                (
                    "W = np.asarray(mdp.P_matrix(0) @ W).reshape(S, A, S).max(axis=1)",
                    "W = np.asarray(mdp.P_matrix(0) @ W).reshape(S, A, S).mean(axis=1)",
                ),
            ),
        ),
        ("coverability",),
    ),
    Mutant(
        "robust-tv-l1-radius",
        "The TV ball's walk moves mass 2 rho instead of rho: the radius is read as an L1 "
        "distance while the set is defined with the factor 1/2 (a convention slip).",
        (
            _patch(
                "mdptheory.robust._kernels.tv_row",
                _probe_tv_row,
                ("    budget = rho\n", "    budget = 2.0 * rho\n"),
            ),
        ),
        ("robust",),
    ),
    Mutant(
        "robust-kl-penalty-sign",
        "The KL penalty's closed form -lam log E_p exp(-V / lam) with the sign of the log "
        "term flipped: the adversary's value rises above the nominal one.",
        (
            _patch(
                "mdptheory.robust._kernels.kl_penalty_row",
                _probe_kl_penalty_row,
                ("return v_min - lam * log_z", "return v_min + lam * log_z"),
            ),
        ),
        ("robust",),
    ),
    Mutant(
        "caratheodory-wrong-direction",
        "Caratheodory's reduction moves the weights along the null vector in the wrong "
        "direction: V(rho) changes, and a weight is set to 0 that should not be.",
        (
            _patch(
                "mdptheory.optimal_design.reduce_support",
                _probe_reduce_support,
                ("rho[chosen] -= ratios[j] * null", "rho[chosen] += ratios[j] * null"),
            ),
        ),
        ("optimal-design",),
    ),
    Mutant(
        "ipo-target-one-over-tau",
        "IPO's regression target 1/tau instead of 1/(2 tau) (Azar et al. 2024, eq. for the "
        "IPO loss (h - tau^-1 / 2)^2): the exact minimiser moves twice as far from pi_ref.",
        (
            _patch(
                "mdptheory.preferences.ipo.ipo_minimiser",
                _probe_ipo_minimiser,
                ("c = 0.5 / tau", "c = 1.0 / tau"),
            ),
        ),
        ("ipo",),
    ),
    Mutant(
        "vw-pevi-weights-times-variance",
        "Variance-weighted PEVI multiplies each sample by its estimated variance instead of "
        "dividing by it (LinPEVI-ADV+ step 3, Sigma_h = sum phi phi^T / sigma2 + lam I): the "
        "noisiest pairs get the most weight and the smallest penalty.",
        (
            _patch(
                "algorithms.offline.vw_pevi.variance.weighted_counts",
                _probe_weighted_counts,
                ("w = 1.0 / sigma2.ravel()", "w = sigma2.ravel()"),
            ),
        ),
        ("vw-pevi",),
    ),
    Mutant(
        "discretised-budget-rounded-down",
        "The discretised CVaR planner rounds the budget left down instead of up (ceil(r / eta) "
        "grid steps instead of floor): the planner is optimistic and its error bound fails.",
        (
            _patch(
                "mdptheory.risk.discretised.budget_steps",
                _probe_budget_steps,
                (
                    'raw = np.floor(units) if rounding == "up" else np.ceil(units)',
                    'raw = np.ceil(units) if rounding == "up" else np.floor(units)',
                ),
            ),
        ),
        ("planner",),
    ),
    Mutant(
        "cvar-ucbvi-pessimistic-bonus",
        "CVaR-UCBVI's Hoeffding bonus is added to the expected shortfall instead of "
        "subtracted: a visited pair looks worse the less it is known, and exploration stops.",
        (
            _patch(
                "algorithms.risk.cvar_ucbvi._plan",
                _probe_cvar_ucbvi_plan,
                (
                    "bonus[row] = bonus_constant / math.sqrt(n)",
                    "bonus[row] = -bonus_constant / math.sqrt(n)",
                ),
            ),
        ),
        ("cvar-ucbvi",),
    ),
    Mutant(
        "icvar-l-risk-level-dropped",
        "ICVaR-L's backup takes the CVaR at level 1 (the mean) instead of alpha: the "
        "learner is risk-neutral LSVI-UCB on the CVaR objective.",
        (
            _patch(
                "algorithms.risk.icvar_l._plan",
                _probe_icvar_l_plan,
                (
                    "sup_form_cvar(E, xs, alpha, bonus, backup)",
                    "sup_form_cvar(E, xs, 1.0, bonus, backup)",
                ),
            ),
        ),
        ("icvar-l",),
    ),
    Mutant(
        "em-warm-start-keeps-zeros",
        "The EM warm start of the feature MLE is not lifted off zero: a transition first seen "
        "after the last call keeps probability 0 under every candidate that put 0 there, so "
        "the true features (exact zeros where data were missing) score -inf for ever.",
        (
            _patch(
                "algorithms.risk.feature_selection.em_steps",
                _probe_em_steps,
                (
                    "mu[i, t] = (mu[i, t] + WARM_FLOOR) / (1.0 + S * WARM_FLOOR)",
                    "mu[i, t] = mu[i, t]",
                ),
            ),
        ),
        ("mle",),
    ),
    Mutant(
        "s-rectangular-lp-l1-budget",
        "The s-rectangular policy LP prices the budget as an L1 distance (lam instead of lam / 2 "
        "in the dual constraints): nature's set doubles, the LP's values fall below the robust "
        "values and the policy it returns is no longer optimal.",
        (
            _patch(
                "mdptheory.robust.s_rectangular_policy._policy_program",
                _probe_s_rectangular_program,
                (
                    "pi_v + lam_rows / 2 + nu_rows >= 0,\n        -pi_v + lam_rows / 2 - nu_rows",
                    "pi_v + lam_rows + nu_rows >= 0,\n        -pi_v + lam_rows - nu_rows",
                ),
            ),
        ),
        ("s-rectangular",),
    ),
    Mutant(
        "async-lsvi-download-skipped",
        "Async-Coop-LSVI-UCB uploads but the download copies nothing back: each agent keeps "
        "acting on its own data only (M independent learners that still count messages).",
        (
            _patch(
                "algorithms.multi_agent.async_lsvi._synchronise",
                _probe_async_synchronise,
                (
                    "    agents.Lambda[m][:] = server.Lambda\n"
                    "    agents.Lambda_inv[m][:] = server.Lambda_inv\n"
                    "    agents.width2[m][:] = server.width2\n"
                    "    agents.b[m][:] = server.b\n"
                    "    agents.Mnext[m][:] = server.M\n"
                    "    agents.log_det[m][:] = server.log_det\n"
                    "    agents.n_updates[m][:] = server.n_updates\n"
                    "    agents.log_det_download[m][:] = server.log_det\n",
                    "    agents.log_det_download[m][:] = agents.log_det[m]\n",
                ),
            ),
        ),
        ("multi-agent",),
    ),
    Mutant(
        "mappo-update-downhill",
        "MAPPO's local update steps log pi^i - eta Q_{1:i} instead of + eta Q_{1:i}: every "
        "agent moves away from its localised action value, the joint return falls.",
        (
            _patch(
                "algorithms.multi_agent.mappo.mappo_update",
                _probe_mappo_update,
                ("logps[i] + eta * Qs[i + 1]", "logps[i] - eta * Qs[i + 1]"),
            ),
        ),
        ("mappo",),
    ),
    Mutant(
        "multi-agent-pdl-old-occupancy",
        "The multi-agent performance difference weighs the localised advantages by the old "
        "policy's occupancy d^pi instead of the new policy's d^{pi'}.",
        (
            _patch(
                "mdptheory.games.advantage.multi_agent_performance_difference",
                _probe_multi_agent_pdl,
                (
                    "occupancy(game.joint, joint_policy(game, new_policies), initial)",
                    "occupancy(game.joint, joint_policy(game, policies), initial)",
                ),
            ),
        ),
        ("games",),
    ),
    Mutant(
        "lsvi-ucb-pp-bonus-sign",
        "LSVI-UCB++'s optimistic Q subtracts the bonus beta ||phi||_(Sigma^-1) instead of "
        "adding it (He et al. 2023, Algorithm 1 line 10): the learner acts on a pessimistic "
        "estimate and stops exploring.",
        (
            _patch(
                "algorithms.linear.lsvi_ucb_pp._replan_stage",
                _probe_lsvi_ucb_pp_replan,
                ("st.means[n] + beta * width", "st.means[n] - beta * width"),
            ),
        ),
        ("lsvi-ucb++",),
    ),
    Mutant(
        "r2pvi-nominal-duals",
        "R2PVI regresses the nominal target V_hat(s') instead of the regularised dual target "
        "(e.g. min{V_hat, min V_hat + lam} for TV): the pessimistic backup of PEVI with the "
        "diagonal penalty, which heads for the nominal optimum.",
        (
            _patch(
                "algorithms.offline.robust._common.backward",
                _probe_robust_backward,
                (
                    "nus[h] = coordinate_duals(reg.M, V[h + 1], h)",
                    "nus[h] = reg.M @ V[h + 1]",
                ),
            ),
        ),
        ("robust-offline",),
    ),
    Mutant(
        "mdvi-kl-correction-dropped",
        "MDVI's value v_k = w_k instead of w_k - alpha w_{k-1} (Kozuno et al. 2022, Algorithm 1): "
        "the KL term's correction is lost and v_k grows as 1 / (1 - alpha) times the value.",
        (
            _patch(
                "algorithms.generative._mdvi.run_mdvi",
                _probe_run_mdvi,
                ("v = w - alpha * w_previous", "v = w - 0.0 * w_previous"),
            ),
        ),
        ("mdvi",),
    ),
    Mutant(
        "vwls-variance-never-weights",
        "VWLS-MDVI's weights f^2 = max(0 * sigma_hat^2, floor): the estimated variance never "
        "reaches the regression, which is then LS-MDVI's with a third of the budget spent "
        "elsewhere (Kitamura et al. 2023, the variance-weighting step).",
        (
            _patch(
                "algorithms.generative.vwls_mdvi.variance_weights",
                _probe_variance_weights,
                ("np.maximum(variance, floor)", "np.maximum(0.0 * variance, floor)"),
            ),
        ),
        ("vwls-mdvi",),
    ),
    Mutant(
        "maxinp-confidence-term-subtracted",
        "MaxInP keeps arm i in C_t only when (x_i - x_j)^T theta_t - beta_t |x_i - x_j| >= 0 "
        "for every j: the confidence term is subtracted instead of added, so arms are ruled "
        "out on noise (C_t empty early on, the kernel then plays the last arm).",
        (
            _patch(
                "algorithms.preferences.maxinp.eliminate",
                _probe_eliminate,
                (
                    "u[a] - u[b] + beta * width[a, b] < 0.0",
                    "u[a] - u[b] - beta * width[a, b] < 0.0",
                ),
            ),
        ),
        ("dueling",),
    ),
    Mutant(
        "pr-lsvi-label-sign-flipped",
        "PR-LSVI's preference labels drawn with sigma(r*(tau^0) - r*(tau^1)) instead of "
        "sigma(r*(tau^1) - r*(tau^0)): the learner fits the negated reward.",
        (
            _patch(
                "algorithms.preferences.pr_lsvi._pr_lsvi_kernel",
                _probe_pr_lsvi_kernel,
                ("p = _sigmoid(np.dot(z, theta_star))", "p = _sigmoid(-np.dot(z, theta_star))"),
            ),
        ),
        ("pbrl",),
    ),
    Mutant(
        "ucrl-vtr-target-stage",
        "UCRL-VTR's regression target V_{k,h}(s_{h+1}) instead of V_{k,h+1}(s_{h+1}): the "
        "targets come from the wrong stage, so theta_k is biased and leaves the confidence "
        "ellipsoid of Theorem 1 (Ayoub et al. 2020).",
        (
            _patch(
                "algorithms.mixture.ucrl_vtr._episodes",
                _probe_vtr_episodes,
                ("state.V[h + 1, states[h + 1]]", "state.V[h, states[h + 1]]"),
            ),
        ),
        ("ucrl-vtr",),
    ),
    Mutant(
        "hf-rfe-target-current-state",
        "The reward-free mixture regression adds phi(s_h | s_h, a_h) instead of "
        "phi(s_{h+1} | s_h, a_h) to b: the indicator targets point at the current state, so "
        "the estimated mixture is wrong and the planning phase is not eps-optimal.",
        (
            _patch(
                "algorithms.reward_free.hf_rfe._explore",
                _probe_hf_rfe_explore,
                ("state.b[i] += basis2[i, r, nxt]", "state.b[i] += basis2[i, r, states[h]]"),
            ),
        ),
        ("reward-free",),
    ),
    Mutant(
        "hf-ucrl-rfe-no-pseudo-reward",
        "HF-UCRL-RFE plans its exploration values without the pseudo-reward: U starts at 0, "
        "the bonus of a zero value feature is 0, so U stays 0, nothing is learned and the "
        "planner's value error never decreases.",
        (
            _patch(
                "algorithms.reward_free.hf_ucrl_rfe._plan",
                _probe_hf_ucrl_rfe_plan,
                ("q = pseudo + mean + radius * width", "q = mean + radius * width"),
            ),
        ),
        ("reward-free",),
    ),
    Mutant(
        "link-wald-radius-lower-quantile",
        "The Wald region of the link MLE takes its radius from the lower delta-quantile "
        "chi2_d(delta) instead of chi2_d(1 - delta): a region that covers theta* with "
        "probability about delta instead of 1 - delta.",
        (
            _patch(
                "algorithms.preferences.link_mle.wald_region",
                _probe_wald_region,
                ("chi2.ppf(1.0 - delta, d)", "chi2.ppf(delta, d)"),
            ),
        ),
        ("link-mle",),
    ),
    Mutant(
        "contextual-maxinp-first-context-utilities",
        "Contextual MaxInP scores the arms of every round with the first context's features "
        "(u = X[:K] theta_t instead of the round's context): the set of arms not ruled out, "
        "and the greedy control's pair, ignore the context.",
        (
            _patch(
                "algorithms.preferences.maxinp.choose_pair",
                _probe_choose_pair,
                ("u = Xc @ theta", "u = X[:K] @ theta"),
            ),
        ),
        ("contextual",),
    ),
    Mutant(
        "hf-lsvi-unpooled",
        "HF-LSVI keeps its level estimators per stage although the kernel is stationary: the "
        "block of stage h is h instead of 0, so each stage regresses on its own K "
        "observations instead of the K H pooled ones (Zhang et al. 2024, reconstruction).",
        (
            _patch(
                "algorithms.linear.horizon_free_lsvi._block",
                _probe_hf_lsvi_block,
                ("return 0 if pooled else h", "return h"),
            ),
        ),
        ("hf-lsvi",),
    ),
    Mutant(
        "icvar-l-bonus-sign-flipped",
        "ICVaR-L's elliptical bonus is added to the estimated shortfall instead of subtracted: "
        "a corner of the hard instance's linear bandit looks worse the less it is known, and "
        "the learner keeps the first one it tried.",
        (
            _patch(
                "algorithms.risk.icvar_l._plan",
                _probe_icvar_l_plan,
                (
                    "bonus[n] = beta * math.sqrt(max(width2[h, n], 0.0))",
                    "bonus[n] = -beta * math.sqrt(max(width2[h, n], 0.0))",
                ),
            ),
        ),
        ("icvar-l",),
    ),
    Mutant(
        "lowrank-cvar-ucb-bonus-over-tau",
        "The low-rank CVaR-UCB's elliptical bonus is divided by the risk level tau before it "
        "enters the shortfall, which the CVaR divides by tau again: the optimism grows like "
        "tau^-2 and the regret at small tau with it.",
        (
            _patch(
                "algorithms.risk.lowrank_cvar_ucb._plan",
                _probe_lowrank_cvar_plan,
                (
                    "bonus[n] = beta * math.sqrt(max(width2[h, n], 0.0))",
                    "bonus[n] = beta / alpha * math.sqrt(max(width2[h, n], 0.0))",
                ),
            ),
        ),
        ("lowrank",),
    ),
    Mutant(
        "icvar-hf-refit-once",
        "ICVaR-HF fits its Bradley-Terry reward to the first comparison only and never refits: "
        "its reward estimate rests on one label while its reward bonus shrinks with every "
        "comparison.",
        (
            _patch(
                "algorithms.risk.icvar_hf.add_comparison",
                _probe_icvar_hf_add_comparison,
                ("if counters[1] > 0:  # refit", "if counters[1] == 1:  # refit"),
            ),
        ),
        ("icvar-hf",),
    ),
    Mutant(
        "drpvi-kl-ball-grid-argmin",
        "DRPVI-KL's coordinate dual keeps the grid point with the least dual value instead of "
        "the greatest before its Newton refinement: the search lands on the wrong side of the "
        "dual, so the estimated inner values are far below the ball's infimum.",
        (
            _patch(
                "algorithms.offline.robust._ball_duals._kl_duals",
                _probe_drpvi_kl_duals,
                ("if f > best_f:", "if best_k < 0 or f < best_f:"),
            ),
        ),
        ("drpvi",),
    ),
    Mutant(
        "va-drpvi-multiplied-weights",
        "VA-DRPVI multiplies each row of its ridge regression by the estimated variance "
        "sigma2_h(s, a) instead of dividing by it: the noisiest pairs weigh most in Lambda_h "
        "and in the robust targets, the opposite of the variance weighting.",
        (
            _patch(
                "algorithms.offline.robust.va_drpvi.variance_weighted_counts",
                _probe_weighted_counts,
                (
                    "weighted_counts(regression, sigma2)",
                    "weighted_counts(regression, 1.0 / sigma2)",
                ),
            ),
        ),
        ("va-drpvi",),
    ),
    Mutant(
        "drpvi-chi2-ball-radius-unrooted",
        "The chi-square ball's coordinate dual subtracts rho sqrt(Var) instead of sqrt(rho Var) "
        "(the radius enters without its square root): at rho = 0.1 the adversary's penalty "
        "is about 3x too small, so the estimated inner values lie above the ball's infimum.",
        (
            _patch(
                "algorithms.offline.robust._ball_duals.chi2_ball_dual",
                _probe_drpvi_chi2_duals,
                (
                    "g = total * shift + a + b * x - np.sqrt(rho * var)",
                    "g = total * shift + a + b * x - rho * np.sqrt(var)",
                ),
            ),
        ),
        ("va-drpvi",),
    ),
    Mutant(
        "hf-ucrl-rfe-directed-target-is-u",
        "HF-UCRL-RFE's second regression sample of each step uses the exploration value "
        "U_{h+1} again instead of the uncertainty-directed target W: value targets alone, so on "
        "the two-sided lower-bound family U(good) = U(bad), the sign directions of mu are never "
        "learned and planning for the indicator of good or of bad stays wrong.",
        (
            _patch(
                "algorithms.reward_free.hf_ucrl_rfe._explore",
                _probe_hf_ucrl_rfe_explore,
                (
                    "moment_features(basis2, r, home.target, states[h + 1], home.X, home.y)",
                    "moment_features(basis2, r, home.U[h + 1], states[h + 1], home.X, home.y)",
                ),
            ),
        ),
        ("reward-free",),
    ),
    Mutant(
        "lsvi-ucb-pp-radius-times-sqrt-d",
        "LSVI-UCB++'s optimistic radius beta carries an extra sqrt(d), c sqrt(d) (H sqrt(d "
        "lambda) + sqrt(d) L), the order d of LSVI-UCB's radius instead of sqrt(d) (He et al. "
        "2023, the d sqrt(d) gap of LSVI-UCB): exploration pays d sqrt(d) again.",
        (
            _patch(
                "algorithms.linear.lsvi_ucb_pp.lsvi_ucb_pp_radii",
                _probe_lsvi_ucb_pp_radii,
                (
                    "c * (H * base + math.sqrt(d) * L),",
                    "math.sqrt(d) * c * (H * base + math.sqrt(d) * L),",
                ),
            ),
        ),
        ("lsvi-ucb++",),
    ),
    Mutant(
        "robust-tv-walk-l1-radius",
        "The TV ball's walk from a guessed cut (the backups' kernel) moves mass 2 rho instead "
        "of rho: the radius read as an L1 distance in the fast path only.",
        (
            _patch(
                "mdptheory.robust._kernels.tv_cut_row",
                _probe_tv_cut_row,
                ("    budget = rho\n", "    budget = 2.0 * rho\n"),
            ),
        ),
        ("robust",),
    ),
    Mutant(
        "robust-chi2-walk-second-moment",
        "The chi-square walk drops a factor V from the second moment of each atom it moves "
        "from the lower part to the tail: the lower part's variance is wrong below the start.",
        (
            _patch(
                "mdptheory.robust._kernels.chi2_walk_row",
                _probe_chi2_walk_row,
                ("        a2 -= xv * Vc[j]\n", "        a2 -= xv\n"),
            ),
        ),
        ("robust",),
    ),
    Mutant(
        "reachable-evaluation-last-stage-unchecked",
        "The shortcut of the exact per-episode evaluation compares the new policy with the last "
        "evaluated one over stages 1..H-1 only (range(H - 1)): a policy that changes only at "
        "the last stage is credited with the previous policy's value, so the recorded "
        "pseudo-regret V*_1(rho) - V^{pi_k}_1(rho) of such episodes is wrong (the exactness "
        "RegretTrace promises).",
        (
            _patch(
                "mdptheory._kernels.first_difference",
                _probe_first_difference,
                (
                    "    for h in range(H):\n        # Whether the stage differs",
                    "    for h in range(H - 1):\n        # Whether the stage differs",
                ),
            ),
        ),
        ("ucbvi",),
    ),
    Mutant(
        "occupancy-untransposed-solve",
        "The discounted occupancy solves (I - gamma P_pi) d = rho instead of (I - gamma "
        "P_pi)^T d = rho (the transpose is forgotten): d is no longer the discounted state "
        "visitation from rho, though it still sums to 1 / (1 - gamma) when P_pi is doubly "
        "stochastic. Breaks the performance-difference identity (Kakade & Langford 2002, "
        "Lemma 6.1) and the LP dual's x = occupancy(pi*) (Puterman 1994, section 6.9).",
        (
            _patch(
                "mdptheory.evaluation.occupancy",
                _probe_occupancy,
                (
                    "_solve_discounted(mdp, P_pi, rho, transpose=True)",
                    "_solve_discounted(mdp, P_pi, rho)",
                ),
            ),
        ),
        ("identity", "lp"),
    ),
    Mutant(
        "lin-spg-gradient-without-baseline",
        "Exact Lin-SPG steps theta + eta X^T (pi * r) instead of theta + eta X^T (diag(pi) - pi "
        "pi^T) r: the -pi pi^T r term of the softmax Jacobian is forgotten, so the update is "
        "not the gradient of pi_theta^T r (Mei et al. 2023) and with positive rewards pushes "
        "every played arm up in proportion to pi(a) r(a).",
        (
            _patch(
                "algorithms.policy_gradient.lin_spg._exact_kernel",
                _probe_lin_spg_exact,
                (
                    "theta + eta * (X.T @ (p * (r - p @ r)))",
                    "theta + eta * (X.T @ (p * r))",
                ),
            ),
        ),
        ("conditions",),
    ),
    Mutant(
        "ipo-learner-target-one-over-tau",
        "The IPO learner's loss regresses h_ij on 1/tau instead of 1/(2 tau) (Azar et al. "
        "2024, eq. 17): the gradient descent converges to a policy whose log-ratios are twice "
        "the exact minimiser's, while the exact minimiser itself is right.",
        (
            _patch(
                "algorithms.preferences._kernel.pair_loss",
                _probe_pair_loss,
                ("terms = (h - 0.5 / strength) ** 2", "terms = (h - 1.0 / strength) ** 2"),
            ),
        ),
        ("ipo",),
    ),
    Mutant(
        "bt-curvature-floor-sigma-squared",
        "The curvature floor kappa of the Bradley-Terry confidence set takes sigma(z)^2 "
        "instead of sigma'(z) = sigma(z) sigma(-z): kappa >= 1/4, above the curvature "
        "sigma' <= 1/4 on the segment from theta* to theta_hat, so it is no lower bound and "
        "the radius (noise + sqrt(lam) B) / kappa is too small (median semi-axis 1.67 "
        "instead of 2.18 at n = 1e3), yet the set still covers theta* in every seed of the "
        "coverage check; the exact check of the floor against the segment kills it.",
        (
            _patch(
                "algorithms.preferences.bt_mle.curvature_floor",
                _probe_curvature_floor,
                (
                    "return float(np.min(expit(z) * expit(-z)))",
                    "return float(np.min(expit(z) * expit(z)))",
                ),
            ),
        ),
        ("bradley-terry",),
    ),
    Mutant(
        "categorical-projection-weights-swapped",
        "The categorical projection onto the grid (Bellemare, Dabney, Munos 2017, eq. (7)) "
        "gives an atom's mass (1 - frac) to the upper neighbour and frac to the lower one "
        "instead of the reverse: the projected distribution no longer keeps the mean.",
        (
            _patch(
                "mdptheory.risk.distribution._project",
                _probe_project,
                ("lower, weights=p * (1.0 - frac)", "lower, weights=p * frac"),
                ("upper, weights=p * frac", "upper, weights=p * (1.0 - frac)"),
            ),
        ),
        ("distributional",),
    ),
    Mutant(
        "static-cvar-augmented-missing-one-over-alpha",
        "The augmented-state static-CVaR planner maximises c - E[(c - G)^+] instead of c - "
        "E[(c - G)^+] / alpha (Rockafellar-Uryasev; Bauerle & Ott 2011): the 1/alpha is "
        "dropped, so the chosen threshold and policy optimise the wrong objective and the "
        "reported value is not CVaR_alpha.",
        (
            _patch(
                "mdptheory.risk.static.static_cvar_optimum",
                _probe_static_cvar,
                ("objective = X - start / alpha", "objective = X - start"),
            ),
        ),
        ("brute-force",),
    ),
    Mutant(
        "sqirl-frontier-one-stage-late",
        "SQIRL regresses the random policy's return-to-go at stage i + k instead of i + k - 1 "
        "(Laidlaw et al. 2023): the lookahead is k + 1 stages, so SQIRL with k = k* - 1 "
        "already finds the optimal policy and the k-versus-k* threshold moves by one.",
        (
            _patch(
                "algorithms.effective_horizon.sqirl._run",
                _probe_sqirl_run,
                (
                    "frontier = min(stage + k - 1, H - 1)",
                    "frontier = min(stage + k, H - 1)",
                ),
            ),
        ),
        ("sqirl",),
    ),
    Mutant(
        "effective-horizon-qvi-one-backup-too-many",
        "The effective horizon's iterates Q^k apply the Bellman optimality backup k times to "
        "Q^{pi_rand} instead of k - 1 (Laidlaw et al. 2023, the definition of k*): every Q^k "
        "is the paper's Q^{k+1}, so k* comes out one too small.",
        (
            _patch(
                "mdptheory.diagnostics.effective_horizon.qvi_iterates",
                _probe_qvi_iterates,
                (
                    "for _ in range(min(int(k), mdp.H) - 1):",
                    "for _ in range(min(int(k), mdp.H)):",
                ),
            ),
        ),
        ("effective-horizon",),
    ),
    Mutant(
        "bisimulation-reward-difference-signed",
        "The bisimulation operator uses the signed reward difference c_R (r(s, a) - r(t, a)) "
        "instead of its absolute value (Ferns et al. 2004), in the full application and in "
        "the affine map of the evaluation steps alike: for a pair whose first state has "
        "the lower rewards the distance can fall below the value gap or below 0, and "
        "c_R |V*(s) - V*(t)| <= d(s, t) fails.",
        (
            _patch(
                "mdptheory.diagnostics.bisimulation._apply_kernel",
                _probe_bisimulation_apply,
                (
                    "value = c_R * abs(R[i, a] - R[j, a]) + c_T * cost",
                    "value = c_R * (R[i, a] - R[j, a]) + c_T * cost",
                ),
            ),
            _patch(
                "mdptheory.diagnostics.bisimulation._affine_kernel",
                _probe_bisimulation_affine,
                ("b[p] = c_R * abs(R[i, a] - R[j, a])", "b[p] = c_R * (R[i, a] - R[j, a])"),
            ),
        ),
        ("bisimulation",),
    ),
    Mutant(
        "lin-npg-projection-without-gram-inverse",
        "The Lin-NPG condition projects the rewards with w = X^T r instead of the least-squares "
        "(X^T X)^-1 X^T r (the Gram inverse is dropped): r_hat = X X^T r, whose argmax is not "
        "that of the projection Mei et al. (2023), result (i), speak of, so the predicted "
        "convergence disagrees with the learner's.",
        (
            _patch(
                "mdptheory.policy_conditions.projected_rewards",
                _probe_projected_rewards,
                ("w, *_ = np.linalg.lstsq(X, r, rcond=None)", "w = X.T @ r"),
            ),
        ),
        ("iff",),
    ),
    Mutant(
        "td-mse-reach-unsquared",
        "The asymptotic MSE of batch TD sums M_{h->h'}(s, x) sigma^2(x) / p(x) instead of "
        "M_{h->h'}(s, x)^2 sigma^2(x) / p(x): the square of the reach probability is dropped, "
        "so the predicted MSE_td and the pooling coefficient C(s) (Cheikhi & Russo 2023) are "
        "too large wherever trajectories spread.",
        (
            _patch(
                "mdptheory.diagnostics.td_vs_mc._reach_squares",
                _probe_reach_squares,
                ("out[h] += (reach**2) @ weight[later]", "out[h] += reach @ weight[later]"),
            ),
        ),
        ("td-vs-mc",),
    ),
    Mutant(
        "lowrank-cvar-mle-plan-stage-off-by-one",
        "The MLE low-rank CVaR learner's backward pass backs up the values W_h of the same "
        "stage (left over from the previous episode) instead of W_{h+1}: E_phi[W] is taken "
        "one stage early, so the optimistic shortfall is not the one of the chosen model.",
        (
            _patch(
                "algorithms.risk.lowrank_cvar_mle._plan",
                _probe_lowrank_mle_plan,
                ("EW = features @ (mu @ W[h + 1])", "EW = features @ (mu @ W[h])"),
            ),
        ),
        ("identification",),
    ),
    Mutant(
        "cvar-sorted-row-normalised-by-total",
        "The CVaR walk divides the shortfall below the VaR atom by the total weight instead of "
        "alpha times it (CVaR = x - (1/alpha) sum_i p_i (x - v_i)^+, Rockafellar & Uryasev "
        "2000): the lower tail is under-weighted by alpha, so every CVaR backup is too high.",
        (
            _patch(
                "mdptheory.risk._kernels.cvar_sorted_row",
                _probe_cvar_sorted_row,
                (
                    "return x - (below_mass * x - below_moment) / threshold\n        below_mass",
                    "return x - (below_mass * x - below_moment) / total\n        below_mass",
                ),
            ),
        ),
        ("lp", "brute-force"),
    ),
    Mutant(
        "pg-evaluation-entropy-sign",
        "The exact evaluation of the policy-gradient learners adds the entropy term, r_pi = "
        "sum_a pi (R + tau log pi), instead of subtracting it (Mei et al. 2020, Section 4; "
        "Cen et al. 2022): the regularised values reward determinism, so entropy-regularised "
        "NPG heads for a policy other than the soft optimum pi*_tau.",
        (
            _patch(
                "algorithms.policy_gradient._exact.policy_evaluation",
                _probe_pg_policy_evaluation,
                (
                    "reward = R - tau * logp if regularized else R",
                    "reward = R + tau * logp if regularized else R",
                ),
            ),
        ),
        ("entropy",),
    ),
    Mutant(
        "soft-optimum-evaluation-without-entropy",
        "The soft policy iteration that polishes the entropy-regularised optimum evaluates "
        "each softmax policy without its entropy bonus (r_pi = sum_a pi R instead of sum_a pi "
        "(R - tau log pi)): V*_tau, Q*_tau and pi*_tau, against which the entropy checks "
        "measure the learners, are those of another fixed point.",
        (
            _patch(
                "algorithms.policy_gradient._exact.soft_optimum",
                _probe_soft_optimum,
                (
                    "r_pi = np.sum(p * (R - tau * logp), axis=1)",
                    "r_pi = np.sum(p * R, axis=1)",
                ),
            ),
        ),
        ("entropy",),
    ),
    Mutant(
        "bellman-gaps-without-gain",
        "The average-reward Bellman gaps h*(s) - r(s, a) - (P h*)(s, a) leave out rho*: "
        "every gap is off by -rho*, so the gap regret recorded per step is no longer the "
        "pseudo-regret of the decomposition Regret(T) = sum_t gap(s_t, a_t) + h*(s_{T+1}) - "
        "h*(s_1) + martingale (Jaksch et al. 2010, section 4).",
        (
            _patch(
                "mdptheory.average_reward.gain_bias.bellman_gaps",
                _probe_bellman_gaps,
                ("gaps = solution.gain + h[:, None] - q", "gaps = h[:, None] - q"),
            ),
        ),
        ("identity",),
    ),
    Mutant(
        "inherent-bellman-error-undiscounted-target",
        "The inherent Bellman error of a discounted model builds its targets r + P V without "
        "the discount gamma (Zanette et al. 2020, Definition 1, with gamma P for discounted "
        "models): on Tsitsiklis and Van Roy's chain it reports 2/3 instead of 2 gamma / 3.",
        (
            _patch(
                "mdptheory.diagnostics.inherent_bellman_error.inherent_bellman_error",
                _probe_inherent_bellman_error,
                (
                    "targets = reward[:, None] + scale * np.asarray(kernel @ V)",
                    "targets = reward[:, None] + np.asarray(kernel @ V)",
                ),
            ),
        ),
        ("inherent-bellman-error",),
    ),
    Mutant(
        "episodic-evaluation-stage-zero-kernel",
        "Exact episodic policy evaluation backs up every stage through the first stage's "
        "kernel, Q_h = R_h + P_1 V_{h+1}, instead of P_h (the stage argument of expect left "
        "at 0): right on stationary kernels, wrong wherever the kernel depends on the stage.",
        (
            _patch(
                "mdptheory.evaluation._episodic_values",
                _probe_episodic_values,
                (
                    "Q[h] = mdp.R[h] + mdp.expect(V[h + 1], h)",
                    "Q[h] = mdp.R[h] + mdp.expect(V[h + 1], 0)",
                ),
            ),
        ),
        ("identity",),
    ),
    Mutant(
        "sampled-mappo-return-one-step-late",
        "Sampled MAPPO's Monte Carlo localised action values sum the discounted rewards from "
        "the step after (s, a) on, gamma R(s_1, a_1) + gamma^2 R(s_2, a_2) + ..., and drop "
        "R(s, a) itself (the return of a rollout started one step late): on the one-state "
        "climbing game every joint action gets the same estimate in expectation, so the "
        "updates carry no signal about the action taken.",
        (
            _patch(
                "algorithms.multi_agent.mappo_sampled._sampled_kernel",
                _probe_sampled_mappo,
                ("            total = total + discount * R[s, a]\n", ""),
                (
                    "            a = jax.random.categorical(k_action, logp[s])\n",
                    "            a = jax.random.categorical(k_action, logp[s])\n"
                    "            total = total + discount * gamma * R[s, a]\n",
                ),
            ),
        ),
        ("mappo",),
    ),
    Mutant(
        "contextual-maxinp-context-rows-unstrided",
        "Contextual MaxInP reads the arms of context c from rows c .. c + K - 1 of the stacked "
        "feature matrix instead of c K .. (c + 1) K - 1 (the stride K forgotten): every context "
        "but the first is scored and recorded with arms of other contexts, while the "
        "comparisons are drawn from its own utilities.",
        (
            _patch(
                "algorithms.preferences.contextual._contextual_kernel",
                _probe_contextual_kernel,
                ("Xc = X[ctx * K : (ctx + 1) * K]", "Xc = X[ctx : ctx + K]"),
            ),
        ),
        ("contextual",),
    ),
    Mutant(
        "robust-value-iteration-certificate",
        "Robust value iteration certifies gamma (||V_{k+1} - V_k|| + gap) instead of "
        "gamma / (1 - gamma) (||V_{k+1} - V_k|| + gap): it stops early, at loose tolerances, "
        "with a bound its true error exceeds by up to 1 / (1 - gamma).",
        (
            _patch(
                "mdptheory.robust.planning.robust_value_iteration",
                _probe_robust_value_iteration,
                ("factor = gamma / (1.0 - gamma)", "factor = gamma"),
            ),
        ),
        ("robust",),
    ),
)
"""The planted defects. Ids are unique; every target resolves (``tests/test_mutants.py``)."""


def get_mutant(mutant_id: str) -> Mutant:
    """The mutant of :data:`CATALOGUE` with this id (``ValueError`` naming the known ids)."""
    for mutant in CATALOGUE:
        if mutant.id == mutant_id:
            return mutant
    known = ", ".join(m.id for m in CATALOGUE)
    raise ValueError(f"no mutant with id {mutant_id!r}; known: {known}")


# ---------------------------------------------------------------------------------------------
# Applying a mutant (in the mutant's own process)
# ---------------------------------------------------------------------------------------------


def resolve(target: str, mutant_id: str = "?") -> Any:
    """The object named by the dotted ``target`` (the longest importable module prefix, then
    attributes); :class:`MutantError` ("mutant X: target a.b.c not found") otherwise."""
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            break
        return obj
    raise MutantError(f"mutant {mutant_id}: target {target} not found")


def _is_dispatcher(obj: Any) -> bool:
    try:
        from numba.core.dispatcher import Dispatcher
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return isinstance(obj, Dispatcher)


def mutated_source(patch: Patch, mutant_id: str = "?") -> tuple[Any, str]:
    """``(original object, mutated source)`` of one patch; checks each fragment occurs once."""
    original = resolve(patch.target, mutant_id)
    function = original.py_func if _is_dispatcher(original) else original
    if not isinstance(function, types.FunctionType):
        raise MutantError(
            f"mutant {mutant_id}: target {patch.target} is a "
            f"{type(original).__name__}, not a module-level function"
        )
    source = textwrap.dedent(inspect.getsource(function))
    for old, new in patch.replace:
        count = source.count(old)
        if count != 1:
            raise MutantError(
                f"mutant {mutant_id}: the code to change {old!r} occurs {count} "
                f"times in {patch.target} (expected once); the target was "
                "edited, update the catalogue"
            )
        source = source.replace(old, new)
    return original, source


def mutated_function(patch: Patch, mutant_id: str = "?") -> tuple[Any, types.FunctionType]:
    """``(original object, mutated Python function)`` of one patch.

    The mutated function is compiled from the changed source in the target module's namespace
    (its globals are the module's), without decorators and without binding it anywhere.
    """
    original, source = mutated_source(patch, mutant_id)
    function = original.py_func if _is_dispatcher(original) else original
    tree = ast.parse(source)
    definition = tree.body[0]
    if not isinstance(definition, ast.FunctionDef) or definition.name != function.__name__:
        raise MutantError(f"mutant {mutant_id}: {patch.target} is not a plain function")
    definition.decorator_list = []
    code = compile(tree, f"<mutant {mutant_id}: {patch.target}>", "exec")
    namespace: dict[str, Any] = {}
    exec(code, function.__globals__, namespace)  # the module's globals, a private local scope
    mutated = namespace[definition.name]
    mutated.__doc__ = function.__doc__
    mutated.__qualname__ = function.__qualname__
    return original, mutated


def _our_modules() -> list[types.ModuleType]:
    return [
        m
        for name, m in list(sys.modules.items())
        if isinstance(m, types.ModuleType) and name.split(".")[0] in PACKAGES
    ]


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _referenced(dispatcher: Any) -> set[int]:
    """Ids of the global objects a compiled function's code can reach by name."""
    function = dispatcher.py_func
    names = _code_names(function.__code__)
    g = function.__globals__
    found = set()
    for name in names:
        if name in g:
            value = g[name]
            found.add(id(value))
            if isinstance(value, types.ModuleType):
                found |= {id(getattr(value, attr)) for attr in names if hasattr(value, attr)}
    return found


@dataclass
class Applied:
    """What :func:`apply_mutant` changed: rebindings and compiled callers made uncached."""

    mutant: Mutant
    rebound: list[str] = field(default_factory=list)
    uncached: list[str] = field(default_factory=list)
    read_only: int = 0


def apply_mutant(mutant: Mutant) -> Applied:
    """Apply ``mutant`` to this process (irreversibly: use a fresh process per mutant).

    Import everything the checks use first, so that every ``from m import f`` binding exists
    to be rebound. Raises :class:`MutantError` for a target or fragment not found.
    """
    applied = Applied(mutant)
    replaced: dict[int, Any] = {}
    built = []
    for patch in mutant.patches:
        original, function = mutated_function(patch, mutant.id)
        if _is_dispatcher(original):
            import numba

            options = {k: v for k, v in original.targetoptions.items() if k != "cache"}
            new = numba.njit(**options)(function)
        else:
            new = function
        built.append((patch, original, new))
        replaced[id(original)] = new
    for module in _our_modules():
        for name, value in list(vars(module).items()):
            if id(value) in replaced:
                setattr(module, name, replaced[id(value)])
                applied.rebound.append(f"{module.__name__}.{name}")
            elif isinstance(value, type) and value.__module__ == module.__name__:
                # a class keeping the function as a staticmethod (``kernel = staticmethod(f)``)
                # would otherwise go on calling the original
                for attr, member in list(vars(value).items()):
                    if isinstance(member, staticmethod) and id(member.__func__) in replaced:
                        setattr(value, attr, staticmethod(replaced[id(member.__func__)]))
                        applied.rebound.append(f"{module.__name__}.{name}.{attr}")
    for patch, _, _ in built:
        if patch.target not in applied.rebound:
            raise MutantError(
                f"mutant {mutant.id}: target {patch.target} is not a module "
                "attribute that could be rebound"
            )
    # Compiled callers of a patched function, transitively: no on-disk cache, recompiled.
    dispatchers = {}
    for module in _our_modules():
        for name, value in vars(module).items():
            if _is_dispatcher(value) and id(value) not in dispatchers:
                dispatchers[id(value)] = (f"{module.__name__}.{name}", value)
    affected = {id(new) for _, _, new in built}
    changed = True
    while changed:
        changed = False
        for key, (_, dispatcher) in dispatchers.items():
            if key not in affected and _referenced(dispatcher) & affected:
                affected.add(key)
                changed = True
    from numba.core.caching import NullCache

    for key in sorted(affected & set(dispatchers), key=lambda k: dispatchers[k][0]):
        name, dispatcher = dispatchers[key]
        if any(dispatcher is new for _, _, new in built):
            continue
        dispatcher._cache = NullCache()
        if dispatcher.overloads:
            dispatcher.recompile()
        applied.uncached.append(name)
    # Every other compiled function still loads from the on-disk cache but never writes to it:
    # nothing compiled in a mutant's process reaches the cache of ordinary runs.
    for key, (_, dispatcher) in dispatchers.items():
        if key not in affected:
            dispatcher._cache.save_overload = _no_save
            applied.read_only += 1
    return applied


def _no_save(sig: Any, data: Any) -> None:
    """``save_overload`` of a cache that only loads."""


# ---------------------------------------------------------------------------------------------
# One process: run checks (optionally mutated) and write JSON
# ---------------------------------------------------------------------------------------------


def _fingerprint(result: Any) -> str:
    """A hash of a check's numbers (fitted values, arrays, controls' measurements)."""
    digest = hashlib.sha1()
    evidence = result.evidence
    for key in sorted(evidence.fitted):
        digest.update(f"{key}={evidence.fitted[key]!r};".encode())
    for key in sorted(evidence.arrays):
        array = np.ascontiguousarray(evidence.arrays[key])
        digest.update(key.encode())
        if array.dtype == object:
            digest.update(repr(array.tolist()).encode())
        else:
            digest.update(array.tobytes())
    for control in result.controls:
        digest.update(control.name.encode())
        for key in sorted(control.measured):
            digest.update(f"{key}={control.measured[key]!r};".encode())
    digest.update(result.verdict.reason.encode())
    return digest.hexdigest()


def check_spec(theorem: Any) -> dict[str, Any]:
    """What a mutant's process needs to run one check without importing every module: the
    theorem's metadata, its module and its function's name."""
    return {**theorem.info(), "qualname": theorem.func.__qualname__}


def _registry_for(specs: Sequence[dict[str, Any]]) -> Any:
    """A registry holding only the checks of ``specs``, importing only their modules."""
    from proofs_check.harness import Registry, Theorem

    registry = Registry()
    for spec in specs:
        module = importlib.import_module(spec["module"])
        func = getattr(module, spec["qualname"], None)
        if func is None:  # not a module-level function: the default registry has it
            from proofs_check.harness import REGISTRY

            func = REGISTRY.get(spec["id"]).func
        fields = ("paper", "claim", "formula", "kind", "rule", "source", "verified")
        registry.add(
            Theorem(spec["id"], tags=tuple(spec["tags"]), func=func, **{f: spec[f] for f in fields})
        )
    return registry


def run_in_process(
    mutant_id: str | None,
    check_ids: Sequence[str],
    scale: str,
    seed: int,
    specs: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run ``check_ids`` in this process, after applying the mutant (None: unmutated).

    With ``specs`` (:func:`check_spec` of each check) only the checks' own modules are
    imported; without, every module of :mod:`proofs_check.theorems`.

    Returns ``{"mutant", "applied", "error", "checks": {id: {status, raised, error_type,
    fingerprint, reason, runtime}}}``.
    """
    if specs is None:
        from proofs_check.harness import REGISTRY as registry

        registry.discover()
    else:
        registry = _registry_for(specs)
        check_ids = [spec["id"] for spec in specs]
    record: dict[str, Any] = {"mutant": mutant_id, "applied": None, "error": None, "checks": {}}
    if mutant_id is not None:
        try:
            applied = apply_mutant(get_mutant(mutant_id))
        except (MutantError, ValueError, SyntaxError) as error:
            record["error"] = f"{type(error).__name__}: {error}"
            return record
        record["applied"] = {
            "rebound": applied.rebound,
            "uncached": applied.uncached,
            "read_only_caches": applied.read_only,
        }
    for check_id in check_ids:
        result = registry.run_check(check_id, scale, seed)
        error_type = None
        if result.error:
            last = result.error.strip().splitlines()[-1]
            error_type = last.split(":", 1)[0].strip()
        record["checks"][check_id] = {
            "status": result.verdict.status,
            "raised": result.error is not None,
            "error_type": error_type,
            "fingerprint": _fingerprint(result),
            "reason": result.verdict.reason[:500],
            "runtime": result.runtime,
        }
    record["cpu_seconds"] = time.process_time()
    return record


def _process_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m proofs_check.mutants",
        description="Run checks against one mutant (or none) and write their statuses as JSON.",
    )
    parser.add_argument(
        "--run",
        metavar="MUTANT_ID",
        required=True,
        help="a mutant id of the catalogue, or 'none' for the baseline",
    )
    parser.add_argument(
        "--only",
        metavar="ID",
        nargs="+",
        default=[],
        help="the checks to run (every module of proofs_check.theorems is imported)",
    )
    parser.add_argument(
        "--spec",
        metavar="PATH",
        default=None,
        help="a JSON list of check specs (check_spec): only their modules "
        "are imported; replaces --only",
    )
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="write the JSON here (default: standard output)",
    )
    args = parser.parse_args(argv)
    mutant_id = None if args.run == "none" else args.run
    specs = json.loads(Path(args.spec).read_text()) if args.spec else None
    record = run_in_process(mutant_id, args.only, args.scale, args.seed, specs)
    text = json.dumps(record, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    else:
        print(text)
    return 0


# ---------------------------------------------------------------------------------------------
# The parent: one subprocess per mutant, the kill table
# ---------------------------------------------------------------------------------------------

BROKEN_ERRORS = (
    "TypingError",
    "NameError",
    "SyntaxError",
    "UnsupportedError",
    "NumbaError",
    "LoweringError",
)
"""Exceptions that mean the mutated code itself is broken (not a check catching a defect)."""


def checks_for(mutant: Mutant, theorems: Sequence[Any], all_checks: bool = False) -> list[str]:
    """Ids of the selected checks whose tags meet the mutant's (every one with ``all_checks``)."""
    return [t.id for t in theorems if all_checks or set(t.tags) & set(mutant.tags)]


def _subprocess(
    mutant_id: str, theorems: Sequence[Any], scale: str, seed: int, timeout: float
) -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    with tempfile.TemporaryDirectory(prefix="mdptheory-mutant-") as tmp:
        out = Path(tmp) / "result.json"
        spec = Path(tmp) / "checks.json"
        spec.write_text(json.dumps([check_spec(t) for t in theorems]))
        command = [
            sys.executable,
            "-m",
            "proofs_check.mutants",
            "--run",
            mutant_id,
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--json",
            str(out),
            "--spec",
            str(spec),
        ]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {
                "mutant": mutant_id,
                "error": f"timeout after {timeout:.0f} s",
                "timeout": True,
                "checks": {},
                "seconds": time.perf_counter() - start,
            }
        seconds = time.perf_counter() - start
        if done.returncode != 0 or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            return {
                "mutant": mutant_id,
                "error": f"the process exited with {done.returncode}: {tail}",
                "checks": {},
                "seconds": seconds,
            }
        record = json.loads(out.read_text())
    record["seconds"] = seconds
    return record


@dataclass(frozen=True)
class MutantResult:
    """The verdict on one mutant: ``killed``, ``survived``, ``not exercised``, ``broken`` or
    ``timeout``, the checks that killed it and the checks that ran."""

    mutant: Mutant
    outcome: str
    killed_by: tuple[str, ...]
    checks: tuple[str, ...]
    changed: tuple[str, ...]
    detail: str
    seconds: float
    statuses: dict[str, str] = field(default_factory=dict)
    cpu_seconds: float = float("nan")

    @property
    def killed(self) -> bool:
        return self.outcome == "killed"

    def record(self) -> dict[str, Any]:
        return {
            **self.mutant.info(),
            "outcome": self.outcome,
            "killed": self.killed,
            "killed_by": list(self.killed_by),
            "checks": list(self.checks),
            "changed_numbers": list(self.changed),
            "statuses": self.statuses,
            "detail": self.detail,
            "seconds": round(self.seconds, 2),
            "cpu_seconds": round(self.cpu_seconds, 2),
        }


def judge(
    mutant: Mutant, record: dict[str, Any], baseline: dict[str, Any], check_ids: Sequence[str]
) -> MutantResult:
    """Compare a mutant's check statuses with the baseline's (see the module docstring)."""
    result = _judge(mutant, record, baseline, check_ids)
    return dataclasses.replace(result, cpu_seconds=float(record.get("cpu_seconds", "nan")))


def _judge(
    mutant: Mutant, record: dict[str, Any], baseline: dict[str, Any], check_ids: Sequence[str]
) -> MutantResult:
    seconds = float(record.get("seconds", 0.0))
    if record.get("error"):
        outcome = "timeout" if record.get("timeout") else "broken"
        return MutantResult(mutant, outcome, (), tuple(check_ids), (), record["error"], seconds)
    killed, changed, broken, statuses = [], [], [], {}
    for check_id in check_ids:
        mine = record["checks"].get(check_id)
        base = baseline["checks"].get(check_id)
        if mine is None or base is None:
            continue
        statuses[check_id] = mine["status"]
        if mine["fingerprint"] != base["fingerprint"] or mine["status"] != base["status"]:
            changed.append(check_id)
        if mine["raised"] and not base["raised"] and mine["error_type"] in BROKEN_ERRORS:
            broken.append(f"{check_id}: {mine['error_type']}: {mine['reason']}")
        elif (mine["status"] == "fail" and base["status"] != "fail") or (
            mine["raised"] and not base["raised"]
        ):
            killed.append(check_id)
    if broken:
        return MutantResult(
            mutant,
            "broken",
            (),
            tuple(check_ids),
            tuple(changed),
            "the mutated code does not run: " + "; ".join(broken),
            seconds,
            statuses,
        )
    if killed:
        detail = "; ".join(f"{c}: {record['checks'][c]['reason'][:160]}" for c in killed[:3])
        return MutantResult(
            mutant,
            "killed",
            tuple(killed),
            tuple(check_ids),
            tuple(changed),
            detail,
            seconds,
            statuses,
        )
    if not changed:
        return MutantResult(
            mutant,
            "not exercised",
            (),
            tuple(check_ids),
            (),
            "no check's numbers changed: the defect never ran in these checks",
            seconds,
            statuses,
        )
    return MutantResult(
        mutant,
        "survived",
        (),
        tuple(check_ids),
        tuple(changed),
        f"numbers changed in {len(changed)} check(s), no status turned to fail",
        seconds,
        statuses,
    )


def run_mutants(
    mutants: Sequence[Mutant],
    theorems: Sequence[Any],
    scale: str = "quick",
    seed: int = 0,
    jobs: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
    all_checks: bool = False,
) -> tuple[list[MutantResult], dict[str, Any]]:
    """Run the baseline once and every mutant in its own process; ``jobs`` processes at once.

    Each mutant runs the checks of ``theorems`` that carry one of its tags (all of them with
    ``all_checks``). Returns the results (in the order of ``mutants``) and the baseline record.
    """
    plan = {m.id: checks_for(m, theorems, all_checks) for m in mutants}
    union = [t for t in theorems if any(t.id in ids for ids in plan.values())]
    tasks = [("none", union)] + [
        (m.id, [t for t in theorems if t.id in plan[m.id]]) for m in mutants if plan[m.id]
    ]
    from joblib import Parallel, delayed

    records: dict[str, dict[str, Any]] = {}
    parallel = Parallel(n_jobs=max(1, jobs), backend="threading", return_as="generator_unordered")
    calls = (
        delayed(lambda i, ids: (i, _subprocess(i, ids, scale, seed, timeout)))(i, ids)
        for i, ids in tasks
    )
    for mutant_id, record in parallel(calls):
        records[mutant_id] = record
        if progress is not None:
            progress(mutant_id)
    baseline = records["none"]
    if baseline.get("error"):
        raise RuntimeError(f"the unmutated baseline did not run: {baseline['error']}")
    results = []
    for mutant in mutants:
        if not plan[mutant.id]:
            results.append(
                MutantResult(
                    mutant,
                    "not exercised",
                    (),
                    (),
                    (),
                    f"no selected check carries the tags {', '.join(mutant.tags)}",
                    0.0,
                )
            )
            continue
        results.append(judge(mutant, records[mutant.id], baseline, plan[mutant.id]))
    return results, baseline


def score(results: Sequence[MutantResult]) -> float:
    """Fraction of mutants killed (0 for no mutant)."""
    return sum(r.killed for r in results) / len(results) if results else 0.0


_OUTCOME_STYLE = {
    "killed": "bold green",
    "survived": "bold red",
    "not exercised": "bold yellow",
    "broken": "bold magenta",
    "timeout": "bold magenta",
}


def kill_table(results: Sequence[MutantResult]):
    """A rich table: mutant, target, outcome, killing checks."""
    from rich.table import Table

    table = Table(
        title=f"mutants: {sum(r.killed for r in results)}/{len(results)} killed "
        f"({100 * score(results):.0f}%)"
    )
    for column in ("mutant", "target", "outcome", "killed by", "checks run"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.mutant.id,
            "\n".join(r.mutant.targets),
            f"[{_OUTCOME_STYLE[r.outcome]}]{r.outcome}[/]",
            "\n".join(r.killed_by) or "-",
            str(len(r.checks)),
        )
    return table


def markdown(
    results: Sequence[MutantResult], command: str, scale: str, seed: int, timing: str = ""
) -> str:
    """The kill table as Markdown (``mutants.md``); ``timing`` is a sentence on the runtime."""
    killed = sum(r.killed for r in results)
    lines = [
        "# Mutation score",
        "",
        f"Generated by `{command}` ({scale} scale, seed {seed}); regenerate it with "
        "`mdptheory check --mutants`.",
        "",
        f"**{killed} of {len(results)} mutants killed: score {100 * score(results):.0f}%** "
        f"(target {100 * TARGET_SCORE:.0f}%). {timing}".rstrip(),
        "",
        "A mutant is a planted defect (a documented source change of a library function, "
        "applied in its own process). It is *killed* when a check relevant to it (by tag) "
        "fails where the unmutated code did not fail, or raises; *not exercised* means no "
        "check's numbers changed at all.",
        "",
        "| mutant | target | defect | outcome | killed by |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        targets = "<br>".join(f"`{t}`" for t in r.mutant.targets)
        killers = "<br>".join(f"`{c}`" for c in r.killed_by) or "-"
        description = r.mutant.description.replace("|", "\\|")
        lines.append(f"| `{r.mutant.id}` | {targets} | {description} | {r.outcome} | {killers} |")
    lines += ["", "## Details", ""]
    for r in results:
        lines.append(
            f"- `{r.mutant.id}` ({r.outcome}, {r.seconds:.0f} s wall, "
            f"{r.cpu_seconds:.0f} s CPU, checks: "
            f"{', '.join(r.checks) or 'none'}): {r.detail}"
        )
    return "\n".join(lines) + "\n"


def write_kill_table(
    results: Sequence[MutantResult],
    baseline: dict[str, Any],
    out: Path,
    command: str,
    scale: str,
    seed: int,
    wall_seconds: float | None = None,
    jobs: int = 1,
) -> Path:
    """Write ``mutants.md`` and ``mutants.json`` into ``out``; return the Markdown path."""
    out = Path(out)
    cpu = float(baseline.get("cpu_seconds", 0.0)) + sum(
        r.cpu_seconds for r in results if math.isfinite(r.cpu_seconds)
    )
    timing = (
        f"Runtime {wall_seconds:.0f} s with {jobs} process(es) at a time; "
        f"{cpu:.0f} CPU seconds in all (baseline and mutants)."
        if wall_seconds is not None
        else ""
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutants.json").write_text(
        json.dumps(
            {
                "command": command,
                "scale": scale,
                "seed": seed,
                "score": score(results),
                "target_score": TARGET_SCORE,
                "killed": sum(r.killed for r in results),
                "total": len(results),
                "wall_seconds": wall_seconds,
                "jobs": jobs,
                "cpu_seconds": cpu,
                "mutants": [r.record() for r in results],
                "baseline_cpu_seconds": baseline.get("cpu_seconds"),
                "baseline": {
                    k: {"status": v["status"], "runtime": round(v["runtime"], 2)}
                    for k, v in baseline["checks"].items()
                },
            },
            indent=1,
        )
    )
    path = out / "mutants.md"
    path.write_text(markdown(results, command, scale, seed, timing))
    return path


def run_from_args(args: argparse.Namespace, theorems: Sequence[Any], console: Any) -> int:
    """``mdptheory check --mutants``: run, print the kill table, write it; the exit code.

    0: the score reaches :data:`TARGET_SCORE` and no mutant is broken; 1 otherwise;
    2: an unknown ``--mutant`` id.
    """
    import shlex

    wanted = list(getattr(args, "mutant", []) or [])
    try:
        mutants = [get_mutant(m) for m in wanted] if wanted else list(CATALOGUE)
    except ValueError as error:
        console.print(f"[bold red]error:[/] {error}")
        return 2
    scale = getattr(args, "scale", None) or "quick"
    seed = int(getattr(args, "seed", 0))
    jobs = int(getattr(args, "jobs", 1))
    jobs = (os.cpu_count() or 1) if jobs == -1 else jobs
    all_checks = getattr(args, "mutant_checks", "tagged") == "all"
    which = "every selected check" if all_checks else "the selected checks with its tags"
    console.print(
        f"{len(mutants)} mutants against {len(theorems)} selected checks "
        f"({scale} scale, {jobs} at a time; each mutant runs {which})",
        highlight=False,
    )
    start = time.perf_counter()
    results, baseline = run_mutants(
        mutants,
        theorems,
        scale,
        seed,
        jobs,
        progress=lambda i: console.print(f"  done: {i}", highlight=False),
        all_checks=all_checks,
    )
    wall = time.perf_counter() - start
    console.print(kill_table(results))
    command = getattr(args, "command_line", None) or shlex.join(["mdptheory", *sys.argv[1:]])
    from proofs_check.runner import DEFAULT_OUT

    path = write_kill_table(
        results,
        baseline,
        Path(getattr(args, "out", None) or DEFAULT_OUT),
        command,
        scale,
        seed,
        wall,
        jobs,
    )
    value = score(results)
    console.print(
        f"Mutation score {100 * value:.0f}% "
        f"({sum(r.killed for r in results)}/{len(results)} killed; target "
        f"{100 * TARGET_SCORE:.0f}%). Kill table: {path.resolve()}",
        soft_wrap=True,
        highlight=False,
    )
    for r in results:
        if r.outcome in ("broken", "timeout"):
            console.print(
                f"[bold magenta]{r.mutant.id} {r.outcome}:[/] {r.detail}", highlight=False
            )
    broken = any(r.outcome in ("broken", "timeout") for r in results)
    return 0 if value >= TARGET_SCORE and not broken else 1


def outputs_differ(a: Any, b: Any) -> bool:
    """True when two probe outputs differ (nested lists/tuples of arrays and numbers)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) != len(b) or any(outputs_differ(x, y) for x, y in zip(a, b, strict=True))
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        return True
    return not np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)


def probe_changes(patch: Patch, mutant_id: str = "?") -> tuple[bool, str]:
    """Does the mutation change its target's output on the probe? ``(changed, what)``.

    Runs the original and the mutated function uncompiled on the probe's inputs; a mutated
    function that raises counts as a change.
    """
    original, mutated = mutated_function(patch, mutant_id)
    function = original.py_func if _is_dispatcher(original) else original
    before = patch.probe(function)
    try:
        after = patch.probe(mutated)
    except Exception as error:  # a defect that makes the function raise changes it
        return True, f"raises {type(error).__name__}: {error}"
    return outputs_differ(before, after), f"{before!r} -> {after!r}"[:300]


__all__ = [
    "CATALOGUE",
    "TARGET_SCORE",
    "Mutant",
    "MutantError",
    "MutantResult",
    "Patch",
    "apply_mutant",
    "check_spec",
    "checks_for",
    "get_mutant",
    "judge",
    "kill_table",
    "markdown",
    "mutated_function",
    "outputs_differ",
    "probe_changes",
    "resolve",
    "run_from_args",
    "run_in_process",
    "run_mutants",
    "score",
    "write_kill_table",
]


if __name__ == "__main__":
    sys.exit(_process_main())
