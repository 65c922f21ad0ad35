"""High-precision numerical checks (mpmath at >= 50 digits, hypothesis, interval arithmetic).

Nothing here imports torch. Formulas are written against an mpmath *context* argument ``M``
(``mpmath.mp`` or ``mpmath.iv``), so one code path evaluates in multiprecision and, for
certification, in interval arithmetic.
"""
