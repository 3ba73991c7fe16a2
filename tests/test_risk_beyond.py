"""Discretised CVaR-LSVI and iterated-CVaR backups through linear features."""

import numpy as np
import pytest
from conftest import cli_argv
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.linear import simplex_feature_linear_mdp, tabular_as_linear
from instances.risk import lucky_start_instance, safe_vs_risky_route
from mdptheory.cli import main
from mdptheory.linear import LowRankMDP
from mdptheory.risk import (
    budget_grid,
    budget_policy_return_distribution,
    discretisation_error_bound,
    discretised_cvar_lsvi,
    icvar_backward_induction,
    icvar_linear_backward_induction,
    static_cvar_optimum,
)
from mdptheory.risk.discretised import budget_steps, executed_augmented_states
from mdptheory.tabular import EpisodicMDP
from proofs_check.strategies import episodic_mdps

SETTINGS = settings(max_examples=30, deadline=None)


def _with_rewards(mdp: EpisodicMDP, R, **kwargs) -> EpisodicMDP:
    P = np.asarray(mdp.dense_P())
    return EpisodicMDP(P[0] if P.shape[0] == 1 else P, R, mdp.H, initial=mdp.initial, **kwargs)


def _grid_rewards(mdp: EpisodicMDP, eta: float) -> EpisodicMDP:
    """The same kernel with every reward rounded to a multiple of ``eta``."""
    return _with_rewards(mdp, np.clip(np.round(np.asarray(mdp.R) / eta) * eta, 0.0, 1.0))


@SETTINGS
@given(
    episodic_mdps(max_states=3, max_actions=2, max_horizon=3),
    st.sampled_from([0.1, 0.3, 0.6, 1.0]),
    st.sampled_from([0.25, 0.5]),
)
def test_grid_rewards_make_the_planner_exact(mdp, alpha, eta):
    """Exact oracle: with every reward a multiple of eta, the grid loses nothing."""
    mdp = _grid_rewards(mdp, eta)
    sol = discretised_cvar_lsvi(mdp, alpha, eta)
    exact = static_cvar_optimum(mdp, alpha)
    assert sol.value == pytest.approx(exact.value, abs=1e-12)
    assert budget_policy_return_distribution(mdp, sol).cvar(alpha) == pytest.approx(
        exact.value, abs=1e-12
    )


@SETTINGS
@given(
    episodic_mdps(max_states=3, max_actions=2, max_horizon=3),
    st.sampled_from([0.1, 0.3, 0.6, 1.0]),
    st.sampled_from([0.3, 0.07, 0.01]),
)
def test_error_is_certified_and_below_the_bound(mdp, alpha, eta):
    """The defining invariant: 0 <= CVaR* - value <= (H + 1 - alpha) eta / alpha, and the value
    is achieved by the policy the planner returns."""
    sol = discretised_cvar_lsvi(mdp, alpha, eta)
    exact = static_cvar_optimum(mdp, alpha).value
    achieved = budget_policy_return_distribution(mdp, sol).cvar(alpha)
    assert -1e-12 <= exact - sol.value <= discretisation_error_bound(mdp.H, alpha, eta) + 1e-12
    assert sol.value <= achieved + 1e-12
    assert achieved <= exact + 1e-12


def test_rounding_down_is_optimistic_without_certificate():
    mdp = lucky_start_instance()
    R = np.asarray(mdp.R) * 0.93 + 0.011  # rewards off every grid
    mdp = _with_rewards(mdp, R)
    exact = static_cvar_optimum(mdp, 0.6).value
    down = discretised_cvar_lsvi(mdp, 0.6, 0.05, rounding="down")
    assert down.value > exact + 1e-6


def test_linear_and_low_rank_features_give_the_twin_value():
    lin = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=4)
    twin = lin.tabular()
    a = discretised_cvar_lsvi(lin, 0.3, 0.02)
    b = discretised_cvar_lsvi(twin, 0.3, 0.02)
    c = discretised_cvar_lsvi(LowRankMDP.from_tabular(twin), 0.3, 0.02)
    assert a.value == pytest.approx(b.value, abs=1e-12)
    assert c.value == pytest.approx(b.value, abs=1e-12)
    np.testing.assert_array_equal(a.budget_index, b.budget_index)


def test_error_shrinks_with_eta():
    mdp = simplex_feature_linear_mdp(S=4, A=2, H=3, d=3, seed=1)
    exact = static_cvar_optimum(mdp.tabular(), 0.3).value
    errors = [exact - discretised_cvar_lsvi(mdp, 0.3, eta).value for eta in (0.1, 0.01, 0.001)]
    assert errors[2] < errors[0] and errors[2] <= discretisation_error_bound(3, 0.3, 0.001)


def test_reproducible_and_pure():
    mdp = safe_vs_risky_route(H=4)
    a, b = discretised_cvar_lsvi(mdp, 0.2, 0.1), discretised_cvar_lsvi(mdp, 0.2, 0.1)
    np.testing.assert_array_equal(a.policy, b.policy)
    np.testing.assert_array_equal(a.shortfall, b.shortfall)


def test_grid_and_steps():
    assert budget_grid(3, 1.0).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert budget_steps(np.array([0.3]), 0.1).tolist() == [3]  # 0.3 / 0.1 is 2.9999...
    mdp = safe_vs_risky_route(H=2)
    assert executed_augmented_states(mdp, discretised_cvar_lsvi(mdp, 0.1, 0.5))[0][:2] == (0, 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eta": 0.0}, "eta"),
        ({"eta": -0.1}, "eta"),
        ({"eta": 0.1, "rounding": "nearest"}, "rounding"),
        ({"eta": 0.1, "alpha": 0.0}, "alpha"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    args = {"alpha": 0.2, **kwargs}
    with pytest.raises(ValueError, match=message):
        discretised_cvar_lsvi(safe_vs_risky_route(), **args)


def test_noisy_or_out_of_range_rewards_are_refused():
    mdp = safe_vs_risky_route()
    noisy = _with_rewards(mdp, mdp.R, noise="bernoulli")
    with pytest.raises(ValueError, match="deterministic"):
        discretised_cvar_lsvi(noisy, 0.2, 0.1)
    big = _with_rewards(mdp, np.asarray(mdp.R) * 1.5)
    with pytest.raises(ValueError, match=r"R\[0, 2, 1\] is 1.5"):
        discretised_cvar_lsvi(big, 0.2, 0.1)
    with pytest.raises(ValueError, match="needs an EpisodicMDP"):
        discretised_cvar_lsvi(object(), 0.2, 0.1)


@SETTINGS
@given(st.integers(0, 10_000), st.sampled_from([0.05, 0.2, 0.5, 1.0]))
def test_linear_icvar_backup_equals_the_tabular_dp(seed, alpha):
    """Exact oracle: the CVaR-adapted feature backup equals iterated-CVaR DP on the twin."""
    lin = simplex_feature_linear_mdp(S=5, A=3, H=3, d=3, seed=seed)
    a = icvar_linear_backward_induction(lin, alpha)
    b = icvar_backward_induction(lin.tabular(), alpha)
    np.testing.assert_allclose(a.values, b.values, atol=1e-12)
    np.testing.assert_allclose(a.q, b.q, atol=1e-12)
    np.testing.assert_allclose(a.policy_values, a.values, atol=1e-12)


def test_linear_icvar_on_the_route_is_risk_averse():
    mdp = safe_vs_risky_route(H=3)
    sol = icvar_linear_backward_induction(tabular_as_linear(mdp), 0.05)
    assert int(sol.policy[0, 0]) == 0
    with pytest.raises(ValueError, match="alpha"):
        icvar_linear_backward_induction(mdp, 1.5)


def test_cli_prints_the_discretised_policy_beside_the_exact_one(capsys):
    command = "solve lucky_start_instance --objective static-cvar --alpha 0.6 --planner discretised"
    assert main(cli_argv(command, "--eta 0.01")) == 0
    out = capsys.readouterr().out
    assert "discretised CVaR-LSVI, eta = 0.01" in out and "error CVaR* - value" in out
    assert "discretised  exact" in out
    without_eta = "solve lucky_start_instance --objective static-cvar --planner discretised"
    assert main(cli_argv(without_eta)) == 2
    assert "--eta" in capsys.readouterr().err
