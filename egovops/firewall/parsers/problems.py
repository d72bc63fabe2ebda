"""Collecting every unreadable construct of one file, to raise them together at the end.

Each parser owns one :class:`ProblemLog` per :meth:`parse` call, adds a
:class:`~egovops.errors.Problem` for every construct it cannot read and goes on with the next
one; :meth:`ProblemLog.raise_if_any` raises a single :class:`~egovops.errors.ConfigError`.

Problem codes used by all parsers:

``syntax``
    malformed for the vendor's own grammar (missing value, unbalanced brace, bad JSON).
``unsupported``
    valid vendor syntax that the rule model cannot express (rate limits, NAT, marks…).
``unknown-reference``
    a set, object, service or chain that is used but never defined.
``invalid-value``
    a value out of range or not understood (port 70000, address ``10.0.0.300``, unknown
    service name).
``wildcard``
    a Cisco/Huawei/H3C wildcard mask that only expands into too many prefixes.
``duplicate``
    the same rule number or object defined twice where the vendor would refuse it.
"""

from __future__ import annotations

from egovops.errors import ConfigError, Problem
from egovops.firewall.model import Bound, Skipped, SourceRef


class Unreadable(Exception):  # noqa: N818 - control flow inside parsers, never escapes them
    """Raised inside a parser for one construct it cannot read; caught and logged right away."""

    def __init__(self, message: str, code: str = "syntax", column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.column = column


class ProblemLog:
    """Problems found in one file, in the order found."""

    def __init__(self, file: str, format_name: str) -> None:
        self.file = file
        self.format_name = format_name
        self.problems: list[Problem] = []
        self.skipped: list[Skipped] = []

    def add(self, line: int, message: str, code: str = "syntax", column: int = 0) -> None:
        """Record one unreadable construct at ``line`` (1-based, 0 = unknown)."""
        self.problems.append(Problem(self.file, line, column, message, code))

    def add_error(self, line: int, error: Unreadable) -> None:
        """Record an :class:`Unreadable` raised while reading ``line``."""
        self.add(line, error.message, error.code, error.column)

    def skip(self, line: int, construct: str, reason: str, bound: Bound, rule: str = "") -> None:
        """Record a construct that is valid vendor syntax but not expressible in the rule model
        (a parse warning: the rest of the file is still read; the audit reports it)."""
        self.skipped.append(Skipped(SourceRef(self.file, line), construct, reason, bound, rule))

    def __len__(self) -> int:
        return len(self.problems)

    def error(self) -> ConfigError:
        """One :class:`ConfigError` with every problem recorded so far."""
        count = len(self.problems)
        noun = "construct" if count == 1 else "constructs"
        return ConfigError(
            f"{self.file}: {count} {noun} in this {self.format_name} configuration "
            "cannot be read",
            self.problems,
        )

    def raise_if_any(self) -> None:
        """Raise :meth:`error` if any problem was recorded."""
        if self.problems:
            raise self.error()
