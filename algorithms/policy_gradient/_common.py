"""Former home of the policy-gradient plumbing, kept so that old import paths still work.

Each concept now has its own module: :mod:`._arguments` (budget, step sizes, batched
arguments), :mod:`._models` (reading bandits, MDPs and feature bandits), :mod:`._keys` (JAX keys
from seeds), :mod:`._jax` (float64, jit and vmap), :mod:`._recording` (the recording grid and
the recorded scan), :mod:`._softmax` (the stable softmax) and :mod:`._traces` (``BatchTrace``).
"""

from algorithms._validation import check_positive
from algorithms.policy_gradient._arguments import (
    as_batch,
    batch_size,
    check_budget,
    check_step_sizes,
)
from algorithms.policy_gradient._jax import batched, call_batched
from algorithms.policy_gradient._keys import jax_key, trajectory_keys
from algorithms.policy_gradient._models import (
    BanditBatch,
    MDPBatch,
    is_bandit,
    model_name,
    read_bandits,
    read_feature_bandits,
    read_mdps,
)
from algorithms.policy_gradient._recording import (
    RECORD_ALL_UP_TO,
    RECORD_PER_DECADE,
    check_every,
    record_iterations,
    recorded_scan,
)
from algorithms.policy_gradient._softmax import softmax_and_log
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace
from mdptheory._validation import check_seed

__all__ = [
    "RECORD_ALL_UP_TO",
    "RECORD_PER_DECADE",
    "BanditBatch",
    "BatchTrace",
    "MDPBatch",
    "as_batch",
    "batch_size",
    "batched",
    "call_batched",
    "check_budget",
    "check_every",
    "check_positive",
    "check_seed",
    "check_step_sizes",
    "is_bandit",
    "jax_key",
    "make_batch_trace",
    "model_name",
    "read_bandits",
    "read_feature_bandits",
    "read_mdps",
    "record_iterations",
    "recorded_scan",
    "softmax_and_log",
    "trajectory_keys",
]
