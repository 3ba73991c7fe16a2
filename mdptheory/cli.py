"""The ``mdptheory`` command.

``mdptheory solve [INSTANCE] [--PARAM VALUE ...]`` solves an MDP exactly and prints V*, the
optimal policy and the certificate. Without an instance name it solves the catalogue's Garnet
MDP (``instances.tabular.garnet``) set by ``--size``, ``--gamma`` and ``--seed``.

``mdptheory check`` runs the registered theorem checks and writes a report (see
``proofs_check.runner``). ``mdptheory instances`` lists the instance catalogue.

``mdptheory diagnose INSTANCE [--PARAM VALUE ...]`` prints every structural diagnosis that
applies to the instance (``mdptheory.diagnostics``), each with its definition.

``mdptheory sweep SPEC.toml`` runs a grid of instances x learners x budgets x seeds on local
processes or a Dask cluster and writes a summary (see ``mdptheory.sweep``).

Every error is one line on stderr and a non-zero exit (2 for bad input, 1 for any other
failure, 130 when interrupted), never a traceback; ``--debug`` (anywhere on the command line)
re-raises instead, to show the traceback.

This is the one module of ``mdptheory`` that imports the packages above it, lazily inside its
commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np


def default_mdp(size: int = 10, n_actions: int = 3, gamma: float = 0.9, seed: int = 0):
    """The MDP of ``mdptheory solve`` without an instance name: the catalogue's Garnet
    (:func:`instances.tabular.garnet`) with S = ``size`` states, ``n_actions`` actions, 3
    successors a pair (all states when ``size < 3``) and rewards uniform in [0, 1]."""
    from instances.tabular import garnet
    from mdptheory._validation import check_discount, check_memory, dense_bytes

    if size < 1:
        raise ValueError(f"--size must be >= 1, got {size}")
    check_discount(gamma, "--gamma")
    check_memory(
        2 * dense_bytes(size, n_actions, size),
        f"the built-in MDP's dense kernel ({size}, {n_actions}, {size})",
        f"--size {size}",
    )
    return garnet(S=size, A=n_actions, branching=min(3, size), gamma=gamma, seed=seed)


def _parse_params(extra: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    items = list(extra)
    i = 0
    while i < len(items):
        key = items[i]
        if not key.startswith("--") or len(key) <= 2:
            raise ValueError(f"expected an instance parameter '--name value', got {key!r}")
        if "=" in key:
            name, value = key[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(items):
                raise ValueError(f"instance parameter {key} has no value")
            name, value = key[2:], items[i + 1]
            i += 2
        params[name.replace("-", "_")] = value
    return params


def _format_array(array: np.ndarray, limit: int = 20) -> str:
    with np.printoptions(precision=6, suppress=True, linewidth=100, threshold=limit, edgeitems=5):
        return np.array2string(np.asarray(array))


def _solve_command(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from mdptheory.planning import solve
    from mdptheory.tabular import EpisodicMDP, FiniteMDP

    params = _parse_params(extra)
    if args.instance is None:
        if params:
            raise ValueError(
                f"parameters {sorted(params)} need an instance name (see `mdptheory instances`)"
            )
        model = default_mdp(
            args.size,
            gamma=args.gamma if args.gamma is not None else 0.9,
            seed=args.seed if args.seed is not None else 0,
        )
    else:
        from instances import make

        if args.gamma is not None:
            params.setdefault("gamma", str(args.gamma))
        if args.seed is not None:
            params.setdefault("seed", str(args.seed))
        model = make(args.instance, **params)
    from mdptheory.games import CooperativeGame

    if isinstance(model, CooperativeGame):
        return _solve_game(model)
    if hasattr(model, "tabular") and not isinstance(model, (FiniteMDP, EpisodicMDP)):
        model = model.tabular()
    if hasattr(model, "mdp") and not isinstance(model, (FiniteMDP, EpisodicMDP)):
        model = model.mdp
    if not isinstance(model, (FiniteMDP, EpisodicMDP)):
        # Bandits: the optimum is the best arm.
        means = np.asarray(model.means)
        print(f"{model!r}")
        print(f"optimal arm: {int(model.optimal_arm)}   optimal mean: {float(means.max()):.10g}")
        print(f"gaps: {_format_array(model.gaps)}")
        return 0
    if getattr(args, "robust", None) is not None:
        return _solve_robust(model, args)
    if args.objective == "average":
        return _solve_average(model)
    if args.objective != "mean":
        return _solve_risk(model, args)
    solution = solve(model, method=args.method)
    print(repr(model))
    if isinstance(model, EpisodicMDP):
        start = float(model.initial @ solution.values[0])
        print(f"V*_1 (stage 1 of {model.H}):\n{_format_array(solution.values[0])}")
        print(f"V*_1(rho) = {start:.12g}")
        print(f"optimal policy pi[h, s] (rows are stages):\n{_format_array(solution.policy)}")
    else:
        start = float(model.initial @ solution.values)
        print(f"V*:\n{_format_array(solution.values)}")
        print(f"V*(rho) = {start:.12g}")
        print(f"optimal policy pi[s]:\n{_format_array(solution.policy)}")
    print(
        f"certificate: max_s |V(s) - V*(s)| <= {solution.bound:.3e}; policy sub-optimality "
        f"<= {solution.policy_gap:.3e}"
    )
    print(
        f"method: {solution.method}, {solution.iterations} iterations, "
        f"stopped: {solution.stop_reason}"
    )
    return 0


def _require_model(model, cls: type, need: str) -> None:
    """Refuse a model of another type than ``cls``: ``need``, then the type it got."""
    if not isinstance(model, cls):
        raise ValueError(f"{need}, got {type(model).__name__}")


def _solve_average(model) -> int:
    """Average-reward optimum: rho*, h*, sp(h*) and the diameter D (models without horizon)."""
    from mdptheory.average_reward import summary
    from mdptheory.tabular import FiniteMDP

    _require_model(
        model, FiniteMDP, "--objective average needs a model without horizon (leave out H)"
    )
    info = summary(model)
    print(repr(model))
    print("average reward (gamma is ignored)")
    print(
        f"rho* = {info.gain:.12g}   certificate |rho* - {info.gain:.6g}| <= "
        f"{info.solution.bound:.3e}"
    )
    print(f"h* ({info.solution.normalisation}):\n{_format_array(info.bias)}")
    print(f"sp(h*) = {info.span:.12g}")
    d = info.diameter
    print(f"D = {d.value:.12g}   (from state {d.source} to state {d.target})")
    print(f"optimal policy pi[s]:\n{_format_array(info.solution.policy)}")
    print(f"classification: {', '.join(info.classification.labels)}")
    return 0


def _solve_risk(model, args: argparse.Namespace) -> int:
    """Risk-averse optimum beside the mean-optimal one (episodic models only)."""
    from mdptheory.planning import backward_induction
    from mdptheory.risk import icvar_backward_induction, icvar_evaluate, static_cvar_optimum
    from mdptheory.tabular import EpisodicMDP

    _require_model(
        model,
        EpisodicMDP,
        f"--objective {args.objective} needs an episodic model (give the instance an H)",
    )
    mean = backward_induction(model)
    print(repr(model))
    if args.objective == "static-cvar":
        static = static_cvar_optimum(model, args.alpha)
        print(
            f"static CVaR_{args.alpha:g} of the total return: optimum {static.value:.12g} "
            f"over history-dependent policies (VaR threshold {static.threshold:.6g}, "
            f"{static.n_augmented_states} augmented states)"
        )
        print(f"mean-optimal policy: V*_1(rho) = {float(model.initial @ mean.values[0]):.12g}")
        if getattr(args, "planner", "exact") == "discretised":
            return _solve_discretised(model, static, args)
        return 0
    risk = icvar_backward_induction(model, args.alpha)
    mean_policy_risk = icvar_evaluate(model, mean.policy, args.alpha)
    start = model.initial
    print(f"iterated CVaR, alpha = {args.alpha:g} (Du, Wang, Huang 2023)")
    print(f"  risk-averse policy:  ICVaR_1(rho) = {float(start @ risk.values[0]):.12g}")
    print(
        f"  mean-optimal policy: ICVaR_1(rho) = {float(start @ mean_policy_risk[0]):.12g}, "
        f"V_1(rho) = {float(start @ mean.values[0]):.12g}"
    )
    print(f"risk-averse policy pi[h, s]:\n{_format_array(risk.policy)}")
    print(f"mean-optimal policy pi[h, s]:\n{_format_array(mean.policy)}")
    differ = np.argwhere(risk.policy != mean.policy)
    if differ.size:
        pairs = ", ".join(f"(h={h}, s={s})" for h, s in differ[:10])
        more = "" if len(differ) <= 10 else f" and {len(differ) - 10} more"
        print(f"the two policies differ at {len(differ)} (stage, state) pairs: {pairs}{more}")
    else:
        print("the two policies coincide")
    return 0


def _solve_robust(model, args: argparse.Namespace) -> int:
    """Robust optimum beside the nominal one, valued under the nominal and worst kernels."""
    from mdptheory.evaluation import evaluate
    from mdptheory.planning import solve
    from mdptheory.robust import UncertaintySet, robust_evaluate, robust_solve
    from mdptheory.tabular import EpisodicMDP, FiniteMDP

    if (args.radius is None) == (args.penalty is None):
        raise ValueError(
            "--robust needs exactly one of --radius (a ball) and --penalty (the regularised form)"
        )
    uncertainty = UncertaintySet(args.robust, radius=args.radius, penalty=args.penalty)
    nominal = solve(model)
    robust = robust_solve(model, uncertainty)
    episodic = isinstance(model, EpisodicMDP)

    def at_start(values) -> float:
        return float(model.initial @ (values[0] if episodic else values))

    def under(kernel, policy) -> float:
        twin = (
            EpisodicMDP(kernel, model.R, model.H)
            if episodic
            else FiniteMDP(kernel, model.R, model.gamma)
        )
        return at_start(evaluate(twin, policy))

    against_nominal = robust_evaluate(model, nominal.policy, uncertainty)
    rows = [
        (
            "nominal kernel",
            at_start(evaluate(model, robust.policy)),
            at_start(nominal.policy_values),
        ),
        (
            "worst kernel for the robust policy",
            under(robust.worst_kernel, robust.policy),
            under(robust.worst_kernel, nominal.policy),
        ),
        (
            "worst kernel for the nominal policy",
            under(against_nominal.worst_kernel, robust.policy),
            under(against_nominal.worst_kernel, nominal.policy),
        ),
        (
            "robust value (inf over the set)",
            at_start(robust.values),
            at_start(against_nominal.values),
        ),
    ]
    print(repr(model))
    kind = "penalty" if uncertainty.penalised else "ball"
    print(f"(s, a)-rectangular {kind} {uncertainty.label}; values at the start distribution")
    print(f"{'':38}{'robust policy':>16}{'nominal policy':>16}")
    for label, robust_value, nominal_value in rows:
        print(f"{label:38}{robust_value:16.8g}{nominal_value:16.8g}")
    if uncertainty.penalised:
        print("(values under a kernel leave out the penalty lam D that the robust value charges)")
    print(
        f"certificate: robust values within {robust.bound:.3e}, nominal policy's robust value "
        f"within {against_nominal.bound:.3e}"
    )
    layout = "pi[h, s] (rows are stages)" if episodic else "pi[s]"
    print(f"robust policy {layout}:\n{_format_array(robust.policy)}")
    print(f"nominal policy {layout}:\n{_format_array(nominal.policy)}")
    differ = int(np.count_nonzero(robust.policy != nominal.policy))
    print(f"the two policies differ at {differ} of {robust.policy.size} decisions")
    return 0


def _solve_discretised(model, static, args: argparse.Namespace) -> int:
    """The discretised CVaR-LSVI planner (budget grid of width --eta) beside the exact optimum."""
    from mdptheory.risk.discretised import (
        budget_policy_return_distribution,
        discretisation_error_bound,
        discretised_cvar_lsvi,
        executed_augmented_states,
    )

    if args.eta is None:
        raise ValueError("--planner discretised needs --eta (the budget grid width)")
    sol = discretised_cvar_lsvi(model, args.alpha, args.eta)
    achieved = budget_policy_return_distribution(model, sol).cvar(args.alpha)
    bound = discretisation_error_bound(model.H, args.alpha, args.eta)
    print(
        f"discretised CVaR-LSVI, eta = {args.eta:g} (Zhao et al. 2024; budget left rounded "
        f"up): value {sol.value:.12g}, initial budget {sol.budget:.6g}"
    )
    print(
        f"  error CVaR* - value = {static.value - sol.value:.6g} "
        f"(bound (H + 1 - alpha) eta / alpha = {bound:.6g})"
    )
    print(
        f"  exact CVaR of the discretised policy: {achieved:.12g} "
        f"(gap to the optimum {static.value - achieved:.6g})"
    )
    print("policies on the augmented states the discretised policy reaches:")
    print("   h   s  return so far  budget left (grid)  discretised  exact")
    for h, s, g, j, a in executed_augmented_states(model, sol):
        exact = static.policy.get((h, s, float(np.round(g, 12)) + 0.0), "-")
        print(f"{h:4d}{s:4d}  {g:13.6g}  {j * sol.eta:18.6g}  {a:11d}  {exact!s:>5}")
    return 0


def _diagnose_command(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """Every registered diagnosis of the instance (and of its exact tabular twin, if any)."""
    from instances import make
    from mdptheory.diagnostics import diagnose
    from mdptheory.tabular import EpisodicMDP, FiniteMDP

    model = make(args.instance, **_parse_params(extra))
    print(repr(model))
    found = diagnose(model)
    if hasattr(model, "tabular") and not isinstance(model, (FiniteMDP, EpisodicMDP)):
        twin = model.tabular()
        found += [replace(d, name=f"{d.name} (of the exact tabular twin)") for d in diagnose(twin)]
    if not found:
        print("no registered diagnosis applies to this model")
    for diagnosis in found:
        print("\n" + "\n".join(diagnosis.lines()))
    return 0


def _instances_command(args: argparse.Namespace) -> int:
    from instances import available

    for entry in available():
        params = ", ".join(f"{k}={v!r}" for k, v in entry.parameters.items())
        print(f"{entry.name:34s} {entry.description}\n{'':34s} ({params})")
    return 0


def _split_hyperparameters(extra: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Separate ``--hp NAME=VALUE`` pairs (learner) from instance parameters."""
    rest: list[str] = []
    hyper: dict[str, str] = {}
    items = list(extra)
    i = 0
    while i < len(items):
        if items[i] == "--hp":
            if i + 1 >= len(items) or "=" not in items[i + 1]:
                raise ValueError("--hp expects NAME=VALUE, e.g. --hp bonus=bernstein")
            name, value = items[i + 1].split("=", 1)
            hyper[name.replace("-", "_")] = value
            i += 2
        else:
            rest.append(items[i])
            i += 1
    return rest, hyper


def _curves(traces) -> tuple[np.ndarray, str]:
    from mdptheory.regret import RegretTrace

    if isinstance(traces[0], RegretTrace):
        return np.stack([t.cumulative for t in traces]), "cumulative pseudo-regret"
    # The learner names its gap when it is not V*(rho) - V^pi_t(rho) (e.g. a sup norm).
    meta = traces[0].metadata
    meaning = meta.get("gap") or meta.get("quantity") or "V*(rho) - V^pi_t(rho)"
    return np.stack([t.gap for t in traces]), f"gap {meaning}"


def _plot_run(traces, learner, model, path, reference=None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mdptheory.experiment import summarise
    from mdptheory.regret import RegretTrace
    from mdptheory.sweep.execute import unit_of
    from mdptheory.sweep.positions import shared_positions

    summary = summarise(traces)
    # The x of entry k is the episode, step or iteration it was recorded at (thinned traces
    # keep it in extras["iteration"]); seeds are averaged only at shared positions.
    t = shared_positions(traces)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(t, summary.mean, color="C0", label=f"{summary.quantity} (mean of {summary.n})")
    if summary.n > 1:
        # Regrets and gaps are non-negative: a t-interval reaching below 0 is cut there.
        ax.fill_between(
            t,
            np.maximum(summary.ci_low, 0.0),
            summary.ci_high,
            color="C0",
            alpha=0.25,
            label=f"{int(100 * summary.ci)}% CI",
        )
    if isinstance(traces[0], RegretTrace):
        realised = np.mean([tr.cumulative_realised for tr in traces], axis=0)
        ax.plot(t, realised, color="C1", lw=0.8, ls="--", label="realised regret (mean)")
        ax.set_xlabel("step t" if unit_of(traces[0]) == "step" else "episode k")
    else:
        # Companion curves a learner returns on the same grid (e.g. the greedy control's
        # sub-optimality beside PEVI's) are drawn beside the main one.
        companions = sorted(
            k
            for k, v in traces[0].extras.items()
            if k.endswith("_gap") and np.shape(v) == (t.shape[0],)
        )
        for i, key in enumerate(companions, start=2):
            curve = np.mean([np.asarray(tr.extras[key], dtype=np.float64) for tr in traces], axis=0)
            ax.plot(t, curve, color=f"C{i}", label=f"{key.replace('_', ' ')} (mean)")
        positive = summary.mean[summary.mean > 0]
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=float(positive.min()) if positive.size else 1e-12)
        quantity = traces[0].metadata.get("quantity", "")
        if traces[0].metadata.get("x"):
            ax.set_xlabel(str(traces[0].metadata["x"]))
        else:
            ax.set_xlabel("episodes of data n" if "episodes of data" in quantity else "iteration t")
    if reference is not None:
        label, values = reference
        ax.plot(t, np.asarray(values)[t - 1], color="k", ls=":", label=label)
    ax.set_ylabel(summary.quantity)
    ax.set_title(
        f"{type(learner).__name__} on {getattr(model, 'name', None) or model!r}", fontsize=10
    )
    # "best" scans every plotted point: seconds at 10^6 steps, so long runs get a fixed corner.
    ax.legend(fontsize=8, loc="best" if t.shape[0] <= 100_000 else "upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _check_out_dir(out: str) -> None:
    """Refuse an ``--out`` that is a file, lies below a file or cannot be written, before any
    work is done."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    ancestor = path
    while not ancestor.exists():
        parent = ancestor.parent
        if parent == ancestor:
            break
        ancestor = parent
    if ancestor.exists() and not ancestor.is_dir():
        raise ValueError(f"--out {out} lies below {ancestor}, which is a file")
    if ancestor.exists() and not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out} cannot be written: {ancestor} is not writable")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"--out {out} cannot be created: {error.strerror or error}") from error


def _run_command(args: argparse.Namespace, extra: Sequence[str]) -> int:
    import hashlib
    import json
    from pathlib import Path

    from algorithms.registry import make_learner
    from instances import make
    from mdptheory.experiment import run_seeds, summarise
    from mdptheory.sweep.positions import positions_at, shared_positions
    from proofs_check.rates import fit_loglog_slope, geometric_grid

    rest, hyper = _split_hyperparameters(extra)
    params = _parse_params(rest)
    _check_out_dir(args.out)
    learner = make_learner(args.learner, **hyper)
    model = make(args.instance, **params)
    # The folder name identifies the experiment, so rerunning a command resumes it and a
    # changed setting starts a new folder instead of mixing runs.
    setting = json.dumps([hyper, params, args.budget, args.seed], sort_keys=True)
    tag = hashlib.sha1(setting.encode()).hexdigest()[:8]
    out = Path(args.out) / f"{args.learner}__{args.instance}__{tag}"
    traces = run_seeds(
        learner,
        model,
        args.budget,
        seeds=args.seeds,
        seed=args.seed,
        n_jobs=args.jobs,
        out_dir=out,
        progress=not args.no_progress,
    )
    # Seeds are averaged only at shared positions: a clear error before any stacking.
    positions = shared_positions(traces)
    curves, quantity = _curves(traces)
    summary = summarise(traces)
    print(
        f"{args.learner} on {getattr(model, 'name', None) or args.instance}: "
        f"{args.seeds} seeds x {args.budget}"
    )
    print(
        f"final {quantity}: {summary.mean[-1]:.6g} "
        f"[{summary.ci_low[-1]:.6g}, {summary.ci_high[-1]:.6g}]"
    )
    budget = args.budget
    # The grid read at the recorded positions: the first at or after each point.
    columns = positions_at(
        positions, geometric_grid(max(1, budget // 100), budget, 16, integer=True)
    )
    late = positions > budget // 10  # the entries from index budget // 10 on, when all kept
    if budget >= 20 and columns.size >= 2 and np.all(curves.mean(axis=0)[late] > 0):
        fit = fit_loglog_slope(
            positions[columns], curves[:, columns], tail=0.5, n_boot=500, seed=args.seed
        )
        print(
            f"log-log slope of the {quantity} on the last half of a geometric grid: "
            f"{fit.slope:.3f} (95% CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}])"
        )
    for line in _learning_report(learner, model, args.learner, budget, traces):
        print(line)
    reference = None
    if hasattr(learner, "reference_curve"):
        reference = learner.reference_curve(model, budget)
    figure = out / "curve.png"
    _plot_run(traces, learner, model, figure, reference)
    print(f"traces: {out}/seed_*/   figure: {figure}")
    return 0


def policy_changes(trace) -> int:
    """How many times the executed policy changed.

    A trace with ``extras["epoch_policy"]`` (the average-reward learners: one planned policy
    per epoch, epochs x S) counts exactly the epochs whose policy differs from the previous
    epoch's. Otherwise, for episodic and bandit traces: the episodes whose executed policy's
    exact value differs from the previous episode's, a lower bound (two policies may share a
    value). An average-reward trace's per-step gap changes with the state, so it is never read
    that way.

    Examples
    --------
    >>> from mdptheory.regret import RegretTrace
    >>> policy_changes(RegretTrace(np.array([1.0, 1.0, 0.5, 0.5, 0.0]), np.zeros(5), np.zeros(5)))
    2
    >>> policy_changes(RegretTrace(np.zeros(3), np.zeros(3), np.zeros(3),
    ...                            extras={"epoch_policy": np.array([[0, 1], [0, 1], [1, 1]])}))
    1
    """
    extras = getattr(trace, "extras", None) or {}
    if "epoch_policy" in extras:
        policies = np.asarray(extras["epoch_policy"])
        return int(np.count_nonzero((policies[1:] != policies[:-1]).any(axis=1)))
    values = np.asarray(getattr(trace, "pseudo_regret", ()), dtype=np.float64)
    return int(np.count_nonzero(values[1:] != values[:-1]))


def _learning_report(learner, model, name: str, budget: int, traces) -> list[str]:
    """Lines saying whether the run left its burn-in and how often the policy changed."""
    from algorithms.burn_in import WITHIN, learner_burn_in

    if not traces or not hasattr(traces[0], "pseudo_regret"):
        return []
    changes = [policy_changes(t) for t in traces]
    what = (
        "epochs whose planned policy differs from the previous epoch's"
        if "epoch_policy" in (traces[0].extras or {})
        else "episodes whose executed policy's value changed"
    )
    lines = [
        f"policy changes per seed ({what}): "
        f"min {min(changes)}, median {int(np.median(changes))}, max {max(changes)}"
    ]
    if "epoch_start" in (traces[0].extras or {}):
        epochs = [int(np.size(t.extras["epoch_start"])) for t in traces]
        lines.append(
            f"epochs per seed: min {min(epochs)}, median {int(np.median(epochs))}, "
            f"max {max(epochs)}"
        )
    burn = learner_burn_in(learner, model, budget)
    if burn is None:
        return lines
    lines.append(
        f"burn-in from the bonus formula ({burn.rule}): {burn.episodes} {burn.unit} "
        f"({burn.scale_name} = {burn.scale:g})"
    )
    if burn.episodes >= budget:
        hint = (
            f"no {burn.scale_name} in {{1, 0.3, 0.1, 0.03, 0.01}} ends it within "
            f"{WITHIN:g} of the budget"
            if burn.suggested_scale is None
            else f"the named variant `--hp {burn.scale_name}={burn.suggested_scale:g}` leaves it "
            f"after {burn.suggested_episodes} {burn.unit}"
        )
        lines.append(f"this run ends inside the burn-in: {burn.inside}; {hint}")
    return lines


def _sweep_command(args: argparse.Namespace) -> int:
    import shlex
    from contextlib import nullcontext
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from algorithms.registry import make_learner
    from instances import make
    from mdptheory.distributed import dask_client, validate_backend
    from mdptheory.sweep import build_cells, load_spec, run_sweep, summarise_sweep, write_summary
    from mdptheory.sweep.summary import table_rows

    validate_backend(args.jobs, args.scheduler, args.dask_local)
    if args.scheduler is None and args.dask_local is None and (args.jobs == 0 or args.jobs < -1):
        raise ValueError(f"--jobs must be a positive number of processes or -1, got {args.jobs}")
    spec = load_spec(args.spec)
    cells = build_cells(spec, make, make_learner)
    out = Path(args.out) if args.out else Path("mdptheory-sweeps") / Path(args.spec).stem
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    if args.dry_run:
        for built in cells:
            cell = built.cell
            print(
                f"{cell.learner_label:28s} {cell.instance_label:36s} K={cell.budget:<8d} "
                f"{out / cell.folder_name(spec.seed)}"
            )
        print(
            f"{len(cells)} cells x {spec.seeds} seeds = {len(cells) * spec.seeds} runs; "
            "nothing run (--dry-run)"
        )
        return 0
    backend = (
        dask_client(args.scheduler, args.dask_local)
        if args.scheduler is not None or args.dask_local is not None
        else nullcontext()
    )
    try:
        with backend as client:
            result = run_sweep(
                cells,
                spec.seeds,
                spec.seed,
                out,
                jobs=args.jobs,
                client=client,
                progress=not args.no_progress,
            )
    except KeyboardInterrupt:
        saved = sum(
            1
            for built in cells
            for _ in (out / built.cell.folder_name(spec.seed)).glob("rep_*/seed_*/trace.json")
        )
        print(
            f"mdptheory sweep: interrupted; {saved} of {len(cells) * spec.seeds} runs are "
            f"saved in {out}: rerun the command to resume",
            file=sys.stderr,
        )
        return 130
    rows = summarise_sweep(result)
    command = shlex.join(["mdptheory", *sys.argv[1:]])
    paths = write_summary(result, rows, spec=spec.to_dict(), command=command)
    table = Table(title=f"mdptheory sweep {args.spec}")
    header, *body = table_rows(rows)
    for name in header:
        table.add_column(name, overflow="fold")
    for row in body:
        table.add_row(*(Text(value) for value in row))
    console.print(table)
    console.print(
        f"{len(cells)} cells x {spec.seeds} seeds on {result.backend}: "
        f"{result.ran} runs, {result.loaded} loaded from {out}, "
        f"{result.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"summary: {paths['summary.md']}  {paths['summary.json']}  figures: {paths['figures']}/",
        highlight=False,
        soft_wrap=True,
    )
    failed = [r for r in result.cells if r.errors]
    for r in failed:
        first = min(r.errors)
        print(
            f"mdptheory sweep: {r.cell.learner_label} on {r.cell.instance_label} "
            f"(K={r.cell.budget}): {len(r.errors)} of {spec.seeds} seeds failed, seed "
            f"{first}: {r.errors[first]}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _learners_command() -> int:
    from algorithms.registry import available_learners

    for entry in available_learners():
        defaults = ", ".join(f"{k}={v!r}" for k, v in entry.defaults.items())
        print(f"{entry.name:20s} {entry.summary}\n{'':20s} ({defaults})")
    return 0


def _list_command() -> int:
    from proofs_check.harness import discover, registered

    discover()
    print("Theorem checks (mdptheory check --only ID):")
    for theorem in registered():
        print(f"  {theorem.id:44s} {theorem.paper[:60]}")
    print("\nInstances (mdptheory solve NAME):")
    _instances_command(argparse.Namespace())
    print("\nLearners (mdptheory run NAME INSTANCE):")
    return _learners_command()


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit 2) and which takes no
    abbreviated options (``--n`` must not silently mean ``--no-progress``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mdptheory",
        description="Exact MDPs and bandits, provable algorithms, theorems as checks.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="on an error, show the traceback instead of one line"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    solve = sub.add_parser(
        "solve",
        help="solve an MDP exactly and print V*, the optimal policy and the certificate",
        description="Instance parameters follow the name: mdptheory solve river_swim --S 8 --H 20",
    )
    solve.add_argument(
        "instance",
        nargs="?",
        default=None,
        help="catalogue name (see `mdptheory instances`); default: a Garnet "
        "MDP (3 actions, 3 successors a pair)",
    )
    solve.add_argument("--gamma", type=float, default=None, help="discount (default 0.9)")
    solve.add_argument("--seed", type=int, default=None, help="seed of a random instance")
    solve.add_argument(
        "--size", type=int, default=10, help="number of states of the built-in MDP (default 10)"
    )
    solve.add_argument(
        "--objective",
        default="mean",
        choices=["mean", "icvar", "static-cvar", "average"],
        help="mean (default); icvar: iterated CVaR beside the mean-optimal "
        "policy; static-cvar: CVaR of the total return (episodic models); "
        "average: rho*, h*, sp(h*) and the diameter D (no horizon)",
    )
    solve.add_argument(
        "--alpha",
        type=float,
        default=0.1,
        help="risk level in (0, 1] for --objective icvar or static-cvar",
    )
    solve.add_argument(
        "--planner",
        default="exact",
        choices=["exact", "discretised"],
        help="for --objective static-cvar: exact (augmented DP, default) or "
        "discretised (budget grid of width --eta, beside the exact one)",
    )
    solve.add_argument(
        "--eta",
        type=float,
        default=None,
        help="budget grid width of --planner discretised, e.g. 0.01",
    )
    solve.add_argument(
        "--method",
        default="auto",
        choices=[
            "auto",
            "backward_induction",
            "value_iteration",
            "policy_iteration",
            "linear_program",
        ],
        help="solver (default auto: backward induction for episodic models, "
        "policy iteration for discounted ones)",
    )
    solve.add_argument(
        "--robust",
        default=None,
        choices=["tv", "kl", "chi2"],
        help="also solve the (s, a)-rectangular robust MDP with this divergence "
        "and print its policy beside the nominal one",
    )
    solve.add_argument(
        "--radius",
        type=float,
        default=None,
        help="radius rho of the --robust ball (TV as half the L1 distance)",
    )
    solve.add_argument(
        "--penalty",
        type=float,
        default=None,
        help="penalty lam of the regularised --robust form, instead of a ball",
    )
    diagnose = sub.add_parser(
        "diagnose",
        help="print every structural diagnosis of an instance with its definition",
        description="Instance parameters follow the name: mdptheory "
        "diagnose effective_horizon_lure --H 10 --k_star 3",
    )
    diagnose.add_argument("instance", help="catalogue name (see `mdptheory instances`)")
    sub.add_parser("instances", help="list the instance catalogue")
    run = sub.add_parser(
        "run",
        help="run a learner on an instance over several seeds, save the traces and plot the curve",
        description="Instance parameters follow the instance name; learner "
        "hyperparameters are given as --hp NAME=VALUE: "
        "mdptheory run ucbvi river_swim --H 10 --hp bonus=bernstein",
    )
    run.add_argument("learner", help="learner name (see `mdptheory learners`)")
    run.add_argument("instance", help="catalogue name (see `mdptheory instances`)")
    run.add_argument("--budget", type=int, default=1000, help="episodes, rounds or iterations")
    run.add_argument("--seeds", type=int, default=10, help="independent repetitions")
    run.add_argument("--seed", type=int, default=0, help="root seed (SeedSequence.spawn)")
    run.add_argument("--jobs", type=int, default=1, help="worker processes (-1: all cores)")
    run.add_argument("--out", default="mdptheory-runs", help="output folder (resumable)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("learners", help="list the registered learners")
    sub.add_parser("list", help="list the theorem checks, the instances and the learners")
    sweep = sub.add_parser(
        "sweep",
        help="run a grid of instances x learners x budgets x seeds from a TOML spec, "
        "locally or on Dask, and summarise it",
        description="Every cell of the spec is run for its seeds; each finished run is saved at "
        "once, so a rerun resumes. Writes summary.md, summary.json and figures/ "
        "into the output folder. See docs/sweeps.md for the spec.",
    )
    sweep.add_argument("spec", metavar="SPEC.toml", help="the sweep spec (TOML)")
    sweep.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="output folder (default: mdptheory-sweeps/<spec name>); rerunning "
        "into it resumes the sweep",
    )
    sweep.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=1,
        help="local worker processes (default 1, in this process; -1: every "
        "core); the results do not depend on it",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on the Dask cluster of this scheduler, e.g. tcp://HOST:8786 "
        "(needs the dask extra)",
    )
    sweep.add_argument(
        "--dask-local",
        metavar="N",
        type=int,
        default=None,
        help="start a Dask LocalCluster of N worker processes and run on it",
    )
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="check the spec and list the cells and their folders; run nothing",
    )
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    check = sub.add_parser("check", help="run the theorem checks and write a report")
    from proofs_check.runner import add_arguments

    add_arguments(check)
    return parser


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if isinstance(error, (ValueError, TypeError)):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mdptheory`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from mdptheory.distributed import DaskUnavailable

    debug = "--debug" in argv
    argv = [item for item in argv if item != "--debug"]
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as stop:  # --help, or a usage error already printed as one line
        return stop.code if isinstance(stop.code, int) else 2
    try:
        return _dispatch(parser, args, extra)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"mdptheory {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, DaskUnavailable) as error:
        if debug:
            raise
        print(f"mdptheory {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # the command line reports any other failure in one line
        if debug:
            raise
        print(
            f"mdptheory {args.command}: error: {_one_line(error)} (rerun with --debug for "
            "the traceback)",
            file=sys.stderr,
        )
        return 1


def _dispatch(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extra: Sequence[str]
) -> int:
    if args.command == "solve":
        return _solve_command(args, extra)
    if args.command == "run":
        return _run_command(args, extra)
    if args.command == "diagnose":
        return _diagnose_command(args, extra)
    if extra:
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    if args.command == "instances":
        return _instances_command(args)
    if args.command == "learners":
        return _learners_command()
    if args.command == "sweep":
        return _sweep_command(args)
    if args.command == "list":
        return _list_command()
    if args.command == "check":
        from proofs_check.runner import run_from_args

        return run_from_args(args)
    parser.error(f"unknown command {args.command}")
    return 2


def _solve_game(game) -> int:
    """``mdptheory solve <game>``: the joint optimum and every agent's marginal policy."""
    from mdptheory.games import solve_game

    result = solve_game(game)
    solution = result.solution
    print(repr(game))
    values = solution.values[0] if game.episodic else solution.values
    where = f"V*_1 (stage 1 of {game.H})" if game.episodic else "V*"
    print(f"{where}:\n{_format_array(values)}")
    print(f"{where}(rho) = {result.value_at_start:.12g}")
    index = "pi_i[h, s] (rows are stages)" if game.episodic else "pi_i[s]"
    for i, policy in enumerate(result.agent_policies):
        print(f"agent {i} marginal of the optimal joint policy, {index}:\n{_format_array(policy)}")
    print(
        f"certificate: max_s |V(s) - V*(s)| <= {solution.bound:.3e}; policy sub-optimality "
        f"<= {solution.policy_gap:.3e} (joint twin: {game.A} joint actions)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
