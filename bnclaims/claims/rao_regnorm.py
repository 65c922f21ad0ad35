"""Rao & Sohl-Dickstein (2020), RegNorm: eq. (3), Appendix A and Appendix B (catalog C26, C27)."""
from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import sympy as sp

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import rao2020_regnorm as num
from bnclaims.theory import rao2020_regnorm as thy


def _normalized_witness() -> bool:
    z = sp.Matrix([[sp.sqrt(2), 0], [0, sp.sqrt(2)]])
    return all(sp.simplify(sum(v**2 for v in z.row(r)) - 2) == 0 for r in range(2))


_W = Witness(data={"zbar": [["sqrt(2)", "0"], ["0", "sqrt(2)"]], "m": 2, "N": 2}, check=_normalized_witness)


def _pair_law(m: int) -> dict[tuple[int, int], Fraction]:
    """The law of (a, b) the regularisers average over: 1/m^2 on every pair of batch indices."""
    return {(a, b): Fraction(1, m * m) for a, b in itertools.product(range(m), repeat=2)}


def _independent_uniform(m: int) -> bool:
    """Exactly: the pair law has uniform marginals 1/m and factorizes, P(a, b) = P(a) P(b)."""
    law = _pair_law(m)
    pa = {a: sum(law[a, b] for b in range(m)) for a in range(m)}
    pb = {b: sum(law[a, b] for a in range(m)) for b in range(m)}
    return (sum(law.values()) == 1 and all(v == Fraction(1, m) for v in (*pa.values(), *pb.values()))
            and all(law[a, b] == pa[a] * pb[b] for a, b in law))


def _appendix_a_witness(batches=((-1, 1), (-2, 2))) -> bool:
    """Each batch has m >= 2 rational entries, its (a, b) law is independent and uniform, and the
    evaluated regulariser is the expectation under that law (enumerated in rationals)."""
    for batch in batches:
        z = [Fraction(v) for v in batch]
        m = len(z)
        if m < 2 or not _independent_uniform(m):
            return False
        expected = sum((p * (z[a] * z[b] - 1) for (a, b), p in _pair_law(m).items()), Fraction(0))
        if thy.appendix_a_value(sp.Matrix([[v] for v in batch])) != sp.Rational(expected.numerator,
                                                                                  expected.denominator):
            return False
    return True


def _regnorm_witness() -> bool:
    """zbar = [[1, 1], [-1, -1]]: rows normalized (sum_i zbar_i^2 = N = 2), (a, b) law independent and
    uniform, and r = 0 there (so the zero set {mu = 0} is non-empty)."""
    z = sp.Matrix([[1, 1], [-1, -1]])
    rows_ok = all(sum(v**2 for v in z.row(r)) == 2 for r in range(2))
    return rows_ok and _independent_uniform(2) and thy.regnorm_value(z) == 0

register(Claim(
    id="rao.appendix_b_step", catalog="C26",
    title="Appendix B step E_{a,b}[zbar^a zbar^b] = E_a[(zbar^a)^2]",
    statement=("For a, b i.i.d. uniform over the batch, E_{a,b}[zbar_i^a zbar_i^b] = E_a[(zbar_i^a)^2] "
               "(the step in Appendix B). In fact the left side is mu_i^2; the difference is minus the "
               "batch variance, and the printed chain gives r = 2N, a constant."),
    latex=r"\mathbb E_{a,b}[\bar z_i^a\bar z_i^b]=\mathbb E_a[(\bar z_i^a)^2]",
    source=Source("rao2020batchnorm", "Appendix B", "step after the expansion of eq. (3)"),
    hypotheses=("a, b independent, uniform on the batch", "rows normalized: sum_i (zbar_i^a)^2 = N"),
    witness=_W,
    checks={Level.THEORY: thy.refute_appendix_b_step, Level.NUMERICS: num.refute_appendix_b_step},
    expected=Verdict.REFUTED,
))

register(Claim(
    id="rao.regnorm_minimum_at_zero_mean", catalog="C26",
    title="RegNorm regulariser r = 2 sum_i mu_i^2, minimal iff every batch mean is 0",
    statement=("With rows normalized so that sum_i (zbar_i^a)^2 = N, "
               "r = E_{a,b}[sum_i ((zbar_i^a + zbar_i^b)^2 - 2)] = 2 sum_i mu_i^2 >= 0, zero iff every batch "
               "mean mu_i is 0. (With a != b: r = 2m/(m-1) sum mu^2 - 2N/(m-1), same minimizers.)"),
    latex=r"r(\bar z)=\mathbb E_{a,b}\Big[\sum_i\big((\bar z_i^a+\bar z_i^b)^2-2\big)\Big]=2\sum_i\mu_i^2\ge0",
    source=Source("rao2020batchnorm", "eq. (3), Section 3.2 and Appendix B", "corrected derivation"),
    hypotheses=("a, b independent, uniform on the batch", "rows normalized: sum_i (zbar_i^a)^2 = N"),
    witness=Witness(data={"zbar": [[1, 1], [-1, -1]], "m": 2, "N": 2, "r": 0},
                    check=_regnorm_witness),
    checks={Level.THEORY: thy.prove_regnorm_identity, Level.NUMERICS: num.check_regnorm_identity},
    expected=Verdict.PROVED,
    proof_sketch=("Per unit, E_{a,b}[(x^a + x^b)^2 - 2] = 2 M2_i + 2 mu_i^2 - 2; summing over units, "
                  "sum_i M2_i = N by the row normalization, so r = 2 sum mu_i^2."),
    twin=Twin(change="coefficient 2 -> 1", statement="r = sum_i mu_i^2",
              latex=r"r(\bar z)=\sum_i\mu_i^2",
              checks={Level.THEORY: functools.partial(thy.prove_regnorm_identity, formula=thy.TWIN_REGNORM),
                      Level.NUMERICS: functools.partial(num.check_regnorm_identity, formula=num.TWIN)}),
))

register(Claim(
    id="rao.appendix_a_variance_regularizer", catalog="C27",
    title="App. A regulariser E_{a,b}[sum_i (z_i^a z_i^b - 1)] penalizes the variance",
    statement=("The regulariser r(y) = E_{a,b}[sum_i (z_i^a z_i^b - 1)] pushes the batch variance to 1. "
               "With independent a, b it equals sum_i (mu_i^2 - 1): it does not involve the variance."),
    latex=r"r(y)=\mathbb E_{a,b}\Big[\sum_i(z_i^az_i^b-1)\Big]\ \text{penalizes }\sigma^2",
    source=Source("rao2020batchnorm", "Appendix A", "'Regularized learning of variance'"),
    hypotheses=("a, b independent, uniform on the batch",),
    witness=Witness(data={"batches": [[-1, 1], [-2, 2]]}, check=_appendix_a_witness),
    checks={Level.THEORY: thy.refute_appendix_a_variance, Level.NUMERICS: num.refute_appendix_a_variance},
    expected=Verdict.REFUTED,
))
