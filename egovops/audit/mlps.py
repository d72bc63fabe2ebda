"""The MLPS 2.0 coverage worksheet: every level-3 clause, the checks evidencing it, its state.

Input: an :class:`~egovops.model.findings.AuditResult` (which checks ran, what they found, what
is waived), the clause table and the check registry (with a policy's clause overrides). Output:
one :class:`ClauseRow` per clause, in the standard's order. Reporters render the rows (table,
JSON, CSV, HTML worksheet); nothing is computed there.

A clause's state (fail closed — a clause passes only on what was seen):

========  ==================  ===========================================================
state     label               when
========  ==================  ===========================================================
fail      不符合 non-compliant  a finding at high or critical stands (not waived)
partial   部分符合 partial       a medium or low finding stands
manual    需人工核查 manual      no check of egovops evidences it, none of its checks ran, or
                              one of its checks could not verify something (``unverified``)
pass      符合 compliant        its checks ran and stand clean (info findings only)
n/a       不适用 not applicable  the clause table marks it not applicable to network devices
========  ==================  ===========================================================

Waived findings do not count against a clause but are listed with it. ``manual`` text says
what an assessor checks by hand; it is shown for every clause (for ``pass`` rows as the part
automated checks cannot see).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from egovops.audit.clauses import Clause, ClauseTable
from egovops.audit.registry import Registry, check_clauses
from egovops.model.findings import AuditResult, Finding, Severity


class ClauseState(StrEnum):
    """Result of one clause for the site."""

    PASS = "pass"
    PARTIAL = "partial"
    FAIL = "fail"
    NOT_APPLICABLE = "n/a"
    MANUAL = "manual"


@dataclass(frozen=True)
class ClauseRow:
    """One line of the worksheet."""

    clause: Clause
    state: ClauseState
    checks: tuple[str, ...]
    """Registered checks that evidence the clause (whether or not they ran)."""
    ran: tuple[str, ...]
    """Those of ``checks`` this audit ran."""
    findings: tuple[Finding, ...]
    """Standing findings of those checks, worst first."""
    waived: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Worksheet:
    """The whole worksheet and its counts."""

    rows: tuple[ClauseRow, ...]

    def counts(self) -> dict[str, int]:
        """Clauses per state (every state present)."""
        counts = {s.value: 0 for s in ClauseState}
        for row in self.rows:
            counts[row.state.value] += 1
        return counts

    @property
    def covered(self) -> int:
        """Clauses evidenced by at least one check of the registry."""
        return sum(1 for row in self.rows if row.checks)


def _state(clause: Clause, checks: tuple[str, ...], ran: tuple[str, ...],
           findings: tuple[Finding, ...], registry: Registry) -> ClauseState:
    if not clause.applicable:
        return ClauseState.NOT_APPLICABLE
    if findings and max(f.severity for f in findings) >= Severity.HIGH:
        return ClauseState.FAIL
    if any(f.severity >= Severity.LOW for f in findings):
        return ClauseState.PARTIAL
    unverified = any((spec := registry.get(f.check)) is not None and spec.unverified
                     for f in findings)
    if not checks or not ran or unverified:
        return ClauseState.MANUAL
    return ClauseState.PASS


def worksheet(result: AuditResult, clauses: ClauseTable, registry: Registry,
              overrides: Mapping[str, tuple[str, ...]] | None = None) -> Worksheet:
    """Every clause of ``clauses`` with its state for ``result``.

    A finding counts for the clauses it names (``Finding.clauses``, else its check's); a check
    counts for its registry clauses, or a policy's ``overrides``.
    """
    by_clause: dict[str, list[str]] = {}
    for check_id in registry.checks:
        for cid in check_clauses(check_id, overrides):
            by_clause.setdefault(cid, []).append(check_id)
    ran = set(result.checks)

    def clauses_of(f: Finding) -> tuple[str, ...]:
        return f.clauses or check_clauses(f.check, overrides)

    rows = []
    for clause in clauses.clauses:
        checks = tuple(by_clause.get(clause.id, ()))
        done = tuple(c for c in checks if c in ran)
        standing = tuple(f for f in result.findings if clause.id in clauses_of(f))
        waived = tuple(f for f in result.waived if clause.id in clauses_of(f))
        rows.append(ClauseRow(clause, _state(clause, checks, done, standing, registry),
                              checks, done, standing, waived))
    return Worksheet(tuple(rows))
