"""Huawei VRP (S-series switches, AR routers, USG firewalls; VRP5, V200R0xx): commands and parsers.

=================================  ==========================================  =============
command                            gives                                       template
=================================  ==========================================  =============
``display version``  (required)    model, VRP version, uptime                  ntc-templates
``display esn``                    serial number (ESN of the first slot)       egovops
``display interface brief``        interfaces, admin and link state            ntc-templates
``display ip interface brief``     addresses with prefix length                egovops
``display lldp neighbor brief``    LLDP neighbours                             egovops
``display arp``                    ARP entries (learned, not the device's own) ntc ``arp brief``
``display current-configuration``  running config; ``sysname``, descriptions  —
=================================  ==========================================  =============

``display arp`` prints the table ntc-templates reads as ``display arp brief`` (same columns).
The LLDP and ARP tables abbreviate interface names (``GE0/0/1``); they are expanded against
the interface list (``GigabitEthernet0/0/1``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator

from egovops.collect.base import ParseError
from egovops.collect.facts import ArpEntry, Facts, InterfaceFacts, LldpNeighbor
from egovops.collect.fsm import parse_table
from egovops.collect.netmiko_cli import Commands, Reading
from egovops.collect.normalize import (
    HUAWEI_ABBREVIATIONS,
    IOS_ABBREVIATIONS,
    interface_name,
    mac_address,
    uptime_seconds,
)

VERSION = "display version"
ESN = "display esn"
INTERFACES = "display interface brief"
IP_INTERFACES = "display ip interface brief"
LLDP = "display lldp neighbor brief"
ARP = "display arp"
CONFIG = "display current-configuration"

_SUFFIX = re.compile(r"\([^)]*\)$")


def parse_version(text: str) -> Facts:
    """``display version`` → model, VRP version and uptime (hostname comes from the config)."""
    rows = parse_table("huawei_vrp_display_version", text)
    if not rows or not rows[0]["vrp_version"]:
        raise ParseError(f"{VERSION}: no VRP version line in {text[:120]!r}")
    row = rows[0]
    model = re.sub(r"\s+(Routing\s+Switch|Router|Switch)$", "", row["model"].strip())
    product = row["product_version"].strip()
    return Facts(vendor="Huawei", model=model,
                 os_version=f"VRP {row['vrp_version']} ({product})" if product
                 else f"VRP {row['vrp_version']}",
                 uptime=uptime_seconds(row["uptime"]))


def parse_esn(text: str) -> str:
    """``display esn`` → the serial number of the first slot (the chassis)."""
    rows = parse_table("huawei_vrp_display_esn", text)
    return rows[0]["esn"] if rows else ""


def _state(value: str) -> str:
    return value.strip().lower()


def parse_interfaces(text: str) -> list[InterfaceFacts]:
    """``display interface brief`` → interfaces with admin (``*down``) and link state."""
    result = []
    for row in parse_table("huawei_vrp_display_interface_brief", text):
        phy, protocol = _state(row["phy"]), _state(row["protocol"])
        result.append(InterfaceFacts(
            name=_SUFFIX.sub("", row["interface"]),
            is_enabled=not phy.startswith("*"),
            is_up=phy.startswith("up") and protocol.startswith("up"),
        ))
    return result


def parse_ip_interfaces(text: str) -> list[InterfaceFacts]:
    """``display ip interface brief`` → interfaces with their (primary) address."""
    result = []
    for row in parse_table("huawei_vrp_display_ip_interface_brief", text):
        phy, protocol = _state(row["physical"]), _state(row["protocol"])
        address = row["address"]
        result.append(InterfaceFacts(
            name=_SUFFIX.sub("", row["interface"]),
            is_enabled=not phy.startswith("*"),
            is_up=phy.startswith("up") and protocol.startswith("up"),
            addresses=_address(address),
        ))
    return result


def _address(text: str) -> tuple[str, ...]:
    """``10.0.0.1/30`` → ``("10.0.0.1/30",)``; ``unassigned``, ``--`` → ``()``."""
    try:
        return (str(ipaddress.ip_interface(text)),) if "/" in text else ()
    except ValueError:
        raise ParseError(f"not an address/prefix: {text!r}") from None


def merge_interfaces(state: Iterable[InterfaceFacts],
                     addressed: Iterable[InterfaceFacts]) -> tuple[InterfaceFacts, ...]:
    """The interface list of ``state``, with the addresses of ``addressed`` (by name).

    Interfaces only ``addressed`` knows (the state table failed) are appended as they are.
    """
    by_name = {i.name: i for i in addressed}
    merged = []
    for iface in state:
        extra = by_name.pop(iface.name, None)
        if extra is not None and extra.addresses:
            merged.append(iface.model_copy(update={"addresses": extra.addresses}))
        else:
            merged.append(iface)
    merged.extend(by_name.values())
    return tuple(merged)


def _name(value: str) -> str:
    value = value.strip()
    return "" if value in ("-", "--", "N/A") else value


_REMOTE = {**IOS_ABBREVIATIONS, **HUAWEI_ABBREVIATIONS}
"""A neighbour's port as the table shows it: Huawei's own abbreviations, or Cisco's (whose
LLDP port ids are abbreviated at the source)."""


def parse_lldp(text: str, known: Iterable[str] = ()) -> tuple[LldpNeighbor, ...]:
    """``display lldp neighbor brief`` → neighbours (local names expanded against ``known``)."""
    names = list(known)
    return tuple(
        LldpNeighbor(
            local_interface=interface_name(row["local_interface"], HUAWEI_ABBREVIATIONS, names),
            remote_system_name=_name(row["neighbor_name"]),
            remote_port=interface_name(row["neighbor_interface"], _REMOTE),
        )
        for row in parse_table("huawei_vrp_display_lldp_neighbor_brief", text))


def parse_arp(text: str, known: Iterable[str] = ()) -> tuple[ArpEntry, ...]:
    """``display arp`` → learned entries (type ``I``, the device's own addresses, left out).

    ``EXPIRE(M)`` is in minutes; ``age`` is seconds.
    """
    names = list(known)
    result = []
    for row in parse_table("huawei_vrp_display_arp_brief", text):
        if row["type"].startswith("I"):
            continue
        expire = row["expire"]
        result.append(ArpEntry(
            interface=interface_name(row["interface"], HUAWEI_ABBREVIATIONS, names),
            ip=row["ip_address"], mac=mac_address(row["mac_address"]),
            age=float(expire) * 60 if expire.isdigit() else None))
    return tuple(result)


_SYSNAME = re.compile(r"^\s*sysname\s+(\S.*?)\s*$", re.MULTILINE)


def sysname(config: str) -> str:
    """The ``sysname`` of a VRP or Comware configuration (``""`` when absent)."""
    match = _SYSNAME.search(config)
    return match.group(1) if match else ""


_INTERFACE = re.compile(r"^interface\s+(\S+)\s*$")
_ADDRESS = re.compile(r"^\s+ip\s+address\s+(\d+\.\d+\.\d+\.\d+)\s+(\d+\.\d+\.\d+\.\d+|\d+)\s*$")


_DESCRIPTION = re.compile(r"^\s+description\s+(\S.*?)\s*$")


def _interface_lines(config: str) -> Iterator[tuple[str, str]]:
    """``(interface, line)`` for each indented line of each ``interface`` block."""
    current = ""
    for line in config.splitlines():
        match = _INTERFACE.match(line)
        if match is not None:
            current = match.group(1)
        elif not line.startswith(" "):
            current = ""
        elif current:
            yield current, line


def config_addresses(config: str) -> dict[str, tuple[str, ...]]:
    """Primary ``ip address A MASK`` of each ``interface`` block (``sub`` addresses left out)."""
    result: dict[str, tuple[str, ...]] = {}
    for name, line in _interface_lines(config):
        address = _ADDRESS.match(line)
        if address is not None:
            text = f"{address.group(1)}/{address.group(2)}"
            try:
                result[name] = (*result.get(name, ()), str(ipaddress.ip_interface(text)))
            except ValueError:
                continue
    return result


def config_descriptions(config: str) -> dict[str, str]:
    """``description`` of each ``interface`` block of a VRP or Comware configuration."""
    result = {}
    for name, line in _interface_lines(config):
        match = _DESCRIPTION.match(line)
        if match is not None:
            result[name] = match.group(1)
    return result


def with_descriptions(interfaces: Iterable[InterfaceFacts],
                      descriptions: dict[str, str]) -> tuple[InterfaceFacts, ...]:
    """``interfaces`` with their configured description (the brief tables cut or omit it)."""
    return tuple(i.model_copy(update={"description": descriptions[i.name]})
                 if descriptions.get(i.name) else i for i in interfaces)


class VrpDialect:
    """Huawei VRP, through netmiko's ``huawei`` device type."""

    name: str = "huawei_vrp"
    needs_enable: bool = False
    commands: tuple[str, ...] = (VERSION, ESN, INTERFACES, IP_INTERFACES, LLDP, ARP, CONFIG)

    def read(self, cmds: Commands) -> Reading:
        """See :class:`~egovops.collect.netmiko_cli.Dialect`."""
        facts = cmds.required(VERSION, parse_version)
        serial = cmds.optional(ESN, parse_esn, "")
        state: list[InterfaceFacts] = cmds.optional(INTERFACES, parse_interfaces, [])
        addressed: list[InterfaceFacts] = cmds.optional(IP_INTERFACES, parse_ip_interfaces, [])
        config = cmds.optional(CONFIG, str, "")
        interfaces = with_descriptions(merge_interfaces(state, addressed),
                                       config_descriptions(config))
        names = [i.name for i in interfaces]
        lldp: tuple[LldpNeighbor, ...] = cmds.optional(
            LLDP, lambda text: parse_lldp(text, names), ())
        arp: tuple[ArpEntry, ...] = cmds.optional(ARP, lambda text: parse_arp(text, names), ())
        hostname = sysname(config)
        facts = facts.model_copy(update={"hostname": hostname, "fqdn": hostname,
                                         "serial_number": serial})
        return Reading(facts=facts, interfaces=interfaces, lldp=lldp, arp=arp,
                       configs={"running": config} if config.strip() else {})
