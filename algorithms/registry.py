"""Learners by name: ``make_learner("ucbvi", bonus="bernstein")``, ``available_learners()``.

Each setting package (``algorithms.bandits``, ``algorithms.tabular``, ...) exports a dict
``LEARNERS`` mapping a command-line name to a frozen hyperparameter dataclass; this module
collects them. Hyperparameter values given as strings (from the command line) are converted to
the type of the field's default.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any

SETTING_PACKAGES = (
    "algorithms.bandits",
    "algorithms.tabular",
    "algorithms.linear",
    "algorithms.offline",
    "algorithms.policy_gradient",
    "algorithms.risk",
    "algorithms.average_reward",
    "algorithms.preferences",
    "algorithms.multi_agent",
    "algorithms.mixture",
    "algorithms.reward_free",
    "algorithms.generative",
)


@dataclass(frozen=True)
class LearnerEntry:
    """One registered learner: its name, class, one-line summary and default hyperparameters."""

    name: str
    cls: type
    summary: str
    defaults: dict[str, Any]


def _collect() -> dict[str, type]:
    learners: dict[str, type] = {}
    for package in SETTING_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError as error:
            # A setting package that is not part of this installation; any other import
            # failure inside an existing package propagates.
            if error.name == package:
                continue
            raise
        for name, cls in getattr(module, "LEARNERS", {}).items():
            if name in learners:
                raise ValueError(
                    f"learner name {name!r} is registered twice "
                    f"({learners[name].__module__} and {cls.__module__})"
                )
            learners[name] = cls
    return learners


def _defaults(cls: type) -> dict[str, Any]:
    values = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            values[f.name] = f.default_factory()
    return values


def available_learners() -> list[LearnerEntry]:
    """Every registered learner, sorted by name."""
    entries = []
    for name, cls in sorted(_collect().items()):
        doc = (cls.__doc__ or "").strip().splitlines()
        entries.append(LearnerEntry(name, cls, doc[0] if doc else "", _defaults(cls)))
    return entries


def _coerce(value: Any, default: Any, name: str) -> Any:
    if not isinstance(value, str) or isinstance(default, str):
        return value
    if isinstance(default, bool):
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(f"hyperparameter {name} expects true or false, got {value!r}")
    if default is None:
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                continue
        return value
    try:
        return type(default)(value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"hyperparameter {name} expects a {type(default).__name__}, got {value!r}"
        ) from error


def make_learner(name: str, **hyperparameters: Any) -> Any:
    """Build the learner registered as ``name`` with the given hyperparameters.

    Raises
    ------
    ValueError
        For an unknown name (listing the registered ones) or an unknown hyperparameter (listing
        the accepted ones).
    """
    learners = _collect()
    if name not in learners:
        raise ValueError(f"unknown learner {name!r}; registered: {sorted(learners)}")
    cls = learners[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(hyperparameters) - set(fields))
    if unknown:
        raise ValueError(
            f"learner {name!r} has no hyperparameter {unknown}; accepted: {sorted(fields)}"
        )
    defaults = _defaults(cls)
    converted = {k: _coerce(v, defaults.get(k), k) for k, v in hyperparameters.items()}
    return cls(**converted)
