"""``egovops collect PATH``: collect facts from the devices into a timestamped snapshot.

Exit 0 when every selected device was collected, 3 when some failed (a table says which and
why; the snapshot holds the others), 2 on bad input.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from egovops.cli.errors import EXIT_PARTIAL
from egovops.cli.state import OutputFormat, state
from egovops.collect.base import Timeouts
from egovops.collect.runner import DeviceResult, RunOptions, collect_devices
from egovops.collect.select import select_devices
from egovops.collect.snapshot import write_snapshot
from egovops.errors import display_path
from egovops.load import load_inventory


def collect(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory",
                                         show_default=False)],
    limit: Annotated[list[str] | None, typer.Option(
        "--limit", "-l", help="only devices matching KEY=VALUE[,KEY=VALUE] (zone, tier, node, "
        "role, platform, id, tag, unit); repeat for OR")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=512,
                                         help="devices collected at once")] = 16,
    snapshot_dir: Annotated[Path, typer.Option(
        "--snapshot-dir", "-d", help="parent folder of the snapshot",
        envvar="EGOVOPS_SNAPSHOT_DIR")] = Path("snapshots"),
    connect_timeout: Annotated[float, typer.Option(
        help="seconds for TCP connect, SSH banner and login, each", min=0.1)] = 10.0,
    command_timeout: Annotated[float, typer.Option(help="seconds per command",
                                                   min=0.1)] = 30.0,
    retries: Annotated[int, typer.Option(help="retries after transient errors",
                                         min=0)] = 2,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
) -> None:
    """Collect facts, interfaces, LLDP neighbours, ARP and configs (napalm / netmiko / Linux)
    from the devices, concurrently, into a timestamped snapshot (exit 3 if some failed)."""
    st = state()
    inv = load_inventory(path)
    devices = select_devices(inv, limit or [])
    options = RunOptions(workers=workers, retries=retries,
                         timeouts=Timeouts(connect=connect_timeout, command=command_timeout))
    show_progress = fmt is OutputFormat.TABLE and st.err.is_terminal
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=st.err, disable=not show_progress,
                  transient=True) as bar:
        task = bar.add_task(st.t("collect.progress"), total=len(devices))

        def advance(_result: DeviceResult) -> None:
            bar.advance(task)

        run = collect_devices(devices, site=inv.site.id, root=Path(inv.root),
                              environ=os.environ, options=options, progress=advance)
    folder = write_snapshot(run, snapshot_dir)
    failed = run.failed
    if fmt is OutputFormat.JSON:
        st.print_json({
            "snapshot": str(folder),
            "devices": len(run.results),
            "ok": len(run.results) - len(failed),
            "failed": [{"device": r.device, "kind": r.error_kind, "error": r.error,
                        "collector": r.collector, "seconds": round(r.seconds, 3)}
                       for r in failed],
        })
    else:
        t = st.t
        if failed:
            table = Table(title=t("collect.failed", count=len(failed)), title_justify="left")
            for col in ("collect.device", "collect.kind", "collect.error"):
                table.add_column(t(col), overflow="fold")
            for r in failed:
                table.add_row(r.device, t(f"collect.kind.{r.error_kind}")
                              if t.has(f"collect.kind.{r.error_kind}") else r.error_kind,
                              escape(r.error))
            st.out.print(table)
        st.out.print(t("collect.summary", ok=len(run.results) - len(failed),
                       total=len(run.results), path=display_path(folder)),
                     highlight=False, markup=False)
    if failed:
        raise typer.Exit(EXIT_PARTIAL)
