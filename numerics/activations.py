"""Gaussian moments and the large-batch gradient rate of any activation, in mpmath.

An activation is a name (``relu``, ``gelu``, ...), an expression in ``z`` (``relu(z - 1/2)``,
``He(1, z) + He(2, z)/4``), a sympy expression, or a Python callable on mpmath numbers (derivative
by one-sided ``mpmath.diff`` unless given). :func:`parse_activation` reads text against a whitelist of
names and functions; :func:`as_activation` accepts any of these forms and gives an :class:`Activation`
(value, derivative, kinks, and what is known exactly: affine, positively homogeneous, polynomial).

* :func:`gaussian_moments`: E phi'(z)^2, E phi(z), E phi(z)^2, Var phi(z) for z ~ N(0,1), by
  tanh-sinh quadrature split at 0 and the kinks; nothing depends on which activation it is;
* :func:`large_batch_rate`: E phi'^2 / Var phi, the large-B gradient-explosion rate of Yang,
  Pennington, Rao, Sohl-Dickstein, Schoenholz (2019), "A Mean Field Theory of Batch Normalization",
  ICLR (bibkey ``yang2019mean``), Thm 9;
* :func:`exact_polynomial_moments`: the same moments in exact rationals for polynomial activations
  (the independent reference for the quadrature).

Example::

    >>> mpmath.nstr(large_batch_rate("abs", 30), 10)
    '2.751938394'
"""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import mpmath
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, rationalize, standard_transformations

from bnclaims.errors import BadInput

__all__ = [
    "Activation", "KNOWN_ACTIVATIONS", "parse_activation", "as_activation", "activation_from_expr",
    "gaussian_moments", "large_batch_rate", "exact_polynomial_moments",
]

_Z = sp.Symbol("z", real=True)


def _named() -> dict[str, sp.Expr]:
    z = _Z
    silu = z / (1 + sp.exp(-z))
    return {"relu": sp.Max(z, 0), "linear": z, "identity": z, "tanh": sp.tanh(z),
            "gelu": z * (1 + sp.erf(z / sp.sqrt(2))) / 2, "silu": silu, "swish": silu, "abs": sp.Abs(z),
            "sigmoid": 1 / (1 + sp.exp(-z)), "softplus": sp.log(1 + sp.exp(z)),
            "elu": sp.Piecewise((z, z > 0), (sp.exp(z) - 1, True)), "leaky_relu": sp.Max(z, z / 100)}


KNOWN_ACTIVATIONS: dict[str, sp.Expr] = _named()
_FUNCS = {"exp", "log", "sqrt", "tanh", "sinh", "cosh", "sin", "cos", "atan", "asinh", "erf", "erfc",
          "Abs", "abs", "Max", "max", "Min", "min", "Heaviside", "sign", "pi", "E", "He"}
_LOCALS: dict[str, Any] = {
    "z": _Z, "abs": sp.Abs, "max": sp.Max, "min": sp.Min,
    "He": lambda n, x: _hermite(n, x),
    **{name: (lambda e: (lambda x: e.xreplace({_Z: x})))(e) for name, e in KNOWN_ACTIVATIONS.items()},
}


def _hermite(n: Any, x: Any) -> sp.Expr:
    if not (sp.sympify(n).is_Integer and n >= 0):
        raise ValueError("He(n, z) needs an integer n >= 0")
    return sp.hermite_prob(int(n), x)


_MP_FUNCS = {"Heaviside": lambda x, h0=0.5: mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else mpmath.mpf(h0))}


def _known_line() -> str:
    return f"known activations: {', '.join(KNOWN_ACTIVATIONS)}; or an expression in z using {', '.join(sorted(_FUNCS))}"


@dataclass(frozen=True)
class Activation:
    """An activation in generic form: value ``f`` and derivative ``df`` on mpmath numbers (``df=None``:
    one-sided ``mpmath.diff``), points where it is not smooth (``kinks``, exact), and what is known
    exactly: ``expr`` (sympy), ``affine``, ``homogeneous`` = (alpha, beta) when phi = alpha relu(z) +
    beta relu(-z) (sympy numbers), ``polynomial`` = its rational coefficients (z^0, z^1, ...)."""

    name: str
    f: Callable[[Any], Any]
    df: Callable[[Any], Any] | None = None
    kinks: tuple = ()
    expr: sp.Expr | None = None
    affine: bool | None = None
    homogeneous: tuple | None = None
    polynomial: tuple[Fraction, ...] | None = None


def _kinks(e: sp.Expr) -> set:
    pts: set = set()
    for node in sp.preorder_traversal(e):
        if isinstance(node, (sp.Heaviside, sp.Abs, sp.sign)):
            gs = [node.args[0]]
        elif isinstance(node, (sp.Max, sp.Min)):
            gs = [u - v for u, v in itertools.combinations(node.args, 2)]
        elif isinstance(node, sp.Piecewise):
            gs = [c.lhs - c.rhs for _, c in node.args if isinstance(c, sp.core.relational.Relational)]
        else:
            continue
        for g in gs:
            if g.has(_Z):
                sol = sp.solveset(g, _Z, domain=sp.S.Reals)
                if isinstance(sol, sp.FiniteSet):
                    pts.update(p for p in sol if p.is_real)
    return pts


def activation_from_expr(expr: Any, name: str | None = None) -> Activation:
    """The generic form of a sympy expression in ``z`` (any symbol named z)."""
    try:
        expr = sp.sympify(expr)
    except (sp.SympifyError, TypeError):
        raise BadInput(f"cannot read activation {expr!r}; {_known_line()}") from None
    others = sorted(str(s) for s in expr.free_symbols if getattr(s, "name", "") != "z")
    if others:
        raise BadInput(f"activation {name or expr} has free symbols other than z: {', '.join(others)}")
    expr = expr.xreplace({s: _Z for s in expr.free_symbols})
    undef = sorted({str(f.func) for f in expr.atoms(sp.core.function.AppliedUndef)})
    if undef:
        raise BadInput(f"activation {name or expr}: unknown function(s) {', '.join(undef)}; {_known_line()}")
    if not expr.has(_Z):
        raise BadInput(f"constant activation {name or expr}: the rate is undefined")
    d = sp.diff(expr, _Z)
    if d.has(sp.DiracDelta):
        raise BadInput(f"activation {name or expr} is not weakly differentiable (Dirac delta in phi'): "
                       "E phi'^2 is infinite")
    mods = [_MP_FUNCS, "mpmath"]
    p = sp.Symbol("p", positive=True)
    hom = None
    try:
        al, be = expr.subs(_Z, 1), expr.subs(_Z, -1)
        if al.is_number and be.is_number and al.is_real and be.is_real \
                and sp.simplify(expr.subs(_Z, p) - p * al) == 0 and sp.simplify(expr.subs(_Z, -p) - p * be) == 0:
            hom = (al, be)
    except (TypeError, ValueError):
        hom = None
    poly = None
    if expr.is_polynomial(_Z):
        cs = sp.Poly(expr, _Z).all_coeffs()[::-1]
        if all(c.is_Rational for c in cs):
            poly = tuple(Fraction(str(c)) for c in cs)
    return Activation(name=name or str(expr), f=sp.lambdify(_Z, expr, modules=mods),
                      df=sp.lambdify(_Z, d, modules=mods), kinks=tuple(sorted(_kinks(expr) | _kinks(d), key=float)),
                      expr=expr, affine=sp.simplify(sp.diff(d, _Z)) == 0, homogeneous=hom, polynomial=poly)


def parse_activation(text: str) -> Activation:
    """A name (``relu``, ``gelu``, ...) or an expression in z (``relu(z - 1/2)``, ``He(3, z)``, ``z*tanh(z)``).

    Raises :class:`BadInput` (one line) for unknown names, other symbols, unparsable text, constants
    and activations whose derivative is not a function (a step).
    """
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"empty activation; {_known_line()}")
    s = text.strip()
    if s.lower() in KNOWN_ACTIVATIONS:
        return activation_from_expr(KNOWN_ACTIVATIONS[s.lower()], name=s.lower())
    if not re.fullmatch(r"[A-Za-z0-9_ .+\-*/()^,]+", s) or "__" in s:
        raise BadInput(f"activation {s!r}: only names, numbers, + - * / ^ ( ) and commas are allowed; {_known_line()}")
    names = set(re.findall(r"(?<![\w.])[A-Za-z_]\w*", s))
    unknown = sorted(names - set(KNOWN_ACTIVATIONS) - _FUNCS - {"z"})
    if unknown:
        what = "unknown activation" if re.fullmatch(r"[A-Za-z_]\w*", s) else "names other than z"
        raise BadInput(f"{what} in {s!r}: {', '.join(unknown)}; {_known_line()}")
    try:
        expr = parse_expr(s.replace("^", "**"), local_dict=dict(_LOCALS),
                          transformations=standard_transformations + (rationalize,))
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError) as exc:
        raise BadInput(f"cannot parse activation {s!r} ({type(exc).__name__}: {exc}); {_known_line()}") from None
    return activation_from_expr(expr, name=s)


def as_activation(obj: Any, *, derivative: Callable | None = None, kinks: tuple = ()) -> Activation:
    """Any accepted form (Activation, name or expression text, sympy expression, callable) -> Activation."""
    if isinstance(obj, Activation):
        return obj
    if isinstance(obj, str):
        return parse_activation(obj)
    if isinstance(obj, sp.Basic):
        return activation_from_expr(obj)
    if callable(obj):
        return Activation(name=getattr(obj, "__name__", "callable"), f=obj, df=derivative, kinks=tuple(kinks))
    raise BadInput(f"an activation is a name, an expression in z or a callable, got {type(obj).__name__}")


def _mp(v: Any) -> Any:
    if isinstance(v, sp.Basic):
        return mpmath.mpmathify(str(sp.N(v, mpmath.mp.dps + 5)))
    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    return mpmath.mpmathify(v)


#: Where the tail of each Gaussian integral is checked: |integrand| * |z| there must be below 10^-dps,
#: else the integral diverges (``exp(z**2)``) or its tail is too heavy for ``dps`` digits.
TAIL_POINT = 256


def gaussian_moments(activation: Any, dps: int = 30) -> dict[str, Any]:
    """E phi'(z)^2, E phi(z), E phi(z)^2 and Var phi(z) for z ~ N(0,1), by tanh-sinh quadrature split at
    0 and the kinks, at dps + 10 digits; nothing depends on which activation it is. Raises
    :class:`BadInput` where an integral diverges (checked at z = +-:data:`TAIL_POINT`)."""
    act = as_activation(activation)
    with mpmath.workdps(dps + 10):
        pts = sorted({mpmath.mpf(0)} | {_mp(k) for k in act.kinks})
        pts = [-mpmath.inf] + pts + [mpmath.inf]

        def density(x: Any) -> Any:
            return mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)

        def real(v: Any) -> Any:
            v = mpmath.mpmathify(v)
            if isinstance(v, mpmath.mpc):
                raise BadInput(f"activation {act.name} is not real-valued on the real line")
            return v

        def integral(g: Callable[[Any, Any, Any], Any]) -> Any:
            total = mpmath.mpf(0)
            for lo, hi in zip(pts[:-1], pts[1:]):
                for end in (e for e in (lo, hi) if mpmath.isinf(e)):
                    x = mpmath.sign(end) * TAIL_POINT          # quadrature alone would return a finite number
                    tail = abs(real(g(x, lo, hi)) * density(x)) * TAIL_POINT
                    if not tail < mpmath.mpf(10) ** (-dps):
                        size = mpmath.nstr(tail, 3) if tail < mpmath.mpf(10) ** 30 else "more than 1e30"
                        raise BadInput(f"the Gaussian integral for activation {act.name} diverges or has a heavy "
                                       f"tail: |integrand * z| = {size} at z = {int(x)} "
                                       f"(E phi^2 and E phi'^2 must be finite)")
                val, err = mpmath.quad(lambda x: real(g(x, lo, hi)) * density(x), [lo, hi], error=True)
                if not mpmath.isfinite(val) or err > mpmath.mpf(10) ** (-dps) * (1 + abs(val)):
                    raise BadInput(f"the Gaussian integral for activation {act.name} did not converge to "
                                   f"{dps} digits on [{lo}, {hi}] (error estimate {mpmath.nstr(err, 3)})")
                total += val
            return total

        def dphi(x: Any, lo: Any, hi: Any) -> Any:
            if act.df is not None:
                return act.df(x)
            toward = 1 if (x - lo) < (hi - x) else -1          # one-sided, away from the nearer kink
            return mpmath.diff(act.f, x, direction=toward)

        memo: dict = {}

        def f(x: Any) -> Any:                                  # E phi and E phi^2 share the nodes
            if x not in memo:
                memo[x] = act.f(x)
            return memo[x]

        e1 = integral(lambda x, lo, hi: f(x))
        e2 = integral(lambda x, lo, hi: f(x) ** 2)
        d2 = integral(lambda x, lo, hi: dphi(x, lo, hi) ** 2)
        var = e2 - e1 ** 2
        if var <= mpmath.mpf(10) ** (-(dps - 5)) * max(1, e2):
            raise BadInput(f"constant activation {act.name}: the rate is undefined (Var phi = 0)")
    return {"E_dphi2": d2, "E_phi": e1, "E_phi2": e2, "Var_phi": var}


def large_batch_rate(activation: Any, dps: int = 30, *, derivative: Callable | None = None,
                     kinks: tuple = ()) -> mpmath.mpf:
    """Yang et al. (2019), Thm 9: the large-B gradient-explosion rate E phi'(z)^2 / Var phi(z)."""
    mom = gaussian_moments(as_activation(activation, derivative=derivative, kinks=kinks), dps)
    with mpmath.workdps(dps + 10):
        return mom["E_dphi2"] / mom["Var_phi"]


def exact_polynomial_moments(coeffs: tuple[Fraction, ...]) -> dict[str, Fraction]:
    """Exact Gaussian moments of a polynomial activation (coefficients of z^0, z^1, ...):
    E z^(2k) = (2k-1)!!, odd moments 0."""
    def E(c: list) -> Fraction:
        return sum((cj * math.prod(range(j - 1, 0, -2)) for j, cj in enumerate(c) if j % 2 == 0), Fraction(0))

    def mul(a: list, b: list) -> list:
        out = [Fraction(0)] * (len(a) + len(b) - 1)
        for i, j in itertools.product(range(len(a)), range(len(b))):
            out[i + j] += a[i] * b[j]
        return out

    c = [Fraction(v) for v in coeffs]
    d = [j * c[j] for j in range(1, len(c))] or [Fraction(0)]
    e1, e2 = E(c), E(mul(c, c))
    return {"E_dphi2": E(mul(d, d)), "E_phi": e1, "E_phi2": e2, "Var_phi": e2 - e1 ** 2}
