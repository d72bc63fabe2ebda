"""The one exception root of egovops and its subclasses, grouped by what the caller can do.

The CLI maps these to exit codes in one place (:mod:`egovops.cli.errors`); library code raises
them and never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class EgovopsError(Exception):
    """Root of every error egovops raises on purpose.

    Raised when: never directly; catch it to handle any egovops failure.
    """


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can.

    ``line`` and ``column`` are 1-based; 0 means unknown.
    """

    file: str
    line: int
    column: int
    message: str
    code: str = "invalid"

    def location(self) -> str:
        """``file:line:column`` (or shorter when the position is unknown)."""
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


class InputError(EgovopsError):
    """Raised when the operator's input (a file, an option) is wrong; fix the input and rerun.

    Carries every problem found in one pass, so the operator sees them all at once.
    """

    def __init__(self, summary: str, problems: list[Problem] | None = None) -> None:
        self.summary = summary
        self.problems: list[Problem] = sorted(set(problems or []))
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        lines = [self.summary, *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


class InventoryError(InputError):
    """Raised when an inventory folder cannot be loaded: YAML syntax, schema or references."""


class ConfigError(InputError):
    """Raised when a device configuration (firewall ruleset …) has constructs egovops cannot
    read; every one is listed with ``file:line``. Fix the file or name the right ``--platform``.
    """


class UsageError(InputError):
    """Raised when a command is called with options that cannot work together."""


class ToolMissingError(EgovopsError):
    """Raised when an external program egovops needs (e.g. Graphviz ``dot``) is not installed.

    Install it (the message says which package) and rerun.
    """


def display_path(path: Path, root: Path | None = None) -> str:
    """A short path for messages: relative to ``root`` (or the cwd) when below it."""
    base = root or Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
