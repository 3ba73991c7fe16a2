"""Policy-gradient learners: exact and stochastic softmax PG and NPG, tabular and log-linear.

Exact methods (the gradient or natural gradient computed from the exact model):

* :class:`SoftmaxPG`: exact softmax policy gradient on bandits and discounted MDPs, optional
  entropy regularisation (Mei, Xiao, Szepesvári, Schuurmans 2020).
* :class:`NPG`: exact tabular natural policy gradient (Agarwal, Kakade, Lee, Mahajan 2021);
  with ``tau > 0`` entropy-regularised NPG (Cen, Cheng, Chen, Wei, Chi 2022).
* :class:`LinSPG` (``sampling="exact"``) and :class:`LinNPG`: log-linear policies on finite-arm
  feature bandits (Mei et al. 2023); the representation conditions are in
  :mod:`mdptheory.policy_conditions`.

Stochastic methods (one sampled action and reward per iteration):

* :class:`GradientBandit`: on-policy softmax REINFORCE with a constant step (Mei et al. 2024).
* :class:`StochasticNPG`: on-policy stochastic NPG with or without the value baseline
  (Mei et al. 2022; Chung et al. 2021).
* :class:`LinSPG` with ``sampling="on-policy"`` (Lin et al. 2025).

Every learner is a frozen dataclass with ``run(model, budget, seed) -> ConvergenceTrace`` and
``run_batch(models, budget, seed, ...) -> BatchTrace``: one compiled call over a batch of
instances, initialisations, step sizes (and seeds), a ``jax.jit``-compiled, ``vmap``-ed
``lax.scan`` (numba kernels for :class:`SoftmaxPG`). By default a run records every iterate up
to 1000 updates, then 100 per decade (``record_every=m`` records every ``m``-th, 1 all).

JAX computes in float64 inside the package's own calls only (:func:`float64_scope`): importing
it leaves ``jax_enable_x64`` as it was.
"""

from algorithms.policy_gradient._jax import float64_scope
from algorithms.policy_gradient._keys import jax_key, trajectory_keys
from algorithms.policy_gradient._traces import BatchTrace
from algorithms.policy_gradient.burn_in import gradient_bandit_burn_in
from algorithms.policy_gradient.gradient_bandit import GradientBandit, paper_step
from algorithms.policy_gradient.lin_npg import LinNPG
from algorithms.policy_gradient.lin_spg import (
    LinSPG,
    linear_bandit_gradient,
    linear_bandit_value,
    safe_step,
)
from algorithms.policy_gradient.npg import NPG, agarwal_bound, cen_bound
from algorithms.policy_gradient.softmax_pg import (
    SoftmaxPG,
    bandit_gradient,
    bandit_limit,
    bandit_value,
    mdp_gradient,
    mdp_value,
    mei_theorem4_constant,
)
from algorithms.policy_gradient.stochastic_npg import StochasticNPG

LEARNERS = {
    "softmax-pg": SoftmaxPG,
    "npg": NPG,
    "gradient-bandit": GradientBandit,
    "stochastic-npg": StochasticNPG,
    "lin-spg": LinSPG,
    "lin-npg": LinNPG,
}
"""Command-line name -> learner class (used by ``mdptheory run`` and ``mdptheory learners``)."""

__all__ = [
    "LEARNERS",
    "NPG",
    "BatchTrace",
    "GradientBandit",
    "LinNPG",
    "LinSPG",
    "SoftmaxPG",
    "StochasticNPG",
    "agarwal_bound",
    "bandit_gradient",
    "bandit_limit",
    "bandit_value",
    "cen_bound",
    "float64_scope",
    "gradient_bandit_burn_in",
    "jax_key",
    "linear_bandit_gradient",
    "linear_bandit_value",
    "mdp_gradient",
    "mdp_value",
    "mei_theorem4_constant",
    "paper_step",
    "safe_step",
    "trajectory_keys",
]
