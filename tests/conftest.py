"""Test configuration and the helpers several test modules share.

Under continuous integration (``CI`` set in the environment) hypothesis runs derandomised, so a
CI run is reproducible; local runs keep exploring new examples (and keep failing ones in
``.hypothesis/``).
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def dask_local_client():
    """A Dask ``Client`` on a ``LocalCluster`` of two single-threaded worker processes, shared by
    the tests of the distributed backends (skipped when Dask is not installed)."""
    pytest.importorskip("distributed")
    from mdptheory.distributed import dask_client

    with dask_client(local_workers=2) as client:
        yield client


# ---------------------------------------------------------------------------------------------
# Helpers of the test modules (``from conftest import ...``): random models and plain-numpy
# oracles that share no code with the library.
# ---------------------------------------------------------------------------------------------


def property_settings(max_examples: int) -> settings:
    """Hypothesis settings of a property test that runs learners or solvers: no deadline (the
    first example compiles numba kernels) and no too-slow health check."""
    return settings(
        max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


def cli_argv(*words: str, out=None) -> list[str]:
    """A command line for ``mdptheory.cli.main``: the words of each string split on spaces,
    then ``--out OUT`` when ``out`` is given (a path with spaces stays one argument)."""
    argv = [word for text in words for word in text.split()]
    return argv if out is None else [*argv, "--out", str(out)]


def simplex_arrays(S: int, A: int, H: int, d: int, seed: int):
    """``(phi, mu, theta)`` of a random linear MDP valid by construction: features on the
    simplex, each ``mu_h[:, i]`` a distribution over next states, rewards ``theta`` uniform in
    [0, 1]."""
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.ones(d), size=(S, A))
    mu = rng.dirichlet(np.ones(S), size=(H, d)).transpose(0, 2, 1)
    theta = rng.random((H, d))
    return phi, mu, theta


def random_mdp(
    seed: int,
    S: int = 3,
    A: int = 2,
    H: int = 4,
    stationary: bool = True,
    sparse: bool = False,
    noise=None,
):
    """A random episodic MDP: Dirichlet(0.7) kernel rows, rewards uniform in [0, 1], a
    Dirichlet(1) start. ``sparse`` drops each successor with probability 0.3 (a row left empty
    goes to state 0), so that some states are unreachable."""
    from mdptheory import EpisodicMDP

    rng = np.random.default_rng(seed)
    shape = (S, A) if stationary else (H, S, A)
    P = rng.dirichlet(np.full(S, 0.7), size=shape)
    if sparse:
        P *= rng.random((*shape, S)) < 0.7
        P[P.sum(axis=-1) == 0, 0] = 1.0
        P /= P.sum(axis=-1, keepdims=True)
    R = rng.random(shape)
    return EpisodicMDP(P, R, H, initial=rng.dirichlet(np.ones(S)), noise=noise)


def random_discounted_mdp(
    seed, S: int, A: int, gamma: float, *, concentration: float = 0.7, start: bool = False
):
    """A random discounted MDP drawn in this order: Dirichlet(``concentration``) kernel rows,
    rewards uniform in [0, 1], then, with ``start``, a Dirichlet(1) start law (otherwise the
    model's default). ``seed`` may be a Generator, which is drawn on and left where it stops."""
    from mdptheory import FiniteMDP

    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(S, concentration), size=(S, A))
    R = rng.random((S, A))
    initial = rng.dirichlet(np.ones(S)) if start else None
    return FiniteMDP(P, R, gamma, initial=initial)


def random_value_rows(
    seed,
    n: int,
    S: int,
    sparse: bool,
    ties: bool,
    *,
    exponent: float,
    drop: float,
    bump: float,
    atom_at_random: bool = False,
):
    """Rows ``P`` (n, S) of next-state distributions and values ``V`` (S,) for the row backups
    of the robust sets, drawn in this order: uniform entries to the power 1 or ``exponent``;
    when ``sparse``, each entry dropped with probability ``drop``, row 0 emptied (with
    ``atom_at_random``, then given mass 1 at a random state) and ``bump`` added to a random
    column, so that no row is empty; rows normalised; V uniform, times 1 or 10, minus 0 or 3,
    rounded when ``ties`` (repeated atoms)."""
    rng = np.random.default_rng(seed)
    P = rng.random((n, S)) ** float(rng.choice([1.0, exponent]))
    if sparse:
        P[rng.random((n, S)) < drop] = 0.0
        P[0, :] = 0.0  # a row with one atom
        if atom_at_random:
            P[0, int(rng.integers(S))] = 1.0
        P[:, int(rng.integers(S))] += bump
    P /= P.sum(axis=1, keepdims=True)
    V = rng.random(S) * float(rng.choice([1.0, 10.0])) - float(rng.choice([0.0, 3.0]))
    if ties:
        V = np.round(V)
    return P, V


def full_scan(uncertainty, P, V):
    """The backup of the row kernel of ``uncertainty``, which scans every atom of every row
    (no walk, no guessed cut)."""
    return uncertainty.scan_backup(P, V)[0]


def refusal_test(build, cases):
    """A test, one case per ``(kwargs, message)`` of ``cases``, that ``build(**kwargs)`` raises
    ``ValueError`` matching ``message`` (a regular expression); assign it to a ``test_*`` name
    of the test module."""

    @pytest.mark.parametrize(("kwargs", "message"), cases)
    def test(kwargs, message):
        with pytest.raises(ValueError, match=message):
            build(**kwargs)

    return test


def count_calls(monkeypatch, module, name: str) -> list:
    """Replace ``module.name`` for the test by a wrapper that calls the original and records
    each call; returns the record (one entry per call)."""
    original = getattr(module, name)
    calls = []

    def spy(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(module, name, spy)
    return calls


def assert_registered_records(tag: str, ids, module: str, others=()):
    """The checks tagged ``tag`` are exactly ``ids`` (and ``others``, checks of other modules
    sharing the tag), each of ``ids`` registered from ``module`` with a paper, a claim, a
    formula, a rule and ``verified=False``."""
    from proofs_check.harness import get, registered

    assert set(ids) | set(others) == {theorem.id for theorem in registered(tag=tag)}
    for check_id in ids:
        theorem = get(check_id)
        assert theorem.paper and theorem.claim and theorem.formula and theorem.rule
        assert theorem.module == module
        assert not theorem.verified


def cvar_sup_form(values, probabilities, alpha: float) -> float:
    """CVaR = max over atoms x of x - E[(x - X)^+] / alpha (no sorting)."""
    v = np.asarray(values, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    return max(x - float(p @ np.maximum(x - v, 0.0)) / alpha for x in v[p > 0])


def draw(probabilities: np.ndarray, u: float) -> int:
    """Inverse-CDF draw: the first index whose cumulative probability exceeds u."""
    cdf = np.cumsum(probabilities)
    index = int(np.searchsorted(cdf, u, side="right"))
    return min(index, int(np.flatnonzero(probabilities > 0)[-1]))


def episode(P: np.ndarray, initial: np.ndarray, policy: np.ndarray, rng):
    """The transitions ``(h, s, a, s')`` of one episode of the deterministic ``policy[h, s]``
    under the stationary kernel ``P[s, a, s']``: the start, then each next state, drawn by
    :func:`draw` from ``rng.random()`` in the order the compiled learners draw them."""
    s = draw(initial, rng.random())
    for h in range(policy.shape[0]):
        a = policy[h, s]
        s_next = draw(P[s, a], rng.random())
        yield h, s, a, s_next
        s = s_next


def quick_results(ids) -> dict:
    """The registered checks ``ids`` run once at quick scale with seed 0 (errors raised), by
    id."""
    from proofs_check.harness import discover, run_check

    discover()
    return {check_id: run_check(check_id, "quick", 0, raise_errors=True) for check_id in ids}


def quick_check_tests(ids, slow: bool = False, **expected):
    """The two pieces of a test module of registered checks, to assign at module level as
    ``results, test_check_passes_with_its_controls_rejected = quick_check_tests(IDS)``: the
    module-scoped fixture ``results`` (:func:`quick_results` of ``ids``) and the test, one case
    per id, of :func:`assert_passes_with_controls_rejected` with ``expected``, marked slow when
    ``slow``."""
    from proofs_check.harness import get

    @pytest.fixture(scope="module", name="results")
    def results_fixture():
        return quick_results(ids)

    @pytest.mark.parametrize("check_id", ids)
    def test_check_passes_with_its_controls_rejected(results, check_id):
        assert_passes_with_controls_rejected(results[check_id], get(check_id), **expected)

    test = test_check_passes_with_its_controls_rejected
    return results_fixture, pytest.mark.slow(test) if slow else test


def assert_quick_pass(check_id: str, controls: int | None = None, seed: int = 0):
    """The registered check ``check_id`` run once at quick scale (errors raised), asserted to
    pass with its controls rejected: at least one, exactly ``controls`` when given. Returns the
    result for the assertions that follow."""
    from proofs_check.harness import discover, run_check

    discover()
    result = run_check(check_id, "quick", seed, raise_errors=True)
    assert result.status == "pass", result.verdict.reason
    assert result.controls and all(control.rejected for control in result.controls), result.power
    if controls is not None:
        assert len(result.controls) == controls
    return result


def assert_passes_with_controls_rejected(result, theorem, tag=None, controls_required=True):
    """A check's result passes, every control it ran is rejected (``controls_required``: it ran
    at least one; otherwise only a statistical check must), and its record declares a kind, a
    source, ``verified=False``, the tag ``tag`` if given and, when statistical, its rule."""
    assert result.status == "pass", result.verdict.reason
    if controls_required:
        assert result.controls
    assert all(control.rejected for control in result.controls)
    assert theorem.kind is not None and theorem.source and theorem.verified is False
    if tag is not None:
        assert tag in theorem.tags
    if theorem.statistical:
        assert theorem.rule and result.controls


def same_model(a, b) -> bool:
    """Same type, name, dense kernel, rewards and initial distribution, bit for bit."""
    return (
        type(a) is type(b)
        and a.name == b.name
        and np.array_equal(a.dense_P(), b.dense_P())
        and np.array_equal(a.R, b.R)
        and np.array_equal(a.initial, b.initial)
    )
