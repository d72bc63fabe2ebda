"""Findings: what audits produce and reporters render. Inert, frozen data.

A finding's ``id`` is stable across runs (derived from the check and the subject, never from
the run), so waivers and trend dashboards can refer to it.

A finding made through the check registry (:func:`egovops.audit.registry.finding`) carries its
message ``params``; ``title``, ``evidence`` and ``remediation`` then hold the English rendering,
and reporters render the registry's templates in the chosen language
(:func:`egovops.audit.registry.localize`). A finding built directly with English texts (the
older way) renders those texts in every language.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """How bad a finding is; ``--fail-on`` compares against this order."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """Lower-case name, as written on the command line and in JSON."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"`` → ``Severity.HIGH``; raises ``ValueError`` listing the choices."""
        try:
            return cls[text.upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r}; choose one of {choices}") from None


def finding_id(check: str, subject: str) -> str:
    """Stable id: the check name and a short hash of the subject (``isolation.link-3f9a2c1b``)."""
    digest = hashlib.sha256(f"{check}\0{subject}".encode()).hexdigest()[:8]
    return f"{check}-{digest}"


@dataclass(frozen=True)
class Phrase:
    """A translatable piece of a finding's message: a key of the registry's phrase table and
    its own named parameters (e.g. ``Phrase("by-default-policy")``)."""

    key: str
    params: tuple[tuple[str, str], ...] = ()


ParamValue = str | Phrase
"""A message parameter: a technical token (rendered as is) or a translatable phrase."""


@dataclass(frozen=True)
class Finding:
    """One problem an audit proved, with what an admin needs to act on it."""

    check: str
    """Check that produced it, e.g. ``isolation.inner-link``."""
    severity: Severity
    title: str
    subject: str
    """Device, link, circuit or rule the finding is about."""
    evidence: str
    remediation: str
    origin: str = ""
    """``file:line`` of the subject in the inventory or configuration."""
    mlps: str = ""
    """Clause of GB/T 22239-2019 (MLPS 2.0) the finding maps to."""
    zones: tuple[str, ...] = ()
    id: str = field(default="")
    params: tuple[tuple[str, ParamValue], ...] = ()
    """Named message parameters when made through the check registry (else empty)."""
    clauses: tuple[str, ...] = ()
    """MLPS 2.0 clause ids (``8.1.3.2 a)``) from the registry; ``mlps`` is their text."""
    unproven: str = ""
    """Non-empty when the finding rests on constructs the parser skipped or rules it could
    only read in part: what it depends on. The finding may then be wrong either way."""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", finding_id(self.check, self.subject))


@dataclass(frozen=True)
class ZoneReach:
    """What one zone can send to another through one gateway hook, or along paths through
    several firewalls (proved from their rulesets)."""

    source: str
    target: str
    device: str
    hook: str
    description: str
    """Compact summary of the packets, e.g. ``tcp/80,443 from 10.20.0.0/16 to any``."""
    size: int
    """Exact number of packets (header combinations) in the set."""
    example: str
    paths: tuple[tuple[str, ...], ...] = ()
    """For reach composed across several firewalls (``hook`` is then empty): the firewall
    sequences, one per alternative path, whose packets this entry unites."""
    unproven: str = ""
    """Non-empty when what passes depends on skipped constructs or uncertain rules: then
    ``description`` is what *may* pass (the upper bound) and this says what is proved and
    what it depends on. Empty: the description is exact (proved)."""

    @property
    def via(self) -> str:
        """The firewalls crossed: ``fw1,fw2`` in order, alternatives joined by `` | ``; for one
        gateway hook ``device (hook)``."""
        if self.paths:
            return " | ".join(",".join(p) for p in self.paths)
        return f"{self.device} ({self.hook})"

    def __str__(self) -> str:
        text = f"{self.source} -> {self.target}: {self.description} via {self.via}"
        return f"{text} (unproven: {self.unproven})" if self.unproven else text


@dataclass(frozen=True)
class AuditResult:
    """Findings of one audit run, which checks ran, and the zone-to-zone reach it proved."""

    findings: tuple[Finding, ...]
    checks: tuple[str, ...]
    reach: tuple[ZoneReach, ...] = ()
    waived: tuple[Finding, ...] = ()
    """Findings a current waiver accepts: not counted, still shown."""

    def at_or_above(self, severity: Severity) -> tuple[Finding, ...]:
        """Findings whose severity is ``severity`` or worse."""
        return tuple(f for f in self.findings if f.severity >= severity)

    def counts(self) -> dict[str, int]:
        """Number of findings per severity label (every label present)."""
        counts = {s.label: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.label] += 1
        return counts
