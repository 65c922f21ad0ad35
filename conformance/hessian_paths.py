"""Second derivatives through BN: which torch Hessian paths agree with the true Hessian.

The network of CLAIMS.md ("Implementation conformance"): an 8x3 batch, a 4-unit linear layer,
``F.batch_norm(z, None, None, gamma, beta, training=True)`` (Ioffe & Szegedy 2015, Alg. 1),
ReLU, a 2-class linear readout and cross-entropy, all parameters in one float64 vector. The
true Hessian is the double-backward Hessian of the same network with BN written out by hand
(mean, biased variance, sqrt). Paths compared: ``torch.func.hessian`` (= jacfwd(jacrev)),
``jacfwd(grad)``, ``jacrev(grad)``, ``torch.autograd.functional.hessian``. A disagreement is
certified on the minimal reproducer below: an interval enclosure of the exact mixed second
derivative ``d^2 f / dx_j dgamma`` (closed form) excludes torch.func's value. The minimal
reproducer is itself a measured instance (its whole Hessian is compared like the networks'),
so the certified entry belongs to an instance whose Frobenius gap is in the evidence.
"""
from __future__ import annotations

import functools
import warnings
from fractions import Fraction
from typing import Any, Callable

import torch
import torch.nn.functional as F

from bnclaims import Context, Outcome, Verdict
from bnclaims.tolerances import tol
from bnclaims.conformance.threads import single_threaded
from bnclaims.numerics.intervals import certify_positive

__all__ = ["REPRODUCER", "network_hessians", "minimal_reproducer", "check_hessian_paths"]

EPS = 1e-5

#: Paste-able reproducer for a bug report: exactly the instance that :func:`minimal_reproducer`
#: measures (Frobenius gap of the whole 3x3 Hessian) and certifies (one entry of it).
REPRODUCER = '''import torch, torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(2, 1, dtype=torch.float64)   # batch of 2, one channel
w = torch.randn(1, dtype=torch.float64)      # BN weight (gamma)
c = torch.randn(2, 1, dtype=torch.float64)
p = torch.cat([x.flatten(), w])              # parameters (x_1, x_2, gamma)
f = lambda p: (F.batch_norm(p[:2].reshape(2, 1), None, None, p[2:], training=True) ** 2 * c).sum()
Hf = torch.func.hessian(f)(p)                      # jacfwd(jacrev(f))
Ha = torch.autograd.functional.hessian(f, p)       # double backward
print(torch.__version__)
print("torch.func:", Hf.tolist())   # last row (d/dx dL/dgamma) differs from the last column
print("autograd:  ", Ha.tolist())   # symmetric
'''


def _quiet(fn: Callable) -> Callable:
    """torch.func's first call inside torch 2.13 emits torch's own torch.jit.script DeprecationWarning."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=DeprecationWarning)
            return fn(*args, **kwargs)
    return wrapper


def _network(seed: int) -> tuple[Callable, Callable, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 2, (8,), generator=gen)
    shapes = [(4, 3), (4,), (4,), (4,), (2, 4), (2,)]
    sizes = [torch.Size(s).numel() for s in shapes]

    def unflat(p):
        out, i = [], 0
        for s, k in zip(shapes, sizes):
            out.append(p[i:i + k].reshape(s))
            i += k
        return out

    def head(h, W2, b2):
        return F.cross_entropy(F.relu(h) @ W2.T + b2, labels)

    def loss_torch(p):
        W1, b1, g, b, W2, b2 = unflat(p)
        return head(F.batch_norm(X @ W1.T + b1, None, None, g, b, training=True, eps=EPS), W2, b2)

    def loss_hand(p):
        W1, b1, g, b, W2, b2 = unflat(p)
        z = X @ W1.T + b1
        mu = z.mean(0)
        var = ((z - mu) ** 2).mean(0)
        return head((z - mu) / torch.sqrt(var + EPS) * g + b, W2, b2)

    p = torch.randn(sum(sizes), generator=gen, dtype=torch.float64)
    return loss_torch, loss_hand, p


@_quiet
def network_hessians(seed: int) -> dict[str, Any]:
    """Relative Frobenius distance of each path from the true Hessian, and each path's asymmetry."""
    loss_torch, loss_hand, p = _network(seed)
    return {"seed": seed, "n_params": int(p.numel()), "paths": _compare_paths(loss_torch, loss_hand, p)[0]}


def _paths(loss: Callable, p: torch.Tensor) -> dict[str, Callable[[], torch.Tensor]]:
    return {
        "torch.func.hessian": lambda: torch.func.hessian(loss)(p),
        "torch.func.jacfwd(grad)": lambda: torch.func.jacfwd(torch.func.grad(loss))(p),
        "torch.func.jacrev(grad)": lambda: torch.func.jacrev(torch.func.grad(loss))(p),
        "torch.autograd.functional.hessian": lambda: torch.autograd.functional.hessian(loss, p),
    }


def _compare_paths(loss_torch: Callable, loss_hand: Callable,
                   p: torch.Tensor) -> tuple[dict[str, Any], dict[str, torch.Tensor], torch.Tensor]:
    """Each path's Hessian, its relative Frobenius distance from the true one and its asymmetry."""
    true = torch.autograd.functional.hessian(loss_hand, p)
    paths = _paths(loss_torch, p)
    paths["torch.func.hessian(hand-written BN)"] = lambda: torch.func.hessian(loss_hand)(p)
    out, mats = {}, {}
    for name, f in paths.items():
        H = mats[name] = f()
        out[name] = {"rel_frobenius_vs_true": float((H - true).norm() / true.norm()),
                     "asymmetry": float((H - H.T).norm() / H.norm())}
    return out, mats, true


@_quiet
def minimal_reproducer(seed: int = 0, path: str = "torch.func.hessian") -> dict[str, Any]:
    """Run :data:`REPRODUCER` (seed 0): measure every path's Hessian against the true one on this
    instance, and certify the worst mixed entry ``d^2 f / dx_j dgamma`` of ``path`` against its
    exact value (closed form, interval arithmetic), and autograd's as agreeing."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 1, generator=gen, dtype=torch.float64)
    w = torch.randn(1, generator=gen, dtype=torch.float64)
    c = torch.randn(2, 1, generator=gen, dtype=torch.float64)

    def f(p):
        return (F.batch_norm(p[:2].reshape(2, 1), None, None, p[2:], training=True, eps=EPS) ** 2 * c).sum()

    def f_hand(p):
        z = p[:2].reshape(2, 1)
        mu = z.mean(0)
        var = ((z - mu) ** 2).mean(0)
        return (((z - mu) / torch.sqrt(var + EPS) * p[2:]) ** 2 * c).sum()

    p = torch.cat([x.flatten(), w])
    measured, mats, true = _compare_paths(f, f_hand, p)
    H, Ha = mats[path], mats["torch.autograd.functional.hessian"]
    # the mixed entries (gamma row and column): the worst deviation of ``path`` from the true Hessian
    cand = [(2, j) for j in range(2)] + [(j, 2) for j in range(2)]
    r_, c_ = max(cand, key=lambda rc: abs(float(H[rc] - true[rc])))
    j = c_ if r_ == 2 else r_
    y = [Fraction(v) for v in x.flatten().tolist()]
    cc = [Fraction(v) for v in c.flatten().tolist()]

    def exact(M, yy, cv, gm, e):
        # f = gm^2 sum_i c_i yhat_i^2, so d2f/dgm dy_j = 2 gm sum_i c_i 2 yhat_i dyhat_i/dy_j,
        # dyhat_i/dy_j = (delta_ij - 1/m - yhat_i yhat_j / m) / s  (eps inside the root).
        m = len(yy)
        mu = sum(yy, M.mpf(0)) / m
        s = M.sqrt(sum([(v - mu) ** 2 for v in yy], M.mpf(0)) / m + e)
        yh = [(v - mu) / s for v in yy]
        return 4 * gm * sum([cv[i] * yh[i] * ((1 if i == j else 0) - M.mpf(1) / m - yh[i] * yh[j] / m) / s
                             for i in range(m)], M.mpf(0))

    base = [y, cc, Fraction(float(w)), Fraction(EPS)]
    rel = Fraction(tol("conformance.hessian_disagree_rel"))

    def off(M, yy, cv, gm, e, h, r):
        ex = exact(M, yy, cv, gm, e)
        return abs(h - ex) - r * abs(ex)

    def on(M, yy, cv, gm, e, h, r):
        ex = exact(M, yy, cv, gm, e)
        return r * abs(ex) - abs(h - ex)

    path_cert = certify_positive(off, base + [Fraction(float(H[r_, c_])), rel])
    auto_cert = certify_positive(on, base + [Fraction(float(Ha[r_, c_])), rel])
    return {"x": x.flatten().tolist(), "gamma": float(w), "c": c.flatten().tolist(), "path": path,
            "measured": measured, "rel_frobenius_vs_true": measured[path]["rel_frobenius_vs_true"],
            "entry": f"H[{r_}, {c_}] = d2f/dx_{j} dgamma", "path_value": float(H[r_, c_]),
            "autograd_value": float(Ha[r_, c_]),
            "certificate": {"kind": f"|{path} entry - exact| - {float(rel):g} |exact| > 0", **path_cert.as_dict()},
            "autograd": {"certificate": {"kind": f"{float(rel):g} |exact| - |autograd entry - exact| > 0",
                                         **auto_cert.as_dict()}}}


@single_threaded
def check_hessian_paths(ctx: Context, path: str = "torch.func.hessian") -> Outcome:
    """Does ``path`` equal the true Hessian through ``F.batch_norm(training=True)``?

    Measured on random networks (seeded by ``ctx``) and on the minimal instance of
    :data:`REPRODUCER`. ``refuted`` needs the disagreement on a measured instance *and* a
    certified entry of that same instance: the reproducer's Frobenius gap exceeds the
    threshold and its worst mixed entry is certified off the exact value. ``holds`` when every
    measured instance agrees; otherwise ``inconclusive``.
    """
    rng = ctx.rng("hessian")  # one generator: each call of ctx.rng(salt) restarts the same stream
    seeds = [rng.randrange(2 ** 31) for _ in range(ctx.budget(1, 2, 4))]
    runs = [network_hessians(s) for s in seeds]
    thr = tol("conformance.hessian_disagree_rel")
    mini = minimal_reproducer(0, path)
    instances = [r["paths"] for r in runs] + [mini["measured"]]
    worst = max(r[path]["rel_frobenius_vs_true"] for r in instances)
    agree = sorted({name for r in instances for name, v in r.items() if v["rel_frobenius_vs_true"] <= thr})
    disagree = sorted({name for r in instances for name, v in r.items() if v["rel_frobenius_vs_true"] > thr})
    agree = [a for a in agree if a not in disagree]
    ev: dict[str, Any] = {"torch": torch.__version__, "path": path, "tolerance": thr, "runs": runs,
                          "minimal_reproducer_run": mini, "max_rel_error": worst,
                          "paths_agreeing_with_true": agree, "paths_disagreeing": disagree,
                          "reproducer": REPRODUCER}
    scope = (f"float64, {len(seeds)} random network(s) 8x3 -> linear(4) -> F.batch_norm(train) -> ReLU -> "
             f"linear(2) -> CE, {runs[0]['n_params']} parameters, and the 3-parameter reproducer instance; "
             "true Hessian = double backward of hand-written BN; refutation certified on the reproducer instance")
    if worst <= thr:
        return Outcome(Verdict.HOLDS, scope, ev)
    refuted = mini["rel_frobenius_vs_true"] > thr and mini["certificate"]["certified"]
    if refuted:
        ev["counterexample"] = {k: mini[k] for k in ("x", "gamma", "c", "rel_frobenius_vs_true")}
    return Outcome(Verdict.REFUTED if refuted else Verdict.INCONCLUSIVE, scope, ev)
