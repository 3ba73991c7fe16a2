"""An exact check of the curvature floor of the Bradley–Terry confidence set.

* ``bradley-terry-curvature-floor`` (exact): the ``kappa`` of
  :func:`algorithms.preferences.bt_mle.curvature_floor` lower-bounds ``sigma'(x_ij^T theta)`` for
  every compared pair and every ``theta`` on the segment from ``theta*`` to ``theta_hat`` (the
  mean-value step of the confidence-set proof), on random designs fitted by the library's own
  ``fit_bradley_terry``, and equals the minimum of ``sigma'`` over the interval ``|z| <= |x_ij|
  max(B, |theta_hat|)`` it claims, both computed here by brute force. Controls: the naive floor
  1/4 (the curvature at 0) and the curvature at ``theta_hat`` alone, judged by the same validity
  criterion.

The coverage check ``bradley-terry-mle-coverage`` cannot see a floor that is too large while
the set still covers ``theta*``; this check judges the floor itself.
"""

from __future__ import annotations

import numpy as np

from algorithms.preferences import fit_bradley_terry
from algorithms.preferences.bt_mle import curvature_floor
from mdptheory.preferences import PreferenceBandit, sample_dataset
from mdptheory.seeding import spawn_seeds
from proofs_check.findings import Findings, rejected_by_every_part
from proofs_check.harness import Outcome, Verdict, check_scale, theorem

CURVATURE_RTOL = 1e-12
"""Relative tolerance of both exact parts (validity and equality)."""
CURVATURE_PLAN = {"quick": ((10, 100, 1_000), 8), "full": ((10, 100, 1_000, 10_000), 64)}
"""Numbers of pairs n and random designs per n."""
SEGMENT_POINTS = 1001
"""Grid points in t in [0, 1] along the segment from theta* to theta_hat."""
BALL_POINTS = 201
"""Grid points in z in [-r, r] (endpoints included) for the minimum over the claimed interval."""
DIMS, ACTIONS, BOUNDS, LAMBDAS = (2, 3, 5), (4, 8, 16), (0.5, 1.0, 2.0, 4.0), (0.01, 1.0)
"""The menus a design draws d, K, B and lam from."""


def sigma_prime(z: np.ndarray) -> np.ndarray:
    """``sigma'(z) = 1 / (2 + 2 cosh z)``: the same number as ``sigma(z) sigma(-z)`` written
    without the logistic function, so the check does not reuse the library's expression."""
    return 1.0 / (2.0 + 2.0 * np.cosh(z))


def segment_minimum(X: np.ndarray, theta_star: np.ndarray, theta_hat: np.ndarray) -> float:
    """``min over rows x of X and t in [0, 1] of sigma'(x^T (theta* + t (theta_hat - theta*)))``:
    the smaller of a dense grid in t and the analytic minimiser. ``z(t)`` is affine in t and
    ``sigma'`` decreases in ``|z|``, so the minimum over t sits at the endpoint with the larger
    ``|z|``; the grid is an independent confirmation."""
    z0, z1 = X @ theta_star, X @ theta_hat
    t = np.linspace(0.0, 1.0, SEGMENT_POINTS)
    grid = float(np.min(sigma_prime(z0[:, None] + t[None, :] * (z1 - z0)[:, None])))
    analytic = float(np.min(sigma_prime(np.maximum(np.abs(z0), np.abs(z1)))))
    return min(grid, analytic)


def ball_minimum(X: np.ndarray, theta_hat: np.ndarray, bound: float) -> float:
    """``min over rows x of X and |z| <= |x| max(B, |theta_hat|) of sigma'(z)`` on a grid of
    :data:`BALL_POINTS` points of each interval, its endpoints included."""
    reach = max(bound, float(np.sqrt(np.sum(theta_hat * theta_hat))))
    r = np.sqrt(np.sum(X * X, axis=1)) * reach
    u = np.linspace(-1.0, 1.0, BALL_POINTS)
    return float(np.min(sigma_prime(r[:, None] * u[None, :])))


def floor_below_segment(label: str, kappas: np.ndarray, segment_mins: np.ndarray) -> Verdict:
    """Validity: ``kappa <= (1 + 1e-12) min_segment sigma'`` in every design."""
    ratio = kappas / segment_mins
    bad = int(np.sum(ratio > 1.0 + CURVATURE_RTOL))
    return Verdict.passed_if(
        bad == 0,
        f"{label}: max kappa / (segment minimum of sigma') = {float(ratio.max()):.6g} over "
        f"{ratio.size} designs, {bad} above 1 + {CURVATURE_RTOL:g}",
    )


def floor_equals_ball(label: str, kappas: np.ndarray, ball_mins: np.ndarray) -> Verdict:
    """Equality: ``|kappa - min_ball sigma'| <= 1e-12 min_ball sigma'`` in every design."""
    error = np.abs(kappas - ball_mins) / ball_mins
    bad = int(np.sum(error > CURVATURE_RTOL))
    return Verdict.passed_if(
        bad == 0,
        f"{label}: max |kappa - min of sigma' over |z| <= |x| max(B, |theta_hat|)| / min = "
        f"{float(error.max()):.3g} over {error.size} designs, {bad} above {CURVATURE_RTOL:g}",
    )


def random_design(n: int, seed) -> tuple[np.ndarray, np.ndarray, float, float, object]:
    """A random design from ``seed``: d, K, B, lam from the menus; features ``phi`` with
    directions uniform on the sphere and norms uniform in [0.1, 1]; ``theta*`` with a uniform
    direction and norm ``B u``, u uniform in [0, 1]; n pairs from uniform mu under
    Bradley–Terry with rewards ``phi theta*``. Returns ``(phi, theta*, B, lam, data)``."""
    data_seed, rng_seed = spawn_seeds(seed, 2)
    rng = np.random.default_rng(rng_seed)
    d, K = int(rng.choice(DIMS)), int(rng.choice(ACTIONS))
    B, lam = float(rng.choice(BOUNDS)), float(rng.choice(LAMBDAS))
    phi = rng.standard_normal((K, d))
    phi *= (rng.uniform(0.1, 1.0, K) / np.linalg.norm(phi, axis=1))[:, None]
    theta = rng.standard_normal(d)
    theta *= B * rng.uniform(0.0, 1.0) / np.linalg.norm(theta)
    bandit = PreferenceBandit.bradley_terry(phi @ theta)
    data = sample_dataset(bandit.preferences, np.full(K, 1.0 / K), n, data_seed)
    return phi, theta, B, lam, data


@theorem(
    id="bradley-terry-curvature-floor",
    paper="Li, Lu, Zhou (ICML 2017) and Zhu, Jordan, Jiao (ICML 2023), Lemma 3.1: the "
    "mean-value step of the Bradley-Terry (logistic) MLE confidence set",
    tags=("preferences", "bradley-terry", "confidence-set", "exact"),
    kind="exact",
    verified=False,
)
def bt_curvature_floor(scale: str, seed: int) -> Outcome:
    """For 8 (full: 64) random designs at each n in {{10, 100, 1000}} (full: also 10000) pairs (d
    in {{2, 3, 5}}, K in {{4, 8, 16}}, B in {{0.5, 1, 2, 4}}, lam in {{0.01, 1}}, features of norm
    in [0.1, 1], |theta*| <= B, data simulated under Bradley-Terry and fitted by
    fit_bradley_terry), the floor kappa = min over compared pairs of sigma'(|x_ij| max(B,
    |theta_hat|)) of curvature_floor satisfies kappa <= sigma'(x_ij^T (theta* + t (theta_hat -
    theta*))) for every compared pair and t in [0, 1] (brute force: a 1001-point grid in t and the
    endpoint with the larger |z|), and kappa equals the minimum of sigma'(z) over |z| <= |x_ij|
    max(B, |theta_hat|) (a 201-point grid per pair, endpoints included), both to a relative
    1e-12. Controls: kappa = 1/4 (the curvature at 0, ignoring the reach) and kappa = min over
    pairs of sigma'(x_ij^T theta_hat) (the curvature at theta_hat alone) must be rejected by the
    validity criterion.

    Formula
    -------
    kappa = min_ij sigma'(|x_ij| max(B, |theta_hat|)) <= min_ij min_(t in [0, 1]) sigma'(x_ij^T
    (theta* + t (theta_hat - theta*))) when |theta*| <= B

    Rule
    ----
    Relative tolerance 1e-12 on both parts; the grids (1001 points in t, 201 in z), the menus of
    d, K, B, lam, the n grid and the design counts fixed in code before any run; sigma' computed
    here as 1 / (2 + 2 cosh z), not through the library's expression.

    Source
    ------
    The mean-value step (alpha_ij >= kappa along the segment, so M >= kappa V) as written out in
    the docstring of algorithms.preferences.bt_mle, from memory of Li et al. 2017 and Zhu et al.
    2023; not checked against the papers' text. That sigma' decreases in |z| and that |x^T
    theta| <= |x| |theta| are elementary.
    """
    sizes, per_size = CURVATURE_PLAN[check_scale(scale)]
    kappas, segment_mins, ball_mins, at_hat, beyond = [], [], [], [], []
    for n in sizes:
        for child in spawn_seeds(np.random.SeedSequence([seed, n]), per_size):
            phi, theta, B, lam, data = random_design(n, child)
            fit = fit_bradley_terry(phi, data, lam=lam)
            X = fit.differences
            kappas.append(curvature_floor(fit, B))
            segment_mins.append(segment_minimum(X, theta, fit.theta))
            ball_mins.append(ball_minimum(X, fit.theta, B))
            at_hat.append(float(np.min(sigma_prime(X @ fit.theta))))
            beyond.append(float(np.linalg.norm(fit.theta)) > B)
    kappa, seg, ball = np.array(kappas), np.array(segment_mins), np.array(ball_mins)
    found = Findings(
        arrays={
            "n": np.repeat(np.array(sizes), per_size),
            "kappa": kappa,
            "segment_minimum": seg,
            "ball_minimum": ball,
            "curvature_at_theta_hat": np.array(at_hat),
            "theta_hat_beyond_B": np.array(beyond),
        },
        fitted={
            "designs": float(kappa.size),
            "designs_theta_hat_beyond_B": float(np.sum(beyond)),
            "min_kappa": float(kappa.min()),
            "max_kappa": float(kappa.max()),
            "median_kappa_over_segment_minimum": float(np.median(kappa / seg)),
            "max_kappa_over_segment_minimum": float(np.max(kappa / seg)),
        },
    )
    found.judge(floor_below_segment("curvature_floor", kappa, seg))
    found.judge(floor_equals_ball("curvature_floor", kappa, ball))
    found.control(
        "naive floor 1/4 (curvature at 0)",
        rejected_by_every_part([floor_below_segment("1/4", np.full(kappa.shape, 0.25), seg)]),
    )
    found.control(
        "curvature at theta_hat alone",
        rejected_by_every_part(
            [floor_below_segment("sigma'(x^T theta_hat)", np.array(at_hat), seg)]
        ),
    )
    found.curve("curvature_floor", seg, kappa, style="points")
    found.curve("curvature at theta_hat", seg, np.array(at_hat), style="points")
    edge = np.array([float(seg.min()), 0.25])
    found.line("kappa = segment minimum", edge, edge, role="bound")
    return found.outcome(
        xlabel="min of sigma' over compared pairs and the segment theta* -> theta_hat",
        ylabel="floor kappa",
        xscale="log",
        yscale="log",
        title="Bradley-Terry curvature floor",
    )
