"""Playbooks through ansible-runner: the shipped catalogue, the run's inventory generated from
the model (secrets vaulted, host keys checked), the typed runner, and the configuration history
that ``backup-configs`` keeps in git."""

from egovops.playbooks.catalog import Playbook, find_playbook, list_playbooks
from egovops.playbooks.runner import (
    HostResult,
    HostStatus,
    PlaybookError,
    PlaybookRun,
    RunOptions,
    run_playbook,
)

__all__ = ["HostResult", "HostStatus", "Playbook", "PlaybookError", "PlaybookRun", "RunOptions",
           "find_playbook", "list_playbooks", "run_playbook"]
