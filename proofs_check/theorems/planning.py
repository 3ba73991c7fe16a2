"""Classical planning theory, checked against exact oracles on random Garnet MDPs.

* ``puterman-6.3.1-vi-contraction``: value iteration contracts at rate gamma, and its
  a-posteriori bound holds (Puterman 1994, Thm 6.3.1).
* ``kakade-langford-2002-pdl``: the performance-difference lemma holds as an identity, for
  discounted and finite-horizon models, deterministic and stochastic policies.
* ``puterman-6.9-lp-duality``: the primal and dual LPs share the optimal value ``rho . V*`` and
  the dual solution is a discounted occupancy measure of total mass ``1 / (1 - gamma)``.
* ``scherrer-2013-pi-iterations``: Howard's policy iteration stops within
  ``S (A - 1) ceil(log(1/(1-gamma)) / (1-gamma))`` iterations (Scherrer 2013; the
  ``O(SA/(1-gamma) log(1/(1-gamma)))`` form of Ye 2011 and Hansen et al. 2013).

All four are ``exact`` checks (deterministic quantities against exact oracles or bounds). Each
also runs a planted slip through its own criterion, which must reject it: a Bellman backup with
gamma^2, the normalised occupancy (missing 1/(1-gamma)) in the lemma and in the LP dual, and
policy iteration with gamma^2 backups. The PI bound is compared with the trivial A^S (PI never
revisits a policy): it is far below it, but also far above the iterations measured (at most
3 % of it), so only a grossly broken PI could exceed it.

Every instance is drawn here from the check's ``seed``. Reference optima come from a method
other than the one under test (policy iteration for VI and the LP), and the lemma's right-hand
side is recomputed from scratch with numpy, sharing no code with ``mdptheory.evaluation``.
"""

from __future__ import annotations

import math

import numpy as np

from mdptheory.evaluation import occupancy, performance_difference, policy_value_at_start
from mdptheory.planning import bellman_optimality, linear_program, policy_iteration, value_iteration
from mdptheory.seeding import as_generator
from mdptheory.tabular import EpisodicMDP, FiniteMDP
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, theorem, vacuous_bound
from proofs_check.rates import ratio_band_test

_EPS = np.finfo(np.float64).eps


def random_kernel(
    rng: np.random.Generator, shape: tuple[int, ...], n_states: int, branching: int
) -> np.ndarray:
    """Garnet kernel: each row of ``shape`` reaches ``branching`` distinct random successors
    with Dirichlet(1) probabilities (Archibald et al. 1995)."""
    rows = int(np.prod(shape))
    # the first `branching` entries of a random permutation of the states, per row
    successors = np.argsort(rng.random((rows, n_states)), axis=1)[:, :branching]
    P = np.zeros((rows, n_states))
    np.put_along_axis(P, successors, rng.dirichlet(np.ones(branching), size=rows), axis=1)
    return P.reshape(*shape, n_states)


def garnet(S: int, A: int, gamma: float, seed, branching: int = 3) -> FiniteMDP:
    """A discounted Garnet MDP with rewards uniform on [0, 1] and a uniform start."""
    rng = as_generator(seed)
    P = random_kernel(rng, (S, A), S, min(branching, S))
    return FiniteMDP(P, rng.random((S, A)), gamma, name=f"garnet(S={S},A={A},gamma={gamma})")


def _random_policy(
    rng: np.random.Generator, shape: tuple[int, ...], A: int, stochastic: bool
) -> np.ndarray:
    if stochastic:
        return rng.dirichlet(np.full(A, 0.5), size=shape)
    return rng.integers(A, size=shape)


def _as_probabilities(policy: np.ndarray, A: int) -> np.ndarray:
    if np.issubdtype(policy.dtype, np.integer):
        return np.eye(A)[policy]
    return policy


# --------------------------------------------------------------------------- (1) VI contraction


@theorem(
    id="puterman-6.3.1-vi-contraction",
    paper="Puterman (1994), Markov Decision Processes, Thm 6.3.1",
    tags=("planning", "exact", "value-iteration"),
    kind="exact",
    verified=False,
)
def vi_contraction(scale: str, seed: int) -> Outcome:
    """Value iteration converges linearly at rate gamma in sup norm, and gamma/(1-gamma) ||V_{{k+1}}
    - V_k|| bounds the error of V_{{k+1}}; the bound mdptheory's value_iteration returns when it
    stops at a working tolerance covers its true error.

    Formula
    -------
    ||V_k - V*||_inf <= gamma^k ||V_0 - V*||_inf;  ||V_{{k+1}} - V*||_inf <= gamma/(1-gamma)
    ||V_{{k+1}} - V_k||_inf

    Source
    ------
    Puterman (1994), Theorem 6.3.1 (a-posteriori bound in its proof), as restated in theory.md; not
    re-read in the book here

    Notes
    -----
    Run value iteration from random and zero starts on Garnet MDPs for several gamma; compare
    every iterate with V* from policy iteration until gamma^k falls below 1e-8.
    """
    quick = scale == "quick"
    gammas = (0.5, 0.9, 0.99) if quick else (0.5, 0.8, 0.9, 0.95, 0.99, 0.995)
    n_mdps, S, A = (4, 20, 3) if quick else (20, 60, 5)
    rng = as_generator(seed)
    found = Findings()
    for gamma in gammas:
        K = math.ceil(math.log(1e-8) / math.log(gamma))
        ratios = np.empty((n_mdps, K + 1))
        worst_rate, worst_posterior, worst_certificate = -np.inf, -np.inf, -np.inf
        for i in range(n_mdps):
            mdp = garnet(S, A, gamma, rng)
            v_star = policy_iteration(mdp).values
            scale_v = 1.0 + float(np.abs(v_star).max())
            # rounding in V* and in the iterates, far below gamma^K ||V_0 - V*|| >= 1e-8 * ...
            slack = 1e3 * _EPS * scale_v / (1.0 - gamma)
            V0 = np.zeros(S) if i % 2 == 0 else rng.uniform(0, 1 / (1 - gamma), size=S)
            V = V0.copy()
            err = np.empty(K + 1)
            err[0] = np.abs(V - v_star).max()
            posterior = np.empty(K)
            for k in range(1, K + 1):
                V_next = bellman_optimality(mdp, V).max(axis=1)
                err[k] = np.abs(V_next - v_star).max()
                posterior[k - 1] = gamma / (1 - gamma) * np.abs(V_next - V).max()
                V = V_next
            library = value_iteration(mdp, tol=1e-300, max_iter=K, V0=V0).values
            if not np.allclose(library, V, rtol=1e-12, atol=slack):
                return Findings().outcome(
                    Verdict.failed(
                        f"mdptheory.planning.value_iteration after {K} sweeps differs from the "
                        f"Bellman iterates by {np.abs(library - V).max():.3g} (gamma={gamma})"
                    )
                )
            # The library's own certificate at a working tolerance, where it stops early:
            # its returned bound must cover its true error.
            stopped = value_iteration(mdp, tol=1e-4 * scale_v)
            worst_certificate = max(
                worst_certificate,
                float(np.abs(stopped.values - v_star).max() - stopped.bound - slack),
            )
            # k = 0 is the trivial equality err_0 = err_0, so the ratio starts at k = 1
            bound = gamma ** np.arange(1, K + 1) * err[0]
            worst_rate = max(worst_rate, float(np.max((err[1:] - slack) / bound)))
            worst_posterior = max(worst_posterior, float(np.max(err[1:] - posterior - slack)))
            ratios[i] = err / err[0]
        ks = np.arange(K + 1)
        found.curve(f"gamma={gamma}: max over MDPs", ks * (1 - gamma), ratios.max(axis=0))
        found.line(f"gamma^k (gamma={gamma})", ks * (1 - gamma), gamma**ks, role="bound")
        found.arrays[f"error_ratio_gamma_{gamma}"] = ratios
        # empirical contraction factor: geometric mean of err_{k+1}/err_k over the run
        rate = float(np.exp(np.mean(np.log(ratios[:, -1])) / K))
        found.fitted.update(
            {
                f"max err_k/(gamma^k err_0), gamma={gamma}": worst_rate,
                f"max err_(k+1) - posterior bound, gamma={gamma}": worst_posterior,
                f"max |V - V*| - returned bound at tol 1e-4, gamma={gamma}": worst_certificate,
                f"empirical rate, gamma={gamma}": rate,
            }
        )
        if worst_rate > 1.0:
            found.judge(
                Verdict.failed(
                    f"gamma={gamma}: ||V_k - V*|| exceeds gamma^k ||V_0 - V*|| by a factor "
                    f"{worst_rate:.6g}"
                )
            )
        elif worst_posterior > 0.0:
            found.judge(
                Verdict.failed(
                    f"gamma={gamma}: the a-posteriori bound is exceeded by {worst_posterior:.3g}"
                )
            )
        elif worst_certificate > 0.0:
            found.judge(
                Verdict.failed(
                    f"gamma={gamma}: value_iteration(tol=1e-4) returns a bound its true error "
                    f"exceeds by {worst_certificate:.3g}"
                )
            )
        else:
            found.judge(
                Verdict.passed(
                    f"gamma={gamma}: {n_mdps} MDPs x {K} sweeps, max_k>=1 err_k / (gamma^k err_0)"
                    f" = {worst_rate:.3f} <= 1, a-posteriori bound holds, empirical rate "
                    f"{rate:.4f}"
                )
            )
    found.control("Bellman backup with gamma^2", *_vi_gamma_squared_control(S, A, rng))
    return found.outcome(
        xlabel="k (1 - gamma)",
        ylabel="||V_k - V*|| / ||V_0 - V*||",
        xscale="linear",
        yscale="log",
        title=f"Value iteration error vs gamma^k, Garnet S={S}, A={A}",
    )


def _vi_gamma_squared_control(
    S: int, A: int, rng: np.random.Generator
) -> tuple[Verdict, dict[str, float]]:
    """The slip "Bellman backup with gamma^2" judged by the contraction criterion against the
    true V*: its iterates converge to another fixed point, so err_k / (gamma^k err_0) blows
    up. Returns the verdict and the measured ratio."""
    gamma = 0.9
    mdp = garnet(S, A, gamma, rng)
    slipped = FiniteMDP(mdp.P, mdp.R, gamma**2, initial=mdp.initial)
    v_star = policy_iteration(mdp).values
    slack = 1e3 * _EPS * (1.0 + float(np.abs(v_star).max())) / (1.0 - gamma)
    K = math.ceil(math.log(1e-8) / math.log(gamma))
    V = np.zeros(S)
    err0 = float(np.abs(V - v_star).max())
    worst = -np.inf
    for k in range(1, K + 1):
        V = bellman_optimality(slipped, V).max(axis=1)
        worst = max(worst, (float(np.abs(V - v_star).max()) - slack) / (gamma**k * err0))
    text = (
        f"backup with gamma^2 = {gamma**2:.2f} on a garnet with gamma = {gamma}: "
        f"max_k err_k / (gamma^k err_0) = {worst:.3g}"
    )
    return Verdict.passed_if(not worst > 1.0, text), {"max_ratio": worst}


# ------------------------------------------------------------------ (2) performance difference


def _discounted_rhs(
    P: np.ndarray,
    R: np.ndarray,
    gamma: float,
    rho: np.ndarray,
    pi: np.ndarray,
    pi_prime: np.ndarray,
) -> tuple[float, float]:
    """(V^pi(rho) - V^pi'(rho), sum_{s,a} d^pi_rho(s,a) A^pi'(s,a)) from scratch."""
    S = R.shape[0]
    eye = np.eye(S)

    def value(policy):
        P_pi = np.einsum("sa,sat->st", policy, P)
        return np.linalg.solve(eye - gamma * P_pi, (policy * R).sum(axis=1)), P_pi

    v_pi, P_pi = value(pi)
    v_prime, _ = value(pi_prime)
    advantage = R + gamma * P @ v_prime - v_prime[:, None]
    # unnormalised discounted state occupancy: d^T (I - gamma P_pi) = rho^T
    d_state = np.linalg.solve((eye - gamma * P_pi).T, rho)
    return float(rho @ v_pi - rho @ v_prime), float(np.sum(d_state[:, None] * pi * advantage))


def _episodic_rhs(
    P: np.ndarray, R: np.ndarray, rho: np.ndarray, pi: np.ndarray, pi_prime: np.ndarray
) -> tuple[float, float]:
    """The same for a finite horizon, P of shape (H, S, A, S), stage h = 0..H-1."""
    H, S, _ = R.shape

    def backward(policy):
        V = np.zeros((H + 1, S))
        Q = np.zeros_like(R)
        for h in range(H - 1, -1, -1):
            Q[h] = R[h] + P[h] @ V[h + 1]
            V[h] = (policy[h] * Q[h]).sum(axis=1)
        return V, Q

    v_pi, _ = backward(pi)
    v_prime, q_prime = backward(pi_prime)
    total, mu = 0.0, rho.copy()
    for h in range(H):
        d = mu[:, None] * pi[h]
        total += float(np.sum(d * (q_prime[h] - v_prime[h][:, None])))
        mu = np.einsum("sa,sat->t", d, P[h])
    return float(rho @ v_pi[0] - rho @ v_prime[0]), total


@theorem(
    id="kakade-langford-2002-pdl",
    paper="Kakade & Langford (2002), Approximately optimal approximate RL, Lemma 6.1",
    tags=("planning", "exact", "identity"),
    kind="exact",
    verified=False,
)
def performance_difference_lemma(scale: str, seed: int) -> Outcome:
    """The difference of two policies' values is the first policy's expected advantage under the
    second's value, weighted by the first policy's occupancy.

    Formula
    -------
    V^pi(rho) - V^pi'(rho) = sum_{{s,a}} d^pi_rho(s,a) A^pi'(s,a)  (d unnormalised, sum d =
    1/(1-gamma); episodic: sum over stages h)

    Source
    ------
    Kakade and Langford (2002), Lemma 6.1, as restated in theory.md (unnormalised occupancy); not
    re-read in the paper here

    Notes
    -----
    Random discounted and episodic MDPs with random deterministic or stochastic policy pairs;
    the identity must hold to 1e-10 times the value scale, both with mdptheory.evaluation and
    with an independent numpy computation.
    """
    n_trials = 40 if scale == "quick" else 400
    tol = 1e-10
    rng = as_generator(seed)
    lhs_all, rhs_lib_all, rhs_ind_all, scales, kinds = [], [], [], [], []
    for trial in range(n_trials):
        S, A = int(rng.integers(2, 13)), int(rng.integers(2, 6))
        episodic = trial % 2 == 1
        rho = rng.dirichlet(np.ones(S))
        if episodic:
            H = int(rng.integers(2, 11))
            P = random_kernel(rng, (H, S, A), S, min(3, S))
            R = rng.random((H, S, A))
            mdp: FiniteMDP | EpisodicMDP = EpisodicMDP(P, R, H, initial=rho)
            shape: tuple[int, ...] = (H, S)
            value_scale = float(H)
        else:
            gamma = float(rng.uniform(0.5, 0.99))
            P = random_kernel(rng, (S, A), S, min(3, S))
            R = rng.random((S, A))
            mdp = FiniteMDP(P, R, gamma, initial=rho)
            shape = (S,)
            value_scale = 1.0 / (1.0 - gamma)
        pi = _random_policy(rng, shape, A, stochastic=bool(rng.integers(2)))
        pi_prime = _random_policy(rng, shape, A, stochastic=bool(rng.integers(2)))
        lhs = policy_value_at_start(mdp, pi) - policy_value_at_start(mdp, pi_prime)
        rhs_lib = performance_difference(mdp, pi, pi_prime)
        probs, probs_prime = _as_probabilities(pi, A), _as_probabilities(pi_prime, A)
        if episodic:
            lhs_ind, rhs_ind = _episodic_rhs(P, R, rho, probs, probs_prime)
        else:
            lhs_ind, rhs_ind = _discounted_rhs(P, R, gamma, rho, probs, probs_prime)
        if abs(lhs - lhs_ind) > tol * value_scale:
            return Findings().outcome(
                Verdict.failed(
                    f"trial {trial}: mdptheory.evaluation gives V^pi - V^pi' = {lhs!r}, an "
                    f"independent linear solve gives {lhs_ind!r}"
                )
            )
        lhs_all.append(lhs)
        rhs_lib_all.append(rhs_lib)
        rhs_ind_all.append(rhs_ind)
        scales.append(value_scale)
        kinds.append(episodic)
    lhs_arr, rhs_lib_arr, rhs_ind_arr = map(np.array, (lhs_all, rhs_lib_all, rhs_ind_all))
    # Control: the slip "normalised occupancy d (sum 1) where the lemma has sum 1/(1-gamma)",
    # i.e. the right-hand side times (1 - gamma) = 1 / value scale on the discounted trials.
    discounted = ~np.array(kinds)
    slipped = rhs_lib_arr[discounted] / np.array(scales)[discounted]
    slip_err = float(np.max(np.abs(lhs_arr[discounted] - slipped) / np.array(scales)[discounted]))
    slip_text = (
        f"normalised occupancy on {int(discounted.sum())} discounted pairs: max |LHS - "
        f"RHS| / value scale = {slip_err:.3g} against {tol:g}"
    )
    scale_arr = np.array(scales)
    err_lib = np.abs(lhs_arr - rhs_lib_arr) / scale_arr
    err_ind = np.abs(lhs_arr - rhs_ind_arr) / scale_arr
    worst = float(max(err_lib.max(), err_ind.max()))
    found = Findings(
        arrays={
            "lhs": lhs_arr,
            "rhs_library": rhs_lib_arr,
            "rhs_independent": rhs_ind_arr,
            "value_scale": scale_arr,
            "episodic": np.array(kinds),
        },
        fitted={
            "max |LHS - RHS| / value scale (mdptheory.evaluation)": float(err_lib.max()),
            "max |LHS - RHS| / value scale (independent numpy)": float(err_ind.max()),
            "trials": n_trials,
            "tolerance": tol,
        },
    )
    found.control(
        "normalised occupancy (missing 1/(1-gamma))",
        Verdict.passed_if(not slip_err > tol, slip_text),
        {"max_relative_error": slip_err},
    )
    order = np.argsort(lhs_arr)
    span = np.array([lhs_arr.min(), lhs_arr.max()])
    found.curve("sum d^pi A^pi' (mdptheory)", lhs_arr[order], rhs_lib_arr[order], style="points")
    found.line("identity y = x", span, span)
    if worst <= tol:
        verdict = Verdict.passed(
            f"{n_trials} policy pairs (half episodic, deterministic and "
            f"stochastic): max |LHS - RHS| / value scale = {worst:.2g} "
            f"<= {tol:g}"
        )
    else:
        j = int(np.argmax(np.maximum(err_lib, err_ind)))
        verdict = Verdict.failed(
            f"trial {j}: LHS {lhs_arr[j]!r}, RHS {rhs_lib_arr[j]!r} "
            f"(library) / {rhs_ind_arr[j]!r} (independent); relative "
            f"error {worst:.3g} > {tol:g}"
        )
    return found.outcome(
        verdict,
        xlabel="V^pi(rho) - V^pi'(rho) (exact evaluation)",
        ylabel="sum_{s,a} d^pi(s,a) A^pi'(s,a)",
        xscale="linear",
        yscale="linear",
        title=f"Performance-difference lemma on {n_trials} random policy pairs",
    )


# -------------------------------------------------------------------------- (3) LP duality


@theorem(
    id="puterman-6.9-lp-duality",
    paper="Puterman (1994), Markov Decision Processes, section 6.9",
    tags=("planning", "exact", "lp"),
    kind="exact",
    verified=False,
)
def lp_duality(scale: str, seed: int) -> Outcome:
    """The primal LP over values and the dual LP over occupancy measures have the same optimum rho .
    V*, and the dual optimum is the discounted occupancy of an optimal policy, of total mass
    1/(1-gamma), satisfying the flow constraints.

    Formula
    -------
    min_v rho.v s.t. v >= r + gamma P v  =  max_{{x>=0}} x.r s.t. sum_a x(s',a) - gamma sum_{{s,a}}
    P(s'|s,a) x(s,a) = rho(s')  =  rho.V*; sum x = 1/(1-gamma)

    Source
    ------
    Puterman (1994), section 6.9, as restated in theory.md; not re-read in the book here

    Notes
    -----
    Solve the LP (cvxpy, Clarabel) on Garnet MDPs and compare with V* from policy iteration
    and with the exact occupancy of the optimal policy; tolerance 1e-8 relative to the value
    scale (the LP solver's own precision is about 1e-10).
    """
    quick = scale == "quick"
    gammas = (0.5, 0.9, 0.99) if quick else (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
    n_mdps, S, A = (3, 12, 3) if quick else (10, 40, 4)
    tol = 1e-8
    rng = as_generator(seed)
    names = (
        "|primal - dual|",
        "|primal - rho.V*|",
        "|sum x (1-gamma) - 1|",
        "max flow residual",
        "max |x - occupancy(pi*)|",
        "max(-x, 0)",
    )
    errors = {name: [] for name in names}
    horizon = []
    slip: list[float] = []
    for gamma in gammas:
        for _ in range(n_mdps):
            mdp = garnet(S, A, gamma, rng)
            rho = mdp.initial
            lp = linear_program(mdp)
            exact = policy_iteration(mdp)
            x = lp.occupancy
            value_scale = 1.0 / (1.0 - gamma)
            primal = float(rho @ lp.values)
            dual = float(np.sum(x * mdp.R))
            flow = x.sum(axis=1) - gamma * np.einsum("sa,sat->t", x, mdp.P) - rho
            occ = occupancy(mdp, exact.policy)
            values = (
                abs(primal - dual),
                abs(primal - float(rho @ exact.values)),
                abs(x.sum() * (1 - gamma) - 1.0) * value_scale,
                float(np.abs(flow).max()),
                float(np.abs(x - occ).max()),
                float(max(0.0, -x.min())),
            )
            for name, value in zip(names, values, strict=True):
                errors[name].append(value / value_scale)
            # control: the normalised occupancy x (1 - gamma) through the same criterion
            xn = x * (1 - gamma)
            flow_n = xn.sum(axis=1) - gamma * np.einsum("sa,sat->t", xn, mdp.P) - rho
            slip.append(
                max(
                    abs(xn.sum() * (1 - gamma) - 1.0),
                    float(np.abs(flow_n).max()),
                    float(np.abs(xn - occ).max()) / value_scale,
                )
            )
            horizon.append(value_scale)
    h = np.array(horizon)
    arrays = {name: np.array(v) for name, v in errors.items()}
    found = Findings(
        arrays={**arrays, "horizon": h},
        fitted={f"max {name} / value scale": float(v.max()) for name, v in arrays.items()},
    )
    # Errors are drawn floored at machine epsilon so that exact zeros show on the log axis.
    for name, v in arrays.items():
        found.curve(name, h, np.maximum(v, _EPS), style="points")
    order = np.unique(h)
    found.line(f"tolerance {tol:g}", order, np.full(order.size, tol), role="bound")
    worst_name = max(arrays, key=lambda k: arrays[k].max())
    worst = float(arrays[worst_name].max())
    n = h.size
    if worst <= tol:
        verdict = Verdict.passed(
            f"{n} MDPs, gamma up to {max(gammas)}: primal = dual = rho.V*, sum x = 1/(1-gamma), "
            f"flow constraints and x = occupancy(pi*) all hold to {worst:.2g} <= {tol:g} "
            "(relative to 1/(1-gamma))"
        )
    else:
        j = int(np.argmax(arrays[worst_name]))
        verdict = Verdict.failed(
            f"{worst_name} is {worst:.3g} (relative) > {tol:g} on MDP {j} (1/(1-gamma) = {h[j]:g})"
        )
    slip_worst = float(max(slip))
    slip_text = (
        f"dual solution times (1 - gamma): worst mass / flow / occupancy error "
        f"{slip_worst:.3g} (relative) against {tol:g}"
    )
    found.control(
        "normalised occupancy x (1 - gamma)",
        Verdict.passed_if(not slip_worst > tol, slip_text),
        {"max_relative_error": slip_worst},
    )
    return found.outcome(
        verdict,
        xlabel="1 / (1 - gamma)",
        ylabel="error / value scale (floored at machine eps)",
        title=f"LP duality on {h.size} Garnet MDPs, S={S}, A={A}",
    )


# ----------------------------------------------------------------- (4) PI iteration count


def scherrer_bound(S: int, A: int, gamma: float) -> int:
    """Scherrer (2013) bound on Howard's PI: ``S (A - 1) ceil(log(1/(1-gamma)) / (1-gamma))``.

    Examples
    --------
    >>> scherrer_bound(10, 3, 0.9)
    480
    """
    horizon = 1.0 / (1.0 - gamma)
    return int(S * (A - 1) * math.ceil(horizon * math.log(horizon)))


@theorem(
    id="scherrer-2013-pi-iterations",
    paper="Scherrer (2013), Improved and generalized upper bounds on the complexity of policy "
    "iteration, NeurIPS (Howard's PI); Ye (2011); Hansen, Miltersen & Zwick (2013)",
    tags=("planning", "exact", "policy-iteration", "ratio"),
    kind="exact",
    verified=False,
)
def pi_iterations(scale: str, seed: int) -> Outcome:
    """Howard's policy iteration stops after at most S(A-1) ceil(log(1/(1-gamma))/(1-gamma))
    iterations, i.e. O(SA/(1-gamma) log(1/(1-gamma))), from any initial policy.

    Formula
    -------
    iterations(PI) <= S (A-1) ceil( (1/(1-gamma)) log(1/(1-gamma)) )

    Source
    ------
    Scherrer (2013), bound for Howard's PI as restated in theory.md ((m - n) ceil(H log H) with m =
    S A actions in total); not re-read in the paper here

    Notes
    -----
    Count Howard's PI iterations (mdptheory.planning.policy_iteration, including the final
    evaluation that finds the policy stable) from random initial policies on Garnet MDPs over
    a grid of gamma; the ratio to the bound must stay in [0, 1] at every gamma.
    """
    quick = scale == "quick"
    gammas = np.array(
        (0.6, 0.8, 0.9, 0.95, 0.99)
        if quick
        else (0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
    )
    n_mdps, S, A = (6, 20, 4) if quick else (20, 50, 5)
    rng = as_generator(seed)
    iterations = np.zeros((n_mdps, gammas.size))
    optimal = True
    slip_suboptimal = 0
    for j, gamma in enumerate(gammas):
        for i in range(n_mdps):
            mdp = garnet(S, A, float(gamma), rng)
            policy0 = rng.integers(A, size=S)
            sol = policy_iteration(mdp, policy0=policy0)
            iterations[i, j] = sol.iterations
            # the stopping policy must be optimal: Bellman residual of its exact value ~ 0
            optimal &= sol.stop_reason == "policy stable" and sol.bound <= 1e-9 / (1 - gamma)
            if i == 0:
                # control: the same PI with its backups at gamma^2, judged on the true MDP
                slipped = policy_iteration(
                    FiniteMDP(mdp.P, mdp.R, float(gamma) ** 2, initial=mdp.initial), policy0=policy0
                )
                gap = _policy_gap(mdp, slipped.policy, sol.values)
                slip_suboptimal += int(gap > 1e-9 / (1 - gamma))
    bound = np.array([scherrer_bound(S, A, float(g)) for g in gammas], dtype=np.float64)
    worst = iterations.max(axis=0)
    # Howard's PI never revisits a policy, so A^S iterations is the trivial bound.
    vacuous = [
        vacuous_bound(b, float(A) ** S, f"gamma={g}: Scherrer bound vs A^S")
        for b, g in zip(bound, gammas, strict=True)
    ]
    judged = np.array([v is None for v in vacuous])
    if judged.any():
        verdict = ratio_band_test(worst[judged], bound[judged], lo=0.0, hi=1.0, grid=gammas[judged])
    else:
        verdict = Verdict.combine([v for v in vacuous if v is not None])
    if not optimal:
        verdict = Verdict.failed(
            "policy iteration stopped on a policy that is not optimal (or hit max_iter)"
        )
    verdict = Verdict(
        verdict.status,
        f"max iterations over {n_mdps} MDPs / bound (the bound "
        f"is at most {float((bound / float(A) ** S).max()):.2g} "
        f"of the trivial A^S = {float(A) ** S:.3g}): "
        f"{verdict.reason}",
    )
    slip_text = (
        f"PI with gamma^2 backups stopped on a sub-optimal policy on {slip_suboptimal} "
        f"of {gammas.size} garnets"
    )
    found = Findings(
        arrays={"gamma": gammas, "iterations": iterations, "bound": bound},
        fitted={
            "max ratio iterations / bound": float((worst / bound).max()),
            "max iterations": float(worst.max()),
            "mean iterations at largest gamma": float(iterations[:, -1].mean()),
        },
    )
    found.control(
        "policy iteration with gamma^2 backups",
        Verdict.passed_if(not slip_suboptimal, slip_text),
        {"suboptimal": slip_suboptimal},
    )
    horizon = 1.0 / (1.0 - gammas)
    found.curve(f"PI iterations (mean, {n_mdps} MDPs)", horizon, iterations)
    found.curve("PI iterations (max)", horizon, worst, style="points")
    found.line("Scherrer bound S(A-1) ceil(H log H), H = 1/(1-gamma)", horizon, bound, role="bound")
    return found.outcome(
        verdict,
        xlabel="1 / (1 - gamma)",
        ylabel="iterations",
        title=f"Howard's policy iteration on Garnet MDPs, S={S}, A={A}",
    )


def _policy_gap(mdp: FiniteMDP, policy: np.ndarray, v_star: np.ndarray) -> float:
    """max_s V*(s) - V^policy(s) for a deterministic policy, by a direct linear solve."""
    S = mdp.R.shape[0]
    P = mdp.dense_P() if hasattr(mdp, "dense_P") else np.asarray(mdp.P)
    P_pi = P[np.arange(S), policy]
    v = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, np.asarray(mdp.R)[np.arange(S), policy])
    return float(np.max(v_star - v))
