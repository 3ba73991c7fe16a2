r"""CVaR-UCB in low-rank MDPs with the representation chosen by maximum likelihood from a finite
candidate class, with exact static-CVaR regret.

Paper
-----
Y. Zhao, W. Zhan, X. Hu, H. Leung, F. Farnia, W. Sun, J. D. Lee, *Provably Efficient CVaR RL
in Low-rank MDPs*, ICLR 2024, arXiv:2311.11965 [V: abstract]: unknown features ``phi*`` learned
by an MLE oracle over a function class, a UCB bonus from the learned features, and a discretised
LSVI planner over the budget; sample complexity ``O~(H^7 A^2 d^4 / (tau^2 eps^2))``. The paper's
algorithm box was not read: its exploration schedule (uniform actions at the last step of a
roll-in, where the ``A^2`` comes from) and its bonus constant are **not reproduced**; this
learner is the model-based UCB learner that the abstract describes, **reconstructed**, with
:class:`~algorithms.risk.LowRankCVaRUCB` (true features) as its known-features counterpart.

Setting
-------
A latent-variable low-rank MDP ``P(s'|s, a) = phi*(s, a) . mu*(s')`` with a stationary kernel,
simplex features (``phi*(s, a)`` a distribution over ``d`` latent states), known deterministic
rewards on the budget grid, risk level ``alpha`` (the paper's ``tau``). The learner is given a
finite class ``Phi`` of candidate feature maps, not ``phi*``: the realisable class holds
``phi*`` among ``n_candidates - 1`` random simplex maps (``Dirichlet(1_d)`` rows, drawn from
``class_seed``, the truth at a position drawn from it too); ``include_truth=False`` drops the
truth (a misspecified class, the control).

Update (episode k)
------------------
With ``N(s, a, s')`` the transitions seen so far (pooled over stages: the kernel is stationary)::

    (phi_hat, mu_hat) = argmax_{phi in Phi, mu} sum N(s, a, s') log phi(s, a) . mu(s')  (EM)
    Lambda_h = I + sum_{i<k} phi_hat(s^i_h, a^i_h) phi_hat(s^i_h, a^i_h)^T          (per stage)
    W_h(s, j) = max{ 0, min_a [ phi_hat(s, a) . mu_hat W_{h+1}(., j')
                                - beta ||phi_hat(s, a)||_{Lambda_h^-1} ] },
    W_H(s, j) = j eta,      j*_k = argmax_j { j eta - rho . W_0(., j) / alpha },

``j' = max(0, j - r(s, a) / eta)``, ``beta = c d H sqrt(iota)``, ``iota = log(2 d K H / p)``
(LSVI-UCB's radius, as for the known-features learner); play the greedy augmented policy from
the budget ``j*_k eta``. ``Lambda_h`` is kept for every candidate (so switching candidates costs
nothing); EM runs ``em_iterations`` steps per episode on each candidate from the previous
episode's ``mu``.

Per-episode cost: ``O(C (em_iterations S^2 A d + H d^2))`` for the MLE and the statistics,
``O(H S A (d S + n_grid))`` for the plan and the exact CVaR of the executed policy; nothing grows
with k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scaled_label
from algorithms._episodic import (
    Environment,
    Simulation,
    check_open_unit,
    simulate,
)
from algorithms.linear.lsvi_ucb import (
    absorb_episode,
    check_refactor_every,
    start_statistics,
)
from algorithms.risk.cvar_ucbvi import (
    best_budget,
)
from algorithms.risk.feature_selection import (
    check_simplex_features,
    select_features,
    uniform_mu,
)
from algorithms.risk.lowrank_cvar_ucb import (
    PAPER,
    GridCVaRRuns,
    GridRun,
    evaluate_static_cvar_and_act,
    grid_metadata,
    start_grid_run,
)
from mdptheory._validation import check_int
from mdptheory.risk.discretised import shortfall_min_backup
from mdptheory.seeding import SeedLike, as_generator


def candidate_class(
    truth: np.ndarray, n_candidates: int, include_truth: bool, class_seed: int
) -> tuple[np.ndarray, int]:
    """The finite class ``Phi`` (C, S A, d) and the index of the truth in it (-1 if absent).

    Random members are ``Dirichlet(1_d)`` rows drawn from ``class_seed``; the truth's position
    is drawn from the same generator, so the class is fixed before any episode.

    Examples
    --------
    >>> truth = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    >>> Phi, where = candidate_class(truth, 3, True, 0)
    >>> Phi.shape, bool(np.array_equal(Phi[where], truth))
    ((3, 3, 2), True)
    >>> candidate_class(truth, 3, False, 0)[1]
    -1
    """
    rng = np.random.default_rng(class_seed)
    n_pairs, d = truth.shape
    members = rng.dirichlet(np.ones(d), size=(n_candidates, n_pairs))
    where = int(rng.integers(n_candidates)) if include_truth else -1
    if include_truth:
        members[where] = truth
    return np.ascontiguousarray(members), where


@njit(cache=True)
def _plan(
    features: np.ndarray,
    mu: np.ndarray,
    width2: np.ndarray,
    steps: np.ndarray,
    initial: np.ndarray,
    eta: float,
    alpha: float,
    beta: float,
    W: np.ndarray,
    policy: np.ndarray,
    bonus: np.ndarray,
):
    """The optimistic backward pass on the MLE model ``phi_hat . mu_hat``; returns
    ``(j*, optimistic value)``."""
    H = policy.shape[0]
    n_pairs = features.shape[0]
    for h in range(H - 1, -1, -1):
        for n in range(n_pairs):
            bonus[n] = beta * math.sqrt(max(width2[h, n], 0.0))
        EW = features @ (mu @ W[h + 1])
        shortfall_min_backup(EW, steps[h], bonus, W[h], policy[h])
    return best_budget(W[0], initial, eta, alpha)


class CandidateStatistics(NamedTuple):
    """LSVI-UCB's ridge statistics (:class:`~algorithms.linear.lsvi_ucb.RidgeStatistics`
    fields) of every candidate, stacked along a leading axis of length C."""

    Lambda: np.ndarray
    Lambda_inv: np.ndarray
    width2: np.ndarray
    b: np.ndarray
    M: np.ndarray
    log_det: np.ndarray
    n_updates: np.ndarray
    u: np.ndarray
    z: np.ndarray
    potential: np.ndarray


@njit(cache=True)
def _episodes(
    candidates: np.ndarray,
    env: Environment,
    run: GridRun,
    counts: np.ndarray,
    mu: np.ndarray,
    scores: np.ndarray,
    em_work: np.ndarray,
    st: CandidateStatistics,
    chosen: np.ndarray,
    optimistic_Q: np.ndarray,
    em_iterations: int,
    refactor_every: int,
    start: int,
    stop: int,
    rng,
) -> None:
    H, _, A = env.R3.shape
    for k in range(start, stop):
        c = select_features(counts, candidates, mu, em_iterations, scores, em_work)
        chosen[k] = c
        j_star, value = _plan(
            candidates[c],
            mu[c],
            st.width2[c],
            run.steps,
            env.initial,
            run.eta,
            run.alpha,
            run.beta,
            run.W,
            run.policy,
            run.work[0],
        )
        # The optimism gap is value - CVaR*.
        states, actions = evaluate_static_cvar_and_act(
            env, run, j_star, value, optimistic_Q, k, rng
        )
        for h in range(H):
            counts[states[h] * A + actions[h], states[h + 1]] += 1.0
        for m in range(candidates.shape[0]):
            absorb_episode(
                candidates[m],
                env.R3,
                states,
                actions,
                st.Lambda[m],
                st.Lambda_inv[m],
                st.width2[m],
                st.b[m],
                st.M[m],
                st.log_det[m],
                st.n_updates[m],
                refactor_every,
                st.u[m],
                st.z[m],
                st.potential[m],
            )


@dataclass(frozen=True)
class LowRankCVaRMLE(GridCVaRRuns):
    r"""CVaR-UCB with the representation chosen by maximum likelihood from a finite class
    (Zhao et al., ICLR 2024, reconstructed), with exact static-CVaR regret.

    Parameters
    ----------
    alpha, eta, c
        As :class:`GridCVaRRuns`.
    n_candidates : int
        Size of the candidate class ``Phi`` (>= 1).
    include_truth : bool
        ``True``: the class holds the model's features (realisable); ``False``: only random
        maps (misspecified, the control).
    class_seed : int
        Draws the random members and the truth's position.
    em_iterations : int
        EM steps per candidate per episode (warm-started).
    p : float
        Failure probability in (0, 1) (enters iota).
    refactor_every : int
        Exact refactorisation of ``Lambda_h^{-1}`` after this many rank-one updates.

    Notes
    -----
    ``run(model, budget, seed)`` takes a :class:`~mdptheory.linear.LinearMDP` or
    :class:`~mdptheory.linear.LowRankMDP` with stage-independent simplex features, or an
    :class:`~mdptheory.tabular.EpisodicMDP` (one-hot features). Extras: ``budget[k]``,
    ``optimistic_value``, ``chosen[k]`` (the candidate planned with in episode ``k``) and
    ``optimism_gap``; the metadata give ``true_candidate`` (its index, -1 if absent).

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> learner = LowRankCVaRMLE(alpha=0.1, eta=0.5, c=0.01, n_candidates=3)
    >>> trace = learner.run(safe_vs_risky_route(), 200, 0)
    >>> chosen, truth = trace.extras["chosen"], trace.metadata["true_candidate"]
    >>> trace.pseudo_regret.shape, int(chosen[-1]) == truth
    ((200,), True)
    """

    n_candidates: int = 4
    include_truth: bool = True
    class_seed: int = 0
    em_iterations: int = 5
    p: float = 0.05
    refactor_every: int = 1000

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int(self.n_candidates, "n_candidates", low=1)
        if not isinstance(self.include_truth, bool):
            raise ValueError(f"include_truth must be True or False, got {self.include_truth!r}")
        check_int(self.class_seed, "class_seed", low=0)
        check_int(self.em_iterations, "em_iterations", low=1)
        check_open_unit(self.p, "p")
        check_refactor_every(self.refactor_every)

    @property
    def label(self) -> str:
        """E.g. ``CVaR-UCB-MLE(alpha=0.1)`` or ``... c=0.01``, ``(misspecified)`` for the
        control class."""
        name = scaled_label(f"CVaR-UCB-MLE(alpha={self.alpha:g})", self.c, mark="c=")
        return name if self.include_truth else f"{name} (misspecified)"

    def _simulate(self, model, budget: int, seed: SeedLike) -> Simulation:
        features, env, run = start_grid_run(self, model, budget)
        truth = check_simplex_features(features, "phi")
        H, S, A = env.R3.shape
        K, d = run.budget.shape[0], truth.shape[1]
        candidates, where = candidate_class(
            truth, int(self.n_candidates), self.include_truth, int(self.class_seed)
        )
        C = candidates.shape[0]
        # One ridge state per candidate, stacked along a leading axis.
        states = [start_statistics(candidates[m], H, S, A, 1, False)[0] for m in range(C)]
        stacked = CandidateStatistics(
            *(
                np.stack([getattr(st, name) for st in states])
                for name in CandidateStatistics._fields
            )
        )
        counts = np.zeros((S * A, S))
        mu = uniform_mu(C, d, S)
        scores, em_work = np.empty(C), np.empty((d, S))
        chosen = np.empty(K, dtype=np.int64)
        rng = as_generator(seed)
        em_iterations, refactor_every = int(self.em_iterations), int(self.refactor_every)
        Q = np.empty((H, S, A))
        simulate(
            run.log,
            lambda start, stop: _episodes(
                candidates,
                env,
                run,
                counts,
                mu,
                scores,
                em_work,
                stacked,
                chosen,
                Q,
                em_iterations,
                refactor_every,
                start,
                stop,
                rng,
            ),
        )
        return Simulation(
            model,
            run.log,
            {"budget": run.budget, "optimistic_value": run.optimistic, "chosen": chosen},
            dict(
                **grid_metadata(run, self.c),
                features=f"chosen by MLE from {C} candidates (EM, {em_iterations} steps per "
                "episode per candidate)",
                true_candidate=where,
                class_seed=int(self.class_seed),
                paper=PAPER,
            ),
        )


__all__ = ["LowRankCVaRMLE", "candidate_class"]
