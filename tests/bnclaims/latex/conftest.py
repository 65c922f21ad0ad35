"""Shared by the tests of :mod:`bnclaims.latex`: the theory checks run once per session.

``derived`` is :func:`bnclaims.latex.document.derivations` (every theory check, the slow part);
``use_derived`` makes every later generation in a test reuse it, so that CLI paths cost seconds.
"""
import pytest

from bnclaims.latex import document


@pytest.fixture(scope="session")
def derived():
    return document.derivations()


@pytest.fixture
def use_derived(derived, monkeypatch):
    monkeypatch.setattr(document, "derivations", lambda: derived)
    return derived


@pytest.fixture
def generated(use_derived):
    return document.generate()
