"""``egovops audit probe PATH --lab | --from DEVICE``: active probes against the static proof.

Thin boundary: load the inventory, rulesets and policy, plan (:mod:`egovops.audit.probe`),
send (:mod:`egovops.audit.probe_lab` or :mod:`egovops.audit.probe_ssh`), render. Exit codes:
0 every probe agrees, 1 disagreements at or above ``--fail-on``, 2 bad input or the lab is not
up, 3 some probes (or the vantage host) could not be used.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from egovops.audit.engine import apply_waivers
from egovops.audit.firewall import load_gateway_rulesets, zone_reach
from egovops.audit.probe import Probe, ProbePlan, plan_probes
from egovops.audit.probe_run import (
    Agreement,
    ProbeRun,
    ProbeSender,
    VantageError,
    run_probes,
)
from egovops.cli.audit import (
    AuditFormat,
    ConfigDirOpt,
    FailOnOpt,
    FormatOpt,
    OutputOpt,
    PolicyOpt,
    _fail_on,
    _render,
)
from egovops.cli.errors import EXIT_FINDINGS, EXIT_PARTIAL
from egovops.cli.state import State, state
from egovops.errors import UsageError
from egovops.load import load_inventory
from egovops.load.policy import load_policy
from egovops.model.inventory import Inventory
from egovops.report import result_json

AGREEMENT_STYLE = {
    Agreement.AGREE: "green",
    Agreement.DISAGREE: "bold red",
    Agreement.UNDECIDED: "yellow",
    Agreement.NOT_RUN: "dim",
}


def probe_json(probe: Probe) -> dict[str, Any]:
    """One planned probe as JSON data."""
    exp = probe.expected
    return {
        "source": {"device": probe.source.device, "address": str(probe.source.address),
                   "zone": probe.source.zone},
        "target": {"device": probe.target.device, "address": str(probe.target.address),
                   "zone": probe.target.zone},
        "service": str(probe.service), "name": probe.service.name, "purpose": probe.purpose,
        "expected": exp.verdict, "reason": exp.reason, "origin": exp.origin,
        "path": list(exp.path),
    }


def run_json(run: ProbeRun) -> dict[str, Any]:
    """Every probe with its observation."""
    return {
        "mode": run.mode, "seconds": round(run.seconds, 3), "counts": run.counts(),
        "probes": [{**probe_json(r.probe), "observed": r.observation.observed.value,
                    "detail": r.observation.detail, "agreement": r.agreement.value}
                   for r in run.results],
    }


def _plan_table(st: State, plan: ProbePlan) -> None:
    t = st.t
    table = Table(title=t("probe.plan", count=len(plan.probes)), title_justify="left")
    for col in ("source", "target", "service", "expected", "why"):
        table.add_column(t(f"probe.col.{col}"), overflow="fold")
    for p in plan.probes:
        table.add_row(escape(str(p.source)), escape(str(p.target)), escape(p.service.label),
                      p.expected.verdict, escape(p.expected.brief))
    st.out.print(table)


def _run_table(st: State, run: ProbeRun) -> None:
    t = st.t
    table = Table(title=t("probe.table", count=len(run.results), mode=run.mode,
                          seconds=f"{run.seconds:.1f}"), title_justify="left")
    for col in ("source", "target", "service", "expected", "observed", "agreement", "why"):
        table.add_column(t(f"probe.col.{col}"), overflow="fold")
    for r in run.results:
        p, style = r.probe, AGREEMENT_STYLE[r.agreement]
        observed = r.observation.observed.value
        table.add_row(escape(str(p.source)), escape(str(p.target)), escape(p.service.label),
                      p.expected.verdict, escape(observed),
                      f"[{style}]{escape(r.agreement.value)}[/]", escape(p.expected.brief))
    st.out.print(table)
    counts = run.counts()
    st.out.print(t("probe.summary", agree=counts["agree"], disagree=counts["disagree"],
                   undecided=counts["undecided"], not_run=counts["not-run"]),
                 highlight=False, markup=False)
    st.out.print()


def _sender(inv: Inventory, lab: bool, vantage: str | None,
            state_dir: Path | None) -> ProbeSender:
    if lab:
        from egovops.audit.probe_lab import LabSender  # noqa: PLC0415 - lab only when asked
        from egovops.lab import plan_lab  # noqa: PLC0415

        return LabSender(plan_lab(inv, state_dir))
    from egovops.audit.probe_ssh import SshSender  # noqa: PLC0415 - paramiko only when asked

    assert vantage is not None
    return SshSender(inv, vantage, os.environ)


def probe_command(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory")],
    lab: Annotated[bool, typer.Option(
        "--lab", help="probe inside the namespace lab of this inventory (`egovops lab up "
        "PATH` first; root)")] = False,
    vantage: Annotated[str | None, typer.Option(
        "--from", help="probe from this device only: over SSH with its inventory credentials "
        "(nc and ping run there), or with --lab inside its namespace")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="print the probe plan and the static verdicts; send nothing")] = False,
    timeout: Annotated[float, typer.Option(
        help="seconds each probe waits for an answer")] = 1.5,
    policy: PolicyOpt = Path("policies"),
    config_dir: ConfigDirOpt = None,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", help="the lab's state folder (as for `egovops lab up`)",
        envvar="EGOVOPS_LAB_DIR")] = None,
    fmt: FormatOpt = AuditFormat.TABLE,
    fail_on: FailOnOpt = "high",
    output: OutputOpt = None,
) -> None:
    """Send TCP/UDP/ICMP probes for the flows the static audit says are blocked or allowed,
    and report where reality and the static proof disagree (findings probe.disagreement)."""
    st = state()
    threshold = _fail_on(fail_on)
    if not (lab or vantage or dry_run):
        raise UsageError("say where to probe from: --lab (the namespace lab of PATH), "
                         "--from DEVICE (a vantage host, over SSH), or --dry-run for the plan")
    inv = load_inventory(path)
    gateways = load_gateway_rulesets(inv, config_dir)
    plan = plan_probes(inv, gateways, load_policy(policy, inv), zone_reach(gateways), vantage)
    if dry_run:
        if fmt is AuditFormat.JSON:
            st.emit(json.dumps({"site": plan.site, "probes": [probe_json(p) for p in plan.probes]},
                               ensure_ascii=False, indent=2) + "\n", output)
        elif fmt is AuditFormat.TABLE and output is None:
            _plan_table(st, plan)
        else:
            raise UsageError("--dry-run prints the plan as a table, or as JSON (--format json, "
                             "also with --output)")
        return
    if not plan.probes:
        where = f" from {vantage}" if vantage else ""
        st.err.print(st.t("probe.empty", where=where), highlight=False, markup=False)
        return
    sender = _sender(inv, lab, vantage, state_dir)
    try:
        run = run_probes(plan, sender, timeout)
    except VantageError as exc:
        st.err.print(f"{st.t('error')}: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_PARTIAL) from None
    result = apply_waivers(run.audit_result(), inv.waivers, datetime.now(UTC).date())
    if fmt is AuditFormat.JSON:
        text = json.dumps({**result_json(result, st.lang), **run_json(run)}, ensure_ascii=False,
                          indent=2) + "\n"
        st.emit(text, output)
    else:
        if fmt is AuditFormat.TABLE:
            _run_table(st, run)
        _render(st, inv, result, fmt, output)
    if run.not_run:
        first = run.not_run[0]
        st.err.print(st.t("probe.not_run", count=len(run.not_run),
                          first=f"{first.probe.key}: {first.observation.detail}"),
                     highlight=False, markup=False)
    if result.at_or_above(threshold):
        raise typer.Exit(EXIT_FINDINGS)
    if run.not_run:
        raise typer.Exit(EXIT_PARTIAL)
