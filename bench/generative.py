"""Speed of VWLS-MDVI and LS-MDVI with a generative model at gamma = 0.99, d = 20.

Run: ``OPENBLAS_NUM_THREADS=1 python bench/generative.py`` (``--quick`` for one budget and one
repetition). On a loaded 2-core machine a 2-thread OpenBLAS spends about 0.25 s in each
200 x 200 solve of the exact policy evaluations (spin-waiting for the other core) against 0.4 ms
with one thread; the first line of the report says which pools ran.

What is printed
---------------
Instance: ``discounted_linear_mdp(S=200, A=5, d=20, gamma=0.99, seed=0)`` (1000 pairs).

For each budget N of generative samples (1e6 and 1e7; 1e6 with ``--quick``) and each learner
(LS-MDVI, VWLS-MDVI, default hyperparameters, seed 0): the wall time of ``run`` as the median
[min, max] over 3 repetitions (numba compiled and cached beforehand), the iterations K, the
samples per iteration, the design's support size, the samples spent, the final error of the
value estimate ``||V* - v_K||_inf`` and the exact sub-optimality of the output policy
``||V* - V^pi||_inf``. The exact evaluation of each new policy for the trace is included in
the time. Then, on ``variance_contrast_linear_mdp(gamma=0.99)`` with N = 1e6 and 8 seeds, the
mean squared value error of both learners and their ratio (the samples LS-MDVI needs over
VWLS-MDVI's for the same error).
"""

from __future__ import annotations

import numpy as np
from _timing import command_line, repeat_timed

from algorithms.generative import LSMDVI, VWLSMDVI
from instances.discounted_linear import discounted_linear_mdp, variance_contrast_linear_mdp


def main(argv: list[str] | None = None) -> None:
    args = command_line(__doc__, "one budget, one repetition", argv)
    budgets = (10**6,) if args.quick else (10**6, 10**7)
    repeats = 1 if args.quick else 3
    model = discounted_linear_mdp(S=200, A=5, d=20, gamma=0.99, seed=0)
    print(f"instance: {model.name} ({model.mdp.S * model.mdp.A} pairs)")
    VWLSMDVI().run(variance_contrast_linear_mdp(0.9), 20_000, 0)  # compile / load the cache
    for budget in budgets:
        for learner in (LSMDVI(), VWLSMDVI()):
            spread, trace = repeat_timed(lambda lr=learner, n=budget: lr.run(model, n, 0), repeats)
            meta = trace.metadata
            print(
                f"N = {budget:.0e} {meta['learner']:>9}: {spread.format(unit='s')}; "
                f"K = {meta['K']}, samples per iteration {meta['per_iteration']}, design "
                f"points {meta['design_points']}, spent {meta['spent']}; "
                f"||V* - v_K|| = {trace.extras['value_error'][-1]:.3g}, "
                f"||V* - V^pi|| = {trace.gap[-1]:.3g}"
            )
    contrast = variance_contrast_linear_mdp(gamma=0.99)
    errors = {}
    for learner in (LSMDVI(), VWLSMDVI()):
        runs = [learner.run(contrast, 10**6, seed) for seed in range(8)]
        errors[type(learner).__name__] = np.mean([t.extras["value_error"][-1] ** 2 for t in runs])
    print(
        f"{contrast.name}, N = 1e6, 8 seeds: mean squared value error LS-MDVI "
        f"{errors['LSMDVI']:.3g}, VWLS-MDVI {errors['VWLSMDVI']:.3g}, ratio "
        f"{errors['LSMDVI'] / errors['VWLSMDVI']:.3g}"
    )


if __name__ == "__main__":
    main()
