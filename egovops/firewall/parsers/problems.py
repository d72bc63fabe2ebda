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

Warn and go on (fail closed, Batfish's parse warnings): a problem of a code in
:data:`SKIPPABLE` is not an error. It becomes a :class:`~egovops.firewall.model.Skipped` with
bound ``both`` (the construct, usually one rule, was left out and nothing says which way it
decides), which taints the whole device: the audit reports it as ``firewall.parse-unsupported``
and every reach through the device as unproven. ``syntax``, ``duplicate`` and
``invalid-value`` (damage to the vendor's own grammar: the device would refuse port 70000 or
``10.0.0.300``) stay errors. ``unknown-reference`` and ``wildcard`` are skipped: the vendor
accepts a reference to an object the parser did not read (defined by a construct it skipped,
or applied before it is defined) and a scattered wildcard mask, which the model cannot hold;
the rule that uses it is left out like an unsupported one. ``--strict``
(:func:`egovops.firewall.parsers.parse_config`) turns every skip back into an error.
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


SKIPPABLE = frozenset({"unsupported", "unknown-reference", "wildcard"})
"""Problem codes that are parse warnings (the construct is skipped), not errors."""


class ProblemLog:
    """Problems found in one file, in the order found."""

    def __init__(self, file: str, format_name: str) -> None:
        self.file = file
        self.format_name = format_name
        self.problems: list[Problem] = []
        self.skipped: list[Skipped] = []
        self.demoted: list[Problem] = []
        """Problems of a :data:`SKIPPABLE` code, kept as raised: when the file has errors too,
        the error lists them with the others, in the order found."""
        self._found: list[Problem] = []

    def add(self, line: int, message: str, code: str = "syntax", column: int = 0) -> None:
        """Record one unreadable construct at ``line`` (1-based, 0 = unknown); one of a
        :data:`SKIPPABLE` code becomes a skip of bound ``both`` (see the module docstring)."""
        self.add_problem(Problem(self.file, line, column, message, code))

    def add_problem(self, problem: Problem) -> None:
        """:meth:`add` for a problem located already (e.g. in an included file)."""
        self._found.append(problem)
        if problem.code in SKIPPABLE:
            self.demoted.append(problem)
            self.skipped.append(Skipped(SourceRef(problem.file, problem.line), "",
                                        problem.message, Bound.BOTH))
            return
        self.problems.append(problem)

    def add_error(self, line: int, error: Unreadable) -> None:
        """Record an :class:`Unreadable` raised while reading ``line``."""
        self.add(line, error.message, error.code, error.column)

    def skip(self, line: int, construct: str, reason: str, bound: Bound, rule: str = "") -> None:
        """Record a construct that is valid vendor syntax but not expressible in the rule model
        (a parse warning: the rest of the file is still read; the audit reports it)."""
        self.skipped.append(Skipped(SourceRef(self.file, line), construct, reason, bound, rule))

    def __len__(self) -> int:
        """Problems and demoted problems (parsers compare it to drop a rule that had one)."""
        return len(self.problems) + len(self.demoted)

    def error(self) -> ConfigError:
        """One :class:`ConfigError` with every problem recorded so far (the skippable ones
        too: a file that cannot be read is reported whole)."""
        count = len(self._found)
        noun = "construct" if count == 1 else "constructs"
        return ConfigError(
            f"{self.file}: {count} {noun} in this {self.format_name} configuration "
            "cannot be read",
            list(self._found),
        )

    def raise_if_any(self) -> None:
        """Raise :meth:`error` if any problem that is not skippable was recorded."""
        if self.problems:
            raise self.error()
