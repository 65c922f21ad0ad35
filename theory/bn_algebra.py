"""Symbolic-m algebra of one Batch-Normalized unit: vectors as combinations of 1, y, g, u, w.

Batch Normalization (Ioffe & Szegedy 2015, Alg. 1; bibkey ``ioffe2015batch``) of a batch
``y in R^m`` only ever touches the data through inner products: ``mu = <1,y>/m``,
``sigma^2 = <y,y>/m - mu^2``, ``yhat = (y - mu 1)/s`` with ``s = sqrt(sigma^2 + eps)``. So every
vector that appears in BN and its derivatives is a linear combination of a few *named*
vectors, and every scalar is a rational function of their Gram matrix. This module keeps
``m`` a symbol and computes with

* :class:`Vec`: a linear combination of the basis vectors ``1, y, g, u, w`` with sympy
  coefficients (``g`` an upstream gradient, ``u, w`` free directions);
* :data:`GRAM`: the inner products of the basis, as *free* symbols except for the
  definitions ``<1,1> = m``, ``<1,y> = m mu``, ``<y,y> = m (s^2 - eps + mu^2)`` and
  ``<y,g> = mu <1,g> + s <g,yhat>`` (a change of variables, not an assumption);
* :func:`bn_path`: BN evaluated along ``y + t d`` straight from the definitions, so that
  sympy's ``diff`` in ``t`` gives exact directional derivatives of any order.

An identity between expressions built here that simplifies to 0 holds as a rational
identity in free symbols, hence for every ``m >= 2`` and every batch (``s > 0``): that is
the symbolic-m proof used by ``theory/ioffe2015.py``, ``theory/bn_jacobian.py`` and
``theory/santurkar2018_smoothness.py``. A gradient is recovered from a directional
derivative by its Riesz representer (:func:`representer`): ``dL[u]`` is linear in the free
symbols ``<1,u>, <y,u>, <g,u>``, and their coefficients are the coordinates of the gradient.

The module also provides the *explicit-m* counterpart (:func:`explicit_unit`,
:func:`reduce_explicit`): BN of ``m`` symbolic entries, differentiated by sympy and reduced
to a rational function by the substitution ``eps = S^2 - sigma^2`` (``S = s > 0``), used to
confirm every symbolic-m result for ``m = 2..8`` with independent code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping

import sympy as sp

from bnclaims.theory.exact_numbers import exact_nonzero, exact_number  # exact_nonzero: re-exported for the claims

__all__ = [
    "m", "eps", "gamma", "beta", "mu", "s", "sigma", "p1g", "qg", "BASIS", "GRAM", "Vec",
    "ONE", "Y", "G", "U", "W", "dot", "bn_path", "directional", "representer", "YHAT",
    "is_zero", "ExplicitUnit", "explicit_unit", "reduce_explicit", "gram_subs_eps0",
    "point_subs", "exact_nonzero", "small_batches", "unit_vectors",
]

m = sp.Symbol("m", positive=True, integer=True)
eps = sp.Symbol("epsilon", nonnegative=True)
gamma = sp.Symbol("gamma", real=True, nonzero=True)
beta = sp.Symbol("beta", real=True)
mu = sp.Symbol("mu", real=True)
#: s = sqrt(sigma^2 + eps) > 0, the normalizer; sigma^2 = s^2 - eps.
s = sp.Symbol("s", positive=True)
#: sigma > 0, used for the eps = 0 statements (s = sigma there).
sigma = sp.Symbol("sigma", positive=True)
#: <1, g> and <g, yhat>: the two statistics of the upstream gradient that BN removes.
p1g = sp.Symbol(r"\langle \mathbf{1}, g\rangle", real=True)
qg = sp.Symbol(r"\langle g, \hat{y}\rangle", real=True)

BASIS = ("1", "y", "g", "u", "w")


def _free(a: str, b: str) -> sp.Symbol:
    return sp.Symbol(rf"\langle {_tex(a)}, {_tex(b)}\rangle", real=True)


def _tex(name: str) -> str:
    return r"\mathbf{1}" if name == "1" else name


def _gram() -> dict[frozenset, sp.Expr]:
    out: dict[frozenset, sp.Expr] = {}
    for i, a in enumerate(BASIS):
        for b in BASIS[i:]:
            out[frozenset((a, b))] = _free(a, b)
    out[frozenset(("1",))] = m                                  # <1,1> = m
    out[frozenset(("1", "y"))] = m * mu                         # definition of mu
    out[frozenset(("y",))] = m * (s**2 - eps + mu**2)           # definition of sigma^2 = s^2 - eps
    out[frozenset(("1", "g"))] = p1g
    out[frozenset(("y", "g"))] = mu * p1g + s * qg              # definition of <g, yhat>
    return out


#: Inner products of the basis vectors (keys are frozensets of one or two basis names).
GRAM: dict[frozenset, sp.Expr] = _gram()


@dataclass(frozen=True)
class Vec:
    """A vector ``sum_k c_k b_k`` over the basis names :data:`BASIS`, coefficients sympy."""

    coeffs: tuple[tuple[str, sp.Expr], ...]

    @staticmethod
    def of(mapping: Mapping[str, sp.Expr]) -> "Vec":
        return Vec(tuple((k, sp.sympify(mapping[k])) for k in BASIS if k in mapping))

    def as_dict(self) -> dict[str, sp.Expr]:
        return dict(self.coeffs)

    def __add__(self, other: "Vec") -> "Vec":
        d = self.as_dict()
        for k, c in other.coeffs:
            d[k] = d.get(k, 0) + c
        return Vec.of(d)

    def __neg__(self) -> "Vec":
        return Vec.of({k: -c for k, c in self.coeffs})

    def __sub__(self, other: "Vec") -> "Vec":
        return self + (-other)

    def __mul__(self, scalar: sp.Expr) -> "Vec":
        return Vec.of({k: c * scalar for k, c in self.coeffs})

    __rmul__ = __mul__

    def __truediv__(self, scalar: sp.Expr) -> "Vec":
        return self * (1 / sp.sympify(scalar))

    def map(self, fn) -> "Vec":
        """Apply ``fn`` to every coefficient (``diff``, ``subs``, ``simplify``)."""
        return Vec.of({k: fn(c) for k, c in self.coeffs})

    def simplify(self) -> "Vec":
        return self.map(lambda c: sp.factor(sp.cancel(c)))


ONE, Y, G, U, W = (Vec.of({b: 1}) for b in BASIS)


def dot(a: Vec, b: Vec, gram: Mapping[frozenset, sp.Expr] = GRAM) -> sp.Expr:
    """Inner product by bilinearity from the Gram table."""
    return sp.Add(*[ca * cb * gram[frozenset((ka, kb))] for ka, ca in a.coeffs for kb, cb in b.coeffs])


#: yhat = (y - mu 1)/s as a vector of the algebra.
YHAT: Vec = (Y - mu * ONE) / s

_t = sp.Symbol("t", real=True)


def bn_path(direction: Vec, t: sp.Symbol = _t) -> dict[str, object]:
    """BN of the batch ``y + t d``, straight from the definitions (Ioffe & Szegedy Alg. 1).

    Returns ``mu(t)``, ``c(t) = y(t) - mu(t) 1``, ``sigma2(t)``, ``s(t)``, ``yhat(t)`` and
    ``z(t) = gamma yhat(t) + beta 1`` as functions of ``t``.
    """
    yt = Y + direction * t
    mu_t = dot(ONE, yt) / m
    c_t = yt - ONE * mu_t
    sigma2_t = sp.expand(dot(c_t, c_t) / m)
    s_t = sp.sqrt(sigma2_t + eps)
    yhat_t = c_t / s_t
    z_t = yhat_t * gamma + ONE * beta
    return {"t": t, "mu": mu_t, "c": c_t, "sigma2": sigma2_t, "s": s_t, "yhat": yhat_t, "z": z_t}


def directional(vec_t: Vec, t: sp.Symbol = _t, order: int = 1) -> Vec:
    """The ``order``-th derivative in ``t`` at ``t = 0`` of a vector path, simplified."""
    return vec_t.map(lambda c: sp.cancel(sp.diff(c, t, order).subs(t, 0))).simplify()


def representer(linear_form: sp.Expr) -> Vec:
    """The vector ``v`` with ``<v, u> = linear_form`` for every direction ``u``.

    ``linear_form`` must be linear in ``<1,u>, <y,u>, <g,u>`` and free of other ``u`` terms;
    since those three symbols are free, this identifies the gradient uniquely.
    """
    syms = [GRAM[frozenset((b, "u"))] for b in ("1", "y", "g")]
    expr = sp.expand(linear_form)
    coeffs = [sp.cancel(expr.coeff(x)) for x in syms]
    rest = sp.cancel(expr - sum(c * x for c, x in zip(coeffs, syms)))
    if rest != 0 or any(c.has(*[v for v in GRAM.values() if v.is_Symbol and "u" in v.name])
                        for c in coeffs):
        raise ValueError(f"not a linear form in the direction u: remainder {rest}")
    return Vec.of({"1": coeffs[0], "y": coeffs[1], "g": coeffs[2]}).simplify()


def is_zero(expr: sp.Expr) -> bool:
    """Exact zero test for the rational expressions of this algebra."""
    return sp.cancel(sp.together(sp.expand(expr))) == 0


def gram_subs_eps0() -> dict[sp.Symbol, sp.Expr]:
    """The eps = 0 specialization: eps -> 0 and s -> sigma."""
    return {eps: sp.Integer(0), s: sigma}


# --------------------------------------------------------------------------- explicit m
@dataclass(frozen=True)
class ExplicitUnit:
    """BN of ``m`` symbolic entries; ``S`` stands for ``s = sqrt(var + eps)`` after reduction."""

    m: int
    y: tuple[sp.Symbol, ...]
    g: tuple[sp.Symbol, ...]
    mu: sp.Expr
    var: sp.Expr
    s: sp.Expr
    yhat: tuple[sp.Expr, ...]
    z: tuple[sp.Expr, ...]
    S: sp.Symbol


def explicit_unit(mm: int) -> ExplicitUnit:
    """BN of ``y_1..y_m`` (symbols) with symbolic eps, gamma, beta, upstream ``g_1..g_m``."""
    ys = sp.symbols(f"y1:{mm + 1}", real=True)
    gs = sp.symbols(f"g1:{mm + 1}", real=True)
    mu_e = sp.Add(*ys) / mm
    var = sp.Add(*[(v - mu_e) ** 2 for v in ys]) / mm
    s_e = sp.sqrt(var + eps)
    yhat = tuple((v - mu_e) / s_e for v in ys)
    z = tuple(gamma * h + beta for h in yhat)
    return ExplicitUnit(mm, ys, gs, mu_e, var, s_e, yhat, z, sp.Symbol("S", positive=True))


def reduce_explicit(unit: ExplicitUnit, expr: sp.Expr, *, eps_zero: bool = False) -> sp.Expr:
    """An expression in ``y, eps`` as a rational function of ``y`` and ``S = s``.

    Substitutes ``eps = S^2 - var`` (so ``sqrt(var + eps) = S``). With ``eps_zero`` the
    result is further reduced modulo ``S^2 = var`` (the eps = 0 case), as a polynomial
    remainder of the numerator: 0 means the identity holds whenever ``s^2 = sigma^2``.
    """
    e = sp.together(sp.sympify(expr).subs(eps, unit.S**2 - unit.var))
    num, den = sp.fraction(sp.cancel(e))
    if eps_zero:
        num = sp.rem(sp.expand(num), sp.expand(unit.S**2 - unit.var), unit.S)
    return sp.cancel(num / den)




# --------------------------------------------------------------------------- exact points
def point_subs(unit: ExplicitUnit, y: Iterable, g: Iterable, eps_val: object = 0,
               gamma_val: object = 1, beta_val: object = 0) -> dict:
    """The substitution of exact rationals for the symbols of an :class:`ExplicitUnit`."""
    sub = {a: sp.Rational(v) for a, v in zip(unit.y, y)}
    sub.update({a: sp.Rational(v) for a, v in zip(unit.g, g)})
    sub.update({eps: sp.Rational(eps_val), gamma: sp.Rational(gamma_val), beta: sp.Rational(beta_val)})
    return sub


def small_batches(mm: int, bound: int = 3) -> list[tuple[int, ...]]:
    """Non-constant integer batches of size ``mm`` with entries in [-bound, bound], simplest first."""
    import itertools

    out = [b for b in itertools.product(range(-bound, bound + 1), repeat=mm) if len(set(b)) > 1]
    return sorted(out, key=lambda b: (max(abs(v) for v in b), sum(abs(v) for v in b), b))


def search_points(mm: int, bound: int, limit: int,
                  eps_values: tuple[int, ...] = (0,)) -> Iterator[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """(y, g, eps) for a simplest-first counterexample search: the first ``limit`` batches of
    :func:`small_batches`, each with every gradient of :func:`unit_vectors` and every eps value."""
    for y in small_batches(mm, bound)[:limit]:
        for g in unit_vectors(mm):
            for e in eps_values:
                yield y, g, e


def exact_value(expr: sp.Expr, sub: dict) -> sp.Expr:
    """``expr`` at an exact point, simplified to a rational or radical, never approximated."""
    return exact_number(expr.subs(sub))


def unit_vectors(mm: int) -> list[tuple[int, ...]]:
    """Upstream gradients e_1, ..., e_m, then 1 and (1, 2, ..., m): a small spanning family."""
    vs = [tuple(int(i == k) for i in range(mm)) for k in range(mm)]
    return vs + [tuple([1] * mm), tuple(range(1, mm + 1))]
