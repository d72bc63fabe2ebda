"""Parsers per configuration format, in one explicit table, and the entry point that uses it.

Data flow: device configuration text → :func:`parse_config` → vendor-neutral
:class:`~egovops.firewall.model.Ruleset` → :mod:`egovops.firewall.flatten` / analysis.

Each parser implements :class:`~egovops.firewall.parsers.base.FirewallParser`. :data:`PARSERS`
lists them in the order :func:`detect_format` tries them (most distinctive syntax first).
"""

from __future__ import annotations

from dataclasses import replace

from egovops.errors import ConfigError, Problem
from egovops.firewall.model import Ruleset, Skipped
from egovops.firewall.parsers.base import FirewallParser
from egovops.firewall.parsers.cisco_asa import CiscoAsaParser
from egovops.firewall.parsers.cisco_ios import CiscoIosParser
from egovops.firewall.parsers.h3c import H3cParser
from egovops.firewall.parsers.huawei import HuaweiParser
from egovops.firewall.parsers.ipset import IpSet
from egovops.firewall.parsers.iptables import IptablesParser
from egovops.firewall.parsers.nftables import NftablesParser
from egovops.firewall.parsers.nftables_json import NftablesJsonParser

__all__ = ["EMPTY_ALLOWED", "PARSERS", "FirewallParser", "detect_format", "parse_config"]

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

EMPTY_ALLOWED = frozenset({"nftables", "nftables-json", "iptables"})
"""Formats whose empty file is a real ruleset: ``nft list ruleset`` / ``iptables-save`` of a
kernel without rules print nothing. A vendor configuration is never empty."""

CONSTRUCT_WIDTH = 120
"""Longest construct text a parse warning quotes."""


def detect_format(text: str) -> str | None:
    """The name of the first parser whose ``detect`` accepts ``text``, or ``None``."""
    for name, parser in PARSERS.items():
        if parser.detect(text):
            return name
    return None


def parse_config(text: str, file: str, format: str | None = None,
                 strict: bool = False, ipsets: dict[str, IpSet] | None = None) -> Ruleset:
    """Parse ``text`` (read from ``file``) as ``format``, or as the detected format.

    Raises :class:`~egovops.errors.ConfigError` when the format is unknown or cannot be
    detected, when ``text`` does not look like the named format but like another one, when
    the parser finds constructs it cannot read (all of them listed), and when a vendor
    configuration reads as no ruleset at all (code ``empty-ruleset``: a wrong format, or a
    configuration without any ACL or policy). In the formats of :data:`EMPTY_ALLOWED` an empty
    file, or tables without chains, is an empty ruleset (the audit still reports it on a
    gateway as ``firewall.config-empty``); in the others an empty file is an error too.

    Constructs the model cannot express are skipped and listed in
    :attr:`~egovops.firewall.model.Ruleset.skipped` (parse warnings); with ``strict`` they are
    errors instead, every one listed (for CI of candidate configurations). ``ipsets``: the
    members of the ``ipset save`` sets an iptables-save dump's ``-m set`` rules match.
    """
    known = ", ".join(PARSERS)
    if format is None:
        if not text.strip():
            raise _empty(file, "the file is empty: no firewall format to detect")
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
    if not text.strip():
        if format in EMPTY_ALLOWED:
            return Ruleset((), format, file)
        raise _empty(file, f"the file is empty: a {format} configuration never is")
    if not parser.detect(text):
        detected = detect_format(text)
        if detected is not None:
            raise ConfigError(
                f"{file}: this looks like {detected}, not {format}; check --platform or the "
                "device's platform",
                [Problem(file, 0, 0, f"looks like {detected}, not {format}",
                         "wrong-format")])
    if ipsets is not None and isinstance(parser, IptablesParser):
        ruleset = parser.parse(text, file, ipsets=ipsets)
    else:
        ruleset = parser.parse(text, file)
    if not ruleset.chains and not ruleset.skipped and format not in EMPTY_ALLOWED:
        raise _empty(file, f"read as {format}, the file holds no ruleset (no ACL, chain or "
                     "policy): a wrong format, or the ruleset was deleted")
    if ruleset.skipped:
        ruleset = replace(ruleset, skipped=_quoted(ruleset.skipped, text))
    if strict and ruleset.skipped:
        count = len(ruleset.skipped)
        raise ConfigError(
            f"{file}: {count} construct(s) the rule model cannot express (--strict)",
            [Problem(s.source.file, s.source.line, 0,
                     f"{s.reason}" + (f": {s.construct}" if s.construct else ""),
                     "unsupported") for s in ruleset.skipped])
    return ruleset


def _empty(file: str, why: str) -> ConfigError:
    return ConfigError(f"{file}: {why}", [Problem(file, 0, 0, why, "empty-ruleset")])


def _quoted(skipped: tuple[Skipped, ...], text: str) -> tuple[Skipped, ...]:
    """Skips with the construct quoted from its line when the parser gave none."""
    lines = text.splitlines()
    out = []
    for skip in skipped:
        line = skip.source.line
        if not skip.construct and 0 < line <= len(lines):
            shown = " ".join(lines[line - 1].split())
            if len(shown) > CONSTRUCT_WIDTH:
                shown = shown[:CONSTRUCT_WIDTH - 1] + "…"
            out.append(replace(skip, construct=shown))
            continue
        out.append(skip)
    return tuple(out)
