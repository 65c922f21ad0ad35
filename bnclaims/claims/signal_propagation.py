"""Signal propagation at initialization by normalizer (De & Smith 2020; Rao & Sohl-Dickstein; blog 002).

Catalog C23, C30-C34. The measurements live in
:mod:`bnclaims.gpu_checks.experiments.desmith2020`, :mod:`bnclaims.gpu_checks.experiments.rao2020` and
:mod:`bnclaims.gpu_checks.experiments.meanshift`; each claim's criterion is written here, before any run.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from bnclaims.registry import Claim, Source, Twin, Witness, register
from bnclaims.scale import plots
from bnclaims.scale.criteria import Band, Criterion, Measure, record_value
from bnclaims.scale.experiment import ScaleExperiment, by_preset, scale_check
from bnclaims.verdicts import Level, Verdict

Records = Mapping[str, Mapping[str, Any]]


_field = record_value  # the per-seed number records[arm][key] (bnclaims.scale.criteria)


def _witness(experiment: ScaleExperiment, conditions=()) -> Witness:
    design = experiment.design("default")
    first = next(iter(design.arms.values()))

    def check() -> bool:
        return all(c.check(cfg) for c in conditions for cfg in design.arms.values()) and design.seeds >= 2

    return Witness(data={k: v for k, v in first.items() if not isinstance(v, list)}, check=check)


# -- De & Smith: residual variance ---------------------------------------------------------------------

def _desmith_designs() -> dict:
    def arms(width: int, batch: int, blocks: int) -> dict:
        return {n: {"norm": n, "width": width, "batch": batch, "blocks": blocks} for n in ("batch", "none")}
    return by_preset(arms, quick=((512, 128, 12), 4, 60), default=((1024, 256, 12), 6, 90),
                     gpu=((4096, 1024, 16), 8, 90))


def _desmith_plot(data: dict, path) -> None:
    rec = data["per_seed"][0]["batch"]
    blocks = len(rec["second_moment"])
    x0 = sum(r["batch"]["second_moment"][0] for r in data["per_seed"]) / len(data["per_seed"])
    plots.profile_plot(data, path, key="second_moment", xs=lambda r: range(len(r["second_moment"])), log=True,
                       ylabel="mean second moment of x_l", xlabel="block l",
                       title="De & Smith: residual second moment, BN on the branch vs none",
                       references=[("Var(x_0) + l", list(range(blocks)), [x0 + i for i in range(blocks)]),
                                   ("Var(x_0) 2^l", list(range(blocks)), [x0 * 2 ** i for i in range(blocks)])])


DESMITH = ScaleExperiment(
    name="identity-skip pre-activation blocks x + W relu(norm(x))",
    function="bnclaims.gpu_checks.experiments.desmith2020:residual_second_moment", designs=_desmith_designs(),
    description="He-initialized branch weight; BN in train mode; x_0 ~ N(0, I)", plot=_desmith_plot)


def _desmith_criterion(bn_slope: float, reading: str) -> Criterion:
    return Criterion(
        quantity="growth of the mean second moment of x_l over residual blocks",
        reading=reading,
        tests=(Measure("slope(BN)", "least-squares slope of E[x_l^2] against l, BN on the branch",
                    Band.around(bn_slope, 0.1), _field("batch", "slope")),
               Measure("log2 growth(none)", "least-squares slope of log2 E[x_l^2] against l, no normalization",
                    Band(0.9, 1.1), _field("none", "log2_growth"))),
        reported=(Measure("batch-variance slope(BN)", "slope of the mean per-unit batch variance, BN",
                       Band(0.0), _field("batch", "batch_variance_slope")),))


register(Claim(
    id="desmith.residual_variance_linear_growth", catalog="C23",
    title="BN on the residual branch: Var(x_l) ~ Var(x_0) + l; without normalization ~ 2^l",
    statement=("In identity-skip pre-activation blocks x_{l+1} = x_l + W_l relu(BN(x_l)) at initialization the "
               "mean second moment grows linearly, slope 1 per block (within 10 %), so the branch is downscaled "
               "by about 1/sqrt(l+1); without normalization it doubles per block (log2 slope in [0.9, 1.1])."),
    latex=r"\mathbb E[x_{l}^2]\approx\mathbb E[x_0^2]+l\ \ (\mathrm{BN}),\qquad \mathbb E[x_l^2]\approx 2^l\,\mathbb E[x_0^2]\ \ (\text{none})",
    source=Source("de2020batch", "Sec. 2 (variance recursion)", "also blog 002, advantage (1)"),
    hypotheses=("identity skip, pre-activation block x + W relu(BN x)", "He-initialized branch (sigma_w^2 = 2)",
                "BN in train mode, batch statistics"),
    witness=_witness(DESMITH),
    checks={Level.SCALE: scale_check(DESMITH, _desmith_criterion(1.0, "BN slope 1 within 10 %, none doubles"),
                                     claim_id="desmith.residual_variance_linear_growth")},
    expected=Verdict.HOLDS,
    proof_sketch=("Var(x_{l+1}) = Var(x_l) + Var(W relu(BN x_l)) and E (W relu(n))^2 = sigma_w^2 E relu(n)^2 = 2 * 1/2 "
                  "= 1 for n ~ N(0,1); without BN, E relu(x)^2 = Var(x)/2 doubles it."),
    notes="The per-unit batch variance grows with a smaller slope than the second moment; it is reported beside.",
    twin=Twin(change="slope 2 per block with BN",
              statement="with BN the mean second moment grows by 2 per block",
              latex=r"\mathbb E[x_l^2]\approx\mathbb E[x_0^2]+2l",
              checks={Level.SCALE: scale_check(DESMITH, _desmith_criterion(2.0, "BN slope 2 within 10 %"),
                                               claim_id="desmith.residual_variance_linear_growth.twin")}),
))


# -- Rao: PreLayerNorm motivation ----------------------------------------------------------------------

def _relmean_designs() -> dict:
    # Each seed averages over many draws of W: for one W the relative mean is |Z| sqrt(2/(pi N)) with a
    # single Z ~ N(0, 1) per width (pilot: one W per width left the slope straddling at 4 seeds).
    def arm(widths: list[int], batch: int, draws: int) -> dict:
        return {"relu features": {"widths": widths, "batch": batch, "draws": draws}}
    return by_preset(arm, quick=(([64, 256, 1024], 64, 32), 6, 30), default=(([64, 256, 1024, 2048], 64, 32), 8, 60),
                     gpu=(([256, 1024, 4096, 8192], 128, 8), 8, 60))


def _relmean_plot(data: dict, path) -> None:
    widths = data["per_seed"][0]["relu features"]["widths"]
    plots.profile_plot(data, path, key="relmean_wx", xs=lambda r: r["widths"], log=True, xlog=True,
                       also=[("relmean_x", "x before W")], ylabel="|mean| / rms over units: Wx (solid), x (dotted)",
                       xlabel="width N", title="Rao & Sohl-Dickstein 3.1: relative mean of Wx (and of x) against width",
                       references=[("sqrt(2/pi)/sqrt(N)", widths, [math.sqrt(2 / math.pi / n) for n in widths]),
                                   ("1/sqrt(pi)", widths, [1 / math.sqrt(math.pi)] * len(widths))])


RELMEAN = ScaleExperiment(
    name="relative mean component of Wx for ReLU features x",
    function="bnclaims.gpu_checks.experiments.rao2020:relative_mean", designs=_relmean_designs(),
    description=("x = relu(g), g ~ N(0, I_N); W_ij ~ N(0, 1/N); |mean_i| / rms_i averaged over the batch and "
                 "over independent draws of W"),
    plot=_relmean_plot)


def _relmean_criterion(lo: float, hi: float, reading: str) -> Criterion:
    return Criterion(
        quantity="log-log slope of the relative mean component of Wx against the width N",
        reading=reading,
        tests=(Measure("loglog slope(Wx)", "least-squares slope of log relmean(Wx) against log N", Band(lo, hi),
                    _field("relu features", "loglog_slope_wx")),),
        data_preconditions=(Measure("relmean(x) at the largest N", "the features themselves are not centred "
                                 "(1/sqrt(pi) = 0.564 for ReLU)", Band(0.5, 0.63),
                                 _field("relu features", "relmean_x", -1)),))


register(Claim(
    id="rao.prelayernorm_mean_small", catalog="C33",
    title="After a random linear map the mean across units is O(1/sqrt N) relative",
    statement=("For z = Wx with isotropic Gaussian W, the mean of z across units is small relative to its "
               "spread even when x (ReLU features) is not centred: the relative mean component decays like "
               "N^{-1/2} (log-log slope in [-0.6, -0.4]), so subtracting the unit-mean after W does little."),
    latex=r"\frac{|\tfrac1N\sum_i (Wx)_i|}{\sqrt{\tfrac1N\sum_i (Wx)_i^2}}=O(N^{-1/2})",
    source=Source("rao2020batchnorm", "Sec. 3.1 (PreLayerNorm motivation)"),
    hypotheses=("W_ij i.i.d. N(0, 1/N)", "x = relu(g), g ~ N(0, I_N), independent of W"),
    witness=_witness(RELMEAN),
    checks={Level.SCALE: scale_check(RELMEAN, _relmean_criterion(-0.6, -0.4, "slope -1/2 within 0.1"),
                                     claim_id="rao.prelayernorm_mean_small")},
    expected=Verdict.HOLDS,
    proof_sketch=("Given x, the (Wx)_i are i.i.d. N(0, ||x||^2/N): their mean is N(0, ||x||^2/N^2) and their rms "
                  "about ||x||/sqrt(N), a ratio of sqrt(2/pi)/sqrt(N) in expectation."),
    twin=Twin(change="O(1/N) instead of O(1/sqrt N)",
              statement="the relative mean component of Wx decays like 1/N",
              latex=r"O(N^{-1})",
              checks={Level.SCALE: scale_check(RELMEAN, _relmean_criterion(-1.1, -0.9, "slope -1 within 0.1"),
                                               claim_id="rao.prelayernorm_mean_small.twin")}),
))


# -- Rao: information propagation ----------------------------------------------------------------------

PROP_NORMS = ("batch", "bmlv", "lmbv", "layer", "prelayer", "none")
NORM_LABEL = {"batch": "BN", "bmlv": "BMLV", "lmbv": "LMBV", "layer": "LN", "prelayer": "PreLN",
              "regnorm": "RegNorm", "none": "none"}


def _prop_designs(norms) -> dict:
    def arms(width: int, batch: int, depth: int) -> dict:
        return {NORM_LABEL[n]: {"norm": n, "width": width, "batch": batch, "depth": depth} for n in norms}
    return by_preset(arms, quick=((512, 64, 30), 4, 60), default=((512, 64, 30), 6, 90), gpu=((2048, 128, 50), 8, 90))


def _depth_plot(key: str, ylabel: str, title: str):
    def plot(data: dict, path) -> None:
        plots.profile_plot(data, path, key=key, xs=lambda r: r["depths"], ylabel=ylabel, xlabel="depth l",
                           title=title)
    return plot


PROPAGATION = ScaleExperiment(
    name="two noisy copies of a batch through ReLU MLPs, by normalizer",
    function="bnclaims.gpu_checks.experiments.rao2020:noisy_copy_correlation", designs=_prop_designs(PROP_NORMS),
    description=("x ~ N(0, I); copies x + 0.1 eps_1 and x + 0.1 eps_2, each normalized as its own batch; Pearson "
                 "correlation of the flattened post-activation h_l of the two copies; He init"),
    plot=_depth_plot("correlation", "Pearson correlation of the two copies",
                     "Rao & Sohl-Dickstein 4.1: correlation of two noisy copies against depth"))

DECAY, KEEP = ("BN", "BMLV"), ("LN", "none", "LMBV")


def _propagation_criterion(decays, stays, reading: str) -> Criterion:
    last = -1
    return Criterion(
        quantity="Pearson correlation of two noisy copies at the deepest layer",
        reading=reading,
        tests=tuple(Measure(f"corr({a})", f"correlation at the last layer, {a}", Band(hi=0.5),
                         _field(a, "correlation", last)) for a in decays)
        + tuple(Measure(f"corr({a})", f"correlation at the last layer, {a}", Band(0.8), _field(a, "correlation", last))
                for a in stays),
        data_preconditions=(Measure("corr(BN) at depth 1", "the noise is small: the copies start correlated",
                                 Band(0.95), _field("BN", "correlation", 0)),),
        reported=(Measure("corr(PreLN)", "correlation at the last layer, PreLayerNorm", Band(-1.0, 1.0),
                       _field("PreLN", "correlation", last)),))


register(Claim(
    id="rao.information_propagation", catalog="C31",
    title="Batch-mean subtraction decorrelates noisy copies with depth; LN, none and LMBV keep them correlated",
    statement=("Two noisy copies of a batch (noise 0.1), each normalized as its own batch, stay correlated through "
               "a deep ReLU MLP under LayerNorm, no normalization and LMBV (Pearson correlation >= 0.8 at the last "
               "layer) but decorrelate under BN and BMLV (<= 0.5): batch-mean subtraction drives the decay."),
    latex=r"\operatorname{corr}\big(f_L(x+\epsilon_1),f_L(x+\epsilon_2)\big):\ \mathrm{BN},\mathrm{BMLV}\to\text{low};\ \mathrm{LN},\text{none},\mathrm{LMBV}\ \text{high}",
    source=Source("rao2020batchnorm", "Sec. 4.1, Fig. 1a, Sec. 8"),
    hypotheses=("ReLU MLP, He init, no skips", "noise sigma = 0.1; copies normalized as separate batches",
                "normalizers in train mode"),
    witness=_witness(PROPAGATION),
    checks={Level.SCALE: scale_check(PROPAGATION, _propagation_criterion(DECAY, KEEP, "BN, BMLV <= 0.5; LN, none, "
                                                                        "LMBV >= 0.8 at the last layer"),
                                     claim_id="rao.information_propagation")},
    expected=Verdict.HOLDS,
    twin=Twin(change="LN decorrelates like BN",
              statement="under LayerNorm the correlation of the two copies decays to <= 0.5 too",
              latex=r"\operatorname{corr}_{\mathrm{LN}}\le 0.5",
              checks={Level.SCALE: scale_check(PROPAGATION, _propagation_criterion(("LN",), (), "LN <= 0.5"),
                                               claim_id="rao.information_propagation.twin")}),
))


# -- mean shift ----------------------------------------------------------------------------------------

MEANSHIFT = ScaleExperiment(
    name="independent inputs through ReLU MLPs, by normalizer",
    function="bnclaims.gpu_checks.experiments.meanshift:pairwise_cosine", designs=_prop_designs(("batch", "layer", "none")),
    description="x ~ N(0, I) independent examples; mean pairwise cosine of post-activation h_l; He init",
    plot=_depth_plot("cosine", "mean pairwise cosine similarity",
                     "Mean shift: cosine similarity of independent examples against depth"))


def _meanshift_criterion(aligned, centred, reading: str) -> Criterion:
    return Criterion(
        quantity="mean pairwise cosine similarity of independent examples at the deepest layer",
        reading=reading,
        tests=tuple(Measure(f"cos({a})", f"cosine at the last layer, {a}", Band(0.9), _field(a, "cosine", -1))
                    for a in aligned)
        + tuple(Measure(f"cos({a})", f"cosine at the last layer, {a}", Band(hi=0.5), _field(a, "cosine", -1))
                for a in centred))


register(Claim(
    id="meanshift.bn_removes_mean_shift", catalog="C30",
    title="Without BN, ReLU nets align independent inputs with depth; BN keeps them apart",
    statement=("Without normalization a deep ReLU MLP maps independent inputs to increasingly aligned "
               "representations (mean pairwise cosine >= 0.9 at the last layer); with BN, which centres every "
               "channel over the batch, the cosine stays low (<= 0.5)."),
    latex=r"\cos(h_L^a,h_L^b)\to1\ \text{(none)},\qquad \cos(h_L^a,h_L^b)\ \text{low (BN)}",
    source=Source("blog002bnornot", "advantage (2)", "also De & Smith 2020"),
    hypotheses=("ReLU MLP, He init, no skips", "independent Gaussian inputs", "BN in train mode"),
    witness=_witness(MEANSHIFT),
    checks={Level.SCALE: scale_check(MEANSHIFT, _meanshift_criterion(("none",), ("BN",), "none >= 0.9, BN <= 0.5"),
                                     claim_id="meanshift.bn_removes_mean_shift")},
    expected=Verdict.HOLDS,
    twin=Twin(change="LayerNorm removes the mean shift too",
              statement="under LayerNorm the cosine of independent examples stays <= 0.5",
              latex=r"\cos_{\mathrm{LN}}\le0.5",
              checks={Level.SCALE: scale_check(MEANSHIFT, _meanshift_criterion((), ("LN",), "LN <= 0.5"),
                                               claim_id="meanshift.bn_removes_mean_shift.twin")}),
))


# -- Rao: gradient explosion ranking (convolutional proxy) ----------------------------------------------

RANK_NORMS = ("batch", "bmlv", "lmbv", "layer", "prelayer", "regnorm", "none")


def _rank_designs() -> dict:
    def arms(channels: int, depth: int, batch: int) -> dict:
        return {NORM_LABEL[n]: {"norm": n, "channels": channels, "depth": depth, "batch": batch} for n in RANK_NORMS}
    return by_preset(arms, quick=((16, 14, 32), 4, 60), default=((32, 20, 64), 6, 120), gpu=((64, 26, 128), 8, 120))


def _ranking_plot(data: dict, path) -> None:
    plots.interval_plot(data, path, title="Rao & Sohl-Dickstein 4.3: gradient growth per conv layer by normalizer",
                        ylabel="per-layer log-growth of ||dL/dW_l|| ||W_l||")


RANKING = ScaleExperiment(
    name="plain conv nets on digits, by normalizer",
    function="bnclaims.gpu_checks.experiments.rao2020:conv_gradient_ranking", designs=_rank_designs(),
    description=("3x3 convs without skips, He init, scikit-learn digits with their labels, cross-entropy; "
                 "||dL/dW_l|| ||W_l|| per layer, slope of its log over layers 2..L (first layer excluded)"),
    plot=_ranking_plot)


def _rate(arm: str):
    return _field(arm, "log_rate")


def _margin(high, low):
    def value(records: Records) -> float:
        return min(float(records[a]["log_rate"]) for a in high) - max(float(records[b]["log_rate"]) for b in low)
    value.__name__ = "margin"
    return value


def _ranking_criterion(twin: bool) -> Criterion:
    if twin:
        tests = (Measure("LN - max(BN, BMLV)", "LN explodes most", Band(0.0), _margin(("LN",), ("BN", "BMLV"))),)
        reading = "LN explodes most"
    else:
        tests = (Measure("min(BN, BMLV) - max(LN, PreLN, none)", "BN and BMLV explode more than LN, PreLN and none",
                      Band(0.0), _margin(("BN", "BMLV"), ("LN", "PreLN", "none"))),
                 Measure("PreLN - LN", "PreLayerNorm more than LN", Band(0.0), _margin(("PreLN",), ("LN",))),
                 Measure("min(normalized) - none", "no normalization explodes least", Band(0.0),
                      _margin(("BN", "BMLV", "LMBV", "LN", "PreLN", "RegNorm"), ("none",))))
        reading = "BN and BMLV explode most, PreLayerNorm more than LN, no normalization least (Rao Table 2)"
    return Criterion(
        quantity="per-layer log-growth of ||dL/dW_l|| ||W_l|| towards the input (layers 2..L), paired within a seed",
        reading=reading, tests=tests,
        reported=tuple(Measure(f"log-rate({a})", f"per-layer log-growth, {a}", Band(), _rate(a))
                       for a in (NORM_LABEL[n] for n in RANK_NORMS)))


register(Claim(
    id="rao.gradient_explosion_ranking", catalog="C34",
    title="Gradient explosion at initialization by normalizer: BN and BMLV most, none least",
    statement=("Without skip connections, BN and BMLV make gradients grow with depth the most, PreLayerNorm more "
               "than LayerNorm, and no normalization the least (Rao & Sohl-Dickstein, Table 2, Fig. 2b); tested on "
               "a plain convolutional net (conv BN averages over N H W) with the scale-free ||dL/dW_l|| ||W_l||."),
    latex=r"\rho_{\mathrm{BN}},\rho_{\mathrm{BMLV}}>\rho_{\mathrm{PreLN}}>\rho_{\mathrm{LN}}>\rho_{\mathrm{none}}",
    source=Source("rao2020batchnorm", "Sec. 4.3, Fig. 2b, Table 2"),
    hypotheses=("plain conv net (no skips), He init, normalizers in train mode",
                "first layer excluded (different fan-in)", "digits data shipped with scikit-learn"),
    witness=_witness(RANKING),
    checks={Level.SCALE: scale_check(RANKING, _ranking_criterion(False), claim_id="rao.gradient_explosion_ranking")},
    expected=None,
    notes="Empirical: the verdict comes from the pre-registered criterion, with no expected verdict written in advance.",
    twin=Twin(change="LN explodes most", statement="LayerNorm makes gradients grow the most",
              latex=r"\rho_{\mathrm{LN}}>\rho_{\mathrm{BN}},\rho_{\mathrm{BMLV}}",
              checks={Level.SCALE: scale_check(RANKING, _ranking_criterion(True),
                                               claim_id="rao.gradient_explosion_ranking.twin")}),
))
