"""Speed of robust value iteration against nominal value iteration, same process, same tolerance.

Run: ``PYTHONPATH=. python bench/robust.py`` (``--quick`` for S=300, A=10).

What is printed
---------------
* One sweep: the robust Bellman sweep ``max_a R + gamma inf_{q in U} q.V`` of each set against
  the nominal sweep ``max_a R + gamma P V`` at the same ``V`` (the fixed point of the nominal
  model), all alternated round by round (7 rounds), the median per-round ratio and its spread.
* Whole solves: :func:`mdptheory.robust.robust_value_iteration` with a TV, a KL and a
  chi-square ball (radius 0.1) against
  :func:`mdptheory.planning.value_iteration`, both to ``tol`` (each returns its policy's exact
  value under its kernel, one linear solve), contenders alternated round by round; printed are
  the median per-round ratio and its spread [min, max], and the sweeps each took. Target:
  robust / nominal <= 3 for the TV and KL balls. A solve writes its worst-case kernel
  (S, A, S) only when ``worst_kernel`` is first read; that first read is timed apart.

The model is dense random (rows uniform then normalised), S=1000, A=20, gamma=0.9, tol=1e-6.

Robust offline (``--part offline``): R2PVI (KL, TV, chi-square penalties) and DRPVI (TV, KL and
chi-square balls) against PEVI on the same aggregated log of n=10^5 episodes of
``simplex_feature_linear_mdp(S=100, A=10, H=20, d=20)`` (``--quick``: n=10^4, S=50, A=5), each
learner's backward pass alone (regression, duals, penalty, clip; no evaluation), medians of
alternated rounds. Target: R2PVI / PEVI <= 5. Then VA-DRPVI against DRPVI (TV and KL balls,
radius 0.1): whole fits (split, pilot pass, variance regressions, weighted pass, exact robust
evaluation) on the same raw log, alternated, the per-round ratio printed.
"""

from __future__ import annotations

import numpy as np
from _timing import Spread, alternate, command_line, median_time, ratio, timed

import mdptheory as mt
from mdptheory.planning import bellman_optimality, value_iteration
from mdptheory.robust import UncertaintySet, robust_value_iteration


def random_mdp(S: int, A: int, gamma: float, seed: int = 0) -> mt.FiniteMDP:
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))
    P /= P.sum(axis=-1, keepdims=True)
    return mt.FiniteMDP(P, rng.random((S, A)), gamma)


SETS = {
    "TV ball 0.1": UncertaintySet("tv", radius=0.1),
    "KL ball 0.1": UncertaintySet("kl", radius=0.1),
    "KL penalty 1": UncertaintySet("kl", penalty=1.0),
    "chi2 ball 0.1": UncertaintySet("chi2", radius=0.1),
}


def main() -> None:
    args = command_line(
        __doc__,
        "S=300, A=10",
        rounds={"type": int, "default": 3, "help": "alternated rounds"},
        tol={"type": float, "default": 1e-6, "help": "tolerance of both"},
        part={"choices": ("all", "planning", "offline"), "default": "all", "help": "which part"},
    )
    if args.part in ("all", "offline"):
        offline(args)
    if args.part == "offline":
        return
    S, A, gamma = (300, 10, 0.9) if args.quick else (1000, 20, 0.9)
    mdp = random_mdp(S, A, gamma)
    P2 = mdp.P.reshape(S * A, S)
    print(f"dense random MDP S={S} A={A} gamma={gamma}, tol={args.tol:g}")
    nominal = value_iteration(mdp, tol=args.tol)
    V = nominal.values
    # the sweeps alternated round by round with the nominal one, each ratio taken per round
    sweeps_at_v = {"nominal": lambda: bellman_optimality(mdp, V).max(axis=1)}
    for name, uncertainty in SETS.items():
        warm = np.zeros(S * A)
        uncertainty.backup(P2, V, warm)  # compile and warm the KL ball's dual variables

        def robust_sweep(u=uncertainty, w=warm):
            return (mdp.R + gamma * u.backup(P2, V, w, 1e-8).reshape(S, A)).max(axis=1)

        sweeps_at_v[name] = robust_sweep
    sweep_times = alternate(sweeps_at_v, repeats=7, warmup=True)
    sweep = Spread.of(sweep_times["nominal"])
    print(f"nominal sweep: median {sweep.format(1e3, 'ms')}")
    for name in SETS:
        print(
            f"{name} sweep: median {Spread.of(sweep_times[name]).format(1e3, 'ms')}, "
            f"{ratio(sweep_times, name, 'nominal').format(1.0, 'x')} the nominal sweep"
        )
    solved = {name: SETS[name] for name in ("TV ball 0.1", "KL ball 0.1", "chi2 ball 0.1")}
    sweeps: dict[str, int] = {}

    def run(name, solver):
        def call():
            sweeps[name] = solver().iterations

        return call

    contenders = {"nominal": run("nominal", lambda: value_iteration(mdp, tol=args.tol))}
    for name, uncertainty in solved.items():
        contenders[name] = run(
            name, lambda u=uncertainty: robust_value_iteration(mdp, u, tol=args.tol)
        )
    times = alternate(contenders, repeats=args.rounds, warmup=False)
    print(f"nominal VI: median {np.median(times['nominal']):.2f} s, {sweeps['nominal']} sweeps")
    for name in solved:
        spread = ratio(times, name, "nominal")
        print(
            f"{name}: robust / nominal VI = {spread.format(1.0, 'x')} over {args.rounds} "
            f"rounds, {sweeps[name]} sweeps, median {np.median(times[name]):.2f} s"
        )
    for name, uncertainty in solved.items():
        solution = robust_value_iteration(mdp, uncertainty, tol=args.tol)
        _, seconds = timed(lambda s=solution: s.worst_kernel)
        print(f"{name}: first read of worst_kernel (written then) {seconds:.2f} s")


def offline(args) -> None:
    """R2PVI and DRPVI backward passes against PEVI's on one aggregated log."""
    from algorithms.offline import DRPVI, PEVI, R2PVI, VADRPVI, collect
    from algorithms.offline.pevi.backup import _backward, _linear_estimates
    from algorithms.offline.robust._common import backward
    from instances.linear import simplex_feature_linear_mdp

    S, A, H, d, n = (50, 5, 20, 20, 10_000) if args.quick else (100, 10, 20, 20, 100_000)
    model = simplex_feature_linear_mdp(S=S, A=A, H=H, d=d, seed=0)
    log = collect(model, "uniform", n, seed=1)
    stats = log.aggregate()
    features = np.ascontiguousarray(model.phi.reshape(S * A, d))
    print(f"offline: simplex_feature_linear_mdp S={S} A={A} H={H} d={d}, n={n} episodes")
    pevi = PEVI(c=0.03)
    beta = pevi.beta(model, n)

    def pevi_pass():
        _, chol, widths2 = _linear_estimates(features, stats, pevi.lam)
        return _backward(stats, beta, pevi.lam, features, chol, widths2)

    learners = {
        "R2PVI-kl(lam=1)": R2PVI("kl", penalty=1.0, c=0.03),
        "R2PVI-tv(lam=1)": R2PVI("tv", penalty=1.0, c=0.03),
        "R2PVI-chi2(lam=1)": R2PVI("chi2", penalty=1.0, c=0.03),
        "DRPVI-tv(rho=0.1)": DRPVI(radius=0.1, c=0.03),
        "DRPVI-kl(rho=0.1)": DRPVI(radius=0.1, divergence="kl", c=0.03),
        "DRPVI-chi2(rho=0.1)": DRPVI(radius=0.1, divergence="chi2", c=0.03),
    }
    contenders = {"PEVI": pevi_pass}
    for name, learner in learners.items():
        duals = learner._duals(model)
        b = learner.beta(model, n)
        contenders[name] = lambda duals=duals, b=b: backward(model, features, stats, 1.0, b, duals)
    times = alternate(contenders, repeats=args.rounds)
    print(f"PEVI backward pass: median {np.median(times['PEVI']) * 1e3:.1f} ms")
    for name in learners:
        spread = ratio(times, name, "PEVI")
        print(
            f"{name}: median {np.median(times[name]) * 1e3:.1f} ms, "
            f"{spread.format(1.0, 'x')} PEVI's"
        )
    fit = median_time(lambda: learners["R2PVI-kl(lam=1)"].fit(model, stats), 3)
    print(f"R2PVI-kl fit with exact robust evaluation: median {fit.format(1.0, 's')}")
    # VA-DRPVI's extra work (the pilot pass on the odd episodes, the variance regressions, the
    # split) is outside the backward pass, so whole fits on the same raw log are compared
    fits = {}
    for kind in ("tv", "kl"):
        fits[f"DRPVI-{kind}"] = DRPVI(radius=0.1, divergence=kind, c=0.03)
        fits[f"VA-DRPVI-{kind}"] = VADRPVI(radius=0.1, divergence=kind, c=0.03, lam=1.0 / H**2)
    contenders = {name: lambda m=m: m.fit(model, log) for name, m in fits.items()}
    times = alternate(contenders, repeats=args.rounds)
    for kind in ("tv", "kl"):
        spread = ratio(times, f"VA-DRPVI-{kind}", f"DRPVI-{kind}")
        print(
            f"VA-DRPVI-{kind}(rho=0.1) whole fit on the raw log: median "
            f"{np.median(times[f'VA-DRPVI-{kind}']):.3f} s, {spread.format(1.0, 'x')} "
            f"DRPVI-{kind}'s ({np.median(times[f'DRPVI-{kind}']):.3f} s)"
        )


if __name__ == "__main__":
    main()
