"""Reliability: no wrong number without an error, no traceback, no abort; resume verifies what it
loads.

Three parts: a table of bad or extreme inputs by class (each must raise ValueError or TypeError
naming the parameter), hypothesis fuzzing of the public constructors and solvers (every input
either works and gives finite numbers that agree across solvers, or raises ValueError/TypeError
naming the parameter), and resume integrity (a damaged repetition is detected, named and
recomputed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_argv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdptheory import EpisodicMDP, FiniteMDP
from mdptheory._validation import (
    MAX_BYTES_ENV,
    ParameterTypeError,
    check_int,
    check_real,
    check_seed,
    memory_limit,
)
from mdptheory.bandits import Bandit, FeatureBandit, LinearBandit
from mdptheory.cli import main
from mdptheory.evaluation import evaluate
from mdptheory.experiment import MANIFEST, file_sha256, run_seeds, seed_folder
from mdptheory.linear import LinearMDP, LowRankMDP
from mdptheory.planning import (
    linear_program,
    policy_iteration,
    relative_value_iteration,
    solve,
    value_iteration,
)
from mdptheory.regret import RegretTrace, trace_metadata
from mdptheory.risk import cvar, cvar_lp, distributional_bellman, project_onto_grid
from mdptheory.seeding import as_generator, spawn_seeds

P2 = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.0, 1.0]]])
R2 = np.array([[0.0, 0.5], [1.0, 0.2]])


def _mdp(**kwargs) -> FiniteMDP:
    return FiniteMDP(kwargs.pop("P", P2), kwargs.pop("R", R2), kwargs.pop("gamma", 0.9), **kwargs)


def _episodic() -> EpisodicMDP:
    return EpisodicMDP(P2, R2, H=3)


def _learner(name: str):
    from algorithms.registry import make_learner

    return make_learner(name)


def _instance(name: str, **params):
    from instances import make

    return make(name, **params)


# ---------------------------------------------------------------------------------------------
# The table: (case, call, expected exception, regex the message must match)
# ---------------------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")

CASES = [
    # wrong numbers without an error, before
    ("tol nan", lambda: _mdp(P=P2 * 5, tol=NAN), ValueError, r"tol must be a finite"),
    ("tol inf", lambda: _mdp(P=P2 * 5, tol=INF), ValueError, r"tol must be a finite"),
    ("tol -1", lambda: _mdp(tol=-1), ValueError, r"tol must lie in .*got -1"),
    ("tol string", lambda: _mdp(tol="1e-9"), TypeError, r"tol must be a real"),
    (
        "complex P",
        lambda: _mdp(P=P2 + 0j),
        TypeError,
        r"P must be an array of real numbers.*"
        r"complex",
    ),
    ("string P", lambda: _mdp(P="P"), TypeError, r"P must be an array of real numbers"),
    ("string array P", lambda: _mdp(P=P2.astype(str)), TypeError, r"P must be .*string"),
    ("bool R", lambda: _mdp(R=R2 > 0.3), TypeError, r"R must be .*boolean"),
    ("gamma string", lambda: _mdp(gamma="0.5"), TypeError, r"gamma must be a real number"),
    ("gamma False", lambda: _mdp(gamma=False), TypeError, r"gamma must be a real .*False"),
    ("gamma None", lambda: _mdp(gamma=None), TypeError, r"gamma must be a real .*None"),
    ("gamma nan", lambda: _mdp(gamma=NAN), ValueError, r"gamma must be a finite"),
    ("gamma 1", lambda: _mdp(gamma=1.0), ValueError, r"gamma must lie in \[0.0, 1.0\)"),
    ("H float", lambda: EpisodicMDP(P2, R2, H=2.5), TypeError, r"H must be a positive int"),
    ("H bool", lambda: EpisodicMDP(P2, R2, H=True), TypeError, r"H must be a positive int"),
    ("VI V0 nan", lambda: value_iteration(_mdp(), V0=[0.0, NAN]), ValueError, r"V0\[1\] is nan"),
    (
        "VI tol string",
        lambda: value_iteration(_mdp(), tol="1e-3"),
        TypeError,
        r"tol must be a real",
    ),
    ("VI tol nan", lambda: value_iteration(_mdp(), tol=NAN), ValueError, r"tol must be a finite"),
    (
        "VI max_iter 2.5",
        lambda: value_iteration(_mdp(), max_iter=2.5),
        TypeError,
        r"max_iter must be a positive int, got 2.5",
    ),
    (
        "PI max_iter 0",
        lambda: policy_iteration(_mdp(), max_iter=0),
        ValueError,
        r"max_iter must be a positive int, got 0",
    ),
    ("solve overflow", lambda: solve(_mdp(R=R2 * 1e308)), ValueError, r"reward scale"),
    ("VI overflow", lambda: value_iteration(_mdp(R=R2 * 1e308)), ValueError, r"reward scale"),
    ("LP 1e300", lambda: linear_program(_mdp(R=R2 * 1e300)), ValueError, r"reward scale"),
    (
        "evaluate overflow",
        lambda: evaluate(_mdp(R=R2 * 1e308), np.array([0, 0])),
        ValueError,
        r"reward scale",
    ),
    (
        "episodic overflow",
        lambda: solve(EpisodicMDP(P2, R2 * 1e306, H=1000)),
        ValueError,
        r"reward scale",
    ),
    (
        "LP unknown solver",
        lambda: linear_program(_mdp(), solver="NOPE"),
        ValueError,
        r"solver 'NOPE' is not an installed",
    ),
    ("LP solver type", lambda: linear_program(_mdp(), solver=3), TypeError, r"solver must be"),
    (
        "RVI reference_state 1.5",
        lambda: relative_value_iteration(_mdp(), reference_state=1.5),
        TypeError,
        r"reference_state must be an int in 0..1, got 1.5",
    ),
    (
        "RVI reference_state 2",
        lambda: relative_value_iteration(_mdp(), reference_state=2),
        ValueError,
        r"reference_state must be an int in 0..1, got 2",
    ),
    (
        "evaluate string model",
        lambda: evaluate("x", np.array([0, 0])),
        TypeError,
        r"mdp must be a FiniteMDP or EpisodicMDP, got str",
    ),
    ("evaluate string policy", lambda: evaluate(_mdp(), "x"), TypeError, r"policy must be"),
    ("solve non-model", lambda: solve(None), TypeError, r"needs a FiniteMDP as mdp"),
    (
        "bellman h 1.5",
        lambda: distributional_bellman(_episodic(), np.zeros((3, 2), dtype=int), 1.5, None),
        TypeError,
        r"stage h must be",
    ),
    # risk functions
    (
        "grid nan values",
        lambda: project_onto_grid([NAN], [1.0], [0.0, 1.0]),
        ValueError,
        r"values\[0\] is nan",
    ),
    (
        "grid negative prob",
        lambda: project_onto_grid([0.5, 0.2], [-0.5, 1.5], [0.0, 1.0]),
        ValueError,
        r"probabilities\[0\] is -0.5",
    ),
    (
        "grid probs sum 5",
        lambda: project_onto_grid([0.5], [5.0], [0.0, 1.0]),
        ValueError,
        r"probabilities sum to 5",
    ),
    (
        "grid string values",
        lambda: project_onto_grid("ab", [1.0], [0.0, 1.0]),
        TypeError,
        r"values must be",
    ),
    ("cvar alpha string", lambda: cvar([0.0, 1.0], [0.5, 0.5], "0.1"), TypeError, r"alpha"),
    ("cvar alpha 0", lambda: cvar([0.0, 1.0], [0.5, 0.5], 0.0), ValueError, r"alpha must lie in"),
    # seeds
    ("spawn_seeds 2.5", lambda: spawn_seeds(0, 2.5), TypeError, r"n \(number of seeds\)"),
    ("spawn_seeds -1", lambda: spawn_seeds(0, -1), ValueError, r"number of seeds"),
    (
        "spawn_seeds 1e30",
        lambda: spawn_seeds(0, 10**30),
        ValueError,
        r"n \(number of seeds\) = 10+ is too large",
    ),
    ("seed string", lambda: as_generator("abc"), TypeError, r"seed must be .*'abc'"),
    ("seed -1", lambda: as_generator(-1), ValueError, r"seed must be non-negative, got -1"),
    ("seed 1.5", lambda: as_generator(1.5), TypeError, r"seed must be .*1.5"),
    (
        "icvar overflow",
        lambda: __import__("mdptheory.risk").risk.icvar_backward_induction(
            EpisodicMDP(P2, R2 * 1e306, H=1000), 0.5
        ),
        ValueError,
        r"reward scale",
    ),
    # models
    (
        "bandit gap overflow",
        lambda: Bandit([1.7e308, -1.7e308], noise="deterministic"),
        ValueError,
        r"means\[1\] .*overflows",
    ),
    ("bandit string means", lambda: Bandit("abc"), TypeError, r"means must be"),
    ("bandit nan mean", lambda: Bandit([0.5, NAN]), ValueError, r"means\[1\] is nan"),
    (
        "linear bandit noise_std string",
        lambda: LinearBandit(np.eye(2), [0.1, 0.2], noise_std="1"),
        TypeError,
        r"noise_std",
    ),
    (
        "linear bandit noise_std nan",
        lambda: LinearBandit(np.eye(2), [0.1, 0.2], noise_std=NAN),
        ValueError,
        r"noise_std",
    ),
    (
        "linear bandit gap overflow",
        lambda: LinearBandit([[1e308, 0.0], [-1e308, 0.0]], [1.0, 0.0], noise_std=0.0),
        ValueError,
        r"arms\[1\] \. theta .*arms\[0\] \. theta .*overflows",
    ),
    (
        "feature bandit complex",
        lambda: FeatureBandit(np.eye(2) + 1j, [0.1, 0.2]),
        TypeError,
        r"features",
    ),
    ("noise sigma string", lambda: _mdp(noise=("gaussian", "x")), TypeError, r"sigma"),
    (
        "linear mdp tol nan",
        lambda: LinearMDP(np.ones((1, 1, 1)), np.ones((1, 1, 1)), np.ones((1, 1)), tol=NAN),
        ValueError,
        r"tol",
    ),
    (
        "low-rank string reward",
        lambda: LowRankMDP(np.ones((1, 1, 1)), np.ones((1, 1, 1)), "r"),
        TypeError,
        r"reward must be",
    ),
    # instances
    (
        "du2023 A -1",
        lambda: _instance("du2023_hard_instance", A=-1),
        ValueError,
        r"A must be an int >= 1, got -1",
    ),
    (
        "river_swim gamma nan",
        lambda: _instance("river_swim", gamma=NAN),
        ValueError,
        r"gamma must be a finite",
    ),
    ("river_swim S 1.5", lambda: _instance("river_swim", S=1.5), TypeError, r"S must be an int"),
    # sizes
    (
        "river_swim S 1e5",
        lambda: _instance("river_swim", S=10**5),
        ValueError,
        r"S=100000 is too large: .* needs about .*GiB .*machine memory",
    ),
    (
        "garnet S 1e6",
        lambda: _instance("garnet", S=10**6),
        ValueError,
        r"S=1000000 .*too large: .*TiB",
    ),
    ("deep_sea N 1e3", lambda: _instance("deep_sea", N=1000), ValueError, r"N=1000 .*too large"),
    (
        "EpisodicMDP H 1e12",
        lambda: EpisodicMDP(P2, R2, H=10**12),
        ValueError,
        r"H=1000000000000 .*too large",
    ),
    (
        "simplex linear S 1e5",
        lambda: _instance("simplex_feature_linear_mdp", S=10**5),
        ValueError,
        r"S=100000.* too large",
    ),
    (
        "bandit K 1e12",
        lambda: _instance("bernoulli_bandit", K=10**12),
        ValueError,
        r"K=1000000000000 is too large",
    ),
    # learners
    (
        "stochastic-npg budget 1e15",
        lambda: _learner("stochastic-npg").run(_instance("bernoulli_bandit"), 10**15, 0),
        ValueError,
        r"budget=10+ is too large",
    ),
    (
        "gradient-bandit budget 1e15",
        lambda: _learner("gradient-bandit").run(_instance("bernoulli_bandit"), 10**15, 0),
        ValueError,
        r"budget=10+ is too large",
    ),
    (
        "ucbvi budget 1e15",
        lambda: _learner("ucbvi").run(_instance("river_swim", H=5), 10**15, 0),
        ValueError,
        r"budget=10+ is too large",
    ),
    (
        "ucb1 budget 1e15",
        lambda: _learner("ucb1").run(_instance("bernoulli_bandit"), 10**15, 0),
        ValueError,
        r"budget=10+ is too large",
    ),
    (
        "ucb1 budget 2.5",
        lambda: _learner("ucb1").run(_instance("bernoulli_bandit"), 2.5, 0),
        TypeError,
        r"budget .*2.5",
    ),
    (
        "npg seed abc",
        lambda: _learner("npg").run(_instance("bernoulli_bandit"), 5, "abc"),
        TypeError,
        r"seed must be .*'abc'",
    ),
    (
        "npg seed -1",
        lambda: _learner("npg").run(_instance("bernoulli_bandit"), 5, -1),
        ValueError,
        r"seed must be non-negative",
    ),
    (
        "softmax-pg seed 1.5",
        lambda: _learner("softmax-pg").run(_instance("bernoulli_bandit"), 5, 1.5),
        TypeError,
        r"seed must be",
    ),
    (
        "stochastic-npg seed abc",
        lambda: _learner("stochastic-npg").run(_instance("bernoulli_bandit"), 5, "abc"),
        TypeError,
        r"seed must be",
    ),
]


@pytest.mark.parametrize("case, call, kind, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_naming_the_parameter(case, call, kind, pattern):
    with pytest.raises(kind, match=pattern):
        call()


def test_wrong_types_are_type_errors_that_callers_catching_value_error_still_see():
    with pytest.raises(TypeError) as info:
        _mdp(gamma="0.5")
    assert isinstance(info.value, ValueError) and isinstance(info.value, ParameterTypeError)


def test_scalar_layer_accepts_numpy_scalars_and_keeps_values():
    assert check_real(np.float64(0.25), "x", 0.0, 1.0) == 0.25
    assert check_real(np.array(0.5), "x") == 0.5
    assert check_int(np.int32(3), "n", 1) == 3
    assert check_seed(np.uint64(7)) == 7
    generator = np.random.default_rng(0)
    assert check_seed(generator) is generator


def test_cvar_lp_at_tiny_alpha_is_the_exact_value():
    values, probs = [0.0, 1.0, 2.0], [0.2, 0.3, 0.5]
    assert cvar(values, probs, 1e-12) == 0.0
    assert abs(cvar_lp(values, probs, 1e-12)) <= 1e-9
    rng = np.random.default_rng(0)
    for alpha in (1e-12, 1e-7, 1e-4, 0.01, 0.5, 1.0):
        v, p = rng.normal(size=7), rng.dirichlet(np.ones(7))
        assert abs(cvar_lp(v, p, alpha) - cvar(v, p, alpha)) <= 1e-8


def test_linear_program_rescales_rewards_far_from_unit_scale():
    for scale in (1e-9, 1e80):
        mdp = _mdp(R=R2 * scale)
        exact = policy_iteration(mdp).values
        lp = linear_program(mdp).values
        assert np.all(np.abs(lp - exact) <= 1e-7 * np.abs(exact).max())


def test_policy_iteration_max_iter_is_refused_like_value_iteration():
    for solver in (value_iteration, policy_iteration):
        with pytest.raises(ValueError, match="max_iter"):
            solver(_mdp(), max_iter=0)


def test_memory_limit_is_overridable(monkeypatch):
    monkeypatch.setenv(MAX_BYTES_ENV, "1K")
    assert memory_limit() == 1024
    with pytest.raises(ValueError, match=r"S=20, A=2 is too large.*MDPTHEORY_MAX_BYTES"):
        FiniteMDP(np.full((20, 2, 20), 1 / 20), np.zeros((20, 2)), 0.9)
    monkeypatch.setenv(MAX_BYTES_ENV, "lots")
    with pytest.raises(ValueError, match="MDPTHEORY_MAX_BYTES is 'lots'"):
        memory_limit()
    monkeypatch.delenv(MAX_BYTES_ENV)
    assert memory_limit() > 2**20


def test_valid_inputs_are_unchanged():
    mdp = _mdp()
    sol = solve(mdp)
    again = policy_iteration(FiniteMDP(P2.tolist(), R2.tolist(), np.float64(0.9)))
    np.testing.assert_array_equal(sol.values, again.values)
    assert sol.stop_reason == "policy stable"


# ---------------------------------------------------------------------------------------------
# Command line: one line on stderr, non-zero exit, no traceback; --debug re-raises
# ---------------------------------------------------------------------------------------------


def _one_line_error(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0, argv
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


CLI_CASES = [
    (["solve", "river_swim", "--S", "100000"], r"S=100000 is too large"),
    (["solve", "--gamma", "nan"], r"gamma must be a finite"),
    (["solve", "river_swim", "--gamma", "2"], r"gamma must be a finite number in"),
    (["solve", "--bogus"], r"--bogus"),
    (["solve", "--size", "abc"], r"invalid int value"),
    (
        cli_argv("run ucb1 bernoulli_bandit --budget 1000000000000000 --seeds 1", "--no-progress"),
        r"budget=1000000000000000 is too large",
    ),
    (
        cli_argv("run ucbvi river_swim --H 5 --gamma nan --budget 5 --seeds 1", "--no-progress"),
        r"gamma must be a finite",
    ),
]


@pytest.mark.parametrize("argv, pattern", CLI_CASES, ids=[" ".join(c[0][:3]) for c in CLI_CASES])
def test_cli_errors_are_one_line(capsys, tmp_path, monkeypatch, argv, pattern):
    monkeypatch.chdir(tmp_path)
    assert re.search(pattern, _one_line_error(capsys, argv))


@pytest.mark.parametrize("where", ["file", "below a file", "unwritable"])
def test_cli_out_that_cannot_be_used_is_one_line(capsys, tmp_path, where):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    out = {"file": a_file, "below a file": a_file / "sub", "unwritable": locked / "sub"}[where]
    try:
        import os

        if where == "unwritable" and os.access(locked, os.W_OK):
            pytest.skip("running with permissions that ignore the folder's mode")
        line = _one_line_error(
            capsys,
            cli_argv("run ucb1 bernoulli_bandit --budget 5 --seeds 1 --no-progress", out=out),
        )
    finally:
        locked.chmod(0o700)
    assert "--out" in line and str(out) in line


def test_cli_debug_reraises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="too large"):
        main(["--debug", "solve", "river_swim", "--S", "100000"])
    with pytest.raises(ValueError, match="gamma"):
        main(["solve", "--gamma", "nan", "--debug"])


# ---------------------------------------------------------------------------------------------
# Fuzzing: works with finite numbers that agree across solvers, or ValueError/TypeError naming
# the parameter
# ---------------------------------------------------------------------------------------------


def _bad_scalars():
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.sampled_from([1e-300, 5e-324, 1e300, -0.0, 0.0, 1.0, 0.5, 1 - 1e-16]),
        st.text(max_size=3),
        st.booleans(),
        st.none(),
        st.complex_numbers(max_magnitude=2),
        st.just(np.float64(0.3)),
        st.just(np.int64(2)),
        st.lists(st.floats(), max_size=2),
    )


def _arrays(shape):
    elements = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, 0.5, 1.0, 1e-300, 1e300, -1e300]),
    )
    return st.lists(elements, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
        lambda x: np.array(x).reshape(shape)
    )


def _names_parameter(error: Exception, names: tuple[str, ...]) -> bool:
    text = str(error)
    return any(name in text for name in names)


def _check_outcome(build, names):
    """``build()`` must work or raise ValueError/TypeError naming one of ``names``."""
    try:
        return build()
    except (ValueError, TypeError) as error:
        assert _names_parameter(error, names), (
            f"{type(error).__name__}: {error} names none of {names}"
        )
        return None


def _agree(mdp: FiniteMDP) -> None:
    """Policy iteration, value iteration and the LP give finite values that agree within their
    certified bounds (plus rounding at the scale of the values)."""
    pi = _check_outcome(lambda: policy_iteration(mdp), ("reward scale",))
    if pi is None:
        return
    scale = max(1.0, float(np.abs(mdp.R).max()) / (1.0 - mdp.gamma))
    vi = value_iteration(mdp, tol=1e-9 * scale)
    lp = linear_program(mdp)
    for other in (vi, lp):
        assert np.all(np.isfinite(other.values)) and np.isfinite(other.bound)
        gap = float(np.abs(pi.values - other.values).max())
        assert gap <= other.bound + pi.bound + 1e-9 * scale, (other.method, gap, other.bound)
    assert np.all(np.isfinite(pi.values))


def _twin_solves(model) -> None:
    """The exact tabular twin of an accepted linear or low-rank model solves to finite values,
    or is refused for its reward scale."""
    if model is None:
        return
    sol = _check_outcome(lambda: solve(model.tabular()), ("reward scale",))
    if sol is not None:
        assert np.all(np.isfinite(sol.values))


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FUZZ
@given(gamma=_bad_scalars(), tol=_bad_scalars())
def test_fuzz_finite_mdp_scalars(gamma, tol):
    mdp = _check_outcome(lambda: FiniteMDP(P2, R2, gamma, tol=tol), ("gamma", "tol", "P["))
    if mdp is not None:
        _agree(mdp)


@FUZZ
@given(R=_arrays((2, 2)), scale=st.sampled_from([1.0, 1e-200, 1e100, 1e200, 1e308]))
def test_fuzz_finite_mdp_rewards(R, scale):
    with np.errstate(over="ignore", invalid="ignore"):
        R = R * scale
    mdp = _check_outcome(lambda: FiniteMDP(P2, R, 0.9), ("R[",))
    if mdp is not None:
        _agree(mdp)


@FUZZ
@given(P=_arrays((2, 2, 2)))
def test_fuzz_finite_mdp_kernel(P):
    mdp = _check_outcome(lambda: FiniteMDP(P, R2, 0.5), ("P[",))
    if mdp is not None:
        _agree(mdp)


@FUZZ
@given(
    shape_P=st.lists(st.integers(0, 3), min_size=0, max_size=5),
    shape_R=st.lists(st.integers(0, 3), min_size=0, max_size=4),
)
def test_fuzz_wrong_shapes(shape_P, shape_R):
    P = np.full(shape_P, 0.5)
    R = np.zeros(shape_R)
    _check_outcome(lambda: FiniteMDP(P, R, 0.9), ("P", "R"))
    _check_outcome(lambda: EpisodicMDP(P, R, H=2), ("P", "R"))


@FUZZ
@given(H=_bad_scalars(), tol=_bad_scalars())
def test_fuzz_episodic_mdp(H, tol):
    mdp = _check_outcome(lambda: EpisodicMDP(P2, R2, H=H, tol=tol), ("H", "tol", "P["))
    if mdp is not None:
        sol = solve(mdp)
        assert np.all(np.isfinite(sol.values))
        np.testing.assert_allclose(sol.values, evaluate(mdp, sol.policy), atol=1e-9)


@FUZZ
@given(V0=_arrays((2,)), tol=_bad_scalars(), max_iter=_bad_scalars())
def test_fuzz_value_iteration_arguments(V0, tol, max_iter):
    mdp = _mdp()
    sol = _check_outcome(
        lambda: value_iteration(mdp, tol=tol, max_iter=max_iter, V0=V0), ("V0", "tol", "max_iter")
    )
    if sol is not None:
        assert np.all(np.isfinite(sol.values)) and np.isfinite(sol.bound)


@FUZZ
@given(tau=_bad_scalars(), reference_state=_bad_scalars())
def test_fuzz_relative_value_iteration(tau, reference_state):
    _check_outcome(
        lambda: relative_value_iteration(
            _mdp(), tau=tau, reference_state=reference_state, max_iter=10_000
        ),
        ("tau", "reference_state", "did not converge"),
    )


@FUZZ
@given(
    means=_arrays((3,)),
    noise=st.sampled_from(
        ["bernoulli", "deterministic", "gaussian", ("gaussian", 1.0), ("gaussian", NAN), 3]
    ),
)
def test_fuzz_bandit(means, noise):
    bandit = _check_outcome(lambda: Bandit(means, noise=noise), ("means", "noise", "sigma"))
    if bandit is not None:
        assert np.all(np.isfinite(bandit.gaps)) and bandit.gaps.min() == 0.0


@FUZZ
@given(arms=_arrays((3, 2)), theta=_arrays((2,)), noise_std=_bad_scalars())
def test_fuzz_linear_bandit(arms, theta, noise_std):
    bandit = _check_outcome(
        lambda: LinearBandit(arms, theta, noise_std=noise_std), ("arms", "theta", "noise_std")
    )
    if bandit is not None:
        assert np.all(np.isfinite(bandit.means))


@FUZZ
@given(phi=_arrays((2, 2, 2)), mu=_arrays((1, 2, 2)), theta=_arrays((1, 2)))
def test_fuzz_linear_mdp(phi, mu, theta):
    _twin_solves(
        _check_outcome(
            lambda: LinearMDP(phi, mu, theta), ("phi", "mu", "theta", "P", "R", "reward scale")
        )
    )


@FUZZ
@given(features=_arrays((3, 2)), means=_arrays((3,)))
def test_fuzz_feature_bandit(features, means):
    bandit = _check_outcome(lambda: FeatureBandit(features, means), ("features", "means", "rank"))
    if bandit is not None:
        assert np.all(np.isfinite(bandit.projected_means))
        assert np.isfinite(bandit.approximation_error)


@FUZZ
@given(phi=_arrays((2, 2, 2)), psi=_arrays((1, 2, 2)), reward=_arrays((2, 2)), tol=_bad_scalars())
def test_fuzz_low_rank_mdp(phi, psi, reward, tol):
    _twin_solves(
        _check_outcome(
            lambda: LowRankMDP(phi, psi, reward, tol=tol), ("phi", "psi", "reward", "tol", "P", "R")
        )
    )


@FUZZ
@given(values=_arrays((3,)), probs=_arrays((3,)), alpha=_bad_scalars())
def test_fuzz_risk_functions(values, probs, alpha):
    result = _check_outcome(
        lambda: cvar(values, probs, alpha), ("values", "probabilities", "alpha")
    )
    if result is not None:
        assert np.isfinite(result)
        assert values.min() - 1e-9 * abs(values).max() <= result
    grid = _check_outcome(
        lambda: project_onto_grid(values, probs, [0.0, 0.5, 1.0]), ("values", "probabilities")
    )
    if grid is not None:
        assert abs(grid.sum() - 1.0) <= 1e-8 and (grid >= 0).all()


@FUZZ
@given(
    seed=_bad_scalars(),
    n=_bad_scalars().filter(lambda n: not isinstance(n, int) or n < 1000 or n > 10**15),
)
def test_fuzz_seeds(seed, n):
    _check_outcome(lambda: spawn_seeds(seed, n), ("seed", "number of seeds"))
    _check_outcome(lambda: as_generator(seed), ("seed",))


# ---------------------------------------------------------------------------------------------
# Resume integrity
# ---------------------------------------------------------------------------------------------

CALLS: list[int] = []


@dataclass(frozen=True)
class CountingLearner:
    """Seeded draws; records which repetitions actually ran."""

    def run(self, model, budget, seed):
        CALLS.append(int(seed.spawn_key[-1]))
        rng = as_generator(seed)
        pseudo = rng.random(budget)
        return RegretTrace(
            pseudo,
            pseudo + rng.normal(size=budget),
            np.zeros(budget),
            trace_metadata(self, model, seed, budget),
        )


def _rewrite_npz(path: Path, change) -> None:
    with np.load(path) as data:
        arrays = {k: data[k].copy() for k in data.files}
    change(arrays)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _refresh_checksum(out: Path, index: int, name: str) -> None:
    """Make the manifest agree with a file changed on disk, so a later check must catch it."""
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["seeds"][str(index)]["sha256"][name] = file_sha256(seed_folder(out, index) / name)
    (out / MANIFEST).write_text(json.dumps(manifest))


def _set(arrays, key, index, value):
    arrays[key][index] = value


def _nan_entry(out):
    _rewrite_npz(seed_folder(out, 1) / "trace.npz", lambda a: _set(a, "pseudo_regret", 3, NAN))


def _nan_entry_checksummed(out):
    _nan_entry(out)
    _refresh_checksum(out, 1, "trace.npz")


def _zeroed_entry(out):
    _rewrite_npz(seed_folder(out, 1) / "trace.npz", lambda a: _set(a, "pseudo_regret", 0, 0.0))


def _truncated(out):
    path = seed_folder(out, 1) / "trace.npz"
    path.write_bytes(path.read_bytes()[:100])


def _truncated_checksummed(out):
    _truncated(out)
    _refresh_checksum(out, 1, "trace.npz")


def _manifest_other_budget(out):
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["seeds"]["1"]["budget"] = 99
    (out / MANIFEST).write_text(json.dumps(manifest))


def _manifest_other_seed(out):
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["seeds"]["1"]["seed"] = manifest["seeds"]["0"]["seed"]
    (out / MANIFEST).write_text(json.dumps(manifest))


def _trace_json_other_budget(out):
    path = seed_folder(out, 1) / "trace.json"
    meta = json.loads(path.read_text())
    meta["metadata"]["budget"] = 99
    path.write_text(json.dumps(meta))
    _refresh_checksum(out, 1, "trace.json")


def _missing_json(out):
    (seed_folder(out, 1) / "trace.json").unlink()


def _not_recorded(out):
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["seeds"]["1"]
    (out / MANIFEST).write_text(json.dumps(manifest))


CORRUPTIONS = [
    (_nan_entry, "trace.npz", r"sha256 .* does not match"),
    (_nan_entry_checksummed, "trace.npz", r"pseudo_regret\[3\] is nan"),
    (_zeroed_entry, "trace.npz", r"sha256 .* does not match"),
    (_truncated, "trace.npz", r"sha256 .* does not match"),
    (_truncated_checksummed, "trace.npz", r"cannot be read"),
    (_manifest_other_budget, "trace.npz", r"budget 99, this run has 12"),
    (_manifest_other_seed, "trace.npz", r"recorded in run.json for seed"),
    (_trace_json_other_budget, "trace.json", r"records budget 99, this run has 12"),
    (_missing_json, "trace.json", r"missing"),
    (_not_recorded, "trace.npz", r"not recorded in run.json"),
]


@pytest.mark.parametrize(
    "corrupt, file, reason", CORRUPTIONS, ids=[c[0].__name__.strip("_") for c in CORRUPTIONS]
)
def test_resume_detects_names_and_recomputes_a_damaged_seed(
    tmp_path, capsys, corrupt, file, reason
):
    out = tmp_path / "run"
    CALLS.clear()
    first = run_seeds(
        CountingLearner(), "model", budget=12, seeds=3, seed=4, out_dir=out, progress=False
    )
    assert sorted(CALLS) == [0, 1, 2]
    capsys.readouterr()

    corrupt(out)
    CALLS.clear()
    resumed = run_seeds(
        CountingLearner(), "model", budget=12, seeds=3, seed=4, out_dir=out, progress=False
    )
    assert CALLS == [1]
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert str(seed_folder(out, 1) / file) in lines[0]
    assert re.search(reason, lines[0]), lines[0]
    for a, b in zip(first, resumed, strict=True):
        np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)

    # The recomputed seed is recorded again: a third run loads everything.
    CALLS.clear()
    run_seeds(CountingLearner(), "model", budget=12, seeds=3, seed=4, out_dir=out, progress=False)
    assert CALLS == []
    assert capsys.readouterr().err == ""


def test_manifest_records_seed_budget_and_checksums(tmp_path):
    out = tmp_path / "run"
    run_seeds(CountingLearner(), "model", budget=5, seeds=2, seed=1, out_dir=out, progress=False)
    manifest = json.loads((out / MANIFEST).read_text())
    for i in range(2):
        entry = manifest["seeds"][str(i)]
        assert entry["budget"] == 5
        assert entry["seed"]["spawn_key"] == [i]
        for name in ("trace.npz", "trace.json"):
            assert entry["sha256"][name] == file_sha256(seed_folder(out, i) / name)
    assert not list(out.rglob("*.tmp*"))


def test_a_learner_returning_nan_is_refused(tmp_path):
    @dataclass(frozen=True)
    class NanLearner:
        def run(self, model, budget, seed):
            return RegretTrace(np.full(budget, NAN), np.zeros(budget), np.zeros(budget))

    with pytest.raises(ValueError, match=r"repetition 0 .*pseudo_regret\[0\] is nan"):
        run_seeds(NanLearner(), None, budget=3, seeds=1, out_dir=tmp_path, progress=False)


def test_cli_resume_recomputes_a_truncated_trace(tmp_path, capsys):
    argv = cli_argv("run ucb1 bernoulli_bandit --budget 200 --seeds 2 --no-progress", out=tmp_path)
    assert main(argv) == 0
    first = capsys.readouterr().out.split("final cumulative pseudo-regret: ")[1].split()[0]
    folder = next(tmp_path.glob("ucb1__bernoulli_bandit__*"))
    npz = seed_folder(folder, 0) / "trace.npz"
    npz.write_bytes(npz.read_bytes()[:50])
    assert main(argv) == 0
    captured = capsys.readouterr()
    again = captured.out.split("final cumulative pseudo-regret: ")[1].split()[0]
    assert first == again
    assert str(npz) in captured.err and "Traceback" not in captured.err
