"""Static CVaR learner (CVaR-UCBVI) with exact static-CVaR regret."""

import numpy as np
import pytest
from conftest import cli_argv

from algorithms.registry import make_learner
from algorithms.risk import CVaRUCBVI, ICVaRL, LowRankCVaRUCB
from algorithms.risk.cvar_ucbvi import _evaluate, _plan, grid_steps
from instances.linear import simplex_feature_linear_mdp, tabular_as_linear
from instances.risk import lucky_start_instance, safe_vs_risky_route
from instances.tabular import garnet
from mdptheory.cli import main
from mdptheory.linear import LowRankMDP
from mdptheory.risk import (
    budget_policy_return_distribution,
    discretised_cvar_lsvi,
    icvar_backward_induction,
    icvar_evaluate,
    icvar_max_episode_regret,
    static_cvar_optimum,
)
from mdptheory.tabular import EpisodicMDP


def quarter_garnet(seed: int = 0, H: int = 3) -> EpisodicMDP:
    """A garnet whose rewards are rounded to multiples of 1/4 (on the budget grid)."""
    g = garnet(S=4, A=2, branching=2, H=H, seed=seed)
    R = np.round(np.asarray(g.R)[0] * 4) / 4
    return EpisodicMDP(np.asarray(g.dense_P())[0], R, H, initial=g.initial)


@pytest.mark.parametrize(
    "mdp, alpha, eta",
    [
        (quarter_garnet(0), 0.25, 0.25),
        (quarter_garnet(3), 0.6, 0.125),
        (safe_vs_risky_route(H=4), 0.1, 0.5),
        (lucky_start_instance(), 0.6, 0.5),
    ],
)
def test_plan_and_evaluation_on_the_true_model_are_exact(mdp, alpha, eta):
    """Exact oracle: planning with the true kernel (counts = P, no bonus) is the discretised
    planner, and the compiled evaluation of its policy equals the forward propagation."""
    H, S, A = mdp.H, mdp.S, mdp.A
    P3 = np.ascontiguousarray(np.asarray(mdp.dense_P())[0])
    steps = grid_steps(np.asarray(mdp.R, dtype=np.float64), eta)
    planner = discretised_cvar_lsvi(mdp, alpha, eta)
    n_grid = planner.objective.shape[0]
    W = np.zeros((H + 1, S, n_grid))
    W[H] = np.arange(n_grid) * eta
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    j_star, value = _plan(
        P3,
        np.ones((S, A)),
        steps,
        np.asarray(mdp.initial),
        eta,
        alpha,
        0.0,
        W,
        policy,
        np.empty((S * A, n_grid)),
        np.empty(S * A),
        np.empty((S * A, S)),
    )
    assert value == pytest.approx(planner.value, abs=1e-12)
    assert value == pytest.approx(static_cvar_optimum(mdp, alpha).value, abs=1e-12)
    assert j_star == planner.budget_index
    np.testing.assert_array_equal(policy, planner.policy)
    n_return = int(steps.max()) * H + 1
    achieved = _evaluate(
        P3,
        steps,
        np.asarray(mdp.initial),
        policy,
        j_star,
        eta,
        alpha,
        np.empty((S, n_return)),
        np.empty((S, n_return)),
        np.empty(n_return),
        np.arange(n_return),
    )
    assert achieved == pytest.approx(
        budget_policy_return_distribution(mdp, planner).cvar(alpha), abs=1e-12
    )


def test_regret_lies_in_its_range_and_greedy_learns_a_deterministic_route():
    mdp = quarter_garnet(1)
    optimum = static_cvar_optimum(mdp, 0.25).value
    trace = CVaRUCBVI(alpha=0.25, eta=0.25, bonus_scale=0.1).run(mdp, 300, seed=2)
    assert trace.pseudo_regret.min() >= -1e-12
    assert trace.pseudo_regret.max() <= optimum + 1e-12  # CVaR of a return >= 0
    assert trace.metadata["optimal_value"] == pytest.approx(optimum)
    route = CVaRUCBVI(alpha=0.1, eta=0.5, bonus_scale=0.0).run(safe_vs_risky_route(), 200, 0)
    assert route.pseudo_regret[-50:].max() == 0.0


def test_paper_bonus_is_optimistic():
    """The defining invariant of the optimistic plan: its value is at least CVaR*."""
    trace = CVaRUCBVI(alpha=0.25, eta=0.25).run(quarter_garnet(2), 200, seed=0)
    assert trace.extras["optimistic"].all()
    np.testing.assert_allclose(
        trace.extras["optimism_gap"],
        trace.extras["optimistic_value"] - trace.metadata["optimal_value"],
    )


def test_same_seed_same_trace():
    learner = CVaRUCBVI(alpha=0.25, eta=0.25, bonus_scale=0.3)
    a = learner.run(quarter_garnet(0), 150, seed=7)
    b = learner.run(quarter_garnet(0), 150, seed=7)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.realised_regret, b.realised_regret)
    np.testing.assert_array_equal(a.extras["budget"], b.extras["budget"])


def test_bad_input_is_refused_with_the_offending_value():
    with pytest.raises(ValueError, match=r"R\[0, 0, 0\] = 0.75 is not a multiple of eta"):
        CVaRUCBVI(alpha=0.2, eta=0.5).run(quarter_garnet(0), 10, 0)
    with pytest.raises(ValueError, match="deterministic"):
        mdp = safe_vs_risky_route()
        noisy = EpisodicMDP(
            np.asarray(mdp.dense_P())[0], mdp.R, mdp.H, initial=mdp.initial, noise="bernoulli"
        )
        CVaRUCBVI(alpha=0.2, eta=0.5).run(noisy, 10, 0)
    with pytest.raises(ValueError, match="stationary"):
        P = np.tile(np.asarray(quarter_garnet(0).dense_P()), (3, 1, 1, 1))
        CVaRUCBVI(eta=0.25).run(EpisodicMDP(P, quarter_garnet(0).R, 3), 10, 0)
    for kwargs, name in (
        ({"alpha": 0.0}, "alpha"),
        ({"eta": 0.0}, "eta"),
        ({"delta": 1.0}, "delta"),
        ({"bonus_scale": -1.0}, "bonus_scale"),
    ):
        with pytest.raises(ValueError, match=name):
            CVaRUCBVI(**kwargs)
    with pytest.raises(ValueError, match="number of episodes"):
        CVaRUCBVI(eta=0.5).run(safe_vs_risky_route(), 0, 0)


def test_registered_and_runs_from_the_command_line(tmp_path, capsys):
    assert isinstance(make_learner("cvar-ucbvi", alpha="0.1"), CVaRUCBVI)
    assert (
        main(
            cli_argv(
                "run cvar-ucbvi safe_vs_risky_route --budget 60 --seeds 2 --no-progress",
                "--hp eta=0.5",
                out=tmp_path,
            )
        )
        == 0
    )
    assert "final cumulative pseudo-regret" in capsys.readouterr().out


# ICVaR-L ------------------------------------------------------------------------------------


def swapped_route(H: int = 4) -> EpisodicMDP:
    """The safe/risky route with the actions swapped (0 = risky), so that ties to the smallest
    action do not pick the risk-averse road by luck."""
    route = safe_vs_risky_route(H=H)
    P = np.asarray(route.dense_P())[0][:, ::-1]
    R = np.asarray(route.R).reshape(-1, route.S, route.A)[0][:, ::-1]
    return EpisodicMDP(np.ascontiguousarray(P), np.ascontiguousarray(R), H, initial=route.initial)


def test_icvar_l_plan_with_exact_statistics_is_the_icvar_dp():
    """Exact oracle: with the population statistics (Lambda^-1 M^T = the kernel, no bonus) the
    plan is iterated-CVaR DP on the twin."""
    from algorithms.risk.icvar_l import _plan

    lin = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=2)
    twin = lin.tabular()
    H, S, A, d = lin.H, lin.S, lin.A, lin.d
    features = np.ascontiguousarray(lin.phi.reshape(S * A, d))
    # Lambda = I and M_h = mu_h make phi^T Lambda^-1 M^T (x - V)^+ the exact expectation.
    Lambda_inv = np.tile(np.eye(d), (H, 1, 1))
    M = np.ascontiguousarray(lin.mu)
    Q, V = np.empty((H, S, A)), np.zeros((H + 1, S))
    policy = np.zeros((H, S), dtype=np.int64)
    _plan(
        features,
        np.ascontiguousarray(twin.R),
        M,
        Lambda_inv,
        np.zeros((H, S * A)),
        0.0,
        0.3,
        Q,
        V,
        policy,
        np.empty(S * A),
        np.empty(S * A),
    )
    exact = icvar_backward_induction(twin, 0.3)
    np.testing.assert_allclose(V[:-1], np.minimum(exact.values, H), atol=1e-12)
    np.testing.assert_array_equal(policy, exact.policy)


def test_icvar_l_regret_is_exact_and_in_range():
    mdp = swapped_route()
    alpha = 0.1
    trace = ICVaRL(alpha=alpha, c=0.01, record_policies=True).run(tabular_as_linear(mdp), 300, 1)
    exact = icvar_backward_induction(mdp, alpha)
    start = float(mdp.initial @ exact.values[0])
    for k in (0, 150, 299):
        pi = trace.extras["policies"][k]
        value = float(mdp.initial @ icvar_evaluate(mdp, pi, alpha)[0])
        assert trace.pseudo_regret[k] == pytest.approx(start - value, abs=1e-12)
    assert trace.pseudo_regret.min() >= -1e-12
    assert trace.pseudo_regret.max() <= icvar_max_episode_regret(mdp, alpha) + 1e-12


def test_icvar_l_is_optimistic_with_its_bonus_and_reproducible():
    lin = simplex_feature_linear_mdp(S=4, A=2, H=3, d=3, seed=0)
    a = ICVaRL(alpha=0.3).run(lin, 100, seed=3)
    b = ICVaRL(alpha=0.3).run(lin, 100, seed=3)
    assert a.extras["optimistic"].all()
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.realised_regret, b.realised_regret)
    # An episodic model is read with one-hot features.
    c = ICVaRL(alpha=0.3, c=0.1).run(lin.tabular(), 50, seed=3)
    assert c.metadata["features"] == "one-hot (d = S A)"


def test_icvar_l_bad_input():
    for kwargs, name in (
        ({"alpha": 0.0}, "alpha"),
        ({"c": -1.0}, "c"),
        ({"p": 0.0}, "p"),
        ({"refactor_every": 0}, "refactor_every"),
    ):
        with pytest.raises(ValueError, match=name):
            ICVaRL(**kwargs)
    with pytest.raises(ValueError, match="LinearMDP"):
        ICVaRL().run(object(), 10, 0)
    with pytest.raises(ValueError, match="number of episodes"):
        ICVaRL().run(simplex_feature_linear_mdp(S=3, A=2, H=2, d=2, seed=0), 0, 0)
    assert make_learner("icvar-l", c="0.1") == ICVaRL(c=0.1)


# CVaR-UCB in low-rank MDPs with known features ----------------------------------------------


def test_lowrank_plan_with_population_statistics_is_the_discretised_planner():
    """Exact oracle: with Lambda = I and M_h = psi_h (so Phi Lambda^-1 M^T = P) and no bonus,
    the plan is the discretised planner on the true model."""
    from algorithms.risk.lowrank_cvar_ucb import _plan as lowrank_plan

    mdp = quarter_garnet(2)
    model = LowRankMDP.from_tabular(mdp)
    H, S, A, d = model.H, model.S, model.A, model.d
    features = np.ascontiguousarray(model.phi[0].reshape(S * A, d))
    planner = discretised_cvar_lsvi(model, 0.25, 0.25)
    n_grid = planner.objective.shape[0]
    W = np.zeros((H + 1, S, n_grid))
    W[H] = np.arange(n_grid) * 0.25
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    j, value = lowrank_plan(
        features,
        np.ascontiguousarray(model.psi),
        np.tile(np.eye(d), (H, 1, 1)),
        np.zeros((H, S * A)),
        grid_steps(np.asarray(mdp.R, dtype=np.float64), 0.25),
        np.asarray(mdp.initial),
        0.25,
        0.25,
        0.0,
        W,
        policy,
        np.empty(S * A),
    )
    assert value == pytest.approx(planner.value, abs=1e-10)
    assert value == pytest.approx(static_cvar_optimum(mdp, 0.25).value, abs=1e-10)
    assert j == planner.budget_index


def test_lowrank_regret_range_reproducibility_and_registry():
    model = LowRankMDP.from_tabular(quarter_garnet(0))
    learner = LowRankCVaRUCB(alpha=0.25, eta=0.25, c=0.05)
    a = learner.run(model, 200, seed=4)
    b = learner.run(model, 200, seed=4)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    optimum = static_cvar_optimum(quarter_garnet(0), 0.25).value
    assert -1e-10 <= a.pseudo_regret.min() and a.pseudo_regret.max() <= optimum + 1e-10
    assert LowRankCVaRUCB(alpha=0.25, eta=0.25).run(model, 100, 0).extras["optimistic"].all()
    assert make_learner("lowrank-cvar-ucb", c="0.1") == LowRankCVaRUCB(c=0.1)


def test_lowrank_bad_input():
    with pytest.raises(ValueError, match="not a multiple of eta"):
        LowRankCVaRUCB(eta=0.5).run(quarter_garnet(0), 10, 0)
    moving = LowRankMDP.from_tabular(quarter_garnet(0))
    phi = np.array(moving.phi)
    phi[1] = -phi[1]  # same kernel, other features
    psi = np.array(moving.psi)
    psi[1] = -psi[1]
    with pytest.raises(ValueError, match="change with the stage"):
        LowRankCVaRUCB().run(LowRankMDP(phi, psi, moving.R, initial=moving.initial), 10, 0)
    for kwargs, name in (
        ({"alpha": 2.0}, "alpha"),
        ({"eta": -1.0}, "eta"),
        ({"c": -1.0}, "c"),
        ({"p": 1.0}, "p"),
        ({"refactor_every": 0}, "refactor_every"),
    ):
        with pytest.raises(ValueError, match=name):
            LowRankCVaRUCB(**kwargs)
