"""``egovops config history|diff``: the configuration history kept by ``backup-configs``.

Read-only. Exit 0, or 2 when there is no history, no such device or revision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from egovops.cli.playbook import default_dir
from egovops.cli.state import OutputFormat, state
from egovops.errors import InputError
from egovops.load import load_inventory
from egovops.model.inventory import Device, Inventory
from egovops.playbooks.history import config_diff, history_repo, revisions
from egovops.playbooks.inventory import backup_file

app = typer.Typer(help="Configuration history (git per site, written by the backup-configs "
                  "playbook).", no_args_is_help=True)

BackupDirOpt = Annotated[Path | None, typer.Option(
    help="configuration history, one git repository per site (default <state dir>/backups)",
    envvar="EGOVOPS_BACKUP_DIR")]


def _device(inv: Inventory, device: str) -> Device:
    found = inv.device_by_id.get(device)
    if found is None:
        raise InputError(f"no device {device!r} in site {inv.site.id}")
    return found


@app.command()
def history(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory",
                                         show_default=False)],
    device: Annotated[str, typer.Argument(help="device id", show_default=False)],
    backup_dir: BackupDirOpt = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
) -> None:
    """Every revision of one device's configuration, newest first."""
    st = state()
    inv = load_inventory(path)
    dev = _device(inv, device)
    repo = history_repo(backup_dir or default_dir("backups"), inv.site.id)
    revs = revisions(repo, dev)
    if fmt is OutputFormat.JSON:
        st.print_json({"site": inv.site.id, "device": dev.id, "file": backup_file(dev),
                       "repository": str(repo),
                       "revisions": [{"commit": r.commit, "date": r.date, "message": r.message,
                                      "added": r.lines_added, "removed": r.lines_removed}
                                     for r in revs]})
        return
    t = st.t
    table = Table(title=t("config.history.title", device=dev.id, count=len(revs)),
                  title_justify="left")
    for col in ("config.col.commit", "config.col.date", "config.col.lines",
                "config.col.message"):
        table.add_column(t(col), overflow="fold")
    for r in revs:
        table.add_row(r.commit[:12], r.date, f"+{r.lines_added} -{r.lines_removed}", r.message)
    st.out.print(table)


@app.command()
def diff(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory",
                                         show_default=False)],
    device: Annotated[str, typer.Argument(help="device id", show_default=False)],
    old: Annotated[str | None, typer.Argument(help="older revision (default: the one before "
                                              "the newest)")] = None,
    new: Annotated[str | None, typer.Argument(help="newer revision (default: the "
                                              "newest)")] = None,
    backup_dir: BackupDirOpt = None,
) -> None:
    """Unified diff of one device's configuration between two revisions (git revisions: a
    commit id or prefix, HEAD~1 …)."""
    st = state()
    inv = load_inventory(path)
    dev = _device(inv, device)
    repo = history_repo(backup_dir or default_dir("backups"), inv.site.id)
    text = config_diff(repo, dev, old, new)
    if not text:
        st.err.print(st.t("config.diff.none", device=dev.id), highlight=False, markup=False)
        return
    st.emit(text, None)
