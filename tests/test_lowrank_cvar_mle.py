"""Low-rank CVaR-UCB with features chosen by maximum likelihood: the EM oracle, the learner, its
check."""

import cvxpy as cp
import numpy as np
import pytest
from conftest import assert_quick_pass, cli_argv, property_settings
from hypothesis import given
from hypothesis import strategies as st

from algorithms.registry import make_learner
from algorithms.risk import LowRankCVaRMLE
from algorithms.risk.feature_selection import (
    check_simplex_features,
    em_steps,
    log_likelihood,
    select_features,
    uniform_mu,
)
from algorithms.risk.lowrank_cvar_mle import candidate_class
from instances.risk import latent_cvar_garnet, safe_vs_risky_route
from mdptheory.cli import main
from mdptheory.linear import LowRankMDP
from mdptheory.risk import static_cvar_optimum
from proofs_check import harness
from proofs_check.theorems.risk_lowrank_mle import late_regret


def _draw(seed: int, n_pairs: int = 5, d: int = 2, S: int = 4):
    rng = np.random.default_rng(seed)
    features = rng.dirichlet(np.ones(d), size=n_pairs)
    mu = rng.dirichlet(np.ones(S), size=d)
    counts = np.stack([rng.multinomial(30, features[n] @ mu) for n in range(n_pairs)]) * 1.0
    return counts, features


def test_em_with_one_hot_features_is_the_empirical_kernel_in_one_step():
    counts = np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    mu = uniform_mu(1, 2, 3)[0]
    em_steps(counts, np.eye(2), mu, 1, np.empty((2, 3)))
    np.testing.assert_allclose(mu, counts / counts.sum(axis=1, keepdims=True), atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_em_reaches_the_concave_program_optimum(seed):
    """Exact oracle: the maximum over mu (rows in the simplex) of sum N log phi . mu, solved by
    cvxpy, equals EM's log-likelihood after enough steps."""
    counts, features = _draw(seed)
    d, S = features.shape[1], counts.shape[1]
    mu_var = cp.Variable((d, S), nonneg=True)
    objective = cp.sum(cp.multiply(counts, cp.log(features @ mu_var)))
    problem = cp.Problem(cp.Maximize(objective), [cp.sum(mu_var, axis=1) == 1])
    problem.solve()
    mu = uniform_mu(1, d, S)[0]
    value = em_steps(counts, features, mu, 5000, np.empty((d, S)))
    assert value == pytest.approx(problem.value, abs=1e-4)
    assert value == pytest.approx(log_likelihood(counts, features, mu))


@property_settings(30)
@given(seed=st.integers(0, 10_000))
def test_em_never_lowers_the_likelihood_and_keeps_distributions(seed):
    counts, features = _draw(seed, n_pairs=6, d=3, S=5)
    mu = uniform_mu(1, 3, 5)[0]
    work = np.empty((3, 5))
    values = [em_steps(counts, features, mu, 1, work) for _ in range(20)]
    assert np.all(np.diff(values) >= -1e-6)  # the warm floor moves mu by at most 1e-6 a call
    np.testing.assert_allclose(mu.sum(axis=1), 1.0, atol=1e-12)
    assert mu.min() >= 0.0


def test_selection_prefers_the_features_that_generated_the_data():
    counts, truth = _draw(5, n_pairs=8, d=2, S=6)
    counts *= 20
    candidates, where = candidate_class(truth, 4, True, 3)
    scores = np.empty(4)
    chosen = select_features(counts, candidates, uniform_mu(4, 2, 6), 200, scores, np.empty((2, 6)))
    assert chosen == where and scores[where] == scores.max()


def test_a_transition_first_seen_late_can_still_gain_mass():
    """The warm floor: a zero left in mu by earlier data does not stay zero."""
    mu = np.array([[1.0, 0.0]])
    counts = np.array([[1.0, 1.0]])
    em_steps(counts, np.ones((1, 1)), mu, 3, np.empty((1, 2)))
    assert mu[0, 1] == pytest.approx(0.5, abs=1e-5)


def test_learner_identifies_the_truth_and_its_regret_is_exact():
    model = latent_cvar_garnet()
    learner = LowRankCVaRMLE(alpha=0.25, eta=0.25, c=0.03, n_candidates=4, class_seed=1)
    trace = learner.run(model, 2000, seed=3)
    truth = trace.metadata["true_candidate"]
    assert truth == 3 and np.all(trace.extras["chosen"][200:] == truth)
    optimum = static_cvar_optimum(model.tabular(), 0.25).value
    assert trace.metadata["optimal_value"] == optimum
    assert -1e-10 <= trace.pseudo_regret.min() and trace.pseudo_regret.max() <= optimum + 1e-10
    assert late_regret([trace], 2000)[0] == 0.0


def test_same_seed_same_trace_and_registry():
    learner = LowRankCVaRMLE(alpha=0.1, eta=0.5, c=0.01, n_candidates=3)
    a = learner.run(safe_vs_risky_route(), 100, seed=7)
    b = learner.run(safe_vs_risky_route(), 100, seed=7)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.extras["chosen"], b.extras["chosen"])
    assert make_learner("lowrank-cvar-mle", n_candidates="3") == LowRankCVaRMLE(n_candidates=3)
    assert LowRankCVaRMLE(include_truth=False).label.endswith("(misspecified)")


def test_bad_input_names_the_offending_value():
    with pytest.raises(ValueError, match=r"phi\[0\] sums to 1.1"):
        check_simplex_features(np.array([[0.5, 0.6]]), "phi")
    with pytest.raises(ValueError, match=r"phi\[0, 1\] is -0.5 < 0"):
        check_simplex_features(np.array([[1.5, -0.5]]), "phi")
    svd = LowRankMDP.from_tabular(safe_vs_risky_route())  # features from an SVD: not simplex
    with pytest.raises(ValueError, match="simplex features"):
        LowRankCVaRMLE(alpha=0.1, eta=0.5).run(svd, 10, 0)
    for kwargs, name in (
        ({"n_candidates": 0}, "n_candidates"),
        ({"include_truth": "yes"}, "include_truth"),
        ({"class_seed": -1}, "class_seed"),
        ({"em_iterations": 0}, "em_iterations"),
        ({"c": -1.0}, "c"),
    ):
        with pytest.raises(ValueError, match=name):
            LowRankCVaRMLE(**kwargs)


def test_runs_from_the_command_line(tmp_path, capsys):
    command = "run lowrank-cvar-mle latent_cvar_garnet --budget 60 --seeds 2 --no-progress"
    assert main(cli_argv(command, "--hp c=0.03", out=tmp_path)) == 0
    assert "final cumulative pseudo-regret" in capsys.readouterr().out


def test_check_passes_at_quick_scale_with_its_control_rejected():
    assert_quick_pass("zhao2024-lowrank-cvar-mle-identifies-features")
    assert harness.get("zhao2024-lowrank-cvar-mle-identifies-features").verified is False
