"""Conformance: real Batch Normalization implementations (torch) against exact references.

One concept per module: :mod:`conformance.reference` (mpmath BN with the conventions as
parameters), :mod:`conformance.conventions` (the cross-framework table as data),
:mod:`conformance.planted` (deliberately wrong implementations the checks must refute),
:mod:`conformance.torch_forward`, :mod:`conformance.running_stats`,
:mod:`conformance.gradchecks`, :mod:`conformance.hessian_paths` and
:mod:`conformance.batch_size_one` (the checks), :mod:`conformance.threads` (checks run torch
single-threaded: tiny tensors).
Modules here may import torch at import time; the registry (``bnclaims.claims.conformance``)
imports them only inside check functions.
"""
