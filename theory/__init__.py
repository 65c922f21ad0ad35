"""Symbolic (sympy) proofs and exact refutations of Batch Normalization claims.

Nothing here imports torch or floating-point numerics. One module per paper or concept;
each check returns a :class:`bnclaims.Outcome` whose ``steps`` feed the LaTeX derivations.
"""
