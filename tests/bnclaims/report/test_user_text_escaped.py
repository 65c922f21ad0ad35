"""A user's claim text is shown, never executed: ``bnclaims check --json`` then ``bnclaims report`` on a
claims file whose title, statement, hypotheses, scope and LaTeX carry HTML, Markdown and TeX payloads."""
import json
import re
import textwrap

from bnclaims.cli import main

HOSTILE = textwrap.dedent('''
    from bnclaims import Claim, Level, Outcome, Source, Verdict, register

    def check(ctx):
        return Outcome(Verdict.HOLDS, "<img src=x onerror=alert(2)> scope", {"note": "<script>alert(3)</script>"})

    register(Claim(id="mine.hostile", title="<script>alert(1)</script> title",
                   statement="statement <b>bold</b> [link](javascript:alert(4))",
                   latex=r"\\input{/etc/passwd} x^2", source=Source("mine", "<i>here</i>"),
                   hypotheses=("<iframe src=evil>",), checks={Level.THEORY: check}, expected=None))
''')


def test_html_and_markdown_show_a_users_markup_as_text(tmp_path):
    claims = tmp_path / "claims_hostile.py"
    claims.write_text(HOSTILE)
    ledger = tmp_path / "ledger.json"
    assert main(["check", str(claims), "--no-progress", "--json", str(ledger)]) == 0
    assert json.loads(ledger.read_text())["results"][0]["id"] == "mine.hostile"
    out = tmp_path / "report"
    assert main(["report", "--from", str(ledger), "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    for raw in ("<script>alert", "<img src=x", "<b>bold</b>", "<iframe", "<i>here</i>"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;iframe src=evil&gt;" in page
    assert "\\input" in page  # the TeX is displayed (as MathML or code); no TeX run ever reads it
    md = (out / "report.md").read_text()
    fenced = md.split("```")
    assert any("<script>alert(3)</script>" in block for block in fenced[1::2])  # evidence: inside a code block
    md = "".join(fenced[0::2])  # outside code blocks, nothing may be markup
    for raw in ("<script>", "<img src=x", "<b>bold</b>", "<iframe"):
        assert raw not in md, raw
    assert re.search(r"(?<!\\)\]\(javascript", md) is None and "\\[link\\](javascript" in md
