"""Tests for gpu_checks.experiments.training: the split, shared initialization, data order, determinism."""
import pytest
import torch

from bnclaims.gpu_checks.experiments import training as T
from bnclaims.gpu_checks.nets.normalizers import KINDS


def test_the_split_is_fixed_disjoint_and_standardized_with_training_statistics():
    s = T.load_split("digits", dtype=torch.float64)
    assert s.x_train.shape == (1437, 64) and s.x_test.shape == (360, 64)
    assert s.x_train.mean(0).abs().max() < 1e-12
    assert set(s.y_train.tolist()) == set(range(10)) == set(s.y_test.tolist())
    again = T.load_split("digits", dtype=torch.float64)
    assert torch.equal(s.x_test, again.x_test)
    rows_train = {tuple(r) for r in s.x_train.tolist()}
    # digits has duplicate images; the split is by index, so at most a handful of test rows repeat
    assert sum(tuple(r) in rows_train for r in s.x_test.tolist()) <= 5


def test_image_shapes_and_the_cifar_shaped_data_come_from_the_same_digits():
    flat = T.load_split("digits")
    img = T.load_split("digits_image")
    cif = T.load_split("cifar_shaped")
    assert img.x_train.shape == (1437, 1, 8, 8) and cif.x_train.shape == (1437, 3, 32, 32)
    assert torch.equal(img.x_train.flatten(1), flat.x_train)
    assert torch.equal(cif.x_train[:, 0], cif.x_train[:, 2]) and torch.equal(cif.y_train, flat.y_train)
    assert "not CIFAR-10" in T.data_description("cifar_shaped")
    with pytest.raises(ValueError, match="data set must be one of"):
        T.load_split("cifar10")


def test_arms_of_one_seed_share_their_weight_matrices_and_seeds_differ():
    def weights(norm: str, seed: int) -> list[torch.Tensor]:
        m = T.make_model(arch="mlp", norm=norm, depth=3, width=16, seed=seed)
        return [p for n, p in m.named_parameters() if n.endswith("linear.weight") or n.startswith("head")]

    ref = weights("batch", 5)
    for kind in KINDS:
        assert all(torch.equal(a, b) for a, b in zip(ref, weights(kind, 5))), kind
    assert not torch.equal(ref[0], weights("batch", 6)[0])


def test_batch_order_covers_each_epoch_once_and_depends_only_on_the_seed():
    order = T.batch_order(10, 3, 7, seed=1)
    assert [len(b) for b in order] == [3] * 7
    epoch = torch.cat(order[:3])
    assert len(set(epoch.tolist())) == 9
    assert all(torch.equal(a, b) for a, b in zip(order, T.batch_order(10, 3, 7, seed=1)))
    with pytest.raises(ValueError, match="batch must be in"):
        T.batch_order(10, 11, 1, seed=1)


def test_training_is_bitwise_reproducible_on_the_cpu_and_reduces_the_loss():
    split = T.load_split("digits")
    logs, states = [], []
    for _ in range(2):
        m = T.make_model(arch="mlp", norm="batch", depth=2, width=16, seed=3)
        logs.append(T.train(m, split, steps=30, lr=0.1, batch=32, seed=3).losses)
        states.append({k: v.clone() for k, v in m.state_dict().items()})
    assert logs[0] == logs[1]
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert sum(logs[0][-5:]) / 5 < 0.7 * logs[0][0]
    assert int(states[0]["blocks.0.norm.num_batches_tracked"]) == 30


def test_hooks_see_the_model_before_the_update_and_the_final_state():
    split = T.load_split("digits")
    m = T.make_model(arch="mlp", norm="layer", depth=1, width=8, seed=0)
    seen = []
    log = T.train(m, split, steps=3, lr=0.1, batch=16, seed=0, hook_steps=(0, 3),
                  on_step=lambda t, model, xb, yb: float(T.loss_of(model, xb, yb).detach()),
                  after_step=lambda t, model: seen.append(t))
    assert seen == [0, 1, 2] and sorted(log.records) == [0, 3]
    assert log.records[0] == pytest.approx(log.losses[0], rel=1e-6)


def test_a_diverging_run_names_its_step_and_bad_arguments_are_refused():
    split = T.load_split("digits")
    m = T.make_model(arch="mlp", norm="none", depth=6, width=64, seed=0)
    with pytest.raises(ValueError, match="not finite at step"):
        T.train(m, split, steps=50, lr=1e6, batch=64, seed=0)
    with pytest.raises(ValueError, match="positive finite"):
        T.train(m, split, steps=1, lr=float("nan"), batch=64, seed=0)
