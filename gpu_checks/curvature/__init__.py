"""Curvature engine for normalized networks in training mode.

A side-effect-free functional loss over a flat parameter vector, Hessian-vector products (double
backward and forward-over-reverse), a dense exact Hessian by an independent path, and estimators
(restarted Lanczos, ARPACK, Hutchinson, Hutch++, stochastic Lanczos quadrature, power iteration), each
returning its HVP count and an error estimate; ``bench_curvature`` measures them against exact spectra.
"""
from __future__ import annotations

__all__: list[str] = []
