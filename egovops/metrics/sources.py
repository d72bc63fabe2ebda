"""Reading the parts of a :class:`~egovops.metrics.state.SiteState` from what egovops keeps on
disk: the latest snapshot of a site, the last successful collection of each device (snapshot
manifests), the PKI ledger and published CRL, and a fresh isolation audit.

Used by the daemon's jobs and by ``egovops metrics dump`` / ``egovops plan status``. Nothing
here touches the network or prints.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from cryptography import x509

from egovops.audit.engine import audit_site
from egovops.collect.snapshot import MANIFEST, Snapshot
from egovops.load import load_inventory
from egovops.metrics.plan import Plan
from egovops.metrics.signals import evaluate_plan
from egovops.metrics.state import (
    AuditView,
    CertGroup,
    CrlView,
    DeviceStatus,
    PkiView,
    SiteState,
    SnapshotView,
)
from egovops.model.inventory import Inventory
from egovops.pki.ca import CertificateAuthority
from egovops.topology import analyze_resilience

HISTORY_LIMIT = 500
"""Snapshot manifests read back when looking for a device's last successful collection."""


def _epoch(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def snapshot_folders(snapshot_dir: Path, site: str) -> list[Path]:
    """Complete snapshot folders of ``site`` below ``snapshot_dir``, oldest first."""
    if not snapshot_dir.is_dir():
        return []
    pattern = re.compile(rf"^{re.escape(site)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?$")
    found: list[tuple[str, int, Path]] = []
    for entry in snapshot_dir.iterdir():
        match = pattern.match(entry.name)
        if match and (entry / MANIFEST).is_file():
            found.append((match[1], int(match[2] or 1), entry))
    return [p for _, _, p in sorted(found)]


def read_snapshot(path: Path) -> SnapshotView:
    """A snapshot folder as the exporter sees it."""
    snap = Snapshot(path)
    devices = {name: DeviceStatus(bool(entry.get("ok")), str(entry.get("error_kind") or ""))
               for name, entry in snap.devices.items()}
    return SnapshotView(path=str(path), site=snap.site,
                        started=_epoch(snap.manifest.get("started")),
                        finished=_epoch(snap.manifest.get("finished")),
                        devices=devices, facts=dict(snap.facts))


def latest_snapshot(snapshot_dir: Path, site: str) -> SnapshotView | None:
    """The newest snapshot of ``site``, or ``None``."""
    folders = snapshot_folders(snapshot_dir, site)
    return read_snapshot(folders[-1]) if folders else None


def last_successes(snapshot_dir: Path, site: str,
                   limit: int = HISTORY_LIMIT) -> dict[str, float]:
    """Device → finish time of the newest snapshot (of the last ``limit``) that collected it.

    Reads manifests only (not the facts), newest first.
    """
    found: dict[str, float] = {}
    for folder in reversed(snapshot_folders(snapshot_dir, site)[-limit:]):
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        finished = _epoch(manifest.get("finished"))
        if finished is None:
            continue
        for device, entry in manifest.get("devices", {}).items():
            if device not in found and isinstance(entry, dict) and entry.get("ok"):
                found[device] = finished
    return found


def audit_inventory(inv: Inventory, now: float | None = None,
                    policy_dir: Path | None = None) -> AuditView:
    """Run the isolation checks, and the firewall audit of the saved gateway configurations
    when a policy folder is given."""
    result = audit_site(inv, policy_dir)
    return AuditView(result=result, finished=time.time() if now is None else now)


def read_pki(ca_dir: Path, now: float | None = None) -> PkiView:
    """Certificate counts and earliest expiry per profile/unit, and the published CRL.

    Opens the CA without unlocking its key; one grouped query over the ledger.
    """
    moment = time.time() if now is None else now
    with CertificateAuthority(ca_dir) as ca:
        rows = ca.ledger.conn.execute(
            "SELECT profile, COALESCE(unit, ''), status, not_after FROM certificates").fetchall()
        crl = ca.current_crl()
    counts: dict[tuple[str, str, str], int] = {}
    earliest: dict[tuple[str, str], float] = {}
    for profile, unit, status, not_after in rows:
        expires = datetime.fromisoformat(not_after).timestamp()
        state = status if status != "valid" or expires > moment else "expired"
        counts[(profile, unit, state)] = counts.get((profile, unit, state), 0) + 1
        if state == "valid" and expires < earliest.get((profile, unit), float("inf")):
            earliest[(profile, unit)] = expires
    groups = tuple(CertGroup(p, u, s, n, earliest.get((p, u)) if s == "valid" else None)
                   for (p, u, s), n in sorted(counts.items()))
    crl_view = None
    if crl is not None:
        number_ext = crl.extensions.get_extension_for_class(x509.CRLNumber)
        next_update = crl.next_update_utc
        crl_view = CrlView(number=int(number_ext.value.crl_number),
                           this_update=crl.last_update_utc.timestamp(),
                           next_update=next_update.timestamp() if next_update else 0.0,
                           revoked=len(crl))
    return PkiView(certificates=groups, crl=crl_view)



def read_site_state(site: Path, *, snapshot_dir: Path | None = None, ca_dir: Path | None = None,
                    plan: Plan | None = None, now: float | None = None,
                    policy_dir: Path | None = None) -> SiteState:
    """Everything egovops knows about a site, read once (``metrics dump``, ``plan status``):
    inventory, latest snapshot and device history, isolation audit, resilience, PKI, plan."""
    moment = time.time() if now is None else now
    inv = load_inventory(site)
    state = SiteState(inventory=inv, audit=audit_inventory(inv, moment, policy_dir),
                      resilience=analyze_resilience(inv))
    if snapshot_dir is not None:
        state = replace(state, snapshot=latest_snapshot(snapshot_dir, inv.site.id),
                        last_success=last_successes(snapshot_dir, inv.site.id))
    if ca_dir is not None:
        state = replace(state, pki=read_pki(ca_dir, moment))
    if plan is not None:
        state = replace(state, plan=evaluate_plan(plan, state, moment))
    return state
