"""The instance registry: ``make(name, **params)`` and ``available()``.

Each entry names a builder function; its parameters and defaults are read from the function's
signature with :mod:`inspect`, so the registry cannot drift from the code. Builders in
``instances.linear`` and ``instances.bandits`` are imported only when an entry is listed or
built, so the registry works while one of those modules is missing.

String values (as from a command line, ``--S 10``) are converted to the type of the
parameter's default: ``int``, ``float``, ``bool`` (``true/false/1/0/yes/no``), ``str``; a
``None`` default reads ``none`` as ``None`` and otherwise an int, then a float.

Examples
--------
>>> mdp = make("river_swim", S="8", H="30")
>>> mdp.name
'river_swim(S=8,H=30)'
>>> "garnet" in [entry.name for entry in available()]
True
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["REQUIRED", "Entry", "available", "available_table", "make", "names"]

REQUIRED = "<required>"
"""Shown as the default of a parameter that has none."""


@dataclass(frozen=True)
class Entry:
    """A registered family as listed by :func:`available`.

    Attributes
    ----------
    name : str
        The name passed to :func:`make`.
    description : str
        One line: what the instance is and its source.
    parameters : dict
        ``{parameter: default}`` in signature order, read from the builder's signature
        (``REQUIRED`` marks a parameter without default); empty when the builder cannot be
        imported.
    builder : str
        ``module:function`` of the function that builds it.
    importable : bool
        False while the builder's module (or function) is missing.
    reason : str
        Why it is not importable, else ``""``.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    builder: str
    importable: bool = True
    reason: str = ""


@dataclass(frozen=True)
class _Spec:
    name: str
    description: str
    module: str
    function: str
    requires: tuple[tuple[str, str], ...] = ()  # further (module, function) that must exist


def _tabular_as_linear_garnet(
    S: int = 10, A: int = 3, H: int = 5, branching: int = 3, seed: int = 0
):
    """A Garnet episodic MDP written as a linear MDP with one-hot features (d = S*A)."""
    from instances.linear import tabular_as_linear
    from instances.tabular import garnet

    return tabular_as_linear(garnet(S=S, A=A, branching=branching, H=H, seed=seed))


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        "garnet",
        "random Garnet MDP, b successors per pair (Archibald et al. 1995)",
        "instances.tabular",
        "garnet",
    ),
    _Spec(
        "river_swim",
        "RiverSwim chain, small reward left, large right (Strehl & Littman 2008)",
        "instances.tabular",
        "river_swim",
    ),
    _Spec(
        "chain",
        "deterministic chain: 'right' S-1 times opens it (lock with code all 1)",
        "instances.tabular",
        "chain",
    ),
    _Spec(
        "combination_lock",
        "one seeded action sequence pays; others reset (Whitehead 1991)",
        "instances.tabular",
        "combination_lock",
    ),
    _Spec(
        "gridworld",
        "text-map gridworld with slip, goal and traps",
        "instances.tabular",
        "gridworld",
    ),
    _Spec(
        "deep_sea",
        "N x N DeepSea with seeded action mapping (Osband et al. 2018, bsuite)",
        "instances.tabular",
        "deep_sea",
    ),
    _Spec(
        "safe_vs_risky_route",
        "fork where mean and CVaR optima differ (risk-averse RL)",
        "instances.risk",
        "safe_vs_risky_route",
    ),
    _Spec(
        "du2023_hard_instance",
        "iterated-CVaR lower-bound chain to a bandit state (Du, Wang, Huang 2023, Fig. 1)",
        "instances.risk",
        "du2023_hard_instance",
    ),
    _Spec(
        "lucky_start_instance",
        "static-CVaR optimum needs the accumulated reward (beats every Markov policy)",
        "instances.risk",
        "lucky_start_instance",
    ),
    _Spec(
        "latent_cvar_garnet",
        "latent-variable low-rank MDP with grid rewards (static CVaR, unknown features)",
        "instances.risk",
        "latent_cvar_garnet",
    ),
    _Spec(
        "tabular_as_linear",
        "Garnet as a linear MDP with one-hot features, d = S*A",
        "instances.registry",
        "_tabular_as_linear_garnet",
        requires=(("instances.linear", "tabular_as_linear"),),
    ),
    _Spec(
        "simplex_feature_linear_mdp",
        "linear MDP, features on the simplex (Jin et al. 2020)",
        "instances.linear",
        "simplex_feature_linear_mdp",
    ),
    _Spec(
        "misspecified_linear_mdp",
        "linear MDP with a zeta-perturbed kernel (Jin et al. 2020)",
        "instances.linear",
        "misspecified_linear_mdp",
    ),
    _Spec(
        "zhou_gu_szepesvari_hard_instance",
        "Omega(dH sqrt(T)) hard linear instance (Zhou+ 2021)",
        "instances.linear",
        "zhou_gu_szepesvari_hard_instance",
    ),
    _Spec(
        "random_low_rank_mdp",
        "random low-rank MDP from an exact rank-d factorisation",
        "instances.linear",
        "random_low_rank_mdp",
    ),
    _Spec(
        "lure_linear_mdp",
        "offline trap: an uncovered action lures greedy LSVI (PEVI check)",
        "instances.linear",
        "lure_linear_mdp",
    ),
    _Spec(
        "bernoulli_bandit",
        "K-armed Bernoulli bandit with a gap below the best arm",
        "instances.bandits",
        "bernoulli_bandit",
    ),
    _Spec(
        "gaussian_bandit",
        "K-armed Gaussian bandit with a gap below the best arm",
        "instances.bandits",
        "gaussian_bandit",
    ),
    _Spec(
        "one_good_arm_bandit",
        "one arm gap above K-1 equal arms (minimax lower bound, LS Ch. 15)",
        "instances.bandits",
        "one_good_arm_bandit",
    ),
    _Spec(
        "hypercube_linear_bandit",
        "theta in {+-n^-1/2}^d, Omega(d sqrt(n)) (LS Ch. 24)",
        "instances.bandits",
        "hypercube_linear_bandit",
    ),
    _Spec(
        "pg_feature_bandit",
        "4-arm feature bandit meeting or breaking the Lin-NPG / Lin-SPG conditions",
        "instances.bandits",
        "pg_feature_bandit",
    ),
    _Spec(
        "random_feature_bandit",
        "random finite-arm feature bandit (policy-gradient studies)",
        "instances.bandits",
        "random_feature_bandit",
    ),
    _Spec(
        "tsitsiklis_van_roy",
        "two states, one feature realising Q* = 0, not Bellman complete: FQI diverges",
        "instances.feature_failures",
        "tsitsiklis_van_roy",
    ),
    _Spec(
        "layered_chain",
        "layered reward process of width W; mixing 0 gives disjoint lanes",
        "instances.layered_chains",
        "layered_chain",
    ),
    _Spec(
        "merging_chains",
        "two lanes merging after k of H stages: trajectory crossing time k",
        "instances.layered_chains",
        "merging_chains",
    ),
    _Spec(
        "ucrl2_lower_bound",
        "UCRL2 lower-bound blocks, one hidden better action (Jaksch et al. 2010, Sec. 6)",
        "instances.average_reward",
        "ucrl2_lower_bound",
    ),
    _Spec(
        "communicating_garnet",
        "Garnet MDP conditioned to be communicating (average reward)",
        "instances.average_reward",
        "communicating_garnet",
    ),
    _Spec(
        "average_gridworld",
        "open grid; the goal pays 1 and returns to the start, D = 2(n-1)/(1-slip)",
        "instances.average_reward",
        "average_gridworld",
    ),
    _Spec(
        "effective_horizon_lure",
        "a lure hiding a lock of k*-1 steps: any H, designed k* (Laidlaw et al. 2023)",
        "instances.structure",
        "effective_horizon_lure",
    ),
    _Spec(
        "interval_walk",
        "noisy walk on [0, 1] with a smooth reward, discretised into N cells",
        "instances.structure",
        "interval_walk",
    ),
    _Spec(
        "safe_vs_fast_route",
        "short road that may crash vs a longer sure road: robust and nominal optima differ",
        "instances.robust",
        "safe_vs_fast_route",
    ),
    _Spec(
        "azar_three_action_bandit",
        "preference bandit a > b > c with the deterministic D_1 (Azar et al. 2024, Sec. 5)",
        "instances.preferences",
        "azar_three_action_bandit",
    ),
    _Spec(
        "bradley_terry_bandit",
        "random Bradley-Terry preference bandit with sampled pairs",
        "instances.preferences",
        "bradley_terry_bandit",
    ),
    _Spec(
        "rock_paper_scissors_bandit",
        "non-transitive preference bandit with sampled pairs",
        "instances.preferences",
        "rock_paper_scissors_bandit",
    ),
    _Spec(
        "offline_preference_garnet",
        "trajectory preferences on a small Garnet, full or partial coverage (Zhan+ 2024)",
        "instances.preferences",
        "offline_preference_garnet",
    ),
    _Spec(
        "climbing_game",
        "climbing game over states: optimum 11, safe local optimum 7 (Claus & Boutilier 1998)",
        "instances.games",
        "climbing_game",
    ),
    _Spec(
        "penalty_game",
        "penalty game over states: two optima, penalty k for mixing (Claus & Boutilier 1998)",
        "instances.games",
        "penalty_game",
    ),
    _Spec(
        "factored_gridworld",
        "2-3 agents on a grid, paid when all meet on the goal; a decoy cell pays less",
        "instances.games",
        "factored_gridworld",
    ),
    _Spec(
        "random_cooperative_game",
        "random cooperative game: a Garnet over n_actions ** n_agents joint actions",
        "instances.games",
        "random_cooperative_game",
    ),
    _Spec(
        "random_linear_mixture_mdp",
        "random homogeneous linear mixture MDP, Dirichlet basis kernels, total reward <= 1",
        "instances.linear_mixture",
        "random_linear_mixture_mdp",
    ),
    _Spec(
        "reward_free_hard_instance",
        "ZGS-style chain as a linear mixture, total reward <= 1 (one-sided hard chain)",
        "instances.linear_mixture",
        "reward_free_hard_instance",
    ),
    _Spec(
        "heteroscedastic_linear_mdp",
        "simplex-feature linear MDP, next-value variance spread set by a ratio knob",
        "instances.variance_aware",
        "heteroscedastic_linear_mdp",
    ),
    _Spec(
        "horizon_free_simplex",
        "simplex linear MDP with total reward <= 1 (or terminal-only), H <= 300",
        "instances.variance_aware",
        "horizon_free_simplex",
    ),
    _Spec(
        "horizon_free_garnet",
        "episodic Garnet with total reward <= 1 (or terminal-only), H <= 300",
        "instances.variance_aware",
        "horizon_free_garnet",
    ),
    _Spec(
        "lsvi_ucb_gap_instance",
        "Zhou+ 2021 hard family at a design budget: LSVI-UCB's d sqrt(d) gap (He+ 2023)",
        "instances.variance_aware",
        "lsvi_ucb_gap_instance",
    ),
    _Spec(
        "robust_route_linear_mdp",
        "safe vs fast road as a d-rectangular linear MDP: robust and nominal optima differ",
        "instances.linear",
        "robust_route_linear_mdp",
    ),
    _Spec(
        "discounted_linear_mdp",
        "random discounted linear MDP, simplex features (generative-model planning)",
        "instances.discounted_linear",
        "discounted_linear_mdp",
    ),
    _Spec(
        "variance_contrast_linear_mdp",
        "3-state discounted linear MDP where variance-weighted least squares pays",
        "instances.discounted_linear",
        "variance_contrast_linear_mdp",
    ),
    _Spec(
        "preference_lock_linear_mdp",
        "two-state lock as a linear MDP for online trajectory preferences (Wu+Sun 2024)",
        "instances.preferences",
        "preference_lock_linear_mdp",
    ),
    _Spec(
        "reward_free_lower_bound",
        "chain escaping to good or bad by <mu, a>: reward-free needs every sign of mu",
        "instances.linear_mixture",
        "reward_free_lower_bound",
    ),
    _Spec(
        "contextual_bt_bandit",
        "contextual Bradley-Terry bandit: finite contexts of K linear arms (Saha 2021)",
        "instances.preferences",
        "contextual_bt_bandit",
    ),
    _Spec(
        "horizon_free_stationary_simplex",
        "stationary simplex linear MDP (one kernel for all stages), total reward <= 1, H <= 300",
        "instances.variance_aware",
        "horizon_free_stationary_simplex",
    ),
    _Spec(
        "linear_icvar_hard_instance",
        "alpha-chain to a hypercube linear bandit (ICVaR-L lower-bound family, reconstructed)",
        "instances.risk_linear",
        "linear_icvar_hard_instance",
    ),
    _Spec(
        "hypercube_gap_linear_mdp",
        "hypercube-action hard linear MDP (Zhou+ 2021 H1), d features, a subset of A actions",
        "instances.linear_gap",
        "hypercube_gap_linear_mdp",
    ),
)
_BY_NAME = {spec.name: spec for spec in _SPECS}


def names() -> list[str]:
    """Registered names, in registry order (no imports needed)."""
    return [spec.name for spec in _SPECS]


def _resolve(module: str, function: str) -> Callable[..., Any]:
    """Import ``module.function``; raises ImportError or AttributeError if missing."""
    return getattr(importlib.import_module(module), function)


def _load(spec: _Spec) -> tuple[Callable[..., Any] | None, str]:
    """The builder, or ``(None, reason)`` when its module or function is not there yet."""
    try:
        for module, function in spec.requires:
            _resolve(module, function)
        return _resolve(spec.module, spec.function), ""
    except ModuleNotFoundError as error:
        return None, f"module {error.name!r} is not available"
    except AttributeError as error:
        return None, str(error)


def _parameters(builder: Callable[..., Any]) -> dict[str, Any]:
    out = {}
    for parameter in inspect.signature(builder).parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        empty = parameter.default is inspect.Parameter.empty
        out[parameter.name] = REQUIRED if empty else parameter.default
    return out


def _entry(spec: _Spec) -> Entry:
    builder, reason = _load(spec)
    target = f"{spec.module}:{spec.function}"
    if builder is None:
        return Entry(spec.name, spec.description, {}, target, importable=False, reason=reason)
    return Entry(spec.name, spec.description, _parameters(builder), target)


def available() -> list[Entry]:
    """Every registered family with its description and parameters (name and default).

    Entries whose builder module is not importable are listed with ``importable=False`` and
    the reason, so the list is complete whatever is installed.

    Examples
    --------
    >>> entry = {e.name: e for e in available()}["river_swim"]
    >>> entry.parameters["S"], entry.parameters["gamma"]
    (6, 0.95)
    """
    return [_entry(spec) for spec in _SPECS]


def _show(value: Any) -> str:
    # multi-line strings (gridworld maps) are shown with '/' between rows, as make() reads them
    return repr(value.replace("\n", "/")) if isinstance(value, str) else repr(value)


def available_table() -> str:
    """A plain-text table of :func:`available`: one line with the name and description, one
    indented line with the parameters and defaults.

    Examples
    --------
    >>> available_table().splitlines()[0].split()[0]
    'garnet'
    """
    entries = available()
    width = max(len(entry.name) for entry in entries)
    lines = []
    for entry in entries:
        if entry.importable:
            params = ", ".join(f"{key}={_show(value)}" for key, value in entry.parameters.items())
        else:
            params = f"(not available: {entry.reason})"
        lines.append(f"{entry.name:<{width}}  {entry.description}")
        lines.append(f"{'':<{width}}    {params}")
    return "\n".join(lines)


_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def _coerce(family: str, name: str, text: str, default: Any) -> Any:
    """Read a command-line string as the type of ``default``."""

    def fail(kind: str) -> ValueError:
        return ValueError(f"{family}: parameter {name} expects {kind}, got {text!r}")

    stripped = text.strip()
    if default is None or default is REQUIRED:
        if stripped.lower() in {"none", "null"}:
            return None
        for kind in (int, float):
            try:
                return kind(stripped)
            except ValueError:
                continue
        return text
    if isinstance(default, bool):
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise fail(f"a bool ({'/'.join(sorted(_TRUE | _FALSE))})")
    if isinstance(default, int):
        try:
            return int(stripped)
        except ValueError:
            raise fail("an int") from None
    if isinstance(default, float):
        try:
            return float(stripped)
        except ValueError:
            raise fail("a float") from None
    if isinstance(default, str):
        return text
    raise fail(f"a {type(default).__name__}, which cannot be read from a string")


def make(name: str, **params: Any) -> Any:
    """Build the registered instance ``name`` with ``params`` (others keep their defaults).

    Parameters
    ----------
    name : str
        A name from :func:`names` / :func:`available`.
    **params
        Builder parameters; strings are converted to the type of the default.

    Raises
    ------
    ValueError
        For an unknown name (listing the registered ones), an unknown parameter (listing the
        accepted ones), a string that does not read as the parameter's type, or a value the
        builder rejects.
    ImportError
        When the family's module is not available.

    Examples
    --------
    >>> make("garnet", S=5, A=2, H="4", seed="3").name
    'garnet(S=5,A=2,branching=3,H=4,seed=3)'
    """
    spec = _BY_NAME.get(name)
    if spec is None:
        raise ValueError(f"unknown instance {name!r}; registered: {', '.join(names())}")
    builder, reason = _load(spec)
    if builder is None:
        raise ImportError(f"instance {name!r} cannot be built: {reason}")
    accepted = _parameters(builder)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        listing = ", ".join(f"{key}={value!r}" for key, value in accepted.items())
        raise ValueError(f"{name}: unknown parameter(s) {', '.join(unknown)}; accepted: {listing}")
    missing = [
        key for key, default in accepted.items() if default is REQUIRED and key not in params
    ]
    if missing:
        raise ValueError(f"{name}: missing required parameter(s) {', '.join(missing)}")
    values = {
        key: (_coerce(name, key, value, accepted[key]) if isinstance(value, str) else value)
        for key, value in params.items()
    }
    return builder(**values)
