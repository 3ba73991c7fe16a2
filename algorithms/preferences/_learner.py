"""What IPO and DPO share: the batched run over datasets and regularisation strengths.

:meth:`PairwiseLearner.run_batch` reads N preference bandits (:mod:`._models`), broadcasts
them against the strengths (``tau`` for IPO, ``beta`` for DPO) and step sizes, computes each
trajectory's exact optimum in numpy (:mod:`mdptheory.preferences`), and runs the JAX kernel of
:mod:`._kernel` once, ``jit``-compiled and ``vmap``-ped over the batch, in float64
(:func:`~algorithms.policy_gradient._jax.float64_scope`). The result is a
:class:`~algorithms.policy_gradient.BatchTrace`; ``run`` is its trajectory 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from algorithms.policy_gradient._arguments import batch_size, check_budget, check_step_sizes
from algorithms.policy_gradient._jax import call_batched
from algorithms.policy_gradient._keys import trajectory_keys
from algorithms.policy_gradient._learner import BatchedLearner
from algorithms.policy_gradient._recording import check_every
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace
from algorithms.preferences._kernel import gradient_kernel
from algorithms.preferences._models import read_preference_bandits
from mdptheory._validation import check_int, check_seed
from mdptheory.preferences import laplacian


def _broadcast(array: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(array, (n, *array.shape[1:])).copy()


class PairwiseLearner(BatchedLearner):
    """Mixin of :class:`~algorithms.preferences.IPO` and :class:`~algorithms.preferences.DPO`.

    A subclass sets ``loss`` (``"ipo"`` or ``"dpo"``), ``strength_name``, and defines
    :meth:`strength`, :meth:`smoothness` (the loss's smoothness constant on a dataset, for the
    default step ``1 / M``) and :meth:`optimum` (the exact minimum and optimal policy).
    """

    loss: str = ""
    strength_name: str = ""

    def _check_batch(self) -> int:
        batch = getattr(self, "batch", None)
        return 0 if batch is None else check_int(batch, "batch", 1)

    @property
    def constants(self) -> str:
        """``"smoothness step"`` with the default step ``1 / M``, ``"tuned"`` otherwise."""
        return "smoothness step" if getattr(self, "eta", None) is None else "tuned"

    def run_batch(
        self,
        models: Any,
        budget: int,
        seed: Any = 0,
        *,
        strengths=None,
        etas=None,
        record_every: int | None = None,
        target_policies=None,
    ) -> BatchTrace:
        """Run N trajectories in one compiled, vmapped call.

        N is the broadcast of ``models`` (one preference bandit with a dataset or a sequence of
        them), ``strengths`` ((N,) values of tau for IPO or beta for DPO; default the learner's
        own) and ``etas`` ((N,); default ``1 / M`` of each trajectory's loss). Trajectory ``i``
        of a sampled-pair run draws with ``fold_in(root(seed), i)``: the same seed gives the
        same trajectories bit for bit; the exact-gradient run is deterministic.

        ``record_every``: ``None`` records on the geometric grid of
        :func:`~algorithms.policy_gradient._recording.record_iterations`, an int ``m`` every
        ``m``-th iterate.

        ``target_policies`` ((K,) or (N, K)): the policies ``policy_error`` is measured against
        instead of each trajectory's own exact optimum (e.g. another method's optimum).
        """
        budget = check_budget(budget)
        every = check_every(record_every, budget)
        check_seed(seed)
        batch = self._check_batch()
        data = read_preference_bandits(models)
        default = [self.strength()]
        strength = check_step_sizes(default if strengths is None else strengths, self.strength_name)
        n = batch_size(
            data.counts,
            strength,
            *([] if etas is None else [np.atleast_1d(np.asarray(etas, float))]),
        )
        W = _broadcast(data.counts, n)
        log_ref = _broadcast(data.log_reference, n)
        strength = np.broadcast_to(strength, (n,)).copy()
        if etas is None:
            own = getattr(self, "eta", None)
            etas = [
                own if own is not None else 1.0 / self.smoothness(W[i], strength[i])
                for i in range(n)
            ]
        eta = np.broadcast_to(check_step_sizes(etas), (n,)).copy()
        loss_star = np.empty(n)
        pi_star = np.empty((n, W.shape[1]))
        for i in range(n):
            loss_star[i], pi_star[i] = self.optimum(W[i], np.exp(log_ref[i]), strength[i])
        if target_policies is not None:
            targets = np.asarray(target_policies, dtype=np.float64)
            if targets.shape not in ((W.shape[1],), (n, W.shape[1])):
                raise ValueError(
                    f"target_policies must have shape ({W.shape[1]},) or "
                    f"({n}, {W.shape[1]}), got {targets.shape}"
                )
            pi_star = np.broadcast_to(targets, pi_star.shape).copy()
        keys = trajectory_keys(seed, n)
        out, _ = call_batched(
            gradient_kernel,
            [keys, W, log_ref, strength, eta, loss_star, pi_star],
            budget=budget,
            every=every,
            batch=batch,
            loss=self.loss,
        )
        names = data.names if len(data.names) == n else data.names * n
        trace = make_batch_trace(
            self,
            out,
            budget,
            every,
            seed,
            names,
            eta,
            f"{self.loss.upper()} loss on the dataset minus its exact "
            f"{'minimum' if self.loss == 'ipo' else 'infimum'}",
            constants=self.constants,
            loss=self.loss,
            sampling="exact gradient" if batch == 0 else f"{batch} pairs per step",
        )
        trace.metadata[f"{self.strength_name}s"] = strength.tolist()
        return trace


def laplacian_top(W: np.ndarray) -> float:
    """Largest eigenvalue of the comparison graph's Laplacian of ``W / sum W``."""
    return float(np.linalg.eigvalsh(laplacian(W / W.sum()))[-1])
