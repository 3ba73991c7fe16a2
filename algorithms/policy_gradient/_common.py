"""Plumbing shared by the policy-gradient learners: JAX setup, keys, models, recording, traces.

* **float64.** Importing this module turns on ``jax_enable_x64``; every array handed to JAX is
  float64 (int64 for indices).
* **Keys.** :func:`jax_key` derives the root JAX key of a run from the library's seed rule
  (:mod:`mdptheory.seeding`): an int or ``SeedSequence`` seed becomes
  ``SeedSequence(seed).generate_state(2, uint32)``, the two 32-bit words of a threefry2x32 key;
  a ``Generator`` seed gives its next two uint32 draws. Trajectory ``i`` of a batch uses
  ``fold_in(root, i)`` and iteration ``t`` of a trajectory uses ``fold_in(trajectory_key, t)``
  (split in two: one key for the action, one for the reward). The same seed therefore gives the
  same draws bit for bit, and trajectory ``i`` draws the same numbers whatever the batch size.
* **Recording.** :func:`recorded_scan` runs ``budget`` updates with ``jax.lax.scan`` and records
  after every ``every``-th update, so a long run need not keep every iterate.
  :func:`record_iterations` gives the update counts to record: every ``every``-th, or (the
  default of the compiled softmax PG) every iterate up to :data:`RECORD_ALL_UP_TO` and then a
  geometric grid of :data:`RECORD_PER_DECADE` points per decade, so the cost of recording does
  not grow with the budget while log-log curves keep their resolution.
* **Traces.** A batched run returns a :class:`BatchTrace` (arrays with a leading batch axis);
  ``BatchTrace.trace(i)`` is the :class:`~mdptheory.regret.ConvergenceTrace` of trajectory ``i``.
  Entry ``k`` of a recorded curve belongs to iteration ``iterations[k]``: the policy after that
  many updates (1-based, so ``gap[k] * iterations[k]`` is ``t * gap_t``). The gap of the
  initial policy is kept apart in ``initial_gap``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from algorithms._validation import check_budget as _check_budget
from algorithms._validation import check_positive as check_positive
from mdptheory._validation import check_memory, dense_bytes
from mdptheory._validation import check_seed as check_seed
from mdptheory.regret import ConvergenceTrace, trace_metadata
from mdptheory.seeding import as_seed_sequence
from mdptheory.tabular import NOISE_CODES as NOISE_CODES
from mdptheory.tabular import FiniteMDP, RewardNoise

# float64 everywhere: set before any JAX array is created by this package.
jax.config.update("jax_enable_x64", True)



# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------

def check_budget(budget: Any) -> int:
    """Return ``budget`` (number of iterations) as an int, raising ``ValueError`` unless >= 1."""
    return _check_budget(budget, "number of iterations")


def check_every(every: Any, budget: int) -> int:
    """``record_every`` must be a positive int dividing ``budget``."""
    if isinstance(every, (bool, np.bool_)) or not isinstance(every, (int, np.integer)) \
            or every < 1:
        raise ValueError(f"record_every must be a positive int, got {every!r}")
    if budget % every:
        raise ValueError(f"record_every = {every} must divide budget = {budget}")
    # Recorded trace: gap, minimum probability and a few per-record quantities, float64.
    check_memory(dense_bytes(budget // every, 4), f"a trace of budget / record_every = "
                 f"{budget // every} records", f"budget={budget}")
    return int(every)


RECORD_ALL_UP_TO = 1000
"""Geometric recording keeps every iterate up to this many updates."""

RECORD_PER_DECADE = 100
"""Points per decade of the geometric recording grid beyond :data:`RECORD_ALL_UP_TO`."""


def record_iterations(budget: int, every: int | None) -> np.ndarray:
    """Update counts (1-based, increasing, the last is ``budget``) after which to record.

    ``every`` an int: ``every, 2 every, ..., budget``. ``None``: all of ``1..min(budget,
    RECORD_ALL_UP_TO)``, then the rounded points of a geometric grid with
    :data:`RECORD_PER_DECADE` points per decade up to ``budget`` (duplicates dropped).

    Examples
    --------
    >>> record_iterations(10, 5).tolist()
    [5, 10]
    >>> grid = record_iterations(100_000, None)
    >>> grid[:3].tolist(), int(grid[999]), int(grid[-1]), len(grid)
    ([1, 2, 3], 1000, 100000, 1201)
    """
    if every is not None:
        return np.arange(every, budget + 1, every, dtype=np.int64)
    head = np.arange(1, min(budget, RECORD_ALL_UP_TO) + 1, dtype=np.int64)
    if budget <= RECORD_ALL_UP_TO:
        return head
    decades = math.log10(budget / RECORD_ALL_UP_TO)
    n = max(2, math.ceil(decades * RECORD_PER_DECADE) + 1)
    tail = np.rint(np.geomspace(RECORD_ALL_UP_TO, budget, n)).astype(np.int64)
    tail[-1] = budget
    return np.unique(np.concatenate([head, tail]))


def check_step_sizes(etas: Any, name: str = "eta") -> np.ndarray:
    """A float64 array of step sizes, each finite and > 0 (the message names the first bad)."""
    array = np.atleast_1d(np.asarray(etas, dtype=np.float64))
    if array.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-d array, got shape {array.shape}")
    bad = ~np.isfinite(array) | (array <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {float(array[i])!r}; step sizes must be finite and "
                         "positive")
    return array


# ---------------------------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------------------------

def jax_key(seed: Any) -> jax.Array:
    """Root threefry2x32 key of a run (derivation in the module docstring).

    Examples
    --------
    >>> import jax
    >>> bool((jax.random.key_data(jax_key(3)) == jax.random.key_data(jax_key(3))).all())
    True
    """
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**32, size=2, dtype=np.uint32)
    else:
        words = as_seed_sequence(seed).generate_state(2, dtype=np.uint32)
    return jax.random.wrap_key_data(jnp.asarray(words, dtype=jnp.uint32), impl="threefry2x32")


def trajectory_keys(seed: Any, n: int) -> jax.Array:
    """Keys of trajectories ``0..n-1``: ``fold_in(root, i)``."""
    root = jax_key(seed)
    return jax.vmap(lambda i: jax.random.fold_in(root, i))(jnp.arange(n, dtype=jnp.uint32))


def seed_record(seed: Any) -> Any:
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    if isinstance(seed, np.random.Generator):
        return "Generator"
    return seed


# ---------------------------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------------------------

def _noise_of(model: Any) -> RewardNoise:
    noise = getattr(model, "noise", None)
    if noise is None:
        return RewardNoise()
    if isinstance(noise, RewardNoise):
        return noise
    kind = getattr(noise, "kind", None)
    if kind is not None:
        return RewardNoise(kind, float(getattr(noise, "sigma", 0.0)))
    return RewardNoise.parse(noise)


def model_name(model: Any) -> str:
    name = getattr(model, "name", None)
    if name:
        return str(name)
    if isinstance(model, np.ndarray):
        return f"array{model.shape}"
    return type(model).__name__


@dataclass(frozen=True)
class BanditBatch:
    """Means (N, K) of N finite-armed bandits with a common reward-noise model."""

    means: np.ndarray
    noise: RewardNoise
    names: tuple[str, ...]
    models: tuple[Any, ...]


def _means_of(model: Any) -> np.ndarray:
    means = getattr(model, "means", model)
    array = np.asarray(means, dtype=np.float64)
    return array


def read_bandits(models: Any, noise: Any = None) -> BanditBatch:
    """Read one bandit, an (N, K) array of means or a sequence of bandits of equal K.

    A bandit is any object with ``means`` (e.g. :class:`mdptheory.bandits.Bandit`) or a 1-d
    array of means. ``noise`` overrides the models' reward-noise model (arrays have none and
    count as deterministic).
    """
    if isinstance(models, np.ndarray) or hasattr(models, "means") or (
            isinstance(models, Sequence) and models and np.isscalar(models[0])):
        array = _means_of(models)
        if array.ndim == 1:
            array = array[None]
        model_list: tuple[Any, ...] = (models,) if array.shape[0] == 1 else tuple(array)
    elif isinstance(models, Sequence) and len(models) > 0:
        rows = [_means_of(m) for m in models]
        shapes = {r.shape for r in rows}
        if len(shapes) != 1 or rows[0].ndim != 1:
            raise ValueError(f"bandits in a batch need the same number of arms, got mean "
                             f"shapes {sorted(shapes)}")
        array = np.stack(rows)
        model_list = tuple(models)
    else:
        raise ValueError(f"expected a bandit (with means), an array of means or a sequence of "
                         f"bandits, got {type(models).__name__}")
    if array.ndim != 2 or array.shape[1] < 2:
        raise ValueError(f"bandit means must have shape (K,) or (N, K) with K >= 2, got "
                         f"{array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        raise ValueError(f"means[{i}, {j}] is {float(array[i, j])!r}, not a finite number")
    if noise is not None:
        kind = RewardNoise.parse(noise)
    else:
        kinds = {(_noise_of(m).kind, _noise_of(m).sigma) for m in model_list}
        if len(kinds) != 1:
            raise ValueError(f"bandits in a batch need one reward-noise model, got {kinds}")
        kind = _noise_of(model_list[0])
    kind.check_means(array, "means")
    names = tuple(model_name(m) for m in model_list)
    return BanditBatch(np.ascontiguousarray(array), kind, names, model_list)


def is_bandit(model: Any) -> bool:
    """True for a bandit-like model (has ``means``, or is an array of means), not an MDP."""
    if isinstance(model, FiniteMDP):
        return False
    if isinstance(model, Sequence) and model and isinstance(model[0], FiniteMDP):
        return False
    return True


@dataclass(frozen=True)
class MDPBatch:
    """N discounted MDPs of equal S and A as stacked arrays."""

    P: np.ndarray          # (N, S, A, S)
    R: np.ndarray          # (N, S, A)
    gamma: np.ndarray      # (N,)
    rho: np.ndarray        # (N, S)
    models: tuple[FiniteMDP, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(model_name(m) for m in self.models)


def read_mdps(models: Any) -> MDPBatch:
    """Read one :class:`~mdptheory.FiniteMDP` or a sequence of them with equal S and A."""
    model_list = (models,) if isinstance(models, FiniteMDP) else tuple(models)
    if not model_list:
        raise ValueError("no MDP given")
    for i, m in enumerate(model_list):
        if not isinstance(m, FiniteMDP):
            raise ValueError(f"model {i} is a {type(m).__name__}; exact policy gradient on an "
                             "MDP needs a discounted FiniteMDP")
    shapes = {(m.S, m.A) for m in model_list}
    if len(shapes) != 1:
        raise ValueError(f"MDPs in a batch need the same (S, A), got {sorted(shapes)}")
    P = np.stack([m.dense_P() for m in model_list])
    R = np.stack([np.asarray(m.R) for m in model_list])
    gamma = np.array([m.gamma for m in model_list])
    rho = np.stack([np.asarray(m.initial) for m in model_list])
    return MDPBatch(P, R, gamma, rho, model_list)


def read_feature_bandits(models: Any, noise: Any = None
                         ) -> tuple[np.ndarray, np.ndarray, RewardNoise, tuple[str, ...]]:
    """Read feature bandits: ``(X, r)`` pairs or objects with features and means.

    Accepted forms: a pair ``(X, r)`` with ``X`` of shape (K, d) or (N, K, d) and ``r`` of shape
    (K,) or (N, K); an object with ``features`` (or ``X`` or ``arms``) and ``means`` (or
    ``rewards``); or a sequence of such objects or pairs with equal (K, d).

    Returns ``X`` (N, K, d), ``r`` (N, K), the reward noise and the names.
    """
    def one(model: Any) -> tuple[np.ndarray, np.ndarray, RewardNoise, str]:
        if isinstance(model, tuple) and len(model) == 2:
            X, r = model
            return (np.asarray(X, dtype=np.float64), np.asarray(r, dtype=np.float64),
                    RewardNoise(), "feature bandit")
        X = next((getattr(model, a) for a in ("features", "X", "arms") if hasattr(model, a)),
                 None)
        r = next((getattr(model, a) for a in ("means", "rewards") if hasattr(model, a)), None)
        if X is None or r is None:
            raise ValueError(f"a feature bandit needs features (features, X or arms) and means "
                             f"(means or rewards), or a pair (X, r); got "
                             f"{type(model).__name__}")
        return (np.asarray(X, dtype=np.float64), np.asarray(r, dtype=np.float64),
                _noise_of(model), model_name(model))

    if isinstance(models, tuple) and len(models) == 2 and not hasattr(models[0], "means"):
        X, r, kind, name = one(models)
        if X.ndim == 3:
            parts = [(X[i], r[i] if r.ndim == 2 else r, kind, name) for i in range(X.shape[0])]
        else:
            parts = [(X, r, kind, name)]
    elif isinstance(models, Sequence) and not isinstance(models, tuple | str):
        parts = [one(m) for m in models]
    else:
        parts = [one(models)]
    if not parts:
        raise ValueError("no feature bandit given")
    for i, (X, r, _, _) in enumerate(parts):
        if X.ndim != 2:
            raise ValueError(f"features of bandit {i} must have shape (K, d), got shape "
                             f"{X.shape}")
        if X.shape[0] < 2 or X.shape[1] < 1:
            raise ValueError(f"features of bandit {i} have shape {X.shape}: need K >= 2 arms "
                             "and d >= 1")
        if r.shape != (X.shape[0],):
            raise ValueError(f"rewards of bandit {i} must have shape ({X.shape[0]},) to match "
                             f"features of shape {X.shape}, got shape {r.shape}")
        for name, array in (("features", X), ("rewards", r)):
            bad = ~np.isfinite(array)
            if bad.any():
                index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
                raise ValueError(f"{name} of bandit {i} at {index} is "
                                 f"{float(array[index])!r}, not a finite number")
    shapes = {p[0].shape for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"feature bandits in a batch need the same (K, d), got {sorted(shapes)}")
    kinds = {(p[2].kind, p[2].sigma) for p in parts}
    if noise is not None:
        kind = RewardNoise.parse(noise)
    elif len(kinds) != 1:
        raise ValueError(f"feature bandits in a batch need one reward-noise model, got {kinds}")
    else:
        kind = parts[0][2]
    X = np.stack([p[0] for p in parts])
    r = np.stack([p[1] for p in parts])
    kind.check_means(r, "rewards")
    return X, r, kind, tuple(p[3] for p in parts)


# ---------------------------------------------------------------------------------------------
# batching
# ---------------------------------------------------------------------------------------------

def batch_size(*arrays: np.ndarray) -> int:
    """Common leading size of batched arguments (size 1 broadcasts); ValueError otherwise."""
    sizes = {a.shape[0] for a in arrays if a.shape[0] != 1}
    if len(sizes) > 1:
        raise ValueError(f"batched arguments have incompatible leading sizes {sorted(sizes)} "
                         "(each must be 1 or the common batch size)")
    return sizes.pop() if sizes else 1


def as_batch(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``value`` as an array of shape (n, *shape) with n >= 1 (a single value gets n = 1)."""
    array = np.asarray(value, dtype=np.float64)
    if array.shape == shape:
        array = array[None]
    if array.ndim != len(shape) + 1 or array.shape[1:] != shape:
        raise ValueError(f"{name} must have shape {shape} or (N, {', '.join(map(str, shape))})"
                         f", got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        raise ValueError(f"{name}{list(index)} is {float(array[index])!r}, not a finite number")
    return array


@functools.lru_cache(maxsize=128)
def batched(kernel: Callable, in_axes: tuple, **static: Any) -> Callable:
    """``jit(vmap(partial(kernel, **static), in_axes))``, cached so shapes reuse compilations."""
    return jax.jit(jax.vmap(functools.partial(kernel, **static), in_axes=in_axes))


def call_batched(kernel: Callable, args: Sequence[np.ndarray | jax.Array], **static: Any):
    """Call ``kernel`` over the batch: arguments with leading size 1 are shared, not copied."""
    n = batch_size(*[a for a in args if hasattr(a, "shape") and a.ndim > 0])
    in_axes = tuple(0 if (a.shape[0] == n and n > 1) else None for a in args)
    squeezed = [a if ax == 0 else a[0] for a, ax in zip(args, in_axes, strict=True)]
    if n == 1:
        # A batch of one still goes through vmap so that run() and run_batch() share code.
        in_axes = (0,) * len(args)
        squeezed = list(args)
    return batched(kernel, in_axes, **static)(*squeezed), n


def recorded_scan(step: Callable, observe: Callable, carry: Any, budget: int,
                  every: int) -> tuple[Any, Any]:
    """Run ``budget`` applications of ``step`` and record ``observe`` after every ``every``.

    Returns the final carry and the stacked observations (``budget // every`` of them).
    """
    if every == 1:
        def body(c, _):
            c = step(c)
            return c, observe(c)
        return jax.lax.scan(body, carry, None, length=budget)

    def chunk(c, _):
        c = jax.lax.fori_loop(0, every, lambda i, x: step(x), c)
        return c, observe(c)
    return jax.lax.scan(chunk, carry, None, length=budget // every)


def softmax_and_log(logits: jax.Array, axis: int = -1) -> tuple[jax.Array, jax.Array]:
    """``(pi, log pi)`` of ``softmax(logits)`` by the stable log-sum-exp, one exp per entry.

    The maximum is subtracted before exponentiating, so no logit overflows, and ``log pi`` is
    ``shifted - log(sum exp(shifted))``, exact even where ``pi`` underflows to 0.
    """
    shifted = logits - jax.lax.stop_gradient(jnp.max(logits, axis=axis, keepdims=True))
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=axis, keepdims=True)
    return e / total, shifted - jnp.log(total)


# ---------------------------------------------------------------------------------------------
# traces
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchTrace:
    """Curves of a batch of trajectories (the result of ``run_batch``).

    Attributes
    ----------
    gap : ndarray, shape (N, n)
        ``gap[i, k]``: the gap of trajectory ``i`` after ``iterations[k]`` updates (the quantity
        named in ``metadata["gap"]``).
    iterations : ndarray of int, shape (n,)
        Update counts at which the curves were recorded (1-based: the first entry is the policy
        after ``record_every`` updates).
    initial_gap : ndarray, shape (N,)
        The gap of the initial policy.
    extras : dict of ndarray, each (N, n)
        Other recorded curves, e.g. ``min_prob`` = ``min_a pi_t(a)``.
    metadata : dict
        Learner, hyperparameters, seed, budget, names of the instances, what ``gap`` means.
    names : tuple of str
        Instance name of each trajectory.
    etas : ndarray, shape (N,)
        Step size of each trajectory.
    initial : dict of ndarray, each (N,)
        Other quantities of the initial policy (e.g. ``q_error`` for entropy-regularised NPG).

    Examples
    --------
    >>> import numpy as np
    >>> from algorithms.policy_gradient import SoftmaxPG
    >>> batch = SoftmaxPG().run_batch(np.array([[1.0, 0.0], [0.5, 0.0]]), 100, record_every=50)
    >>> batch.gap.shape, batch.iterations.tolist(), len(batch.trace(1).gap)
    ((2, 2), [50, 100], 2)
    """

    gap: np.ndarray
    iterations: np.ndarray
    initial_gap: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    etas: np.ndarray | None = None
    initial: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.gap.shape[0])

    def single(self) -> ConvergenceTrace:
        """The trace of a batch of one trajectory (what every learner's ``run`` returns)."""
        if len(self) != 1:
            raise ValueError(f"run takes one model and one initialisation, got a batch of "
                             f"{len(self)}; use run_batch")
        return self.trace(0)

    def trace(self, i: int) -> ConvergenceTrace:
        """The :class:`~mdptheory.regret.ConvergenceTrace` of trajectory ``i``."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < len(self):
            raise ValueError(f"trajectory index {i!r} is outside 0..{len(self) - 1}")
        extras = {k: np.asarray(v[i]) for k, v in self.extras.items()}
        if not np.array_equal(self.iterations, np.arange(1, len(self.iterations) + 1)):
            # Thinned or geometric recording: keep the iteration of each entry beside it.
            extras["iteration"] = self.iterations.astype(np.float64)
        meta = dict(self.metadata)
        meta["initial_gap"] = float(self.initial_gap[i])
        for key, value in self.initial.items():
            meta[f"initial_{key}"] = float(value[i])
        meta["trajectory"] = int(i)
        if self.etas is not None:
            meta["eta"] = float(self.etas[i])
        if self.names:
            meta["instance"] = self.names[i] if len(self.names) > 1 else self.names[0]
        return ConvergenceTrace(np.asarray(self.gap[i]), extras, meta)


def make_batch_trace(learner: Any, out: dict[str, Any], budget: int, every: int | None,
                     seed: Any, names: Sequence[str], etas: np.ndarray, gap_meaning: str,
                     **meta: Any) -> BatchTrace:
    """Assemble a :class:`BatchTrace` from a kernel's output dict (``gap``, ``initial_gap``,
    extras) and record the run's description in the metadata. ``every=None`` is the
    geometric recording grid of :func:`record_iterations`."""
    gap = np.asarray(out.pop("gap"), dtype=np.float64)
    initial = np.asarray(out.pop("initial_gap"), dtype=np.float64)
    at_start = {k[len("initial_"):]: np.asarray(out.pop(k), dtype=np.float64)
                for k in [k for k in out if k.startswith("initial_")]}
    extras = {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
    iterations = record_iterations(budget, every)
    metadata = trace_metadata(learner, None, seed_record(seed), budget, **meta)
    metadata["instance"] = names[0] if len(set(names)) == 1 else f"{len(names)} instances"
    metadata["instance_repr"] = metadata["instance"]
    entry_k = (f"(k + 1) * {every} updates" if every is not None else
               f"iterations[k]: every update up to {RECORD_ALL_UP_TO}, then "
               f"{RECORD_PER_DECADE} per decade (geometric)")
    metadata.update({"gap": gap_meaning,
                     "record_every": every if every is not None else "geometric",
                     "iteration_of_entry_k": entry_k,
                     "batch_size": int(gap.shape[0])})
    n = gap.shape[0]
    etas = np.broadcast_to(np.asarray(etas, dtype=np.float64), (n,)).copy()
    return BatchTrace(gap=gap, iterations=iterations, initial_gap=initial, extras=extras,
                      metadata=metadata, names=tuple(names), etas=etas, initial=at_start)
