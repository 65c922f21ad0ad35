"""The report of ``bnclaims conform``: one verdict per (check, dtype), JSON-able, and its text form.

A :class:`CheckResult` is ``holds`` (no violation in the cases searched), ``refuted`` (a
shrunk counterexample whose violation is certified by interval arithmetic, in
``evidence["counterexample"]["certificate"]``) or ``inconclusive`` (with ``reason``: the dtype
or the check does not apply, or a violation could not be certified). :class:`ConformReport`
collects them; :meth:`ConformReport.lines` prints one line per (check, dtype) within 100
columns and then the smallest counterexample of each failing dtype.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import Any

from bnclaims.verdicts import Verdict, has_certificate

__all__ = ["CHECKS", "CheckResult", "ConformReport"]

#: The checks, in report order.
CHECKS = ("forward_train", "forward_eval", "running_stats", "gradient", "hessian")
WIDTH = 100


@dataclass
class CheckResult:
    """The verdict of one check at one dtype, with what was covered and the evidence."""

    check: str
    dtype: str
    verdict: Verdict
    scope: str
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    seconds: float = 0.0
    #: False when the check does not apply (dtype unsupported, no running buffers, no double backward).
    applies: bool = True

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)
        if self.verdict is Verdict.REFUTED and not has_certificate(self.evidence):
            raise ValueError(f"{self.check}/{self.dtype}: a refutation needs a certified counterexample")
        if self.verdict is Verdict.INCONCLUSIVE and not self.reason:
            raise ValueError(f"{self.check}/{self.dtype}: an inconclusive verdict must say why")

    @property
    def counterexample(self) -> dict[str, Any] | None:
        return self.evidence.get("counterexample")

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "dtype": self.dtype, "verdict": self.verdict.value, "scope": self.scope,
                "reason": self.reason, "applies": self.applies, "seconds": round(self.seconds, 3),
                "evidence": self.evidence}

    def line(self) -> str:
        ev = self.evidence
        if self.verdict is Verdict.HOLDS:
            skipped = f", {ev['skipped_out_of_range']} out of range" if ev.get("skipped_out_of_range") else ""
            tail = f"{ev.get('cases', 0)} cases{skipped}, max error/bound {ev.get('max_error_over_bound', 0):.3g}"
        elif self.verdict is Verdict.REFUTED:
            cx = self.counterexample or {}
            tail = (f"shape {tuple(cx.get('shape', ()))}, error/bound "
                    f"{cx.get('numbers', {}).get('ratio', float('nan')):.3g}, certified")
        else:
            tail = self.reason
        text = f"{self.check:<14}{self.dtype:<10}{self.verdict.value:<13}{tail}"
        return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."


@dataclass
class ConformReport:
    """Every (check, dtype) verdict for one implementation, with the run's settings."""

    spec: str
    description: str
    seed: int
    preset: str
    dtypes: tuple[str, ...]
    dps: int
    torch_version: str
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def verdict(self, check: str, dtype: str) -> Verdict:
        return next(r.verdict for r in self.results if r.check == check and r.dtype == dtype)

    def result(self, check: str, dtype: str) -> CheckResult:
        return next(r for r in self.results if r.check == check and r.dtype == dtype)

    @property
    def refuted(self) -> list[CheckResult]:
        return [r for r in self.results if r.verdict is Verdict.REFUTED]

    @property
    def all_hold(self) -> bool:
        return all(r.verdict is Verdict.HOLDS for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when every check holds or does not apply (the inconclusive line says why); 1 when a check
        is refuted, or found a violation it could not certify."""
        return 1 if any(r.verdict is not Verdict.HOLDS and r.applies for r in self.results) else 0

    def to_dict(self) -> dict[str, Any]:
        counts = {v.value: sum(r.verdict is v for r in self.results) for v in Verdict if v is not Verdict.PROVED}
        return {"implementation": self.spec, "description": self.description, "seed": self.seed,
                "preset": self.preset, "dtypes": list(self.dtypes), "dps": self.dps, "torch": self.torch_version,
                "seconds": round(self.seconds, 3), "counts": counts, "exit_code": self.exit_code,
                "smallest_counterexample_per_dtype": {d: {"check": r.check, **(r.counterexample or {})}
                                                      for d, r in self.smallest_per_dtype().items()},
                "results": [r.to_dict() for r in self.results]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def smallest_per_dtype(self) -> dict[str, CheckResult]:
        """Per failing dtype, the refuted check with the smallest counterexample (fewest values)."""
        out: dict[str, CheckResult] = {}
        for r in self.refuted:
            best = out.get(r.dtype)
            if best is None or _size(r) < _size(best):
                out[r.dtype] = r
        return out

    def lines(self) -> list[str]:
        """The text report: a header, one line per (check, dtype), then the counterexamples."""
        head = f"conform {self.description}"
        out = [head if len(head) <= WIDTH else head[:WIDTH - 3] + "...",
               f"{'check':<14}{'dtype':<10}{'verdict':<13}details"]
        out += [r.line() for r in self.results]
        n = {v: sum(r.verdict is v for r in self.results) for v in Verdict}
        out.append(f"{len(self.results)} checks: {n[Verdict.HOLDS]} hold, {n[Verdict.REFUTED]} refuted, "
                   f"{n[Verdict.INCONCLUSIVE]} inconclusive; seed {self.seed}, preset {self.preset}, "
                   f"{self.seconds:.1f}s")
        for dtype, r in self.smallest_per_dtype().items():
            out.append("")
            out += _describe_counterexample(dtype, r)
        return out


def _size(r: CheckResult) -> tuple[int, int]:
    cx = r.counterexample or {}
    shape = cx.get("shape") or [0]
    total = 1
    for s in shape:
        total *= s
    return total, CHECKS.index(r.check) if r.check in CHECKS else len(CHECKS)


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _describe_counterexample(dtype: str, r: CheckResult) -> list[str]:
    cx = r.counterexample or {}
    num = cx.get("numbers", {})
    cert = cx.get("certificate", {})
    out = [f"{dtype}: smallest counterexample ({r.check}, shape {tuple(cx.get('shape', ()))})"]
    if "inputs" in num and "steps_count" in cx:
        out += _wrap(f"channel {num.get('channel')} of the {cx['steps_count']} training batches "
                     f"({cx.get('momentum_label')}): {num['inputs']}")
    elif "inputs" in num:
        out += _wrap(f"input channel {num.get('channel')}: {num['inputs']}")
    params = {k: cx[k] for k in ("eps", "gamma", "beta", "running_mean", "running_var", "upstream", "direction",
                                 "momentum") if k in cx}
    out += _wrap("parameters: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    what = num.get("what", "output")
    out += _wrap(f"{what}[{num.get('index')}] = {num.get('value')}, exact {num.get('reference')}, "
                 f"|error| {num.get('abs_error', float('nan')):.3g} > bound {num.get('bound', float('nan')):.3g} "
                 f"(error/bound {num.get('ratio', float('nan')):.3g})")
    if num.get("error"):
        out += _wrap(f"implementation: {num['error']}")
    out += _wrap(f"certificate: {cert.get('kind', '')} enclosed in {cert.get('interval')}, "
                 f"certified={cert.get('certified')}")
    return out
