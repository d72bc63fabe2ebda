"""Vendor spellings → the facts model's: uptimes, MAC addresses, speeds, interface names.

Network CLIs abbreviate interface names in some tables and not in others (Huawei's
``display lldp neighbor brief`` says ``GE0/0/1`` where ``display interface brief`` says
``GigabitEthernet0/0/1``; H3C shortens every table). Facts always carry the full name, the one
the configuration and the inventory use, so that LLDP, ARP and interface entries join up:
:func:`interface_name` expands an abbreviation by the vendor's table and, when the device's own
interface list is known, resolves it against that list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_UNITS = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600,
          "minute": 60, "second": 1}
_UPTIME_PART = re.compile(r"(\d+)\s*(year|week|day|hour|minute|second)s?", re.IGNORECASE)


def uptime_seconds(text: str) -> float | None:
    """``"1 year, 2 weeks, 0 day, 3 hours, 25 minutes"`` → seconds; ``None`` if no part."""
    parts = _UPTIME_PART.findall(text or "")
    if not parts:
        return None
    return float(sum(int(n) * _UNITS[unit.lower()] for n, unit in parts))


def mac_address(text: str) -> str:
    """``f48e-38a1-0b2c`` / ``0c75.bd12.3481`` / ``F4:8E:…`` → ``f4:8e:38:a1:0b:2c``.

    Anything that is not 12 hex digits (a port id, ``N/A``) is returned stripped, unchanged.
    """
    digits = re.sub(r"[.:\-]", "", text.strip())
    if len(digits) != 12 or not re.fullmatch(r"[0-9A-Fa-f]{12}", digits):
        return text.strip()
    digits = digits.lower()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT])(?:b(?:ps|/s|it)?)?(?:\(a\))?$", re.IGNORECASE)
_FACTOR = {"k": 0.001, "m": 1.0, "g": 1000.0, "t": 1_000_000.0}


def speed_mbps(text: str) -> float | None:
    """``1G(a)``, ``10G``, ``100M``, ``1000Mb/s``, ``10Gbps`` → Mb/s; ``auto``, ``--`` → None."""
    match = _SPEED.match(text.strip())
    if match is None:
        return None
    return float(match.group(1)) * _FACTOR[match.group(2).lower()]


HUAWEI_ABBREVIATIONS: Mapping[str, str] = {
    "GE": "GigabitEthernet",
    "XGE": "XGigabitEthernet",
    "Eth": "Ethernet",
}
"""Huawei VRP table abbreviations (``40GE``, ``10GE``, ``MultiGE``, ``Eth-Trunk``, ``Vlanif``
and ``MEth`` are already full names)."""

COMWARE_ABBREVIATIONS: Mapping[str, str] = {
    "GE": "GigabitEthernet",
    "XGE": "Ten-GigabitEthernet",
    "FGE": "FortyGigE",
    "HGE": "HundredGigE",
    "WGE": "TwentyFiveGigE",
    "MGE": "M-GigabitEthernet",
    "M-GE": "M-GigabitEthernet",
    "Vlan": "Vlan-interface",
    "Loop": "LoopBack",
    "InLoop": "InLoopBack",
    "BAGG": "Bridge-Aggregation",
    "RAGG": "Route-Aggregation",
    "Tun": "Tunnel",
    "REG": "Register-Tunnel",
    "Ser": "Serial",
    "Dia": "Dialer",
    "Eth": "Ethernet",
}
"""H3C Comware abbreviations, as its brief tables print them."""

IOS_ABBREVIATIONS: Mapping[str, str] = {
    "Fa": "FastEthernet",
    "Gi": "GigabitEthernet",
    "Te": "TenGigabitEthernet",
    "Twe": "TwentyFiveGigE",
    "Fo": "FortyGigabitEthernet",
    "Hu": "HundredGigE",
    "Et": "Ethernet",
    "Po": "Port-channel",
    "Vl": "Vlan",
    "Lo": "Loopback",
    "Tu": "Tunnel",
    "Se": "Serial",
}
"""Cisco IOS abbreviations used by ``show lldp neighbors``, ``show cdp`` and the like."""

_NAME = re.compile(r"^([A-Za-z][A-Za-z\-]*?)(\d\S*)$")


def expand_interface(name: str, table: Mapping[str, str]) -> str:
    """``GE0/0/1`` → ``GigabitEthernet0/0/1`` by ``table``; other names unchanged."""
    match = _NAME.match(name.strip())
    if match is None:
        return name.strip()
    prefix, number = match.groups()
    return table[prefix] + number if prefix in table else name.strip()


def interface_name(name: str, table: Mapping[str, str], known: Iterable[str] = ()) -> str:
    """The full name of ``name`` (as the device's interface list spells it, when it has it).

    Order: ``name`` itself if known; its expansion by ``table``; the one known interface with
    the same number whose name starts with ``name``'s letters (``Gi1/0/1`` →
    ``GigabitEthernet1/0/1``); else the expansion.
    """
    name = name.strip()
    names = set(known)
    if not name or name in names:
        return name
    expanded = expand_interface(name, table)
    if expanded in names or not names:
        return expanded
    match = _NAME.match(name)
    if match is not None:
        prefix, number = match.groups()
        found = []
        for candidate in names:
            parts = _NAME.match(candidate)
            if parts is not None and parts.group(2) == number \
                    and parts.group(1).lower().startswith(prefix.lower()):
                found.append(candidate)
        if len(found) == 1:
            return found[0]
    return expanded
