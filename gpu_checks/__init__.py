"""Curvature engine for normalized networks (issue 3).

Normalizers with explicit batch-statistics semantics, model builders, a side-effect-free functional loss
over a flat parameter vector, Hessian-vector products (double backward and forward-over-reverse), a dense
exact Hessian by an independent path, and estimators (restarted Lanczos, ARPACK, Hutchinson, Hutch++,
stochastic Lanczos quadrature, power iteration), each returning its HVP count and an error estimate.

torch is imported by the submodules only; importing this package is cheap.
"""
from __future__ import annotations

__all__: list[str] = []
