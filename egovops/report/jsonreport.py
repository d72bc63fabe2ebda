"""JSON rendering of audit results, for scripts and CI.

Keys are stable English; ``title``, ``evidence``, ``remediation`` and ``mlps`` (clause labels)
follow ``--lang``; ``check``, ``id``, ``clauses`` (clause ids) and ``params`` (the message
parameters, phrases rendered in the language) are for machines. ``unproven`` appears only on
findings and reach entries that rest on skipped constructs.
"""

from __future__ import annotations

from typing import Any

from egovops.audit.registry import localize, registry
from egovops.i18n import Lang
from egovops.model.findings import AuditResult, Finding, ZoneReach


def finding_json(finding: Finding, lang: Lang = "en") -> dict[str, Any]:
    """One finding as JSON data, its texts in ``lang`` (``unproven`` only when it is)."""
    text = localize(finding, lang)
    reg = registry()
    data: dict[str, Any] = {
        "id": finding.id,
        "check": finding.check,
        "severity": finding.severity.label,
        "title": text.title,
        "subject": finding.subject,
        "origin": finding.origin,
        "evidence": text.evidence,
        "remediation": text.remediation,
        "mlps": text.mlps,
        "clauses": list(finding.clauses),
        "zones": list(finding.zones),
        "params": {k: reg.render_value(v, lang) for k, v in finding.params},
    }
    if finding.unproven:
        data["unproven"] = finding.unproven
    return data


def reach_json(reach: ZoneReach) -> dict[str, Any]:
    """One zone reach entry as JSON data (``unproven`` only when it is)."""
    data: dict[str, Any] = {
        "source": reach.source, "target": reach.target, "device": reach.device,
        "hook": reach.hook, "packets": reach.description, "size": reach.size,
        "example": reach.example, "paths": [list(p) for p in reach.paths]}
    if reach.unproven:
        data["unproven"] = reach.unproven
    return data


def result_json(result: AuditResult, lang: Lang = "en") -> dict[str, Any]:
    """The whole result: summary counts, checks run, findings worst first, zone reach."""
    return {
        "summary": result.counts(),
        "checks": list(result.checks),
        "findings": [finding_json(f, lang) for f in result.findings],
        "waived": [finding_json(f, lang) for f in result.waived],
        "reach": [reach_json(r) for r in result.reach],
    }
