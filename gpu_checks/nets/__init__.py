"""Networks: normalization layers (BN, LN, BMLV, LMBV, PreLayerNorm, RegNorm, GroupNorm, none), model
builders with the normalizer as a parameter, and the shipped data set."""
from __future__ import annotations

__all__: list[str] = []
