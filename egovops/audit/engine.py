"""Runs a table of checks over one context and collects an :class:`AuditResult`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from egovops.audit.base import AuditContext, Check
from egovops.audit.registry import finding
from egovops.errors import ConfigError, UsageError
from egovops.model.findings import AuditResult, Finding
from egovops.model.inventory import Inventory, Waiver

if TYPE_CHECKING:
    from egovops.audit.firewall import GatewayRuleset
    from egovops.collect.snapshot import Snapshot

WAIVER_CHECKS = ("audit.waiver-expired", "audit.waiver-unused")
"""Checks :func:`apply_waivers` makes (about the inventory's waivers)."""


def run_checks(checks: Iterable[Check], ctx: AuditContext) -> AuditResult:
    """Every finding of every check, worst first, then by check and subject."""
    findings: list[Finding] = []
    names: list[str] = []
    for check in checks:
        names.append(check.name)
        findings.extend(check.run(ctx))
    return AuditResult(findings=_worst_first(findings), checks=tuple(names))


def _worst_first(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (-f.severity, f.check, f.subject)))


def audit_firewall(inv: Inventory, policy_dir: Path, config_dir: Path | None = None,
                   snapshot: Snapshot | None = None, strict: bool = False,
                   gateways_out: list[GatewayRuleset] | None = None) -> AuditResult:
    """The firewall audit of every saved configuration against the policy, with the proved
    zone reach (one gateway at a time, and composed along paths through several firewalls).

    Fail closed: a boundary device whose configuration is missing, unreadable or empty, and
    every construct a parser skipped, is a finding (the other devices are still audited);
    reach and findings that depend on skipped or uncertain constructs say "unproven" (see
    :mod:`egovops.audit.firewall`). With ``strict``, any skipped construct is an error instead
    (:class:`ConfigError` listing every one, exit 2): all-or-nothing, for CI of candidates.

    With ``snapshot``, the rulesets are the ones collected from the devices (see
    :mod:`egovops.audit.collected`), and what the snapshot lacks is reported as findings.
    ``gateways_out``, when given, receives the gateways audited (for further checks).
    """
    from egovops.audit.firewall import (  # noqa: PLC0415 - BDD machinery only when needed
        FAIL_CLOSED_CHECKS,
        FirewallAudit,
        read_gateway_rulesets,
        zone_reach,
    )
    from egovops.audit.reach import composed_zone_reach  # noqa: PLC0415
    from egovops.load.policy import load_policy  # noqa: PLC0415 - import cycle

    checks: tuple[str, ...] = (*FirewallAudit.CHECKS, *FAIL_CLOSED_CHECKS)
    extra: tuple[Finding, ...] = ()
    if snapshot is not None:
        from egovops.audit import collected  # noqa: PLC0415

        if config_dir is not None:
            raise UsageError("--snapshot and --config-dir exclude each other: audit either "
                             "what was collected or the candidate files")
        found = collected.load_snapshot_rulesets(inv, snapshot, strict)
        gateways, extra, checks = found.gateways, found.findings, (*checks, *collected.CHECKS)
    else:
        read = read_gateway_rulesets(inv, config_dir, strict)
        if strict and read.problems:
            raise ConfigError(f"{len(read.problems)} problem(s) in device configurations "
                              "(--strict)", list(read.problems))
        gateways, extra = read.gateways, read.findings
    if gateways_out is not None:
        gateways_out.extend(gateways)
    policy = load_policy(policy_dir, inv)
    findings = [*FirewallAudit(inv, policy, gateways).run(), *extra]
    return AuditResult(findings=_worst_first(findings), checks=checks,
                       reach=(*zone_reach(gateways), *composed_zone_reach(inv, gateways)))


def audit_mlps(inv: Inventory, policy_dir: Path, config_dir: Path | None = None,
               snapshot: Snapshot | None = None) -> AuditResult:
    """Everything the MLPS 2.0 worksheet rests on: the isolation and firewall audits, the
    architecture and management checks (:mod:`egovops.audit.architecture`) and the device
    settings read from the audited configurations (:mod:`egovops.audit.device_settings`)."""
    from egovops.audit import device_settings  # noqa: PLC0415 - BDD machinery
    from egovops.audit.architecture import ARCHITECTURE_CHECKS  # noqa: PLC0415
    from egovops.audit.isolation import ISOLATION_CHECKS  # noqa: PLC0415 - import cycle

    isolated = run_checks((*ISOLATION_CHECKS, *ARCHITECTURE_CHECKS), AuditContext(inventory=inv))
    gateways: list[GatewayRuleset] = []
    walled = audit_firewall(inv, policy_dir, config_dir, snapshot, gateways_out=gateways)
    settings = device_settings.device_settings(gateways)
    return AuditResult(
        findings=_worst_first((*isolated.findings, *walled.findings, *settings)),
        checks=(*isolated.checks, *walled.checks, *device_settings.CHECKS, *WAIVER_CHECKS),
        reach=walled.reach)


def audit_site(inv: Inventory, policy_dir: Path | None = None,
               config_dir: Path | None = None, snapshot: Snapshot | None = None,
               strict: bool = False) -> AuditResult:
    """Isolation checks, plus the firewall audit when a policy folder is given: one result,
    worst findings first."""
    from egovops.audit.isolation import ISOLATION_CHECKS  # noqa: PLC0415 - import cycle

    isolated = run_checks(ISOLATION_CHECKS, AuditContext(inventory=inv))
    if policy_dir is None:
        return isolated
    walled = audit_firewall(inv, policy_dir, config_dir, snapshot, strict)
    return AuditResult(findings=_worst_first((*isolated.findings, *walled.findings)),
                       checks=(*isolated.checks, *walled.checks), reach=walled.reach)


def apply_waivers(result: AuditResult, waivers: Iterable[Waiver], today: date) -> AuditResult:
    """Move findings a current waiver accepts to ``waived``; report expired and unused waivers.

    An expired waiver waives nothing and is itself a finding (the finding it covered comes
    back); a waiver that matches no finding is reported as info, so stale entries get cleaned.
    Waivers for checks this run did not make are left alone.
    """
    by_id = {f.id: f for f in result.findings}
    ran = set(result.checks)
    current: set[str] = set()
    extra: list[Finding] = []
    for waiver in waivers:
        if waiver.finding.rpartition("-")[0] not in ran:
            continue  # about a check this run did not make (e.g. firewall, in an isolation run)
        where = str(waiver.origin or "")
        if waiver.expires < today:
            extra.append(finding(
                "audit.waiver-expired", subject=waiver.finding, origin=where,
                finding=waiver.finding, expires=waiver.expires.isoformat(), owner=waiver.owner,
                reason=waiver.reason,
            ))
        elif waiver.finding in by_id:
            current.add(waiver.finding)
        else:
            extra.append(finding(
                "audit.waiver-unused", subject=waiver.finding, origin=where,
                finding=waiver.finding, owner=waiver.owner, reason=waiver.reason,
            ))
    kept = _worst_first([*(f for f in result.findings if f.id not in current), *extra])
    waived = tuple(f for f in result.findings if f.id in current)
    return replace(result, findings=kept, waived=waived)
