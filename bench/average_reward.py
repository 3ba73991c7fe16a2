"""Speed of UCRL2 (and UCRL2-B, TSDE) with exact gap regret on every step.

Run: ``PYTHONPATH=. python bench/average_reward.py`` (``--rounds N`` for more rounds).

What is printed
---------------
* The BLAS thread pools, and the compile (or cache-load) time of each learner's first call.
* Time per 10^6 steps of the compiled run at T = 10^5 and at T = 10^7 on ``river_swim(S=6)``,
  median [min, max] over rounds; their ratio (the cost of a step must not grow with T: a step
  is O(1), a replan O(S^2 A) per EVI sweep, and there are O(S A log T) replans).
* The ratio of a direct numpy transcription of Figure 1 (:func:`numpy_ucrl2`: an interpreted
  loop over steps, EVI vectorised over state-action pairs) to the compiled UCRL2 at T = 10^5,
  the two alternated round by round in this process (``bench/_timing.py``), and whether both
  give the same gap regret from the same seed (they draw the same random numbers; EVI's sums
  run in another order, so an exact tie could in principle be broken differently).
* Whether T = 10^7 steps of UCRL2 on RiverSwim take under 10 s (the target).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from algorithms.average_reward import TSDE, UCRL2, UCRL2B
from instances.tabular import river_swim
from mdptheory.average_reward import bellman_gaps


def _last_positive(P: np.ndarray) -> np.ndarray:
    """Index of the last positive entry of each row (where a draw past the rounded total lands)."""
    return P.shape[-1] - 1 - np.argmax((P > 0)[..., ::-1], axis=-1)


def _draw(cdf: np.ndarray, last: int, u: float) -> int:
    # The compiled sampler's rule: the first index whose cumulative sum exceeds u.
    return min(int(np.searchsorted(cdf, u, side="right")), int(last))


def _evi(p_hat, r_tilde, d, visited, epsilon):
    """Extended value iteration (section 3.1.2, Figure 2), vectorised over (s, a)."""
    S = p_hat.shape[0]
    u = np.zeros(S)
    while True:
        order = np.argsort(-u, kind="mergesort")
        top = order[0]
        p = p_hat.copy()
        p[:, :, top] = np.minimum(1.0, p_hat[:, :, top] + d / 2)
        total = p.sum(axis=2)
        for ell in range(S - 1, 0, -1):
            j = order[ell]
            over = total > 1.0
            new = np.maximum(0.0, 1.0 - (total - p[:, :, j]))
            total = np.where(over, total - p[:, :, j] + new, total)
            p[:, :, j] = np.where(over, new, p[:, :, j])
        p[~visited] = 0.0
        p[~visited, top] = 1.0  # an unvisited pair: the whole simplex
        q = r_tilde + p @ u
        new_u = q.max(axis=1)
        policy = q.argmax(axis=1)
        diff = new_u - u
        u = new_u - new_u.min()
        if diff.max() - diff.min() < epsilon:
            return policy


def numpy_ucrl2(mdp, T: int, seed: int, delta: float = 0.05) -> np.ndarray:
    """UCRL2, Figure 1, line by line in numpy (deterministic rewards); the gap regret per step."""
    S, A = mdp.S, mdp.A
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    gaps = bellman_gaps(mdp)
    rng = np.random.default_rng(seed)
    cdf, last = np.cumsum(P, axis=2), _last_positive(P)
    s = _draw(np.cumsum(mdp.initial), _last_positive(mdp.initial), rng.random())
    N = np.zeros((S, A))
    counts = np.zeros((S, A, S))
    reward_sum = np.zeros((S, A))
    gap_regret = np.empty(T)
    i = 0
    while i < T:
        t_k = i + 1  # (1)
        v = np.zeros((S, A))  # (2)
        n_plus = np.maximum(1.0, N)
        p_hat = counts / n_plus[:, :, None]  # (3)
        r_hat = reward_sum / n_plus
        rad_r = np.sqrt(7 * math.log(2 * S * A * t_k / delta) / (2 * n_plus))  # (4)
        d = np.sqrt(14 * S * math.log(2 * A * t_k / delta) / n_plus)
        policy = _evi(p_hat, np.minimum(1.0, r_hat + rad_r), d, N > 0, 1 / math.sqrt(t_k))  # (5)
        while i < T:  # (6)
            a = policy[s]
            if v[s, a] >= max(1.0, N[s, a]):
                break
            y = _draw(cdf[s, a], last[s, a], rng.random())
            gap_regret[i] = gaps[s, a]
            v[s, a] += 1
            counts[s, a, y] += 1
            reward_sum[s, a] += R[s, a]
            s = y
            i += 1
        N += v  # (7)
    return gap_regret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternated rounds at T = 1e5")
    parser.add_argument("--long-rounds", type=int, default=3, help="rounds at T = 1e7")
    args = parser.parse_args()
    from _timing import Spread, alternate, blas_threads, ratio

    print(blas_threads())
    mdp = river_swim(S=6)
    short, long = 100_000, 10_000_000
    print(f"{mdp.name}: S={mdp.S}, A={mdp.A}; times per 10^6 steps, median [min, max]")
    for learner in (UCRL2(), UCRL2B(), TSDE()):
        start = time.perf_counter()
        learner.run(mdp, 10, seed=0)
        first = time.perf_counter() - start
        times = alternate(
            {"short": lambda learner=learner: learner.run(mdp, short, seed=0)}, repeats=args.rounds
        )["short"]
        long_times = alternate(
            {"long": lambda learner=learner: learner.run(mdp, long, seed=0)},
            repeats=args.long_rounds,
            warmup=False,
        )["long"]
        per_short = Spread.of(np.array(times) * 1e6 / short)
        per_long = Spread.of(np.array(long_times) * 1e6 / long)
        print(
            f"  {learner.label:8s} first call {first:6.2f} s | T = 1e5: "
            f"{per_short.format(1.0, 's')} | T = 1e7: {per_long.format(1.0, 's')} | "
            f"1e7 / 1e5 per step: {per_long.median / per_short.median:.2f} | T = 1e7 in "
            f"{per_long.median * 10:.2f} s (target < 10 s)"
        )

    learner = UCRL2()
    compiled = learner.run(mdp, short, seed=0).pseudo_regret
    plain = numpy_ucrl2(mdp, short, seed=0)
    same = bool(np.array_equal(compiled, plain))
    rounds = max(3, args.rounds // 2)
    times = alternate(
        {
            "compiled": lambda: learner.run(mdp, short, seed=0),
            "numpy": lambda: numpy_ucrl2(mdp, short, seed=0),
        },
        repeats=rounds,
    )
    r = ratio(times, "numpy", "compiled")
    per_numpy = Spread.of(np.array(times["numpy"]) * 1e6 / short)
    print(
        f"  numpy transcription of Figure 1 at T = 1e5: {per_numpy.format(1.0, 's')} per "
        f"10^6 steps; numpy / compiled: {r.format(1.0, 'x')} ({rounds} alternated rounds); "
        f"same gap regret on all {short} steps: {same}"
    )


if __name__ == "__main__":
    main()
