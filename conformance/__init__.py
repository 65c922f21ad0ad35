"""Conformance: real Batch Normalization implementations (torch) against exact references.

One concept per module: :mod:`bnclaims.conformance.reference` (mpmath BN with the conventions as
parameters), :mod:`bnclaims.conformance.conventions` (the cross-framework table as data),
:mod:`bnclaims.conformance.planted` (deliberately wrong implementations the checks must refute),
:mod:`bnclaims.conformance.torch_forward`, :mod:`bnclaims.conformance.running_stats`,
:mod:`bnclaims.conformance.gradchecks`, :mod:`bnclaims.conformance.hessian_paths` and
:mod:`bnclaims.conformance.batch_size_one` (the checks), :mod:`bnclaims.conformance.threads` (checks run torch
single-threaded: tiny tensors).
Modules here may import torch at import time; the registry (``bnclaims.claims.conformance``)
imports them only inside check functions.
"""
