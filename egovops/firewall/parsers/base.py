"""The firewall parser Protocol: one per configuration format, listed in
:data:`egovops.firewall.parsers.PARSERS`.
"""

from __future__ import annotations

from typing import Protocol

from egovops.firewall.model import Ruleset


class FirewallParser(Protocol):
    """Reads one configuration format into a vendor-neutral :class:`Ruleset`."""

    name: str
    """Format name, e.g. ``nftables-json``; used by ``--platform`` and in reports."""

    def detect(self, text: str) -> bool:
        """Whether ``text`` looks like this format (cheap; used when no platform is given)."""
        ...

    def parse(self, text: str, file: str) -> Ruleset:
        """Parse ``text`` (read from ``file``, used in source references).

        Raises :class:`egovops.errors.ConfigError` listing every construct it could not read,
        each with ``file:line``; an unknown construct is never silently skipped.
        """
        ...
