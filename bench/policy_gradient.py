"""Speed of the exact policy-gradient learners, against plain numpy loops in the same process.

Run: ``python bench/policy_gradient.py`` (``--quick`` for a tenth of the iterations).

What is printed
---------------
* Exact softmax PG on 1000 bandit instances (K = 10, means uniform on [0, 1], eta = 2/5) for
  10^4 iterations, in one ``jit``-compiled, ``vmap``-ed ``lax.scan`` (``SoftmaxPG.run_batch``,
  every iterate's gap recorded). First call (compile + run) and second call (run only).
  Baseline: a plain numpy loop over iterations, vectorised over the 1000 instances, run for
  10^3 iterations and **scaled x10** to 10^4 (its cost per iteration is constant).
* Exact NPG (Agarwal et al. 2021) on one garnet MDP (S = 50, A = 5, gamma = 0.9) for 10^4
  iterations (``NPG.run``, one exact policy evaluation by LU per iteration). Baseline: a plain
  numpy loop (``np.linalg.solve`` per iteration) for 10^3 iterations, **scaled x10**.

Both baselines are checked to give the same gaps as the JAX run on their common prefix (to
1e-9), so the ratio compares equal work. The ratio is (scaled numpy time) / (JAX run time).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from algorithms.policy_gradient import NPG, SoftmaxPG
from instances.tabular import garnet
from mdptheory.planning import solve


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


def numpy_npg(P: np.ndarray, R: np.ndarray, gamma: float, rho: np.ndarray, v_star: np.ndarray,
              eta: float, iterations: int) -> np.ndarray:
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


def bench_bandits(n: int, K: int, iterations: int, baseline_iterations: int) -> None:
    rng = np.random.default_rng(0)
    means = rng.random((n, K))
    learner = SoftmaxPG()  # eta = 2/5 (Mei et al. 2020, Theorem 2)
    _, t_first = timed(lambda: learner.run_batch(means, iterations))
    second, t_run = timed(lambda: learner.run_batch(means, iterations))
    gaps, t_numpy = timed(lambda: numpy_bandit_pg(means, 0.4, baseline_iterations))
    error = float(np.max(np.abs(gaps.T - second.gap[:, :baseline_iterations])))
    scaled = t_numpy * iterations / baseline_iterations
    print(f"exact softmax PG, {n} bandits x K={K} x {iterations} iterations (one vmapped call)")
    print(f"  JAX first call (compile + run): {t_first:8.2f} s")
    print(f"  JAX run:                        {t_run:8.2f} s   "
          f"({t_run / (n * iterations) * 1e9:.1f} ns per instance-iteration)")
    print(f"  numpy loop, {baseline_iterations} iterations: {t_numpy:8.2f} s, scaled x"
          f"{iterations // baseline_iterations} to {iterations}: {scaled:.2f} s")
    print(f"  ratio numpy (scaled) / JAX run: {scaled / t_run:.1f}x   "
          f"(max |gap difference| on the common prefix: {error:.1e})")


def bench_npg(S: int, A: int, iterations: int, baseline_iterations: int) -> None:
    mdp = garnet(S=S, A=A, branching=5, gamma=0.9, seed=0)
    learner = NPG(eta=1.0)
    _, t_first = timed(lambda: learner.run(mdp, iterations))
    second, t_run = timed(lambda: learner.run(mdp, iterations))
    v_star = solve(mdp).policy_values
    gaps, t_numpy = timed(lambda: numpy_npg(mdp.P, mdp.R, mdp.gamma, mdp.initial, v_star, 1.0,
                                            baseline_iterations))
    error = float(np.max(np.abs(gaps - second.gap[:baseline_iterations])))
    scaled = t_numpy * iterations / baseline_iterations
    print(f"exact NPG, garnet S={S}, A={A}, gamma=0.9, {iterations} iterations")
    print(f"  JAX first call (compile + run): {t_first:8.2f} s")
    print(f"  JAX run:                        {t_run:8.2f} s   "
          f"({t_run / iterations * 1e6:.1f} us per iteration)")
    print(f"  numpy loop, {baseline_iterations} iterations: {t_numpy:8.2f} s, scaled x"
          f"{iterations // baseline_iterations} to {iterations}: {scaled:.2f} s")
    print(f"  ratio numpy (scaled) / JAX run: {scaled / t_run:.1f}x   "
          f"(max |gap difference| on the common prefix: {error:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the iterations")
    args = parser.parse_args()
    iterations = 1_000 if args.quick else 10_000
    baseline = iterations // 10
    bench_bandits(1000, 10, iterations, baseline)
    bench_npg(50, 5, iterations, baseline)


if __name__ == "__main__":
    main()
