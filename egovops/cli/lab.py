"""``egovops lab up|down|status PATH``: the namespace lab generated from an inventory (root).

Thin boundary: load the inventory, plan, call :mod:`egovops.lab`, render. ``status`` exits 3
when some nodes are not running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from egovops.cli.errors import EXIT_PARTIAL
from egovops.cli.state import OutputFormat, state
from egovops.errors import display_path
from egovops.lab import lab_down, lab_status, lab_up, plan_lab
from egovops.lab.plan import NS_PREFIX
from egovops.load import load_inventory

app = typer.Typer(help="Lab: a small government network of Linux network namespaces, built "
                  "from an inventory (needs root).", no_args_is_help=True)

PathArg = Annotated[Path, typer.Argument(help="site folder of the lab inventory",
                                         show_default=False)]
StateOpt = Annotated[Path | None, typer.Option(
    "--state-dir", help="where the lab keeps keys, configs and its state file "
    "(default: .lab/ in the site folder)", envvar="EGOVOPS_LAB_DIR")]


@app.command()
def up(path: PathArg, state_dir: StateOpt = None) -> None:
    """Build the lab (idempotent: completes a partial lab, keeps what runs)."""
    st = state()
    plan = plan_lab(load_inventory(path), state_dir)
    status = lab_up(plan)
    st.out.print(st.t("lab.up", site=plan.site, nodes=len(plan.nodes), links=len(plan.veths),
                      seconds=f"{status.seconds:.1f}"), highlight=False, markup=False)
    st.out.print(st.t("lab.ssh_config", path=display_path(plan.state_dir / "ssh_config")),
                 highlight=False, markup=False)
    if plan.skipped:
        st.out.print(st.t("lab.skipped", devices=", ".join(plan.skipped)), highlight=False,
                     markup=False)


@app.command()
def down(
    path: PathArg,
    state_dir: StateOpt = None,
    site: Annotated[str | None, typer.Option(
        help="site id, when the inventory no longer loads")] = None,
) -> None:
    """Remove the lab: every namespace named egv-<site>-…, its processes and the state folder
    (also after a crash)."""
    st = state()
    folder = state_dir
    if site is None:
        plan = plan_lab(load_inventory(path), state_dir)
        site, folder = plan.site, plan.state_dir
    elif folder is None:
        folder = path / ".lab"
    removed = lab_down(site, folder)
    st.out.print(st.t("lab.down", site=site, count=len(removed), prefix=f"{NS_PREFIX}{site}-"),
                 highlight=False, markup=False)


@app.command()
def status(
    path: PathArg,
    state_dir: StateOpt = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
) -> None:
    """Which lab nodes exist and run sshd and lldpd (exit 3 when some do not)."""
    st = state()
    plan = plan_lab(load_inventory(path), state_dir)
    result = lab_status(plan)
    if fmt is OutputFormat.JSON:
        st.print_json({
            "site": result.site, "up": result.up, "state_dir": str(result.state_dir),
            "leftovers": list(result.leftovers),
            "nodes": [vars(n) for n in result.nodes],
        })
    else:
        t = st.t
        table = Table(title=t("lab.status", site=result.site), title_justify="left")
        for col in ("id", "mgmt", "lab.ns", "lab.sshd", "lab.lldpd"):
            table.add_column(t(col if col.startswith("lab.") else f"col.{col}"))
        for n in result.nodes:
            table.add_row(n.device, n.mgmt, n.ns if n.exists else "-",
                          t("yes") if n.sshd else (t("lab.tarpit") if n.tarpit else t("no")),
                          t("yes") if n.lldpd else t("no"))
        st.out.print(table)
        if result.leftovers:
            st.out.print(t("lab.leftovers", names=", ".join(result.leftovers)),
                         highlight=False, markup=False)
    if not result.up:
        raise typer.Exit(EXIT_PARTIAL)
