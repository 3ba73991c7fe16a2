"""Checks of papers' claims, one module per family.

Every module of this package is imported by :func:`proofs_check.harness.discover`, and each
function decorated with :func:`proofs_check.harness.theorem` in it becomes a check of
``mdptheory check``. A module that fails to import stops the run with its error. Modules:
``planning`` (value iteration, performance difference, LP duality, policy iteration) and the
families added next to it.
"""
