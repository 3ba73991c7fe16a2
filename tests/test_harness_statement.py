"""Tests of a check's statement written in its docstring (proofs_check.statement)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs_check import harness
from proofs_check.harness import Evidence, Outcome, Registry, Verdict
from proofs_check.statement import Docstring, filled

GRID = (10, 100, 1000)
TOL = 0.05
SOURCE = "Toy (2024), Theorem 1, read in the paper"


def passing(scale: str, seed: int) -> Outcome:
    return Outcome(Evidence(), Verdict.passed("fine"))


def registered(doc: str, **keywords) -> tuple[Registry, harness.Theorem]:
    """A registry holding one check whose docstring is ``doc`` (module globals of this file)."""
    reg = Registry()

    def check(scale: str, seed: int) -> Outcome:
        return passing(scale, seed)

    check.__doc__ = doc
    reg.theorem(id="toy.doc", paper="Toy (2024)", **keywords)(check)
    return reg, reg.get("toy.doc")


def test_the_docstring_states_claim_formula_rule_and_source():
    doc = """Regret grows at most as sqrt(K) on the grid {GRID} (first point {GRID[0]}),
    tolerance {TOL:.2f}; the set {{1, 2}} is literal.

    A second paragraph of the claim.

    Formula
    -------
    R(K) <= C sqrt(K)  on
    every K

    Rule
    ----
    Grid and tolerance {TOL} fixed in code before any run.

    Source
    ------
    {SOURCE}; the constant C is reconstructed.

    Notes
    -----
    How it runs: {{not a placeholder}}, and not part of the statement.
    """
    _, theorem = registered(doc, kind="slope")
    assert theorem.claim == (
        "Regret grows at most as sqrt(K) on the grid (10, 100, 1000) (first point 10), "
        "tolerance 0.05; the set {1, 2} is literal.\n\nA second paragraph of the claim."
    )
    assert theorem.formula == "R(K) <= C sqrt(K)  on every K"
    assert theorem.rule == "Grid and tolerance 0.05 fixed in code before any run."
    assert theorem.source == f"{SOURCE}; the constant C is reconstructed."
    assert theorem.info()["claim"] == theorem.claim
    # help() shows the numbers: the docstring itself is filled in
    assert "grid (10, 100, 1000)" in theorem.func.__doc__
    assert "{not a placeholder}" in theorem.func.__doc__
    again = Docstring.parse(theorem.func.__doc__)
    assert again.summary == theorem.claim and again.sections["Source"] == theorem.source


def test_rule_and_source_are_optional_for_an_exact_check():
    _, theorem = registered("One plus one is two.\n\nFormula\n-------\n1 + 1 = 2\n", kind="exact")
    assert (theorem.claim, theorem.formula, theorem.rule, theorem.source) == (
        "One plus one is two.",
        "1 + 1 = 2",
        "",
        "",
    )
    assert theorem.info()["source"] == "Toy (2024)"  # the paper stands in, as with keywords


@pytest.mark.parametrize(
    ("doc", "keywords", "message"),
    [
        (
            "Claim {NOPE}.\n\nFormula\n-------\nf\n",
            {},
            r"'toy.doc': claim: unknown placeholder \{NOPE\}",
        ),
        ("Claim.\n\nFormula\n-------\nf {GRID[7]}\n", {}, "'toy.doc': formula: cannot fill in"),
        ("Claim.\n\nFormula\n-------\nf {\n", {}, "'toy.doc': formula: cannot fill in"),
        ("Claim.\n\nSource\n------\ns\n", {}, "'toy.doc': no formula: .*Formula section"),
        ("Formula\n-------\nf\n", {}, "'toy.doc': no claim: .*summary"),
        ("Just a docstring.", {}, "'toy.doc': no claim"),
        ("Claim.\n\nFormula\n-------\nf\n", {"kind": "bound"}, "'toy.doc': a bound check .* Rule"),
        ("Claim.\n\nFormula\n-------\nf\n\nRules\n-----\nr\n", {}, "unknown section 'Rules'"),
        ("Claim.\n\nFormula\n-------\nf\n\nFormula\n-------\ng\n", {}, "'Formula' appears twice"),
        ("Claim.\n\nFormula\n-------\nf\n", {"formula": "g"}, "formula is given both"),
        ("Claim.\n\nRule\n----\nr\n", {"claim": "c", "formula": "f"}, "claim is given both"),
        ("Claim.\n\nFormula\n-------\nf\n", {"claim": "c", "formula": "f"}, "given both"),
    ],
)
def test_a_statement_that_is_incomplete_or_given_twice_is_an_error(doc, keywords, message):
    with pytest.raises(ValueError, match=message):
        registered(doc, **keywords)


def test_keyword_registration_keeps_working_beside_an_ordinary_docstring():
    reg = Registry()

    @reg.theorem(id="toy.kw", paper="p", claim="c in {1, 2}", formula="f", kind="bound", rule="r")
    def check(scale: str, seed: int) -> Outcome:
        """How the check runs, in words: {braces} are not placeholders here.

        Notes
        -----
        No statement section, so nothing is read from here.
        """
        return passing(scale, seed)

    theorem = reg.get("toy.kw")
    assert (theorem.claim, theorem.formula, theorem.rule) == ("c in {1, 2}", "f", "r")
    assert "{braces}" in check.__doc__
    # keyword fields missing from the docstring may complete a docstring statement
    _, mixed = registered("Claim.\n\nFormula\n-------\nf\n", kind="bound", rule="r", source="s")
    assert (mixed.rule, mixed.source) == ("r", "s")


def test_add_moves_a_registered_theorem_into_another_registry():
    theorem = harness.get("puterman-6.3.1-vi-contraction")
    reg = Registry()
    assert reg.add(theorem) is theorem and reg.get(theorem.id) is theorem
    reg.add(theorem)  # the same function again replaces the entry
    with pytest.raises(ValueError, match="registered twice"):
        reg.add(harness.Theorem(theorem.id, "p", "c", "f", (), passing))


def test_every_registered_check_states_its_record_in_its_docstring():
    """What help() shows is what the report shows: each check's filled-in docstring parses back
    to its record, field by field."""
    for theorem in harness.registered():
        doc = Docstring.parse(theorem.func.__doc__ or "")
        assert doc.summary == theorem.claim, theorem.id
        assert doc.sections.get("Formula") == theorem.formula, theorem.id
        assert doc.sections.get("Rule", "") == theorem.rule, theorem.id
        assert doc.sections.get("Source", "") == theorem.source, theorem.id


words = st.text(alphabet="abcxyz{}()=<-+0123456789.,;'", min_size=1, max_size=12).filter(
    lambda w: w.strip("-")  # a line of dashes alone would underline a section header
)


@given(st.lists(words, min_size=1, max_size=40), st.integers(20, 96))
def test_prose_wrapped_at_any_width_reads_back_as_one_line(tokens, width):
    text = " ".join(tokens).replace("{", "{{").replace("}", "}}")
    body = "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))
    doc = Docstring.parse(f"{body}\n\nFormula\n-------\n{body}\n")
    assert filled(doc.summary, {}, "claim") == " ".join(tokens)
    assert doc.sections["Formula"] == doc.summary


def test_statements_survive_python_OO_which_drops_docstrings():
    """Under ``python -OO`` the statement is read from the check's source instead."""
    theorem = harness.get("puterman-6.3.1-vi-contraction")
    code = (
        "from proofs_check import harness\n"
        "t = harness.get('puterman-6.3.1-vi-contraction')\n"
        "print(repr((t.claim, t.formula, t.source)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-OO", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(harness.__file__).parents[1])},
    ).stdout
    assert out.strip() == repr((theorem.claim, theorem.formula, theorem.source))
