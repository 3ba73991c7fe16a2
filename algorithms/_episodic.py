"""What the episodic learners (tabular, linear, risk) share: input checks, the episode log and
the compiled helper that records an episode, the chunked run and the trace template.

One module all three settings may import, so that none imports another's private module.

Every episodic learner has the same skeleton, written out in its own compiled loop in the
shape of its paper: (1) the regret oracle (the optimum of the true model), then per episode
(2) plan, (3) evaluate the executed policy exactly, (4) roll it out, (5) update the
statistics. What is shared is the bookkeeping around the paper's steps:

* :func:`check_episodic_model` turns an :class:`~mdptheory.tabular.EpisodicMDP` into the
  :class:`Environment` a compiled loop takes, after checking what the papers' bounds assume
  (finite mean rewards in [0, 1], an episodic model, a positive number of episodes);
* :class:`EpisodeLog` holds the per-episode records and the optimum they are measured against;
  :func:`start_log` makes it with the regret oracle (step 1) and the exact-evaluation
  workspace; :func:`act` rolls the executed policy out and :func:`record_episode` records the
  episode (pseudo-regret, realised regret, optimism gap, the policy when kept);
  :func:`evaluate_and_act` does steps (3) and (4) and the record for a risk-neutral learner;
* :func:`simulate` runs a learner's compiled loop over chunks of episodes, timed on the Python
  side (:func:`algorithms._timing.timed_chunks`), so the loop needs no clock;
* :func:`episodic_trace` is the template of every ``run``: the
  :class:`~mdptheory.regret.RegretTrace` with the extras and metadata all of them record;
  :class:`EpisodicLearner` gives the learners that ``run``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from algorithms._timing import CALLS_PER_CHUNK, MIN_CHUNK_SECONDS, timed, timed_chunks
from algorithms._validation import check_budget as _check_budget
from algorithms._validation import check_choice as check_choice
from algorithms._validation import check_open_unit as check_open_unit
from algorithms._validation import check_positive as check_positive
from algorithms._validation import check_unit_rewards
from mdptheory._kernels import (
    ReachableEvaluation,
    backward_induction_kernel,
    evaluate_deterministic_reachable,
    first_difference,
    reachable_evaluation,
    rollout_episode,
    start_value,
)
from mdptheory.regret import RegretTrace, trace_metadata
from mdptheory.tabular import EpisodicMDP

OPTIMISM_TOL = 1e-9
"""Episode k counts as optimistic when its optimism gap is at least ``-OPTIMISM_TOL * H``."""


class Environment(NamedTuple):
    """The true model as a compiled run sees it: ``P4`` (1 or H, S, A, S), ``R3`` (H, S, A),
    ``initial`` (S,), the reward-noise code and its sigma."""

    P4: np.ndarray
    R3: np.ndarray
    initial: np.ndarray
    noise_code: int
    sigma: float


def environment(model: EpisodicMDP) -> Environment:
    """The :class:`Environment` of an episodic model (contiguous float64 copies)."""
    # A sparse kernel is densified: the learners keep dense (S, A, S) counts anyway, so the
    # model costs no more memory than the learner's own statistics.
    return Environment(
        np.ascontiguousarray(model.dense_P(), dtype=np.float64),
        np.ascontiguousarray(model.R, dtype=np.float64),
        np.ascontiguousarray(model.initial, dtype=np.float64),
        int(model.noise.code),
        float(model.noise.sigma),
    )


def check_episodic_model(model: object, learner: str) -> Environment:
    """The :class:`Environment` of ``model``, after checking it suits a tabular episodic learner.

    Raises ``ValueError`` for a model that is not an :class:`EpisodicMDP`, or for a mean reward
    outside [0, 1] (the regret bounds of the papers assume rewards in [0, 1]); the message names
    the offending index and value.
    """
    if not isinstance(model, EpisodicMDP):
        raise ValueError(
            f"{learner} needs an EpisodicMDP (finite horizon), got "
            f"{type(model).__name__}: {model!r}"
        )
    check_unit_rewards(np.asarray(model.R, dtype=np.float64), learner, "bonuses and regret bound")
    return environment(model)


def check_budget(budget: object) -> int:
    """The number of episodes K as an int >= 1 (``ValueError`` naming the value otherwise)."""
    return _check_budget(budget, "number of episodes K")


class EpisodeLog(NamedTuple):
    """What an episodic run records, one entry per episode k, and the optimum it measures
    against. Made by :func:`new_log`, filled by :func:`record_episode` and :func:`simulate`."""

    pseudo: np.ndarray
    """(K,): ``V*_1(rho) - V^{pi_k}_1(rho)``, exact (NaN when the run had no exact regret)."""
    realised: np.ndarray
    """(K,): ``V*_1(x_1^k)`` minus the sampled return of episode k."""
    episode_time: np.ndarray
    """(K,): wall-clock seconds, each chunk's time spread over its episodes."""
    gaps: np.ndarray
    """(K,): the optimism gap ``min_{h,s,a} Q^k_h(s, a) - Q*_h(s, a)``."""
    policies: np.ndarray
    """(K, H, S) int64: the executed policies when kept, else (0, H, S)."""
    Q_star: np.ndarray
    """(H, S, A) and ``V_star`` (H + 1, S): the optimum of the true model (regret oracle)."""
    V_star: np.ndarray
    optimal_value: float
    """``V*_1(rho)``, the optimal value from the start distribution."""


def new_log(
    env: Environment, K: int, record_policies: bool, Q_star: np.ndarray, V_star: np.ndarray
) -> EpisodeLog:
    """An empty :class:`EpisodeLog` for K episodes measured against ``Q_star``, ``V_star``."""
    H, S, _ = env.R3.shape
    return EpisodeLog(
        np.empty(K),
        np.empty(K),
        np.empty(K),
        np.empty(K),
        np.zeros((K if record_policies else 0, H, S), dtype=np.int64),
        Q_star,
        V_star,
        float(start_value(env.initial, V_star[0])),
    )


def start_log(
    env: Environment, K: int, record_policies: bool, exact_regret: bool = True
) -> tuple[EpisodeLog, ReachableEvaluation]:
    """Step (1) of every greedy learner: the optimum of the true model (the regret oracle), the
    empty :class:`EpisodeLog` for K episodes measured against it, and the workspace that
    evaluates the executed policies exactly (``exact_regret=False``: none, the pseudo-regret
    stays NaN, for timing).

    Examples
    --------
    >>> from instances import garnet
    >>> log, evaluation = start_log(environment(garnet(S=3, A=2, H=2, seed=0)), 5, False)
    >>> log.pseudo.shape, log.policies.shape, evaluation.exact
    ((5,), (0, 2, 3), True)
    """
    Q_star, V_star, _ = backward_induction_kernel(env.P4, env.R3)
    log = new_log(env, K, record_policies, Q_star, V_star)
    return log, reachable_evaluation(env.P4, env.initial, env.R3.shape[0], exact_regret)


@njit(cache=True)
def optimism_gap(Q: np.ndarray, Q_star: np.ndarray) -> float:
    """``min_{h, s, a} (Q[h, s, a] - Q*[h, s, a])``: non-negative exactly when Q is optimistic."""
    H, S, A = Q.shape
    gap = np.inf
    for h in range(H):
        for s in range(S):
            for a in range(A):
                d = Q[h, s, a] - Q_star[h, s, a]
                if d < gap:
                    gap = d
    return gap


@njit(cache=True)
def act(env: Environment, policy: np.ndarray, rng):
    """One episode of the deterministic ``policy`` in the true model: states, actions, rewards."""
    return rollout_episode(env.P4, env.R3, env.noise_code, env.sigma, env.initial, policy, rng)


@njit(cache=True)
def record_episode(
    log: EpisodeLog,
    k: int,
    policy: np.ndarray,
    Q: np.ndarray,
    value: float,
    states: np.ndarray,
    rewards: np.ndarray,
) -> None:
    """Record episode k: the executed ``policy`` (when kept), the optimism gap of the ``Q`` it
    is greedy in, the pseudo-regret from its exact ``value`` and the realised regret of the
    episode's ``states`` and ``rewards``."""
    if log.policies.shape[0] > 0:
        log.policies[k] = policy
    log.gaps[k] = optimism_gap(Q, log.Q_star)
    log.pseudo[k] = log.optimal_value - value
    log.realised[k] = log.V_star[0, states[0]] - rewards.sum()


@njit(cache=True)
def evaluate_and_act(
    env: Environment, log: EpisodeLog, evaluation: ReachableEvaluation, k, Q, policy, rng
):
    """Episode ``k`` of a greedy learner after planning: the exact value of ``policy``
    (evaluated again only from the first stage where it differs from the last evaluated one),
    one episode acted with it in the true model, and the log entry (policy, ``Q``, exact value,
    realised return). Returns the episode's states (H + 1,) and actions (H,)."""
    first = first_difference(policy, evaluation)
    if first < env.R3.shape[0]:
        evaluate_deterministic_reachable(env.P4, env.R3, policy, env.initial, evaluation, first)
    states, actions, rewards = act(env, policy, rng)
    record_episode(log, k, policy, Q, evaluation.value[0], states, rewards)
    return states, actions


@njit(cache=True)
def count_transitions(
    N_sas: np.ndarray, N_sa: np.ndarray, states: np.ndarray, actions: np.ndarray
) -> None:
    """Add an episode's transitions to the counts ``N(x, a, y)`` and ``N(x, a)``: per stage when
    the arrays have a stage axis of length H, pooled over the steps when it has length 1."""
    for h in range(actions.shape[0]):
        hc = h if N_sa.shape[0] > 1 else 0
        s = states[h]
        a = actions[h]
        N_sas[hc, s, a, states[h + 1]] += 1.0
        N_sa[hc, s, a] += 1.0


def simulate(log: EpisodeLog, episodes: Callable[[int, int], Any]) -> None:
    """Run ``episodes(start, stop)`` (a learner's compiled loop over episodes ``start..stop-1``)
    over chunks covering the K episodes of ``log``, timing each chunk into
    ``log.episode_time`` (:func:`algorithms._timing.timed_chunks`). Chunks continue the same
    state and random stream, so the run is the one a single call would make, bit for bit.

    A first call without episodes compiles the loop, or loads it from the cache, outside the
    timing; a second one measures what a call costs by itself, and chunks last at least
    :data:`~algorithms._timing.CALLS_PER_CHUNK` times that.
    """
    episodes(0, 0)
    _, call = timed(episodes, 0, 0)
    log.episode_time[:] = timed_chunks(
        episodes, log.pseudo.shape[0], min_seconds=max(MIN_CHUNK_SECONDS, CALLS_PER_CHUNK * call)
    )


class Simulation(NamedTuple):
    """A finished run before it becomes a trace: see :func:`episodic_trace`."""

    model: Any
    """The model recorded in the metadata."""
    log: EpisodeLog
    extras: dict[str, np.ndarray]
    """The learner's own extras, beside those every episodic learner records."""
    metadata: dict[str, Any]
    """The learner's own metadata, beside that every episodic learner records."""


class EpisodicLearner:
    """``run`` of an episodic learner: the exact regret trace (:func:`episodic_trace`) of its
    ``_simulate(model, budget, seed)``. Which models a learner takes, and what it refuses,
    its class notes say."""

    def run(self, model: Any, budget: int, seed: Any) -> RegretTrace:
        """Run ``budget`` episodes on ``model`` and return the exact regret trace (of the
        learner's objective: the expected return, a static or an iterated CVaR).

        Parameters
        ----------
        model
            The environment, of a kind the learner's class notes name.
        budget : int
            Number of episodes K (it also enters the learner's log factors).
        seed : int, SeedSequence or Generator

        Raises
        ------
        ValueError
            For a model the learner does not take (its class notes), rewards outside [0, 1],
            or a budget that is not a positive int.
        """
        return episodic_trace(self, seed, self._simulate(model, budget, seed))


def episodic_trace(learner: Any, seed: Any, run: Simulation) -> RegretTrace:
    """The :class:`~mdptheory.regret.RegretTrace` of an episodic run: the template of every
    episodic learner's ``run``.

    Extras: ``optimism_gap``, ``optimistic`` (gap >= -1e-9 H), the learner's own, and
    ``policies`` (K, H, S) when ``learner.record_policies``. Metadata: that of
    :func:`~mdptheory.regret.trace_metadata` with ``label`` and ``constants`` (which constants
    ran: the paper's or a named opt-in variant), then the learner's own.
    """
    log = run.log
    H = log.policies.shape[1]
    extras: dict[str, np.ndarray] = {
        "optimism_gap": log.gaps,
        "optimistic": log.gaps >= -OPTIMISM_TOL * H,
    }
    extras.update(run.extras)
    if learner.record_policies:
        extras["policies"] = log.policies
    metadata = trace_metadata(
        learner,
        run.model,
        seed,
        log.pseudo.shape[0],
        label=learner.label,
        constants=learner.constants,
        **run.metadata,
    )
    return RegretTrace(log.pseudo, log.realised, log.episode_time, metadata, extras)
