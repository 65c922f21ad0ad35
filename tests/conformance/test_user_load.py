"""Tests for conformance.user_load (resolving MODULE:ATTR and adapting module classes and functions)."""
import pytest
import torch
import torch.nn.functional as F

from bnclaims.errors import BadInput
from bnclaims.verdicts import Verdict
from bnclaims.conformance.user_bn import conform
from bnclaims.conformance.user_load import ImplementationError, from_object, load_bn

NO_BUFFERS = '''
import torch, torch.nn.functional as F
class NoRunningStats(torch.nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps = eps
    def forward(self, x):
        return F.batch_norm(x, None, None, None, None, True, 0.0, self.eps)
'''


def test_torch_kinds_and_capabilities_are_detected():
    fn, mod = load_bn("torch.nn.functional:batch_norm"), load_bn("torch.nn:BatchNorm1d")
    assert fn.kind == "function" and mod.kind == "module"
    assert mod.affine and mod.running and mod.cumulative
    assert load_bn("torch:nn.functional.batch_norm").obj is F.batch_norm


def test_a_module_class_session_copies_parameters_and_buffers_in_the_dtype():
    sess = load_bn("torch.nn:BatchNorm1d").session(2, torch.float16, momentum=0.5, eps=0.1,
                                                    weight=torch.tensor([2.0, 3.0]),
                                                    running_mean=torch.tensor([1.0, -1.0]))
    assert sess.module.weight.dtype == torch.float16 and sess.weight.tolist() == [2.0, 3.0]
    out = sess(torch.ones(4, 2, dtype=torch.float16), False)
    assert out.dtype == torch.float16 and sess.module.eps == 0.1 and sess.module.momentum == 0.5


def test_a_file_spec_without_running_buffers_skips_the_checks_that_need_them(tmp_path):
    path = tmp_path / "nobuf.py"
    path.write_text(NO_BUFFERS)
    bn = load_bn(f"{path}:NoRunningStats")
    assert bn.kind == "module" and not bn.running and not bn.affine
    report = conform(bn, dtypes=("float64",), preset="quick", checks=("forward_train", "forward_eval",
                                                                        "running_stats"))
    assert report.verdict("forward_train", "float64") is Verdict.HOLDS
    for check in ("forward_eval", "running_stats"):
        res = report.result(check, "float64")
        assert res.verdict is Verdict.INCONCLUSIVE and "no running_mean/running_var" in res.reason


def test_a_file_that_fails_to_import_is_bad_input_with_one_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import torch\nraise RuntimeError('no\\nway')\n")
    with pytest.raises(BadInput, match="importing .* raised RuntimeError: no way"):
        load_bn(f"{path}:bn")


def test_an_instance_is_refused_in_favour_of_its_class():
    with pytest.raises(BadInput, match="pass its class"):
        from_object(torch.nn.BatchNorm1d(3))


def test_a_wrong_output_shape_is_an_implementation_error():
    bn = from_object(lambda x, rm, rv, w=None, b=None, training=False, momentum=0.1, eps=1e-5: x.sum(0))
    with pytest.raises(ImplementationError, match=r"returned shape \(2,\) for input shape \(3, 2\)"):
        bn.session(2, torch.float64)(torch.ones(3, 2, dtype=torch.float64), True)
