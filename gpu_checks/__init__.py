"""The scale level: torch networks and the experiments behind the claims about networks.

Three subpackages, one concept each:

* :mod:`bnclaims.gpu_checks.nets`: normalization layers with explicit batch-statistics semantics, model
  builders and the shipped data (scikit-learn's digits).
* :mod:`bnclaims.gpu_checks.curvature`: the curvature engine (Hessian-vector products, Lanczos, ARPACK,
  Hutchinson, Hutch++, SLQ, a dense float64 reference) and its benchmark.
* :mod:`bnclaims.gpu_checks.experiments`: the network experiments, one module per source paper, each a set of
  pure seeded measurement functions run cell by cell by :mod:`bnclaims.scale`.

torch is imported by the submodules only; importing this package is cheap.
"""
from __future__ import annotations

__all__: list[str] = []
