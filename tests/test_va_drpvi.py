"""VA-DRPVI: equal to DRPVI when the variances are a constant (unit variances exactly),
estimated variances within their clip, the infinite-data limit, reproducibility, bad input,
and its check with the control rejected and its mutant."""

import doctest
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import assert_quick_pass, property_settings
from hypothesis import given
from hypothesis import strategies as st

import algorithms.offline.robust.va_drpvi as va_module
from algorithms.offline import DRPVI, VADRPVI, collect, population_counts
from algorithms.offline.vw_pevi.variance import split_counts
from algorithms.registry import make_learner
from instances.linear import simplex_feature_linear_mdp
from mdptheory.robust import d_rectangular_solve
from proofs_check import harness
from proofs_check.mutants import get_mutant, probe_changes
from proofs_check.theorems import robust_va_drpvi as check_module

CHECK = "liu2024-va-drpvi-below-drpvi-heteroscedastic"


@dataclass(frozen=True)
class ConstantVariance(VADRPVI):
    """VA-DRPVI with every variance replaced by ``level`` (a test double)."""

    level: float = 1.0

    def transform_variance(self, sigma2, H):
        return np.full_like(sigma2, self.level)


def _model(seed, H=3):
    return simplex_feature_linear_mdp(S=5, A=2, H=H, d=3, seed=seed)


def _same(a, b, tol):
    for name in ("Q_hat", "V_hat", "estimate", "penalty", "factor_estimates"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=tol)
    assert np.array_equal(a.policy, b.policy)
    assert a.suboptimality == b.suboptimality


def test_doctests():
    assert doctest.testmod(va_module).failed == 0


# --- exact oracle: unit variances give DRPVI ---------------------------------------------


@pytest.mark.parametrize("kind", ["tv", "kl", "chi2"])
def test_unit_variances_equal_drpvi(kind):
    model = _model(0)
    data = collect(model, "uniform", 400, seed=1)
    c = 0.05
    drpvi = DRPVI(radius=0.2, divergence=kind, c=c)
    unit = ConstantVariance(radius=0.2, divergence=kind, c=c * model.H, split="none")
    _same(unit.fit(model, data), drpvi.fit(model, data), 1e-12)
    # with the split, it is DRPVI on the even episodes
    half = ConstantVariance(radius=0.2, divergence=kind, c=c * model.H)
    even, _ = split_counts(data, "alternate")
    _same(half.fit(model, data), drpvi.fit(model, even), 1e-12)


@given(seed=st.integers(0, 2**20), level=st.floats(1.0, 100.0), lam=st.floats(0.1, 5.0))
@property_settings(15)
def test_constant_variance_is_drpvi_with_rescaled_ridge_and_beta(seed, level, lam):
    # Lambda_w = (Lambda + level lam_w I) / level: with lam_w = lam / level the estimates are
    # DRPVI's and every width grows by sqrt(level), which c / sqrt(level) undoes
    model = _model(seed % 50)
    data = collect(model, "uniform", 60, seed=seed)
    c = 0.05
    drpvi = DRPVI(radius=0.3, c=c, lam=lam)
    va = ConstantVariance(
        radius=0.3, c=c * model.H / np.sqrt(level), lam=lam / level, split="none", level=level
    )
    a, b = va.fit(model, data), drpvi.fit(model, data)
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.penalty, b.penalty, rtol=1e-9, atol=1e-9)


# --- invariants ------------------------------------------------------------------------------


@given(seed=st.integers(0, 2**20), n=st.integers(2, 200), floor=st.floats(0.1, 2.0))
@property_settings(25)
def test_estimated_variances_lie_in_their_clip_and_q_in_its_range(seed, n, floor):
    model = _model(seed % 50, H=4)
    data = collect(model, "uniform", n, seed=seed)
    learner = VADRPVI(radius=0.2, c=0.05, floor=floor)
    _, sigma2 = learner.variances(model, data)
    H = model.H
    for h in range(H):
        assert sigma2[h].min() >= floor
        assert sigma2[h].max() <= max(floor, float(H - h) ** 2) + 1e-12
    result = learner.fit(model, data)
    assert result.penalty.min() >= 0.0
    for h in range(H):
        assert 0.0 <= result.Q_hat[h].min() and result.Q_hat[h].max() <= H - h
    assert result.suboptimality >= -1e-12


def test_population_moments_give_the_robust_optimum():
    model = _model(3)
    learner = VADRPVI(radius=0.2, c=0.0)
    result = learner.fit(model, population_counts(model, "uniform", 1e12))
    best = d_rectangular_solve(model, learner.uncertainty).value
    assert abs(result.estimated_value - best) < 1e-6
    assert result.suboptimality <= 1e-9


# --- reproducibility and registry ----------------------------------------------------------


def test_registered_and_reproducible():
    model = _model(1)
    learner = make_learner("va-drpvi", radius="0.2", c="0.05")
    assert isinstance(learner, VADRPVI)
    first = learner.run(model, 40, seed=3)
    again = make_learner("va-drpvi", radius="0.2", c="0.05").run(model, 40, seed=3)
    assert np.array_equal(first.gap, again.gap)
    data = collect(model, "uniform", 100, seed=4)
    a, b = learner.fit(model, data), learner.fit(model, data)
    assert np.array_equal(a.Q_hat, b.Q_hat)


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_names_the_value():
    with pytest.raises(ValueError, match="split"):
        VADRPVI(split="odd")
    with pytest.raises(ValueError, match="floor"):
        VADRPVI(floor=0.0)
    with pytest.raises(ValueError, match="pilot_c"):
        VADRPVI(pilot_c=-1.0)
    with pytest.raises(ValueError, match="radius"):
        VADRPVI(radius=-0.1)
    with pytest.raises(ValueError, match="divergence"):
        VADRPVI(divergence="hellinger")
    model = _model(0)
    other = simplex_feature_linear_mdp(S=4, A=2, H=3, d=3, seed=0)
    with pytest.raises(ValueError, match=r"\(S, A, H\)"):
        VADRPVI().fit(model, collect(other, "uniform", 10, seed=0))


# --- the check, its control and its mutant ---------------------------------------------------


def test_below_criterion_on_planted_curves():
    rng = np.random.default_rng(0)
    base = np.linspace(0.3, 0.01, len(check_module.N_GRID))[None, :] + rng.normal(
        0.0, 0.005, (12, len(check_module.N_GRID))
    )
    assert check_module.below_criterion(base, base - 0.05, "better").status == "pass"
    assert check_module.below_criterion(base, base + 0.05, "worse").status == "fail"
    flat = np.full_like(base, 0.005)
    assert check_module.below_criterion(base, flat, "flat").status != "pass"


@pytest.mark.slow
def test_check_passes_and_rejects_its_control():
    assert_quick_pass(CHECK)
    theorem = harness.get(CHECK)
    assert theorem.module == "proofs_check.theorems.robust_va_drpvi" and not theorem.verified
    assert "va-drpvi" in theorem.tags and theorem.rule


def test_multiplied_weights_mutant_changes_its_target():
    mutant = get_mutant("va-drpvi-multiplied-weights")
    changed, what = probe_changes(mutant.patches[0], mutant.id)
    assert changed, what
