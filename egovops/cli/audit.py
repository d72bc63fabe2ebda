"""``egovops audit …``: prove isolation (and, as it lands, firewall policy) and report findings.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from egovops import __version__
from egovops.audit import ISOLATION_CHECKS, run_checks
from egovops.audit.base import AuditContext
from egovops.cli.errors import EXIT_FINDINGS
from egovops.cli.state import State, state
from egovops.errors import UsageError, display_path
from egovops.fsio import write_atomic
from egovops.load import load_inventory
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


@app.command()
def isolation(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory")],
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f", help="output format",
                                             case_sensitive=False)] = AuditFormat.TABLE,
    fail_on: Annotated[str, typer.Option(help="exit 1 when a finding is at least this severe "
                                         "(info, low, medium, high, critical)")] = "high",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the report to "
                                                "this file (atomically)")] = None,
) -> None:
    """Prove physical isolation of the inner network and that every path to the internet
    crosses a declared gateway (from the inventory)."""
    st = state()
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    result = run_checks(ISOLATION_CHECKS, AuditContext(inventory=inv))
    _render(st, inv, result, fmt, output)
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
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomic(output, text)
            st.err.print(st.t("written", path=display_path(output)), highlight=False,
                         markup=False)
        return
    t = st.t
    if result.findings:
        table = Table(title=t("audit.findings", count=len(result.findings)),
                      title_justify="left")
        for col in ("severity", "check", "title", "source"):
            table.add_column(t(f"col.{col}"), overflow="fold")
        for f in result.findings:
            table.add_row(f"[{SEVERITY_STYLE[f.severity]}]{f.severity.label}[/]", f.check,
                          escape(f"{f.title}\n{f.evidence}"), escape(f.origin))
        st.out.print(table)
    else:
        st.out.print(t("audit.clean", checks=len(result.checks)), highlight=False)
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items())
    st.out.print(t("audit.summary", counts=counts), highlight=False, markup=False)
