"""JSON rendering of audit results (stable keys, English, for scripts and CI)."""

from __future__ import annotations

from typing import Any

from egovops.model.findings import AuditResult, Finding, ZoneReach


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding as JSON data (``unproven`` only when it is)."""
    data: dict[str, Any] = {
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


def result_json(result: AuditResult) -> dict[str, Any]:
    """The whole result: summary counts, checks run, findings worst first, zone reach."""
    return {
        "summary": result.counts(),
        "checks": list(result.checks),
        "findings": [finding_json(f) for f in result.findings],
        "waived": [finding_json(f) for f in result.waived],
        "reach": [reach_json(r) for r in result.reach],
    }
