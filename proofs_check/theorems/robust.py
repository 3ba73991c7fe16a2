"""Robust MDPs on (s, a)-rectangular sets, checked against cvxpy primals and exact oracles.

* ``iyengar2005-robust-duals-equal-primal``: the one-dimensional duals of the TV, KL and
  chi-square balls and penalties, as :mod:`mdptheory.robust` solves them, equal the primal
  optimum (cvxpy, Clarabel) on random rows, and their minimisers lie in the set and attain it.
* ``iyengar2005-robust-bellman-contraction``: the robust Bellman operator of every set is a
  gamma-contraction in sup norm, on random pairs of value vectors.
* ``robust-value-monotone-in-radius``: robust values decrease as the radius grows and as the
  penalty shrinks, and ``rho = 0`` / ``lam = inf`` give the nominal values.
* ``robust-beats-nominal-on-worst-kernel``: on ``safe_vs_fast_route`` the robust policy beats
  the nominal optimum on a worst-case kernel of the ball and loses to it on the nominal kernel.

All four are ``exact`` checks; each runs planted slips through its own criterion, which must
reject them: the pitfalls of the duals' conventions (TV as ``||q - p||_1`` instead of half of
it, chi-square halved, the radius ignored, the sign of the KL radius term flipped), a backup
without the discount or chi-square without its clipping level, and a set that is too small or
lets nature reach the deterministic road.

Statements: Iyengar (2005), Math. Oper. Res. 30(2), and Nilim and El Ghaoui (2005), Oper. Res.
53(5), as restated in ``theory-wave2.md`` section 3.1 [M]; the duals were checked there
numerically against direct primal optimisation [N]. The regularised forms are those of Tang,
Liu, Xu (ICML 2025, arXiv:2411.18612), ``theory.md`` section 4.2 [M, consistent with the official
code]. Neither paper's text was read for these checks.
"""

from __future__ import annotations

import itertools

import numpy as np

from instances.robust import safe_vs_fast_route
from mdptheory.evaluation import evaluate
from mdptheory.planning import solve
from mdptheory.robust import (
    UncertaintySet,
    divergence,
    inner_problem,
    robust_bellman,
    robust_evaluate,
    robust_value_iteration,
)
from mdptheory.robust.primal import inner_problem_primal
from mdptheory.seeding import as_generator
from mdptheory.tabular import FiniteMDP
from proofs_check.findings import Findings, rejected_by_every_part
from proofs_check.harness import Outcome, Verdict, check_scale, theorem

SOURCE = (
    "Iyengar (2005) and Nilim and El Ghaoui (2005) as restated in theory-wave2.md 3.1 "
    "[M]; duals checked numerically there [N]; regularised forms from theory.md 4.2 "
    "(Tang, Liu, Xu 2025) [M]. The papers' texts were not read for this check."
)
DIVERGENCES = ("tv", "kl", "chi2")


def _random_row(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A nominal row with 2..7 states (a zero entry half of the time) and values in [0, 10)."""
    n = int(rng.integers(2, 8))
    p = rng.dirichlet(np.full(n, float(rng.choice([0.3, 1.0, 3.0]))))
    if rng.random() < 0.5:
        p[rng.integers(n)] = 0.0
        p /= p.sum()
    return p, rng.random(n) * float(rng.choice([1.0, 10.0]))


def _random_sets(rng: np.random.Generator) -> list[UncertaintySet]:
    rho = float(rng.uniform(0.01, 1.2))
    lam = float(10 ** rng.uniform(-1.5, 1.0))
    return (
        [UncertaintySet(d, radius=rho) for d in DIVERGENCES]
        + [UncertaintySet(d, penalty=lam) for d in DIVERGENCES]
        + [UncertaintySet("tv", radius=rho, support="nominal")]
    )


def _random_mdp(rng: np.random.Generator, S: int, A: int, gamma: float) -> FiniteMDP:
    return FiniteMDP(rng.dirichlet(np.full(S, 0.5), (S, A)), rng.random((S, A)), gamma)


# ------------------------------------------------------------------------- (1) dual = primal

_DUAL_PLAN = {"quick": 4, "full": 40}
_DUAL_TOL = 1e-7


def _slipped_dual(name: str, uncertainty: UncertaintySet, p, V) -> float | None:
    """The inner value under a planted convention slip, or None where the slip does not apply."""
    kind, penalised = uncertainty.divergence, uncertainty.penalised
    if name == "radius ignored" and not penalised:
        return float(p @ V)
    if name == "TV as ||q - p||_1 <= rho (half the radius)" and kind == "tv" and not penalised:
        return inner_problem(
            UncertaintySet("tv", radius=uncertainty.radius / 2, support=uncertainty.support), p, V
        )[0]
    if name == "chi-square halved (1/2 chi2 <= rho)" and kind == "chi2" and not penalised:
        return inner_problem(UncertaintySet("chi2", radius=2 * uncertainty.radius), p, V)[0]
    if name == "KL penalty with the sign flipped" and kind == "kl" and penalised:
        lam = uncertainty.penalty
        on = p > 0
        top = V[on].max()
        return float(top + lam * np.log(p[on] @ np.exp((V[on] - top) / lam)))
    return None


_SLIPS = (
    "radius ignored",
    "TV as ||q - p||_1 <= rho (half the radius)",
    "chi-square halved (1/2 chi2 <= rho)",
    "KL penalty with the sign flipped",
)


@theorem(
    id="iyengar2005-robust-duals-equal-primal",
    paper="Iyengar (2005), Math. Oper. Res. 30(2); Nilim and El Ghaoui (2005), Oper. Res. 53(5); "
    "regularised forms: Tang, Liu, Xu (ICML 2025)",
    tags=("robust", "exact", "duality"),
    kind="exact",
    verified=False,
)
def robust_duals_equal_primal(scale: str, seed: int) -> Outcome:
    """For (s,a)-rectangular TV, KL and chi-square balls (and TV on the nominal support) and the TV,
    KL and chi-square penalties, the one-dimensional dual solved by mdptheory.robust equals the
    primal optimum computed by cvxpy (Clarabel) to 1e-7 on random rows (2-7 states, some with a zero
    entry), and the returned minimiser lies in the ball (divergence <= rho + 1e-9) and attains the
    value to 1e-9.

    Formula
    -------
    TV: max_alpha E_p[min(V,alpha)] - rho (alpha - min V); KL: sup_b -b log E_p e^{{-V/b}} - b rho;
    chi2: max_alpha E_p[V]_alpha - sqrt(rho Var_p [V]_alpha); penalties: E_p min(V, min V + lam),
    -lam log E_p e^{{-V/lam}}, sup_alpha E_p[V]_alpha - Var_p([V]_alpha)/(4 lam)

    Rule
    ----
    Rows, radii (uniform on [0.01, 1.2]) and penalties (log-uniform on [10^-1.5, 10]) drawn from the
    seed; tolerance 1e-7 (the accuracy asked of the inner problems, above Clarabel's 1e-11 gap); the
    slips are the convention pitfalls listed in theory-wave2.md 3.1, judged by the same tolerance on
    the same rows.

    Source
    ------
    {SOURCE}
    """
    rng = as_generator(seed)
    n = _DUAL_PLAN[check_scale(scale)]
    found = Findings()
    errors: dict[str, list[float]] = {}
    slips: dict[str, list[float]] = {name: [] for name in _SLIPS}
    worst_feasibility, worst_attained = 0.0, 0.0
    for _ in range(n):
        p, V = _random_row(rng)
        for uncertainty in _random_sets(rng):
            value, q = inner_problem(uncertainty, p, V)
            primal, _ = inner_problem_primal(uncertainty, p, V)
            key = uncertainty.label.split("(")[0] + ("-penalty" if uncertainty.penalised else "")
            key += "-support" if uncertainty.support == "nominal" else ""
            errors.setdefault(key, []).append(abs(value - primal))
            charged = 0.0
            if uncertainty.penalised:
                charged = uncertainty.penalty * divergence(uncertainty.divergence, p, q)
            else:
                worst_feasibility = max(
                    worst_feasibility, divergence(uncertainty.divergence, p, q) - uncertainty.radius
                )
            worst_attained = max(worst_attained, abs(q @ V + charged - value))
            for name in _SLIPS:
                slipped = _slipped_dual(name, uncertainty, p, V)
                if slipped is not None:
                    slips[name].append(abs(slipped - primal))
    worst = {key: float(max(values)) for key, values in errors.items()}
    for key, values in errors.items():
        found.arrays[f"error[{key}]"] = np.array(values)
    found.fitted.update({f"max |dual - primal| [{key}]": value for key, value in worst.items()})
    found.fitted.update(
        {"max divergence - rho": worst_feasibility, "max |q.V + lam D - value|": worst_attained}
    )
    for key, value in worst.items():
        found.judge(
            Verdict.passed_if(
                value <= _DUAL_TOL, f"{key}: max |dual - primal| = {value:.2e} over {n} rows"
            )
        )
    found.judge(
        Verdict.passed_if(
            worst_feasibility <= 1e-9 and worst_attained <= 1e-9,
            f"minimisers: divergence - rho <= {worst_feasibility:.1e}, "
            f"|q.V + lam D - value| <= {worst_attained:.1e}",
        )
    )
    for name, values in slips.items():
        largest = float(max(values))
        found.control(
            name,
            Verdict.passed_if(largest <= _DUAL_TOL, f"max |slipped dual - primal| = {largest:.3g}"),
            {"max_error": largest},
        )
    return found.outcome()


# -------------------------------------------------------------------------- (2) contraction

_CONTRACTION_PLAN = {"quick": (2, 6, 3, 20), "full": (6, 12, 4, 100)}


def _contraction_ratio(mdp: FiniteMDP, backup, rng: np.random.Generator, pairs: int) -> float:
    """max over random pairs of ||T U - T W|| / ||U - W|| for the operator ``backup``."""
    ratio = 0.0
    for i in range(pairs):
        U = rng.normal(0.0, 5.0, mdp.S)
        # every fourth pair differs by a constant, where a non-discounted backup has ratio 1
        shift = rng.normal(0.0, float(rng.choice([0.01, 1.0, 5.0])), 1 if i % 4 == 0 else mdp.S)
        W = U + shift
        ratio = max(ratio, float(np.abs(backup(U) - backup(W)).max() / np.abs(U - W).max()))
    return ratio


def _undiscounted(mdp: FiniteMDP, ball: UncertaintySet):
    """Planted slip: the robust backup with the discount left out, ``R + inf_q q.V``."""

    def backup(V):
        inner = (robust_bellman(mdp, V, ball) - mdp.R) / mdp.gamma
        return (mdp.R + inner).max(axis=1)

    return backup


def _unclipped_chi2(mdp: FiniteMDP, rho: float):
    """Planted slip: the chi-square ball's value without the clipping level,
    ``E_p V - sqrt(rho Var_p V)`` (exact only while no weight of the minimiser goes negative)."""

    def backup(V):
        mean = mdp.P @ V
        var = np.maximum(mdp.P @ V**2 - mean**2, 0.0)
        return (mdp.R + mdp.gamma * (mean - np.sqrt(rho * var))).max(axis=1)

    return backup


@theorem(
    id="iyengar2005-robust-bellman-contraction",
    paper="Iyengar (2005), Math. Oper. Res. 30(2), Thm 3.2; Nilim and El Ghaoui (2005), "
    "Oper. Res. 53(5), section 3",
    tags=("robust", "exact", "contraction"),
    kind="exact",
    verified=False,
)
def robust_bellman_contraction(scale: str, seed: int) -> Outcome:
    """The (s,a)-rectangular robust Bellman operator T V = max_a R + gamma inf_q q.V (or inf_q q.V +
    lam D(q||p)) is a gamma-contraction in sup norm for every TV, KL and chi-square ball and
    penalty: ||T U - T W|| <= gamma ||U - W|| (+1e-12) on random pairs, random Garnet-like MDPs with
    gamma in {{0.5, 0.9}}.

    Formula
    -------
    ||T U - T W||_inf <= gamma ||U - W||_inf

    Rule
    ----
    MDPs, radii and pairs drawn from the seed; tolerance 1e-12 on the difference (rounding); the
    slips (no discount; chi-square without clipping, rho = 2) go through the same ratio test on the
    same MDPs.

    Source
    ------
    {SOURCE}
    """
    rng = as_generator(seed)
    n_mdps, S, A, pairs = _CONTRACTION_PLAN[check_scale(scale)]
    found = Findings()
    slipped = {"backup without the discount": [], "chi-square without the clipping level": []}
    for gamma in (0.5, 0.9):
        for _ in range(n_mdps):
            mdp = _random_mdp(rng, S, A, gamma)
            for uncertainty in _random_sets(rng):
                ratio = _contraction_ratio(
                    mdp,
                    lambda V, u=uncertainty, m=mdp: robust_bellman(m, V, u).max(axis=1),
                    rng,
                    pairs,
                )
                found.fitted[f"max ratio / gamma [{uncertainty.label}, gamma={gamma}]"] = (
                    ratio / gamma
                )
                found.judge(
                    Verdict.passed_if(
                        ratio <= gamma + 1e-12,
                        f"{uncertainty.label}, gamma={gamma}: max ||TU-TW||/||U-W|| = {ratio:.6f}",
                    )
                )
            slipped["backup without the discount"].append(
                _contraction_ratio(
                    mdp, _undiscounted(mdp, UncertaintySet("kl", radius=0.1)), rng, pairs
                )
                / gamma
            )
            slipped["chi-square without the clipping level"].append(
                _contraction_ratio(mdp, _unclipped_chi2(mdp, 2.0), rng, pairs) / gamma
            )
    for name, ratios in slipped.items():
        found.control(
            name,
            rejected_by_every_part(
                Verdict.passed_if(r <= 1.0 + 1e-12, f"max ratio / gamma = {r:.4f}") for r in ratios
            ),
            {"min_ratio_over_gamma": float(min(ratios))},
        )
    return found.outcome()


# -------------------------------------------------------------------------- (3) monotonicity

_RADII = (0.0, 0.02, 0.1, 0.4, 1.0)
_PENALTIES = (np.inf, 10.0, 1.0, 0.1, 0.01)
_MONOTONE_PLAN = {"quick": (2, 5, 2, 20), "full": (6, 8, 3, 100)}


def _non_increasing(sequence: list[np.ndarray], slack: float) -> float:
    """The largest increase along the sequence (<= slack means non-increasing)."""
    return max(float(np.max(b - a)) for a, b in itertools.pairwise(sequence))


def _flipped_kl_ball(p: np.ndarray, V: np.ndarray, rho: float) -> float:
    """Planted slip: the KL ball's dual with ``+ beta rho``, maximised over a beta grid."""
    on = p > 0
    low = V[on].min()
    betas = np.geomspace(1e-3, 1e3, 400)
    values = [low - b * np.log(p[on] @ np.exp(-(V[on] - low) / b)) + b * rho for b in betas]
    return float(min(max(values), V[on].max()))


@theorem(
    id="robust-value-monotone-in-radius",
    paper="Iyengar (2005); Nilim and El Ghaoui (2005): nested sets give smaller robust values; "
    "regularised form: Tang, Liu, Xu (ICML 2025)",
    tags=("robust", "exact", "monotonicity"),
    kind="exact",
    verified=False,
)
def robust_value_monotone(scale: str, seed: int) -> Outcome:
    """Robust optimal values (robust value iteration to 1e-10) decrease pointwise as the radius
    grows through 0, 0.02, 0.1, 0.4, 1 and as the penalty shrinks through inf, 10, 1, 0.1, 0.01, for
    TV, KL and chi-square, up to the certificates; rho = 0 and lam = inf give value iteration's
    nominal values exactly. The inner values on random rows decrease along the same grids.

    Formula
    -------
    rho <= rho' => V*_rho' <= V*_rho;  lam' <= lam => V*_lam' <= V*_lam;  V*_0 = V*_inf = V*

    Rule
    ----
    Grids fixed above before any run; MDPs and rows from the seed; slack: the sum of the two
    certificates (VI stopped at 1e-10) plus 1e-12; the slip (KL dual with + beta rho) goes through
    the same non-increase test on the same rows.

    Source
    ------
    {SOURCE}
    """
    rng = as_generator(seed)
    n_mdps, S, A, n_rows = _MONOTONE_PLAN[check_scale(scale)]
    found = Findings()
    for index in range(n_mdps):
        mdp = _random_mdp(rng, S, A, 0.9)
        nominal = solve(mdp, method="value_iteration", tol=1e-10)
        for kind in DIVERGENCES:
            for label, sets in (
                ("radius", [UncertaintySet(kind, radius=r) for r in _RADII]),
                ("penalty", [UncertaintySet(kind, penalty=lam) for lam in _PENALTIES]),
            ):
                solutions = [robust_value_iteration(mdp, u, tol=1e-10) for u in sets]
                slack = 2 * max(s.bound for s in solutions) + 1e-12
                rise = _non_increasing([s.values for s in solutions], slack)
                limit = float(np.abs(solutions[0].values - nominal.values).max())
                found.fitted[f"max rise [{kind} {label}, mdp {index}]"] = rise
                found.judge(
                    Verdict.passed_if(
                        rise <= slack and limit == 0.0,
                        f"{kind} along the {label} grid, MDP {index}: largest rise {rise:.1e} "
                        f"(slack {slack:.1e}); |limit - nominal| = {limit:.1e}",
                    )
                )
    rises, slipped = [], []
    for _ in range(n_rows):
        p, V = _random_row(rng)
        for kind in DIVERGENCES:
            inner = [
                np.array([inner_problem(UncertaintySet(kind, radius=r), p, V)[0]]) for r in _RADII
            ]
            rises.append(_non_increasing(inner, 0.0))
        slipped.append(
            _non_increasing([np.array([_flipped_kl_ball(p, V, r)]) for r in _RADII], 0.0)
        )
    found.fitted["max rise of inner values"] = float(max(rises))
    found.judge(
        Verdict.passed_if(
            max(rises) <= 1e-12, f"inner values on {n_rows} rows: largest rise {max(rises):.1e}"
        )
    )
    found.control(
        "KL ball dual with + beta rho",
        Verdict.passed_if(
            max(slipped) <= 1e-12, f"largest rise of the slipped dual {max(slipped):.3g}"
        ),
        {"max_rise": float(max(slipped))},
    )
    return found.outcome()


# ------------------------------------------------------------------ (4) robust vs nominal

_ROUTE_BALLS = (
    UncertaintySet("kl", radius=0.1),
    UncertaintySet("chi2", radius=0.1),
    UncertaintySet("tv", radius=0.1, support="nominal"),
)
_MARGIN = 0.1


def _robust_vs_nominal(mdp: FiniteMDP, ball: UncertaintySet) -> tuple[Verdict, dict]:
    """Both sides of the claim at the start state: robust wins on a worst kernel of the ball
    (nature's best response to the nominal policy), nominal wins on the nominal kernel."""
    nominal = solve(mdp)
    robust = robust_value_iteration(mdp, ball, tol=1e-12)
    worst = robust_evaluate(mdp, nominal.policy, ball).worst_kernel
    inside = all(
        ball.contains(mdp.P[s, a], worst[s, a]) for s in range(mdp.S) for a in range(mdp.A)
    )
    on_worst = FiniteMDP(worst, mdp.R, mdp.gamma)
    start = int(np.argmax(mdp.initial))
    gain = float(
        evaluate(on_worst, robust.policy)[start] - evaluate(on_worst, nominal.policy)[start]
    )
    loss = float(evaluate(mdp, nominal.policy)[start] - evaluate(mdp, robust.policy)[start])
    text = (
        f"{ball.label}: on the worst kernel robust - nominal = {gain:.4f}, on the nominal "
        f"kernel nominal - robust = {loss:.4f} (margin {_MARGIN}); worst kernel in the "
        f"ball: {inside}"
    )
    return (
        Verdict.passed_if(inside and gain > _MARGIN and loss > _MARGIN, text),
        {"gain_on_worst": gain, "loss_on_nominal": loss},
    )


@theorem(
    id="robust-beats-nominal-on-worst-kernel",
    paper="Iyengar (2005); Nilim and El Ghaoui (2005) (robust optimality of the max-min "
    "policy); instance safe_vs_fast_route of this library",
    tags=("robust", "exact", "instance"),
    kind="exact",
    verified=False,
)
def robust_beats_nominal(scale: str, seed: int) -> Outcome:
    """On safe_vs_fast_route (defaults: safe road of 2 states, crash probability 0.05, gamma 0.9),
    for KL, chi-square and TV-on-the-support balls of radius 0.1, the robust policy's value at the
    start exceeds the nominal optimum's by more than 0.1 on nature's worst kernel against the
    nominal policy (a kernel of the ball), and is below it by more than 0.1 on the nominal kernel.

    Formula
    -------
    V^{{pi_rob}}_{{P_w}}(s0) - V^{{pi_nom}}_{{P_w}}(s0) > 0.1 and V^{{pi_nom}}_{{P}}(s0) -
    V^{{pi_rob}}_{{P}}(s0) > 0.1, P_w in U(P)

    Rule
    ----
    Radius 0.1 and margin 0.1 fixed from the instance's closed form (threshold radii 0.021 KL, 0.053
    chi-square, 0.05 TV) before any run; the slips (a radius 0.01 below the threshold, TV over every
    state so nature can also divert the safe road) go through the same two-sided test.

    Source
    ------
    {SOURCE}
    """
    mdp = safe_vs_fast_route()
    found = Findings()
    for ball in _ROUTE_BALLS:
        found.judge(*_robust_vs_nominal(mdp, ball))
    found.control(
        "KL radius 0.01, below the threshold",
        *_robust_vs_nominal(mdp, UncertaintySet("kl", radius=0.01)),
    )
    found.control(
        "TV ball over every state", *_robust_vs_nominal(mdp, UncertaintySet("tv", radius=0.1))
    )
    return found.outcome()
