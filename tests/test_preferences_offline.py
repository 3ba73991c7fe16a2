"""Offline preference-based RL: trajectory distributions, concentrability, FREEHAND."""

import numpy as np
import pytest
from conftest import cli_argv
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.preferences import Freehand, collect_pairs, freehand
from instances.preferences import offline_preference_garnet
from instances.tabular import garnet
from mdptheory.evaluation import occupancy
from mdptheory.planning import backward_induction
from mdptheory.preferences import (
    OfflinePreferenceProblem,
    TrajectorySpace,
    deterministic_policies,
    per_trajectory_concentrability,
    policy_occupancies,
    preference_concentrability,
)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), S=st.integers(2, 3), A=st.integers(2, 3), H=st.integers(1, 3))
def test_trajectory_distribution_matches_the_occupancy_measure(seed, S, A, H):
    mdp = garnet(S=S, A=A, branching=2, H=H, seed=seed)
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    space = TrajectorySpace.of(mdp)
    d = space.probabilities(pi)
    assert abs(d.sum() - 1) < 1e-12
    np.testing.assert_allclose(
        (d @ space.features()).reshape(H, S, A), occupancy(mdp, pi), atol=1e-14
    )
    # deterministic policies: the vectorised forward pass against the library's occupancy
    policies = deterministic_policies(H, S, A)[:: max(1, A ** (H * S) // 7)]
    occ = policy_occupancies(mdp, policies)
    for p, o in zip(policies, occ, strict=True):
        np.testing.assert_allclose(o, occupancy(mdp, p), atol=1e-14)
    # the return of the optimal policy is V*
    best = backward_induction(mdp)
    R = np.broadcast_to(mdp.R, (H, S, A))
    value = space.probabilities(np.asarray(best.policy)) @ space.returns(R)
    assert abs(value - float(mdp.initial @ best.values[0])) < 1e-12


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_preference_concentrability_is_below_the_per_trajectory_one(seed):
    # C_r <= sqrt(C_tr) <= C_tr when mu_ref = mu_1 (Cauchy–Schwarz and a change of measure)
    rng = np.random.default_rng(seed)
    mdp = garnet(S=2, A=2, branching=2, H=2, seed=seed)
    space = TrajectorySpace.of(mdp)
    star = rng.normal(size=(2, 2, 2))
    G = np.concatenate([star[None], star[None] + rng.normal(size=(6, 2, 2, 2))])
    target, mu0, mu1 = (rng.dirichlet(np.ones(2), size=(2, 2)) for _ in range(3))
    c_r = preference_concentrability(space, star, G, target, mu1, mu0, mu1)
    c_tr = per_trajectory_concentrability(space, target, mu0)
    assert 0 <= c_r <= np.sqrt(c_tr) * (1 + 1e-12) and np.sqrt(c_tr) <= c_tr * (1 + 1e-12)
    # a member equal to theta* in every direction the data see only adds 0
    assert preference_concentrability(space, star, star[None], target, mu1, mu0, mu1) == 0.0


def test_coverage_decides_concentrability_and_suboptimality():
    full, partial = offline_preference_garnet("full"), offline_preference_garnet("partial")
    assert np.isfinite(full.concentrability()) and full.concentrability() > 0
    assert full.concentrability() <= np.sqrt(full.per_trajectory_concentrability())
    assert partial.concentrability() == np.inf
    assert partial.per_trajectory_concentrability() == np.inf
    zeta = Freehand().zeta(full)
    covered = freehand(full, collect_pairs(full, 5000, seed=1), zeta)
    assert covered.suboptimality == 0.0 and covered.mle == 0 and covered.confidence[0]
    uncovered = freehand(partial, collect_pairs(partial, 5000, seed=1), zeta)
    assert uncovered.suboptimality > 0.5 and uncovered.confidence[0]


def test_pairs_are_reproducible_and_labelled_by_the_true_reward():
    problem = offline_preference_garnet()
    a, b = collect_pairs(problem, 3000, seed=4), collect_pairs(problem, 3000, seed=4)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.phi0, b.phi0)
    assert not np.array_equal(collect_pairs(problem, 3000, seed=5).labels, a.labels)
    assert np.all(a.phi0.sum(axis=1) == problem.mdp.H)  # one (h, s, a) per stage
    star = problem.theta_star.reshape(-1)
    gap = a.phi1 @ star - a.phi0 @ star
    # labels agree with the sign of the reward gap more often than not, as the BT link says
    assert np.mean(a.labels[gap > 1] == 1) > 0.7


def test_run_traces_suboptimality_on_the_n_grid(tmp_path, capsys):
    trace = Freehand().run(offline_preference_garnet("partial"), 2000, seed=0)
    assert trace.gap.shape == trace.extras["n"].shape and trace.gap[-1] > 0.5
    from mdptheory.cli import main

    assert (
        main(
            cli_argv(
                "run freehand offline_preference_garnet --budget 100 --seeds 2",
                "--no-progress",
                out=tmp_path,
            )
        )
        == 0
    )
    assert "freehand on offline_preference_garnet" in capsys.readouterr().out


def _two_state_problem(**fields) -> OfflinePreferenceProblem:
    """A problem on a two-state garnet whose fields are valid but for those in ``fields``."""
    valid = {
        "theta_star": np.zeros((2, 2, 2)),
        "reward_class": np.zeros((1, 2, 2, 2)),
        "mu0": np.full((2, 2, 2), 0.5),
        "mu1": np.full((2, 2, 2), 0.5),
        "reference": np.full((2, 2, 2), 0.5),
        "target": np.zeros((2, 2), dtype=int),
    }
    return OfflinePreferenceProblem(garnet(S=2, A=2, branching=2, H=2), **{**valid, **fields})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: _two_state_problem(
                reward_class=np.ones((1, 2, 2, 2)), mu0="x", mu1="x", reference="x", target="x"
            ),
            "does not contain theta_star",
        ),
        (
            lambda: _two_state_problem(mu0=np.full((2, 2, 2), 0.7)),
            r"mu0\[0, 0, :\] is not a probability vector",
        ),
        (lambda: _two_state_problem(target=np.full((2, 2), 3)), r"target\[0, 0\] is 3"),
        (lambda: Freehand(delta=1.5), "delta must lie in"),
        (
            lambda: Freehand().run(garnet(S=2, A=2, branching=2, H=2), 100),
            "needs an OfflinePreferenceProblem",
        ),
        (lambda: offline_preference_garnet("some"), "coverage must be 'full' or 'partial'"),
    ],
)
def test_bad_input_names_the_offending_value(build, message):
    with pytest.raises(ValueError, match=message):
        build()
