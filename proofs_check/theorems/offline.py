"""Offline pessimism (Jin, Yang, Wang, ICML 2021, arXiv:2012.15085) as executable checks.

* ``jin2021-pevi-bound``: with the paper's penalty, the exact sub-optimality of PEVI's policy
  is below the data-dependent bound ``2 beta sum_h E_{pi*} ||phi(s_h, a_h)||_{Lambda_h^{-1}}``
  in at least ``1 - xi`` of the seeds; and on every data set where the penalty is an
  uncertainty quantifier (the good event, checked exactly against the true model) the bound
  holds, for the paper's and the tuned constant alike.
* ``jin2021-pevi-well-covered-rate``: on uniformly explored data the sub-optimality decays at
  least as fast as ``n^{-1/2}`` (log-log slope, bootstrap CI over seeds).
* ``jin2021-pevi-vs-greedy-partial-coverage``: on :func:`lure_linear_mdp` with data that cover
  pi* but never the lure, PEVI's sub-optimality goes to 0 while greedy least-squares VI on the
  same data stays at an exactly computable positive level.
* ``jin2021-pevi-pessimism``: on the good event ``V_hat_h(s) <= V^{pi_hat}_h(s)`` for every
  h and s, on random instances, behaviours and data sizes.

Every sub-optimality, bound and event here is exact: policies are evaluated by backward
induction on the tabular twin and pi*'s occupancy is propagated forward exactly. Statement
numbers (Theorem 4.2, Corollary 4.5) are as recalled and not verified against the published
text (only the paper's abstract could be read); see ``docs/offline.md``.

Pre-registration
----------------
The penalty constant runs over the grid :data:`C_GRID` = (1, 0.3, 0.1, 0.03, 0.01), fixed in code
before this revision's runs. A rate or comparison is judged for a c only when its burn-in from
the penalty formula alone (:func:`algorithms.offline.burn_in`, ``until="bound"``) ends before
:data:`BURN_IN_FRACTION` of the largest data size; the other c are reported ``vacuous``. A bound
is vacuous on a fit where it is at or above the range of the sub-optimality, ``V*_1(rho) -
min_pi V^pi_1(rho)``; pessimism is vacuous on a fit where every ``Q_hat`` sits at its clip 0.
The negative controls are the greedy fit (c = 0) and PEVI with the penalty's sign flipped
(:class:`SignFlippedPEVI`, a bonus instead of a penalty).

The lure instance
-----------------
:func:`lure_linear_mdp` is built for the failure mode. Two start states: ``x0`` (probability
0.8) and ``x_hi``. At ``x0`` the actions are *decoy* (next state G with probability 0.6),
*safe* (G with 0.65, the optimal action) and *lure* (G with 0.5); ``x_hi`` always goes to G.
The only reward is 1 in G at the second (last) stage. Features are one-hot except the lure's,
``phi(x0, lure) = 0.7 (e_hi + e_u)``: half of it is the direction of ``x_hi`` (value 1), half
a direction ``e_u`` no other pair has. A behaviour that never takes the lure never excites
``e_u``, so ridge regression sets that coordinate to 0 and estimates
``Q(x0, lure) ~ 0.7 w_hi = 0.7 > 0.65``, while the truth is 0.5 (the ``e_u`` coordinate of
``mu_0`` carries the difference, a signed measure; Assumption A holds with equality). Greedy
LSVI therefore takes the lure for every n and its sub-optimality converges to
``0.8 (0.65 - 0.5) = 0.12`` exactly. PEVI's penalty on the lure is at least
``beta 0.7 / sqrt(lambda)`` for every n, since ``Lambda_h``'s ``e_u`` eigenvalue stays
``lambda``, so it never takes it. pi* only visits covered pairs (``C* = 3.09``), so its
uncertainty, the bound and PEVI's sub-optimality go to 0. This is the spurious-correlation
mechanism the paper describes: pairs the data do not inform, away from pi*'s path, decide the
greedy policy.
"""

from __future__ import annotations

import math

import numpy as np

from algorithms.offline import (
    PEVI,
    XI,
    GreedyLSVI,
    TabularPEVI,
    burn_in,
    collect,
    coverage,
    epsilon_optimal_behaviour,
    partial_coverage_behaviour,
    pevi_curves,
    relative_condition_number,
    uniform_behaviour,
)
from instances.linear import lure_linear_mdp, simplex_feature_linear_mdp, tabular_as_linear
from instances.tabular import garnet
from mdptheory.evaluation import max_episode_regret, q_values
from mdptheory.linear import LinearMDP
from mdptheory.planning import backward_induction
from mdptheory.seeding import as_generator, spawn_seeds
from proofs_check.axes import OFFLINE_SUBOPTIMALITY
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.intervals import t_interval
from proofs_check.rates import frequency_test, geometric_grid, rate_shape_test

JYW = "Jin, Yang, Wang (ICML 2021), arXiv:2012.15085"
SOURCE = (
    "theory.md 4.1: abstract [V]; Algorithm 2, Theorem 4.2, Corollary 4.5 [M] (as recalled); "
    "the arXiv:2012.15085 text beyond its abstract could not be reached, so theorem numbers "
    "and constants are unverified"
)
SLOPE_TOL = 0.05
LOCAL_TOL = 0.1
C_GRID = (1.0, 0.3, 0.1, 0.03, 0.01)
"""Pre-registered penalty constants (beta = c d H sqrt(zeta))."""
BURN_IN_FRACTION = 0.1
LURE = (0, 0, 2)
"""The (h, s, a) triple the partial-coverage behaviour never takes: stage 0, x0, lure."""

# Random well-covered family: one instance per seed.
FAMILY = {"S": 10, "A": 3, "H": 5, "d": 4}


def lure_behaviour(model: LinearMDP):
    """Uniform over actions except that the lure at (stage 0, x0) is never taken."""
    return partial_coverage_behaviour(model, [LURE])


def greedy_limit(model: LinearMDP) -> float:
    """``rho(x0) (Q*_0(x0, safe) - Q*_0(x0, lure))``: greedy LSVI's limiting sub-optimality
    on the lure instance (it takes the lure at ``x0`` for all large n, acts optimally
    elsewhere)."""
    mdp = model.tabular()
    q = q_values(mdp, backward_induction(mdp).policy)
    return float(mdp.initial[0] * (q[0, 0, 1] - q[0, 0, 2]))


def _family_member(seed) -> LinearMDP:
    return simplex_feature_linear_mdp(seed=seed, **FAMILY)


class SignFlippedPEVI(PEVI):
    """PEVI with the penalty's sign flipped: ``Q = min{phi^T w + Gamma, H - h + 1}^+`` (a bonus).

    A negative control for the offline checks (a planted defect a real implementation could
    make), not a learner of the library. Its own good event uses ``|beta|``
    (:func:`flipped_good_event`).
    """

    name = "PEVI, penalty sign flipped"

    def _beta(self, d: int, H: int, K: float) -> float:
        return -super()._beta(d, H, K)


def flipped_good_event(result, model: LinearMDP) -> bool:
    """The good event of a sign-flipped fit: ``|phi^T w_h - B_h V_hat_{h+1}| <= |beta| ||phi||``
    for every (h, s, a), with the fit's own ``V_hat``."""
    mdp = model.tabular()
    H = mdp.H
    V = np.vstack([result.V_hat, np.zeros((1, mdp.S))])
    bellman = np.stack([mdp.R[h] + mdp.expect(V[h + 1], h) for h in range(H)])
    margin = abs(result.beta) * result.widths - np.abs(result.estimate - bellman)
    return bool(margin.min() >= -1e-9 * H)


def suboptimality_range(model: LinearMDP) -> float:
    """``V*_1(rho) - min_pi V^pi_1(rho)``: the largest sub-optimality of any policy."""
    return max_episode_regret(model.tabular())


def _judged(model: LinearMDP, n_max: int, c: float) -> tuple[bool, int]:
    b = burn_in(model.d, model.H, n_max, XI, c, until="bound")
    return b <= BURN_IN_FRACTION * n_max, b


def _frequency_verdict(failures: int, n: int, text: str) -> Verdict:
    return frequency_test(failures, n, XI, text)


# --------------------------------------------------------------------------- (1) the bound

_BOUND_PLAN = {"quick": (40, (100, 1000, 10_000)), "full": (200, (100, 1000, 10_000, 50_000))}


def _bound_setting(fixed, child, n_seeds: int, grid: np.ndarray, learners, controls):
    """Curves of every learner and control fit on one log per seed, with each seed's model."""
    sub = np.empty((n_seeds, grid.size, len(learners)))
    bound = np.empty_like(sub)
    event = np.empty(sub.shape, dtype=bool)
    span = np.empty(n_seeds)
    clipped = np.empty(n_seeds)
    csub = np.empty((n_seeds, grid.size, len(controls)))
    cevent = np.empty(csub.shape, dtype=bool)
    for i, ss in enumerate(child.spawn(n_seeds)):
        model_seed, data_seed = ss.spawn(2)
        model = fixed if fixed is not None else _family_member(model_seed)
        behaviour = uniform_behaviour(model) if fixed is None else lure_behaviour(model)
        data = collect(model, behaviour, int(grid[-1]), data_seed)
        curves = pevi_curves(model, data, grid, learners)
        sub[i], bound[i], event[i] = curves.suboptimality, curves.bound, curves.good_event
        span[i] = suboptimality_range(model)
        # The paper's c = 1 at the largest n: fraction of Q_hat at its clip 0.
        clipped[i] = float((PEVI().fit(model, data).Q_hat <= 0.0).mean())
        for g, n in enumerate(grid if fixed is not None else ()):
            # The controls run on the lure setting, where the penalty's sign decides the lure.
            part = data.first_episodes(int(n))
            for j, control in enumerate(controls):
                result = control.fit(model, part)
                csub[i, g, j] = result.suboptimality
                cevent[i, g, j] = flipped_good_event(result, model)
    return sub, bound, event, span, clipped, csub, cevent


def _implication(sub, bound, event, span, H, key):
    """Judge 'good event => SubOpt <= bound' on the informative fits (bound below the range)."""
    informative = bound < span[:, None]
    above = sub > bound + 1e-9 * H
    broken = above & event
    judged = event & informative
    if broken.any():
        i, g = (int(v) for v in np.argwhere(broken)[0])
        return Verdict.failed(
            f"{key}: on seed {i}, grid point {g} the good event holds but the "
            f"sub-optimality {sub[i, g]:.4g} exceeds the bound "
            f"{bound[i, g]:.4g}"
        ), judged
    if not judged.any():
        return Verdict.vacuous(
            f"{key}: no fit has both the good event and a bound below the "
            f"range of the sub-optimality (mean bound / range "
            f"{float((bound / span[:, None]).mean()):.3g})"
        ), judged
    return Verdict.passed(
        f"{key}: on all {int(judged.sum())} informative fits with the good "
        f"event (of {judged.size}) the sub-optimality is below the bound"
    ), judged


@theorem(
    id="jin2021-pevi-bound",
    paper=f"{JYW}, Theorem 4.2 (general bound on the event that Gamma_h is a xi-uncertainty "
    "quantifier) with Algorithm 2's penalty (linear MDP: lambda = 1, beta = c d H "
    "sqrt(zeta), zeta = log(2 d H K / xi))",
    tags=("offline", "pevi", "bound"),
    kind="bound",
    verified=False,
)
def pevi_bound(scale: str, seed: int) -> Outcome:
    """On every data set where |phi^T w_h - B_h V_hat_{{h+1}}| <= Gamma_h for all (h, s, a) (the
    good event, checked exactly), PEVI's exact sub-optimality is below the data-dependent bound 2
    beta sum_h E_pi* ||phi||_{{Lambda_h^-1}}; with the paper's c = 1 it is below it in at least 1 -
    xi of the seeds (xi = 0.05). Judged for every c of the grid {C_GRID} on the fits where the bound
    is below the range of the sub-optimality (V* - min_pi V^pi); a c with no such fit is vacuous
    (with c = 1, beta ~ 78 and the bound is above H; the fraction of Q_hat at its clip 0 is
    reported). Settings: a random well-covered family (simplex_feature_linear_mdp(S=10, A=3, H=5,
    d=4), one instance per seed, uniform data) and the lure instance with partial coverage. Control:
    PEVI with the penalty's sign flipped (c < 1 of the grid), on its own good event, on the lure
    setting, must break the implication.

    Formula
    -------
    good event => V*_1(rho) - V^{{pi_hat}}_1(rho) <= 2 beta sum_h E_{{pi*}}[
    ||phi(s_h,a_h)||_{{Lambda_h^-1}} ];  P(SubOpt <= bound | c = 1) >= 1 - xi

    Rule
    ----
    c grid {C_GRID} and data sizes fixed in code; a fit is informative iff its bound is below the
    exact range of the sub-optimality; the c = 1 frequency uses a Clopper-Pearson 95% interval
    against xi = 0.05. The quick scale's largest n was raised from 5000 to 10000 (the n_max of the
    other quick offline checks) after a first quick run rejected the control on a single seed only

    Source
    ------
    {SOURCE}
    """
    n_seeds, sizes = _BOUND_PLAN[check_scale(scale)]
    grid = np.asarray(sizes, dtype=np.int64)
    learners = tuple(PEVI(c=c) for c in C_GRID)
    controls = tuple(SignFlippedPEVI(c=c) for c in C_GRID if c < 1.0)
    root = np.random.SeedSequence(seed)
    settings = {"well-covered family": None, "lure, partial coverage": lure_linear_mdp()}
    cverdicts = []
    broken_fits = 0
    found = Findings(arrays={"n_episodes": grid})
    for (name, fixed), child in zip(settings.items(), root.spawn(len(settings)), strict=True):
        sub, bound, event, span, clipped, csub, cevent = _bound_setting(
            fixed, child, n_seeds, grid, learners, controls
        )
        H = 5 if fixed is None else fixed.H
        found.fitted[f"clipped_fraction_c1_largest_n[{name}]"] = float(clipped.mean())
        for j, learner in enumerate(learners):
            key = f"{learner.label} on {name}"
            verdict, judged = _implication(
                sub[:, :, j], bound[:, :, j], event[:, :, j], span, H, key
            )
            found.fitted.update(
                {
                    f"informative_fraction[{key}]": float(judged.mean()),
                    f"good_event_frequency[{key}]": float(event[:, :, j].mean()),
                    f"mean_bound_over_range_largest_n[{key}]": float(
                        (bound[:, -1, j] / span).mean()
                    ),
                    f"mean_suboptimality_largest_n[{key}]": float(sub[:, -1, j].mean()),
                }
            )
            found.curve(f"sub-optimality, {key}", grid, sub[:, :, j], array=f"suboptimality[{key}]")
            found.arrays[f"bound[{key}]"] = bound[:, :, j]
            found.line(f"mean bound, {key}", grid, bound[:, :, j].mean(axis=0), role="bound")
            if learner.c == 1.0:
                above = sub[:, :, j] > bound[:, :, j] + 1e-9 * H
                informative = bound[:, :, j] < span[:, None]
                worst = int(above.sum(axis=0).max())
                text = (
                    f"{key}: at most {worst} of {n_seeds} seeds above the bound at any n "
                    f"in {grid.tolist()} (allowed xi = {XI}); fraction of Q_hat at its "
                    f"clip 0 at n = {grid[-1]}: {clipped.mean():.3f}"
                )
                if not informative.any():
                    ratio = float((bound[:, :, j] / span[:, None]).mean())
                    verdict = Verdict.vacuous(
                        f"{text}; the bound is at or above the range of the sub-optimality on "
                        f"every fit (mean bound / range {ratio:.3g})"
                    )
                else:
                    verdict = Verdict.combine([verdict, _frequency_verdict(worst, n_seeds, text)])
            found.judge(verdict)
        for j, control in enumerate(controls if fixed is not None else ()):
            jj = C_GRID.index(control.c)
            key = f"{control.label} on {name}"
            cv, _ = _implication(csub[:, :, j], bound[:, :, jj], cevent[:, :, j], span, H, key)
            cverdicts.append(cv)
            broken_fits += int(
                ((csub[:, :, j] > bound[:, :, jj] + 1e-9 * H) & cevent[:, :, j]).sum()
            )
            found.fitted[f"control_mean_suboptimality_largest_n[{key}]"] = float(
                csub[:, -1, j].mean()
            )
    # rejected as soon as one setting breaks the implication
    found.control(
        "PEVI with the penalty sign flipped (c < 1 of the grid), on its own good event",
        Verdict.combine(cverdicts),
        {
            "rejecting_settings": sum(v.status == "fail" for v in cverdicts),
            "fits_breaking_the_implication": broken_fits,
        },
    )
    return found.outcome(
        xlabel="episodes n in the data set",
        ylabel="exact sub-optimality and bound",
        title="PEVI: sub-optimality against the data-dependent bound",
    )


# --------------------------------------------------------------------------- (2) the rate

_RATE_PLAN = {"quick": (48, 30, 10_000), "full": (96, 30, 50_000)}
RATE_CONTROL = SignFlippedPEVI(c=1.0)
"""Control of the rate: a bonus of the paper's size instead of the penalty keeps Q at its clip
H - h + 1 on well-covered data for every affordable n, so pi_hat is the first action and the
sub-optimality does not decay."""


def well_covered_curves(n_seeds: int, n_min: int, n_max: int, seed: int, learners=None):
    """Sub-optimality (n_seeds, 12, len(learners)) and bound curves on the random family.

    Seed ``i`` draws its own instance ``simplex_feature_linear_mdp(S=10, A=3, H=5, d=4)`` and
    ``n_max`` uniform episodes; the curves are read on ``geometric_grid(n_min, n_max, 12)``.
    ``learners`` defaults to PEVI on the c grid, greedy LSVI and the sign-flipped control.
    """
    if learners is None:
        learners = (*(PEVI(c=c) for c in C_GRID), GreedyLSVI(), RATE_CONTROL)
    grid = geometric_grid(n_min, n_max, 12, integer=True)
    sub = np.empty((n_seeds, grid.size, len(learners)))
    bound = np.empty_like(sub)
    for i, ss in enumerate(spawn_seeds(seed, n_seeds)):
        model_seed, data_seed = ss.spawn(2)
        model = _family_member(model_seed)
        data = collect(model, uniform_behaviour(model), int(grid[-1]), data_seed)
        curves = pevi_curves(model, data, grid, learners)
        sub[i], bound[i] = curves.suboptimality, curves.bound
    return grid, sub, bound


def suboptimality_rate_shape(grid, Y, start, seed, what="sub-optimality"):
    """The criterion of the well-covered rate checks: the sub-optimality decays at least as
    n^(-1/2) (:func:`proofs_check.rates.rate_shape_test`, tolerances :data:`SLOPE_TOL` and
    :data:`LOCAL_TOL`, local windows from ``start`` on), judged on the prefix of the grid
    where the mean is positive; a pass without fit when it reaches exactly 0 within three
    points (``what`` names the quantity in that reason). Returns the verdict, the tail fit
    and the local slopes (None without a fit)."""
    if (Y.mean(axis=0) <= 0).any():
        # Exact zeros (pi_hat optimal on every seed) end the curve: judge the positive prefix.
        keep = Y.mean(axis=0) > 0
        if keep.sum() < 3:
            return (
                Verdict.passed(
                    f"mean {what} reaches exactly 0 by n = "
                    f"{int(grid[keep.sum()])}, faster than any power of n"
                ),
                None,
                None,
            )
        grid, Y = grid[keep], Y[:, keep]
    return rate_shape_test(
        grid,
        Y,
        max_slope=-0.5,
        tol=SLOPE_TOL,
        local_tol=LOCAL_TOL,
        start=start,
        n_boot=1000,
        seed=seed,
    )


@theorem(
    id="jin2021-pevi-well-covered-rate",
    paper=f"{JYW}, corollary for well-explored data (Corollary 4.5; number not verified)",
    tags=("offline", "pevi", "slope"),
    kind="slope",
    verified=False,
)
def pevi_well_covered_rate(scale: str, seed: int) -> Outcome:
    """On well-explored data (uniform behaviour; the instance is drawn per seed from
    simplex_feature_linear_mdp(S=10, A=3, H=5, d=4)), PEVI's exact sub-optimality decays at least as
    fast as n^{{-1/2}}: for every c of the grid {C_GRID} whose burn-in from the penalty formula ends
    before a tenth of n_max, the tail log-log slope of its mean over seeds is <= -1/2 + 0.05 and
    every half-decade local slope after the burn-in is <= -1/2 + 0.1; the other c are vacuous.
    Control: PEVI with the penalty's sign flipped (c = 1: a bonus that keeps Q at its clip), on the
    same data, must be rejected.

    Formula
    -------
    SubOpt(n) <= c' d^{{3/2}} H^2 sqrt(zeta / n) => d log E[SubOpt] / d log n <= -1/2 + tol after
    burn_in(c)

    Rule
    ----
    c grid {C_GRID} fixed in code; burn-in from algorithms.offline.burn_in (until='bound') <=
    {BURN_IN_FRACTION:g} n_max; tolerances tail {SLOPE_TOL:g}, local {LOCAL_TOL:g}; the control's c
    = 1 is the paper's constant. The quick scale's seeds were raised from 24 to 48 after a first
    quick run left c = 0.01 inconclusive (few seeds with a non-zero sub-optimality in the last
    window); the criterion is unchanged

    Source
    ------
    {SOURCE}
    """
    n_seeds, n_min, n_max = _RATE_PLAN[check_scale(scale)]
    learners = (*(PEVI(c=c) for c in C_GRID), GreedyLSVI(), RATE_CONTROL)
    grid, sub, bound = well_covered_curves(n_seeds, n_min, n_max, seed, learners)
    reference = _family_member(0)
    found = Findings(arrays={"n_episodes": grid})
    for j, c in enumerate(C_GRID):
        label = learners[j].label
        judged, b = _judged(reference, n_max, c)
        Y = found.arrays[f"suboptimality[{label}]"] = sub[:, :, j]
        found.fitted.update(
            {
                f"burn_in[{label}]": b,
                f"mean_suboptimality_last[{label}]": float(Y[:, -1].mean()),
                f"mean_bound_last[{label}]": float(bound[:, -1, j].mean()),
            }
        )
        if not judged:
            found.judge(
                Verdict.vacuous(f"{label}: burn-in {b:,} episodes > {BURN_IN_FRACTION:g} n_max")
            )
            continue
        verdict, fit, local = suboptimality_rate_shape(grid, Y, b, seed)
        found.judge(verdict.about(f"{label} (burn-in {b:,})"))
        found.curve(label, grid, Y)
        if fit is not None:
            found.fitted.update(
                {f"slope[{label}]": fit.slope, f"slope_ci_high[{label}]": fit.ci_high}
            )
            found.rate_fit(
                label,
                fit,
                local,
                reference=-0.5,
                reference_label=f"slope -1/2 ({label})",
                numbers=None,
            )
            found.burn_in[f"burn-in {label}"] = max(b, 1)
    found.fitted["greedy_mean_suboptimality_last"] = float(sub[:, -1, len(C_GRID)].mean())
    Yc = sub[:, :, -1]
    cverdict, cfit, clocal = suboptimality_rate_shape(grid, Yc, 0, seed)
    if clocal is not None:
        found.local_slopes.append(clocal.series(f"control: {RATE_CONTROL.label}"))
    found.curve(f"control: {RATE_CONTROL.label}", grid, Yc, array="suboptimality[control]")
    found.control(
        f"{RATE_CONTROL.label} (c = 1) on the same data",
        cverdict,
        {
            "slope": cfit.slope if cfit is not None else float("nan"),
            "mean_suboptimality_last": float(Yc[:, -1].mean()),
        },
    )
    return found.outcome(
        xlabel="episodes n in the data set",
        ylabel="exact sub-optimality V*_1 - V^pi_hat_1",
        title="PEVI on well-explored data: rate in n",
        slope_references={"claim -1/2": -0.5},
    )


# ----------------------------------------------------------------- (3) partial coverage

_LURE_PLAN = {"quick": (16, 20, 10_000), "full": (64, 20, 50_000)}


def lure_curves(n_seeds: int, n_min: int, n_max: int, seed: int, learners=None):
    """Paired curves on the lure instance: (grid, sub-optimality (n_seeds, G, B), model).

    ``learners`` defaults to PEVI on the c grid, greedy LSVI and the sign-flipped PEVI on the
    grid's c < 1; every learner is fitted on the same log of each seed.
    """
    if learners is None:
        learners = (
            *(PEVI(c=c) for c in C_GRID),
            GreedyLSVI(),
            *(SignFlippedPEVI(c=c) for c in C_GRID),
        )
    model = lure_linear_mdp()
    behaviour = lure_behaviour(model)
    grid = geometric_grid(n_min, n_max, 12, integer=True)
    sub = np.empty((n_seeds, grid.size, len(learners)))
    for i, ss in enumerate(spawn_seeds(seed, n_seeds)):
        data = collect(model, behaviour, int(grid[-1]), ss)
        sub[i] = pevi_curves(model, data, grid, learners).suboptimality
    return grid, sub, model


def _lure_criterion(
    tested: np.ndarray, greedy: np.ndarray, limit: float, label: str, n: int
) -> Verdict:
    p_mean, p_low, p_high = t_interval(tested)
    g_mean, g_low, g_high = t_interval(greedy)
    d_mean, d_low, d_high = t_interval(greedy - tested)
    text = (
        f"n = {n}, {tested.size} paired seeds: {label} mean sub-optimality {p_mean:.4g} "
        f"[{p_low:.4g}, {p_high:.4g}], greedy LSVI {g_mean:.4g} [{g_low:.4g}, {g_high:.4g}] "
        f"(limit {limit:.4g}), paired difference {d_mean:.4g} [{d_low:.4g}, {d_high:.4g}]"
    )
    if p_mean <= 0.1 * limit and g_low >= 0.5 * limit and d_low > 0:
        return Verdict.passed(text)
    if p_low > 0.1 * limit or g_high < 0.5 * limit or d_high <= 0:
        return Verdict.failed(text)
    return Verdict.inconclusive(text)


@theorem(
    id="jin2021-pevi-vs-greedy-partial-coverage",
    paper=f"{JYW}, Section 4 (pessimism removes the spurious correlation of poorly covered "
    "pairs; the bound needs only pi*'s coverage)",
    tags=("offline", "pevi", "failure-mode", "coverage"),
    kind="comparison",
    verified=False,
)
def pevi_vs_greedy_partial_coverage(scale: str, seed: int) -> Outcome:
    """On lure_linear_mdp() with data that cover pi* (C* = 3.09) but never the lure (stage 0, x0,
    lure), PEVI reaches sub-optimality 0 while greedy least-squares VI on the same data (paired
    seeds) converges to the positive level rho(x0) (Q*(x0, safe) - Q*(x0, lure)) = 0.12: at the
    largest n PEVI's mean is below 0.1 x that level, greedy's 95% interval lies above half of it and
    the paired difference is positive. Judged for every c of the grid {C_GRID} whose burn-in ends
    before a tenth of n_max (the others vacuous). Control: PEVI with the penalty's sign flipped
    (same c), in PEVI's place, must be rejected.

    Formula
    -------
    lim_n E[SubOpt_PEVI(n)] = 0,  lim_n E[SubOpt_greedy(n)] = rho(x0) (Q*_safe - Q*_lure) > 0

    Rule
    ----
    thresholds 0.1 and 0.5 of the exact greedy limit fixed when the check was first written; c grid
    {C_GRID} with the burn-in rule (algorithms.offline.burn_in, until='bound', <=
    {BURN_IN_FRACTION:g} n_max) fixed in code; 95% t-intervals

    Source
    ------
    {SOURCE}; the lure instance and its greedy limit are derived here (exact)
    """
    n_seeds, n_min, n_max = _LURE_PLAN[check_scale(scale)]
    learners = (*(PEVI(c=c) for c in C_GRID), GreedyLSVI(), *(SignFlippedPEVI(c=c) for c in C_GRID))
    grid, sub, model = lure_curves(n_seeds, n_min, n_max, seed, learners)
    G = len(C_GRID)
    behaviour = lure_behaviour(model)
    cov = coverage(model, behaviour)
    kappa = relative_condition_number(model, behaviour)
    limit = greedy_limit(model)
    greedy_last = sub[:, -1, G]
    cverdicts = []
    found = Findings(
        arrays={"n_episodes": grid, "suboptimality": sub},
        fitted={
            "greedy_mean_last": float(greedy_last.mean()),
            "greedy_limit": limit,
            "concentrability": cov.concentrability,
            "relative_condition_number": kappa,
        },
    )
    if not cov.covers_target or math.isinf(cov.concentrability):
        found.judge(Verdict.failed(f"the behaviour does not cover pi*: C* = {cov.concentrability}"))
    if cov.behaviour_occupancy[LURE] > 0:
        found.judge(
            Verdict.failed(
                "the behaviour takes the lure; the instance is not the partial-coverage one"
            )
        )
    measured: dict[str, float] = {}
    for j, c in enumerate(C_GRID):
        label = learners[j].label
        judged, b = _judged(model, n_max, c)
        found.fitted[f"burn_in[{label}]"] = b
        found.fitted[f"mean_last[{label}]"] = float(sub[:, -1, j].mean())
        if not judged:
            found.judge(
                Verdict.vacuous(f"{label}: burn-in {b:,} episodes > {BURN_IN_FRACTION:g} n_max")
            )
            continue
        found.judge(_lure_criterion(sub[:, -1, j], greedy_last, limit, label, grid[-1]))
        flipped = learners[G + 1 + j]
        cverdicts.append(
            _lure_criterion(sub[:, -1, G + 1 + j], greedy_last, limit, flipped.label, grid[-1])
        )
        key = f"control_mean_last[c={c:g}]"
        found.fitted[key] = measured[key] = float(sub[:, -1, G + 1 + j].mean())
    # rejected as soon as one c rejects it
    found.control(
        "PEVI with the penalty sign flipped, in PEVI's place",
        Verdict.combine(cverdicts)
        if cverdicts
        else Verdict.vacuous("no c of the grid is judged, so no control was run"),
        measured,
    )
    for j, learner in enumerate(learners):
        found.curve(learner.label, grid, sub[:, :, j])
    found.line("greedy limit rho(x0) (Q*_safe - Q*_lure)", grid, np.full(grid.shape, limit))
    return found.outcome(
        axes=OFFLINE_SUBOPTIMALITY,
        title="Partial coverage that covers pi*: PEVI against greedy LSVI",
    )


# ------------------------------------------------------------------------ (4) pessimism


def random_offline_problem(rng: np.random.Generator):
    """A small random (model, behaviour, n_episodes) with the cases a property test wants.

    Models: a simplex-feature linear MDP (S <= 6, A <= 3, H <= 4, d <= 4, deterministic or
    Bernoulli rewards), a Garnet written with one-hot features, or the lure instance.
    Behaviours: uniform, an epsilon-mixture with pi*, or a partial-coverage one that drops
    random triples (keeping one action per state). ``n_episodes`` is log-uniform in [3, 300].
    """
    kind = int(rng.integers(3))
    if kind == 0:
        S, A = int(rng.integers(2, 7)), int(rng.integers(2, 4))
        H, d = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        base = simplex_feature_linear_mdp(S=S, A=A, H=H, d=d, seed=rng)
        noise = "bernoulli" if rng.random() < 0.5 else None
        model = LinearMDP(base.phi, base.mu, base.theta, noise=noise, name=base.name)
    elif kind == 1:
        S, A = int(rng.integers(2, 5)), int(rng.integers(2, 4))
        H = int(rng.integers(1, 4))
        model = tabular_as_linear(garnet(S=S, A=A, branching=min(2, S), H=H, seed=rng))
    else:
        model = lure_linear_mdp()
    choice = int(rng.integers(3))
    if choice == 0:
        behaviour = uniform_behaviour(model)
    elif choice == 1:
        behaviour = epsilon_optimal_behaviour(model, float(rng.uniform(0.05, 1.0)))
    else:
        drop = rng.random((model.H, model.S, model.A)) < 0.3
        keep = rng.integers(model.A, size=(model.H, model.S))
        np.put_along_axis(drop, keep[:, :, None], False, axis=2)
        behaviour = partial_coverage_behaviour(model, drop)
    n_episodes = int(np.exp(rng.uniform(np.log(3), np.log(300))))
    return model, behaviour, n_episodes


_PESSIMISM_PLAN = {"quick": 80, "full": 500}
PESSIMISM_CONTROL_C = 0.1
"""c of the sign-flipped control of the pessimism check (the middle of the grid)."""


@theorem(
    id="jin2021-pevi-pessimism",
    paper=f"{JYW}, proof of Theorem 4.2 (on the good event the model evaluation error "
    "B_h V_hat_{h+1} - Q_hat_h lies in [0, 2 Gamma_h])",
    tags=("offline", "pevi", "pessimism"),
    kind="event",
    verified=False,
)
def pevi_pessimism(scale: str, seed: int) -> Outcome:
    """On the good event (checked exactly against the true model) PEVI's estimate is pessimistic:
    V_hat_h(s) <= V^{{pi_hat}}_h(s) for every h and s, in every fit, for every c of the grid
    {C_GRID} (linear) and for tabular PEVI (c = 1); with the paper's penalty (c = 1) the good event
    holds in at least 1 - xi of random problems (xi = 0.05). A learner's pessimism is vacuous when
    every Q_hat of every fit with the good event sits at its clip 0 (the clipped fraction is
    reported). Random small linear MDPs (simplex features, one-hot Garnets, the lure instance),
    random behaviours (uniform, epsilon-optimal, partial coverage) and data sizes. Controls: PEVI
    with the penalty's sign flipped (c = {PESSIMISM_CONTROL_C:g}), on its own good event, must break
    pessimism; greedy LSVI (c = 0) must break the good-event frequency.

    Formula
    -------
    good event => V_hat_h(s) <= V^{{pi_hat}}_h(s) for all h, s;  P(good event | c = 1) >= 1 - xi

    Rule
    ----
    c grid {C_GRID} fixed in code; the problem generator and sizes fixed when the check was first
    written; Clopper-Pearson 95% interval for the event frequency against xi = 0.05; the control's c
    = {PESSIMISM_CONTROL_C:g} is the middle of the grid

    Source
    ------
    {SOURCE}
    """
    n_problems = _PESSIMISM_PLAN[check_scale(scale)]
    rng = as_generator(seed)
    learners = (
        *(PEVI(c=c) for c in C_GRID),
        TabularPEVI(),
        GreedyLSVI(),
        SignFlippedPEVI(c=PESSIMISM_CONTROL_C),
    )
    labels = [learner.label for learner in learners]
    flipped = len(learners) - 1
    greedy = len(learners) - 2
    event = np.zeros((n_problems, len(learners)), dtype=bool)
    pessimistic = np.zeros_like(event)
    unclipped = np.zeros(event.shape)
    gap = np.zeros(event.shape)
    for i in range(n_problems):
        model, behaviour, n = random_offline_problem(rng)
        data = collect(model, behaviour, n, rng)
        for j, learner in enumerate(learners):
            result = learner.fit(model, data)
            event[i, j] = flipped_good_event(result, model) if j == flipped else result.good_event
            pessimistic[i, j] = result.pessimistic
            unclipped[i, j] = float((result.Q_hat > 0.0).mean())
            gap[i, j] = float((result.V_hat - result.policy_values).max())
    found = Findings(
        arrays={
            "good_event": event,
            "pessimistic": pessimistic,
            "unclipped_fraction": unclipped,
            "max_V_hat_minus_V_pi": gap,
        }
    )
    fitted = found.fitted

    def implication(j: int) -> Verdict:
        label = labels[j]
        broken = event[:, j] & ~pessimistic[:, j]
        informative = event[:, j] & (unclipped[:, j] > 0)
        fitted[f"good_event_frequency[{label}]"] = float(event[:, j].mean())
        fitted[f"pessimistic_frequency[{label}]"] = float(pessimistic[:, j].mean())
        fitted[f"clipped_fraction_on_event[{label}]"] = (
            float(1.0 - unclipped[event[:, j], j].mean()) if event[:, j].any() else float("nan")
        )
        if broken.any():
            i = int(np.flatnonzero(broken)[0])
            return Verdict.failed(
                f"{label}: problem {i} has the good event but V_hat exceeds "
                f"V^pi_hat by {gap[i, j]:.3g}"
            )
        if not informative.any():
            return Verdict.vacuous(
                f"{label}: on all {int(event[:, j].sum())} fits with the "
                "good event every Q_hat sits at its clip 0"
            )
        return Verdict.passed(
            f"{label}: pessimistic on all {int(event[:, j].sum())} fits with "
            f"the good event ({int(informative.sum())} with some Q_hat above "
            f"0; clipped fraction "
            f"{fitted[f'clipped_fraction_on_event[{label}]']:.3f})"
        )

    for j in range(greedy):
        found.judge(implication(j))
    for j, learner in enumerate(learners[:greedy]):
        if learner.c != 1.0:
            continue
        failures = int((~event[:, j]).sum())
        found.judge(
            _frequency_verdict(
                failures,
                n_problems,
                f"{labels[j]}: good event failed in {failures} of "
                f"{n_problems} problems (allowed xi = {XI})",
            )
        )
    cfail = int((~event[:, greedy]).sum())
    found.control(
        f"{labels[flipped]} on its own good event",
        implication(flipped),
        {
            "pessimistic_frequency": float(pessimistic[:, flipped].mean()),
            "good_event_frequency": float(event[:, flipped].mean()),
        },
    )
    found.control(
        "greedy LSVI (c = 0): good-event frequency",
        _frequency_verdict(
            cfail, n_problems, f"greedy LSVI: good event failed in {cfail} of {n_problems} problems"
        ),
        {"good_event_frequency": float(event[:, greedy].mean())},
    )
    return found.outcome()
