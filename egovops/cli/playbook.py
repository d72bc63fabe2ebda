"""``egovops playbook list|run``: the shipped playbooks, run through ansible-runner against the
inventory generated from the model.

Exit codes of ``run``: 0 every host ok, 1 a change was refused by its post-check (and rolled
back), 2 bad input, 3 some hosts failed or were unreachable while the others finished, 130
cancelled (Ctrl-C / SIGTERM; the summary says which hosts were done).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from egovops.cli.state import OutputFormat, State, state
from egovops.daemon.config import DaemonConfig
from egovops.errors import UsageError, display_path
from egovops.load import load_inventory
from egovops.playbooks import (
    HostResult,
    HostStatus,
    PlaybookRun,
    RunOptions,
    find_playbook,
    list_playbooks,
    run_playbook,
)

app = typer.Typer(help="Ansible playbooks run through ansible-runner (inventory from the model).",
                  no_args_is_help=True)

STATUS_STYLE = {
    HostStatus.OK: "green", HostStatus.CHANGED: "yellow", HostStatus.FAILED: "red",
    HostStatus.UNREACHABLE: "red", HostStatus.REFUSED: "bold red", HostStatus.HOSTKEY: "bold red",
    HostStatus.CREDENTIALS: "red", HostStatus.PENDING: "dim",
}


def default_dir(name: str) -> Path:
    """``<daemon state directory>/<name>`` (``$STATE_DIRECTORY`` or ``./egovops-state``)."""
    return DaemonConfig().state_path() / name


@app.command("list")
def list_command(
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
) -> None:
    """The shipped playbooks: name, what it does, which groups it targets, whether it changes
    anything."""
    st = state()
    books = list_playbooks()
    if fmt is OutputFormat.JSON:
        st.print_json([{"name": b.name, "description": b.description, "targets": b.targets,
                        "hosts": list(b.patterns), "changes": b.changes} for b in books])
        return
    t = st.t
    table = Table(title=t("playbook.list.title", count=len(books)), title_justify="left")
    for col in ("playbook.col.name", "playbook.col.description", "playbook.col.targets",
                "playbook.col.changes"):
        table.add_column(t(col), overflow="fold")
    for b in books:
        table.add_row(b.name, escape(b.description), escape(b.targets),
                      t("yes") if b.changes else t("no"))
    st.out.print(table)


def _extra_vars(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    bad = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            bad.append(pair)
        else:
            out[key.strip()] = value
    if bad:
        raise UsageError(f"--extra-vars takes KEY=VALUE: {', '.join(map(repr, bad))}")
    return out


@contextmanager
def _cancel_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM for the duration of the run."""
    stop = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def _live_table(st: State, hosts: dict[str, tuple[HostResult, str]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    for host, (result, task) in hosts.items():
        status = result.status
        table.add_row(host, f"[{STATUS_STYLE[status]}]{st.t(f'playbook.status.{status.value}')}"
                      "[/]", escape(task))
    return table


def _summary(st: State, run: PlaybookRun) -> None:
    t = st.t
    for host, r in run.hosts.items():
        for text in r.diffs:
            st.out.print(f"[bold]{escape(host)}[/]")
            st.out.print(escape(text), highlight=False, soft_wrap=True)
    table = Table(title=t("playbook.summary.title", name=run.playbook, site=run.site,
                          seconds=f"{run.seconds:.1f}"), title_justify="left")
    for col in ("playbook.col.host", "playbook.col.status", "playbook.col.ok",
                "playbook.col.changed", "playbook.col.failed", "playbook.col.unreachable",
                "playbook.col.message"):
        table.add_column(t(col), overflow="fold")
    for host, r in run.hosts.items():
        status = r.status
        table.add_row(host, f"[{STATUS_STYLE[status]}]{t(f'playbook.status.{status.value}')}[/]",
                      str(r.ok), str(r.changed), str(r.failed), str(r.unreachable),
                      escape(r.message.splitlines()[-1] if r.message else ""))
    st.out.print(table)
    counts = {s: sum(1 for r in run.hosts.values() if r.status is s) for s in HostStatus}
    st.out.print(t("playbook.summary.counts", **{s.value: n for s, n in counts.items()}),
                 highlight=False, markup=False)
    for task, outcome in run.site_tasks.items():
        st.out.print(t("playbook.site_task", task=task, outcome=outcome), highlight=False,
                     markup=False)
    if run.canceled:
        st.out.print(t("playbook.canceled"), highlight=False, markup=False)
    if run.check:
        st.out.print(t("playbook.check"), highlight=False, markup=False)
    st.err.print(t("playbook.artifacts", path=display_path(run.artifacts)), highlight=False,
                 markup=False)


@app.command("run")
def run_command(
    name: Annotated[str, typer.Argument(help="playbook name (see `egovops playbook list`) or "
                                        "path of a playbook file", show_default=False)],
    path: Annotated[Path, typer.Argument(help="site folder of the inventory",
                                         show_default=False)],
    limit: Annotated[str | None, typer.Option(
        "--limit", "-l", help="a device id, a group (zone_outer, tier_2, role_firewall, "
        "platform_linux, unit_…) or an Ansible pattern")] = None,
    check: Annotated[bool, typer.Option("--check", help="change nothing; report what "
                                        "would change")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="show the changes (with --check: the "
                                       "changes that would be made)")] = False,
    extra_vars: Annotated[list[str] | None, typer.Option(
        "--extra-vars", "-e", help="KEY=VALUE passed to the playbook (not for secrets: "
        "they are recorded in the artifacts)")] = None,
    artifact_dir: Annotated[Path | None, typer.Option(
        help="ansible-runner artifacts (rotated; default <state dir>/artifacts)")] = None,
    backup_dir: Annotated[Path | None, typer.Option(
        help="configuration history, one git repository per site (default <state "
        "dir>/backups)", envvar="EGOVOPS_BACKUP_DIR")] = None,
    known_hosts: Annotated[Path | None, typer.Option(
        help="known_hosts to check host keys against (default: site.known_hosts, "
        "<site>/known_hosts, or the lab's host keys)")] = None,
    policy: Annotated[Path, typer.Option(help="policy folder (firewall-baseline's "
                                         "post-check)")] = Path("policies"),
    forks: Annotated[int, typer.Option(min=1, max=256, help="hosts run at once")] = 16,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
) -> None:
    """Run a playbook against the site's devices: live per-host progress, then a per-host
    summary (ok / changed / failed / unreachable); exit 3 if some hosts failed."""
    st = state()
    book = find_playbook(name)
    inv = load_inventory(path)
    options = RunOptions(
        artifact_dir=artifact_dir or default_dir("artifacts"),
        backup_dir=backup_dir or default_dir("backups"),
        limit=limit, check=check, diff=diff, extra_vars=_extra_vars(extra_vars or []),
        known_hosts=known_hosts, policy_dir=policy, forks=forks)
    live_hosts: dict[str, tuple[HostResult, str]] = {}
    show = fmt is OutputFormat.TABLE and st.err.is_terminal
    live = Live(_live_table(st, live_hosts), console=st.err, transient=True,
                auto_refresh=False) if show else nullcontext()
    with live as display, _cancel_on_signals() as stop:

        def progress(host: str, result: HostResult, task: str) -> None:
            live_hosts[host] = (result, task)
            if isinstance(display, Live):
                display.update(_live_table(st, live_hosts), refresh=True)

        run = run_playbook(book, inv, options, os.environ, progress, stop.is_set)
    if fmt is OutputFormat.JSON:
        st.print_json({
            "playbook": run.playbook, "site": run.site, "ident": run.ident,
            "status": run.status, "check": run.check, "exit_code": run.exit_code,
            "seconds": round(run.seconds, 3), "artifacts": str(run.artifacts),
            "hosts": {h: r.as_json() for h, r in run.hosts.items()},
            "site_tasks": run.site_tasks,
        })
    else:
        _summary(st, run)
    if run.exit_code:
        raise typer.Exit(run.exit_code)
