"""The offline summary page of a run's validation (no external assets), beside GX's data docs."""

from __future__ import annotations

import html
from urllib.parse import quote

from dxplan.validation.suites import SuiteSpec, ValidationOutcome


def render_summary_html(
    outcomes: list[ValidationOutcome],
    specs: list[SuiteSpec],
    links: dict[str, dict[str, str]] | None = None,
) -> str:
    """A small static page: one section per validated load (with links to its GX
    validation pages), then the rule catalogue."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>",
        "<title>dxplan validation</title><style>",
        "body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px;"
        "vertical-align:top}table{border-collapse:collapse}.fail{color:#b00}.warn{color:#a60}"
        ".ok{color:#070}",
        "</style></head><body><h1>dxplan validation</h1>",
        "<p>Great Expectations data docs: <a href='index.html'>index.html</a></p>",
    ]
    for o in outcomes:
        status = (
            "<span class='ok'>passed</span>" if o.passed else "<span class='fail'>REJECTED</span>"
        )
        failed = sum(1 for r in o.results if not r["success"])
        parts.append(
            f"<h2>load {esc(o.load_id)}: {status}</h2>"
            f"<p>{len(o.results)} expectations, {failed} failed "
            f"({len(o.critical_failures)} critical, {len(o.warnings)} warnings)</p>"
        )
        pages = (links or {}).get(o.load_id, {})
        if pages:
            anchors = [
                f"<a href='{esc(quote(path))}'>{esc(suite)}</a>"
                for suite, path in sorted(pages.items())
            ]
            parts.append("<p>GX validation pages: " + " · ".join(anchors) + "</p>")
        items = [("fail", m) for m in o.critical_failures] + [("warn", m) for m in o.warnings]
        if items:
            parts.append("<ul>")
            parts += [f"<li class='{c}'>{esc(m)}</li>" for c, m in items]
            parts.append("</ul>")
    parts.append(
        "<h2>Rules</h2><table><tr><th>suite</th><th>rule</th><th>severity</th>"
        "<th>expectation</th><th>description</th></tr>"
    )
    for spec in specs:
        for exp in spec.body["expectations"]:
            m = exp["meta"]
            parts.append(
                f"<tr><td>{esc(spec.name)}</td><td>{esc(m['rule'])}</td>"
                f"<td>{esc(m['severity'])}</td><td>{esc(exp['type'])}</td>"
                f"<td>{esc(m['description'])}</td></tr>"
            )
    parts.append("</table></body></html>")
    return "\n".join(parts)
