r"""What the average-reward learners share: input checks, the regret oracle, one compiled step,
the epoch log and the trace.

Regret, exactly
---------------
With ``rho*``, ``h*`` and the Bellman gaps ``gap(s, a) = rho* + h*(s) - r(s, a) - (P h*)(s, a)
>= 0`` of the true model (:mod:`mdptheory.average_reward`), every step ``t = 1..T`` records

* the **gap regret** ``gap(s_t, a_t)`` (the trace's ``pseudo_regret``), exact, and
* the **realised regret** ``rho* - r_t`` (the trace's ``realised_regret``), with the sampled
  reward ``r_t``.

They are tied by an identity that holds on every path (sum the definition of the gap)::

    T rho* - sum_t r_t  =  sum_t gap(s_t, a_t)  +  h*(s_{T+1}) - h*(s_1)
                           + sum_t [(P h*)(s_t, a_t) - h*(s_{t+1})]  +  sum_t [r(s_t, a_t) - r_t]

The first bracket is bounded by ``sp(h*)``; the two sums are martingales with increments
bounded by ``sp(h*)`` and by the reward range. So the expected regret ``E[T rho* - sum_t r_t]``
equals the expected gap regret up to at most ``sp(h*)``, and the gap regret of a run is exact
where the realised regret is noisy. ``proofs_check.theorems.average_reward`` checks the identity
on every step of recorded trajectories.

Both are stored per step (the trace) and summed per epoch (``extras["epoch_gap_regret"]``,
``extras["epoch_realised_regret"]``, with ``extras["epoch_start"]`` the 0-based step at which
each epoch began). ``extras["epoch_policy"]`` (epochs x S, int) holds the policy each epoch
planned, so the number of policy changes is exact (:func:`policy_changes`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from algorithms._timing import chunk_length as chunk_length
from algorithms._timing import clock as clock
from algorithms._validation import check_budget as _check_budget
from algorithms._validation import check_positive as check_positive
from algorithms._validation import check_unit_rewards
from mdptheory._kernels import draw_reward, row_supports
from mdptheory.regret import RegretTrace, trace_metadata
from mdptheory.seeding import as_generator
from mdptheory.tabular import FiniteMDP

TRAJECTORY_BYTES_PER_STEP = 8
"""Extra memory per step of ``record_trajectory=True``: the state and the action (int32)."""


def check_budget(budget: object, record_trajectory: bool = False) -> int:
    """The number of steps T as an int >= 1, refused when its trace would not fit in memory."""
    extra = TRAJECTORY_BYTES_PER_STEP if record_trajectory else 0
    return _check_budget(budget, "number of steps T", 32 + extra)


def check_average_model(model: object, learner: str):
    """Arrays a compiled run needs, after checking that ``model`` suits an average-reward
    learner: ``P`` (S, A, S), ``R`` (S, A), ``initial`` (S,), the noise code and sigma, and the
    supports of the kernel's rows (``indptr``, ``indices``; :func:`row_supports`).

    Raises ``ValueError`` for a model that is not a :class:`FiniteMDP`, a mean reward outside
    [0, 1] or Gaussian reward noise (the analyses assume rewards in [0, 1]).
    """
    if not isinstance(model, FiniteMDP):
        raise ValueError(
            f"{learner} needs a FiniteMDP (average reward; its gamma is ignored), got "
            f"{type(model).__name__}: {model!r}"
        )
    R = np.array(model.R, dtype=np.float64, order="C")
    check_unit_rewards(R[None], learner, "confidence sets and regret bound")
    if model.noise.kind == "gaussian":
        raise ValueError(
            f"{learner} needs rewards in [0, 1]: use deterministic or Bernoulli reward noise, "
            f"got Gaussian noise with sigma={model.noise.sigma}"
        )
    P = np.array(model.dense_P(), dtype=np.float64, order="C")
    initial = np.array(model.initial, dtype=np.float64, order="C")
    indptr, indices = row_supports(P[None])
    return P, R, initial, model.noise.code, float(model.noise.sigma), indptr, indices


def prepare(model: object, learner: str, budget: object, seed, record_trajectory: bool = False):
    """Everything a run needs before its compiled call: ``(env, T, rho*, gaps, rng)``.

    ``env`` is the tuple :func:`check_average_model` returns (passed whole to the kernels),
    ``T`` the checked budget, ``rho*`` and ``gaps`` the regret oracle, ``rng`` the Generator.
    """
    env = check_average_model(model, learner)
    T = check_budget(budget, record_trajectory)
    rho, _, gaps = regret_oracle(model)
    return env, T, rho, gaps, as_generator(seed)


def regret_oracle(model: FiniteMDP) -> tuple[float, np.ndarray, np.ndarray]:
    """``rho*``, ``h*`` and the Bellman gaps of the true model (exact policy iteration).

    Raises ``ValueError`` (naming two closed classes) when the optimal gain depends on the
    start state: regret against a single ``rho*`` is then undefined.
    """
    from mdptheory.average_reward import bellman_gaps, optimal_gain_bias

    solution = optimal_gain_bias(model)
    return solution.gain, solution.bias, bellman_gaps(model, solution)


@njit(cache=True)
def sample_next(
    P: np.ndarray, indptr: np.ndarray, indices: np.ndarray, s: int, a: int, u: float
) -> int:
    """Next state of ``(s, a)`` by inverse CDF over the row's support: O(support), not O(S)."""
    A = P.shape[1]
    row = s * A + a
    total = 0.0
    last = indices[indptr[row]]
    for k in range(indptr[row], indptr[row + 1]):
        x = indices[k]
        total += P[s, a, x]
        last = x
        if u < total:
            return x
    return last  # rounding left the total just below 1


@njit(cache=True)
def initial_state(initial: np.ndarray, u: float) -> int:
    total = 0.0
    last = 0
    for s in range(initial.shape[0]):
        if initial[s] > 0.0:
            total += initial[s]
            last = s
            if u < total:
                return s
    return last


@njit(cache=True)
def act(env, s: int, a: int, rng) -> tuple[float, int]:
    """One step of the environment ``env`` (see :func:`prepare`): the sampled reward and the
    next state."""
    P, R, _, noise_code, sigma, indptr, indices = env
    r = draw_reward(R[s, a], noise_code, sigma, rng)
    return r, sample_next(P, indptr, indices, s, a, rng.random())


@njit(cache=True)
def outputs(T: int, record: bool):
    """The per-step arrays of a run: gap regret, reward, time (T), states (T + 1) and actions
    (T) when ``record``, else empty."""
    return (
        np.empty(T),
        np.empty(T),
        np.empty(T),
        np.empty(T + 1 if record else 0, dtype=np.int32),
        np.empty(T if record else 0, dtype=np.int32),
    )


@njit(cache=True)
def record_step(out, i: int, gap: float, r: float, a: int, s_next: int, record: bool) -> None:
    """Write step ``i`` into the arrays of :func:`outputs`."""
    gap_regret, rewards, _, states, actions = out
    gap_regret[i] = gap
    rewards[i] = r
    if record:
        actions[i] = a
        states[i + 1] = s_next


@njit(cache=True)
def tick(times: np.ndarray, chunk_start: int, done: int, chunk: int, T: int, t0: float):
    """After ``done`` steps: at the end of a chunk, spread its time over its steps. Returns the
    new ``(chunk_start, t0)``."""
    if done - chunk_start == chunk or done == T:
        t1 = clock()
        spread_time(times, chunk_start, done, t1 - t0)
        return done, t1
    return chunk_start, t0


@njit(cache=True)
def log_epoch(starts: np.ndarray, values: np.ndarray, k: int, i: int, row):
    """Record epoch ``k`` (starting at step ``i``, with the numbers ``row``), growing the logs;
    returns them."""
    starts = grow(starts, k + 1)
    if k + 1 > values.shape[0]:
        bigger = np.zeros((max(2 * values.shape[0], k + 1), values.shape[1]))
        bigger[: values.shape[0]] = values
        values = bigger
    starts[k] = i
    for j in range(len(row)):
        values[k, j] = row[j]
    return starts, values


@njit(cache=True)
def log_policy(policies: np.ndarray, k: int, policy: np.ndarray) -> np.ndarray:
    """Record the policy of epoch ``k`` as row ``k`` of ``policies`` (epochs x S, int),
    growing it; returns it."""
    if k + 1 > policies.shape[0]:
        bigger = np.zeros(
            (max(2 * policies.shape[0], k + 1), policies.shape[1]), dtype=policies.dtype
        )
        bigger[: policies.shape[0]] = policies
        policies = bigger
    policies[k] = policy
    return policies


@njit(cache=True)
def grow(array: np.ndarray, needed: int) -> np.ndarray:
    """``array`` itself if it holds ``needed`` entries, else a copy twice as long."""
    if needed <= array.shape[0]:
        return array
    bigger = np.zeros(max(2 * array.shape[0], needed), dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@njit(cache=True)
def spread_time(times: np.ndarray, start: int, stop: int, elapsed: float) -> None:
    """Spread a chunk's measured time evenly over its steps ``start..stop-1``."""
    if stop > start:
        share = elapsed / (stop - start)
        for i in range(start, stop):
            times[i] = share


def epoch_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of ``values`` over the epochs beginning at ``starts`` (0-based, increasing)."""
    return np.add.reduceat(values, starts) if starts.size else np.zeros(0)


def policy_changes(epoch_policy: np.ndarray) -> int:
    """Epochs whose planned policy differs from the previous epoch's (in at least one state).

    Examples
    --------
    >>> policy_changes(np.array([[0, 1], [0, 1], [1, 1], [0, 1]]))
    2
    """
    policies = np.asarray(epoch_policy)
    if policies.ndim != 2:
        raise ValueError(f"epoch_policy must be (epochs, S), got shape {policies.shape}")
    return int(np.count_nonzero((policies[1:] != policies[:-1]).any(axis=1)))


def build_trace(
    learner,
    model: FiniteMDP,
    seed,
    out: tuple,
    rho: float,
    epoch_start: np.ndarray,
    extras: dict[str, np.ndarray],
    record_trajectory: bool = False,
    epoch_policy: np.ndarray | None = None,
    **meta,
) -> RegretTrace:
    """The :class:`RegretTrace` of one run from the arrays of :func:`outputs`: per-step gap and
    realised regret, per-epoch sums and policies, the trajectory when recorded; the learner's
    ``label`` and ``constants`` go into the metadata."""
    gap_regret, rewards, times, states, actions = out
    T = gap_regret.shape[0]
    realised = rho - rewards
    all_extras = {
        "epoch_start": epoch_start,
        "epoch_gap_regret": epoch_sums(gap_regret, epoch_start),
        "epoch_realised_regret": epoch_sums(realised, epoch_start),
        **extras,
    }
    if epoch_policy is not None:
        all_extras["epoch_policy"] = np.asarray(epoch_policy, dtype=np.int64)
    if record_trajectory:
        all_extras.update(states=states, actions=actions)
    metadata = trace_metadata(
        learner,
        model,
        seed,
        T,
        label=learner.label,
        constants=learner.constants,
        unit="step",
        optimal_gain=rho,
        pseudo_regret="gap regret: gap(s_t, a_t) = rho* + h*(s_t) - r(s_t, a_t) - (P h*)(s_t, a_t)",
        realised_regret="rho* - r_t",
        n_epochs=int(epoch_start.size),
        timing=f"chunks of {chunk_length(T)} steps, each chunk's time spread over its steps",
        **meta,
    )
    return RegretTrace(gap_regret, realised, times, metadata, all_extras)


__all__ = [
    "act",
    "build_trace",
    "check_average_model",
    "check_budget",
    "check_positive",
    "chunk_length",
    "clock",
    "epoch_sums",
    "grow",
    "initial_state",
    "log_epoch",
    "log_policy",
    "outputs",
    "policy_changes",
    "prepare",
    "record_step",
    "regret_oracle",
    "sample_next",
    "spread_time",
    "tick",
]
