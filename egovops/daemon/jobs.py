"""The daemon's jobs: collect (devices → snapshot), audit (isolation + resilience) and pki
(ledger and CRL, re-issuing the CRL before its nextUpdate). Each reads its inputs afresh,
updates its part of the shared state and re-evaluates the emergency plan; exceptions propagate
to the scheduler, which counts and logs them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from egovops.collect.base import Timeouts
from egovops.collect.registry import CollectorTable
from egovops.collect.runner import RunOptions, collect_devices
from egovops.collect.snapshot import write_snapshot
from egovops.daemon.config import DaemonConfig
from egovops.load import load_inventory
from egovops.load.policy import default_policy_dir
from egovops.metrics.plan import Plan, duration_seconds
from egovops.metrics.signals import evaluate_plan
from egovops.metrics.sources import (
    audit_inventory,
    last_successes,
    latest_snapshot,
    read_pki,
    read_snapshot,
)
from egovops.metrics.state import SiteState, StateStore
from egovops.pki.ca import CertificateAuthority
from egovops.pki.secrets import CA_PASSPHRASE_ENV, read_secret, require_secret
from egovops.topology import analyze_resilience

log = logging.getLogger("egovops.daemon.jobs")


@dataclass
class JobContext:
    """What the jobs share: the site, the configuration, the state and the outside world."""

    site: Path
    config: DaemonConfig
    store: StateStore
    plan: Plan | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    wall: Callable[[], float] = time.time
    table: CollectorTable | None = None
    """Collector table (default: egovops' live collectors)."""


def _reevaluate(ctx: JobContext) -> None:
    plan = ctx.plan
    if plan is None:
        return
    now = ctx.wall()
    ctx.store.apply(lambda s: replace(s, plan=evaluate_plan(plan, s, now)))


def run_collect(ctx: JobContext) -> None:
    """Collect every device of the site into a new snapshot."""
    cfg = ctx.config.collect
    inv = load_inventory(ctx.site)
    options = RunOptions(workers=cfg.workers, retries=cfg.retries,
                         timeouts=Timeouts(connect=cfg.connect_timeout,
                                           command=cfg.command_timeout))
    run = collect_devices(inv.devices, site=inv.site.id, root=Path(inv.root),
                          environ=ctx.environ, options=options, table=ctx.table)
    snapshot_dir = ctx.config.snapshot_path(ctx.environ)
    folder = write_snapshot(run, snapshot_dir)
    ctx.store.update(inventory=inv, snapshot=read_snapshot(folder),
                     last_success=last_successes(snapshot_dir, inv.site.id))
    log.info("snapshot written", extra={"snapshot": str(folder), "devices": len(run.results),
                                        "failed": len(run.failed)})
    _reevaluate(ctx)


def run_audit(ctx: JobContext) -> None:
    """Isolation checks and resilience of the current inventory."""
    inv = load_inventory(ctx.site)
    policy = Path(ctx.config.policy) if ctx.config.policy else default_policy_dir()
    audit = audit_inventory(inv, ctx.wall(), policy)
    ctx.store.update(inventory=inv, audit=audit, resilience=analyze_resilience(inv))
    log.info("audit finished", extra={"findings": len(audit.result.findings)})
    _reevaluate(ctx)


def run_pki(ctx: JobContext) -> None:
    """Read the ledger and CRL; re-issue the CRL when nextUpdate is near (or none exists)."""
    ca_dir = ctx.config.ca_dir
    if ca_dir is None:
        return
    now = ctx.wall()
    view = read_pki(Path(ca_dir), now)
    renew_before = duration_seconds(ctx.config.pki.crl_renew_before)
    if view.crl is None or view.crl.next_update - now <= renew_before:
        passfile = ctx.config.passphrase_file
        secret = require_secret(
            read_secret(CA_PASSPHRASE_ENV, Path(passfile) if passfile else None, ctx.environ),
            "CA passphrase", CA_PASSPHRASE_ENV, "passphrase_file")
        with CertificateAuthority(Path(ca_dir)) as ca:
            ca.unlock(secret)
            info = ca.publish_crl()
        log.info("CRL re-issued", extra={"number": info.number,
                                         "next_update": info.next_update.isoformat()})
        ctx.store.apply(lambda s: replace(s, crl_reissues=s.crl_reissues + 1))
        view = read_pki(Path(ca_dir), ctx.wall())
    ctx.store.update(pki=view)
    _reevaluate(ctx)


JOBS: dict[str, Callable[[JobContext], None]] = {
    "collect": run_collect,
    "audit": run_audit,
    "pki": run_pki,
}
"""The daemon's jobs by name (an explicit table)."""


def initial_state(ctx: JobContext, saved: SiteState) -> SiteState:
    """State at start-up: saved counters plus the latest snapshot already on disk."""
    try:
        inv = load_inventory(ctx.site)
    except Exception:  # the audit job will report it
        return saved
    snapshot_dir = ctx.config.snapshot_path(ctx.environ)
    return replace(saved, inventory=inv,
                   snapshot=latest_snapshot(snapshot_dir, inv.site.id),
                   last_success=last_successes(snapshot_dir, inv.site.id))
