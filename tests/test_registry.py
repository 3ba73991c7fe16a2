"""The instance registry: listing, parameters from signatures, string coercion, errors."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest
from conftest import same_model
from hypothesis import given, settings
from hypothesis import strategies as st

import instances
from instances import registry
from instances.registry import REQUIRED, available, available_table, make, names
from mdptheory import EpisodicMDP, FiniteMDP

CATALOGUE = {
    "garnet": "instances.tabular",
    "river_swim": "instances.tabular",
    "chain": "instances.tabular",
    "combination_lock": "instances.tabular",
    "gridworld": "instances.tabular",
    "deep_sea": "instances.tabular",
    "safe_vs_risky_route": "instances.risk",
    "du2023_hard_instance": "instances.risk",
    "lucky_start_instance": "instances.risk",
    "ucrl2_lower_bound": "instances.average_reward",
    "communicating_garnet": "instances.average_reward",
    "average_gridworld": "instances.average_reward",
    "effective_horizon_lure": "instances.structure",
    "interval_walk": "instances.structure",
    "safe_vs_fast_route": "instances.robust",
}
LINEAR = [
    "tabular_as_linear",
    "simplex_feature_linear_mdp",
    "misspecified_linear_mdp",
    "zhou_gu_szepesvari_hard_instance",
    "random_low_rank_mdp",
    "lure_linear_mdp",
    "robust_route_linear_mdp",
]
BANDITS = [
    "bernoulli_bandit",
    "gaussian_bandit",
    "one_good_arm_bandit",
    "hypercube_linear_bandit",
    "pg_feature_bandit",
    "random_feature_bandit",
]
RISK_LOW_RANK = ["latent_cvar_garnet"]
RISK_LINEAR = ["linear_icvar_hard_instance"]
DIAGNOSTIC_FEATURES = ["tsitsiklis_van_roy", "layered_chain", "merging_chains"]
PREFERENCES = [
    "azar_three_action_bandit",
    "bradley_terry_bandit",
    "rock_paper_scissors_bandit",
    "offline_preference_garnet",
    "preference_lock_linear_mdp",
    "contextual_bt_bandit",
]
GAMES = {
    "climbing_game": "instances.games",
    "penalty_game": "instances.games",
    "factored_gridworld": "instances.games",
    "random_cooperative_game": "instances.games",
}
LINEAR_MIXTURE = [
    "random_linear_mixture_mdp",
    "reward_free_hard_instance",
    "reward_free_lower_bound",
]
VARIANCE_AWARE = [
    "heteroscedastic_linear_mdp",
    "horizon_free_simplex",
    "horizon_free_garnet",
    "lsvi_ucb_gap_instance",
    "horizon_free_stationary_simplex",
]
GENERATIVE = ["discounted_linear_mdp", "variance_contrast_linear_mdp"]
LINEAR_GAP = ["hypercube_gap_linear_mdp"]


def signature_defaults(function) -> dict:
    return {
        name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for name, p in inspect.signature(function).parameters.items()
    }


def importable_entry(module: str, name: str):
    """The catalogue module and the registry entry of family ``name``; skips the test while
    either is missing."""
    package = pytest.importorskip(module)
    entry = {e.name: e for e in available()}[name]
    if not entry.importable:
        pytest.skip(entry.reason)
    return package, entry


def test_every_family_is_registered_and_listed():
    assert set(names()) == (
        set(CATALOGUE)
        | set(LINEAR)
        | set(RISK_LOW_RANK)
        | set(RISK_LINEAR)
        | set(BANDITS)
        | set(DIAGNOSTIC_FEATURES)
        | set(PREFERENCES)
        | set(GAMES)
        | set(LINEAR_MIXTURE)
        | set(VARIANCE_AWARE)
        | set(GENERATIVE)
        | set(LINEAR_GAP)
    )
    listed = available()
    assert [entry.name for entry in listed] == names()
    assert all(entry.description and "\n" not in entry.description for entry in listed)
    table = available_table()
    for name in names():
        assert name in table


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_parameters_come_from_the_signature(name):
    entry = {e.name: e for e in available()}[name]
    function = getattr(importlib.import_module(CATALOGUE[name]), name)
    assert entry.importable and entry.reason == ""
    assert entry.parameters == signature_defaults(function)
    assert entry.builder == f"{CATALOGUE[name]}:{name}"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_make_with_defaults_equals_direct_call(name):
    function = getattr(importlib.import_module(CATALOGUE[name]), name)
    built = make(name)
    assert isinstance(built, (FiniteMDP, EpisodicMDP))
    assert same_model(built, function())


@pytest.mark.parametrize("name", sorted(GAMES))
def test_games_are_built_from_their_signature(name):
    from mdptheory.games import CooperativeGame

    entry = {e.name: e for e in available()}[name]
    function = getattr(importlib.import_module(GAMES[name]), name)
    assert entry.importable and entry.parameters == signature_defaults(function)
    built = make(name)
    assert isinstance(built, CooperativeGame) and built.name == function().name
    assert np.array_equal(built.P, function().P) and np.array_equal(built.R, function().R)


def test_string_parameters_are_coerced_to_the_default_type():
    from instances.tabular import deep_sea, garnet, gridworld

    assert same_model(
        make("garnet", S="7", A="2", H="4", gamma="0.5", seed="11", sparse="false"),
        garnet(S=7, A=2, H=4, seed=11),
    )
    assert make("garnet", sparse="true", S="5").is_sparse
    assert make("garnet", H="none").gamma == 0.9
    # a None default reads numbers and 'none'
    assert same_model(make("deep_sea", N="5", move_cost="0.002"), deep_sea(N=5, move_cost=0.002))
    assert same_model(make("deep_sea", move_cost="None"), deep_sea())
    assert same_model(
        make("gridworld", text_map="S.G", slip="0", H="3"), gridworld("S.G", slip=0.0, H=3)
    )
    # non-strings pass through untouched
    assert make("river_swim", S=8, H=30).name == "river_swim(S=8,H=30)"


@settings(max_examples=25, deadline=None)
@given(S=st.integers(2, 30), A=st.integers(2, 5), seed=st.integers(0, 10**6), H=st.integers(1, 20))
def test_cli_style_strings_match_typed_calls(S, A, seed, H):
    from instances.tabular import combination_lock

    assert same_model(
        make("combination_lock", S=str(S), A=str(A), seed=str(seed), H=str(H)),
        combination_lock(S=S, A=A, seed=seed, H=H),
    )


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(ValueError) as info:
        make("riverswim")
    message = str(info.value)
    assert "'riverswim'" in message
    for name in names():
        assert name in message


def test_unknown_parameter_lists_the_accepted_ones():
    with pytest.raises(ValueError) as info:
        make("river_swim", S=6, states=4, colour="red")
    message = str(info.value)
    assert "colour, states" in message
    for accepted in ("S=6", "H=None", "gamma=0.95", "small_reward=0.005"):
        assert accepted in message


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"S": "ten"}, "parameter S expects an int, got 'ten'"),
        ({"S": "2.5"}, "parameter S expects an int, got '2.5'"),
        ({"gamma": "high"}, "parameter gamma expects a float, got 'high'"),
        ({"sparse": "maybe"}, "parameter sparse expects a bool"),
        ({"S": "0"}, "S must be an int >= 1, got 0"),  # the builder's own check
    ],
)
def test_bad_values_raise_value_error(params, fragment):
    with pytest.raises(ValueError) as info:
        make("garnet", **params)
    assert fragment in str(info.value)


def test_missing_module_is_listed_and_reported(monkeypatch):
    ghost = registry._Spec(
        "ghost", "a family whose module is missing", "instances.no_such_module", "ghost"
    )
    monkeypatch.setattr(registry, "_SPECS", (*registry._SPECS, ghost))
    monkeypatch.setitem(registry._BY_NAME, "ghost", ghost)
    entry = available()[-1]
    assert entry.name == "ghost" and not entry.importable and entry.parameters == {}
    assert "instances.no_such_module" in entry.reason
    assert "not available" in available_table()
    with pytest.raises(ImportError, match="'ghost' cannot be built"):
        make("ghost")


def test_missing_function_is_reported(monkeypatch):
    ghost = registry._Spec("ghost", "a family not yet written", "instances.tabular", "ghost")
    monkeypatch.setitem(registry._BY_NAME, "ghost", ghost)
    with pytest.raises(ImportError, match="ghost"):
        make("ghost")


def test_required_parameters_must_be_given(monkeypatch):
    def needs_size(size, seed=0):
        return (size, seed)

    monkeypatch.setattr(registry, "_needs_size", needs_size, raising=False)
    spec = registry._Spec("needs_size", "test", "instances.registry", "_needs_size")
    monkeypatch.setitem(registry._BY_NAME, "needs_size", spec)
    with pytest.raises(ValueError, match="missing required parameter"):
        make("needs_size")
    assert make("needs_size", size="4") == (4, 0)  # no default: a number string reads as int


def test_package_reexports():
    assert instances.make is make and instances.available is available
    assert instances.river_swim(H=3).name == "river_swim(S=6,H=3)"


# --- families from instances.linear and instances.bandits (skipped while missing) ----------


@pytest.mark.parametrize("name", LINEAR)
def test_linear_families(name):
    linear, entry = importable_entry("instances.linear", name)
    if name == "tabular_as_linear":
        assert entry.parameters == {"S": 10, "A": 3, "H": 5, "branching": 3, "seed": 0}
        from instances.tabular import garnet

        built = make(name, S="4", A="2", H="3", branching="2", seed="1")
        direct = linear.tabular_as_linear(garnet(S=4, A=2, H=3, branching=2, seed=1))
    else:
        function = getattr(linear, name)
        assert entry.parameters == signature_defaults(function)
        built, direct = make(name), function()
    assert type(built) is type(direct)
    if hasattr(built, "tabular"):
        assert same_model(built.tabular(), direct.tabular())


@pytest.mark.parametrize("name", RISK_LOW_RANK)
def test_risk_low_rank_families(name):
    risk, entry = importable_entry("instances.risk", name)
    function = getattr(risk, name)
    assert entry.parameters == signature_defaults(function)
    built, direct = make(name), function()
    assert type(built) is type(direct)
    assert same_model(built.tabular(), direct.tabular())


@pytest.mark.parametrize("name", BANDITS)
def test_bandit_families(name):
    bandits, entry = importable_entry("instances.bandits", name)
    function = getattr(bandits, name)
    assert entry.parameters == signature_defaults(function)
    params = {"seed": 3} if "seed" in entry.parameters else {}
    if "condition" in entry.parameters:
        params["condition"] = "npg_rank_preserved"
    built = make(name, **{k: str(v) for k, v in params.items()})
    direct = function(**params)
    assert type(built) is type(direct)
    for attribute in ("means", "theta"):
        if hasattr(direct, attribute):
            np.testing.assert_array_equal(getattr(built, attribute), getattr(direct, attribute))


@pytest.mark.parametrize("name", PREFERENCES)
def test_preference_families(name):
    preferences, entry = importable_entry("instances.preferences", name)
    function = getattr(preferences, name)
    assert entry.parameters == signature_defaults(function)
    assert entry.builder == f"instances.preferences:{name}"
    params = {"seed": 3} if "seed" in entry.parameters else {}
    built = make(name, **{k: str(v) for k, v in params.items()})
    direct = function(**params)
    assert built.name == direct.name
    if hasattr(direct, "reward_class"):  # an offline trajectory-preference problem
        np.testing.assert_array_equal(built.reward_class, direct.reward_class)
        return
    if hasattr(direct, "phi"):  # a linear MDP for online trajectory preferences
        np.testing.assert_array_equal(built.P, direct.P)
        return
    if hasattr(direct, "contexts"):  # a contextual preference bandit
        np.testing.assert_array_equal(built.contexts, direct.contexts)
        return
    np.testing.assert_array_equal(built.preferences, direct.preferences)
    np.testing.assert_array_equal(built.dataset.counts(), direct.dataset.counts())


@pytest.mark.parametrize("name", LINEAR_MIXTURE)
def test_linear_mixture_families(name):
    mixture, entry = importable_entry("instances.linear_mixture", name)
    function = getattr(mixture, name)
    assert entry.parameters == signature_defaults(function)
    assert entry.builder == f"instances.linear_mixture:{name}"
    built, direct = make(name, seed="3"), function(seed=3)
    assert type(built) is type(direct)
    assert same_model(built.tabular(), direct.tabular())


@pytest.mark.parametrize("name", VARIANCE_AWARE)
def test_variance_aware_families(name):
    package, entry = importable_entry("instances.variance_aware", name)
    function = getattr(package, name)
    assert entry.parameters == signature_defaults(function)
    built, direct = make(name, seed="1"), function(seed=1)
    assert type(built) is type(direct) and built.name == direct.name
    twin = built.tabular() if hasattr(built, "tabular") else built
    direct_twin = direct.tabular() if hasattr(direct, "tabular") else direct
    assert same_model(twin, direct_twin)


@pytest.mark.parametrize("name", RISK_LINEAR)
def test_risk_linear_families(name):
    risk_linear, entry = importable_entry("instances.risk_linear", name)
    function = getattr(risk_linear, name)
    assert entry.parameters == signature_defaults(function)
    built, direct = make(name), function()
    assert type(built) is type(direct) and built.name == direct.name
    assert same_model(built.tabular(), direct.tabular())


@pytest.mark.parametrize("name", LINEAR_GAP)
def test_linear_gap_families(name):
    package, entry = importable_entry("instances.linear_gap", name)
    function = getattr(package, name)
    assert entry.parameters == signature_defaults(function)
    built, direct = make(name, d="8", seed="1"), function(d=8, seed=1)
    assert built.name == direct.name
    assert same_model(built.tabular(), direct.tabular())
