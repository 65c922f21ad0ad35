"""Tests for gpu_checks.nets.data: the digits batch is standardized and fixed by its seed."""
import torch

from bnclaims.gpu_checks.nets.data import fixed_batch, load_digits_tensors


def test_digits_are_standardized_and_the_fixed_batch_is_reproducible():
    x, y = load_digits_tensors(dtype=torch.float64)
    assert x.shape == (1797, 64) and int(y.max()) == 9
    assert float(x.mean(0).abs().max()) < 1e-10
    a, b = fixed_batch(x, y, 512, 1), fixed_batch(x, y, 512, 1)
    assert torch.equal(a[0], b[0]) and a[0].shape == (512, 64)
