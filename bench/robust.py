"""Speed of robust value iteration against nominal value iteration, same process, same tolerance.

Run: ``PYTHONPATH=. python bench/robust.py`` (``--quick`` for S=300, A=10).

What is printed
---------------
* One sweep: the robust Bellman sweep ``max_a R + gamma inf_{q in U} q.V`` of each set against
  the nominal sweep ``max_a R + gamma P V`` at the same ``V`` (the fixed point of the nominal
  model), medians over repeats.
* Whole solves: :func:`mdptheory.robust.robust_value_iteration` with a TV ball and a KL ball
  (radius 0.1) against
  :func:`mdptheory.planning.value_iteration`, both to ``tol`` (each returns its policy's exact
  value under its kernel, one linear solve), contenders alternated round by round; printed are
  the median per-round ratio and its spread [min, max], and the sweeps each took. Target:
  robust / nominal <= 3 for the TV and KL balls.

The model is dense random (rows uniform then normalised), S=1000, A=20, gamma=0.9, tol=1e-6.
"""

from __future__ import annotations

import numpy as np
from _timing import alternate, command_line, median_time, ratio

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
    )
    S, A, gamma = (300, 10, 0.9) if args.quick else (1000, 20, 0.9)
    mdp = random_mdp(S, A, gamma)
    P2 = mdp.P.reshape(S * A, S)
    print(f"dense random MDP S={S} A={A} gamma={gamma}, tol={args.tol:g}")
    nominal = value_iteration(mdp, tol=args.tol)
    V = nominal.values
    sweep = median_time(lambda: bellman_optimality(mdp, V).max(axis=1), 7)
    print(f"nominal sweep: median {sweep.format(1e3, 'ms')}")
    for name, uncertainty in SETS.items():
        warm = np.zeros(S * A)
        uncertainty.backup(P2, V, warm)  # compile and warm the KL ball's dual variables

        def robust_sweep(u=uncertainty, w=warm):
            return (mdp.R + gamma * u.backup(P2, V, w, 1e-8).reshape(S, A)).max(axis=1)

        spread = median_time(robust_sweep, 5)
        print(
            f"{name} sweep: median {spread.format(1e3, 'ms')}, "
            f"{spread.median / sweep.median:.2f}x the nominal sweep"
        )
    solved = {"TV ball 0.1": SETS["TV ball 0.1"], "KL ball 0.1": SETS["KL ball 0.1"]}
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


if __name__ == "__main__":
    main()
