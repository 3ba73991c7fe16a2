"""Preference bandits: validation, datasets, and the exact IPO / DPO / RLHF optima."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import expit, softmax

from mdptheory.preferences import (
    PreferenceBandit,
    PreferenceDataset,
    dpo_finite_optimum,
    dpo_loss,
    dpo_optimum,
    dpo_population_optimum,
    ipo_loss,
    ipo_minimiser,
    psipo_objective,
    psipo_optimum,
    rlhf_optimum,
    sample_dataset,
)

D1 = PreferenceDataset([0, 1, 0], [1, 2, 2], 3)  # Azar et al. Sec. 5: a > b > c, once each


def balanced_dataset(rng, K, n):
    """Every ordered pair (i < j) compared n times, with random outcomes."""
    winners, losers = [], []
    for i in range(K):
        for j in range(i + 1, K):
            wins = rng.integers(0, n + 1)
            winners += [i] * wins + [j] * (n - wins)
            losers += [j] * wins + [i] * (n - wins)
    return PreferenceDataset(winners, losers, K)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10**6), K=st.integers(2, 6), n=st.integers(1, 5), tau=st.floats(0.05, 5.0)
)
def test_ipo_minimiser_equals_the_closed_form_on_a_balanced_design(seed, K, n, tau):
    # Oracle (Azar et al.): complete balanced design, uniform mu:
    # pi ∝ pi_ref exp(p_hat(y > mu) / tau) with p_hat(y > y) = 1/2.
    rng = np.random.default_rng(seed)
    data = balanced_dataset(rng, K, n)
    ref = rng.dirichlet(np.ones(K))
    closed = psipo_optimum(data.empirical_preferences(), np.full(K, 1 / K), ref, tau)
    np.testing.assert_allclose(ipo_minimiser(data, ref, tau).policy, closed, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10**6), K=st.integers(2, 6), n=st.integers(1, 12), tau=st.floats(0.05, 5.0)
)
def test_ipo_minimiser_is_the_least_squares_minimum(seed, K, n, tau):
    # Defining invariant: no policy has a smaller loss (brute-force search in logit space).
    rng = np.random.default_rng(seed)
    data = PreferenceDataset.from_counts(
        np.where(np.eye(K, dtype=bool), 0, rng.integers(0, 3, (K, K))) + _ring(K)
    )
    ref = rng.dirichlet(np.ones(K))
    sol = ipo_minimiser(data, ref, tau)
    assert sol.residual < 1e-10 and sol.unique

    def loss(theta):
        return ipo_loss(softmax(theta), data, ref, tau)

    best = minimize(loss, np.log(ref), method="BFGS", options={"gtol": 1e-12})
    assert sol.loss <= best.fun + 1e-9
    assert abs(sol.loss - ipo_loss(sol.policy, data, ref, tau)) < 1e-10
    # tau-controlled distance: rho scales as 1/tau exactly
    sol2 = ipo_minimiser(data, ref, 2 * tau)
    np.testing.assert_allclose(sol2.log_ratio, sol.log_ratio / 2, atol=1e-12)
    assert sol.distance_from_reference() <= 2 * np.max(np.abs(sol.log_ratio)) + 1e-12


def _ring(K):
    """One comparison i > i+1 (mod K): keeps the comparison graph connected."""
    ring = np.zeros((K, K), dtype=int)
    ring[np.arange(K), (np.arange(K) + 1) % K] = 1
    return ring


def test_ipo_on_d1_stays_near_reference_and_dpo_goes_to_the_boundary():
    ref = np.full(3, 1 / 3)
    for beta in (0.01, 0.1, 1.0, 10.0, 100.0):
        dpo = dpo_finite_optimum(D1, ref, beta)
        assert not dpo.attained and dpo.policy is None
        assert dpo.vanishing.tolist() == [False, True, True]
        np.testing.assert_array_equal(dpo.limit_policy, [1.0, 0.0, 0.0])
        assert dpo.infimum == 0.0
    far = ipo_minimiser(D1, ref, tau=100.0)
    assert far.distance_from_reference() < 0.01
    near = ipo_minimiser(D1, ref, tau=0.01)
    assert near.policy[0] > 0.999  # greedy only as tau -> 0


def test_dpo_attained_minimiser_matches_a_generic_optimiser():
    data = PreferenceDataset.from_counts([[0, 3, 1], [1, 0, 2], [2, 1, 0]])
    ref = np.array([0.2, 0.3, 0.5])
    sol = dpo_finite_optimum(data, ref, beta=0.7)
    assert sol.attained and sol.gradient_norm < 1e-12
    best = minimize(
        lambda th: dpo_loss(softmax(th), data, ref, 0.7),
        np.log(ref),
        method="BFGS",
        options={"gtol": 1e-12},
    )
    np.testing.assert_allclose(sol.policy, softmax(best.x), atol=1e-6)
    assert abs(sol.infimum - best.fun) < 1e-10
    # beta rho is the Bradley–Terry fit: logit p_hat on a pair with a tree of comparisons
    tree = PreferenceDataset.from_counts([[0, 3, 0], [1, 0, 2], [0, 1, 0]])
    fit = dpo_finite_optimum(tree, ref, beta=2.0)
    p_hat = tree.empirical_preferences()
    rho = fit.log_ratio
    np.testing.assert_allclose(expit(2.0 * (rho[0] - rho[1])), p_hat[0, 1], atol=1e-12)
    np.testing.assert_allclose(expit(2.0 * (rho[1] - rho[2])), p_hat[1, 2], atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), K=st.integers(2, 5), beta=st.floats(0.1, 5.0))
def test_dpo_population_optimum_is_the_rlhf_optimum_under_bradley_terry(seed, K, beta):
    rng = np.random.default_rng(seed)
    r = rng.normal(size=K)
    bandit = PreferenceBandit.bradley_terry(
        r, reference=rng.dirichlet(np.ones(K)), behaviour=rng.dirichlet(np.ones(K))
    )
    sol = dpo_population_optimum(bandit, beta)
    np.testing.assert_allclose(sol.policy, rlhf_optimum(r, bandit.reference, beta), atol=1e-10)
    # and the PsiPO optimum with Psi = logit (it maximises the PsiPO objective)
    psi = psipo_optimum(bandit.preferences, bandit.behaviour, bandit.reference, beta, "logit")
    np.testing.assert_allclose(psi, sol.policy, atol=1e-10)
    value = psipo_objective(
        psi, bandit.preferences, bandit.behaviour, bandit.reference, beta, "logit"
    )
    other = rng.dirichlet(np.ones(K))
    assert (
        value
        >= psipo_objective(
            other, bandit.preferences, bandit.behaviour, bandit.reference, beta, "logit"
        )
        - 1e-12
    )


def test_dpo_population_optimum_with_deterministic_preferences_is_at_the_boundary():
    P = np.array([[0.5, 1.0, 1.0], [0.0, 0.5, 1.0], [0.0, 0.0, 0.5]])
    sol = dpo_population_optimum(PreferenceBandit(P), beta=5.0)
    assert not sol.attained
    np.testing.assert_array_equal(sol.limit_policy, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"preferences\[0, 1\] is 1.0: Psi = logit"):
        psipo_optimum(P, np.full(3, 1 / 3), np.full(3, 1 / 3), 1.0, "logit")


def test_non_transitive_preferences_give_the_uniform_ipo_optimum():
    # rock-paper-scissors: p(y > mu) = 1/2 for every y under a uniform mu
    P = np.array([[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]])
    bandit = PreferenceBandit(P, reference=[0.5, 0.3, 0.2])
    np.testing.assert_allclose(
        psipo_optimum(P, bandit.behaviour, bandit.reference, 0.3), bandit.reference, atol=1e-15
    )
    assert bandit.is_deterministic


def test_sample_dataset_is_reproducible_and_follows_the_preferences():
    bandit = PreferenceBandit.bradley_terry([1.0, 0.0, -1.0])
    a = sample_dataset(bandit.preferences, bandit.behaviour, 4000, seed=3)
    b = sample_dataset(bandit.preferences, bandit.behaviour, 4000, seed=3)
    np.testing.assert_array_equal(a.winners, b.winners)
    np.testing.assert_array_equal(a.losers, b.losers)
    p_hat = a.empirical_preferences()
    assert abs(p_hat[0, 2] - expit(2.0)) < 0.05
    assert not np.array_equal(
        sample_dataset(bandit.preferences, bandit.behaviour, 4000, seed=4).winners, a.winners
    )


def test_uncompared_actions_keep_their_reference_log_ratio():
    data = PreferenceDataset([0], [1], 4)  # actions 2 and 3 never compared
    sol = ipo_minimiser(data, np.full(4, 0.25), tau=1.0)
    assert not sol.unique
    np.testing.assert_allclose(sol.log_ratio, [0.25, -0.25, 0.0, 0.0])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PreferenceBandit([[0.5, 1.2], [-0.2, 0.5]]), r"preferences\[0, 1\] is 1.2"),
        (lambda: PreferenceBandit([[0.5, 0.9], [0.2, 0.5]]), r"preferences\[0, 1\] \+ "),
        (
            lambda: PreferenceBandit([[0.5, 0.5], [0.5, 0.5]], reference=[1.0, 0.0]),
            r"reference\[1\] is 0.0",
        ),
        (
            lambda: PreferenceBandit([[0.5, 0.5], [0.5, 0.5]], behaviour=[0.7, 0.7]),
            r"behaviour\[:\] sums to 1.4",
        ),
        (lambda: PreferenceBandit([[0.5]]), "K >= 2"),
        (lambda: PreferenceBandit([[0.5, 0.5], [0.5, 0.5]], dataset=D1), "dataset has 3 actions"),
        (lambda: PreferenceDataset([0, 3], [1, 0], 3), r"winners\[1\] is 3"),
        (lambda: PreferenceDataset([0, 1], [1, 1], 3), "pair 1 compares action 1 with itself"),
        (lambda: PreferenceDataset([], [], 3), "at least one pair"),
        (lambda: PreferenceDataset.from_counts([[0, 1.5], [0, 0]]), r"counts\[0, 1\] is 1.5"),
        (lambda: ipo_minimiser(D1, [0.5, 0.5, 0.0], 1.0), r"reference\[2\] is 0.0"),
        (lambda: ipo_minimiser(D1, np.full(3, 1 / 3), 0.0), "tau must lie in"),
        (lambda: dpo_optimum([[0, -1], [0, 0]], [0.5, 0.5], 1.0), r"counts\[0, 1\] is -1.0"),
        (lambda: sample_dataset([[0.5, 0.5], [0.5, 0.5]], [1.0, 0.0], 3), "on one action"),
        (lambda: rlhf_optimum([1.0, 0.0], [0.5, 0.5], beta=-1.0), "beta must lie in"),
    ],
)
def test_bad_input_names_the_offending_index_and_value(build, message):
    with pytest.raises(ValueError, match=message):
        build()
