"""VWLS-MDVI: exact on exact samples, its variance estimate, the weighted design and the
apportioned counts, reproducibility, bad input, and the pay-off of the weighting."""

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.generative import LSMDVI, VWLSMDVI
from algorithms.generative._mdvi import apportion, design_for
from algorithms.registry import make_learner
from instances.discounted_linear import discounted_linear_mdp, variance_contrast_linear_mdp
from instances.feature_failures import FeatureClassMDP
from mdptheory.planning import solve
from mdptheory.tabular import FiniteMDP


def _deterministic_linear(S=6, A=3, gamma=0.85, seed=1) -> FeatureClassMDP:
    """phi(s, a) = e_{next(s, a)}: a linear MDP (d = S) whose draws are exact."""
    rng = np.random.default_rng(seed)
    nxt = rng.integers(0, S, size=(S, A))
    phi = np.eye(S)[nxt]
    mdp = FiniteMDP(np.eye(S)[nxt], phi @ rng.random(S), gamma=gamma)
    return FeatureClassMDP(mdp, phi, np.zeros(S), "deterministic linear")


def test_exact_samples_give_zero_variance_and_v_star():
    model = _deterministic_linear()
    trace = VWLSMDVI(iterations=1000).run(model, budget=3 * 10**5, seed=0)
    H = 1 / (1 - 0.85)
    assert np.all(trace.extras["sigma2_hat"] < 1e-9)  # rounding of the two regressions
    np.testing.assert_allclose(trace.extras["weight_f"], np.sqrt(H))
    assert trace.extras["value_error"][-1] < 1e-8 and trace.gap[-1] == 0.0
    assert trace.metadata["final_policy"] == solve(model.mdp).policy.tolist()


def test_variance_estimate_matches_the_variance_of_v_star():
    model = variance_contrast_linear_mdp(gamma=0.9)
    v = solve(model.mdp).values
    P = model.mdp.P.reshape(-1, 3)
    exact = P @ v**2 - (P @ v) ** 2  # corners at M: 0, H^2/16, 0.0225 H^2, 0.16 H^2
    trace = VWLSMDVI().run(model, budget=400_000, seed=3)
    np.testing.assert_allclose(trace.extras["sigma2_hat"], exact, atol=0.02 * 10**2)
    assert exact[3] > 10  # above the floor H = 10: this weight differs from the others


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    d=st.integers(2, 5),
    n=st.integers(30, 5000),
)
def test_weighted_design_and_apportioned_counts(seed, d, n):
    # weighted Kiefer-Wolfowitz: every ||phi_y||^2_{Lambda^-1} / f_y^2 <= (1 + 0.01) d
    model = discounted_linear_mdp(S=6, A=3, d=d, seed=seed)
    phi = model.phi.reshape(-1, d)
    f = np.random.default_rng(seed).uniform(0.1, 10.0, phi.shape[0])
    design = design_for(phi, f)
    Lambda = (phi * (design.weights / f**2)[:, None]).T @ phi
    norms = np.einsum("ij,ji->i", phi, np.linalg.solve(Lambda, phi.T)) / f**2
    assert norms.max() <= 1.01 * d * (1 + 1e-9)
    u = design.support.size
    if n < u:
        with pytest.raises(ValueError, match="fewer than"):
            apportion(design, n, "x")
        return
    counts = apportion(design, n, "x")
    assert counts.sum() == n and counts.min() >= 1
    share = 1 + design.weights[design.support] * (n - u)
    assert np.all(np.abs(counts - share) < 1)


def test_same_seed_same_trace():
    model = variance_contrast_linear_mdp(gamma=0.8)
    a = VWLSMDVI().run(model, budget=50_000, seed=5)
    b = VWLSMDVI().run(model, budget=50_000, seed=5)
    c = VWLSMDVI().run(model, budget=50_000, seed=6)
    assert np.array_equal(a.extras["value_error"], b.extras["value_error"])
    assert np.array_equal(a.extras["sigma2_hat"], b.extras["sigma2_hat"])
    assert not np.array_equal(a.extras["value_error"], c.extras["value_error"])
    # the positions depend on the budget only, so seeds can be averaged
    assert np.array_equal(a.extras["iteration"], c.extras["iteration"])
    assert a.extras["iteration"][-1] <= 50_000


def test_weighting_pays_on_the_variance_contrast_instance():
    # gamma = 0.95: three corners' variances exceed the floor H = 20; least squares without
    # weights carries them into the deterministic corner that the optimal policy uses
    model = variance_contrast_linear_mdp(gamma=0.95)
    errors = {}
    for learner in (LSMDVI(), VWLSMDVI()):
        runs = [learner.run(model, budget=200_000, seed=s) for s in range(4)]
        errors[type(learner).__name__] = np.mean([t.extras["value_error"][-1] ** 2 for t in runs])
    assert errors["VWLSMDVI"] * 10 < errors["LSMDVI"]


def test_registered():
    learner = make_learner("vwls-mdvi", variance_floor="1.5", first_share="0.2")
    assert learner.variance_floor == 1.5 and learner.first_share == 0.2


test_bad_hyperparameters = refusal_test(
    VWLSMDVI,
    [
        ({"first_share": 0.0}, "first_share"),
        ({"variance_share": 1.0}, "variance_share"),
        ({"first_share": 0.6, "variance_share": 0.5}, "first_share \\+ variance_share"),
        ({"variance_floor": -1.0}, "variance_floor"),
        ({"alpha": 1.5}, "alpha"),
    ],
)


def test_budget_too_small_is_named():
    model = variance_contrast_linear_mdp(gamma=0.9)
    with pytest.raises(ValueError, match="VWLS-MDVI step 1 has .* fewer than"):
        VWLSMDVI().run(model, budget=500, seed=0)
