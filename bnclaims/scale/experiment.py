"""A scale experiment: a grid of seeded cells per preset, turned into a check by a pre-registered criterion.

:class:`ScaleExperiment` names one pure measurement function (``"package.module:function"``), its arms
(configurations) and number of seeds per preset, a wall-clock budget, and a plot. :func:`scale_check`
makes the check ``fn(ctx) -> Outcome`` of a claim (or of its false twin, with another criterion on the
same cells): it checks the design preconditions, runs the grid through the context's runner (process
pool, cache, SLURM; a claim and its twin share cells), applies :func:`bnclaims.scale.verdict.decide`, and
returns the criterion, per-seed numbers, intervals and a statistical certificate as evidence.
"""
from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

from bnclaims.context import Context
from bnclaims.scale.criteria import Criterion
from bnclaims.scale.verdict import Decision, decide
from bnclaims.verdicts import Outcome, Verdict

__all__ = ["Design", "by_preset", "ScaleExperiment", "scale_check", "versions", "describe_scale_check"]

PRESET_FALLBACK = {"thorough": "default", "gpu": "thorough"}


@dataclass(frozen=True)
class Design:
    """One preset's grid: arms (name -> configuration), the number of seeds and the time budget."""

    arms: Mapping[str, Mapping[str, Any]]
    seeds: int
    budget_s: float

    def __post_init__(self) -> None:
        if self.seeds < 2:
            raise ValueError("intervals over seeds need at least 2 seeds")


def by_preset(arms: Callable[..., Mapping[str, Mapping[str, Any]]],
              **presets: tuple[tuple[Any, ...], int, float]) -> dict[str, Design]:
    """``{preset: Design(arms(*args), seeds, budget_s)}`` from ``preset=(args, seeds, budget_s)``."""
    return {name: Design(arms(*args), seeds=seeds, budget_s=budget) for name, (args, seeds, budget) in presets.items()}


@dataclass(frozen=True)
class ScaleExperiment:
    """The cells behind one or more claims: a measurement function and a design per preset."""

    name: str
    function: str
    designs: Mapping[str, Design]
    plot: Callable[[dict[str, Any], Path], None] | None = field(default=None, compare=False)
    description: str = ""
    #: optional: per-seed records ``[{arm: record}, ...]`` -> JSON-safe certificates of the raw measurements
    #: (e.g. every reported eigenvalue with its residual bound), stored as ``evidence["measurements"]``.
    evidence: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = field(default=None, compare=False)

    def design(self, preset: str) -> Design:
        """The design of ``preset``; ``thorough`` falls back to ``default`` and ``gpu`` to ``thorough``."""
        while preset not in self.designs:
            if preset not in PRESET_FALLBACK:
                raise KeyError(f"experiment {self.name} has no design for preset {preset!r}")
            preset = PRESET_FALLBACK[preset]
        return self.designs[preset]

    def summary(self, preset: str) -> dict[str, Any]:
        d = self.design(preset)
        return {"name": self.name, "function": self.function, "description": self.description,
                "preset": preset, "arms": {k: dict(v) for k, v in d.arms.items()}, "seeds": d.seeds,
                "budget_s": d.budget_s}


def versions() -> dict[str, Any]:
    """What a rerun needs to match: Python, platform and package versions."""
    def v(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {"python": sys.version.split()[0], "platform": platform.platform(),
            **{d: v(d) for d in ("bnclaims", "torch", "numpy", "scipy")}}


def _inconclusive(reason: str, scope: str, evidence: dict[str, Any]) -> Outcome:
    return Outcome(Verdict.INCONCLUSIVE, f"{scope}; {reason}", dict(evidence, reason=reason))


def scale_check(experiment: ScaleExperiment, criterion: Criterion, *, claim_id: str,
                doc: str = "") -> Callable[[Context], Outcome]:
    """The check of ``claim_id`` (a claim or ``<id>.twin``): ``experiment``'s cells judged by ``criterion``."""

    def check(ctx: Context) -> Outcome:
        design = experiment.design(ctx.preset)
        seeds = [ctx.seed + i for i in range(design.seeds)]
        arms = {name: {**cfg, "device": ctx.device} for name, cfg in design.arms.items()}
        scope = (f"{ctx.preset} preset: {len(arms)} arm(s) x {len(seeds)} seeds of {experiment.function}, "
                 f"t intervals at joint confidence {criterion.confidence} (Bonferroni over "
                 f"{criterion.n_intervals})")
        evidence: dict[str, Any] = {"criterion": criterion.summary(), "design": experiment.summary(ctx.preset)}
        evidence["design"]["seeds"] = seeds
        failed = [c.text for c in criterion.design_preconditions
                  if not all(c.check(cfg) for cfg in arms.values())]
        if failed:
            return _inconclusive("precondition not met by the design: " + "; ".join(failed), scope, evidence)
        from bnclaims.scale.grid import Cell

        cells = {(arm, s): Cell.make(experiment.function, cfg, s) for arm, cfg in arms.items() for s in seeds}
        start = time.monotonic()
        ctx.say(f"{claim_id}: {len(cells)} cells")
        result = ctx.grid().run(list(cells.values()), deadline=start + design.budget_s)
        evidence["timing"] = {"seconds": round(time.monotonic() - start, 3), "cells": len(cells),
                              "from_cache": result.from_cache, "executor": result.executor}
        if result.missing:
            done = sorted({s for (arm, s), c in cells.items() if c not in result.missing})
            return _inconclusive(f"time budget of {design.budget_s:g} s ran out with {len(result.missing)} of "
                                 f"{len(cells)} cells unfinished", scope, dict(evidence, seeds_started=done))
        per_seed = [{arm: result.record(cells[arm, s]) for arm in arms} for s in seeds]
        decision = decide(criterion, per_seed)
        evidence.update(_decision_evidence(decision))
        if experiment.evidence is not None:  # a twin judges the same cells: its record points to the claim's
            evidence["measurements"] = (experiment.evidence(per_seed) if not claim_id.endswith(".twin") else
                                        f"the same cells as {claim_id.removesuffix('.twin')}: see its record")
        evidence["certificate"] = {
            "statistical": True,
            "per_seed": {r.test.name: r.values for r in decision.tests},
            "interval": {r.test.name: r.interval.as_dict() for r in decision.tests},
            "level": criterion.per_interval_level, "joint_confidence": criterion.confidence,
            "seeds": seeds, "preset": ctx.preset, "device": ctx.device, "versions": versions(),
            "rerun": f"bnclaims verify {claim_id.removesuffix('.twin')} --level scale --preset {ctx.preset} "
                     f"--seed {ctx.seed} --device {ctx.device}",
        }
        if ctx.plots is not None and experiment.plot is not None and not claim_id.endswith(".twin"):
            path = Path(ctx.plots) / f"{claim_id}.png"
            experiment.plot({"arms": arms, "seeds": seeds, "per_seed": per_seed, "decision": decision,
                             "criterion": criterion, "claim_id": claim_id, "preset": ctx.preset}, path)
            evidence["plot"] = path.name
        return Outcome(decision.verdict, f"{scope}; {decision.reason}", evidence)

    check.criterion = criterion  # type: ignore[attr-defined]  (read by 'bnclaims show' and 'list --json')
    check.experiment = experiment  # type: ignore[attr-defined]
    check.__name__ = f"scale_check_{claim_id.replace('.', '_')}"
    check.__doc__ = doc or f"{claim_id} at the scale level: {experiment.name} judged by its pre-registered criterion."
    return check


def _decision_evidence(decision: Decision) -> dict[str, Any]:
    return {"decision": decision.reason,
            "tests": {r.test.name: r.as_dict() for r in decision.tests},
            "preconditions": {r.test.name: r.as_dict() for r in decision.preconditions},
            "reported": {r.test.name: r.as_dict() for r in decision.reported}}


def _where(band: str) -> str:
    return f"in {band}" if band.startswith("[") else band


def describe_scale_check(check: Callable[..., Any], preset: str = "default") -> list[str]:
    """Lines for ``bnclaims show``: the pre-registered criterion and the design of ``preset``."""
    crit: Criterion | None = getattr(check, "criterion", None)
    exp: ScaleExperiment | None = getattr(check, "experiment", None)
    if crit is None or exp is None:
        return []
    s = crit.summary()
    lines = [f"measured: {s['quantity']}", f"reading: {s['reading']}"]
    lines += [f"test {t['name']}: {t['quantity']}; interval must lie {_where(t['band'])}" for t in s["tests"]]
    lines += [f"precondition (design): {p}" for p in s["design_preconditions"]]
    lines += [f"precondition (data) {t['name']}: {t['quantity']}; interval must lie {_where(t['band'])}"
              for t in s["data_preconditions"]]
    lines += [f"reported beside: {t['name']}: {t['quantity']}" for t in s["reported_beside"]]
    lines += [f"confidence: {s['confidence']} joint; {s['correction']}; {s['interval']}", f"rule: {s['rule']}"]
    d = exp.design(preset)
    lines.append(f"experiment: {exp.name} ({exp.function}); {exp.description}")
    lines.append(f"{preset} preset: {d.seeds} seeds, budget {d.budget_s:g} s, arms: " +
                 "; ".join(f"{k} {dict(v)}" for k, v in d.arms.items()))
    return lines
