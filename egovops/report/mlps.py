"""Renderings of the MLPS 2.0 worksheet (:class:`~egovops.audit.mlps.Worksheet`): JSON, CSV and
an HTML worksheet laid out the way an assessor's 测评记录表 is (安全类 › 控制点 › 测评项, result,
evidence, what to check by hand). They never compute: the states come from the worksheet.
"""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

from egovops.audit.clauses import STANDARD
from egovops.audit.mlps import ClauseRow, ClauseState, Worksheet
from egovops.audit.registry import Registry, localize
from egovops.i18n import Lang, Messages
from egovops.report.base import ReportContext
from egovops.report.jsonreport import finding_json

STATE_COLOURS = {
    ClauseState.PASS: "#1a7f37",
    ClauseState.PARTIAL: "#c9a400",
    ClauseState.FAIL: "#b30000",
    ClauseState.NOT_APPLICABLE: "#777777",
    ClauseState.MANUAL: "#2b6cb0",
}


def state_label(state: ClauseState, lang: Lang) -> str:
    """符合 / 部分符合 / 不符合 / 不适用 / 需人工核查 (or the English words)."""
    return Messages(lang)(f"mlps.state.{state.value}")


def worksheet_json(sheet: Worksheet, registry: Registry, lang: Lang) -> dict[str, Any]:
    """``{"standard", "summary", "covered", "clauses": [{"clause", "title", "state", …}]}``."""
    return {
        "standard": STANDARD,
        "summary": sheet.counts(),
        "covered": sheet.covered,
        "clauses": [
            {
                "clause": row.clause.id,
                "title": row.clause.title(lang),
                "section": f"{row.clause.section} {row.clause.section_title[lang]}",
                "requirement": row.clause.text[lang],
                "state": row.state.value,
                "state_label": state_label(row.state, lang),
                "checks": [
                    {"id": c, "about": registry[c].about[lang], "ran": c in row.ran}
                    for c in row.checks
                ],
                "findings": [finding_json(f, lang) for f in row.findings],
                "waived": [finding_json(f, lang) for f in row.waived],
                "manual": row.clause.manual[lang],
            }
            for row in sheet.rows
        ],
    }


def worksheet_csv(sheet: Worksheet, lang: Lang) -> str:
    """One line per clause (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    t = Messages(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t("mlps.col.clause"), t("mlps.col.title"), t("mlps.col.state"),
                     t("mlps.col.checks"), t("mlps.col.findings"), t("mlps.col.finding_ids"),
                     t("mlps.col.manual")])
    for row in sheet.rows:
        writer.writerow([
            row.clause.id, row.clause.title(lang), state_label(row.state, lang),
            " ".join(row.checks), len(row.findings), " ".join(f.id for f in row.findings),
            row.clause.manual[lang],
        ])
    return "\ufeff" + out.getvalue()


CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
margin:1.5em;color:#222;max-width:1800px} h1{font-size:1.5em} .meta{color:#666}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:1em 0}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top;
overflow-wrap:anywhere} th{background:#eef2f7} td.sec{background:#f7f7f7;font-weight:bold}
.state{color:#fff;padding:.1em .5em;border-radius:3px;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.8em} .card{border-radius:6px;padding:.5em 1em;color:#fff}
small{color:#555} code{font-size:.9em}
@media print{body{margin:0} .state,.card{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _row_html(row: ClauseRow, registry: Registry, lang: Lang) -> str:
    checks = "<br>".join(f"<code>{escape(c)}</code>{'' if c in row.ran else ' <small>—</small>'}"
                         for c in row.checks) or "—"
    findings = "<br>".join(
        f"{escape(localize(f, lang).title)} <small><code>{escape(f.id)}</code></small>"
        for f in row.findings) or "—"
    return (f'<tr id="{escape(row.clause.id)}"><td><b>{escape(row.clause.id)}</b><br>'
            f"{escape(row.clause.control_title[lang])}</td>"
            f"<td>{escape(row.clause.text[lang])}</td>"
            f'<td><span class="state" style="background:{STATE_COLOURS[row.state]}">'
            f"{escape(state_label(row.state, lang))}</span></td>"
            f"<td>{checks}</td><td>{findings}</td>"
            f"<td>{escape(row.clause.manual[lang])}</td></tr>")


def worksheet_html(sheet: Worksheet, registry: Registry, ctx: ReportContext) -> str:
    """The worksheet as one self-contained HTML page (inline CSS, no scripts)."""
    lang = ctx.lang
    t = Messages(lang)
    counts = sheet.counts()
    parts = [
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(t('mlps.html.title', site=ctx.site_name))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(t('mlps.html.title', site=ctx.site_name))}</h1>",
        f'<div class="meta">{escape(t("mlps.html.meta", standard=STANDARD))}<br>'
        + escape(t("html.generated", when=ctx.generated.strftime("%Y-%m-%d %H:%M %Z"),
                   version=ctx.version)) + "</div>",
        f"<p>{escape(t('mlps.summary', covered=sheet.covered, total=len(sheet.rows)))}</p>",
        '<div class="cards">',
    ]
    for state in ClauseState:
        parts.append(f'<div class="card" style="background:{STATE_COLOURS[state]}">'
                     f"{escape(state_label(state, lang))} <b>{counts[state.value]}</b></div>")
    parts.append("</div>")
    parts.append('<table><colgroup><col style="width:11%"><col style="width:27%">'
                 '<col style="width:9%"><col style="width:17%"><col style="width:20%">'
                 '<col style="width:16%"></colgroup><tr>')
    for col in ("clause", "requirement", "state", "checks", "findings", "manual"):
        parts.append(f"<th>{escape(t(f'mlps.col.{col}'))}</th>")
    parts.append("</tr>")
    section = ""
    for row in sheet.rows:
        if row.clause.section != section:
            section = row.clause.section
            parts.append(f'<tr><td class="sec" colspan="6">{escape(section)} '
                         f"{escape(row.clause.section_title[lang])}</td></tr>")
        parts.append(_row_html(row, registry, lang))
    parts.append("</table></body></html>\n")
    return "\n".join(parts)
