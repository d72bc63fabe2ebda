"""Reading a ruleset file from disk: the one place firewall configuration files are opened."""

from __future__ import annotations

from pathlib import Path

from egovops.errors import ConfigError, Problem, display_path
from egovops.firewall.model import Ruleset
from egovops.firewall.parsers import detect_format, parse_config
from egovops.firewall.parsers.ipset import parse_ipset_save
from egovops.firewall.parsers.iptables import FORMAT as IPTABLES_FORMAT
from egovops.firewall.parsers.problems import ProblemLog

PLATFORM_ALIASES = {"nft": "nftables", "nft-json": "nftables-json", "iptables-save": "iptables",
                    "ios": "cisco-ios", "asa": "cisco-asa", "vrp": "huawei", "usg": "huawei",
                    "comware": "h3c"}
"""Short names admins type for ``--platform``."""


IPSET_SUFFIX = ".ipset"
"""Companion file of an iptables-save dump holding its ``ipset save`` output
(``rules.v4`` → ``rules.v4.ipset``), read when present."""


def _read_text(path: Path) -> tuple[str, str]:
    shown = display_path(path)
    try:
        return path.read_text(encoding="utf-8"), shown
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text",
                          [Problem(shown, 0, 0, f"not UTF-8: {exc.reason}", "encoding")]) from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read ({exc.strerror})") from None


def read_ruleset(path: Path, platform: str | None = None, ipset: Path | None = None,
                 strict: bool = False) -> Ruleset:
    """Parse the ruleset in ``path`` as ``platform`` (a format name or alias) or as detected;
    ``strict``: a construct the model cannot express is an error, not a parse warning.

    For iptables-save dumps, ``ipset`` (or else the companion ``<path>.ipset`` when it exists)
    is the ``ipset save`` output whose members ``-m set`` rules match.
    """
    text, shown = _read_text(path)
    fmt = PLATFORM_ALIASES.get(platform, platform) if platform else None
    companion = path.with_name(path.name + IPSET_SUFFIX)
    if ipset is None and companion.is_file():
        ipset = companion
    sets = None
    if ipset is not None and (fmt or detect_format(text)) == IPTABLES_FORMAT:
        ipset_text, ipset_shown = _read_text(ipset)
        log = ProblemLog(ipset_shown, "ipset save")
        sets = parse_ipset_save(ipset_text, log)
        log.raise_if_any()
    return parse_config(text, shown, fmt, strict=strict, ipsets=sets)
