"""Speed of the online learners with exact regret: UCB1 and UCBVI against plain numpy, one process.

Run: ``python bench/online.py`` (``--cold`` compiles into an empty numba cache, so the
printed compile times are real compilations rather than loads from the on-disk cache).

What is printed
---------------
1. **UCB1**, 10 Bernoulli arms (means 0.5 + 0.01 i), T = 10^6 rounds: the first call (compile
   or cache load, on a tiny problem), then the best of 3 compiled runs, both the compiled kernel
   alone and the whole ``UCB1().run`` call (kernel plus trace assembly; target < 0.2 s), and
   rounds per second against the plain numpy loop ``reference_ucb1`` of ``bench/bandits.py``.
2. **UCBVI** (Hoeffding and Bernstein bonuses, the paper's constants) on the open 5x5
   gridworld of ``bench/tabular.py`` (S = 26 with the terminal state, A = 4, H = 20, slip 0.1),
   K = 10^4 episodes with the exact pseudo-regret of the executed policy every episode: first
   call, compiled run (target < 1 s), and episodes per second against the plain numpy
   ``numpy_ucbvi`` of ``bench/tabular.py`` (which draws the same random numbers, so the two
   regrets must agree on a shared budget; printed as ``same regret``).
3. **Per-episode cost as K grows**: mean wall time per episode of the K = 10^4 run over the
   windows ``k/2 < k' <= k`` at k = 10^2, 10^3 and 10^4 (from the trace's ``episode_time``,
   measured over chunks of at least 50 episodes, longer where a chunk ran under 2 ms; the
   elementwise minimum over the repeated runs, which replay the same episodes, so a pause of
   the machine does not pose as growth). The counts
   are dense (S, A, S) arrays, so nothing in an episode depends on k; what changes is the
   number n of state-action pairs visited so far, because an unvisited pair takes the constant
   ``Q = H`` branch of the backward pass (a visited pair costs one pass over the S next
   states with the Hoeffding bonus, three with the Bernstein one). Each window prints n (from
   a replay of the run, :func:`visited_pairs`): the cost follows n, which is at most S A,
   and not k.

4. **Exact regret overhead** (``--overhead``, also part of the default run): every learner
   with exact per-episode regret (UCBVI-CH, UCBVI-BF, Q-learning UCB, ICVaR-RM, LSVI-UCB on the
   one-hot features of the tabular model) on the gridworld above and on Chain(10), H = 10. Each
   learner's run up to its trace (``_simulate``: the checks, the regret oracle and the compiled
   loop over its timed chunks of episodes) is called twice with the same seed, once with
   ``exact_regret=True`` (the learner's run: the executed policy is evaluated exactly whenever
   it acts differently at a state it reaches) and once with ``exact_regret=False`` (the same
   loop without the evaluation), alternated round by round. Printed: median per-episode time
   of each, and the median per-round ratio with its spread [min, max]. Target: ratio <= 1.5
   for every learner.

Timings are medians over repetitions with the spread [min, max]; the first line gives the BLAS
threads and the path of the imported ``mdptheory`` (run with ``PYTHONPATH=.`` from a checkout to
time that checkout). The baselines are imported from ``bench/bandits.py`` and
``bench/tabular.py`` (loaded with ``runpy``), not copied.
"""

from __future__ import annotations

import argparse
import atexit
import os
import runpy
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
REPEATS = 3
"""Timed runs per measurement (the fastest is reported)."""


def _load_baselines() -> tuple[dict, dict]:
    """The module namespaces of ``bench/bandits.py`` and ``bench/tabular.py``."""
    return runpy.run_path(str(BENCH / "bandits.py")), runpy.run_path(str(BENCH / "tabular.py"))


def _timed_runs(function, repeats: int = REPEATS) -> tuple[list, float]:
    """The results of ``repeats`` calls and the wall time of the fastest."""
    results, best = [], np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        results.append(function())
        best = min(best, time.perf_counter() - start)
    return results, best


def bench_ucb1(bandits: dict, T: int, T_reference: int) -> None:
    from algorithms.bandits import UCB1
    from mdptheory.bandits import Bandit

    means = 0.5 + 0.01 * np.arange(10)
    model = Bandit(means, noise="bernoulli", name="bench-bernoulli-10")
    learner = UCB1()
    start = time.perf_counter()
    learner.run(model, 10, seed=0)
    first = time.perf_counter() - start
    traces, whole = _timed_runs(lambda: learner.run(model, T, seed=1))
    trace = traces[0]
    kernel = min(float(t.episode_time.sum()) for t in traces)
    start = time.perf_counter()
    bandits["reference_ucb1"](means, T_reference, np.random.default_rng(1))
    plain = time.perf_counter() - start
    rate, rate_plain = T / whole, T_reference / plain
    print(f"UCB1, 10 Bernoulli arms, T = {T:,}")
    print(f"  first call (compile or cache load)  {first:8.3f} s")
    print(f"  compiled kernel                     {kernel:8.3f} s")
    print(
        f"  UCB1().run (kernel + trace)         {whole:8.3f} s   target < 0.2 s: "
        f"{'met' if whole < 0.2 else 'MISSED'}"
    )
    print(
        f"  rounds/s: compiled {rate:14,.0f} | numpy loop {rate_plain:10,.0f} "
        f"(T = {T_reference:,}) | ratio {rate / rate_plain:,.0f}x"
    )
    print(f"  Regret(T) = {trace.cumulative[-1]:.1f}")


def window_costs(episode_time: np.ndarray, ends: list[int]) -> list[float]:
    """Mean seconds per episode over episodes ``k/2 < k' <= k`` for each ``k`` in ``ends``."""
    return [float(episode_time[k // 2 : k].mean()) for k in ends]


def visited_pairs(mdp, trace, seed: int) -> np.ndarray:
    """``n[k]``: state-action pairs visited before episode k, by replaying the run's episodes.

    The run was made with ``record_policies=True``; its random stream is used only by the
    episode rollouts (deterministic rewards), so rolling the recorded policies out with the same
    seed gives the same episodes. Raises ``RuntimeError`` if the replayed returns differ from
    the recorded realised regret.
    """
    from mdptheory._kernels import rollout_episode
    from mdptheory.planning import backward_induction
    from mdptheory.seeding import as_generator

    P4 = np.ascontiguousarray(mdp.dense_P(), dtype=np.float64)
    R3 = np.ascontiguousarray(mdp.R, dtype=np.float64)
    initial = np.ascontiguousarray(mdp.initial, dtype=np.float64)
    v_star = backward_induction(mdp).values[0]
    rng = as_generator(seed)
    policies = trace.extras["policies"]
    seen = np.zeros((mdp.S, mdp.A), dtype=bool)
    n = np.empty(policies.shape[0], dtype=np.int64)
    realised = np.empty(policies.shape[0])
    for k, policy in enumerate(policies):
        n[k] = seen.sum()
        states, actions, rewards = rollout_episode(
            P4, R3, mdp.noise.code, float(mdp.noise.sigma), initial, policy, rng
        )
        seen[states[:-1], actions] = True
        realised[k] = v_star[states[0]] - rewards.sum()
    if not np.allclose(realised, trace.realised_regret, rtol=0, atol=1e-9):
        raise RuntimeError("the replayed episodes differ from the recorded run")
    return n


def bench_ucbvi(tabular: dict, K: int, K_reference: int) -> None:
    from algorithms.tabular import UCBVI
    from instances.tabular import gridworld

    mdp = gridworld(tabular["OPEN_5X5"], slip=0.1, H=20, step_cost=0.0, trap_reward=0.0)
    print(
        f"\nUCBVI on {mdp.name}: S = {mdp.S}, A = {mdp.A}, H = {mdp.H}, K = {K:,}, exact "
        "pseudo-regret every episode"
    )
    ends = [k for k in (100, 1_000, 10_000, 100_000) if k <= K]
    for bonus in ("hoeffding", "bernstein"):
        learner = UCBVI(bonus=bonus)
        start = time.perf_counter()
        learner.run(mdp, 2, seed=0)
        first = time.perf_counter() - start
        traces, compiled = _timed_runs(lambda learner=learner: learner.run(mdp, K, seed=0))
        trace = traces[0]
        # The runs replay the same episodes: the elementwise minimum drops machine pauses.
        episode_time = np.min([t.episode_time for t in traces], axis=0)
        start = time.perf_counter()
        reference = tabular["numpy_ucbvi"](mdp, K_reference, 0, bernstein=bonus == "bernstein")
        plain = time.perf_counter() - start
        same = np.allclose(
            learner.run(mdp, K_reference, seed=0).pseudo_regret, reference, rtol=0, atol=1e-9
        )
        rate, rate_plain = K / compiled, K_reference / plain
        print(f"  {learner.label}")
        print(f"    first call (compile or cache load)  {first:8.3f} s")
        print(
            f"    compiled run, K = {K:,}           {compiled:8.3f} s   target < 1 s: "
            f"{'met' if compiled < 1.0 else 'MISSED'}"
        )
        print(
            f"    episodes/s: compiled {rate:10,.0f} | numpy {rate_plain:8,.0f} "
            f"(K = {K_reference:,}) | ratio {rate / rate_plain:,.0f}x | same regret: {same}"
        )
        print(f"    Regret(K) = {trace.cumulative[-1]:,.1f}")
        # Per-episode cost in windows of k, with the number n of pairs visited by then.
        recorded = UCBVI(bonus=bonus, record_policies=True).run(mdp, K, seed=0)
        n = visited_pairs(mdp, recorded, seed=0)
        print(
            f"    per-episode cost over k/2 < k' <= k (n = pairs visited by then, of "
            f"S A = {mdp.S * mdp.A}):"
        )
        for k, cost in zip(ends, window_costs(episode_time, ends), strict=True):
            print(f"      k = {k:>6,}: {1e6 * cost:6.1f} us   n = {n[k // 2 : k].mean():5.1f}")


def _compiled_runs(learner_name: str, mdp, K: int):
    """``(with_regret, without_regret)``: the learner's run on ``mdp`` for K episodes up to its
    trace (``_simulate``: checks, regret oracle, the compiled loop over timed chunks), with and
    without the exact evaluation of the executed policy."""
    if learner_name == "LSVI-UCB":
        from algorithms.linear import LSVIUCB
        from instances.linear import tabular_as_linear

        learner, model = LSVIUCB(), tabular_as_linear(mdp)
    elif learner_name.startswith("UCBVI"):
        from algorithms.tabular import UCBVI

        learner = UCBVI(bonus="bernstein" if learner_name == "UCBVI-BF" else "hoeffding")
        model = mdp
    elif learner_name == "Q-learning UCB":
        from algorithms.tabular import QLearningUCB

        learner, model = QLearningUCB(), mdp
    else:
        from algorithms.risk import ICVaRRM

        learner, model = ICVaRRM(alpha=0.5), mdp

    def call(exact: bool):
        return learner._simulate(model, K, 0, exact_regret=exact).log.pseudo

    return (lambda: call(True)), (lambda: call(False))


def bench_regret_overhead(tabular: dict, quick: bool = False, repeats: int = 9) -> None:
    """Section 4 of the module docstring: exact regret against the same loop without it."""
    from _timing import alternate, ratio

    from instances.tabular import chain, gridworld

    grid = gridworld(tabular["OPEN_5X5"], slip=0.1, H=20, step_cost=0.0, trap_reward=0.0)
    models = {f"GridWorld 5x5 (S={grid.S}, H=20)": grid, "Chain(10) (H=10)": chain(10, H=10)}
    learners = {
        "UCBVI-CH": 2000,
        "UCBVI-BF": 2000,
        "Q-learning UCB": 5000,
        "ICVaR-RM": 1000,
        "LSVI-UCB": 200,
    }
    # Episodes are shorter on the chain: ten times as many, so a run lasts ~0.1 s there too.
    episodes_factor = {name: 1 if name.startswith("GridWorld") else 10 for name in models}
    print(
        f"\nExact regret overhead: the same compiled loop with and without the exact "
        f"evaluation of the executed policy, {repeats} alternated rounds "
        "(median [min, max]); target ratio <= 1.5"
    )
    for model_name, mdp in models.items():
        print(f"  {model_name}")
        for name, K in learners.items():
            K *= episodes_factor[model_name]
            K = max(K // 10, 20) if quick else K
            with_regret, without = _compiled_runs(name, mdp, K)
            check = with_regret()
            if not np.all(np.isfinite(check)) or not np.all(np.isnan(without())):
                raise RuntimeError(f"{name}: the exact_regret switch does not do what it says")
            times = alternate({"with": with_regret, "without": without}, repeats=repeats)
            per_round = ratio(times, "with", "without")
            with_us = 1e6 * np.median(times["with"]) / K
            without_us = 1e6 * np.median(times["without"]) / K
            verdict = "met" if per_round.median <= 1.5 else "MISSED"
            print(
                f"    {name:<15} K={K:>5}: with regret {with_us:8.2f} us/episode, without "
                f"{without_us:8.2f} -> ratio {per_round.format(digits=3)} ({verdict})"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cold",
        action="store_true",
        help="compile into an empty temporary numba cache (real compile times)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="T = 10^5 and K = 10^3 (a smoke run; the targets are for the default sizes)",
    )
    parser.add_argument(
        "--overhead",
        action="store_true",
        help="only the exact-regret overhead of every learner (section 4)",
    )
    parser.add_argument(
        "--repeats", type=int, default=9, help="alternated rounds of the overhead measurement"
    )
    args = parser.parse_args(argv)
    if args.cold:
        # Must be set before numba is imported (the learners are imported lazily below).
        cache = tempfile.mkdtemp(prefix="mdptheory-numba-")
        atexit.register(shutil.rmtree, cache, ignore_errors=True)
        os.environ["NUMBA_CACHE_DIR"] = cache
    from _timing import blas_threads

    import mdptheory

    print(f"{blas_threads()}; mdptheory from {Path(mdptheory.__file__).parent}")
    bandits, tabular = _load_baselines()
    if args.overhead:
        bench_regret_overhead(tabular, quick=args.quick, repeats=args.repeats)
        return
    T, K = (100_000, 1_000) if args.quick else (1_000_000, 10_000)
    bench_ucb1(bandits, T, 20_000)
    bench_ucbvi(tabular, K, 100)
    bench_regret_overhead(tabular, quick=args.quick, repeats=args.repeats)


if __name__ == "__main__":
    main()
