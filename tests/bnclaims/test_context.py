"""Tests for bnclaims.context: presets, budgets, precision floor and seeded randomness."""
import pytest

from bnclaims import Context


def test_budget_follows_the_preset():
    assert Context(preset="quick").budget(1, 2, 3) == 1
    assert Context(preset="default").budget(1, 2, 3) == 2
    assert Context(preset="thorough").budget(1, 2, 3) == 3
    assert Context(preset="thorough").budget(1, 2) == 8


def test_numerics_never_run_below_fifty_digits_and_presets_are_checked():
    with pytest.raises(ValueError, match=">= 50 digits"):
        Context(dps=30)
    with pytest.raises(ValueError, match="unknown preset"):
        Context(preset="huge")


def test_rng_is_deterministic_per_seed_and_salt():
    a, b = Context(seed=1).rng("x"), Context(seed=1).rng("x")
    assert a.random() == b.random()
    assert Context(seed=1).rng("x").random() != Context(seed=1).rng("y").random()


def test_progress_messages_go_to_the_callback_when_set():
    seen = []
    Context(progress=seen.append).say("halfway")
    Context().say("nobody listens")
    assert seen == ["halfway"]
