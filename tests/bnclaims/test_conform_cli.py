"""Tests for bnclaims.conform_cli (the ``bnclaims conform`` subcommand, before the lead wires it)."""
import argparse
import subprocess
import sys

from bnclaims.conform_cli import add_parser, main


def test_the_options_parse_with_repeatable_dtypes_and_a_default_preset():
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["conform", "torch.nn:BatchNorm1d", "--dtype", "float32", "--dtype", "bfloat16",
                              "--seed", "3", "--json", "out.json"])
    assert (args.spec, args.dtype, args.seed, args.preset, args.json) == (
        "torch.nn:BatchNorm1d", ["float32", "bfloat16"], 3, "default", "out.json")
    assert args.func.__name__ == "cmd_conform"


def test_bad_input_exits_two_with_one_line(capsys, tmp_path):
    assert main(["torch.nn.functional"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["torch.nn.functional:batch_norm", "--json", str(tmp_path / "no" / "r.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_building_the_parser_does_not_import_torch():
    code = ("import sys, argparse; from bnclaims.conform_cli import add_parser; "
            "add_parser(argparse.ArgumentParser().add_subparsers()); "
            "sys.exit(any(m == 'torch' or m.startswith('torch.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
