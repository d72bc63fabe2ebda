"""Runs a table of checks over one context and collects an :class:`AuditResult`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from egovops.audit.base import AuditContext, Check
from egovops.model.findings import AuditResult, Finding
from egovops.model.inventory import Inventory


def run_checks(checks: Iterable[Check], ctx: AuditContext) -> AuditResult:
    """Every finding of every check, worst first, then by check and subject."""
    findings: list[Finding] = []
    names: list[str] = []
    for check in checks:
        names.append(check.name)
        findings.extend(check.run(ctx))
    findings.sort(key=lambda f: (-f.severity, f.check, f.subject))
    return AuditResult(findings=tuple(findings), checks=tuple(names))


def audit_site(inv: Inventory, policy_dir: Path | None = None,
               config_dir: Path | None = None) -> AuditResult:
    """Isolation checks, plus the firewall audit of every saved configuration when a policy
    folder is given: one result, worst findings first, with the proved zone reach."""
    from egovops.audit.firewall import (  # noqa: PLC0415 - BDD machinery only when needed
        FirewallAudit,
        load_gateway_rulesets,
        zone_reach,
    )
    from egovops.audit.isolation import ISOLATION_CHECKS  # noqa: PLC0415 - import cycle
    from egovops.load.policy import load_policy  # noqa: PLC0415 - import cycle

    isolated = run_checks(ISOLATION_CHECKS, AuditContext(inventory=inv))
    if policy_dir is None:
        return isolated
    gateways = load_gateway_rulesets(inv, config_dir)
    policy = load_policy(policy_dir, inv)
    findings = [*isolated.findings, *FirewallAudit(inv, policy, gateways).run()]
    findings.sort(key=lambda f: (-f.severity, f.check, f.subject))
    return AuditResult(findings=tuple(findings),
                       checks=(*isolated.checks, *FirewallAudit.CHECKS),
                       reach=tuple(zone_reach(gateways)))
