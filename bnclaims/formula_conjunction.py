"""Claims with several parts: a conjunction of :class:`bnclaims.formula.FormulaClaim` relations.

A statement such as Ioffe & Szegedy's staged backprop formulas (``ioffe2015batch``, §3) or Santurkar et
al.'s Fact C.1 with its corollaries (``santurkar2018how``, App. C) is several relations at once.
:class:`AllOf` adjudicates each part with the generic engine at the requested level and combines:

* **refuted** when a part is refuted: that part's outcome (its exact or interval-certified counterexample),
  the scope prefixed with the part's name; parts after it are not run;
* **proved** (theory) / **holds** (numerics) when every part is; the scope names each part's scope;
* **holds** when the parts are a mix of proved and holds; **inconclusive** otherwise.

A twin is a one-expression edit of one part: ``F.replace(index, part)``.

>>> import sympy as sp
>>> from bnclaims.formula import bn
>>> F = AllOf("sums", (FormulaClaim("sum z", sp.Eq(bn.sum(bn.z), bn.m * bn.beta)),
...                    FormulaClaim("sum yhat", sp.Eq(bn.sum(bn.yhat), 0))))
>>> sorted(F.checks) == sorted([Level.THEORY, Level.NUMERICS])
True
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from bnclaims.context import Context
from bnclaims.formula import CheckFn, FormulaClaim
from bnclaims.verdicts import Level, Outcome, Verdict

__all__ = ["AllOf", "combine"]


@dataclass(frozen=True)
class AllOf:
    """Every part holds: ``parts`` are formula claims adjudicated one by one (see the module docstring)."""

    name: str
    parts: tuple[FormulaClaim, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))
        if not self.parts or not all(isinstance(p, FormulaClaim) for p in self.parts):
            raise TypeError(f"{self.name}: parts must be a non-empty sequence of FormulaClaim")

    def replace(self, index: int, part: FormulaClaim, name: str | None = None) -> "AllOf":
        """The same conjunction with part ``index`` replaced (a twin's one-expression edit)."""
        parts = list(self.parts)
        parts[index] = part
        return AllOf(name or self.name, tuple(parts))

    def check(self, level: Level) -> CheckFn:
        """The check at ``level`` as ``fn(ctx) -> Outcome``."""
        fns = [p.check(level) for p in self.parts]
        return functools.partial(combine, tuple(p.name for p in self.parts), fns)

    @property
    def checks(self) -> dict[Level, CheckFn]:
        """Both levels, ready for a registry entry (``Claim.checks`` / ``Twin.checks``)."""
        return {lv: self.check(lv) for lv in (Level.THEORY, Level.NUMERICS)}


def combine(names: tuple[str, ...], fns: list[CheckFn], ctx: Context) -> Outcome:
    """Run the part checks ``fns`` in order and combine their outcomes (see the module docstring)."""
    outs: list[Outcome] = []
    steps: list[tuple[str, str]] = []
    exprs: dict = {}
    for k, (name, fn) in enumerate(zip(names, fns), 1):
        out = fn(ctx)
        outs.append(out)
        steps.append((f"Part {k}: {name}.", out.evidence.get("claim", {}).get("latex", "")))
        steps.extend(out.steps)
        exprs.update({f"part{k}.{key}": v for key, v in out.exprs.items()})
        if out.verdict is Verdict.REFUTED:
            ev = {**out.evidence, "part": k, "part_name": name,
                  "earlier_parts": [{"part": j, "verdict": o.verdict.value} for j, o in enumerate(outs[:-1], 1)]}
            return Outcome(Verdict.REFUTED, f"part {k} ({name}): {out.scope}", ev, steps, exprs)
    verdicts = {o.verdict for o in outs}
    verdict = (verdicts.pop() if len(verdicts) == 1 else
               Verdict.HOLDS if verdicts <= {Verdict.PROVED, Verdict.HOLDS} else Verdict.INCONCLUSIVE)
    scopes: dict[str, list[int]] = {}
    for k, o in enumerate(outs, 1):
        scopes.setdefault(o.scope, []).append(k)
    scope = f"{len(outs)} parts, " + "; ".join(
        f"part{'s' if len(ks) > 1 else ''} {', '.join(map(str, ks))}: {s}" for s, ks in scopes.items())
    ev = {"parts": [{"part": k, "name": n, "verdict": o.verdict.value, "evidence": o.evidence}
                    for k, (n, o) in enumerate(zip(names, outs), 1)]}
    return Outcome(verdict, scope, ev, steps, exprs)
