"""Tests for bnclaims.registry: the catalog's ids are all registered, well-formed and non-vacuous."""
import re
from pathlib import Path

import pytest

from bnclaims import Claim, Level, Verdict, all_claims, get_claim
from bnclaims.errors import BadInput
from bnclaims.registry import select

# The first table ("Formula claims") and the conformance table of shared/CLAIMS.md.
FORMULA_IDS = {
    "bn.backprop_ioffe_szegedy": "proved", "bn.dmu_second_term_vanishes": "proved",
    "bn.grad_projection_form": "proved", "bn.jacobian_spectrum": "proved",
    "bn.jacobian_near_identity_seed": "refuted", "bn.unbiased_population_variance": "proved",
    "bn.running_average_conventions": "proved", "bn.inference_affine": "proved",
    "santurkar.thm41_grad_norm": "proved", "santurkar.thm41_sqrt_m": "refuted",
    "santurkar.thm42_hessian_quadratic_form": "proved", "santurkar.obs43_reparametrization": "proved",
    "santurkar.obs43_minima_critical": "refuted", "santurkar.lemma45_rhs_is_distance": "proved",
    "santurkar.lemma45_initialization": "refuted", "scale.invariance": "proved",
    "scale.invariance_with_eps": "proved", "scale.grad_orthogonal": "proved",
    "scale.decoupling_formula_seed": "refuted", "scale.decoupling_formula_exact": "proved",
    "rao.appendix_b_step": "refuted", "rao.regnorm_minimum_at_zero_mean": "proved",
    "rao.appendix_a_variance_regularizer": "refuted", "cai.effective_condition_number": "proved",
    "cai.bngd_converges_any_lr": "holds",
}
CONFORMANCE_IDS = {
    "conformance.torch_batchnorm_forward", "conformance.torch_running_stats",
    "conformance.batch_size_one_rejected", "conformance.gradgradcheck_bn",
    "conformance.torch_func_hessian_bn_train", "conformance.planted_one_pass_variance",
    "conformance.planted_eps_outside_sqrt", "conformance.planted_biased_running_var",
    "conformance.planted_momentum_flipped",
}
# The ten network claims at initialization of the table "Rate and network claims" (expected verdict at the
# scale level; None = empirical, decided by the pre-registered criterion).
NETWORK_INIT_IDS = {
    "yang.linear_explosion_rate": "holds", "yang.relu_explosion_rate_large_batch": "holds",
    "yang.explosion_not_removable_by_activation": "holds", "skip.removes_explosion": "holds",
    "seed001.bn_prevents_gradient_decay": "refuted", "desmith.residual_variance_linear_growth": "holds",
    "rao.prelayernorm_mean_small": "holds", "rao.information_propagation": "holds",
    "meanshift.bn_removes_mean_shift": "holds", "rao.gradient_explosion_ranking": None,
}
# The six training-time network claims of the same table (all empirical: decided by their criteria).
NETWORK_TRAINING_IDS = {
    "rao.hessian_outliers": None, "ghorbani.population_stats_ill_conditioning": None, "santurkar.noisy_bn": None,
    "santurkar.ics_not_reduced": None, "santurkar.beta_smoothness": None, "rao.batch_size_dependence": None,
}
CATALOG = Path(__file__).resolve().parents[3] / "shared" / "CLAIMS.md"
BIB = Path(__file__).resolve().parents[2] / "bnclaims" / "references.bib"


def test_every_formula_claim_of_the_catalog_is_registered_with_its_expected_verdict():
    registered = {c.id: c for c in all_claims()}
    missing = sorted(set(FORMULA_IDS) - set(registered))
    assert not missing, f"not registered: {missing}"
    for cid, expected in FORMULA_IDS.items():
        assert registered[cid].expected.value == expected, cid


def test_every_network_claim_at_initialization_has_a_scale_check_with_its_expected_verdict():
    registered = {c.id: c for c in all_claims()}
    for cid, expected in NETWORK_INIT_IDS.items():
        claim = registered[cid]
        assert Level.SCALE in claim.checks, cid
        got = claim.expected_at(Level.SCALE)
        assert (got.value if got else None) == expected, cid
        if expected in ("holds", None) and claim.twin is not None:
            assert Level.SCALE in claim.twin.checks, f"{cid}: the twin must be refuted by the same experiment"


def test_the_yang_rates_are_proved_at_the_theory_level():
    for cid in ("yang.linear_explosion_rate", "yang.relu_explosion_rate_large_batch",
                "yang.explosion_not_removable_by_activation"):
        assert get_claim(cid).expected_at(Level.THEORY) is Verdict.PROVED, cid


def test_every_conformance_claim_is_registered():
    registered = {c.id for c in all_claims()}
    assert CONFORMANCE_IDS <= registered, sorted(CONFORMANCE_IDS - registered)


@pytest.mark.skipif(not CATALOG.exists(), reason="shared/CLAIMS.md is not beside this checkout")
def test_the_id_list_above_matches_the_catalog_file():
    text = CATALOG.read_text(encoding="utf-8")
    table = text.split("### Formula claims")[1].split("### Rate and network claims")[0]
    ids = dict(re.findall(r"^\| ([a-z0-9]+\.[a-z0-9_]+) \|[^|]*\|[^|]*\| (\w+) \|", table, re.M))
    assert ids == FORMULA_IDS
    rates = text.split("### Rate and network claims")[1].split("### Implementation conformance")[0]
    network = set(re.findall(r"^\| ([a-z0-9]+\.[a-z0-9_]+) \|", rates, re.M))
    assert set(NETWORK_INIT_IDS) <= network


@pytest.mark.parametrize("claim", all_claims(), ids=lambda c: c.id)
def test_claim_is_well_formed(claim):
    assert claim.statement and claim.latex and claim.title
    assert claim.source.bibkey and claim.source.locator
    assert claim.hypotheses, "state the hypotheses (even 'none beyond the definitions')"
    if claim.expected in (Verdict.PROVED, Verdict.HOLDS):
        assert claim.twin is not None and claim.twin.checks
        assert set(claim.twin.checks) <= set(claim.checks), "the twin runs through the claim's levels"
    if claim.expected is Verdict.PROVED:
        assert Level.THEORY in claim.checks, "'proved' needs a symbolic check"
    for fn in list(claim.checks.values()):
        doc = getattr(getattr(fn, "func", fn), "__doc__", None)
        assert doc and doc.strip(), f"{claim.id}: check {fn!r} needs a docstring citing its source"


@pytest.mark.parametrize("claim", [c for c in all_claims() if c.witness is not None], ids=lambda c: c.id)
def test_witness_satisfies_the_hypotheses(claim):
    assert claim.witness.check() is True, claim.witness.data


def test_claims_with_hypotheses_on_data_have_a_witness():
    no_witness = [c.id for c in all_claims() if c.witness is None and c.family != "conformance"]
    assert not no_witness, f"claims without a non-vacuity witness: {no_witness}"


def test_every_bibkey_is_defined_in_references_bib():
    keys = set(re.findall(r"^@\w+\{([^,]+),", BIB.read_text(encoding="utf-8"), re.M))
    used = {c.source.bibkey for c in all_claims()}
    assert used <= keys, sorted(used - keys)


def test_unknown_id_is_bad_input_with_a_suggestion():
    with pytest.raises(BadInput, match="did you mean bn.grad_projection_form"):
        get_claim("bn.grad_projection_frm")


def test_family_selects_all_its_claims():
    catalog = {k for k in {**FORMULA_IDS, **NETWORK_INIT_IDS, **NETWORK_TRAINING_IDS} if k.startswith("rao.")}
    assert {c.id for c in select(["rao"])} == catalog


def test_every_network_claim_of_the_catalog_is_registered_at_the_scale_level_with_its_expected_verdict():
    for cid, expected in {**NETWORK_INIT_IDS, **NETWORK_TRAINING_IDS}.items():
        claim = get_claim(cid)
        assert Level.SCALE in claim.checks, cid
        assert (claim.expected_at(Level.SCALE).value if claim.expected_at(Level.SCALE) else None) == expected, cid


# -- registries of one's own -------------------------------------------------------------------------

def _user_claim(cid="mine.one", **kw):
    from bnclaims import Outcome, Source

    def check(ctx):
        """Nothing checked."""
        return Outcome(Verdict.INCONCLUSIVE, "nothing")
    return Claim(id=cid, statement="s", source=Source("me", "here"), hypotheses=kw.pop("hypotheses", ("none",)),
                 checks=kw.pop("checks", {Level.THEORY: check}), expected=kw.pop("expected", None), **kw)


def test_register_writes_into_the_registry_being_collected_and_never_into_the_ledger():
    from bnclaims.registry import BUILTIN, Registry, collecting, current_registry, register

    mine = Registry("mine")
    with collecting(mine):
        assert current_registry() is mine
        register(_user_claim("bn.grad_projection_form"))
    assert current_registry() is BUILTIN
    assert mine.get_claim("bn.grad_projection_form").statement == "s"
    assert get_claim("bn.grad_projection_form").statement != "s"
    assert mine.families() == ["bn"] and mine.select(["bn"]) == mine.all_claims()
    with pytest.raises(BadInput, match="unknown claim id 'mine.x' in mine"):
        mine.get_claim("mine.x")


def test_a_malformed_claim_is_refused_with_the_reason():
    from bnclaims import Twin
    from bnclaims.registry import MalformedClaim, Registry

    reg = Registry("mine")
    with pytest.raises(MalformedClaim, match="not a bnclaims.Level"):
        reg.register(_user_claim(checks={"theory": lambda ctx: None}))
    with pytest.raises(MalformedClaim, match="is not callable"):
        reg.register(_user_claim(checks={Level.THEORY: "proof"}))
    twin = Twin(change="c", statement="t", checks={Level.NUMERICS: lambda ctx: None})
    with pytest.raises(MalformedClaim, match=r"levels the claim has not: \['numerics'\]"):
        reg.register(_user_claim(twin=twin))
    with pytest.raises(MalformedClaim, match="hypotheses must be a tuple of strings"):
        reg.register(_user_claim(hypotheses="x > 0"))


def test_a_claim_has_hypotheses_unless_they_read_none_or_it_is_about_an_implementation():
    assert _user_claim(hypotheses=("eps >= 0",)).has_hypotheses
    assert not _user_claim(hypotheses=("none",)).has_hypotheses
    assert not _user_claim(hypotheses=("None beyond the definitions",)).has_hypotheses
    assert not _user_claim(hypotheses=()).has_hypotheses
    assert not _user_claim("conformance.mine", hypotheses=("CPU", "float64")).has_hypotheses
    assert not any(c.has_hypotheses for c in all_claims() if c.family == "conformance")


def test_catalog_title_latex_and_witness_are_optional_keywords():
    claim = _user_claim()
    assert (claim.catalog, claim.title, claim.latex, claim.witness) == ("", "", "", None)
    with pytest.raises(TypeError):
        Claim("mine.x", "s")  # keyword arguments only
