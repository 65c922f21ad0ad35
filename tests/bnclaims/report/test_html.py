"""Tests for bnclaims.report.html: a self-contained page, checked in headless Chromium with the network off."""
import re
import shutil
import subprocess

import pytest

from bnclaims.report import HTML_NAME
from bnclaims.report.html import render_html, verdict_badge
from bnclaims.report.model import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_page_needs_nothing_from_the_network(report_dir):
    page = (report_dir / HTML_NAME).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    figures = sorted(p.name for p in (report_dir / "figures").iterdir())
    assert figures == ["desmith.residual_variance_linear_growth.png", "santurkar.lemma45_initialization.geometry.png"]
    assert page.count('<img src="data:image/png;base64,') == len(figures)
    assert page.count("<math") > 5


def test_a_verdict_that_is_not_the_expected_one_is_marked_with_the_expected_verdict():
    rec = {"verdict": "refuted", "expected": "proved", "as_expected": False}
    assert 'class="v v-refuted diff"' in verdict_badge(rec) and "(expected proved)" in verdict_badge(rec)
    assert "diff" not in verdict_badge(dict(rec, expected="refuted", as_expected=True))


def test_the_page_is_the_same_string_for_the_same_ledger(ledger, ledger_path):
    assert render_html(build_report(ledger, ledger_path=ledger_path)) == \
        render_html(build_report(ledger, ledger_path=ledger_path))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it from Debian's packages)")
def test_headless_chromium_offline_renders_the_mathematics_and_loads_every_image(report_dir):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",  # no network
           f"--user-data-dir={report_dir.parent / 'chromium-profile'}", "--virtual-time-budget=10000",
           "--dump-dom", (report_dir / HTML_NAME).as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body, dom[:500]
    images = re.search(r'data-images="([^"]*)"', body.group(0))
    math = re.search(r'data-math="(\d+) of (\d+) rendered"', body.group(0))
    assert images and images.group(1) == "all 2 loaded", body.group(0)
    assert math and int(math.group(2)) > 5 and math.group(1) == math.group(2), body.group(0)
