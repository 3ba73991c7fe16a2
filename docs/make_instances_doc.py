"""Regenerate the computed blocks of ``docs/instances.md``.

Every block between ``<!-- begin generated: KEY -->`` and ``<!-- end generated: KEY -->`` is
recomputed by running the instance code: parameter tables come from the registry (so from
the builders' signatures), optima from ``mdptheory.planning.solve``. Prose outside the blocks
is left alone.

Usage::

    python docs/make_instances_doc.py           # rewrite docs/instances.md
    python docs/make_instances_doc.py --check   # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from instances.registry import available, make
from instances.risk import ROUTE_ACTIONS, ROUTE_STATES
from instances.tabular import (
    GRID_ACTIONS,
    combination_lock_code,
    deep_sea_action_mapping,
    grid_shortest_path,
    gridworld_layout,
)
from mdptheory import EpisodicMDP, FiniteMDP
from mdptheory.planning import solve
from mdptheory.risk import cvar

DOC = Path(__file__).resolve().parent / "instances.md"
BLOCK = re.compile(
    r"(<!-- begin generated: (?P<key>[\w:]+) -->\n)(?P<body>.*?)"
    r"(<!-- end generated: (?P=key) -->)",
    re.DOTALL,
)


def fmt(x: float) -> str:
    return f"{float(x):.6g}"


def array_text(array: np.ndarray) -> str:
    with np.printoptions(precision=4, suppress=True, linewidth=96):
        return np.array2string(np.asarray(array))


def code_block(text: str) -> str:
    return f"```\n{text}\n```\n"


def optimum_summary(mdp: FiniteMDP | EpisodicMDP) -> str:
    """V* at the start distribution and the optimal (stage-0) policy."""
    solution = solve(mdp)
    if isinstance(mdp, EpisodicMDP):
        start = float(mdp.initial @ solution.values[0])
        return (
            f"`{mdp.name}`: V*_1(rho) = {fmt(start)}; stage-1 optimal policy "
            f"pi[0, s] = `{array_text(solution.policy[0])}`"
        )
    start = float(mdp.initial @ solution.values)
    return (
        f"`{mdp.name}`: V*(rho) = {fmt(start)}; optimal policy pi[s] = "
        f"`{array_text(solution.policy)}`"
    )


# --- parameter tables ------------------------------------------------------------------------


def params_block(name: str) -> str:
    entry = {e.name: e for e in available()}[name]
    if not entry.importable:
        return (
            f"*Builder `{entry.builder}` not importable when this page was generated "
            f"({entry.reason}); rerun the script.*\n"
        )
    lines = ["| parameter | default |", "|---|---|"]
    for key, value in entry.parameters.items():
        shown = repr(value.replace("\n", "/")) if isinstance(value, str) else repr(value)
        lines.append(f"| `{key}` | `{shown}` |")
    return "\n".join(lines) + "\n"


# --- optima of the tabular and risk families -------------------------------------------------


def garnet_block() -> str:
    small = make("garnet", S=4, A=2, branching=2, seed=0)
    rows = ["| s | a | successors (probability) | R[s, a] |", "|---|---|---|---|"]
    for s in range(small.S):
        for a in range(small.A):
            nz = np.flatnonzero(small.P[s, a])
            succ = ", ".join(f"{int(t)} ({small.P[s, a, t]:.3f})" for t in nz)
            rows.append(f"| {s} | {a} | {succ} | {small.R[s, a]:.3f} |")
    out = ["Structure of `garnet(S=4, A=2, branching=2, seed=0)`:", "", *rows, ""]
    out += ["Optima of the defaults:", ""]
    out += [f"* {optimum_summary(make('garnet'))}", f"* {optimum_summary(make('garnet', H=10))}"]
    return "\n".join(out) + "\n"


def river_swim_block() -> str:
    out = [
        f"* {optimum_summary(make('river_swim'))}",
        f"* {optimum_summary(make('river_swim', H=20))}",
        f"* {optimum_summary(make('river_swim', gamma=0.5))}",
    ]
    rows = [
        "",
        "Shortest horizon at which the optimal first action in state 0 is `right`:",
        "",
        "| S | smallest H |",
        "|---|---|",
    ]
    for S in (2, 4, 6, 8, 10):
        H = next(H for H in range(1, 400) if solve(make("river_swim", S=S, H=H)).policy[0, 0] == 1)
        rows.append(f"| {S} | {H} |")
    return "\n".join(out + rows) + "\n"


def lock_block(name: str) -> str:
    if name == "combination_lock":
        code = combination_lock_code(10, 2, 0)
        lines = [f"Code of the default (`S=10, A=2, seed=0`): `{array_text(code)}`", ""]
    else:
        lines = []
    S, gamma = 10, 0.9
    discounted = solve(make(name))
    lines += [
        f"* {optimum_summary(make(name))}",
        f"  closed form gamma^(S-2) = {fmt(gamma ** (S - 2))}; "
        f"V* over states: `{array_text(discounted.values)}`",
        f"* {optimum_summary(make(name, H=9))};",
        "  closed form: 1 when H >= S-1 = 9",
        f"* {optimum_summary(make(name, H=8))};",
        "  closed form: 0 when H < S-1",
    ]
    return "\n".join(lines) + "\n"


def gridworld_block() -> str:
    layout = gridworld_layout()
    d = grid_shortest_path(layout)
    deterministic = make("gridworld", slip=0.0, H=10)
    v0 = solve(deterministic).values[0, layout.start]
    default = make("gridworld")
    solution = solve(default)
    out = [
        "Default map, states numbered row by row (the terminal state is last):",
        "",
        code_block("\n".join(layout.lines)),
        f"Shortest path from S to G: d = {d} moves. With `slip=0, H=10`: "
        f"V*(start) = {fmt(v0)} = 1 - 0.01 * {d}.",
        "",
        f"Default (`slip=0.1, gamma=0.95`): V*(start) = "
        f"{fmt(solution.values[layout.start])}. Optimal actions "
        f"({', '.join(f'{a}' for a in GRID_ACTIONS)} drawn as ^ > v <) and values:",
        "",
        code_block(layout.render(policy=solution.policy)),
        code_block(layout.render(values=solution.values)),
    ]
    return "\n".join(out)


def deep_sea_block() -> str:
    N = 10
    mapping = deep_sea_action_mapping(N, 0)
    # show the mapping on the reachable lower-left triangle (col <= row)
    picture = "\n".join(
        " ".join(str(mapping[r, c]) if c <= r else "." for c in range(N)) for r in range(N)
    )
    deterministic = solve(make("deep_sea")).values[0, 0]
    stochastic = solve(make("deep_sea", stochastic=True)).values[0, 0]
    q = 1 - 1 / N
    closed = q ** (N - 1) - 0.001 * sum(q**k for k in range(N))
    out = [
        f"Action index meaning `right` per cell (`N={N}, seed=0`; '.' unreachable):",
        "",
        code_block(picture),
        f"* `deep_sea(N=10)`: V* = {fmt(deterministic)} = 1 - N * move_cost (always-left: 0).",
        f"* `deep_sea(N=10, stochastic=True)`: V* = {fmt(stochastic)} "
        f"(closed form {fmt(closed)}; bsuite quotes the always-right return "
        f"{fmt(q ** (N - 1) - 0.01)}).",
    ]
    return "\n".join(out) + "\n"


def route_block() -> str:
    mdp = make("safe_vs_risky_route")
    P = mdp.dense_P()[0]
    alpha = 0.1
    policies = {
        "safe road": (0, 0),
        "risky road, then bail out at once": (1, 0),
        "risky road to the end": (1, 1),
    }
    rows = ["| policy | return distribution | mean | CVaR_0.1 |", "|---|---|---|---|"]
    for label, (fork_action, risky_action) in policies.items():
        atoms = {(0, 0.0): 1.0}
        for h in range(mdp.H):
            nxt: dict[tuple[int, float], float] = {}
            for (s, total), p in atoms.items():
                a = fork_action if s == 0 else (risky_action if s == 2 else 0)
                for s2 in np.flatnonzero(P[s, a]):
                    key = (int(s2), round(total + mdp.R[h, s, a], 12))
                    nxt[key] = nxt.get(key, 0.0) + p * P[s, a, s2]
            atoms = nxt
        returns: dict[float, float] = {}
        for (_, total), p in atoms.items():
            returns[total] = returns.get(total, 0.0) + p
        values = np.array(sorted(returns))
        probabilities = np.array([returns[v] for v in values])
        shown = ", ".join(
            f"{fmt(v)} w.p. {fmt(p)}" for v, p in zip(values, probabilities, strict=True)
        )
        rows.append(
            f"| {label} | {shown} | {fmt(values @ probabilities)} | "
            f"{fmt(cvar(values, probabilities, alpha))} |"
        )
    # iterated CVaR by its Bellman equation
    V = np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        Q = np.array(
            [[mdp.R[h, s, a] + cvar(V, P[s, a], alpha) for a in range(mdp.A)] for s in range(mdp.S)]
        )
        V = Q.max(axis=1)
    mean = solve(mdp)
    out = [
        f"States {', '.join(f'{i} `{n}`' for i, n in enumerate(ROUTE_STATES))}; actions "
        f"{', '.join(f'{i} `{n}`' for i, n in enumerate(ROUTE_ACTIONS))}.",
        "",
        *rows,
        "",
        f"* mean: V*(fork) = {fmt(mean.values[0, 0])}, first action "
        f"`{ROUTE_ACTIONS[mean.policy[0, 0]]}`",
        f"* iterated CVaR_0.1: Q(fork, safe) = {fmt(Q[0, 0])}, Q(fork, risky) = "
        f"{fmt(Q[0, 1])}, first action `{ROUTE_ACTIONS[int(np.argmax(Q[0]))]}`",
    ]
    return "\n".join(out) + "\n"


# --- linear and bandit families (built by instances.linear / instances.bandits) --------------


def linear_block(name: str) -> str:
    entry = {e.name: e for e in available()}[name]
    if not entry.importable:
        return f"*Not importable when this page was generated ({entry.reason}).*\n"
    model = make(name)
    tabular = model.tabular() if hasattr(model, "tabular") else model
    if not isinstance(tabular, (FiniteMDP, EpisodicMDP)):
        return f"`{model!r}` (no exact tabular twin to solve)\n"
    dims = ", ".join(
        f"{key} = {getattr(model, key)}" for key in ("S", "A", "H", "d") if hasattr(model, key)
    )
    return f"Default: {dims}.\n\n* {optimum_summary(tabular)}\n"


def bandit_block(name: str) -> str:
    entry = {e.name: e for e in available()}[name]
    if not entry.importable:
        return f"*Not importable when this page was generated ({entry.reason}).*\n"
    params = {"seed": 0} if entry.parameters.get("seed", 0) is None else {}
    model = make(name, **params)
    lines = [f"`{model!r}`" + (" (built with seed=0)" if params else ""), ""]
    if hasattr(model, "means"):
        means = np.asarray(model.means)
        lines.append(
            f"* arm means: `{array_text(means)}`; optimal arm {int(np.argmax(means))}, "
            f"optimal mean {fmt(means.max())}"
        )
    if hasattr(model, "theta"):
        lines.append(f"* theta: `{array_text(np.asarray(model.theta))}`")
    if hasattr(model, "gaps"):
        lines.append(f"* gaps: `{array_text(np.asarray(model.gaps))}`")
    return "\n".join(lines) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "optimum:garnet": garnet_block,
    "optimum:river_swim": river_swim_block,
    "optimum:chain": lambda: lock_block("chain"),
    "optimum:combination_lock": lambda: lock_block("combination_lock"),
    "optimum:gridworld": gridworld_block,
    "optimum:deep_sea": deep_sea_block,
    "optimum:safe_vs_risky_route": route_block,
}


def generate(key: str) -> str:
    if key in GENERATORS:
        return GENERATORS[key]()
    kind, _, name = key.partition(":")
    if kind == "params":
        return params_block(name)
    if kind == "linear":
        return linear_block(name)
    if kind == "bandit":
        return bandit_block(name)
    raise ValueError(f"unknown generated block {key!r} in {DOC}")


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + generate(m.group("key")) + m.group(4), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = parser.parse_args(argv)
    old = DOC.read_text()
    new = render(old)
    if args.check:
        if new != old:
            print(f"{DOC} is out of date: run python docs/make_instances_doc.py")
            return 1
        return 0
    DOC.write_text(new)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
