"""Speed of the exact policy-gradient learners, against baselines run in the same process.

Run: ``PYTHONPATH=. python bench/policy_gradient.py`` (``--quick`` for a tenth of the
iterations; ``--repeats`` alternated rounds, default 5).

What is printed
---------------
* Exact softmax PG on 1000 bandit instances (K = 10, means uniform on [0, 1], eta = 2/5) for
  10^4 iterations (``SoftmaxPG.run_batch``, default recording: every iterate up to 1000, then
  100 per decade), and on 1000 random MDPs (S = 10, A = 4, gamma = 0.9, Dirichlet(1) kernels,
  eta = 1) for 10^3 iterations. Contenders, alternated round by round:

  - ``SoftmaxPG.run_batch`` (the learner's whole call, optimal values of the MDPs included);
  - ``record_every=1``: the same, every iterate recorded;
  - the **floor**: :func:`floor_bandit` / :func:`floor_mdp`, hand-written numba kernels
    (float64, ``prange`` over the instances, so both cores) doing the same updates with nothing
    recorded but the final gap (the MDP floor solves without pivoting, which the diagonally
    dominant ``I - gamma P_pi`` allows);
  - **vectorised numpy**: :func:`numpy_bandit_pg` / :func:`numpy_mdp_pg`, one numpy loop over
    iterations, vectorised over the instances (batched ``np.linalg.solve`` for the MDPs).

  Printed: median wall time [min, max] of each, its median CPU time (all threads) and the
  cores it used (CPU / wall), and the median per-round ratios with their spread. Targets:
  learner / floor <= 2, numpy / learner >= 3 (wall). The CPU ratio numpy / learner is the work
  each does, whatever the load: on a quiet machine the wall ratio is about it times the
  learner's cores used; on a loaded one the two threads get less than two cores. The final
  gaps of all contenders are checked to agree (to 1e-9). The load average is printed before
  and after.
* Exact NPG (Agarwal et al. 2021, JAX) on one garnet MDP (S = 50, A = 5, gamma = 0.9) for 10^4
  iterations (``NPG.run``). Baseline: a plain numpy loop for 10^3 iterations, scaled x10.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np
from _timing import Spread, alternate, blas_threads, ratio
from numba import njit, prange

import mdptheory
from algorithms.policy_gradient import NPG, SoftmaxPG
from instances.tabular import garnet
from mdptheory.planning import solve
from mdptheory.tabular import FiniteMDP


def numpy_bandit_pg(means: np.ndarray, eta: float, iterations: int) -> np.ndarray:
    """Exact bandit softmax PG, numpy, vectorised over instances: gaps (iterations, N)."""
    theta = np.zeros_like(means)
    delta = means.max(axis=1, keepdims=True) - means
    gaps = np.empty((iterations, means.shape[0]))
    z = np.exp(theta - theta.max(axis=1, keepdims=True))
    p = z / z.sum(axis=1, keepdims=True)
    for t in range(iterations):
        theta += eta * p * (means - (p * means).sum(axis=1, keepdims=True))
        z = np.exp(theta - theta.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        gaps[t] = (p * delta).sum(axis=1)
    return gaps


def numpy_mdp_pg(
    P: np.ndarray,
    R: np.ndarray,
    gamma: float,
    rho: np.ndarray,
    v_star: np.ndarray,
    eta: float,
    iterations: int,
) -> np.ndarray:
    """Exact MDP softmax PG, numpy, vectorised over N instances: final gaps (N,).

    ``theta += eta d(s) pi(a|s) (Q - V)(s, a)``, ``d = (I - gamma P_pi)^{-T} rho``.
    """
    N, S, A = R.shape
    theta = np.zeros((N, S, A))
    eye = np.eye(S)
    for _ in range(iterations + 1):
        z = np.exp(theta - theta.max(axis=2, keepdims=True))
        p = z / z.sum(axis=2, keepdims=True)
        M = eye - gamma * np.einsum("nsa,nsat->nst", p, P)
        V = np.linalg.solve(M, (p * R).sum(axis=2)[..., None])[..., 0]
        d = np.linalg.solve(np.swapaxes(M, 1, 2), rho[..., None])[..., 0]
        Q = R + gamma * np.einsum("nsat,nt->nsa", P, V)
        theta += eta * d[..., None] * p * (Q - V[..., None])
    # The last pass evaluated the policy after `iterations` updates (its update is not used).
    return (rho * (v_star - V)).sum(axis=1)


@njit(cache=True, parallel=True)
def floor_bandit(means: np.ndarray, eta: float, iterations: int) -> np.ndarray:
    """The floor: exact bandit softmax PG, numba, parallel over instances; final gaps (N,)."""
    N, K = means.shape
    gaps = np.empty(N)
    for i in prange(N):
        r = means[i]
        theta = np.zeros(K)
        p = np.full(K, 1.0 / K)
        for _ in range(iterations):
            mean = 0.0
            for a in range(K):
                mean += p[a] * r[a]
            top = -np.inf
            for a in range(K):
                theta[a] += eta * p[a] * (r[a] - mean)
                top = max(top, theta[a])
            total = 0.0
            for a in range(K):
                p[a] = math.exp(theta[a] - top)
                total += p[a]
            for a in range(K):
                p[a] /= total
        best = r.max()
        gap = 0.0
        for a in range(K):
            gap += p[a] * (best - r[a])
        gaps[i] = gap
    return gaps


@njit(cache=True, parallel=True)
def floor_mdp(
    P: np.ndarray,
    R: np.ndarray,
    gamma: float,
    rho: np.ndarray,
    v_star: np.ndarray,
    eta: float,
    iterations: int,
) -> np.ndarray:
    """The floor: exact MDP softmax PG, numba, parallel over instances; final gaps (N,)."""
    N, S, A = R.shape
    gaps = np.empty(N)
    for i in prange(N):
        theta = np.zeros((S, A))
        p = np.empty((S, A))
        M = np.empty((S, S))
        V = np.empty(S)
        d = np.empty(S)
        for t in range(iterations + 1):
            for s in range(S):
                top = theta[s].max()
                total = 0.0
                for a in range(A):
                    p[s, a] = math.exp(theta[s, a] - top)
                    total += p[s, a]
                for a in range(A):
                    p[s, a] /= total
            for s in range(S):
                V[s] = 0.0
                for u in range(S):
                    M[s, u] = 0.0
                for a in range(A):
                    V[s] += p[s, a] * R[i, s, a]
                    for u in range(S):
                        M[s, u] -= gamma * p[s, a] * P[i, s, a, u]
                M[s, s] += 1.0
            for k in range(S):  # LU without pivoting, in place
                for row in range(k + 1, S):
                    f = M[row, k] / M[k, k]
                    M[row, k] = f
                    for col in range(k + 1, S):
                        M[row, col] -= f * M[k, col]
            for row in range(S):  # V = M^{-1} r_pi
                for col in range(row):
                    V[row] -= M[row, col] * V[col]
            for row in range(S - 1, -1, -1):
                for col in range(row + 1, S):
                    V[row] -= M[row, col] * V[col]
                V[row] /= M[row, row]
            if t == iterations:
                break
            for row in range(S):  # d = M^{-T} rho
                d[row] = rho[i, row]
                for col in range(row):
                    d[row] -= M[col, row] * d[col]
                d[row] /= M[row, row]
            for row in range(S - 1, -1, -1):
                for col in range(row + 1, S):
                    d[row] -= M[col, row] * d[col]
            for s in range(S):
                for a in range(A):
                    q = R[i, s, a]
                    for u in range(S):
                        q += gamma * P[i, s, a, u] * V[u]
                    theta[s, a] += eta * d[s] * p[s, a] * (q - V[s])
        gap = 0.0
        for s in range(S):
            gap += rho[i, s] * (v_star[i, s] - V[s])
        gaps[i] = gap
    return gaps


def _timed(function):
    """``function`` that also appends its CPU time (all threads) to ``function.cpu``."""

    def timed():
        start = time.process_time()
        function()
        timed.cpu.append(time.process_time() - start)

    timed.cpu = []
    return timed


def compare(title: str, contenders: dict[str, object], repeats: int) -> None:
    """Time the contenders alternated (the first is the learner, the second the learner
    recording every iterate, the third the floor, the fourth numpy) and print the report."""
    timed = {name: _timed(function) for name, function in contenders.items()}
    times = alternate(timed, repeats=repeats, warmup=False)
    learner, every, floor, plain = list(contenders)
    print(f"{title} (load average {os.getloadavg()[0]:.1f})")
    for name, values in times.items():
        cpu = np.asarray(timed[name].cpu)
        print(
            f"  {name:<34} median {np.median(values):7.3f} s "
            f"[{min(values):.3f}, {max(values):.3f}], CPU {np.median(cpu):7.3f} s, "
            f"cores used {np.median(cpu / np.asarray(values)):.2f}"
        )
    to_floor = ratio(times, learner, floor)
    from_numpy = ratio(times, plain, learner)
    cpu_ratio = Spread.of(np.asarray(timed[plain].cpu) / np.asarray(timed[learner].cpu))
    print(
        f"  learner / floor  = {to_floor.format()} (target <= 2: "
        f"{'met' if to_floor.median <= 2 else 'MISSED'})"
    )
    print(
        f"  numpy / learner  = {from_numpy.format()} (target >= 3: "
        f"{'met' if from_numpy.median >= 3 else 'MISSED'}); CPU time numpy / learner = "
        f"{cpu_ratio.format()}"
    )
    print(f"  record_every=1 / default recording = {ratio(times, every, learner).format()}")


def bench_bandits(n: int, K: int, iterations: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    means = rng.random((n, K))
    learner = SoftmaxPG()  # eta = 2/5 (Mei et al. 2020, Theorem 2)
    start = time.perf_counter()
    batch = learner.run_batch(means, iterations)
    first = time.perf_counter() - start
    floor_gaps = floor_bandit(means, 0.4, iterations)
    plain_gaps = numpy_bandit_pg(means, 0.4, iterations)[-1]
    error = max(
        np.max(np.abs(batch.gap[:, -1] - floor_gaps)), np.max(np.abs(batch.gap[:, -1] - plain_gaps))
    )
    if error > 1e-9:
        raise RuntimeError(f"the contenders disagree on the final gaps by {error:.1e}")
    compare(
        f"exact softmax PG, {n} bandits x K={K} x {iterations} iterations "
        f"(first call {first:.2f} s; max |final gap difference| {error:.1e})",
        {
            "SoftmaxPG.run_batch": lambda: learner.run_batch(means, iterations),
            "SoftmaxPG, record_every=1": lambda: learner.run_batch(
                means, iterations, record_every=1
            ),
            "floor (numba, prange)": lambda: floor_bandit(means, 0.4, iterations),
            "vectorised numpy": lambda: numpy_bandit_pg(means, 0.4, iterations),
        },
        repeats,
    )


def random_mdps(n: int, S: int, A: int, gamma: float, seed: int = 0) -> list[FiniteMDP]:
    rng = np.random.default_rng(seed)
    return [
        FiniteMDP(
            rng.dirichlet(np.ones(S), size=(S, A)), rng.random((S, A)), gamma, name=f"dirichlet-{i}"
        )
        for i in range(n)
    ]


def bench_mdps(n: int, S: int, A: int, iterations: int, repeats: int) -> None:
    gamma, eta = 0.9, 1.0
    mdps = random_mdps(n, S, A, gamma)
    P = np.stack([m.P for m in mdps])
    R = np.stack([m.R for m in mdps])
    rho = np.stack([m.initial for m in mdps])
    v_star = np.stack([solve(m).policy_values for m in mdps])
    learner = SoftmaxPG(eta=eta)
    start = time.perf_counter()
    batch = learner.run_batch(mdps, iterations)
    first = time.perf_counter() - start
    floor_gaps = floor_mdp(P, R, gamma, rho, v_star, eta, iterations)
    plain_gaps = numpy_mdp_pg(P, R, gamma, rho, v_star, eta, iterations)
    error = max(
        np.max(np.abs(batch.gap[:, -1] - floor_gaps)), np.max(np.abs(batch.gap[:, -1] - plain_gaps))
    )
    if error > 1e-9:
        raise RuntimeError(f"the contenders disagree on the final gaps by {error:.1e}")
    compare(
        f"exact softmax PG, {n} MDPs S={S} A={A} gamma={gamma} x {iterations} iterations "
        f"(first call {first:.2f} s; max |final gap difference| {error:.1e}; the learner's "
        "time includes the exact optimum of every MDP)",
        {
            "SoftmaxPG.run_batch": lambda: learner.run_batch(mdps, iterations),
            "SoftmaxPG, record_every=1": lambda: learner.run_batch(
                mdps, iterations, record_every=1
            ),
            "floor (numba, prange)": lambda: floor_mdp(P, R, gamma, rho, v_star, eta, iterations),
            "vectorised numpy": lambda: numpy_mdp_pg(P, R, gamma, rho, v_star, eta, iterations),
        },
        repeats,
    )


def numpy_npg(
    P: np.ndarray,
    R: np.ndarray,
    gamma: float,
    rho: np.ndarray,
    v_star: np.ndarray,
    eta: float,
    iterations: int,
) -> np.ndarray:
    """Exact tabular NPG, numpy: theta += eta/(1-gamma) A, one dense solve per iteration."""
    S, A = R.shape
    theta = np.zeros((S, A))
    gaps = np.empty(iterations)
    eye = np.eye(S)
    for t in range(iterations):
        z = np.exp(theta - theta.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        V = np.linalg.solve(eye - gamma * np.einsum("sa,sat->st", p, P), (p * R).sum(axis=1))
        Q = R + gamma * P @ V
        theta += eta / (1 - gamma) * (Q - V[:, None])
        z = np.exp(theta - theta.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
        V = np.linalg.solve(eye - gamma * np.einsum("sa,sat->st", p, P), (p * R).sum(axis=1))
        gaps[t] = rho @ (v_star - V)
    return gaps


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def bench_npg(S: int, A: int, iterations: int, baseline_iterations: int) -> None:
    mdp = garnet(S=S, A=A, branching=5, gamma=0.9, seed=0)
    learner = NPG(eta=1.0)
    _, t_first = timed(lambda: learner.run(mdp, iterations))
    second, t_run = timed(lambda: learner.run(mdp, iterations))
    v_star = solve(mdp).policy_values
    gaps, t_numpy = timed(
        lambda: numpy_npg(mdp.P, mdp.R, mdp.gamma, mdp.initial, v_star, 1.0, baseline_iterations)
    )
    error = float(np.max(np.abs(gaps - second.gap[:baseline_iterations])))
    scaled = t_numpy * iterations / baseline_iterations
    print(f"exact NPG, garnet S={S}, A={A}, gamma=0.9, {iterations} iterations")
    print(f"  JAX first call (compile + run): {t_first:8.2f} s")
    print(
        f"  JAX run:                        {t_run:8.2f} s   "
        f"({t_run / iterations * 1e6:.1f} us per iteration)"
    )
    print(
        f"  numpy loop, {baseline_iterations} iterations: {t_numpy:8.2f} s, scaled x"
        f"{iterations // baseline_iterations} to {iterations}: {scaled:.2f} s"
    )
    print(
        f"  ratio numpy (scaled) / JAX run: {scaled / t_run:.1f}x   "
        f"(max |gap difference| on the common prefix: {error:.1e})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the iterations")
    parser.add_argument("--repeats", type=int, default=5, help="alternated rounds")
    parser.add_argument("--skip-npg", action="store_true", help="only the softmax PG batches")
    args = parser.parse_args()
    print(f"{blas_threads()}; mdptheory from {Path(mdptheory.__file__).parent}")
    scale = 10 if args.quick else 1
    bench_bandits(1000, 10, 10_000 // scale, args.repeats)
    bench_mdps(1000, 10, 4, 1_000 // scale, args.repeats)
    if not args.skip_npg:
        iterations = 10_000 // scale
        bench_npg(50, 5, iterations, iterations // 10)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
