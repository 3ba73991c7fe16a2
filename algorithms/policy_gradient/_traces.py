"""The result of a batched policy-gradient run: :class:`BatchTrace`, and how a run fills it.

A batched run returns a :class:`BatchTrace` (arrays with a leading batch axis);
``BatchTrace.trace(i)`` is the :class:`~mdptheory.regret.ConvergenceTrace` of trajectory ``i``.
Entry ``k`` of a recorded curve belongs to iteration ``iterations[k]``: the policy after that
many updates (1-based, so ``gap[k] * iterations[k]`` is ``t * gap_t``). The gap of the initial
policy is kept apart in ``initial_gap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from algorithms.policy_gradient import _recording
from mdptheory.regret import ConvergenceTrace, trace_metadata


@dataclass(frozen=True)
class BatchTrace:
    """Curves of a batch of trajectories (the result of ``run_batch``).

    Attributes
    ----------
    gap : ndarray, shape (N, n)
        ``gap[i, k]``: the gap of trajectory ``i`` after ``iterations[k]`` updates (the quantity
        named in ``metadata["gap"]``).
    iterations : ndarray of int, shape (n,)
        Update counts at which the curves were recorded: entry ``k`` is the policy after
        ``iterations[k]`` updates (the geometric grid by default, ``record_every, 2
        record_every, ...`` when given).
    initial_gap : ndarray, shape (N,)
        The gap of the initial policy.
    extras : dict of ndarray, each (N, n, ...)
        Other recorded curves, e.g. ``min_prob`` = ``min_a pi_t(a)``, shape (N, n); a
        recorded vector per entry adds trailing axes (the preference learners' ``policy``
        is (N, n, K)). ``trace(i)`` passes row ``i`` of each on.
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
            raise ValueError(
                f"run takes one model and one initialisation, got a batch of "
                f"{len(self)}; use run_batch"
            )
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


def make_batch_trace(
    learner: Any,
    out: dict[str, Any],
    budget: int,
    every: int | None,
    seed: Any,
    names: Sequence[str],
    etas: np.ndarray,
    gap_meaning: str,
    **meta: Any,
) -> BatchTrace:
    """Assemble a :class:`BatchTrace` from a kernel's output dict (``gap``, ``initial_gap``,
    extras) and record the run's description in the metadata. ``every=None`` is the
    geometric recording grid of :func:`record_iterations`."""
    gap = np.asarray(out.pop("gap"), dtype=np.float64)
    initial = np.asarray(out.pop("initial_gap"), dtype=np.float64)
    at_start = {
        k[len("initial_") :]: np.asarray(out.pop(k), dtype=np.float64)
        for k in [k for k in out if k.startswith("initial_")]
    }
    extras = {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
    iterations = _recording.record_iterations(budget, every)
    metadata = trace_metadata(learner, None, seed, budget, **meta)
    metadata["instance"] = names[0] if len(set(names)) == 1 else f"{len(names)} instances"
    metadata["instance_repr"] = metadata["instance"]
    entry_k = (
        f"(k + 1) * {every} updates"
        if every is not None
        else f"iterations[k]: every update up to {_recording.RECORD_ALL_UP_TO}, then "
        f"{_recording.RECORD_PER_DECADE} per decade (geometric)"
    )
    metadata.update(
        {
            "gap": gap_meaning,
            "record_every": every if every is not None else "geometric",
            "iteration_of_entry_k": entry_k,
            "batch_size": int(gap.shape[0]),
        }
    )
    n = gap.shape[0]
    etas = np.broadcast_to(np.asarray(etas, dtype=np.float64), (n,)).copy()
    return BatchTrace(
        gap=gap,
        iterations=iterations,
        initial_gap=initial,
        extras=extras,
        metadata=metadata,
        names=tuple(names),
        etas=etas,
        initial=at_start,
    )
