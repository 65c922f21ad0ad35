"""Tests for bnclaims.scale.cells: cell keys (canonical, sensitive to every part, the documented hash),
configs and function paths a cell refuses, and run_cell (records through JSON, non-finite numbers and
bad function paths named, one torch thread)."""
import hashlib
import json

import pytest

from bnclaims.scale import demo_cells
from bnclaims.scale.cells import GRID_FORMAT, Cell, run_cell

DEMO = "bnclaims.scale.demo_cells"


# --- keys ----------------------------------------------------------------------------------------

def test_the_key_does_not_depend_on_the_order_of_the_config():
    a = Cell.make("m:f", {"a": 1, "b": [1, 2], "c": "x"}, 3)
    b = Cell.make("m:f", {"c": "x", "b": (1, 2), "a": 1}, 3)
    assert a == b and hash(a) == hash(b) and a.key() == b.key()
    assert a.config_dict == {"a": 1, "b": [1, 2], "c": "x"}


def test_any_change_of_function_value_seed_or_key_changes_the_key():
    variants = [Cell.make("m:f", {"a": 1, "b": [1, 2]}, 3), Cell.make("m:g", {"a": 1, "b": [1, 2]}, 3),
                Cell.make("m2:f", {"a": 1, "b": [1, 2]}, 3), Cell.make("m:f", {"a": 2, "b": [1, 2]}, 3),
                Cell.make("m:f", {"a": 1.0, "b": [1, 2]}, 3), Cell.make("m:f", {"a": 1, "b": [2, 1]}, 3),
                Cell.make("m:f", {"a": 1, "b": [1, 2]}, 4), Cell.make("m:f", {"a": 1, "b": [1, 2], "c": None}, 3),
                Cell.make("m:f", {"a": 1, "b": [[1, 2]]}, 3), Cell.make("m:f", {"A": 1, "b": [1, 2]}, 3)]
    assert len({c.key() for c in variants}) == len(variants)


def test_the_key_is_the_sha256_of_the_canonical_json_of_format_function_config_and_seed():
    text = '{"config":{"a":1,"b":[1,2.5]},"format":%d,"function":"m:f","seed":3}' % GRID_FORMAT
    assert Cell.make("m:f", {"b": [1, 2.5], "a": 1}, 3).key() == hashlib.sha256(text.encode()).hexdigest()


def test_a_cell_refuses_values_json_cannot_hash_and_malformed_function_paths():
    with pytest.raises(TypeError, match="'a'"):
        Cell.make("m:f", {"a": {"nested": 1}}, 0)
    with pytest.raises(ValueError, match="finite"):
        Cell.make("m:f", {"a": [1.0, float("nan")]}, 0)
    with pytest.raises(ValueError, match="package.module:function"):
        Cell.make("m.f", {}, 0)
    with pytest.raises(TypeError, match="seed"):
        Cell.make("m:f", {}, 1.5)


# --- run_cell ------------------------------------------------------------------------------------

def test_run_cell_returns_the_record_through_json():
    record = run_cell(f"{DEMO}:bn_gradient_norm", {"m": 8, "width": 4}, 1)
    assert record == json.loads(json.dumps(record)) and isinstance(record["y_rows"], list)
    assert record == run_cell(f"{DEMO}:bn_gradient_norm", {"m": 8, "width": 4}, 1)


def test_run_cell_names_a_non_finite_number_in_the_record(monkeypatch):
    monkeypatch.setattr(demo_cells, "sleep", lambda config, seed: {"x": {"y": [1.0, float("inf")]}})
    with pytest.raises(ValueError, match=r"record\['x'\]\['y'\]\[1\] is inf"):
        run_cell(f"{DEMO}:sleep", {}, 0)


def test_run_cell_explains_a_bad_function_path():
    with pytest.raises(ImportError, match="cannot import cell function 'no_such_module:f'"):
        run_cell("no_such_module:f", {}, 0)
    with pytest.raises(ImportError, match="has no 'no_such_function'"):
        run_cell(f"{DEMO}:no_such_function", {}, 0)
    with pytest.raises(ValueError, match="import path"):
        run_cell("no colon", {}, 0)


def test_run_cell_uses_one_torch_thread_and_restores_the_previous_count(monkeypatch):
    torch = pytest.importorskip("torch", reason="the thread count is torch's")
    monkeypatch.setattr(demo_cells, "sleep", lambda config, seed: {"threads": torch.get_num_threads()})
    before = torch.get_num_threads()
    assert run_cell(f"{DEMO}:sleep", {}, 0) == {"threads": 1}
    assert torch.get_num_threads() == before
