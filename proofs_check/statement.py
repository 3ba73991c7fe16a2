"""A check's statement read from its docstring: the claim and the sections Formula, Rule, Source.

A check registered with :func:`proofs_check.harness.theorem` without ``claim=`` states its
claim in its own docstring, numpydoc style::

    N_SEEDS = 16


    @theorem(id="demo.mean-error", paper="Hoeffding (1963)", tags=("demo",), kind="slope")
    def mean_error(scale: str, seed: int) -> Outcome:
        \"""The mean absolute error of the empirical mean of n Bernoulli(0.3) samples decays as
        n^(-1/2) over {N_SEEDS} seeds.

        Formula
        -------
        E|mean_n - p| = Theta(n^(-1/2))

        Rule
        ----
        Grid, seeds and the tolerance 0.05 fixed in code before any run.

        Source
        ------
        Hoeffding (1963), Theorem 1, read in the paper.
        \"""

* the summary paragraph(s), before the first section, are the **claim**;
* ``Formula`` (required), ``Rule`` (required for the statistical kinds) and ``Source`` are the
  other fields; the usual numpydoc sections (``Notes``, ``Examples``, ...) may follow and are
  not part of the statement;
* the lines of a paragraph are joined by single spaces, so the prose may be wrapped at the
  line length and still reads as one line in the report; paragraphs stay apart (a blank line);
* ``{NAME}``, ``{NAME:.2f}``, ``{NAME[0]}`` stand for the values of the module's constants,
  filled in (:meth:`str.format_map` over the function's module globals) when the check is
  registered, so the numbers of the statement are those the check runs with; literal braces
  are written ``{{`` and ``}}``.

An unknown placeholder, a missing required section, an unknown or repeated section raise
``ValueError`` naming the check and the field when its module is imported. A docstring without
any of the three sections is an ordinary docstring and states nothing.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

STATEMENT_SECTIONS: dict[str, str] = {"Formula": "formula", "Rule": "rule", "Source": "source"}
"""The docstring sections of a statement and the fields they fill."""
OTHER_SECTIONS: tuple[str, ...] = (
    "Parameters",
    "Returns",
    "Raises",
    "Warns",
    "Warnings",
    "See Also",
    "Notes",
    "References",
    "Examples",
)
"""The numpydoc sections a check's docstring may hold besides its statement."""
_UNDERLINE = re.compile(r"^-{3,}$")


@dataclass(frozen=True)
class Docstring:
    """A docstring split into its summary and its sections, placeholders not yet filled in.

    Attributes
    ----------
    text : str
        The whole docstring, indentation removed (:func:`inspect.cleandoc`).
    summary : str
        The paragraphs before the first section, each paragraph's lines joined by spaces.
    sections : dict of str
        Section name to its text, joined the same way.
    order : tuple of str
        The section names in order, repeats included.

    Examples
    --------
    >>> doc = Docstring.parse('''Regret grows as
    ...     sqrt(K).
    ...
    ...     Formula
    ...     -------
    ...     R(K) = O(sqrt K)
    ...     ''')
    >>> doc.summary, doc.sections
    ('Regret grows as sqrt(K).', {'Formula': 'R(K) = O(sqrt K)'})
    """

    text: str
    summary: str
    sections: Mapping[str, str]
    order: tuple[str, ...] = ()

    @classmethod
    def parse(cls, doc: str) -> Docstring:
        """Split ``doc`` at its section headers (a name underlined with dashes)."""
        text = inspect.cleandoc(doc)
        lines = text.splitlines()
        blocks: list[tuple[str, list[str]]] = [("", [])]
        i = 0
        while i < len(lines):
            name = lines[i].strip()
            if i + 1 < len(lines) and name and _UNDERLINE.match(lines[i + 1].strip()):
                blocks.append((name, []))
                i += 2
                continue
            blocks[-1][1].append(lines[i])
            i += 1
        names = [name for name, _ in blocks[1:]]
        sections = {name: _joined(body) for name, body in blocks[1:]}
        return cls(text, _joined(blocks[0][1]), sections, tuple(names))

    def check_sections(self, what: str) -> None:
        """``ValueError`` naming ``what`` for a section that is unknown or appears twice."""
        for i, name in enumerate(self.order):
            if name not in STATEMENT_SECTIONS and name not in OTHER_SECTIONS:
                known = ", ".join((*STATEMENT_SECTIONS, *OTHER_SECTIONS))
                raise ValueError(f"{what}: unknown section {name!r} (known: {known})")
            if name in self.order[:i]:
                raise ValueError(f"{what}: section {name!r} appears twice")

    @property
    def states(self) -> bool:
        """True when the docstring has a statement section (Formula, Rule or Source)."""
        return any(name in STATEMENT_SECTIONS for name in self.sections)

    def fields(self) -> dict[str, str]:
        """The statement fields it gives: ``claim`` (the summary) and one per section present."""
        fields = {"claim": self.summary} if self.summary else {}
        for name, field_name in STATEMENT_SECTIONS.items():
            if name in self.sections:
                fields[field_name] = self.sections[name]
        return fields


def _joined(lines: list[str]) -> str:
    """Paragraphs (split at blank lines) with their lines joined by single spaces."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join(paragraphs)


def filled(template: str, names: Mapping[str, Any], what: str) -> str:
    """``template`` with its ``{NAME}`` placeholders filled from ``names``
    (:meth:`str.format_map`); an unknown name or a malformed placeholder raises ``ValueError``
    naming ``what``.

    Examples
    --------
    >>> filled("c in {{1, {C:g}}}, K = {PLAN[0]}", {"C": 0.3, "PLAN": (100, 8)}, "claim")
    'c in {1, 0.3}, K = 100'
    """
    try:
        return template.format_map(names)
    except KeyError as exc:
        raise ValueError(
            f"{what}: unknown placeholder {{{exc.args[0]}}} (not a name of the module; "
            "write literal braces as {{ and }})"
        ) from None
    except (AttributeError, IndexError, TypeError, ValueError) as exc:
        raise ValueError(f"{what}: cannot fill in its placeholders: {exc}") from None


def _docstring(func: Callable) -> str | None:
    """``func.__doc__``; under ``python -OO``, which drops docstrings, the docstring read from the
    function's source, so that the checks keep their statements."""
    if func.__doc__ is not None or sys.flags.optimize < 2:
        return func.__doc__
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):  # no source to read: defined in a string or not in Python
        return None
    node = ast.parse(source).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return ast.get_docstring(node, clean=False)


def docstring_statement(check_id: str, func: Callable) -> tuple[dict[str, str], str | None]:
    """The statement fields in ``func``'s docstring, placeholders filled in from its module
    globals, and the filled-in docstring (None when the docstring states nothing).

    A docstring without a statement section (Formula, Rule, Source) is an ordinary docstring:
    no fields.
    """
    text = _docstring(func)
    if not text:
        return {}, None
    doc = Docstring.parse(text)
    if not doc.states:
        return {}, None
    doc.check_sections(f"theorem {check_id!r}: docstring")
    names = getattr(func, "__globals__", {})
    fields = {
        name: filled(text, names, f"theorem {check_id!r}: {name}")
        for name, text in doc.fields().items()
    }
    return fields, filled(doc.text, names, f"theorem {check_id!r}: docstring")


__all__ = ["OTHER_SECTIONS", "STATEMENT_SECTIONS", "Docstring", "docstring_statement", "filled"]
