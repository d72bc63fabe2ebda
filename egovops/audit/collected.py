"""Firewall rulesets from a collection snapshot: audit what runs on the devices.

``egovops audit firewall|all --snapshot DIR`` takes each device's ruleset from a snapshot
written by ``egovops collect`` (:mod:`egovops.collect.snapshot`) instead of the inventory's saved
``config:`` file. Which collected file, by the platform's firewall format:

==============  ===========================================================================
format          files tried, in order
==============  ===========================================================================
nftables        ``nftables.json`` (``nft -j list ruleset``), ``nftables`` (``nft list
                ruleset``), ``running`` (napalm's copy of the listing; format detected)
iptables        ``iptables`` (``iptables-save``), ``running`` (format detected)
vendor formats  ``running`` (the running configuration), read in the platform's format
none            ``running``, format detected
==============  ===========================================================================

``nft -j`` prints one line, so the JSON gives no line numbers. When the text listing of the
same run reads to the same chains and rules, findings cite its ``file:line`` instead (the JSON
still decides what is audited); otherwise they cite the JSON file.

Rules (each device of the inventory):

* ``config:`` set, the device missing from the snapshot, failed in it, or collected without a
  ruleset → finding ``firewall.snapshot-missing`` (high): an unaudited gateway is not proven.
  There is no fall-back to the saved file.
* ``config:`` set, the collected ruleset has no base chain (``nft flush ruleset``) →
  ``firewall.snapshot-empty``: critical for a zone's declared gateway, else high.
* ``config:`` set (or a boundary device, :func:`~egovops.audit.firewall.boundary_devices`), the
  collected ruleset cannot be read → ``firewall.config-unreadable`` listing every problem with
  the snapshot file's ``file:line``; the other devices are still audited, as for saved files.
* a boundary device without ``config:`` of which nothing was collected →
  ``firewall.config-missing``. Constructs skipped while reading → ``firewall.parse-unsupported``.
* no ``config:``, a ruleset collected with at least one base chain → audited like the others
  (it is a firewall that exists) and said so by an info finding ``firewall.snapshot-only``; if
  it cannot be read, that finding is low and says why. A collected ruleset without base chains
  filters nothing and is not a firewall.

A snapshot of another site is a usage error (:class:`UsageError`, exit 2).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from pathlib import Path

from egovops.audit.firewall import (
    GatewayRuleset,
    audit_ruleset,
    boundary_devices,
    config_missing,
    config_unreadable,
)
from egovops.audit.registry import finding_of, phrase
from egovops.collect.snapshot import Snapshot, config_path
from egovops.errors import ConfigError, Problem, UsageError, display_path
from egovops.firewall.model import Ruleset
from egovops.firewall.ruleset_file import read_ruleset
from egovops.model.findings import Finding, ParamValue, Phrase, Severity
from egovops.model.inventory import Device, Inventory

CHECKS = ("firewall.snapshot-missing", "firewall.snapshot-empty", "firewall.snapshot-only")

COLLECTED_FILES: dict[str | None, tuple[tuple[str, str | None], ...]] = {
    "nftables": (("nftables.json", "nftables-json"), ("nftables", "nftables"), ("running", None)),
    "iptables": (("iptables", "iptables"), ("running", None)),
    None: (("running", None),),
}
"""Per firewall format: (collected file, format to read it as; ``None`` = detect), in order of
preference. Vendor formats read ``running`` in their own format."""


@dataclass(frozen=True)
class SnapshotRulesets:
    """The gateways read from a snapshot and what the snapshot could not prove."""

    snapshot: Path
    gateways: tuple[GatewayRuleset, ...]
    findings: tuple[Finding, ...]


def collected_files(device: Device) -> tuple[tuple[str, str | None], ...]:
    """Collected files that may hold the device's ruleset, best first."""
    fmt = device.platform_info.firewall_format
    return COLLECTED_FILES.get(fmt, (("running", fmt),))


def _same_rules(a: Ruleset, b: Ruleset) -> bool:
    if len(a.chains) != len(b.chains):
        return False
    for ca, cb in zip(a.chains, b.chains, strict=True):
        if ((ca.name, ca.table, ca.family, ca.hook, ca.policy, len(ca.rules))
                != (cb.name, cb.table, cb.family, cb.hook, cb.policy, len(cb.rules))):
            return False
        for ra, rb in zip(ca.rules, cb.rules, strict=True):
            if (ra.match, ra.action, ra.target, ra.log) != (rb.match, rb.action, rb.target,
                                                            rb.log):
                return False
    return True


def with_listing_lines(ruleset: Ruleset, listing: Ruleset) -> Ruleset:
    """``ruleset`` (from ``nft -j``) citing the lines of ``listing`` (``nft list ruleset`` of
    the same run) when both read to the same chains and rules; else ``ruleset`` unchanged."""
    if not _same_rules(ruleset, listing):
        return ruleset
    chains = tuple(
        replace(cj, source=ct.source, rules=tuple(
            replace(rj, source=rt.source, text=rt.text or rj.text)
            for rj, rt in zip(cj.rules, ct.rules, strict=True)))
        for cj, ct in zip(ruleset.chains, listing.chains, strict=True)
    )
    return replace(ruleset, chains=chains)


def _read(snap: Snapshot, device: Device, strict: bool = False) -> tuple[Ruleset, Path] | None:
    """The device's collected ruleset and its file, or ``None`` when none was collected.

    Raises :class:`ConfigError` when the chosen file cannot be read.
    """
    for name, fmt in collected_files(device):
        path = config_path(snap.path, device.id, name)
        if not path.is_file():
            continue
        ruleset = read_ruleset(path, fmt, strict=strict)
        if fmt == "nftables-json":
            listing = config_path(snap.path, device.id, "nftables")
            if listing.is_file() and any(not r.source.line for c in ruleset.chains
                                         for r in c.rules):
                # the JSON decides; the listing only lends its line numbers, if it can
                with contextlib.suppress(ConfigError):
                    ruleset = with_listing_lines(ruleset, read_ruleset(listing, "nftables"))
        return ruleset, path
    return None


def load_snapshot_rulesets(inv: Inventory, snap: Snapshot,
                           strict: bool = False) -> SnapshotRulesets:
    """Every device's ruleset from ``snap`` under the rules of the module docstring
    (``strict``: a skipped construct makes the ruleset unreadable)."""
    if snap.site != inv.site.id:
        raise UsageError(f"snapshot {display_path(snap.path)} is of site {snap.site!r}, the "
                         f"inventory of {inv.site.id!r}")
    gateway_ids = {g for z in inv.zones for g in z.gateways}
    boundary = {d.id for d in boundary_devices(inv)}
    where = display_path(snap.path)
    findings: list[Finding] = []
    problems: list[Problem] = []
    """With ``strict``: every problem of every unreadable ruleset (then raised together)."""
    loaded: list[GatewayRuleset] = []

    def add(check: str, severity: Severity, device: Device, origin: str = "",
            **params: ParamValue) -> None:
        findings.append(finding_of(
            check, {"device": device.id, **params}, subject=f"{device.id}:snapshot",
            severity=severity, origin=origin or str(device.origin or "")))

    for device in inv.devices:
        entry = snap.devices.get(device.id)
        try:
            read = _read(snap, device, strict) if device.id in snap.facts else None
        except ConfigError as exc:
            if strict:
                problems.extend(exc.problems or [Problem(where, 0, 0, exc.summary, "config")])
            elif device.config is not None or device.id in boundary:
                findings.append(config_unreadable(inv, device, where, exc))
            else:
                first = exc.problems[0] if exc.problems else None
                add("firewall.snapshot-only", Severity.LOW, device,
                    first.location() if first else "", what=phrase("snapshot-unreadable"),
                    why=phrase("snapshot-unreadable-why", summary=exc.summary,
                               first=f"; {first}" if first else ""),
                    fix=phrase("snapshot-save-config"))
            continue
        if read is None:
            if device.config is None:
                if device.id in boundary:
                    findings.append(config_missing(inv, device))
                continue
            why: Phrase
            if entry is None:
                why = phrase("snapshot-not-selected", snapshot=where)
            elif not entry.get("ok"):
                why = phrase("snapshot-collect-failed", kind=entry.get("error_kind") or "error",
                             error=entry.get("error") or "-")
            else:
                tried = ", ".join(name for name, _ in collected_files(device))
                facts = snap.facts.get(device.id)
                notes = "; ".join(facts.warnings) if facts is not None else ""
                why = (phrase("snapshot-no-ruleset-warnings", tried=tried, notes=notes) if notes
                       else phrase("snapshot-no-ruleset", tried=tried))
            add("firewall.snapshot-missing", Severity.HIGH, device, why=why,
                config=device.config)
            continue
        ruleset, path = read
        if not ruleset.base_chains:
            if device.config is None and device.id not in boundary:
                continue  # collected, filters nothing: not a firewall
            add("firewall.snapshot-empty",
                Severity.CRITICAL if device.id in gateway_ids else Severity.HIGH, device,
                display_path(path), file=display_path(path),
                saved=phrase("saved-not-running", config=device.config) if device.config else "")
            continue
        try:
            gw, found = audit_ruleset(inv, device, ruleset, display_path(path),
                                      device.id in boundary)
        except ConfigError as exc:
            findings.append(config_unreadable(inv, device, display_path(path), exc))
            continue
        findings.extend(found)
        if gw is None:
            continue
        loaded.append(gw)
        if device.config is None:
            add("firewall.snapshot-only", Severity.INFO, device, display_path(path),
                what=phrase("snapshot-only-audited"),
                why=phrase("snapshot-only-why", file=display_path(path)),
                fix=phrase("snapshot-only-fix"))
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in collected device configurations "
                          "(--strict)", problems)
    return SnapshotRulesets(snap.path, tuple(loaded), tuple(findings))
