"""Formula claims as data: a user's relation about one BN unit, adjudicated by one generic engine.

A :class:`FormulaClaim` is a sympy relation (``Eq``, ``Le``, ``Ge``, ``Lt``, ``Gt``) between
expressions in the vocabulary :data:`bn` of one Batch-Normalized unit (Ioffe & Szegedy 2015,
Alg. 1, bibkey ``ioffe2015batch``): a batch ``y`` of size ``m``, ``mu``, the biased variance
``sigma2``, ``s = sqrt(sigma2 + eps)``, ``yhat = (y - mu 1)/s``, ``z = gamma yhat + beta 1``, an
upstream gradient ``g = dL/dz``, a free direction ``v``, the i-th unit vector ``e`` (entries:
``bn.entry(z) = z_i``), inner products, the Jacobian ``J = dz/dy`` (``bn.J(d)``, ``bn.JT(w)``,
``bn.grad = J^T g``), the Hessian quadratic form ``d^2/dt^2 L(z(y + t d))`` of a generic twice
differentiable loss (``bn.hess(d)``; ``bn.H(a, b)`` is the loss Hessian at ``z``), the staged
partial derivatives of Ioffe & Szegedy's graph (``bn.dL(bn.sigma2)``, ...), and BN of another batch
with other parameters (``bn.BN(a * bn.y, eps=bn.eps / a**2)``). Any other real sympy symbol is a
free scalar, universally quantified and constrained only by the hypotheses.

>>> import sympy as sp
>>> F = FormulaClaim("sum of outputs", sp.Eq(bn.sum(bn.z), bn.m * bn.beta), [sp.Ge(bn.eps, 0)])
>>> sorted(F.quantities)
['beta', 'eps', 'gamma']

:func:`prove` (theory level, :mod:`bnclaims.theory.formula_engine`) and :func:`check_numerically`
(numerics level, :mod:`bnclaims.numerics.formula_engine`) adjudicate it; ``F.check(Level.THEORY)`` is the
bound ``fn(ctx) -> Outcome``. The domain is always ``m >= 2``, ``eps >= 0``, ``sigma2 + eps > 0``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping

import sympy as sp

from bnclaims.context import Context
from bnclaims.registry import Claim, Source, Twin, Witness
from bnclaims.verdicts import Level, Outcome, Verdict

__all__ = ["bn", "BNVocabulary", "FormulaClaim", "Hypotheses", "prove", "check_numerically", "VectorSymbol", "Dot",
           "BNOf", "Jvp", "Vjp", "LossHessian", "HessianForm", "Partial", "shape", "RELATIONS"]

CheckFn = Callable[[Context], Outcome]
RELATIONS = (sp.Equality, sp.LessThan, sp.GreaterThan, sp.StrictLessThan, sp.StrictGreaterThan)


def _power(tex: str, exp: str | None) -> str:
    return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


class VectorSymbol(sp.Symbol):
    """A vector of ``R^m`` of the vocabulary (``y, g, v, ones, e, yhat, z``)."""

    _TEX = {"ones": r"\mathbf{1}", "yhat": r"\hat{y}", "e": r"e_i"}

    def _latex(self, printer, exp=None) -> str:
        return _power(self._TEX.get(self.name, self.name), exp)


class _Node(sp.Function):
    """An operation of the vocabulary; ``_tex`` is its LaTeX with ``{0}, {1}, ...`` for the arguments."""

    _tex = ""

    def _latex(self, printer, exp=None) -> str:
        return _power(self._tex.format(*(printer._print(a) for a in self.args)), exp)


class _Symmetric(_Node):
    """A function of two vectors whose arguments commute (canonical order)."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        return cls(b, a) if sp.default_sort_key(a) > sp.default_sort_key(b) else None


class Dot(_Symmetric):
    """``<a, b>``: the inner product of two vectors."""

    _tex = r"\langle {0}, {1}\rangle"


class LossHessian(_Symmetric):
    """``a^T H b`` with ``H`` the Hessian of the loss ``L`` at ``z`` (a generic symmetric form)."""

    _tex = r"\left({0}\right)^\top H \left({1}\right)"


class BNOf(_Node):
    """``BN(batch; eps, gamma, beta)``: the output vector of BN applied to another batch."""

    nargs = 4
    _tex = r"\mathrm{{BN}}_{{{1},{2},{3}}}({0})"


class Jvp(_Node):
    """``J d = d/dt z(y + t d)|_0``, ``J = dz/dy`` at the batch ``y``."""

    nargs = 1
    _tex = r"J\,{0}"


class Vjp(_Node):
    """``J^T w``; ``J^T g`` is the gradient of ``L(z(y))`` in ``y``."""

    nargs = 1
    _tex = r"J^\top {0}"


class HessianForm(_Node):
    """``d^2/dt^2 L(z(y + t d))|_0`` for a generic twice differentiable ``L`` with ``dL/dz = g``, Hessian ``H``."""

    nargs = 1
    _tex = r"\left({0}\right)^\top \nabla_y^2 L \left({0}\right)"


class Partial(_Node):
    """``dL/dx`` in Ioffe & Szegedy's computational graph ``y -> mu -> sigma2 -> yhat -> z`` (§3).

    ``x = sigma2``: ``y, mu`` held; ``x = mu``: ``y`` held, ``sigma2 = mean((y - mu)^2)`` follows;
    ``gamma, beta``: the affine parameters; ``yhat, z``: vectors; ``y``: the total gradient ``J^T g``.
    """

    nargs = 1
    _tex = r"\frac{{\partial L}}{{\partial {0}}}"


class BNVocabulary:
    """The named quantities of one BN unit and the operations on them (see the module docstring)."""

    def __init__(self) -> None:
        self.m = sp.Symbol("m", integer=True, positive=True)
        self.eps = sp.Symbol("epsilon", real=True)
        self.gamma = sp.Symbol("gamma", real=True)
        self.beta = sp.Symbol("beta", real=True)
        self.mu = sp.Symbol("mu", real=True)
        self.sigma2 = sp.Symbol("sigma^2", real=True)
        self.sigma = sp.Symbol("sigma", real=True)
        self.s = sp.Symbol("s", real=True)
        self.y, self.g, self.v, self.ones, self.e, self.yhat, self.z = (
            VectorSymbol(n, real=True) for n in ("y", "g", "v", "ones", "e", "yhat", "z"))
        self.grad = Vjp(self.g)

    @property
    def scalars(self) -> tuple[sp.Symbol, ...]:
        return (self.m, self.eps, self.gamma, self.beta, self.mu, self.sigma2, self.sigma, self.s)

    @property
    def vectors(self) -> tuple[VectorSymbol, ...]:
        return (self.y, self.g, self.v, self.ones, self.e, self.yhat, self.z)

    def dot(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        """``<a, b>``."""
        return Dot(a, b)

    def sum(self, a: sp.Expr) -> sp.Expr:
        """``sum_i a_i = <1, a>``."""
        return Dot(self.ones, a)

    def norm2(self, a: sp.Expr) -> sp.Expr:
        """``||a||^2``."""
        return Dot(a, a)

    def norm(self, a: sp.Expr) -> sp.Expr:
        """``||a||``."""
        return sp.sqrt(Dot(a, a))

    def entry(self, a: sp.Expr) -> sp.Expr:
        """``a_i = <a, e_i>`` at a generic index ``i``."""
        return Dot(a, self.e)

    def BN(self, batch: sp.Expr, eps: sp.Expr | None = None, gamma: sp.Expr | None = None,
           beta: sp.Expr | None = None) -> sp.Expr:
        """BN of ``batch`` (a vector expression); parameters default to ``eps, gamma, beta``."""
        return BNOf(batch, *(self_ if x is None else sp.sympify(x)
                             for x, self_ in ((eps, self.eps), (gamma, self.gamma), (beta, self.beta))))

    def J(self, d: sp.Expr) -> sp.Expr:
        """``J d``, the Jacobian ``dz/dy`` applied to ``d``."""
        return Jvp(d)

    def JT(self, w: sp.Expr) -> sp.Expr:
        """``J^T w``."""
        return Vjp(w)

    def H(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        """``a^T H b``, ``H`` the Hessian of the loss at ``z``."""
        return LossHessian(a, b)

    def hess(self, d: sp.Expr) -> sp.Expr:
        """``d^T (d^2 L(z(y))/dy^2) d`` (Santurkar et al. 2018, Thm 4.2's left-hand side for ``d = grad``)."""
        return HessianForm(d)

    def dL(self, x: sp.Expr) -> sp.Expr:
        """``dL/dx`` for ``x`` in ``mu, sigma2, gamma, beta, yhat, z, y`` (Ioffe & Szegedy §3)."""
        if x not in (self.mu, self.sigma2, self.gamma, self.beta, self.yhat, self.z, self.y):
            raise ValueError(f"dL/d{x} is not in the graph; use mu, sigma2, gamma, beta, yhat, z or y")
        return Partial(x)


#: The vocabulary of one BN unit.
bn = BNVocabulary()
_VOCAB_NAMES = {x.name for x in bn.scalars + bn.vectors}


# --------------------------------------------------------------------------- shapes
def shape(expr: sp.Expr) -> str:
    """``"scalar"`` or ``"vector"``; :class:`TypeError` for an expression outside the vocabulary."""
    if isinstance(expr, VectorSymbol):
        return "vector"
    if isinstance(expr, (Dot, LossHessian)):
        _want(expr.args, "vector", expr)
        return "scalar"
    if isinstance(expr, (Jvp, Vjp, HessianForm)):
        _want(expr.args, "vector", expr)
        return "scalar" if isinstance(expr, HessianForm) else "vector"
    if isinstance(expr, BNOf):
        _want(expr.args[:1], "vector", expr)
        _want(expr.args[1:], "scalar", expr)
        return "vector"
    if isinstance(expr, Partial):
        if expr.args[0] not in (bn.mu, bn.sigma2, bn.gamma, bn.beta, bn.yhat, bn.z, bn.y):
            raise TypeError(f"dL/d{expr.args[0]} is not in Ioffe & Szegedy's graph")
        return shape(expr.args[0])
    if isinstance(expr, sp.Symbol):
        if expr.name in _VOCAB_NAMES and expr not in bn.scalars:
            raise TypeError(f"symbol {expr} has a vocabulary name but is not bn.{expr.name}; use bn's symbols")
        if expr.is_real is not True:
            raise TypeError(f"free scalar {expr} must be declared real (sp.Symbol('{expr}', real=True))")
        return "scalar"
    if expr.is_Number:
        if not expr.is_Rational:
            raise TypeError(f"use exact numbers (sp.Rational), not {expr}")
        return "scalar"
    if isinstance(expr, sp.Add):
        shapes = {shape(a) for a in expr.args}
        if len(shapes) > 1:
            raise TypeError(f"sum of a scalar and a vector: {expr}")
        return shapes.pop()
    if isinstance(expr, sp.Mul):
        n = sum(shape(a) == "vector" for a in expr.args)
        if n > 1:
            raise TypeError(f"product of two vectors in {expr}; use bn.dot")
        return "vector" if n else "scalar"
    if isinstance(expr, sp.Pow):
        _want(expr.args, "scalar", expr)
        if not expr.exp.is_Rational:
            raise TypeError(f"only rational exponents are supported: {expr}")
        return "scalar"
    if isinstance(expr, sp.Abs):
        _want(expr.args, "scalar", expr)
        return "scalar"
    raise TypeError(f"{type(expr).__name__} is not in the BN vocabulary: {expr}")


def _want(args: Iterable, what: str, where: sp.Expr) -> None:
    for a in args:
        if shape(a) != what:
            raise TypeError(f"{type(where).__name__} needs {what} arguments, got {a}")


_VECTOR_DATA = {"g": {"g"}, "v": {"v"}, "e": {"e"}, "yhat": {"eps"}, "z": {"gamma", "beta", "eps"}}


def _quantities(expr: sp.Expr) -> set[str]:
    """The free data an expression depends on besides ``y``: ``g, v, e, H, gamma, beta, eps``, free scalars."""
    out: set[str] = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, VectorSymbol):
            out |= _VECTOR_DATA.get(node.name, set())
        elif isinstance(node, (Jvp, Vjp)):
            out |= {"gamma", "eps"}
        elif isinstance(node, LossHessian):
            out.add("H")
        elif isinstance(node, HessianForm):
            out |= {"H", "g", "gamma", "eps"}
        elif isinstance(node, Partial):
            out |= {"g", "gamma", "eps"}
        elif isinstance(node, sp.Symbol) and not isinstance(node, VectorSymbol):
            out |= {bn.gamma: {"gamma"}, bn.beta: {"beta"}, bn.eps: {"eps"}, bn.s: {"eps"}}.get(
                node, set() if node in bn.scalars else {node.name})
    return out


# --------------------------------------------------------------------------- hypotheses
def _bound(rel: sp.Basic) -> tuple[sp.Symbol, str, sp.Rational] | None:
    """``sym OP c`` when ``rel`` is linear in one symbol with rational coefficients, else None."""
    d = sp.expand(rel.lhs - rel.rhs)
    if len(d.free_symbols) != 1:
        return None
    (x,) = d.free_symbols
    poly = sp.Poly(d, x)
    if poly.degree() != 1 or not all(c.is_Rational for c in poly.all_coeffs()):
        return None
    a, b = poly.all_coeffs()
    op = rel.rel_op
    if a < 0 and op not in ("==", "!="):
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    return x, op, -b / a


@dataclass(frozen=True)
class Hypotheses:
    """The hypotheses of a claim, parsed: ``m`` bounds, fixed values, signs, and the full list.

    Every relation is also checked exactly at every point an engine uses (:meth:`holds_at`).
    """

    relations: tuple[sp.Basic, ...]
    m_min: int = 2
    m_max: int | None = None
    fixed: Mapping[sp.Symbol, sp.Rational] = field(default_factory=dict)
    signs: Mapping[sp.Symbol, str] = field(default_factory=dict)

    @staticmethod
    def parse(relations: Iterable[sp.Basic]) -> "Hypotheses":
        rels, m_min, m_max, fixed, signs = [], 2, None, {}, {}
        allowed = {bn.m, bn.eps, bn.gamma, bn.beta, bn.mu, bn.sigma2}
        for r in relations:
            if r is sp.true:
                continue
            if r is sp.false or not isinstance(r, sp.Rel):
                raise ValueError(f"hypothesis {r!r} is not a relation (sympy evaluated it to {r})")
            for x in r.free_symbols:
                shape(x)
                if x in bn.scalars and x not in allowed:
                    raise ValueError(f"hypotheses may involve m, eps, gamma, beta, mu, sigma2 and free scalars, "
                                     f"not {x}")
            if any(isinstance(n, (sp.Function, VectorSymbol)) for n in sp.preorder_traversal(r)):
                raise ValueError(f"hypothesis {r} must be a relation between scalars")
            rels.append(r)
            b = _bound(r)
            if b is None:
                continue
            x, op, c = b
            if x == bn.m:
                if op in (">=", ">", "=="):
                    m_min = max(m_min, int(sp.floor(c)) + 1 if op == ">" or not c.is_Integer else int(c))
                if op in ("<=", "<", "=="):
                    hi = int(sp.ceiling(c)) - 1 if op == "<" or not c.is_Integer else int(c)
                    m_max = hi if m_max is None else min(m_max, hi)
            elif op == "==":
                fixed[x] = c
            elif c == 0:
                signs[x] = {">": "positive", ">=": "nonnegative", "<": "negative", "<=": "nonpositive",
                            "!=": "nonzero"}[op]
        if bn.eps in fixed and fixed[bn.eps] < 0:
            raise ValueError("eps >= 0 is part of the domain; a hypothesis fixed it negative")
        if m_max is not None and m_max < m_min:
            raise ValueError(f"hypotheses leave no batch size: m in {m_min}..{m_max}")
        return Hypotheses(tuple(rels), m_min, m_max, fixed, signs)

    @property
    def eps_zero(self) -> bool:
        return self.fixed.get(bn.eps) == 0

    @property
    def eps_positive(self) -> bool:
        return self.signs.get(bn.eps) == "positive" or self.fixed.get(bn.eps, 0) > 0

    def m_range(self, top: int) -> range:
        """Batch sizes ``m_min..min(top, m_max)`` (``top`` itself when the hypotheses ask for more)."""
        lo = self.m_min
        hi = max(lo, top) if self.m_max is None else min(self.m_max, max(lo, top))
        return range(lo, hi + 1)

    def holds_at(self, values: Mapping[sp.Symbol, object]) -> bool:
        """Every hypothesis at exact values (sympy numbers or Fractions), decided exactly."""
        sub = {k: sp.Rational(v) if isinstance(v, (int, Fraction)) else v for k, v in values.items()}
        for r in self.relations:
            val = r.xreplace(sub)
            if val not in (sp.true, sp.false):
                raise ValueError(f"hypothesis {r} not decided at {values}")
            if val is sp.false:
                return False
        return True

    def describe(self) -> str:
        return ", ".join(str(r) for r in self.relations) or "none beyond the domain"

    def eps_text(self) -> str:
        if bn.eps in self.fixed:
            return f"eps = {self.fixed[bn.eps]}"
        return "eps > 0" if self.eps_positive else "eps >= 0"


# --------------------------------------------------------------------------- the claim
@dataclass(frozen=True)
class FormulaClaim:
    """A relation about one BN unit under hypotheses; see the module docstring for the vocabulary."""

    name: str
    relation: sp.Basic
    hypotheses: tuple[sp.Basic, ...] = ()

    def __post_init__(self) -> None:
        rel = self.relation
        if not isinstance(rel, RELATIONS):
            raise TypeError(f"{self.name}: the relation must be Eq, Le, Ge, Lt or Gt, got {rel!r} "
                            "(sympy may have evaluated it: build it with evaluate=False)")
        ls, rs = shape(rel.lhs), shape(rel.rhs)
        if ls != rs and not (isinstance(rel, sp.Equality) and 0 in (rel.lhs, rel.rhs)):
            raise TypeError(f"{self.name}: a {ls} compared with a {rs}")
        if "vector" in (ls, rs) and not isinstance(rel, sp.Equality):
            raise TypeError(f"{self.name}: vectors can only be equal (componentwise), not ordered")
        object.__setattr__(self, "hypotheses", tuple(self.hypotheses))
        Hypotheses.parse(self.hypotheses)

    @property
    def hyp(self) -> Hypotheses:
        return Hypotheses.parse(self.hypotheses)

    @property
    def is_vector(self) -> bool:
        return "vector" in (shape(self.relation.lhs), shape(self.relation.rhs))

    @property
    def quantities(self) -> frozenset[str]:
        """Free data besides ``y`` (and ``m``) the relation depends on, minus values the hypotheses fix."""
        fixed = {str(k) if k not in (bn.eps, bn.gamma, bn.beta) else {bn.eps: "eps", bn.gamma: "gamma",
                 bn.beta: "beta"}[k] for k in self.hyp.fixed}
        return frozenset(_quantities(self.relation.lhs) | _quantities(self.relation.rhs)) - fixed

    @property
    def free_scalars(self) -> tuple[sp.Symbol, ...]:
        """Symbols outside the vocabulary (in the relation or the hypotheses), sorted by name."""
        syms = set(self.relation.free_symbols).union(*(r.free_symbols for r in self.hypotheses))
        return tuple(sorted((x for x in syms if not isinstance(x, VectorSymbol) and x not in bn.scalars),
                            key=lambda x: x.name))

    def check(self, level: Level) -> CheckFn:
        """The check at ``level`` as ``fn(ctx) -> Outcome``."""
        fns = {Level.THEORY: prove, Level.NUMERICS: check_numerically}
        if Level(level) not in fns:
            raise ValueError(f"formula claims are checked at theory and numerics, not {level}")
        return functools.partial(fns[Level(level)], self)

    @property
    def checks(self) -> dict[Level, CheckFn]:
        """Both levels, ready for a registry entry (``Claim.checks`` / ``Twin.checks``)."""
        return {lv: self.check(lv) for lv in (Level.THEORY, Level.NUMERICS)}

    def describe(self) -> dict:
        return {"name": self.name, "relation": str(self.relation), "latex": sp.latex(self.relation),
                "hypotheses": [str(h) for h in self.hypotheses]}

    def claim(self, *, id: str, source: Source, expected: Verdict | None,
              witness: Mapping[str | sp.Symbol, Any] | None = None, twin: "FormulaClaim | Twin | None" = None,
              statement: str = "", change: str = "", **extra: Any) -> Claim:
        """A registry :class:`~bnclaims.registry.Claim` with this claim's two checks (pass it to ``register``).

        ``hypotheses`` are the relations as text (``("none beyond the domain ...",)`` when there are none);
        ``witness`` maps names (``eps``, ``gamma``, ``beta``, ``m``, ``mu``, ``sigma2``, a free scalar's name,
        or ``y``: a batch, which fixes ``m``, ``mu``, ``sigma2``) to exact numbers (int, Fraction, ``"1/2"``),
        and its check decides every hypothesis and the domain exactly there (an undecided one raises, so
        contradictory hypotheses fail honestly). ``twin``: a false variant, a :class:`FormulaClaim` (its
        name is the twin's statement; ``change`` defaults to it) or a ready :class:`Twin`. ``statement``
        defaults to the name; other keyword arguments (``title``, ``notes``, ...) go to ``Claim``.
        """
        if isinstance(twin, FormulaClaim):
            twin = Twin(change=change or twin.name, statement=twin.name, checks=twin.checks,
                        latex=sp.latex(twin.relation))
        hypotheses = tuple(f"{r.lhs} = {r.rhs}" if isinstance(r, sp.Equality) else str(r) for r in self.hypotheses)
        hypotheses = hypotheses or ("none beyond the domain m >= 2, eps >= 0",)
        if witness is not None:
            data = {str(k): [_shown(x) for x in v] if k == "y" else _shown(v) for k, v in witness.items()}
            witness = Witness(data, functools.partial(self._witness_holds, dict(witness)))
        return Claim(id=id, statement=statement or self.name, source=source, checks=self.checks,
                     hypotheses=hypotheses, expected=expected, twin=twin, witness=witness,
                     latex=extra.pop("latex", sp.latex(self.relation)), **extra)

    def _witness_holds(self, witness: Mapping[str | sp.Symbol, Any]) -> bool:
        """The domain and every hypothesis at the witness, decided exactly (:meth:`Hypotheses.holds_at`)."""
        names = {"eps": bn.eps, "sigma2": bn.sigma2, **{x.name: x for x in bn.scalars + self.free_scalars}}
        point: dict[sp.Symbol, sp.Rational] = {}
        for key, value in witness.items():
            if key == "y":
                y = [_exact(v) for v in value]
                mu = sum(y) / len(y)
                point.update({bn.m: sp.Integer(len(y)), bn.mu: mu, bn.sigma2: sum((v - mu) ** 2 for v in y) / len(y)})
            elif (sym := key if isinstance(key, sp.Symbol) else names.get(key)) is None:
                raise ValueError(f"witness key {key!r} is not a scalar of bn, a free scalar of the claim, or y")
            else:
                point[sym] = _exact(value)
        domain = [sp.Ge(bn.m, 2), sp.Ge(bn.eps, 0), sp.Gt(bn.sigma2 + bn.eps, 0)]
        known = [r for r in domain if r.free_symbols <= set(point)]
        return Hypotheses(tuple(known) + Hypotheses.parse(self.hypotheses).relations).holds_at(point)


def _exact(value: object) -> sp.Rational:
    """A witness value as a sympy rational; floats and other inexact values are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Fraction, sp.Rational)):
        raise TypeError(f"witness values must be exact (int, Fraction, '1/2'), not {value!r}")
    return sp.Rational(value)


def _shown(value: object) -> object:
    return str(value) if isinstance(value, (Fraction, sp.Basic)) else value


def prove(claim: FormulaClaim, ctx: Context) -> Outcome:
    """Theory level: :func:`bnclaims.theory.formula_engine.prove`."""
    from bnclaims.theory.formula_engine import prove as _prove

    return _prove(claim, ctx)


def check_numerically(claim: FormulaClaim, ctx: Context) -> Outcome:
    """Numerics level: :func:`bnclaims.numerics.formula_engine.check`."""
    from bnclaims.numerics.formula_engine import check as _check

    return _check(claim, ctx)
