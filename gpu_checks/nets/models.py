"""Model builders with the normalizer as a parameter: deep MLP, residual MLP, WideResNet-style CNN.

Every normalized unit is ``act(norm(W(norm.pre(x))))`` (:class:`NormLinear`, :class:`NormConv`), so the
PreLayerNorm centring of the *input* of the affine map (seed 003, Table 1) fits the same template.
The CNN follows Zagoruyko & Komodakis (2016) in shape (three stages of widths 16k, 32k, 64k, depth 6n+2)
with skip connections optional, as in seed 003 §4 ("26 layers, no skip connections").
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from bnclaims.gpu_checks.nets.normalizers import Normalizer

__all__ = ["NormLinear", "NormConv", "MLP", "ResidualMLP", "WideResNet", "build_model", "count_parameters"]


class NormLinear(nn.Module):
    """x -> act(norm(W norm.pre(x) + b))."""

    def __init__(self, d_in: int, d_out: int, norm: str, act: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)
        self.norm = Normalizer(norm, d_out)
        self.act = act

    def forward(self, x: Tensor) -> Tensor:
        z = self.norm(self.linear(self.norm.pre(x)))
        return torch.relu(z) if self.act else z


class NormConv(nn.Module):
    """x -> act(norm(conv3x3(norm.pre(x))))."""

    def __init__(self, c_in: int, c_out: int, norm: str, stride: int = 1, act: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=(norm == "none"))
        self.norm = Normalizer(norm, c_out)
        self.act = act

    def forward(self, x: Tensor) -> Tensor:
        z = self.norm(self.conv(self.norm.pre(x)))
        return torch.relu(z) if self.act else z


class MLP(nn.Module):
    """``depth`` hidden layers of ``width`` units, each Linear -> norm -> ReLU, then a linear head."""

    def __init__(self, d_in: int, width: int, depth: int, d_out: int, norm: str = "batch") -> None:
        super().__init__()
        dims = [d_in] + [width] * depth
        self.blocks = nn.ModuleList(NormLinear(a, b, norm) for a, b in zip(dims[:-1], dims[1:]))
        self.head = nn.Linear(dims[-1], d_out)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        for b in self.blocks:
            x = b(x)
        return self.head(x)


class ResidualMLP(nn.Module):
    """Linear stem, then ``depth`` blocks x + NormLinear(x), then a linear head."""

    def __init__(self, d_in: int, width: int, depth: int, d_out: int, norm: str = "batch") -> None:
        super().__init__()
        self.stem = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList(NormLinear(width, width, norm) for _ in range(depth))
        self.head = nn.Linear(width, d_out)

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x.flatten(1))
        for b in self.blocks:
            x = x + b(x)
        return self.head(x)


class _WRNBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, norm: str, skip: bool) -> None:
        super().__init__()
        self.a = NormConv(c_in, c_out, norm, stride)
        self.b = NormConv(c_out, c_out, norm, 1, act=not skip)
        self.skip = skip
        self.short = (nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)
                      if skip and (stride != 1 or c_in != c_out) else None)

    def forward(self, x: Tensor) -> Tensor:
        y = self.b(self.a(x))
        if not self.skip:
            return y
        return torch.relu(y + (x if self.short is None else self.short(x)))


class WideResNet(nn.Module):
    """WRN-(6n+2)-k: stem conv, three stages of n blocks (widths 16k, 32k, 64k), global pool, linear."""

    def __init__(self, depth: int = 8, k: int = 1, norm: str = "batch", skip: bool = True,
                 in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"WideResNet depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        widths = [16 * k, 32 * k, 64 * k]
        self.stem = NormConv(in_channels, widths[0], norm)
        blocks: list[nn.Module] = []
        c = widths[0]
        for s, w in enumerate(widths):
            for i in range(n):
                blocks.append(_WRNBlock(c, w, 2 if (s > 0 and i == 0) else 1, norm, skip))
                c = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))


def build_model(arch: str, *, norm: str, depth: int, width: int, d_in: int = 64, d_out: int = 10,
                skip: bool = True, seed: int = 0, in_channels: int = 1) -> nn.Module:
    """Build ``arch`` in {"mlp", "resmlp", "wrn"} with a deterministic initialization from ``seed``.

    For "wrn", ``depth`` is the WRN depth (6n+2) and ``width`` the multiplier k.
    """
    g = torch.random.fork_rng()
    with g:
        torch.manual_seed(seed)
        if arch == "mlp":
            return MLP(d_in, width, depth, d_out, norm)
        if arch == "resmlp":
            return ResidualMLP(d_in, width, depth, d_out, norm)
        if arch == "wrn":
            return WideResNet(depth, width, norm, skip, in_channels, d_out)
    raise ValueError(f"unknown architecture {arch!r} (mlp, resmlp, wrn)")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
