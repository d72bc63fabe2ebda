"""A self-contained HTML report for leadership: summary, zone matrix, findings; zh or en.

One file, inline CSS, no scripts or external resources, so it can be mailed or archived as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from egovops.audit.registry import localize
from egovops.i18n import Lang, Messages
from egovops.model.findings import AuditResult, Finding, Severity
from egovops.report.base import ReportContext

COLOURS = {
    Severity.CRITICAL: "#b30000",
    Severity.HIGH: "#e65c00",
    Severity.MEDIUM: "#c9a400",
    Severity.LOW: "#2b6cb0",
    Severity.INFO: "#777777",
}

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} .meta{color:#666;margin-bottom:1.5em}
.cards{display:flex;gap:1em;margin:1em 0} .card{border-radius:6px;padding:.8em 1.2em;
color:#fff;min-width:6em;text-align:center} .card b{display:block;font-size:1.8em}
table{border-collapse:collapse;margin:1em 0;width:100%} th,td{border:1px solid #ccc;
padding:.35em .6em;text-align:left;vertical-align:top} th{background:#f2f2f2}
td.n{text-align:center} td.hot{background:#fde0dc;font-weight:bold} .sev{color:#fff;
padding:.1em .5em;border-radius:3px;font-size:.9em} .ok{color:#1a7f37;font-weight:bold}
"""


def _matrix(result: AuditResult, zones: tuple[str, ...]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for f in result.findings:
        pair = (f.zones[0], f.zones[-1]) if f.zones else None
        if pair is None or pair[0] not in zones or pair[1] not in zones:
            continue
        counts[pair] = counts.get(pair, 0) + 1
        if pair[0] != pair[1]:
            counts[(pair[1], pair[0])] = counts.get((pair[1], pair[0]), 0) + 1
    return counts


@dataclass(frozen=True)
class HtmlReporter:
    """``--format html``."""

    name: str = "html"

    def render(self, result: AuditResult, ctx: ReportContext) -> str:
        t = Messages(ctx.lang)
        counts = result.counts()
        parts = [
            f'<!DOCTYPE html>\n<html lang="{"zh-CN" if ctx.lang == "zh" else "en"}">',
            '<head><meta charset="utf-8">',
            f"<title>{escape(t('html.title', site=ctx.site_name))}</title>",
            f"<style>{CSS}</style></head><body>",
            f"<h1>{escape(t('html.title', site=ctx.site_name))}</h1>",
            '<div class="meta">'
            + escape(t("html.generated", when=ctx.generated.strftime("%Y-%m-%d %H:%M %Z"),
                       version=ctx.version))
            + "</div>",
            f"<h2>{escape(t('html.summary'))}</h2><div class=\"cards\">",
        ]
        for severity in sorted(Severity, reverse=True):
            parts.append(
                f'<div class="card" style="background:{COLOURS[severity]}">'
                f"<b>{counts[severity.label]}</b>{escape(t(f'sev.{severity.label}'))}</div>"
            )
        parts.append("</div>")
        if not result.findings:
            parts.append(f'<p class="ok">{escape(t("audit.clean", checks=len(result.checks)))}'
                         "</p>")
        parts.extend(self._matrix_html(result, ctx, t))
        parts.extend(self._reach_html(result, t))
        parts.extend(self._findings_html(result.findings, t, ctx.lang))
        parts.append(f"<h2>{escape(t('html.checks'))}</h2><ul>")
        failed = {f.check for f in result.findings}
        for check in result.checks:
            mark = "✗" if check in failed else "✓"
            parts.append(f"<li>{mark} <code>{escape(check)}</code></li>")
        parts.append("</ul></body></html>\n")
        return "\n".join(parts)

    def _matrix_html(self, result: AuditResult, ctx: ReportContext, t: Messages) -> list[str]:
        if not ctx.zones:
            return []
        counts = _matrix(result, ctx.zones)
        rows = [f"<h2>{escape(t('html.matrix'))}</h2><table><tr><th></th>"]
        rows.extend(f"<th>{escape(z)}</th>" for z in ctx.zones)
        rows.append("</tr>")
        for a in ctx.zones:
            cells = []
            for b in ctx.zones:
                n = counts.get((a, b), 0)
                cells.append(f'<td class="n{" hot" if n else ""}">{n if n else "·"}</td>')
            rows.append(f"<tr><th>{escape(a)}</th>{''.join(cells)}</tr>")
        rows.append("</table>")
        return rows

    def _reach_html(self, result: AuditResult, t: Messages) -> list[str]:
        if not result.reach:
            return []
        rows = [f"<h2>{escape(t('html.reach'))}</h2><table><tr>"]
        for col in ("source_zone", "target_zone", "packets", "via", "example"):
            rows.append(f"<th>{escape(t(f'col.{col}'))}</th>")
        rows.append("</tr>")
        for r in result.reach:
            rows.append(f"<tr><td>{escape(r.source)}</td><td>{escape(r.target)}</td>"
                        f"<td><code>{escape(r.description)}</code>{self._unproven(r.unproven, t)}"
                        f"</td><td>{escape(r.via)}</td>"
                        f"<td><small>{escape(r.example)}</small></td></tr>")
        rows.append("</table>")
        return rows

    @staticmethod
    def _unproven(why: str, t: Messages) -> str:
        """The "unproven" note of a reach entry or finding (nothing when it is proved)."""
        if not why:
            return ""
        return f'<br><small class="unproven">{escape(t("audit.unproven", why=why))}</small>'

    def _findings_html(self, findings: tuple[Finding, ...], t: Messages,
                       lang: Lang) -> list[str]:
        if not findings:
            return []
        rows = [f"<h2>{escape(t('audit.findings', count=len(findings)))}</h2><table><tr>"]
        for col in ("severity", "title", "evidence", "remediation", "source", "mlps"):
            rows.append(f"<th>{escape(t(f'col.{col}'))}</th>")
        rows.append("</tr>")
        for f in findings:
            text = localize(f, lang)
            rows.append(
                f'<tr id="{escape(f.id)}"><td><span class="sev" '
                f'style="background:{COLOURS[f.severity]}">'
                f"{escape(t(f'sev.{f.severity.label}'))}</span></td>"
                f"<td>{escape(text.title)}<br><small><code>{escape(f.id)}</code></small></td>"
                f"<td>{escape(text.evidence)}{self._unproven(f.unproven, t)}</td>"
                f"<td>{escape(text.remediation)}</td>"
                f"<td><code>{escape(f.origin)}</code></td><td>{escape(text.mlps)}</td></tr>"
            )
        rows.append("</table>")
        return rows
