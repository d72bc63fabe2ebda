"""The Check Protocol and the context every check receives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from egovops.model.findings import Finding
from egovops.model.inventory import Inventory


@dataclass(frozen=True)
class AuditContext:
    """What checks may read: the loaded inventory (snapshots and rulesets join later)."""

    inventory: Inventory


class Check(Protocol):
    """One audit check. Checks are listed explicitly in tables (see ``ISOLATION_CHECKS``)."""

    @property
    def name(self) -> str:
        """Stable check name, the prefix of its findings' ids (``isolation.physical-link``)."""
        ...

    @property
    def title(self) -> str:
        """One line for people: what the check proves."""
        ...

    def run(self, ctx: AuditContext) -> Iterable[Finding]:
        """Yield every finding; never print, never raise for a finding."""
        ...
