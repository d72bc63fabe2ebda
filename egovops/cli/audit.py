"""``egovops audit …``: prove isolation (and, as it lands, firewall policy) and report findings.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 bad input.
"""

from __future__ import annotations

import json
import tempfile
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
from egovops.audit.clauses import STANDARD, clause_table
from egovops.audit.engine import apply_waivers, audit_firewall, audit_mlps, audit_site
from egovops.audit.mlps import ClauseState, worksheet
from egovops.audit.registry import localize, registry
from egovops.cli.errors import EXIT_FINDINGS
from egovops.cli.state import State, state
from egovops.collect.snapshot import Snapshot, newest_snapshot
from egovops.errors import UsageError, display_path
from egovops.fsio import write_atomic
from egovops.load import load_inventory
from egovops.load.policy import load_policy
from egovops.metrics.collectors import AuditCollector, build_registry
from egovops.metrics.state import AuditView, SiteState
from egovops.model.findings import AuditResult, Severity
from egovops.model.inventory import Inventory
from egovops.report import REPORTERS, ReportContext, result_json
from egovops.report.mlps import state_label, worksheet_csv, worksheet_html, worksheet_json


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
            text = json.dumps(result_json(result, st.lang), ensure_ascii=False, indent=2) + "\n"
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
            loc = localize(f, st.lang)
            st.out.print(f"\n[{style}]{escape(t(f'sev.{f.severity.label}'))}[/]  "
                         f"[bold]{escape(loc.title)}[/]  {escape(f.origin)}", highlight=False,
                         soft_wrap=True)
            st.out.print(f"    {escape(loc.evidence)}", highlight=False, soft_wrap=True)
            if f.unproven:
                st.out.print(f"    [yellow]{escape(t('audit.unproven', why=f.unproven))}[/]",
                             highlight=False, soft_wrap=True)
            st.out.print(f"    → {escape(loc.remediation)}  [dim]{escape(f.id)}[/]",
                         highlight=False, soft_wrap=True)
    else:
        st.out.print(t("audit.clean", checks=len(result.checks)), highlight=False)
    if result.waived:
        st.out.print(t("audit.waived", count=len(result.waived)), highlight=False, markup=False)
    counts = ", ".join(f"{t(f'sev.{k}')}: {v}" for k, v in result.counts().items())
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
    revision: Annotated[str | None, typer.Option(
        "--revision", help="audit the configurations of this revision of the history kept by "
        "the backup-configs playbook (commit id, HEAD~1 …)")] = None,
    backup_dir: Annotated[Path | None, typer.Option(
        help="with --revision: the configuration history (default <state dir>/backups)",
        envvar="EGOVOPS_BACKUP_DIR")] = None,
) -> None:
    """Audit every device's saved ruleset (devices with `config:`), or with --snapshot the
    rulesets collected from the devices, or with --revision a revision of the configuration
    history, against the policy: default deny, over-broad rules, risky services from
    untrusted zones, management plane, logging, required and undeclared flows, and rule
    anomalies."""
    st = state()
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    with tempfile.TemporaryDirectory(prefix="egovops-rev-") as scratch:
        if revision is not None:
            config_dir = _revision_configs(st, inv, revision, backup_dir, config_dir, snapshot,
                                           Path(scratch))
        snap = _snapshot(st, inv, snapshot, config_dir)
        result = _waive(audit_firewall(inv, policy, config_dir, snap, strict), inv, as_of)
    _finish(st, inv, result, fmt, output, textfile, threshold)


def _revision_configs(st: State, inv: Inventory, revision: str, backup_dir: Path | None,
                      config_dir: Path | None, snapshot: Path | None, scratch: Path) -> Path:
    """The gateways' files of ``revision`` of the configuration history, laid out in
    ``scratch`` for ``--config-dir``."""
    from egovops.cli.playbook import default_dir  # noqa: PLC0415 - ansible only when needed
    from egovops.playbooks.history import checkout_configs, history_repo  # noqa: PLC0415

    if config_dir is not None or snapshot is not None:
        raise UsageError("--revision excludes --config-dir and --snapshot")
    repo = history_repo(backup_dir or default_dir("backups"), inv.site.id)
    st.err.print(st.t("audit.revision", rev=revision, path=display_path(repo)),
                 highlight=False, markup=False)
    return checkout_configs(repo, inv, revision, scratch)


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


class MlpsFormat(StrEnum):
    """Output formats of ``audit mlps``."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    HTML = "html"


MLPS_STYLE = {
    ClauseState.PASS: "green",
    ClauseState.PARTIAL: "yellow",
    ClauseState.FAIL: "bold red",
    ClauseState.NOT_APPLICABLE: "dim",
    ClauseState.MANUAL: "cyan",
}


@app.command()
def mlps(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory")],
    policy: PolicyOpt = Path("policies"),
    config_dir: ConfigDirOpt = None,
    snapshot: SnapshotOpt = None,
    fmt: Annotated[MlpsFormat, typer.Option("--format", "-f", help="output format",
                                            case_sensitive=False)] = MlpsFormat.TABLE,
    output: OutputOpt = None,
    as_of: AsOfOpt = None,
    fail_on_clause: Annotated[bool, typer.Option(
        "--fail", help="exit 1 when a clause is non-compliant (不符合)")] = False,
) -> None:
    """MLPS 2.0 (等保2.0, GB/T 22239-2019) level-3 worksheet: every network clause of
    8.1.2-8.1.5 with the checks that evidence it, the site's result and the findings behind
    it."""
    st = state()
    inv = load_inventory(path)
    snap = _snapshot(st, inv, snapshot, config_dir)
    result = _waive(audit_mlps(inv, policy, config_dir, snap), inv, as_of)
    overrides = load_policy(policy, inv).mlps
    reg = registry()
    sheet = worksheet(result, clause_table(), reg, overrides)
    lang = st.lang
    if fmt is MlpsFormat.JSON:
        st.emit(json.dumps(worksheet_json(sheet, reg, lang), ensure_ascii=False, indent=2)
                + "\n", output)
    elif fmt is MlpsFormat.CSV:
        st.emit(worksheet_csv(sheet, lang), output)
    elif fmt is MlpsFormat.HTML:
        ctx = ReportContext(site_id=inv.site.id, site_name=inv.site.name,
                            generated=datetime.now(UTC), version=__version__, lang=lang)
        st.emit(worksheet_html(sheet, reg, ctx), output)
    else:
        t = st.t
        st.out.print(f"[bold]{escape(t('mlps.table', standard=STANDARD))}[/]")
        section = ""
        for row in sheet.rows:
            if row.clause.section != section:
                section = row.clause.section
                st.out.print(f"\n[bold]{escape(section)} "
                             f"{escape(row.clause.section_title[lang])}[/]")
            st.out.print(f"  {escape(row.clause.id):<12} "
                         f"[{MLPS_STYLE[row.state]}]{escape(state_label(row.state, lang))}[/]  "
                         f"{escape(row.clause.control_title[lang])}  "
                         f"[dim]{escape(' '.join(row.checks) or '—')}[/]", highlight=False,
                         soft_wrap=True)
            for f in row.findings[:3]:
                st.out.print(f"      · {escape(localize(f, lang).title)}", highlight=False,
                             soft_wrap=True)
            if len(row.findings) > 3:
                st.out.print(f"      {escape(t('more', count=len(row.findings) - 3))}",
                             highlight=False)
            if row.state is ClauseState.MANUAL or row.state is ClauseState.PASS:
                st.out.print(f"      [dim]{escape(t('audit.also_check'))}: "
                             f"{escape(row.clause.manual[lang])}[/]", highlight=False,
                             soft_wrap=True)
        counts = ", ".join(f"{state_label(ClauseState(k), lang)}: {v}"
                           for k, v in sheet.counts().items())
        st.out.print()
        st.out.print(t("mlps.summary", covered=sheet.covered, total=len(sheet.rows)),
                     highlight=False, markup=False)
        st.out.print(t("mlps.counts", counts=counts), highlight=False, markup=False)
    if fail_on_clause and any(r.state is ClauseState.FAIL for r in sheet.rows):
        raise typer.Exit(EXIT_FINDINGS)
