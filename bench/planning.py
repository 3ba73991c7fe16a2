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
* Sparse kernel (10 successors per pair, S=100000, A=4): sweeps per second and the time of an
  exact solve by policy iteration.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from _timing import best_time

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
    sweep = best_time(lambda: bellman_optimality(mdp, V).max(axis=1), 5)
    stream = streaming_time(mdp.P)
    reference = best_time(lambda: (mdp.R + gamma * np.einsum("sat,t->sa", mdp.P, V)).max(1),
                          repeats=3)
    gbytes = mdp.P.nbytes / 1e9
    print(f"VI sweep, dense S={S} A={A} ({gbytes:.2f} GB): {sweep * 1e3:.2f} ms, "
          f"stream {stream * 1e3:.2f} ms -> sweep/stream = {sweep / stream:.2f} (target <= 1.5); "
          f"plain einsum reference {reference * 1e3:.2f} ms -> {reference / sweep:.1f}x faster")

    start = time.perf_counter()
    pi = mt.policy_iteration(mdp)
    pi_time = time.perf_counter() - start
    start = time.perf_counter()
    vi = mt.value_iteration(mdp, tol=1e-8)
    vi_time = time.perf_counter() - start
    agree = np.max(np.abs(vi.values - pi.values))
    print(f"gamma={gamma}: policy iteration {pi_time:.3f} s ({pi.iterations} improvements, "
          f"bound {pi.bound:.1e}); value iteration to 1e-8 {vi_time:.3f} s "
          f"({vi.iterations} sweeps) -> PI is {vi_time / pi_time:.0f}x faster; "
          f"max |V_VI - V_PI| = {agree:.1e}")


def bench_backward_induction(S: int, A: int, H: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    P = random_kernel(rng, (H, S, A, S))
    mdp = mt.EpisodicMDP(P, rng.random((H, S, A)), H)
    solve_time = best_time(lambda: mt.backward_induction(mdp), repeats=3)
    stream = streaming_time(mdp.P)
    reference = best_time(lambda: _einsum_backward_induction(mdp), repeats=1)
    print(f"backward induction, dense non-stationary S={S} A={A} H={H} "
          f"({mdp.P.nbytes / 1e9:.2f} GB): {solve_time:.3f} s, stream {stream:.3f} s -> "
          f"ratio {solve_time / stream:.2f} (target <= 1.5); plain einsum reference "
          f"{reference:.3f} s -> {reference / solve_time:.1f}x faster")


def _einsum_backward_induction(mdp: mt.EpisodicMDP) -> np.ndarray:
    V = np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        V = (mdp.R[h] + np.einsum("sat,t->sa", mdp.transition(h), V)).max(axis=1)
    return V


def bench_sparse(S: int, A: int, successors: int, gamma: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(S * A), successors)
    cols = np.concatenate([rng.choice(S, size=successors, replace=False)
                           for _ in range(S * A)]) if S <= 20_000 else (
        rng.integers(0, S, size=S * A * successors))
    data = rng.random(S * A * successors)
    matrix = sp.csr_array((data, (rows, cols)), shape=(S * A, S))
    matrix.sum_duplicates()
    matrix = sp.csr_array(sp.diags_array(1.0 / matrix.sum(axis=1)) @ matrix)
    mdp = mt.FiniteMDP(matrix, rng.random((S, A)), gamma)
    V = rng.random(S)
    sweep = best_time(lambda: bellman_optimality(mdp, V).max(axis=1), 5)
    print(f"sparse sweep S={S} A={A}, {successors} successors: {sweep * 1e3:.2f} ms "
          f"-> {1 / sweep:.0f} sweeps/s")
    start = time.perf_counter()
    solution = mt.solve(mdp)
    print(f"sparse policy iteration (GMRES evaluation): {time.perf_counter() - start:.2f} s, "
          f"{solution.iterations} improvements, certified bound {solution.bound:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    if args.quick:
        bench_value_iteration(300, 10, 0.99)
        bench_backward_induction(200, 5, 20)
        bench_sparse(20_000, 4, 10, 0.99)
    else:
        bench_value_iteration(1000, 20, 0.99)
        bench_backward_induction(500, 10, 100)
        bench_sparse(100_000, 4, 10, 0.99)


if __name__ == "__main__":
    main()
