"""IPO and DPO by gradient (exact and sampled pairs), and Bradley–Terry MLE confidence sets."""

import numpy as np
import pytest
from conftest import cli_argv
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.preferences import DPO, IPO, confidence_set, fit_bradley_terry
from algorithms.registry import make_learner
from instances.preferences import (
    azar_three_action_bandit,
    bradley_terry_bandit,
    rock_paper_scissors_bandit,
)
from mdptheory.preferences import (
    PreferenceBandit,
    PreferenceDataset,
    dpo_finite_optimum,
    ipo_minimiser,
    sample_dataset,
)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6), K=st.integers(2, 5))
def test_ipo_exact_gradient_reaches_the_exact_minimiser(seed, K):
    bandit = bradley_terry_bandit(K=K, pairs=4 * K, seed=seed)
    taus = np.array([0.1, 1.0, 10.0])
    batch = IPO().run_batch(bandit, 3000, strengths=taus, record_every=3000)
    for i, tau in enumerate(taus):
        exact = ipo_minimiser(bandit.dataset, bandit.reference, tau)
        assert batch.gap[i, -1] < 1e-12
        if exact.unique:
            assert batch.extras["policy_error"][i, -1] < 1e-9


def test_batched_run_equals_single_runs():
    bandits = [bradley_terry_bandit(K=4, pairs=12, seed=s) for s in range(3)]
    batch = IPO(tau=0.5).run_batch(bandits, 200, record_every=10)
    for i, bandit in enumerate(bandits):
        single = IPO(tau=0.5).run(bandit, 200, record_every=10)
        np.testing.assert_array_equal(batch.trace(i).gap, single.gap)


def test_dpo_on_d1_sends_the_dispreferred_actions_to_zero_for_every_beta():
    bandit = azar_three_action_bandit()
    betas = np.array([0.1, 1.0, 10.0])
    batch = DPO().run_batch(bandit, 20_000, strengths=betas)
    min_prob = batch.extras["min_prob"]
    assert np.all(np.diff(min_prob, axis=1) <= 1e-15)  # monotone decrease
    assert np.all(batch.gap[:, -1] < 1e-3)  # the infimum is 0
    # With the step 1/M the implicit reward beta * rho follows the same path for every beta,
    # so pi(c) / pi(a) = exp(-z_t / beta): to 0 for every beta, slower for a larger beta.
    assert np.all(min_prob[:2, -1] < 1e-3) and min_prob[2, -1] < min_prob[2, 0]
    ipo = IPO().run_batch(bandit, 2000, strengths=betas)
    exact = [ipo_minimiser(bandit.dataset, bandit.reference, t).policy.min() for t in betas]
    np.testing.assert_allclose(ipo.extras["min_prob"][:, -1], exact, rtol=1e-9)
    assert np.all(min_prob[:, -1] < np.array(exact))


def test_dpo_reaches_its_finite_minimiser_when_the_win_graph_is_strongly_connected():
    data = PreferenceDataset.from_counts([[0, 3, 1], [1, 0, 2], [2, 1, 0]])
    bandit = PreferenceBandit.bradley_terry([0.5, 0.0, -0.5], [0.2, 0.3, 0.5], dataset=data)
    trace = DPO(beta=0.7).run(bandit, 5000, record_every=5000)
    exact = dpo_finite_optimum(data, bandit.reference, 0.7)
    assert exact.attained
    assert trace.extras["policy_error"][-1] < 1e-9 and trace.gap[-1] < 1e-12


def test_sampled_pairs_are_reproducible_and_land_near_the_minimiser():
    bandit = bradley_terry_bandit(K=4, pairs=40, seed=5)
    learner = IPO(tau=0.1, batch=8, eta=0.002)
    a = learner.run_batch(bandit, 4000, seed=11, strengths=[0.1, 0.1])
    b = learner.run_batch(bandit, 4000, seed=11, strengths=[0.1, 0.1])
    np.testing.assert_array_equal(a.gap, b.gap)
    assert not np.array_equal(a.gap[0], a.gap[1])  # two trajectories, two keys
    c = learner.run_batch(bandit, 4000, seed=12, strengths=[0.1, 0.1])
    assert not np.array_equal(a.gap, c.gap)
    # constant-step SGD settles in a noise ball around the exact minimiser
    assert np.all(a.extras["policy_error"][:, -1] < a.initial["policy_error"] / 10)
    assert a.metadata["sampling"] == "8 pairs per step"


def test_learners_are_registered_and_read_command_line_strings():
    learner = make_learner("ipo", tau="0.5", batch="4")
    assert learner == IPO(tau=0.5, batch=4)
    assert make_learner("dpo", beta="2") == DPO(beta=2.0)


def test_run_command_learns_on_a_registered_preference_bandit(tmp_path, capsys):
    from mdptheory.cli import main

    code = main(
        cli_argv(
            "run ipo azar_three_action_bandit --budget 50 --seeds 2 --no-progress",
            "--hp tau=0.5",
            out=tmp_path,
        )
    )
    assert code == 0
    assert "ipo on azar_three_action_bandit" in capsys.readouterr().out
    assert list(tmp_path.glob("ipo__azar_three_action_bandit__*/curve.png"))


def test_bradley_terry_mle_recovers_the_parameter_and_its_sets_cover_it():
    rng = np.random.default_rng(0)
    phi = rng.uniform(-0.5, 0.5, (6, 2))
    theta = np.array([0.8, -0.5])
    bandit = PreferenceBandit.bradley_terry(phi @ theta)
    covered = {"self-normalised": 0, "wald": 0}
    for seed in range(40):
        data = sample_dataset(bandit.preferences, bandit.behaviour, 3000, seed)
        fit = fit_bradley_terry(phi, data)
        assert fit.gradient_norm < 1e-8
        for kind in covered:
            covered[kind] += confidence_set(fit, 0.1, bound=1.0, kind=kind).contains(theta)
    assert covered["self-normalised"] == 40
    assert covered["wald"] >= 30


def test_rock_paper_scissors_ipo_is_finite_and_dpo_may_diverge():
    bandit = rock_paper_scissors_bandit(pairs=30, seed=1)
    trace = IPO(tau=1.0).run(bandit, 2000, record_every=2000)
    assert trace.gap[-1] < 1e-12


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: IPO(tau=0.0), "tau must be a finite number > 0"),
        (lambda: DPO(beta=-1.0), "beta must be a finite number > 0"),
        (lambda: IPO(batch=0), "batch must be a positive int"),
        (lambda: IPO().run(PreferenceBandit.bradley_terry([1.0, 0.0]), 10), "has no dataset"),
        (lambda: IPO().run(np.array([1.0, 0.0]), 10), "expected a PreferenceBandit"),
        (lambda: IPO().run([azar_three_action_bandit(), 3], 10), "model 1 is a int"),
        (
            lambda: IPO().run_batch(azar_three_action_bandit(), 10, strengths=[1.0, -1.0]),
            r"tau\[1\] is -1.0",
        ),
        (lambda: IPO().run(azar_three_action_bandit(), 0), "budget"),
        (
            lambda: fit_bradley_terry(np.eye(2), [[0, 1, 0], [0, 0, 1], [1, 0, 0]]),
            "features have 2 rows, the dataset has 3",
        ),
    ],
)
def test_bad_input_is_refused_with_its_name(build, message):
    with pytest.raises(ValueError, match=message):
        build()
