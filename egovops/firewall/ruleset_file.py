"""Reading a ruleset file from disk: the one place firewall configuration files are opened."""

from __future__ import annotations

from pathlib import Path

from egovops.errors import ConfigError, Problem, display_path
from egovops.firewall.model import Ruleset
from egovops.firewall.parsers import parse_config

PLATFORM_ALIASES = {"nft": "nftables", "nft-json": "nftables-json", "iptables-save": "iptables",
                    "ios": "cisco-ios", "asa": "cisco-asa", "vrp": "huawei", "usg": "huawei",
                    "comware": "h3c"}
"""Short names admins type for ``--platform``."""


def read_ruleset(path: Path, platform: str | None = None, strict: bool = False) -> Ruleset:
    """Parse the ruleset in ``path`` as ``platform`` (a format name or alias) or as detected;
    ``strict``: a construct the model cannot express is an error, not a parse warning."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text",
                          [Problem(shown, 0, 0, f"not UTF-8: {exc.reason}", "encoding")]) from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read ({exc.strerror})") from None
    fmt = PLATFORM_ALIASES.get(platform, platform) if platform else None
    return parse_config(text, shown, fmt, strict=strict)
