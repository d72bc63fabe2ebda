"""JSON rendering of audit results, for scripts and CI.

Keys are stable English; ``title``, ``evidence``, ``remediation`` and ``mlps`` (clause labels)
follow ``--lang``; ``check``, ``id``, ``clauses`` (clause ids) and ``params`` (the message
parameters, phrases rendered in the language) are for machines.
"""

from __future__ import annotations

from typing import Any

from egovops.audit.registry import localize, registry
from egovops.i18n import Lang
from egovops.model.findings import AuditResult, Finding


def finding_json(finding: Finding, lang: Lang = "en") -> dict[str, Any]:
    """One finding as JSON data, its texts in ``lang``."""
    text = localize(finding, lang)
    reg = registry()
    return {
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


def result_json(result: AuditResult, lang: Lang = "en") -> dict[str, Any]:
    """The whole result: summary counts, checks run, findings worst first, zone reach."""
    return {
        "summary": result.counts(),
        "checks": list(result.checks),
        "findings": [finding_json(f, lang) for f in result.findings],
        "waived": [finding_json(f, lang) for f in result.waived],
        "reach": [
            {"source": r.source, "target": r.target, "device": r.device, "hook": r.hook,
             "packets": r.description, "size": r.size, "example": r.example,
             "paths": [list(p) for p in r.paths]}
            for r in result.reach
        ],
    }
