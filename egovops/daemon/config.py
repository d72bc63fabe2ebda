"""Daemon configuration (``--config FILE``, YAML): listen address, folders, job intervals.

Every setting has a default, so ``egovops daemon SITE`` runs without a file. Problems are
reported with ``file:line``, all at once, like the other loaders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from egovops.errors import InputError, Problem, display_path
from egovops.load.inventory import validate_items
from egovops.load.yamlsource import LocatedDict, read_yaml_file
from egovops.metrics.plan import Duration
from egovops.metrics.render import DEFAULT_LISTEN
from egovops.model.inventory import Frozen, OriginField


class DaemonConfigError(InputError):
    """Raised when the daemon configuration file has problems; each is listed with
    ``file:line``. Fix the file (on SIGHUP the daemon keeps its previous configuration)."""


class JobConfig(Frozen):
    """One scheduled job."""

    enabled: bool = True
    interval: Duration
    jitter: Duration = "0s"
    """A random delay up to this long is added to every interval (spreads load)."""


class CollectConfig(JobConfig):
    """The collection job: devices collected into a snapshot."""

    interval: Duration = "15m"
    jitter: Duration = "30s"
    workers: int = Field(default=16, ge=1, le=512)
    connect_timeout: float = Field(default=10.0, gt=0)
    command_timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=1, ge=0)


class AuditConfig(JobConfig):
    """The audit job: isolation checks and resilience analysis of the inventory."""

    interval: Duration = "5m"
    jitter: Duration = "10s"


class PkiConfig(JobConfig):
    """The PKI scan: ledger and CRL; re-issues the CRL ``crl_renew_before`` its nextUpdate."""

    interval: Duration = "1h"
    jitter: Duration = "1m"
    crl_renew_before: Duration = "24h"


class PlaybookJobConfig(JobConfig):
    """A playbook the daemon runs on a schedule (e.g. nightly ``backup-configs``)."""

    playbook: str = Field(min_length=1, description="name of a shipped playbook or a path")
    interval: Duration = "24h"
    jitter: Duration = "10m"
    limit: str | None = None
    check: bool = False
    extra_vars: dict[str, str] = Field(default_factory=dict, description="not for secrets")
    known_hosts: str | None = None
    forks: int = Field(default=16, ge=1, le=256)


class DaemonConfig(Frozen):
    """Everything the daemon can be told; paths are relative to the working directory."""

    listen: str = DEFAULT_LISTEN
    state_dir: str | None = Field(default=None, description="default: $STATE_DIRECTORY "
                                  "(systemd) or ./egovops-state")
    snapshot_dir: str | None = Field(default=None, description="default: <state_dir>/snapshots")
    plan: str | None = Field(default=None, description="emergency plan; default: "
                             "policies/emergency-plan.yaml when it exists")
    policy: str | None = Field(default=None, description="firewall policy folder for the audit "
                               "job; default: policies/ when it exists (else isolation only)")
    ca_dir: str | None = Field(default=None, description="CA directory; the pki job runs only "
                               "with one")
    passphrase_file: str | None = Field(default=None, description="CA passphrase for CRL "
                                        "re-issue (else env EGOVOPS_CA_PASSPHRASE)")
    collect: CollectConfig = CollectConfig()
    audit: AuditConfig = AuditConfig()
    pki: PkiConfig = PkiConfig()
    playbooks: tuple[PlaybookJobConfig, ...] = ()
    """Scheduled playbooks (artifacts and backups under the state directory)."""
    origin: OriginField = None

    def state_path(self, environ: Mapping[str, str] | None = None) -> Path:
        """Where the daemon keeps its state across restarts."""
        env = os.environ if environ is None else environ
        if self.state_dir:
            return Path(self.state_dir)
        systemd = env.get("STATE_DIRECTORY", "").split(":")[0]
        return Path(systemd) if systemd else Path("egovops-state")

    def snapshot_path(self, environ: Mapping[str, str] | None = None) -> Path:
        """Where snapshots are written and read."""
        return Path(self.snapshot_dir) if self.snapshot_dir else (
            self.state_path(environ) / "snapshots")


def load_daemon_config(path: Path | None) -> DaemonConfig:
    """The configuration in ``path``, or the defaults when ``path`` is ``None``."""
    if path is None:
        return DaemonConfig()
    display = display_path(path)
    if not path.is_file():
        raise DaemonConfigError(f"daemon configuration not found: {display}")
    data, problems = read_yaml_file(path, display)
    if data is None and not problems:
        return DaemonConfig()
    if not problems and not isinstance(data, LocatedDict):
        problems.append(Problem(display, 1, 0, "expected a mapping of settings", "schema"))
    found = validate_items("daemon", DaemonConfig, [data], problems) if not problems else []
    if problems or not found:
        raise DaemonConfigError(f"{display}: invalid daemon configuration", problems)
    return found[0].model
