r"""TSDE: Thompson sampling with dynamic episodes (Ouyang, Gagrani, Nayyar, Jain 2017).

Paper
-----
Y. Ouyang, M. Gagrani, A. Nayyar, R. Jain, *Learning Unknown Markov Decision Processes: A
Thompson Sampling Approach*, NeurIPS 2017 (arXiv:1709.04570), Algorithm 1 (TSDE) and
Theorem 1.

Setting
-------
A weakly communicating MDP with S states and A actions, known mean rewards ``r(s, a)`` (the
paper's costs are known; only the kernel is parameterised by the unknown ``theta``) and an
unknown kernel with a prior; no reset. The Bayesian regret ``E[T rho*(theta) - sum_t r_t]``
averages over ``theta`` drawn from the prior.

Algorithm 1, line by line (``t`` counts steps from 1; ``i = t - 1`` indexes the arrays)
--------------------------------------------------------------------------------------
0. Prior: each row ``p(. | s, a)`` independently Dirichlet(``alpha``, ..., ``alpha``) over the
   S next states. ``t = 1``, ``t_k = 0``.
1. Episode ``k``: ``T_{k-1} = t - t_k``, then ``t_k = t``.
2. Draw ``theta_k`` from the posterior: row ``(s, a)`` ~ Dirichlet(``alpha + n_t(s, a, .)``),
   with ``n_t`` the transition counts before ``t`` (conjugate update).
3. ``pi_k`` = an optimal stationary policy of ``theta_k``: average-reward policy iteration,
   exact (a Dirichlet draw with ``alpha > 0`` has every entry positive, so every policy's chain
   is irreducible and one linear solve evaluates it).
4. While ``t <= t_k + T_{k-1}`` and ``N_t(s, a) <= 2 N_{t_k}(s, a)`` for every ``(s, a)``:
   play ``a_t = pi_k(s_t)``, observe ``s_{t+1}``, update the counts, ``t += 1``.

So episode lengths grow by at most one per episode and no pair's count more than doubles
within one. In :func:`_run` the comments ``# (0)`` ... ``# (4)`` mark these lines.

Theorem 1 (Bayesian regret, for priors whose models all have bias span at most H)::

    E[R(T)] <= (H + 1) sqrt(2 S A T log T) + 49 H S sqrt(A T log(A T))

Provenance: the two stopping criteria are confirmed by a review of the paper; their exact
inequalities, the initialisation ``t_k = 0`` (so ``T_0 = 1``), the known-reward assumption and
the theorem's constants are from memory (``theory-wave2.md`` section 1.4, tags [S]/[M]), not
verified against the paper's text. Observed rewards are not used (the paper's rewards are
known); a model with reward noise still gets the noisy rewards in its realised regret.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms.average_reward._common import (
    act,
    build_trace,
    check_positive,
    chunk_length,
    clock,
    initial_state,
    log_epoch,
    log_policy,
    outputs,
    prepare,
    record_step,
    tick,
)
from mdptheory._validation import check_int
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike

_ULPS = 64 * np.finfo(np.float64).eps


def tsde_regret_bound(H: float, S: int, A: int, T: int) -> float:
    """Theorem 1 as recalled (unverified): ``(H + 1) sqrt(2 S A T log T) + 49 H S sqrt(A T log(A
    T))``, with ``H`` a bound on the bias span of every model in the prior's support.

    Examples
    --------
    >>> tsde_regret_bound(6.3, 6, 2, 10**6) > 10**6         # vacuous at this T
    True
    """
    return (H + 1.0) * math.sqrt(2.0 * S * A * T * math.log(T)) + 49.0 * H * S * math.sqrt(
        A * T * math.log(A * T)
    )


@njit(cache=True)
def sample_kernel(counts: np.ndarray, alpha: float, rng, out: np.ndarray) -> None:
    """``out[s, a] ~ Dirichlet(alpha + counts[s, a])`` for every pair (normalised gammas)."""
    S, A, _ = counts.shape
    for s in range(S):
        for a in range(A):
            total = 0.0
            for x in range(S):
                g = rng.standard_gamma(alpha + counts[s, a, x])
                out[s, a, x] = g
                total += g
            for x in range(S):
                out[s, a, x] /= total


@njit(cache=True)
def unichain_policy_iteration(P: np.ndarray, R: np.ndarray, policy: np.ndarray, max_iter: int):
    """Average-reward policy iteration for a model whose every policy is unichain.

    Evaluation: ``(I - P_pi) h + g 1 = r_pi`` with ``h(0) = 0`` (one solve, Puterman 8.2.3);
    improvement: greedy in ``r + P h``, an action switched only when better by more than a few
    ulps. ``policy`` holds the start on entry and the optimal policy on exit. Returns the gain,
    the number of improvement steps and whether the policy became stable.
    """
    S, A = R.shape
    system = np.empty((S, S))
    rhs = np.empty(S)
    h = np.zeros(S)
    gain = 0.0
    for iteration in range(1, max_iter + 1):
        for s in range(S):
            a = policy[s]
            for x in range(S):
                system[s, x] = -P[s, a, x]
            system[s, s] += 1.0
            system[s, 0] = 1.0  # column 0 multiplies h(0) = 0: it carries the gain
            rhs[s] = R[s, a]
        x_sol = np.linalg.solve(system, rhs)
        gain = x_sol[0]
        h[:] = x_sol
        h[0] = 0.0
        scale = np.abs(h).max() + 1.0
        changed = False
        for s in range(S):
            current = R[s, policy[s]] + np.dot(P[s, policy[s]], h)
            best = current
            best_a = policy[s]
            for a in range(A):
                q = R[s, a] + np.dot(P[s, a], h)
                if q > best + _ULPS * scale:
                    best = q
                    best_a = a
            if best_a != policy[s]:
                policy[s] = best_a
                changed = True
        if not changed:
            return gain, iteration, True
    return gain, max_iter, False


@njit(cache=True)
def _run(env, gaps, T, alpha, pi_max_iter, record, chunk, rng):
    R = env[1]
    S, A = R.shape
    counts = np.zeros((S, A, S))
    N = np.zeros((S, A))
    N_start = np.zeros((S, A))
    sampled = np.empty((S, A, S))
    policy = np.zeros(S, dtype=np.int64)
    out = outputs(T, record)
    times, states = out[2], out[3]
    starts = np.zeros(64, dtype=np.int64)
    log = np.zeros((64, 2))  # the sampled model's optimal gain and the PI steps, per epoch
    policies = np.zeros((64, S), dtype=np.int64)

    s = initial_state(env[2], rng.random())  # (0)
    if record:
        states[0] = s
    i = 0
    t_k = 0
    k = 0
    chunk_start = 0
    t0 = clock()
    while i < T:
        t = i + 1
        T_prev = t - t_k  # (1)
        t_k = t
        N_start[:] = N
        sample_kernel(counts, alpha, rng, sampled)  # (2)
        policy[:] = 0
        gain, steps, stable = unichain_policy_iteration(sampled, R, policy, pi_max_iter)  # (3)
        starts, log = log_epoch(starts, log, k, i, (gain, float(steps)))
        policies = log_policy(policies, k, policy)
        if not stable:
            return out, starts[: k + 1], log[: k + 1], policies[: k + 1], False
        doubled = False
        while i < T and i + 1 <= t_k + T_prev and not doubled:  # (4)
            a = policy[s]
            r, s_next = act(env, s, a, rng)
            record_step(out, i, gaps[s, a], r, a, s_next, record)
            counts[s, a, s_next] += 1.0
            N[s, a] += 1.0
            doubled = N[s, a] > 2.0 * N_start[s, a]
            s = s_next
            i += 1
            chunk_start, t0 = tick(times, chunk_start, i, chunk, T, t0)
        k += 1
    return out, starts[:k], log[:k], policies[:k], True


@dataclass(frozen=True)
class TSDE:
    """TSDE of Ouyang, Gagrani, Nayyar and Jain (2017) with Dirichlet posteriors.

    Parameters
    ----------
    alpha : float
        Dirichlet prior concentration of every next state (1: the uniform prior on each row).
    pi_max_iter : int
        Improvement steps of the policy iteration that solves each sampled model before the run
        stops with a ``ValueError``.

    Notes
    -----
    The trace is that of :class:`~algorithms.average_reward.UCRL2` (per-step gap and realised
    regret, per-epoch sums, ``epoch_policy``: the optimal policy of each sampled model); extras
    ``sample_gain`` (the optimal gain of each sampled model) and ``pi_steps`` replace the EVI
    ones.

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> trace = TSDE().run(river_swim(S=6), budget=20_000, seed=0)
    >>> trace.n_episodes, trace.metadata["constants"]
    (20000, 'paper')
    """

    alpha: float = 1.0
    pi_max_iter: int = 10_000

    def __post_init__(self) -> None:
        check_positive("alpha", self.alpha)
        check_int(self.pi_max_iter, "pi_max_iter", 1)

    @property
    def constants(self) -> str:
        return "paper"

    @property
    def label(self) -> str:
        return "TSDE" if self.alpha == 1.0 else f"TSDE (alpha={self.alpha:g})"

    def run(
        self, model, budget: int, seed: SeedLike, *, record_trajectory: bool = False
    ) -> RegretTrace:
        """Run ``budget`` steps of TSDE on ``model`` and return the exact regret trace.

        Raises
        ------
        ValueError
            As :meth:`UCRL2.run`, or when policy iteration on a sampled model does not stop
            within ``pi_max_iter`` steps.
        """
        env, T, rho, gaps, rng = prepare(model, "TSDE", budget, seed, record_trajectory)
        out, starts, log, policies, ok = _run(
            env,
            gaps,
            T,
            float(self.alpha),
            int(self.pi_max_iter),
            bool(record_trajectory),
            chunk_length(T),
            rng,
        )
        gains, steps = log[:, 0], log[:, 1].astype(np.int64)
        if not ok:
            raise ValueError(
                f"TSDE: policy iteration on the model sampled in epoch {starts.size} did not "
                f"stop within pi_max_iter = {self.pi_max_iter} steps"
            )
        extras = {"sample_gain": gains, "pi_steps": steps}
        return build_trace(
            self,
            model,
            seed,
            out,
            rho,
            starts,
            extras,
            record_trajectory,
            policies,
            prior_alpha=self.alpha,
            paper="Ouyang, Gagrani, Nayyar, Jain, NeurIPS 2017, Algorithm 1",
        )


__all__ = ["TSDE", "sample_kernel", "tsde_regret_bound", "unichain_policy_iteration"]
