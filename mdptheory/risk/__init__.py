r"""Risk functionals of discrete distributions, return distributions and risk-sensitive planning.

A return is a reward (higher is better) and ``alpha`` in (0, 1] is the risk level, the fraction
of the worst outcomes that counts: ``CVaR^alpha(X) = sup_x {x - E[(x - X)^+] / alpha}``, the
lower-tail CVaR of Rockafellar and Uryasev (2000) and Du, Wang, Huang (ICLR 2023, section 3).
The convention and its exact evaluation by sorting are stated in :mod:`mdptheory.risk.measures`.

Modules
-------
* :mod:`~mdptheory.risk.measures`: :func:`var`, :func:`cvar`, :func:`cvar_weights`,
  :func:`cvar_lp` (the Rockafellar-Uryasev LP via cvxpy, an independent cross-check),
  :func:`cvar_backup` (CVaR of one value vector under many distributions, one sort) and
  :func:`worst_path_backup`.
* :mod:`~mdptheory.risk.distribution`: :class:`ReturnDistribution`,
  :func:`return_distribution`, :func:`distributional_bellman`, :func:`project_onto_grid`: the
  exact law of the total return of a policy in a finite-horizon MDP (categorical on the exact
  support; a documented grid projection otherwise).
* :mod:`~mdptheory.risk.iterated`: :class:`ICVaRSolution`, :func:`icvar_backward_induction`,
  :func:`icvar_evaluate`, :func:`worst_path_backward_induction`, :func:`worst_path_evaluate`:
  iterated CVaR dynamic programming, Du, Wang, Huang (2023), eqs. (i), (ii) and (2);
  :func:`icvar_max_episode_regret`: the largest iterated-CVaR regret of one episode.
* :mod:`~mdptheory.risk.static`: :class:`StaticCVaRSolution`, :func:`static_cvar_optimum`: the
  optimal static CVaR of the total return by state augmentation with the accumulated reward
  (Bauerle and Ott 2011; Avila Pires et al., JMLR 2025, arXiv:2501.13028).
* :mod:`~mdptheory.risk.discretised`: :class:`DiscretisedCVaRSolution`,
  :func:`discretised_cvar_lsvi`: static CVaR with the budget on a grid of width ``eta`` and
  feature backups (the planning oracle of Zhao et al., ICLR 2024, arXiv:2311.11965), its exact
  error bound and the exact return law of its policy.
* :mod:`~mdptheory.risk.linear_icvar`: :func:`icvar_linear_backward_induction`: iterated-CVaR
  backups through linear features (the CVaR-adapted features of Chen et al., ICLR 2024).
* :mod:`~mdptheory.risk._kernels`: the compiled CVaR walk under all of these, and the
  iterated-CVaR backward induction and evaluation that the ICVaR-RM learner calls.

Stages are ``h = 0..H-1`` here and ``1..H`` in the papers (``V[h]`` is the paper's
``V_{h+1}``).
"""

from mdptheory.risk._kernels import (
    INSERTION_SORT_MAX,
    cvar_rows_kernel,
    cvar_sorted_row,
    icvar_dp_kernel,
    icvar_evaluate_kernel,
    icvar_evaluate_reachable,
    stable_order,
)
from mdptheory.risk.discretised import (
    DiscretisedCVaRSolution,
    budget_grid,
    budget_policy_return_distribution,
    discretisation_error_bound,
    discretised_cvar_lsvi,
)
from mdptheory.risk.distribution import (
    ATOM_DECIMALS,
    GAUSS_HERMITE_NODES,
    MAX_ATOMS,
    ReturnDistribution,
    distributional_bellman,
    project_onto_grid,
    return_distribution,
)
from mdptheory.risk.iterated import (
    ICVaRSolution,
    icvar_backward_induction,
    icvar_evaluate,
    icvar_max_episode_regret,
    worst_path_backward_induction,
    worst_path_evaluate,
)
from mdptheory.risk.linear_icvar import icvar_linear_backward_induction
from mdptheory.risk.measures import (
    CVAR_LP_PRIMAL_MIN_ALPHA,
    check_alpha,
    cvar,
    cvar_backup,
    cvar_lp,
    cvar_weights,
    var,
    worst_path_backup,
)
from mdptheory.risk.static import StaticCVaRSolution, static_cvar_optimum

__all__ = [
    "ATOM_DECIMALS",
    "CVAR_LP_PRIMAL_MIN_ALPHA",
    "GAUSS_HERMITE_NODES",
    "INSERTION_SORT_MAX",
    "MAX_ATOMS",
    "DiscretisedCVaRSolution",
    "ICVaRSolution",
    "ReturnDistribution",
    "StaticCVaRSolution",
    "budget_grid",
    "budget_policy_return_distribution",
    "check_alpha",
    "cvar",
    "cvar_backup",
    "cvar_lp",
    "cvar_rows_kernel",
    "cvar_sorted_row",
    "cvar_weights",
    "discretisation_error_bound",
    "discretised_cvar_lsvi",
    "distributional_bellman",
    "icvar_backward_induction",
    "icvar_dp_kernel",
    "icvar_evaluate",
    "icvar_evaluate_kernel",
    "icvar_evaluate_reachable",
    "icvar_linear_backward_induction",
    "icvar_max_episode_regret",
    "project_onto_grid",
    "return_distribution",
    "stable_order",
    "static_cvar_optimum",
    "var",
    "worst_path_backup",
    "worst_path_backward_induction",
    "worst_path_evaluate",
]
