"""Santurkar et al. (2018), Obs. 4.3 and Lemma 4.5; Junike & Dannemann (2025) (catalog C06-C08).

Four claims: the reparametrization identity of Observation 4.3 (proved), its strong reading
"minima of the standard net are critical points of the BN net" (refuted), the algebraic
content of Lemma 4.5's right-hand side (proved), and Lemma 4.5 itself (refuted). No torch.
"""
from __future__ import annotations

from fractions import Fraction

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.verdicts import Level, Verdict
from bnclaims.numerics import junike2025_search as njs
from bnclaims.numerics import santurkar2018_initialization as nsi
from bnclaims.theory import junike2025 as tj
from bnclaims.theory import santurkar2018_initialization as tsi

F = Fraction
_C08_X = ((F(1), F(0)), (F(0), F(1)), (F(1), F(1)))
_C08_Y = (F(6), F(4), F(9))


def _reparam_witness() -> bool:
    y, eps = [F(0), F(1)], F(0)
    mu = sum(y) / len(y)
    return sum((v - mu) ** 2 for v in y) / len(y) + eps > 0


def _c08_minimum_witness() -> bool:
    """X has full column rank and W* = (17/3, 11/3) solves X^T X w = X^T y (a strict minimum)."""
    W = (F(17, 3), F(11, 3))
    G = [[sum(r[a] * r[b] for r in _C08_X) for b in range(2)] for a in range(2)]
    det = G[0][0] * G[1][1] - G[0][1] * G[1][0]
    grad = [sum(r[a] * (r[0] * W[0] + r[1] * W[1] - t) for r, t in zip(_C08_X, _C08_Y)) for a in range(2)]
    return G[0][0] > 0 and det > 0 and grad == [0, 0]


def _rhs_witness() -> bool:
    W0, Ws = (F(6), F(4)), (F(17, 3), F(11, 3))
    return any(Ws) and sum(a * b for a, b in zip(W0, Ws)) > 0


def _lemma45_witness() -> bool:
    r = njs.evaluate(njs.Problem(_C08_X, _C08_Y), kind="exact", at_wstar=True)
    return bool(r["wellposed"])


register(Claim(
    id="santurkar.obs43_reparametrization",
    catalog="C06",
    title="Observation 4.3: gamma = sigma, beta = mu reproduces the un-normalized activations",
    statement=("For any batch y with sigma^2 + eps > 0, BN with gamma = sqrt(sigma^2 + eps) (= sigma at "
               "eps = 0) and beta = mu returns y: gamma (y_i - mu)/sqrt(sigma^2 + eps) + beta = y_i."),
    latex=r"\gamma=\sqrt{\sigma^2+\varepsilon},\ \beta=\mu\ \Rightarrow\ \gamma\frac{y_i-\mu}{\sqrt{\sigma^2+\varepsilon}}+\beta=y_i",
    source=Source("santurkar2018how", "Section 4.2, Observation 4.3", "scale sqrt(sigma^2+eps) when eps > 0"),
    hypotheses=("batch size m >= 2", "eps >= 0 and sigma^2 + eps > 0", "1/m (biased) batch variance"),
    witness=Witness({"y": ["0", "1"], "eps": "0"}, _reparam_witness),
    checks={Level.THEORY: tsi.check_reparametrization, Level.NUMERICS: nsi.check_reparametrization},
    expected=Verdict.PROVED,
    proof_sketch="z_i - y_i = s (y_i - mu)/s + mu - y_i = 0 with s = sqrt(sigma^2 + eps) > 0, for every m and i.",
    twin=Twin(change="gamma = sigma^2 + eps instead of sqrt(sigma^2 + eps) (an exponent changed)",
              statement="gamma = sigma^2 (+ eps), beta = mu reproduces the batch.",
              latex=r"\gamma=\sigma^2+\varepsilon,\ \beta=\mu\ \Rightarrow\ z=y",
              checks={Level.THEORY: tsi.check_reparametrization_twin,
                      Level.NUMERICS: nsi.check_reparametrization_twin}),
))

register(Claim(
    id="santurkar.obs43_minima_critical",
    catalog="C06",
    title="Observation 4.3, strong reading: minima of the standard net are critical points of the BN net",
    statement=("If W* minimizes the standard loss, then (W*, gamma = sigma(W*), beta = mu(W*)) is a critical "
               "point of the BN loss in (w, gamma, beta)."),
    latex=r"\nabla L(W^*)=0,\ \nabla^2L(W^*)\succ0\ \Rightarrow\ \nabla_{(w,\gamma,\beta)}\hat L(W^*,\sigma(W^*),\mu(W^*))=0",
    source=Source("santurkar2018how", "Section 4.2, Observation 4.3",
                  "'all minima of the normal landscape are preserved'; weak sense inf Lhat <= inf L is true"),
    hypotheses=("single neuron, identity activation, no bias, squared loss",
                "BN over the whole data set, eps = 0", "X has full column rank (W* unique)"),
    witness=Witness({"X": [["1", "0"], ["0", "1"], ["1", "1"]], "y": ["6", "4", "9"], "W_star": ["17/3", "11/3"]},
                    _c08_minimum_witness),
    checks={Level.THEORY: tsi.refute_minima_are_critical, Level.NUMERICS: nsi.refute_minima_are_critical},
    expected=Verdict.REFUTED,
    notes="BN supplies an effective bias beta the bias-free standard neuron lacks: dLhat/dbeta = sum of residuals != 0.",
))

register(Claim(
    id="santurkar.lemma45_rhs_is_distance",
    catalog="C07",
    title="Lemma 4.5: the right-hand side is the squared distance from W0 to span W*",
    statement=("||W0 - W*||^2 - (||W*||^2 - <W*,W0>)^2/||W*||^2 = ||W0||^2 - <W*,W0>^2/||W*||^2 "
               "= dist(W0, span W*)^2 for every W0 and every W* != 0."),
    latex=(r"\|W_0-W^*\|^2-\frac{(\|W^*\|^2-\langle W^*,W_0\rangle)^2}{\|W^*\|^2}"
           r"=\|W_0\|^2-\frac{\langle W^*,W_0\rangle^2}{\|W^*\|^2}=\mathrm{dist}(W_0,\mathrm{span}\,W^*)^2"),
    source=Source("santurkar2018how", "Section 4.2, Lemma 4.5", "right-hand side as one secondary transcription prints it"),
    hypotheses=("W* != 0", "any dimension d"),
    witness=Witness({"W0": ["6", "4"], "W_star": ["17/3", "11/3"]}, _rhs_witness),
    checks={Level.THEORY: tsi.check_rhs_is_distance, Level.NUMERICS: nsi.check_rhs_is_distance},
    expected=Verdict.PROVED,
    proof_sketch="Expand by bilinearity (a - 2b + c) - (c - b)^2/c = a - b^2/c = min_t ||W0 - t W*||^2.",
    twin=Twin(change="the square of (||W*||^2 - <W*,W0>) dropped (as another secondary transcription prints it)",
              statement="||W0 - W*||^2 - (||W*||^2 - <W*,W0>)/||W*||^2 = dist(W0, span W*)^2.",
              latex=r"\|W_0-W^*\|^2-\frac{\|W^*\|^2-\langle W^*,W_0\rangle}{\|W^*\|^2}=\mathrm{dist}(W_0,\mathrm{span}\,W^*)^2",
              checks={Level.THEORY: tsi.check_rhs_is_distance_twin,
                      Level.NUMERICS: nsi.check_rhs_is_distance_twin}),
))

register(Claim(
    id="santurkar.lemma45_initialization",
    catalog="C08",
    title="Lemma 4.5: BN improves initialization (refuted by Junike & Dannemann 2025)",
    statement=("If <W0, W*> > 0 and W*, What* are the closest optima of the standard and the BN network, then "
               "||W0 - What*||^2 <= ||W0 - W*||^2 - (||W*||^2 - <W*,W0>)^2/||W*||^2."),
    latex=(r"\langle W_0,W^*\rangle>0\ \Rightarrow\ \|W_0-\hat W^*\|^2\le\|W_0-W^*\|^2"
           r"-\frac{(\|W^*\|^2-\langle W^*,W_0\rangle)^2}{\|W^*\|^2}"),
    source=Source("santurkar2018how", "Section 4.2, Lemma 4.5",
                  "refuted by junike2025batch (single neuron); the example here is a reconstruction"),
    hypotheses=("single neuron, identity activation, no bias, squared loss", "BN over the whole data set, eps = 0",
                "X and the centered X have full column rank", "<W0, W*> > 0",
                "LHS: squared distance from W0 to the BN optimum set (fixed gamma=1, beta=0: open ray; "
                "trainable gamma, beta: punctured line)"),
    witness=Witness({"X": [["1", "0"], ["0", "1"], ["1", "1"]], "y": ["6", "4", "9"], "W0": "W* = (17/3, 11/3)"},
                    _lemma45_witness),
    checks={Level.THEORY: tj.refute_lemma45_exact, Level.NUMERICS: njs.search_lemma45_violations},
    expected=Verdict.REFUTED,
    notes=("The lemma is equivalent to the hidden premise that the ray {kW*: k > 0} consists of BN optima. "
           "With a bias in the standard neuron W* = u* and the inequality holds (with equality)."),
))
