"""Parsers per configuration format, in one explicit table, and the entry point that uses it.

Data flow: device configuration text → :func:`parse_config` → vendor-neutral
:class:`~egovops.firewall.model.Ruleset` → :mod:`egovops.firewall.flatten` / analysis.

Each parser implements :class:`~egovops.firewall.parsers.base.FirewallParser`. :data:`PARSERS`
lists them in the order :func:`detect_format` tries them (most distinctive syntax first).
"""

from __future__ import annotations

from egovops.errors import ConfigError, Problem
from egovops.firewall.model import Ruleset
from egovops.firewall.parsers.base import FirewallParser
from egovops.firewall.parsers.cisco_asa import CiscoAsaParser
from egovops.firewall.parsers.cisco_ios import CiscoIosParser
from egovops.firewall.parsers.h3c import H3cParser
from egovops.firewall.parsers.huawei import HuaweiParser
from egovops.firewall.parsers.iptables import IptablesParser
from egovops.firewall.parsers.nftables import NftablesParser
from egovops.firewall.parsers.nftables_json import NftablesJsonParser

__all__ = ["PARSERS", "FirewallParser", "detect_format", "parse_config"]

PARSERS: dict[str, FirewallParser] = {
    parser.name: parser
    for parser in (
        NftablesJsonParser(),
        NftablesParser(),
        IptablesParser(),
        CiscoAsaParser(),
        CiscoIosParser(),
        H3cParser(),
        HuaweiParser(),
    )
}
"""Every supported format by name; iteration order is detection order."""


def detect_format(text: str) -> str | None:
    """The name of the first parser whose ``detect`` accepts ``text``, or ``None``."""
    for name, parser in PARSERS.items():
        if parser.detect(text):
            return name
    return None


def parse_config(text: str, file: str, format: str | None = None) -> Ruleset:
    """Parse ``text`` (read from ``file``) as ``format``, or as the detected format.

    Raises :class:`~egovops.errors.ConfigError` when the format is unknown or cannot be
    detected, or when the parser finds constructs it cannot read (all of them listed).
    """
    known = ", ".join(PARSERS)
    if format is None:
        format = detect_format(text)
        if format is None:
            raise ConfigError(
                f"{file}: cannot tell which firewall format this is; name it "
                f"(known formats: {known})",
                [Problem(file, 0, 0, "no known firewall format detected", "unknown-format")],
            )
    parser = PARSERS.get(format)
    if parser is None:
        raise ConfigError(
            f"{file}: unknown firewall format {format!r} (known formats: {known})",
            [Problem(file, 0, 0, f"unknown firewall format {format!r}", "unknown-format")],
        )
    return parser.parse(text, file)
