"""Speed of the exact planners, measured against baselines run in the same process.

Run: ``python bench/planning.py`` (``--quick`` for smaller sizes).

What is printed
---------------
* Value-iteration sweep (dense, S=1000, A=20, gamma=0.99): time of one Bellman sweep
  ``max_a R + gamma P V`` against the memory-streaming limit (the time numpy needs to read an
  array of P's size once) and against a plain numpy reference (``einsum`` without BLAS).
  Target: sweep / streaming <= 1.5.
* Backward induction (dense, non-stationary, S=500, A=10, H=100): same comparison per stage.
* Policy iteration vs value iteration to 1e-8 on the gamma=0.99 model (time ratio).
* Exact solve (dense, S=1000, A=20, gamma=0.99): ``solve`` and ``policy_iteration`` against
  ``matrix_policy_iteration`` below, a matrix policy iteration written the way pymdptoolbox's
  ``PolicyIteration(eval_type="matrix")`` does it (kernel stored as A matrices (S, S), evaluation
  by a dense ``numpy.linalg.solve``, improvement by a greedy sweep, stop when the policy is
  unchanged). The three are alternated round by round; printed are the median per-round ratio
  and its spread [min, max]. Target: ratio <= 1 for both.
* Sparse kernel (10 successors per pair, S=100000, A=4): sweeps per second and the time of an
  exact solve by policy iteration.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from _timing import alternate, best_time, command_line, median_time, ratio

import mdptheory as mt
from mdptheory.planning import bellman_optimality


def random_kernel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    P = rng.random(shape)
    P /= P.sum(axis=-1, keepdims=True)
    return P


def streaming_time(array: np.ndarray) -> float:
    """Time to read ``array`` once: the faster of a max-reduction and a dot with ones."""
    flat = array.reshape(-1, array.shape[-1])
    ones = np.ones(array.shape[-1])
    return min(best_time(lambda: np.max(array), 5), best_time(lambda: flat @ ones, 5))


def bench_value_iteration(S: int, A: int, gamma: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    P = random_kernel(rng, (S, A, S))
    mdp = mt.FiniteMDP(P, rng.random((S, A)), gamma)
    V = rng.random(S)
    sweeps = median_time(lambda: bellman_optimality(mdp, V).max(axis=1), 7)
    sweep = sweeps.median
    stream = streaming_time(mdp.P)
    reference = best_time(
        lambda: (mdp.R + gamma * np.einsum("sat,t->sa", mdp.P, V)).max(1), repeats=3
    )
    gbytes = mdp.P.nbytes / 1e9
    print(
        f"VI sweep, dense S={S} A={A} ({gbytes:.2f} GB): median {sweeps.format(1e3, 'ms')}, "
        f"stream {stream * 1e3:.2f} ms -> sweep/stream = {sweep / stream:.2f} (target <= 1.5); "
        f"plain einsum reference {reference * 1e3:.2f} ms -> {reference / sweep:.1f}x faster"
    )

    start = time.perf_counter()
    pi = mt.policy_iteration(mdp)
    pi_time = time.perf_counter() - start
    start = time.perf_counter()
    vi = mt.value_iteration(mdp, tol=1e-8)
    vi_time = time.perf_counter() - start
    agree = np.max(np.abs(vi.values - pi.values))
    print(
        f"gamma={gamma}: policy iteration {pi_time:.3f} s ({pi.iterations} improvements, "
        f"bound {pi.bound:.1e}); value iteration to 1e-8 {vi_time:.3f} s "
        f"({vi.iterations} sweeps) -> PI is {vi_time / pi_time:.0f}x faster; "
        f"max |V_VI - V_PI| = {agree:.1e}"
    )


def matrix_policy_iteration(
    P_actions: np.ndarray, R: np.ndarray, gamma: float, max_iter: int = 10_000
) -> tuple[np.ndarray, np.ndarray, int]:
    """Policy iteration the way pymdptoolbox's ``PolicyIteration(eval_type="matrix")`` runs.

    ``P_actions`` (A, S, S) holds one transition matrix per action (pymdptoolbox's layout) and
    ``R`` (S, A) the rewards. Start greedy on ``R`` (the greedy policy of ``V = 0``); then
    repeat: build ``P_pi`` and ``r_pi`` action by action, ``V = solve(I - gamma P_pi, r_pi)``
    (``numpy.linalg.solve``), ``Q[a] = R[:, a] + gamma P_a V``, ``pi' = argmax_a Q``; stop when
    ``pi'`` equals ``pi``. One dense solve and one sweep per improvement step.
    """
    A, S, _ = P_actions.shape
    identity = np.eye(S)
    Q = np.empty((A, S))
    for a in range(A):
        Q[a] = R[:, a]
    policy = Q.argmax(axis=0)
    for iteration in range(1, max_iter + 1):  # noqa: B007
        P_pi = np.empty((S, S))
        r_pi = np.empty(S)
        for a in range(A):
            rows = policy == a
            P_pi[rows] = P_actions[a][rows]
            r_pi[rows] = R[rows, a]
        V = np.linalg.solve(identity - gamma * P_pi, r_pi)
        for a in range(A):
            Q[a] = R[:, a] + gamma * (P_actions[a] @ V)
        improved = Q.argmax(axis=0)
        if np.array_equal(improved, policy):
            break
        policy = improved
    return V, policy, iteration


def bench_exact_solve(S: int, A: int, gamma: float, repeats: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    P = random_kernel(rng, (S, A, S))
    mdp = mt.FiniteMDP(P, rng.random((S, A)), gamma)
    P_actions = np.ascontiguousarray(mdp.P.transpose(1, 0, 2))
    V_base, policy_base, iterations = matrix_policy_iteration(P_actions, mdp.R, gamma)
    solution = mt.solve(mdp)
    if not np.array_equal(solution.policy, policy_base):
        raise RuntimeError("matrix policy iteration and solve disagree on the policy")
    times = alternate(
        {
            "baseline": lambda: matrix_policy_iteration(P_actions, mdp.R, gamma),
            "solve": lambda: mt.solve(mdp),
            "policy_iteration": lambda: mt.policy_iteration(mdp),
        },
        repeats=repeats,
    )
    print(
        f"exact solve, dense S={S} A={A} gamma={gamma}, {repeats} alternated rounds "
        f"({solution.iterations} improvements; baseline {iterations} solves; "
        f"max |V - V_baseline| = {np.max(np.abs(solution.values - V_base)):.1e}, "
        f"bound {solution.bound:.1e})"
    )
    base = np.median(times["baseline"])
    print(
        f"  matrix-PI baseline (pymdptoolbox style)  median "
        f"{1e3 * base:7.1f} ms [{1e3 * min(times['baseline']):.1f}, "
        f"{1e3 * max(times['baseline']):.1f}]"
    )
    for name in ("solve", "policy_iteration"):
        per_round = ratio(times, name, "baseline")
        print(
            f"  {name:<17} median {1e3 * np.median(times[name]):7.1f} ms "
            f"[{1e3 * min(times[name]):.1f}, {1e3 * max(times[name]):.1f}] -> "
            f"{name} / baseline = {per_round.format(digits=3)} (target <= 1: "
            f"{'met' if per_round.median <= 1.0 else 'MISSED'})"
        )


def bench_backward_induction(S: int, A: int, H: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    P = random_kernel(rng, (H, S, A, S))
    mdp = mt.EpisodicMDP(P, rng.random((H, S, A)), H)
    solve_time = best_time(lambda: mt.backward_induction(mdp), repeats=3)
    stream = streaming_time(mdp.P)
    reference = best_time(lambda: _einsum_backward_induction(mdp), repeats=1)
    print(
        f"backward induction, dense non-stationary S={S} A={A} H={H} "
        f"({mdp.P.nbytes / 1e9:.2f} GB): {solve_time:.3f} s, stream {stream:.3f} s -> "
        f"ratio {solve_time / stream:.2f} (target <= 1.5); plain einsum reference "
        f"{reference:.3f} s -> {reference / solve_time:.1f}x faster"
    )


def _einsum_backward_induction(mdp: mt.EpisodicMDP) -> np.ndarray:
    V = np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        V = (mdp.R[h] + np.einsum("sat,t->sa", mdp.transition(h), V)).max(axis=1)
    return V


def bench_sparse(S: int, A: int, successors: int, gamma: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(S * A), successors)
    cols = (
        np.concatenate([rng.choice(S, size=successors, replace=False) for _ in range(S * A)])
        if S <= 20_000
        else (rng.integers(0, S, size=S * A * successors))
    )
    data = rng.random(S * A * successors)
    matrix = sp.csr_array((data, (rows, cols)), shape=(S * A, S))
    matrix.sum_duplicates()
    matrix = sp.csr_array(sp.diags_array(1.0 / matrix.sum(axis=1)) @ matrix)
    mdp = mt.FiniteMDP(matrix, rng.random((S, A)), gamma)
    V = rng.random(S)
    sweep = best_time(lambda: bellman_optimality(mdp, V).max(axis=1), 5)
    print(
        f"sparse sweep S={S} A={A}, {successors} successors: {sweep * 1e3:.2f} ms "
        f"-> {1 / sweep:.0f} sweeps/s"
    )
    start = time.perf_counter()
    solution = mt.solve(mdp)
    print(
        f"sparse policy iteration (GMRES evaluation): {time.perf_counter() - start:.2f} s, "
        f"{solution.iterations} improvements, certified bound {solution.bound:.1e}"
    )


def main() -> None:
    args = command_line(
        __doc__,
        "smaller sizes",
        solve_only={
            "action": "store_true",
            "help": "only the exact-solve comparison with the matrix-PI baseline",
        },
        repeats={"type": int, "default": 11, "help": "alternated rounds"},
    )
    if args.solve_only:
        bench_exact_solve(300 if args.quick else 1000, 10 if args.quick else 20, 0.99, args.repeats)
        return
    if args.quick:
        bench_exact_solve(300, 10, 0.99, args.repeats)
        bench_value_iteration(300, 10, 0.99)
        bench_backward_induction(200, 5, 20)
        bench_sparse(20_000, 4, 10, 0.99)
    else:
        bench_exact_solve(1000, 20, 0.99, args.repeats)
        bench_value_iteration(1000, 20, 0.99)
        bench_backward_induction(500, 10, 100)
        bench_sparse(100_000, 4, 10, 0.99)


if __name__ == "__main__":
    main()
