"""Tests for bnclaims.user_claims: a user's claims file loads into a registry of its own, or fails in one line."""
import sys

import pytest

from bnclaims import BadInput, get_claim
from bnclaims.registry import BUILTIN
from bnclaims.user_claims import load_claims

HEAD = "from bnclaims import Claim, Level, Outcome, Source, Twin, Verdict, Witness, register\n"


def claim_src(cid="mine.one", expected="None", extra=""):
    return (f"register(Claim(id={cid!r}, statement='s', source=Source('me', 'here'), hypotheses=('none',),"
            f" checks={{Level.THEORY: lambda ctx: Outcome(Verdict.INCONCLUSIVE, 'x')}}, expected={expected}{extra}))\n")


@pytest.fixture
def write(tmp_path):
    def make(text, name="claims_user.py"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return make


def test_a_file_loads_into_its_own_registry_and_may_reuse_a_built_in_id(write):
    builtin = get_claim("bn.grad_projection_form")
    reg = load_claims(str(write(HEAD + claim_src("bn.grad_projection_form") + claim_src("mine.two"))))
    assert [c.id for c in reg.all_claims()] == ["bn.grad_projection_form", "mine.two"]
    assert reg.get_claim("bn.grad_projection_form").statement == "s"
    assert get_claim("bn.grad_projection_form") is builtin and "mine.two" not in BUILTIN


def test_loading_twice_gives_two_fresh_registries(write):
    path = write(HEAD + claim_src())
    first, second = load_claims(str(path)), load_claims(str(path))
    assert first is not second and len(first) == len(second) == 1


def test_a_file_may_import_a_module_beside_it(write):
    write("VALUE = 'from the helper'\n", name="helper_mod_for_claims.py")
    path = write(HEAD + "import helper_mod_for_claims\n" + claim_src())
    try:
        assert len(load_claims(str(path))) == 1
    finally:
        sys.modules.pop("helper_mod_for_claims", None)


def test_an_importable_module_name_loads_too(write, monkeypatch):
    path = write(HEAD + claim_src("mine.from_module"), name="my_claims_module_xyz.py")
    monkeypatch.syspath_prepend(str(path.parent))
    try:
        assert [c.id for c in load_claims("my_claims_module_xyz").all_claims()] == ["mine.from_module"]
        assert len(load_claims("my_claims_module_xyz")) == 1  # re-executed, not served from the cache
    finally:
        sys.modules.pop("my_claims_module_xyz", None)


@pytest.mark.parametrize("text,fragment", [
    (HEAD + "1 / 0\n", "import failed: ZeroDivisionError: division by zero"),
    (HEAD + "def broken(:\n", "import failed: SyntaxError: invalid syntax (line 2)"),
    (HEAD + "x = 1\n", "no claims registered"),
    (HEAD + claim_src("NoDot"), "malformed claim: claim id 'NoDot' is not of the form family.name"),
    (HEAD + claim_src() + claim_src(), "malformed claim: claim id 'mine.one' registered twice"),
    (HEAD + claim_src(expected="Verdict.PROVED"), "malformed claim: claim mine.one is expected to be proved but has no false twin"),
    (HEAD + claim_src(expected="'proved'"), "is not a bnclaims.Verdict"),
    (HEAD + "register('mine.one')\n", "register() takes a bnclaims.Claim, got str"),
])
def test_a_bad_file_is_bad_input_in_one_line_naming_the_file(write, text, fragment):
    path = write(text)
    with pytest.raises(BadInput) as info:
        load_claims(str(path))
    message = str(info.value)
    assert fragment in message and str(path) in message and "\n" not in message


def test_a_missing_file_or_module_is_bad_input():
    with pytest.raises(BadInput, match="claims file nowhere/claims_x.py not found"):
        load_claims("nowhere/claims_x.py")
    with pytest.raises(BadInput, match="no claims file or module named 'no_such_module_abc'"):
        load_claims("no_such_module_abc")
