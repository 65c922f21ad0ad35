"""Tests for bnclaims.live and the live output of ``verify``/``check``: lines as records finish, within
100 columns, heartbeat lines off a terminal, and a partial ledger when a run is interrupted."""
import io
import json
import signal
import subprocess
import sys
import textwrap
import time

from bnclaims import all_claims
from bnclaims.live import COLUMNS, Live, result_line
from bnclaims.runner import Record


def _record(rid: str, verdict: str = "holds", expected: str | None = "holds", scope: str = "x" * 400) -> Record:
    return Record(id=rid, level="numerics", verdict=verdict, expected=expected, scope=scope, seconds=12345.678)


def test_every_result_line_fits_in_100_columns_whatever_the_id_and_scope():
    ids = [c.id + suffix for c in all_claims() for suffix in ("", ".twin")] + ["a" * 300]
    width = max(len(i) for i in ids)
    for rid in ids:
        for verdict, expected in (("holds", "holds"), ("inconclusive", "refuted"), ("refuted", None)):
            line = result_line(_record(rid, verdict, expected), width)
            assert len(line) <= COLUMNS, (len(line), line)


def test_a_differing_line_names_the_expected_verdict_and_an_empirical_one_says_so():
    assert result_line(_record("c", "inconclusive", "proved")).startswith("DIFF c ")
    assert "(expected proved)" in result_line(_record("c", "inconclusive", "proved"))
    assert "(empirical)" in result_line(_record("c", "refuted", None))
    assert "(expected" not in result_line(_record("c"))


def test_live_prints_each_line_when_its_record_finishes_and_heartbeats_while_a_check_runs():
    out, err = io.StringIO(), io.StringIO()
    with Live(2, out=out, err=err, heartbeat_s=0.2) as live:
        live.start("slow.claim", "scale")
        time.sleep(1.5)
        live.finished(_record("slow.claim", scope="s"))
        assert out.getvalue().startswith("ok   slow.claim")
    beats = [ln for ln in err.getvalue().splitlines() if ln]
    assert beats and all("0/2 checks done" in ln and "running slow.claim [scale]" in ln for ln in beats)
    assert all(len(ln) <= COLUMNS for ln in beats)


def test_no_heartbeat_when_disabled():
    err = io.StringIO()
    with Live(1, out=io.StringIO(), err=err, heartbeat_s=0) as live:
        live.start("c", "theory")
        time.sleep(0.3)
    assert err.getvalue() == ""


SLOW_CLAIMS = textwrap.dedent('''
    import time
    from bnclaims import Claim, Level, Outcome, Source, Twin, Verdict, register

    def fast(ctx):
        return Outcome(Verdict.PROVED, "at once", {"exact": True})

    def slow(ctx):
        time.sleep(60)
        return Outcome(Verdict.PROVED, "late", {})

    def refute(ctx):
        return Outcome(Verdict.REFUTED, "exact", {"exact": True})

    for name, check in (("a_fast", fast), ("b_slow", slow)):
        register(Claim(id=f"mine.{name}", title=name, statement="s", latex="s",
                       source=Source("mine", "here"), hypotheses=(), checks={Level.THEORY: check},
                       expected=Verdict.PROVED,
                       twin=Twin(change="c", statement="t", latex="t", checks={Level.THEORY: refute})))
''')


def test_ctrl_c_writes_the_finished_records_to_the_json_ledger_and_exits_130(tmp_path):
    claims = tmp_path / "claims_slow.py"
    claims.write_text(SLOW_CLAIMS)
    ledger = tmp_path / "ledger.json"
    proc = subprocess.Popen([sys.executable, "-m", "bnclaims", "check", str(claims), "--json", str(ledger)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = proc.stdout.readline()  # printed as soon as the first record finishes
    assert first.startswith("ok   mine.a_fast"), first
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    doc = json.loads(ledger.read_text())
    assert [r["id"] for r in doc["results"]] == ["mine.a_fast", "mine.a_fast.twin"]
    assert doc["interrupted"].startswith("interrupted (Ctrl-C); 2 of 4 checks finished")
    assert "Traceback" not in err


def test_terminal_escapes_and_newlines_from_a_users_check_are_shown_not_interpreted(tmp_path, capsys):
    from bnclaims.cli import main
    claims = tmp_path / "claims_escapes.py"
    claims.write_text(textwrap.dedent('''
        from bnclaims import Claim, Level, Outcome, Source, Verdict, register

        def check(ctx):
            raise RuntimeError("boom\\x1b[2J\\nsecond line")

        register(Claim(id="mine.escapes", title="t", statement="s", latex="s", source=Source("mine", "here"),
                       hypotheses=(), checks={Level.THEORY: lambda ctx: Outcome(Verdict.HOLDS, "\\x1b[31mred\\x07", {})},
                       expected=None))
        register(Claim(id="mine.raises", title="t", statement="s", latex="s", source=Source("mine", "here"),
                       hypotheses=(), checks={Level.THEORY: check}, expected=None))
    '''))
    assert main(["check", str(claims), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mred\\x07" in out and "boom\\x1b[2J\\nsecond line" in out
