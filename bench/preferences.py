"""Speed of the IPO and DPO learners: one vmapped call against a loop of single runs and a
plain numpy gradient loop, in the same process.

Run: ``PYTHONPATH=. python bench/preferences.py`` (``--quick`` for fewer datasets and steps;
``--repeats`` alternated rounds, default 5).

What is printed: for N random Bradley–Terry datasets (K = 10, 200 pairs) times 5 values of tau,
``budget`` exact-gradient IPO steps each,

* ``IPO.run_batch`` over all N x 5 trajectories (one ``jax.jit``-compiled, ``vmap``-ped scan);
* a Python loop of ``IPO.run`` over the same trajectories (one compiled call each);
* a numpy loop over the steps, vectorised over the trajectories (the gradient written by hand
  from the win counts: ``grad_i = (2/n) sum_j (W_ij (h_ij - c) - W_ji (h_ji - c))``).

Median wall time [min, max] of each and the median per-round ratios; the final policies of the
three are checked to agree to 1e-9.
"""

from __future__ import annotations

import numpy as np
from _timing import alternate, command_line, ratio

from algorithms.preferences import IPO
from instances.preferences import bradley_terry_bandit

TAUS = np.array([0.01, 0.1, 1.0, 10.0, 100.0])


def numpy_ipo(
    W: np.ndarray, log_ref: np.ndarray, taus: np.ndarray, etas: np.ndarray, budget: int
) -> np.ndarray:
    """Exact-gradient IPO from ``log pi_ref``, vectorised over trajectories; final policies."""
    theta = log_ref.copy()
    n = W.sum(axis=(1, 2))
    c = 0.5 / taus
    for _ in range(budget):
        rho = theta - log_ref
        h = rho[:, :, None] - rho[:, None, :]
        r = W * (h - c[:, None, None])
        grad = 2.0 * (r.sum(axis=2) - r.sum(axis=1)) / n[:, None]
        theta = theta - etas[:, None] * grad
    p = np.exp(theta - theta.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def main() -> None:
    args = command_line(
        __doc__,
        "20 datasets, 200 steps",
        repeats={"type": int, "default": 5, "help": "alternated rounds"},
    )
    n_data, budget = (20, 200) if args.quick else (200, 2000)
    bandits = [bradley_terry_bandit(K=10, pairs=200, seed=s) for s in range(n_data)]
    models = [b for b in bandits for _ in TAUS]
    taus = np.tile(TAUS, n_data)
    learner = IPO()
    W = np.stack([m.dataset.counts() for m in models])
    log_ref = np.stack([np.log(m.reference) for m in models])
    batch = learner.run_batch(models, budget, strengths=taus, record_every=budget)
    etas = batch.etas

    def vmapped():
        return learner.run_batch(models, budget, strengths=taus, record_every=budget)

    def looped():
        return [
            IPO(tau=float(t)).run(m, budget, record_every=budget)
            for m, t in zip(models, taus, strict=True)
        ]

    def numpy_loop():
        return numpy_ipo(W, log_ref, taus, etas, budget)

    final = vmapped().extras["policy"][:, -1]
    looped_final = np.stack([t.extras["policy"][-1] for t in looped()])
    assert np.max(np.abs(final - looped_final)) < 1e-9
    assert np.max(np.abs(final - numpy_loop())) < 1e-9
    times = alternate(
        {"vmapped": vmapped, "looped": looped, "numpy": numpy_loop}, repeats=args.repeats
    )
    print(f"IPO, {len(models)} trajectories (K = 10, 200 pairs) x {budget} exact-gradient steps")
    for name in times:
        print(
            f"  {name:8s} wall {np.median(times[name]):.3g} s [{min(times[name]):.3g}, "
            f"{max(times[name]):.3g}]"
        )
    print(f"  looped / vmapped {ratio(times, 'looped', 'vmapped').format()}")
    print(f"  numpy  / vmapped {ratio(times, 'numpy', 'vmapped').format()}")


if __name__ == "__main__":
    main()
