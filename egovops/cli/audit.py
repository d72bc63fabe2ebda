"""``egovops audit …``: prove isolation (and, as it lands, firewall policy) and report findings.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 bad input.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client.exposition import generate_latest
from rich.markup import escape

from egovops import __version__
from egovops.audit import ISOLATION_CHECKS, run_checks
from egovops.audit.base import AuditContext
from egovops.audit.engine import apply_waivers, audit_firewall, audit_site
from egovops.cli.errors import EXIT_FINDINGS
from egovops.cli.state import State, state
from egovops.collect.snapshot import Snapshot, newest_snapshot
from egovops.errors import UsageError, display_path
from egovops.fsio import write_atomic
from egovops.load import load_inventory
from egovops.metrics.collectors import AuditCollector, build_registry
from egovops.metrics.state import AuditView, SiteState
from egovops.model.findings import AuditResult, Severity
from egovops.model.inventory import Inventory
from egovops.report import REPORTERS, ReportContext, result_json


class AuditFormat(StrEnum):
    """Output formats of audit commands."""

    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"
    HTML = "html"


app = typer.Typer(help="Audits: isolation of the inner and outer networks.",
                  no_args_is_help=True)

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _fail_on(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


FormatOpt = Annotated[AuditFormat, typer.Option("--format", "-f", help="output format",
                                                case_sensitive=False)]
FailOnOpt = Annotated[str, typer.Option(help="exit 1 when a finding is at least this severe "
                                        "(info, low, medium, high, critical)")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="write the report to "
                                                "this file (atomically)")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="judge waiver expiry on this day (YYYY-MM-DD; default: today, UTC)")]


def _waive(result: AuditResult, inv: Inventory, as_of: str | None) -> AuditResult:
    """Apply the inventory's waivers as of ``as_of`` (or today)."""
    try:
        today = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    except ValueError:
        raise UsageError(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}") from None
    return apply_waivers(result, inv.waivers, today)


TextfileOpt = Annotated[Path | None, typer.Option(
    "--textfile", help="also write the result as Prometheus metrics to this file, "
    "atomically, for node_exporter's textfile collector (cron mode)")]


@app.command()
def isolation(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory")],
    fmt: FormatOpt = AuditFormat.TABLE,
    fail_on: FailOnOpt = "high",
    output: OutputOpt = None,
    textfile: TextfileOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Prove physical isolation of the inner network and that every path to the internet
    crosses a declared gateway (from the inventory)."""
    st = state()
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    result = _waive(run_checks(ISOLATION_CHECKS, AuditContext(inventory=inv)), inv, as_of)
    _finish(st, inv, result, fmt, output, textfile, threshold)


def write_textfile(st: State, path: Path, inv: Inventory, result: AuditResult) -> None:
    """The audit's metrics in node_exporter textfile format, written atomically."""
    registry = build_registry(SiteState(inventory=inv, audit=AuditView(result, time.time())),
                              collectors=[AuditCollector])
    write_atomic(path, generate_latest(registry))
    st.err.print(st.t("metrics.textfile", path=display_path(path)), highlight=False,
                 markup=False)


def _finish(st: State, inv: Inventory, result: AuditResult, fmt: AuditFormat,
            output: Path | None, textfile: Path | None, threshold: Severity) -> None:
    """Render, write the cron textfile if asked, and exit 1 on findings at the threshold."""
    _render(st, inv, result, fmt, output)
    if textfile is not None:
        write_textfile(st, textfile, inv, result)
    if result.at_or_above(threshold):
        raise typer.Exit(EXIT_FINDINGS)


def _render(st: State, inv: Inventory, result: AuditResult, fmt: AuditFormat,
            output: Path | None) -> None:
    if fmt is AuditFormat.JSON or fmt.value in REPORTERS:
        if fmt is AuditFormat.JSON:
            text = json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n"
        else:
            ctx = ReportContext(site_id=inv.site.id, site_name=inv.site.name,
                                generated=datetime.now(UTC), version=__version__, lang=st.lang,
                                zones=tuple(z.id for z in inv.zones))
            text = REPORTERS[fmt.value].render(result, ctx)
        st.emit(text, output)
        return
    t = st.t
    if result.reach:
        st.out.print(f"[bold]{escape(t('html.reach'))}[/]")
        for r in result.reach:
            st.out.print(f"  {escape(str(r))}", highlight=False, soft_wrap=True)
        st.out.print()
    if result.findings:
        st.out.print(f"[bold]{escape(t('audit.findings', count=len(result.findings)))}[/]")
        for f in result.findings:
            style = SEVERITY_STYLE[f.severity]
            st.out.print(f"\n[{style}]{escape(t(f'sev.{f.severity.label}'))}[/]  "
                         f"[bold]{escape(f.title)}[/]  {escape(f.origin)}", highlight=False,
                         soft_wrap=True)
            st.out.print(f"    {escape(f.evidence)}", highlight=False, soft_wrap=True)
            if f.unproven:
                st.out.print(f"    [yellow]{escape(t('audit.unproven', why=f.unproven))}[/]",
                             highlight=False, soft_wrap=True)
            st.out.print(f"    → {escape(f.remediation)}  [dim]{escape(f.id)}[/]",
                         highlight=False, soft_wrap=True)
    else:
        st.out.print(t("audit.clean", checks=len(result.checks)), highlight=False)
    if result.waived:
        st.out.print(t("audit.waived", count=len(result.waived)), highlight=False, markup=False)
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items())
    st.out.print(t("audit.summary", counts=counts), highlight=False, markup=False)


PolicyOpt = Annotated[Path, typer.Option(
    "--policy", help="policy folder (firewall*.yaml)", envvar="EGOVOPS_POLICY_DIR")]


ConfigDirOpt = Annotated[Path | None, typer.Option(
    "--config-dir", help="take each device's configuration by file name from this folder "
    "(audit candidate configurations before deploying them)")]


StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="all or nothing: any configuration construct egovops cannot model, and "
    "any unreadable configuration, is an error (exit 2, every construct listed) instead of a "
    "parse-unsupported or config-unreadable finding; for CI of candidate configurations")]


SnapshotOpt = Annotated[Path | None, typer.Option(
    "--snapshot", "-s", help="audit the rulesets collected by `egovops collect` in this "
    "snapshot folder (or the newest snapshot of the site in this parent folder) instead of "
    "the saved config: files")]


def _snapshot(st: State, inv: Inventory, snapshot: Path | None,
              config_dir: Path | None) -> Snapshot | None:
    """The snapshot to audit (a snapshot folder, or the site's newest in a parent folder)."""
    if snapshot is None:
        return None
    if config_dir is not None:
        raise UsageError("--snapshot and --config-dir exclude each other: audit either what "
                         "was collected or the candidate files")
    snap = Snapshot(newest_snapshot(snapshot, inv.site.id))
    when = str(snap.manifest.get("finished") or snap.manifest.get("started") or "?")
    st.err.print(st.t("audit.snapshot", path=display_path(snap.path), when=when),
                 highlight=False, markup=False)
    return snap


@app.command()
def firewall(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory")],
    policy: PolicyOpt = Path("policies"),
    config_dir: ConfigDirOpt = None,
    snapshot: SnapshotOpt = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = AuditFormat.TABLE,
    fail_on: FailOnOpt = "high",
    output: OutputOpt = None,
    textfile: TextfileOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Audit every device's saved ruleset (devices with `config:`), or with --snapshot the
    rulesets collected from the devices, against the policy: default deny, over-broad rules,
    risky services from untrusted zones, management plane, logging, required and undeclared
    flows, and rule anomalies."""
    st = state()
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    snap = _snapshot(st, inv, snapshot, config_dir)
    result = _waive(audit_firewall(inv, policy, config_dir, snap, strict), inv, as_of)
    _finish(st, inv, result, fmt, output, textfile, threshold)


@app.command("all")
def all_checks(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory")],
    policy: PolicyOpt = Path("policies"),
    config_dir: ConfigDirOpt = None,
    snapshot: SnapshotOpt = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = AuditFormat.TABLE,
    fail_on: FailOnOpt = "high",
    output: OutputOpt = None,
    textfile: TextfileOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Isolation and firewall audits together, in one report."""
    st = state()
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    snap = _snapshot(st, inv, snapshot, config_dir)
    result = _waive(audit_site(inv, policy, config_dir, snap, strict), inv, as_of)
    _finish(st, inv, result, fmt, output, textfile, threshold)
