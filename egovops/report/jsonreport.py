"""JSON rendering of audit results (stable keys, English, for scripts and CI)."""

from __future__ import annotations

from typing import Any

from egovops.model.findings import AuditResult, Finding


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding as JSON data."""
    return {
        "id": finding.id,
        "check": finding.check,
        "severity": finding.severity.label,
        "title": finding.title,
        "subject": finding.subject,
        "origin": finding.origin,
        "evidence": finding.evidence,
        "remediation": finding.remediation,
        "mlps": finding.mlps,
        "zones": list(finding.zones),
    }


def result_json(result: AuditResult) -> dict[str, Any]:
    """The whole result: summary counts, checks run, findings worst first, zone reach."""
    return {
        "summary": result.counts(),
        "checks": list(result.checks),
        "findings": [finding_json(f) for f in result.findings],
        "waived": [finding_json(f) for f in result.waived],
        "reach": [
            {"source": r.source, "target": r.target, "device": r.device, "hook": r.hook,
             "packets": r.description, "size": r.size, "example": r.example,
             "paths": [list(p) for p in r.paths]}
            for r in result.reach
        ],
    }
