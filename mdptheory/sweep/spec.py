"""The sweep specification: a small TOML file read with the standard library's ``tomllib``.

A sweep is every instance x every learner x every budget, each cell run for ``seeds``
repetitions::

    seeds = 10            # repetitions per cell
    seed = 0              # root seed (SeedSequence(seed).spawn(seeds), in the client)
    budgets = [1000]      # episodes, rounds or iterations; one cell per budget

    [[instances]]
    name = "river_swim"           # a name of `mdptheory instances`
    params = { H = 10 }           # fixed parameters
    grid = { S = [4, 6, 8] }      # swept parameters: one instance per combination

    [[learners]]
    name = "ucbvi"                # a name of `mdptheory learners`
    hyperparameters = { bonus = "bernstein" }
    grid = { bonus_scale = [0.1, 1.0] }
    label = "ucbvi-bf"            # optional, shown in the table and figures
    instances = ["river_swim"]    # optional: run only on these instance names or labels

:func:`parse_spec` checks the keys and types; :func:`build_cells` builds the instances and
learners through the registries it is given (``instances.make`` and
``algorithms.registry.make_learner``, passed in by the command line so that ``mdptheory`` does
not import the packages above it). Every error is a ``ValueError`` of one line that names the
key and the value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOP_KEYS = ("seeds", "seed", "budgets", "instances", "learners")
INSTANCE_KEYS = ("name", "params", "grid", "label")
LEARNER_KEYS = ("name", "hyperparameters", "grid", "label", "instances")

_Scalar = (bool, int, float, str)


@dataclass(frozen=True)
class InstanceSpec:
    """One ``[[instances]]`` entry: a registry name, fixed and swept parameters, a label."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    label: str | None = None


@dataclass(frozen=True)
class LearnerSpec:
    """One ``[[learners]]`` entry: a registry name, fixed and swept hyperparameters, a label and
    optionally the instances (names or labels) it runs on."""

    name: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    label: str | None = None
    instances: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep: instances, learners, budgets, repetitions per cell and the root seed."""

    instances: tuple[InstanceSpec, ...]
    learners: tuple[LearnerSpec, ...]
    budgets: tuple[int, ...]
    seeds: int
    seed: int = 0
    source: str = "spec"

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (for ``summary.json``)."""
        return {
            "seeds": self.seeds,
            "seed": self.seed,
            "budgets": list(self.budgets),
            "instances": [
                {"name": i.name, "params": i.params, "grid": i.grid, "label": i.label}
                for i in self.instances
            ],
            "learners": [
                {
                    "name": lr.name,
                    "hyperparameters": lr.hyperparameters,
                    "grid": lr.grid,
                    "label": lr.label,
                    "instances": list(lr.instances) if lr.instances else None,
                }
                for lr in self.learners
            ],
        }


def _fail(source: str, key: str, message: str) -> ValueError:
    return ValueError(f"{source}: {key}: {message}")


def _positive_int(source: str, key: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise _fail(source, key, f"expects {kind}, got {value!r}")
    return value


def _tables(
    source: str, data: Mapping[str, Any], key: str, keys: Sequence[str]
) -> Iterator[tuple[str, Any]]:
    """The ``[[key]]`` tables of a spec, each with where it stands (``key[i]``): refused unless
    they form a non-empty list of tables with a ``name`` and no key outside ``keys``."""
    entries = data[key]
    if not isinstance(entries, list) or not entries:
        raise _fail(source, key, f"expects at least one [[{key}]] table")
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        _check_keys(source, where, entry, keys, required=("name",))
        yield where, entry


def _check_keys(
    source: str, where: str, table: Any, accepted: Sequence[str], required: Sequence[str] = ()
) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise _fail(source, where, f"expects a table, got {table!r}")
    for key in table:
        if key not in accepted:
            raise _fail(
                source,
                f"{where}.{key}" if where else key,
                f"unknown key (value {table[key]!r}); accepted: {', '.join(accepted)}",
            )
    for key in required:
        if key not in table:
            raise _fail(source, f"{where}.{key}" if where else key, "is required")
    return table


def _table(source: str, where: str, table: Any) -> Mapping[str, Any]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise _fail(source, where, f"expects a table such as {{ S = 6 }}, got {table!r}")
    return table


def _values(source: str, where: str, table: Any) -> dict[str, Any]:
    out = {}
    for key, value in _table(source, where, table).items():
        if not isinstance(value, _Scalar):
            raise _fail(
                source, f"{where}.{key}", f"expects a number, string or boolean, got {value!r}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(source, f"{where}.{key}", f"expects a finite number, got {value!r}")
        out[key] = value
    return out


def _grid(source: str, where: str, table: Any, fixed: Mapping[str, Any]) -> dict[str, list]:
    out = {}
    for key, values in _table(source, where, table).items():
        name = f"{where}.{key}"
        if key in fixed:
            raise _fail(source, name, "is both fixed and swept; give it in one place")
        if not isinstance(values, list) or not values:
            raise _fail(source, name, f"expects a non-empty list of values, got {values!r}")
        checked = list(_values(source, name, {str(i): v for i, v in enumerate(values)}).values())
        if len({json.dumps(v) for v in checked}) != len(checked):
            raise _fail(source, name, f"lists a value twice: {values!r}")
        out[key] = checked
    return out


def _label(source: str, where: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, where, f"expects a non-empty string, got {value!r}")
    return value


def _name(source: str, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(source, where, f"expects a registry name (a string), got {value!r}")
    return value


def _named(source: str, where: str, entry: dict, values: dict) -> dict[str, Any]:
    """The checked ``name``, ``grid`` (over the keys of ``values``) and ``label`` of one
    ``[[instances]]`` or ``[[learners]]`` table, checked in that order."""
    return {
        "name": _name(source, f"{where}.name", entry["name"]),
        "grid": _grid(source, f"{where}.grid", entry.get("grid"), values),
        "label": _label(source, f"{where}.label", entry.get("label")),
    }


def parse_spec(data: Mapping[str, Any] | str, source: str = "spec") -> SweepSpec:
    """Check a sweep spec (TOML text or its parsed table) and return a :class:`SweepSpec`.

    Raises
    ------
    ValueError
        One line ``SOURCE: KEY: message`` naming the key and the value.

    Examples
    --------
    >>> spec = parse_spec('''
    ... seeds = 3
    ... budgets = [100]
    ... [[instances]]
    ... name = "river_swim"
    ... params = { H = 5 }
    ... [[learners]]
    ... name = "ucbvi"
    ... ''')
    >>> spec.seeds, spec.budgets, spec.instances[0].params
    (3, (100,), {'H': 5})
    >>> parse_spec({"seeds": 3, "budgets": [0], "instances": [], "learners": []})
    Traceback (most recent call last):
    ...
    ValueError: spec: budgets[0]: expects a positive int, got 0
    """
    if isinstance(data, str):
        try:
            data = tomllib.loads(data)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{source}: not valid TOML: {error}") from None
    _check_keys(source, "", data, TOP_KEYS, required=("seeds", "budgets", "instances", "learners"))
    seeds = _positive_int(source, "seeds", data["seeds"])
    seed = _positive_int(source, "seed", data.get("seed", 0), minimum=0)
    budgets = data["budgets"]
    if isinstance(budgets, int) and not isinstance(budgets, bool):
        budgets = [budgets]
    if not isinstance(budgets, list) or not budgets:
        raise _fail(
            source, "budgets", f"expects a non-empty list of positive ints, got {budgets!r}"
        )
    for i, budget in enumerate(budgets):
        _positive_int(source, f"budgets[{i}]", budget)
    if len(set(budgets)) != len(budgets):
        raise _fail(source, "budgets", f"lists a budget twice: {budgets!r}")

    instances = []
    for where, entry in _tables(source, data, "instances", INSTANCE_KEYS):
        params = _values(source, f"{where}.params", entry.get("params"))
        instances.append(InstanceSpec(params=params, **_named(source, where, entry, params)))

    learners = []
    for where, entry in _tables(source, data, "learners", LEARNER_KEYS):
        hyper = _values(source, f"{where}.hyperparameters", entry.get("hyperparameters"))
        only = entry.get("instances")
        if only is not None:
            if not isinstance(only, list) or not only or not all(isinstance(o, str) for o in only):
                raise _fail(
                    source,
                    f"{where}.instances",
                    f"expects a non-empty list of instance names or labels, got {only!r}",
                )
            only = tuple(only)
        fields = _named(source, where, entry, hyper)
        learners.append(LearnerSpec(hyperparameters=hyper, instances=only, **fields))
    return SweepSpec(tuple(instances), tuple(learners), tuple(budgets), seeds, seed, source)


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and check the sweep spec in the TOML file ``path`` (see :func:`parse_spec`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read the sweep spec {path}: {error.strerror or error}") from None
    return parse_spec(text, source=str(path))


# --------------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep: a learner with its hyperparameters on an instance with its
    parameters, for one budget.

    Attributes
    ----------
    instance, learner : str
        Registry names.
    instance_params, hyperparameters : dict
        Every parameter given (fixed and swept); the others keep the registry's defaults.
    instance_label, learner_label : str
        Names shown in the table and figures: the entry's label (default: its registry name)
        followed by the swept values, e.g. ``river_swim[S=4]``.
    instance_swept, learner_swept : dict
        The swept parameters and their values in this cell.
    instance_base, learner_base : str
        The labels without the swept values.
    budget : int
    """

    instance: str
    instance_params: dict[str, Any]
    instance_label: str
    instance_swept: dict[str, Any]
    instance_base: str
    learner: str
    hyperparameters: dict[str, Any]
    learner_label: str
    learner_swept: dict[str, Any]
    learner_base: str
    budget: int

    def folder_name(self, seed: int) -> str:
        """Folder of the cell inside the sweep's output folder: registry names, budget and a
        hash of everything that defines the runs (labels do not count)."""
        setting = json.dumps(
            [
                self.instance,
                self.instance_params,
                self.learner,
                self.hyperparameters,
                self.budget,
                seed,
            ],
            sort_keys=True,
        )
        tag = hashlib.sha1(setting.encode()).hexdigest()[:10]
        parts = [
            self.learner,
            *(f"{k}={v}" for k, v in self.learner_swept.items()),
            "_",
            self.instance,
            *(f"{k}={v}" for k, v in self.instance_swept.items()),
        ]
        slug = re.sub(r"[^A-Za-z0-9_.=-]+", "-", "-".join(parts)).replace("-_-", "__")
        return f"{slug}__K{self.budget}__{tag}"


@dataclass(frozen=True)
class BuiltCell:
    """A cell with its learner and model built."""

    cell: Cell
    learner: Any
    model: Any
    model_key: int
    """Index of the model among the sweep's distinct models (cells may share one)."""


def _combinations(grid: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def _suffix(swept: Mapping[str, Any]) -> str:
    return "[" + ",".join(f"{k}={v}" for k, v in swept.items()) + "]" if swept else ""


def _text(value: Any) -> str:
    # The registries read strings as the type of each parameter's default, with messages that
    # name the parameter, so TOML values go through the same reading as command-line ones.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _describe(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _claim_label(source: str, where: str, label: str, labels: dict[str, str]) -> str:
    """Record ``label`` as the label of the entry ``where`` in ``labels`` and return it;
    refuse a label another entry already has."""
    if label in labels:
        raise _fail(
            source,
            f"{where}.label",
            f"{label!r} is also the label of {labels[label]}; give a distinct label",
        )
    labels[label] = where
    return label


def build_cells(
    spec: SweepSpec, make_instance: Callable[..., Any], make_learner: Callable[..., Any]
) -> list[BuiltCell]:
    """Expand the grids of ``spec`` and build every instance and learner.

    Parameters
    ----------
    spec : SweepSpec
    make_instance, make_learner : callable
        ``make_instance(name, **params)`` and ``make_learner(name, **hyperparameters)``, e.g.
        ``instances.make`` and ``algorithms.registry.make_learner``.

    Returns
    -------
    list of BuiltCell
        In the order instances x learners x budgets.

    Raises
    ------
    ValueError
        One line naming the entry, the key and the value: an unknown name, a bad parameter or
        hyperparameter, two entries with the same label, or a learner restricted to an
        instance the spec does not hold.
    """
    source = spec.source
    variants: list[tuple[InstanceSpec, dict, dict, str, int, Any]] = []
    models: list[Any] = []
    labels: dict[str, str] = {}
    for i, entry in enumerate(spec.instances):
        base = entry.label or entry.name
        for swept in _combinations(entry.grid):
            params = {**entry.params, **swept}
            where = f"instances[{i}]"
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
            try:
                model = make_instance(entry.name, **{k: _text(v) for k, v in params.items()})
            except (ValueError, TypeError, ImportError) as error:
                raise _fail(source, where, f"{entry.name}({shown}): {_describe(error)}") from None
            label = _claim_label(source, where, base + _suffix(swept), labels)
            models.append(model)
            variants.append((entry, params, swept, label, len(models) - 1, model))

    known = {entry.name for entry in spec.instances} | {
        entry.label for entry in spec.instances if entry.label
    }
    cells = []
    learner_labels: dict[str, str] = {}
    learners = []
    for j, entry in enumerate(spec.learners):
        where = f"learners[{j}]"
        for name in entry.instances or ():
            if name not in known:
                raise _fail(
                    source,
                    f"{where}.instances",
                    f"{name!r} is not the name or label of an instance of this spec",
                )
        base = entry.label or entry.name
        for swept in _combinations(entry.grid):
            hyper = {**entry.hyperparameters, **swept}
            try:
                learner = make_learner(entry.name, **{k: _text(v) for k, v in hyper.items()})
            except (ValueError, TypeError) as error:
                shown = ", ".join(f"{k}={v!r}" for k, v in hyper.items())
                raise _fail(source, where, f"{entry.name}({shown}): {_describe(error)}") from None
            label = _claim_label(source, where, base + _suffix(swept), learner_labels)
            learners.append((entry, hyper, swept, label, base, learner))

    for inst, params, iswept, ilabel, key, model in variants:
        ibase = inst.label or inst.name
        for lentry, hyper, lswept, llabel, lbase, learner in learners:
            if lentry.instances and not ({inst.name, ibase} & set(lentry.instances)):
                continue
            for budget in spec.budgets:
                cell = Cell(
                    inst.name,
                    params,
                    ilabel,
                    iswept,
                    ibase,
                    lentry.name,
                    hyper,
                    llabel,
                    lswept,
                    lbase,
                    budget,
                )
                cells.append(BuiltCell(cell, learner, model, key))
    if not cells:
        raise _fail(
            source, "learners", "no learner runs on any instance (see their 'instances' keys)"
        )
    return cells


__all__ = [
    "BuiltCell",
    "Cell",
    "InstanceSpec",
    "LearnerSpec",
    "SweepSpec",
    "build_cells",
    "load_spec",
    "parse_spec",
]
