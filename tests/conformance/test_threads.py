"""Tests for conformance.threads: checks run single-threaded and restore the caller's setting."""
import torch

from bnclaims.conformance.threads import CHECK_THREADS, single_threaded


def test_single_threaded_runs_with_one_thread_and_restores_the_setting():
    before = torch.get_num_threads()

    @single_threaded
    def inner():
        """Report the thread count seen inside."""
        return torch.get_num_threads()

    assert inner() == CHECK_THREADS
    assert torch.get_num_threads() == before


def test_the_setting_is_restored_when_the_check_raises():
    before = torch.get_num_threads()

    @single_threaded
    def boom():
        """Always raises."""
        raise RuntimeError("x")

    try:
        boom()
    except RuntimeError:
        pass
    assert torch.get_num_threads() == before
