"""The Reporter Protocol and what every reporter may know besides the findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from egovops.i18n import Lang
from egovops.model.findings import AuditResult


@dataclass(frozen=True)
class ReportContext:
    """Facts about the run that reports print: injected, so output is reproducible."""

    site_id: str
    site_name: str
    generated: datetime
    version: str
    lang: Lang = "en"
    zones: tuple[str, ...] = ()


class Reporter(Protocol):
    """Renders an :class:`AuditResult` as text; never computes findings."""

    @property
    def name(self) -> str:
        """Format name used by ``--format``."""
        ...

    def render(self, result: AuditResult, ctx: ReportContext) -> str:
        """The whole report."""
        ...
