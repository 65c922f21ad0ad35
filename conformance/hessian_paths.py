"""Second derivatives through BN: which torch Hessian paths agree with the true Hessian.

The network of CLAIMS.md ("Implementation conformance"): an 8x3 batch, a 4-unit linear layer,
``F.batch_norm(z, None, None, gamma, beta, training=True)`` (Ioffe & Szegedy 2015, Alg. 1),
ReLU, a 2-class linear readout and cross-entropy, all parameters in one float64 vector. The
true Hessian is the double-backward Hessian of the same network with BN written out by hand
(mean, biased variance, sqrt). Paths compared: ``torch.func.hessian`` (= jacfwd(jacrev)),
``jacfwd(grad)``, ``jacrev(grad)``, ``torch.autograd.functional.hessian``. A disagreement is
certified on the minimal reproducer below: an interval enclosure of the exact mixed second
derivative ``d^2 f / dx_j dgamma`` (closed form) excludes torch.func's value.
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
from numerics.intervals import certify_positive

__all__ = ["REPRODUCER", "network_hessians", "minimal_reproducer", "check_hessian_paths"]

EPS = 1e-5

#: Paste-able reproducer for a bug report (minimal: one channel, two samples, squared output).
REPRODUCER = '''import torch, torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(2, 1, dtype=torch.float64)   # batch of 2, one channel
w = torch.randn(1, dtype=torch.float64)      # BN weight (gamma)
c = torch.randn(2, 1, dtype=torch.float64)
f = lambda x, w: (F.batch_norm(x, None, None, w, training=True) ** 2 * c).sum()
Hf = torch.func.hessian(f, argnums=(0, 1))(x, w)          # jacfwd(jacrev(f))
Ha = torch.autograd.functional.hessian(f, (x, w))         # double backward
print(torch.__version__)
print("d/dx dL/dw  torch.func:", Hf[1][0].flatten().tolist())
print("d/dx dL/dw  autograd:  ", Ha[1][0].flatten().tolist())   # differ
print("d/dw dL/dx  torch.func:", Hf[0][1].flatten().tolist())   # this block agrees
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
    true = torch.autograd.functional.hessian(loss_hand, p)
    paths = {
        "torch.func.hessian": lambda: torch.func.hessian(loss_torch)(p),
        "torch.func.jacfwd(grad)": lambda: torch.func.jacfwd(torch.func.grad(loss_torch))(p),
        "torch.func.jacrev(grad)": lambda: torch.func.jacrev(torch.func.grad(loss_torch))(p),
        "torch.autograd.functional.hessian": lambda: torch.autograd.functional.hessian(loss_torch, p),
        "torch.func.hessian(hand-written BN)": lambda: torch.func.hessian(loss_hand)(p),
    }
    out = {}
    for name, f in paths.items():
        H = f()
        out[name] = {"rel_frobenius_vs_true": float((H - true).norm() / true.norm()),
                     "asymmetry": float((H - H.T).norm() / H.norm())}
    return {"seed": seed, "n_params": int(p.numel()), "paths": out}


@_quiet
def minimal_reproducer(seed: int = 0) -> dict[str, Any]:
    """Run :data:`REPRODUCER`'s computation; certify the wrong entry against the exact value."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 1, generator=gen, dtype=torch.float64)
    w = torch.randn(1, generator=gen, dtype=torch.float64)
    c = torch.randn(2, 1, generator=gen, dtype=torch.float64)

    def f(x, w):
        return (F.batch_norm(x, None, None, w, training=True, eps=EPS) ** 2 * c).sum()

    Hf = torch.func.hessian(f, argnums=(0, 1))(x, w)[1][0].flatten().tolist()
    Ha = torch.autograd.functional.hessian(f, (x, w))[1][0].flatten().tolist()
    j = max(range(2), key=lambda k: abs(Hf[k] - Ha[k]))
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

    func_cert = certify_positive(off, base + [Fraction(Hf[j]), rel])
    auto_cert = certify_positive(on, base + [Fraction(Ha[j]), rel])
    return {"x": x.flatten().tolist(), "gamma": float(w), "c": c.flatten().tolist(), "entry": f"d2f/dx_{j} dgamma",
            "torch_func_hessian": Hf[j], "autograd_hessian": Ha[j],
            "func_off_certificate": func_cert.as_dict(), "autograd_on_certificate": auto_cert.as_dict()}


def check_hessian_paths(ctx: Context, path: str = "torch.func.hessian") -> Outcome:
    """Does ``path`` equal the true Hessian through ``F.batch_norm(training=True)``?"""
    seeds = [ctx.rng("hessian").randrange(2 ** 31) for _ in range(ctx.budget(1, 2, 4))]
    runs = [network_hessians(s) for s in seeds]
    thr = tol("conformance.hessian_disagree_rel")
    worst = max(r["paths"][path]["rel_frobenius_vs_true"] for r in runs)
    agree = sorted({name for r in runs for name, v in r["paths"].items() if v["rel_frobenius_vs_true"] <= thr})
    disagree = sorted({name for r in runs for name, v in r["paths"].items() if v["rel_frobenius_vs_true"] > thr})
    agree = [a for a in agree if a not in disagree]
    ev: dict[str, Any] = {"torch": torch.__version__, "path": path, "threshold_rel": thr, "runs": runs,
                          "worst_rel_frobenius": worst, "paths_agreeing_with_true": agree,
                          "paths_disagreeing": disagree, "reproducer": REPRODUCER}
    scope = (f"float64, {len(seeds)} random network(s) 8x3 -> linear(4) -> F.batch_norm(train) -> ReLU -> "
             f"linear(2) -> CE, {runs[0]['n_params']} parameters; true Hessian = double backward of hand-written BN")
    if worst <= thr:
        return Outcome(Verdict.HOLDS, scope, ev)
    mini = minimal_reproducer()
    ev["minimal_reproducer_run"] = mini
    certified = mini["func_off_certificate"]["certified"] if path == "torch.func.hessian" else False
    return Outcome(Verdict.REFUTED if certified else Verdict.INCONCLUSIVE, scope, ev)
