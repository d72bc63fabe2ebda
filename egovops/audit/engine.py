"""Runs a table of checks over one context and collects an :class:`AuditResult`."""

from __future__ import annotations

from collections.abc import Iterable

from egovops.audit.base import AuditContext, Check
from egovops.model.findings import AuditResult, Finding


def run_checks(checks: Iterable[Check], ctx: AuditContext) -> AuditResult:
    """Every finding of every check, worst first, then by check and subject."""
    findings: list[Finding] = []
    names: list[str] = []
    for check in checks:
        names.append(check.name)
        findings.extend(check.run(ctx))
    findings.sort(key=lambda f: (-f.severity, f.check, f.subject))
    return AuditResult(findings=tuple(findings), checks=tuple(names))
