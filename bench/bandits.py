"""Speed of the bandit learners against plain numpy/Python-loop references, in one process.

Run: ``python bench/bandits.py`` (``--quick`` for smaller sizes).

What is printed
---------------
For each learner: the compile-or-cache-load time of the first call (on a tiny problem, printed
separately), rounds per second of a compiled run of ``T`` rounds (10^6 by default; best of 3),
rounds per second of a plain Python loop over rounds with numpy arrays (the way such a learner
is usually written) at a smaller ``T_ref``, and the ratio of the two rates.

* UCB1, KL-UCB, Beta-Bernoulli and Gaussian Thompson sampling: 10 Bernoulli arms with means
  0.5 + 0.01 i (Gaussian arms, sigma = 1, for Gaussian Thompson sampling).
* OFUL: 100 arms uniform on the unit sphere of R^8, ``||theta|| = 1``, noise 0.1 (T / 10
  rounds: a round costs O(K d)).

The references make the same decisions up to rounding; they are not checked for equality here
(tests/test_bandit_learners.py replays the compiled runs against independent references).
"""

from __future__ import annotations

import math

import numpy as np
from _timing import best_time, command_line, median_time, timed

from algorithms.bandits import KLUCB, OFUL, UCB1, ThompsonBernoulli, ThompsonGaussian
from mdptheory.bandits import Bandit, LinearBandit

# Plain references: one Python iteration per round, numpy for the per-arm arithmetic.


def _play(
    means: np.ndarray,
    T: int,
    rng: np.random.Generator,
    choose,
    first_each: bool = True,
    gaussian: bool = False,
) -> float:
    """Regret of T rounds: each arm once when ``first_each``, then the arm
    ``argmax choose(t, counts, sums)`` (``counts``, ``sums``: pulls and reward sums of every arm
    after t rounds); Bernoulli rewards, or unit Gaussian ones around the means."""
    K = means.size
    counts = np.zeros(K)
    sums = np.zeros(K)
    regret = 0.0
    for t in range(T):
        a = t if first_each and t < K else int(np.argmax(choose(t, counts, sums)))
        r = means[a] + rng.standard_normal() if gaussian else float(rng.random() < means[a])
        counts[a] += 1
        sums[a] += r
        regret += means.max() - means[a]
    return regret


def reference_ucb1(means: np.ndarray, T: int, rng: np.random.Generator) -> float:
    return _play(
        means, T, rng, lambda t, counts, sums: sums / counts + np.sqrt(2.0 * math.log(t) / counts)
    )


def _kl(p: float, q: float) -> float:
    eps = 1e-15
    q = min(max(q, eps), 1 - eps)
    out = 0.0
    if p > 0:
        out += p * math.log(p / q)
    if p < 1:
        out += (1 - p) * math.log((1 - p) / (1 - q))
    return out


def _kl_index(p: float, n: float, threshold: float) -> float:
    lo, hi = p, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if n * _kl(p, mid) > threshold:
            hi = mid
        else:
            lo = mid
    return lo


def reference_kl_ucb(means: np.ndarray, T: int, rng: np.random.Generator) -> float:
    def index(t, counts, sums):
        threshold = math.log(t)
        return [_kl_index(sums[j] / counts[j], counts[j], threshold) for j in range(means.size)]

    return _play(means, T, rng, index)


def reference_thompson_bernoulli(means: np.ndarray, T: int, rng: np.random.Generator) -> float:
    # Bernoulli rewards: successes are the reward sums, failures the pulls without reward.
    return _play(
        means,
        T,
        rng,
        lambda t, counts, sums: rng.beta(sums + 1, counts - sums + 1),
        first_each=False,
    )


def reference_thompson_gaussian(means: np.ndarray, T: int, rng: np.random.Generator) -> float:
    K = means.size
    return _play(
        means,
        T,
        rng,
        lambda t, counts, sums: sums / (counts + 1) + rng.standard_normal(K) / np.sqrt(counts + 1),
        first_each=False,
        gaussian=True,
    )


def reference_oful(
    arms: np.ndarray,
    theta: np.ndarray,
    noise: float,
    T: int,
    rng: np.random.Generator,
    lambda_: float = 1.0,
    delta: float = 0.01,
    S: float = 1.0,
) -> float:
    d = arms.shape[1]
    means = arms @ theta
    V = lambda_ * np.eye(d)
    b = np.zeros(d)
    regret = 0.0
    for _ in range(T):
        V_inv = np.linalg.inv(V)
        theta_hat = V_inv @ b
        _, log_det = np.linalg.slogdet(V)
        beta = noise * math.sqrt(log_det - d * math.log(lambda_) + 2 * math.log(1 / delta))
        beta += math.sqrt(lambda_) * S
        widths = np.sqrt(np.einsum("ki,ij,kj->k", arms, V_inv, arms))
        a = int(np.argmax(arms @ theta_hat + beta * widths))
        x = arms[a]
        y = means[a] + noise * rng.standard_normal()
        V += np.outer(x, x)
        b += y * x
        regret += means.max() - means[a]
    return regret


def bench_one(name: str, learner, model, T: int, reference, T_ref: int) -> None:
    _, first = timed(lambda: learner.run(model, 10, seed=0))
    runs = median_time(lambda: learner.run(model, T, seed=1), repeats=5)
    compiled = runs.median
    ref = best_time(lambda: reference(T_ref, np.random.default_rng(1)), repeats=1)
    rate = T / compiled
    ref_rate = T_ref / ref
    print(
        f"{name:<22} first call {first:7.3f} s | compiled T={T:>9,}: median "
        f"{runs.format(unit='s')}, {rate:12,.0f} rounds/s | reference T={T_ref:>7,}: "
        f"{ref_rate:10,.0f} rounds/s | ratio {rate / ref_rate:8.1f}x"
    )


def main(argv: list[str] | None = None) -> None:
    args = command_line(__doc__, "T = 10^5 instead of 10^6", argv)
    T = 100_000 if args.quick else 1_000_000
    T_ref = 5_000 if args.quick else 20_000

    means = 0.5 + 0.01 * np.arange(10)
    bernoulli = Bandit(means, noise="bernoulli", name="bench-bernoulli-10")
    gaussian = Bandit(means, noise=("gaussian", 1.0), name="bench-gaussian-10")
    bench_one("UCB1", UCB1(), bernoulli, T, lambda n, g: reference_ucb1(means, n, g), T_ref)
    bench_one(
        "KL-UCB", KLUCB(), bernoulli, T, lambda n, g: reference_kl_ucb(means, n, g), T_ref // 10
    )
    bench_one(
        "Thompson (Beta)",
        ThompsonBernoulli(),
        bernoulli,
        T,
        lambda n, g: reference_thompson_bernoulli(means, n, g),
        T_ref,
    )
    bench_one(
        "Thompson (Gaussian)",
        ThompsonGaussian(),
        gaussian,
        T,
        lambda n, g: reference_thompson_gaussian(means, n, g),
        T_ref,
    )

    rng = np.random.default_rng(0)
    arms = rng.standard_normal((100, 8))
    arms /= np.linalg.norm(arms, axis=1, keepdims=True)
    theta = rng.standard_normal(8)
    theta /= np.linalg.norm(theta)
    linear = LinearBandit(arms, theta, noise_std=0.1, name="bench-sphere-K100-d8")
    bench_one(
        "OFUL (K=100, d=8)",
        OFUL(S=1.0),
        linear,
        T // 10,
        lambda n, g: reference_oful(arms, theta, 0.1, n, g),
        T_ref // 4,
    )


if __name__ == "__main__":
    main()
