"""The configuration history ``backup-configs`` keeps: one git repository per site, one file
per device, one commit per run that changed something.

Read-only here: revisions of one device's file, its text at a revision, the diff between two,
and every gateway's file of one revision laid out for the firewall audit (``--revision``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from egovops.errors import InputError, ToolMissingError
from egovops.fsio import write_atomic
from egovops.model.inventory import Device, Inventory
from egovops.playbooks.inventory import backup_file


@dataclass(frozen=True)
class Revision:
    """One commit that touched a device's file."""

    commit: str
    date: str
    """ISO 8601, the commit's author date"""
    message: str
    lines_added: int
    lines_removed: int


def history_repo(backup_dir: Path, site: str) -> Path:
    """The site's repository; :class:`InputError` when ``backup-configs`` never ran."""
    repo = backup_dir / site
    if not (repo / ".git").is_dir():
        raise InputError(f"no configuration history in {repo}: run "
                         f"`egovops playbook run backup-configs SITE --backup-dir {backup_dir}`")
    return repo


def _git(repo: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise ToolMissingError("git (Debian package git)")
    proc = subprocess.run([git, "-C", str(repo), *args], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise InputError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def revisions(repo: Path, device: Device) -> list[Revision]:
    """Every revision of ``device``'s file, newest first."""
    out = _git(repo, "log", "--format=%x1e%H%x1f%aI%x1f%s", "--numstat", "--",
               backup_file(device))
    found = []
    for record in out.split("\x1e")[1:]:
        head, _, stat = record.partition("\n")
        commit, date, message = head.split("\x1f", 2)
        added = removed = 0
        for line in stat.strip().splitlines():
            a, r, _name = line.split("\t", 2)
            added += int(a) if a.isdigit() else 0
            removed += int(r) if r.isdigit() else 0
        found.append(Revision(commit, date, message, added, removed))
    return found


def resolve_revision(repo: Path, rev: str) -> str:
    """The full commit id of ``rev`` (any git revision: id, prefix, ``HEAD~2``…)."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except InputError:
        raise InputError(f"no revision {rev!r} in {repo}") from None


def config_at(repo: Path, device: Device, rev: str) -> str:
    """``device``'s configuration at ``rev``."""
    commit = resolve_revision(repo, rev)
    try:
        return _git(repo, "show", f"{commit}:{backup_file(device)}")
    except InputError:
        raise InputError(f"revision {rev} holds no configuration of {device.id}") from None


def config_diff(repo: Path, device: Device, old: str | None = None,
                new: str | None = None) -> str:
    """Unified diff of ``device``'s file: ``old`` → ``new`` (default: its two newest revisions;
    with only ``old``, ``old`` → its newest)."""
    revs = revisions(repo, device)
    if not revs:
        raise InputError(f"no revision of {device.id} in {repo}")
    if old is None:
        if len(revs) < 2:
            return ""
        old, new = revs[1].commit, revs[0].commit
    new = new or revs[0].commit
    return _git(repo, "diff", resolve_revision(repo, old), resolve_revision(repo, new), "--",
                backup_file(device))


def checkout_configs(repo: Path, inv: Inventory, rev: str, target: Path) -> Path:
    """Every device with a ``config:`` as it was at ``rev``, written into ``target`` under the
    name ``config:`` gives (what ``audit firewall --config-dir`` reads). A device missing from
    the revision is left out, so the audit reports it unreadable (fail closed)."""
    commit = resolve_revision(repo, rev)
    for device in inv.devices:
        if device.config is None:
            continue
        try:
            text = _git(repo, "show", f"{commit}:{backup_file(device)}")
        except InputError:
            continue
        write_atomic(target / Path(device.config).name, text)
    return target
