"""Tests for bnclaims.report.markdown: the Markdown twin of the HTML page."""
import re

from bnclaims.report.markdown import render_markdown
from bnclaims.report.model import build_report


def test_the_markdown_has_the_summary_every_claim_its_mathematics_and_links_to_every_figure(ledger, ledger_path):
    report = build_report(ledger, ledger_path=ledger_path)
    text = render_markdown(report)
    assert "| claim | title | theory | scale | false twin |" in text
    for paper in report.papers:
        assert f"### {paper.ref.short}" in text
        for claim in paper.claims:
            assert f'<a id="{claim.id}"></a>' in text and f"[`{claim.id}`](#{claim.id})" in text
    assert text.count("$$") >= 2 * 2  # the two claims with a statement in LaTeX
    assert sorted(re.findall(r"\]\(figures/([^)]+)\)", text)) == sorted(f.name for f in report.figures)
    assert render_markdown(build_report(ledger, ledger_path=ledger_path)) == text



def test_plain_text_is_escaped_so_that_stars_and_angle_brackets_show_literally(ledger, ledger_path):
    text = render_markdown(build_report(ledger, ledger_path=ledger_path))
    assert "- &lt;W0, W\\*&gt; &gt; 0" in text  # a hypothesis of Lemma 4.5, not an HTML tag or emphasis
