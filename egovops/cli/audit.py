"""``egovops audit …``: prove isolation (and, as it lands, firewall policy) and report findings.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from egovops.audit import ISOLATION_CHECKS, run_checks
from egovops.audit.base import AuditContext
from egovops.cli.errors import EXIT_FINDINGS
from egovops.cli.state import OutputFormat, State, state
from egovops.errors import UsageError
from egovops.load import load_inventory
from egovops.model.findings import AuditResult, Severity
from egovops.report import result_json

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
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
    fail_on: Annotated[str, typer.Option(help="exit 1 when a finding is at least this severe "
                                         "(info, low, medium, high, critical)")] = "high",
) -> None:
    """Prove physical isolation of the inner network and that every path to the internet
    crosses a declared gateway (from the inventory)."""
    st = state()
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    result = run_checks(ISOLATION_CHECKS, AuditContext(inventory=inv))
    _render(st, result, fmt)
    if result.at_or_above(threshold):
        raise typer.Exit(EXIT_FINDINGS)


def _render(st: State, result: AuditResult, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        st.print_json(result_json(result))
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
