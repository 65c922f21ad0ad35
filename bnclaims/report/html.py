"""The report as one self-contained HTML page: inline CSS, MathML, images as data URIs; opens offline.

A small inline script marks ``<body>`` once the page has loaded: ``data-images`` is ``"all N loaded"``
when every image decoded (else ``"k of N loaded"``), ``data-math`` counts the formulas the browser laid
out as MathML (``"N of M rendered"``); a headless browser reads both back from the DOM.
"""
from __future__ import annotations

import base64
import html
import json
from typing import Any

from bnclaims.report.bibtex import cite_short
from bnclaims.report.mathml import latex_to_mathml, name_latex, value_latex
from bnclaims.report.model import ClaimView, Report, as_expected
from bnclaims.schema.evidence_keys import RETIRED

__all__ = ["render_html", "COUNTEREXAMPLE_KEYS"]

#: Evidence keys whose value is a counterexample, typeset in the report: the canonical name, then the
#: names a counterexample had in ledgers written before the evidence vocabulary.
COUNTEREXAMPLE_KEYS = ("counterexample", *(k for k, v in RETIRED.items() if v == "counterexample"))

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1f2328;line-height:1.45}
h1{font-size:1.7rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-top:2rem}h4{margin:0 0 .4rem 0;font-size:1.1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;
vertical-align:top}
th{background:#f6f8fa}tr.paper th{background:#eaeef2;font-size:1.02rem}
.v{font-weight:600;border-radius:.3rem;padding:.05rem .4rem;white-space:nowrap;display:inline-block}
.v-proved{background:#1a7f37;color:#fff}.v-holds{background:#8ddb8c;color:#0b3d17}
.v-refuted{background:#cf222e;color:#fff}.v-inconclusive{background:#d4a72c;color:#3b2300}
.diff{outline:3px solid #8250df;outline-offset:1px}.na{color:#8c959f}
.meta{color:#57606a}.ok{color:#1a7f37;font-weight:600}.bad{color:#8250df;font-weight:600}
article{border:1px solid #d0d7de;border-radius:.5rem;padding:1rem 1.2rem;margin:1.2rem 0}
article.differs{border:2px solid #8250df}
.statement{overflow-x:auto;margin:.6rem 0;font-size:1.1rem}
.label{font-weight:600;margin:.8rem 0 .2rem 0}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #d0d7de}figcaption{color:#57606a;font-size:.9rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.8rem;max-height:30rem}
details{margin:.4rem 0}summary{cursor:pointer;color:#0969da}
.scope{font-size:.88rem}.ref{color:#57606a}code.tex{color:#8250df}
math[display=block]{margin:.3rem 0}
"""

_SCRIPT = """
(function(){var imgs=Array.prototype.slice.call(document.images);
function mark(){var ok=imgs.filter(function(i){return i.complete&&i.naturalWidth>0}).length;
document.body.setAttribute('data-images',ok===imgs.length?'all '+ok+' loaded':ok+' of '+imgs.length+' loaded');
var ms=Array.prototype.slice.call(document.getElementsByTagName('math'));
var laid=ms.filter(function(m){return typeof MathMLElement!=='undefined'&&m instanceof MathMLElement&&
m.getBoundingClientRect().width>0;}).length;document.body.setAttribute('data-math',laid+' of '+ms.length+' rendered');}
Promise.all(imgs.map(function(i){return i.decode?i.decode().catch(function(){}):Promise.resolve();})).then(mark);
window.addEventListener('load',mark);})();
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def verdict_badge(rec: dict[str, Any] | None) -> str:
    """A coloured verdict; outlined, with the expected verdict, when it is not the expected one."""
    if rec is None:
        return '<span class="na">–</span>'
    v = rec["verdict"]
    expected = rec.get("expected")
    differs = not as_expected(rec)
    title = f"expected {expected or 'empirical'}"
    badge = f'<span class="v v-{_e(v)}{" diff" if differs else ""}" title="{_e(title)}">{_e(v)}</span>'
    return badge + (f' <span class="bad">(expected {_e(expected or "empirical")})</span>' if differs else "")


def _value_html(value: Any, depth: int = 0) -> str:
    tex = value_latex(value)
    if tex is not None:
        return latex_to_mathml(tex, display=False)
    if isinstance(value, dict) and depth < 2 and value:
        return _table(value, depth + 1)
    text = value if isinstance(value, str) else json.dumps(value)
    return f"<code>{_e(text if len(text) <= 300 else text[:300] + ' …')}</code>"


def _table(data: dict[str, Any], depth: int = 0) -> str:
    rows = "".join(f"<tr><th>{latex_to_mathml(name_latex(str(k)), display=False)}</th>"
                   f"<td>{_value_html(v, depth)}</td></tr>" for k, v in data.items())
    return f'<table class="cx">{rows}</table>'


def counterexamples(view: ClaimView) -> list[tuple[str, str, Any]]:
    """(whose, level, value) of every counterexample recorded for the claim or its twin."""
    out = []
    for whose, recs in (("claim", view.records), ("false twin", view.twin_records)):
        for level, rec in recs.items():
            for key in COUNTEREXAMPLE_KEYS:
                if rec.get("evidence", {}).get(key) not in (None, {}, []):
                    out.append((whose, level, rec["evidence"][key]))
    return out


def _levels_table(recs: dict[str, dict[str, Any]], levels: list[str]) -> str:
    rows = "".join(f"<tr><th>{_e(lv)}</th><td>{verdict_badge(recs[lv])}</td>"
                   f"<td>{_e(recs[lv].get('expected') or 'empirical')}</td>"
                   f'<td class="scope">{_e(recs[lv].get("scope", ""))}</td>'
                   f"<td>{recs[lv].get('seconds', 0):.2f}</td></tr>" for lv in levels if lv in recs)
    return ("<table><thead><tr><th>level</th><th>verdict</th><th>expected</th><th>scope</th><th>seconds</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _figure(fig) -> str:
    data = base64.b64encode(fig.png).decode("ascii")
    caption = f"<figcaption><b>{_e(fig.title)}</b>{(' ' + _e(fig.caption)) if fig.caption else ''}</figcaption>"
    return f'<figure><img src="data:image/png;base64,{data}" alt="{_e(fig.title)}">{caption}</figure>'


def _claim(view: ClaimView, ref, levels: list[str]) -> str:
    info = view.info
    src = info.get("source", {})
    parts = [f'<article id="{_e(view.id)}" class="{"" if view.as_expected else "differs"}">',
             f"<h4><code>{_e(view.id)}</code> {_e(info.get('title', ''))}</h4>"]
    if info.get("latex"):
        parts.append(f'<div class="statement">{latex_to_mathml(info["latex"])}</div>')
    if info.get("statement"):
        parts.append(f"<details><summary>Statement in words</summary><p>{_e(info['statement'])}</p></details>")
    where = cite_short(", ".join(x for x in (src.get("locator"), src.get("note")) if x))
    parts.append(f'<p><b>Source:</b> {_e(ref.short)}{", " + _e(where) if where else ""}. '
                 f'<span class="ref">{_e(ref.full)}</span></p>')
    if info.get("hypotheses"):
        parts.append('<div class="label">Hypotheses</div><ul>' +
                     "".join(f"<li>{_e(h)}</li>" for h in info["hypotheses"]) + "</ul>")
    parts.append('<div class="label">Verdicts</div>' + _levels_table(view.records, levels))
    twin = info.get("twin")
    if twin or view.twin_records:
        parts.append(f'<div class="label">False twin (must be refuted): {_e((twin or {}).get("change", ""))}</div>')
        if twin and twin.get("latex"):
            parts.append(f'<div class="statement">{latex_to_mathml(twin["latex"])}</div>')
        elif twin and twin.get("statement"):
            parts.append(f"<p>{_e(twin['statement'])}</p>")
        parts.append(_levels_table(view.twin_records, levels))
    for whose, level, value in counterexamples(view):
        body = _table(value) if isinstance(value, dict) else _value_html(value)
        parts.append(f'<div class="label">Counterexample ({_e(whose)}, {_e(level)} level)</div>{body}')
    parts += [_figure(f) for f in view.figures]
    parts += [f'<p class="meta">Not drawn: {_e(n)}.</p>' for n in view.notes]
    for whose, recs in (("claim", view.records), ("false twin", view.twin_records)):
        for lv in levels:
            if lv in recs:
                ev = json.dumps(recs[lv].get("evidence", {}), indent=1, ensure_ascii=False)
                parts.append(f"<details><summary>Evidence: {_e(whose)}, {_e(lv)} level</summary>"
                             f"<pre>{_e(ev)}</pre></details>")
    if info.get("notes"):
        parts.append(f'<p class="meta">{_e(info["notes"])}</p>')
    return "\n".join(parts) + "\n</article>"


def _summary(report: Report) -> str:
    head = "".join(f"<th>{_e(lv)}</th>" for lv in report.levels)
    rows = []
    for paper in report.papers:
        rows.append(f'<tr class="paper"><th colspan="{len(report.levels) + 3}">{_e(paper.ref.short)}</th></tr>')
        for v in paper.claims:
            cells = "".join(f"<td>{verdict_badge(v.records.get(lv))}</td>" for lv in report.levels)
            twins = list(v.twin_records.values())
            twin = ('<span class="na">none</span>' if not twins else
                    '<span class="ok">refuted</span>' if all(r["verdict"] == "refuted" for r in twins) else
                    " ".join(verdict_badge(r) for r in twins))
            rows.append(f'<tr><td><a href="#{_e(v.id)}"><code>{_e(v.id)}</code></a></td>'
                        f"<td>{_e(v.info.get('title', ''))}</td>{cells}<td>{twin}</td></tr>")
    return (f"<table class=\"summary\"><thead><tr><th>claim</th><th>title</th>{head}<th>false twin</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _header(report: Report) -> str:
    doc, s = report.doc, report.doc.get("summary") or {}
    env = doc.get("environment", {})
    n = s.get("records", len(doc["results"]))
    good = s.get("as_expected", sum(as_expected(r) for r in doc["results"]))
    status = (f'<span class="ok">all {n} verdicts as expected</span>' if good == n else
              f'<span class="bad">{n - good} of {n} verdicts differ from the expected ones</span>')
    facts = [f"bnclaims {env.get('bnclaims', '?')}", f"seed {env.get('seed', '?')}", f"preset {env.get('preset', '?')}",
             f"{env.get('dps', '?')} digits", f"device {env.get('device', '?')}"]
    if doc.get("git_commit"):
        facts.append(f"commit {doc['git_commit'][:12]}")
    cmd = f"<p class=\"meta\">Command: <code>{_e(' '.join(doc['command']))}</code></p>" if doc.get("command") else ""
    claims = sum(len(p.claims) for p in report.papers)
    interrupted = (f'<p class="bad">The run stopped early: {_e(doc["interrupted"])}.</p>'
                   if doc.get("interrupted") else "")
    return (f"<h1>Batch Normalization claims: the verdicts</h1>\n<p>{claims} claims from {len(report.papers)} "
            f"sources, {n} checks: {status}.</p>\n{interrupted}<p class=\"meta\">{_e(', '.join(facts))}</p>{cmd}")


_LEGEND = ("<p>Colours: <span class=\"v v-proved\">proved</span> a symbolic proof; <span class=\"v v-holds\">holds"
           "</span> no violation at the stated precision and sample budget; <span class=\"v v-refuted\">refuted</span> "
           "a certified counterexample; <span class=\"v v-inconclusive\">inconclusive</span> neither. An outlined "
           "verdict <span class=\"v v-holds diff\">holds</span> is not the expected one. Every false twin (a "
           "deliberately wrong variant) must be refuted.</p>")


def render_html(report: Report) -> str:
    """The whole page, deterministic for a given report."""
    body = [_header(report), "<h2>Summary by paper</h2>", _LEGEND, _summary(report), "<h2>Claims</h2>"]
    for paper in report.papers:
        body.append(f"<h3>{_e(paper.ref.short)}</h3><p class=\"ref\">{_e(paper.ref.full)}</p>")
        body += [_claim(v, paper.ref, report.levels) for v in paper.claims]
    if report.bench_figures or report.bench_notes:
        body.append("<h2>Curvature engine (bnclaims bench curvature)</h2>")
        body += [_figure(f) for f in report.bench_figures]
        body += [f'<p class="meta">{_e(n)}</p>' for n in report.bench_notes]
    env = json.dumps(report.doc.get("environment", {}), indent=1, ensure_ascii=False)
    body.append(f"<h2>Environment</h2><pre>{_e(env)}</pre>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Batch Normalization claims: the verdicts</title>\n<style>{_CSS}</style>\n</head>\n"
            "<body data-images=\"pending\">\n" + "\n".join(body) + f"\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
