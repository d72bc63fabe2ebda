"""Run one playbook through ansible-runner: curated environment, checked host keys, per-host
results, clean cancel.

The flow of one run: a private folder (0700, removed afterwards) holds the generated inventory
(secrets ansible-vault encrypted, see :mod:`egovops.playbooks.inventory`), key files, ansible's
temp and SSH control sockets; artifacts go to ``artifact_dir/<ident>`` and are rotated.

ansible-runner seeds the child's environment with the whole process environment and records it
in ``artifacts/<ident>/command``; a secret exported for egovops (``EGOVOPS_LAB_PASSWORD``…) would
land there. So the runner is built with :func:`ansible_runner.interface.init_runner` (what
``run``/``run_async`` do) and, before it starts, its environment is cut down to what ansible-runner
itself set plus the curated variables below; then it runs in a thread (as ``run_async`` does)
while the caller's thread stays free to handle signals.

Cancel: the ``cancel`` callable is polled four times a second; ansible-runner then kills the
process group of ``ansible-playbook`` (its workers and their ``ssh`` children), and the SSH
control masters (which detach from that group) are told to exit.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from egovops.errors import EgovopsError, InputError
from egovops.model.inventory import Inventory
from egovops.playbooks.catalog import Playbook
from egovops.playbooks.hostkeys import resolve_known_hosts
from egovops.playbooks.inventory import NO_CREDENTIALS, target_hosts, write_run_inventory

REFUSED_MARK = "EGOVOPS-POSTCHECK-REFUSED"
"""A playbook fails a host with a message starting with this when its post-check refused the
change (and rolled it back): the run exits 1."""

SITE_TASK = "site: "
"""A task named ``site: …`` (``run_once``, delegated to the controller: the git commit of
backup-configs) is the site's, not its host's: its outcome is reported apart, and it does not
make the host it happened to run on "changed"."""

HOSTKEY_SIGNS = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED",
                 "No matching host key", "host key is known", "Host key for")
"""What ssh says when a host's key is unknown or changed."""

_PATTERN_CHARS = set("*?:&!,[]~")
CONTROL_DIR_MAX = 60
"""Longest SSH control folder: ansible adds ``/`` and a 40-character hash (``%C``)."""


class PlaybookError(EgovopsError):
    """Raised when ansible-playbook could not run the playbook at all (syntax error, missing
    collection, no ansible-playbook): the message holds the end of its output."""


class HostStatus(StrEnum):
    """Outcome of one host."""

    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    """the post-check refused the change; it was rolled back"""
    HOSTKEY = "hostkey"
    """refused: the host's key is unknown or not the one in known_hosts"""
    CREDENTIALS = "credentials"
    """not run: its credentials cannot be resolved"""
    PENDING = "pending"
    """not finished (the run was cancelled)"""


@dataclass
class HostResult:
    """Counts and outcome of one host (task counts as ansible's recap gives them)."""

    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    refused: bool = False
    hostkey: bool = False
    credentials: bool = False
    done: bool = False
    message: str = ""
    diffs: list[str] = field(default_factory=list)
    """Unified diffs of what changed (or would change, with --check) when run with --diff."""

    @property
    def status(self) -> HostStatus:
        """The one word for this host."""
        if self.credentials:
            return HostStatus.CREDENTIALS
        if self.refused:
            return HostStatus.REFUSED
        if self.hostkey:
            return HostStatus.HOSTKEY
        if self.unreachable:
            return HostStatus.UNREACHABLE
        if self.failed:
            return HostStatus.FAILED
        if not self.done:
            return HostStatus.PENDING
        return HostStatus.CHANGED if self.changed else HostStatus.OK

    def as_json(self) -> dict[str, Any]:
        """The host's entry in ``--format json``."""
        return {"status": self.status.value, "ok": self.ok, "changed": self.changed,
                "failed": self.failed, "unreachable": self.unreachable,
                "skipped": self.skipped, "message": self.message, "diff": "".join(self.diffs)}


@dataclass(frozen=True)
class RunOptions:
    """How to run a playbook."""

    artifact_dir: Path
    backup_dir: Path
    limit: str | None = None
    check: bool = False
    diff: bool = False
    extra_vars: Mapping[str, str] = field(default_factory=dict)
    known_hosts: Path | None = None
    policy_dir: Path | None = None
    forks: int = 16
    rotate_artifacts: int = 20
    private_root: Path | None = None
    """Parent of the run's private folder (default: the system temp folder)."""
    keep_private: bool = False
    """Leave the private folder in place (tests grep it for secrets)."""


@dataclass(frozen=True)
class PlaybookRun:
    """The result of one run."""

    playbook: str
    site: str
    ident: str
    status: str
    """ansible-runner's: successful, failed, canceled, timeout"""
    rc: int
    hosts: dict[str, HostResult]
    artifacts: Path
    private_dir: Path
    seconds: float
    check: bool
    site_tasks: dict[str, str] = field(default_factory=dict)
    """Outcome of each ``site: …`` task (ok, changed, skipped)."""

    @property
    def canceled(self) -> bool:
        """The run was stopped by a signal (Ctrl-C, SIGTERM)."""
        return self.status == "canceled"

    @property
    def exit_code(self) -> int:
        """0 ok, 1 a change refused by its post-check, 3 some hosts failed or unreachable,
        130 cancelled."""
        states = {h.status for h in self.hosts.values()}
        if HostStatus.REFUSED in states:
            return 1
        if self.canceled:
            return 130
        if states & {HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.HOSTKEY,
                     HostStatus.CREDENTIALS, HostStatus.PENDING}:
            return 3
        return 0


Progress = Callable[[str, HostResult, str], None]
"""Called with (host, its result so far, the task just finished) after every host event."""


def ansible_playbook() -> Path:
    """``ansible-playbook`` next to the running interpreter (the console script works without
    an activated venv), else on PATH; raises :class:`PlaybookError` when there is none."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.is_file():
        return beside
    found = shutil.which("ansible-playbook")
    if found is None:
        raise PlaybookError("ansible-playbook not found next to the Python running egovops nor "
                            "on PATH; install egovops with its dependencies (ansible 11)")
    return Path(found)


def curated_env(private: Path, control: Path, binary: Path) -> dict[str, str]:
    """The whole environment of ``ansible-playbook``, apart from what ansible-runner adds."""
    base = os.environ
    path = os.pathsep.join([str(binary.parent), base.get("PATH", "/usr/bin:/bin")])
    env = {
        "PATH": path,
        "HOME": str(private / "home"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_HOME": str(private / "ansible"),
        "ANSIBLE_LOCAL_TEMP": str(private / "tmp"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
        "ANSIBLE_SSH_ARGS": "-C -o ControlMaster=auto -o ControlPersist=30s",
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_INTERPRETER_PYTHON": "auto_silent",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_SYSTEM_WARNINGS": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOG_PATH": "/dev/null",
        "ANSIBLE_TIMEOUT": "10",
    }
    if "TZ" in base:
        env["TZ"] = base["TZ"]
    return env


def _cut_env(runner_env: Mapping[str, str], curated: Mapping[str, str]) -> dict[str, str]:
    """ansible-runner's environment without what it copied from ours (curated keys stay)."""
    ours = os.environ
    return {k: v for k, v in runner_env.items()
            if k in curated or k not in ours or ours[k] != v}


def _stop_control_masters(control_dir: Path) -> None:
    """Tell every SSH control master of the run to exit (they outlive the process group)."""
    if not control_dir.is_dir():
        return
    for sock in control_dir.iterdir():
        subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "egovops-control"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=5, check=False)


def check_limit(limit: str, inv: Inventory, groups: frozenset[str]) -> None:
    """A ``--limit`` that is neither a pattern nor a known device or group is bad input."""
    if set(limit) & _PATTERN_CHARS:
        return
    if limit in inv.device_by_id or limit in groups or limit == "all":
        return
    raise InputError(f"--limit {limit!r}: no such device or group (give a device id, a group "
                     "such as zone_outer or role_firewall, or an Ansible pattern)")


def unified_diffs(diff: Any) -> list[str]:
    """The ``diff`` of a module result (one dict or a list of them) as unified diff texts."""
    out = []
    for item in diff if isinstance(diff, list) else [diff] if diff else []:
        if not isinstance(item, dict):
            continue
        before, after = item.get("before"), item.get("after")
        if isinstance(before, str) and isinstance(after, str) and before != after:
            out.append("".join(difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                str(item.get("before_header", "before")),
                str(item.get("after_header", "after")))))
    return out


class _Events:
    """Folds ansible-runner events into per-host results (called from the runner thread)."""

    def __init__(self, hosts: dict[str, HostResult], progress: Progress | None) -> None:
        self.hosts = hosts
        self.progress = progress
        self.stats_seen = False
        self.lock = threading.Lock()
        self.site_tasks: dict[str, str] = {}
        self._site_counts: dict[str, dict[str, int]] = {}

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_stats":
            with self.lock:
                self._stats(data)
            return True
        host = data.get("host")
        if not host or not kind.startswith("runner_on_") or host not in self.hosts:
            return True
        res = data.get("res") or {}
        stderr = str(res.get("stderr") or "").strip()
        message = ": ".join(part for part in (str(res.get("msg") or "").strip(),
                                              stderr.splitlines()[-1] if stderr else "")
                            if part)
        task = str(data.get("task", ""))
        with self.lock:
            result = self.hosts[host]
            if task.startswith(SITE_TASK) and kind in ("runner_on_ok", "runner_on_skipped"):
                changed = bool(res.get("changed"))
                self.site_tasks[task[len(SITE_TASK):]] = (
                    "skipped" if kind == "runner_on_skipped" else
                    "changed" if changed else "ok")
                counts = self._site_counts.setdefault(host, {"ok": 0, "changed": 0,
                                                             "skipped": 0})
                counts["skipped" if kind == "runner_on_skipped" else "ok"] += 1
                counts["changed"] += changed
                return True
            if kind == "runner_on_ok":
                result.ok += 1
                result.changed += bool(res.get("changed"))
                if res.get("changed"):
                    result.diffs += unified_diffs(res.get("diff"))
            elif kind == "runner_on_skipped":
                result.skipped += 1
            elif kind == "runner_on_failed" and not data.get("ignore_errors"):
                result.failed += 1
                result.message = message
                if message.startswith(REFUSED_MARK):
                    result.refused = True
            elif kind == "runner_on_unreachable":
                result.unreachable += 1
                result.message = message
                if any(sign in message for sign in HOSTKEY_SIGNS):
                    result.hostkey = True
                    result.message = ("host key unknown or not the one in known_hosts: "
                                      f"refused ({message.splitlines()[-1] if message else ''})")
        if self.progress is not None:
            self.progress(host, result, task)
        return True

    def _stats(self, data: Mapping[str, Any]) -> None:
        self.stats_seen = True
        for name, attr in (("ok", "ok"), ("changed", "changed"), ("failures", "failed"),
                           ("dark", "unreachable"), ("skipped", "skipped")):
            for host, count in (data.get(name) or {}).items():
                if host in self.hosts:
                    site = self._site_counts.get(host, {}).get(attr, 0)
                    setattr(self.hosts[host], attr, max(0, int(count) - site))
        for host in data.get("processed") or {}:
            if host in self.hosts:
                self.hosts[host].done = True
        for host, count in (data.get("rescued") or {}).items():
            if host in self.hosts and count and not self.hosts[host].failed:
                self.hosts[host].message = ""


def run_playbook(book: Playbook, inv: Inventory, options: RunOptions,
                 environ: Mapping[str, str], progress: Progress | None = None,
                 cancel: Callable[[], bool] | None = None) -> PlaybookRun:
    """Run ``book`` against ``inv``; per-host failures are results, not exceptions.

    Raises :class:`InputError` for a bad ``--limit`` or no known_hosts, and
    :class:`PlaybookError` when ansible-playbook could not run the playbook at all.
    """
    from ansible_runner.interface import init_runner  # noqa: PLC0415 - heavy, run time only

    start = time.monotonic()
    binary = ansible_playbook()
    root = options.private_root
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="egvpb-", dir=root))  # 0700
    for sub in ("home", "ansible", "tmp", "project"):
        (private / sub).mkdir(mode=0o700)
    control = private / "cp"
    if len(str(control)) > CONTROL_DIR_MAX:  # a socket path has at most 107 bytes
        control = Path(tempfile.mkdtemp(prefix="egvcp-", dir="/tmp"))
    else:
        control.mkdir(mode=0o700)
    try:
        known_hosts = resolve_known_hosts(inv, options.known_hosts, private)
        run_inv = write_run_inventory(inv, private, known_hosts, environ)
        if options.limit:
            check_limit(options.limit, inv, run_inv.groups)
        limit = options.limit
        targets = target_hosts(run_inv.path, book.patterns, limit)
        hosts = {h: HostResult(h, credentials=h in run_inv.skipped,
                               message=run_inv.skipped.get(h, "")) for h in targets}
        if run_inv.skipped:
            limit = f"{limit or 'all'}:!{NO_CREDENTIALS}"
        events = _Events(hosts, progress)
        ident = f"{time.strftime('%Y%m%dT%H%M%S')}-{book.name}-{uuid.uuid4().hex[:6]}"
        options.artifact_dir.mkdir(parents=True, exist_ok=True)
        extravars: dict[str, Any] = {
            "egovops_site": inv.site.id,
            "egovops_site_dir": str(Path(inv.root).resolve()),
            "egovops_backup_dir": str((options.backup_dir / inv.site.id).resolve()),
            "egovops_python": sys.executable,
            "egovops_policy_dir": str(options.policy_dir.resolve()) if options.policy_dir
            else "",
            "egovops_work_dir": str(private / "tmp"),
            "egovops_cwd": str(Path.cwd()),
            **options.extra_vars,
        }
        cmdline = []
        if options.check:
            cmdline.append("--check")
        if options.diff:
            cmdline.append("--diff")
        passwords: dict[str, str] = {}
        if run_inv.vault_password is not None:
            cmdline.append("--ask-vault-pass")
            passwords[r"^Vault password:\s*?$"] = run_inv.vault_password
        curated = curated_env(private, control, binary)
        runner = init_runner(
            private_data_dir=str(private),
            project_dir=str(book.path.parent),
            playbook=str(book.path),
            inventory=str(run_inv.path),
            artifact_dir=str(options.artifact_dir.resolve()),
            ident=ident,
            rotate_artifacts=options.rotate_artifacts,
            envvars=curated,
            extravars=extravars,
            passwords=passwords,
            cmdline=" ".join(cmdline) or None,
            limit=limit,
            forks=options.forks,
            suppress_env_files=True,
            quiet=True,
            event_handler=events,
            cancel_callback=cancel or (lambda: False),
            settings={"pexpect_timeout": 0.25},
        )
        runner.config.env = _cut_env(runner.config.env, curated)
        thread = threading.Thread(target=runner.run, name=f"playbook-{book.name}", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
        finally:
            _stop_control_masters(control)
        status, rc = str(runner.status), int(runner.rc if runner.rc is not None else -1)
        artifacts = options.artifact_dir.resolve() / ident
        if not events.stats_seen and status != "canceled":
            tail = _tail(artifacts / "stdout")
            raise PlaybookError(f"{book.name}: ansible-playbook exited {rc} without running "
                                f"the play:\n{run_inv.redactor(tail)}")
        for result in hosts.values():
            result.message = run_inv.redactor(result.message)
        return PlaybookRun(book.name, inv.site.id, ident, status, rc, hosts, artifacts,
                           private, time.monotonic() - start, options.check, events.site_tasks)
    finally:
        if not options.keep_private:
            shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(control, ignore_errors=True)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.strip().splitlines()[-lines:])
