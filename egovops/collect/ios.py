"""Cisco IOS and IOS-XE through netmiko + ntc-templates (napalm's ``ios`` driver is preferred
when installed; this dialect is the fallback, and what :func:`~egovops.collect.registry.cli_table`
chooses).

================================  ============================================  =============
command                           gives                                         template
================================  ============================================  =============
``show version``  (required)      hostname, model, serial, IOS version, uptime  ntc-templates
``show interfaces``               state, MAC, MTU, speed, description, address  ntc-templates
``show lldp neighbors detail``    LLDP neighbours                               ntc-templates
``show ip arp``                   ARP entries (learned; own addresses omitted)  ntc-templates
``show running-config``           running configuration; ``ip domain name``     —
================================  ============================================  =============

``show interfaces`` names the primary address of each interface with its prefix length, so
``show ip interface brief`` (no masks) is not needed. Speed is the negotiated one
(``1000Mb/s``); an interface that reports none (down, virtual) has no speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from egovops.collect.base import ParseError
from egovops.collect.facts import ArpEntry, Facts, InterfaceFacts, LldpNeighbor
from egovops.collect.fsm import parse_table
from egovops.collect.netmiko_cli import Commands, Reading
from egovops.collect.normalize import (
    IOS_ABBREVIATIONS,
    interface_name,
    mac_address,
    speed_mbps,
    uptime_seconds,
)

VERSION = "show version"
INTERFACES = "show interfaces"
LLDP = "show lldp neighbors detail"
ARP = "show ip arp"
CONFIG = "show running-config"

_XE = re.compile(r"Cisco IOS[ -]XE Software", re.IGNORECASE)
_SPEED = re.compile(r"(\d+(?:\.\d+)?\s*[MG]b(?:ps|/s))", re.IGNORECASE)


def parse_version(text: str) -> Facts:
    """``show version`` → hostname, model, serial, version, uptime."""
    rows = parse_table("cisco_ios_show_version", text)
    if not rows or not rows[0]["version"]:
        raise ParseError(f"{VERSION}: no IOS version line in {text[:120]!r}")
    row = rows[0]
    family = "IOS-XE" if _XE.search(text) else "IOS"
    hardware, serial = row["hardware"], row["serial"]
    return Facts(hostname=row["hostname"], fqdn=row["hostname"], vendor="Cisco",
                 model=hardware[0] if hardware else "",
                 serial_number=serial[0] if serial else "",
                 os_version=f"{family} {row['version']}",
                 uptime=uptime_seconds(row["uptime"]))


def parse_interfaces(text: str) -> list[InterfaceFacts]:
    """``show interfaces`` → interfaces (``administratively down`` = disabled)."""
    result = []
    for row in parse_table("cisco_ios_show_interfaces", text):
        link, protocol = row["link_status"].lower(), row["protocol_status"].lower()
        speed = _SPEED.search(row["speed"] or "")
        address = f"{row['ip_address']}/{row['prefix_length']}" if row["ip_address"] else ""
        result.append(InterfaceFacts(
            name=row["interface"],
            is_enabled="administratively" not in link,
            is_up=protocol.startswith("up"),
            mac=mac_address(row["mac_address"]) if row["mac_address"] else "",
            mtu=int(row["mtu"]) if row["mtu"].isdigit() else None,
            speed_mbps=speed_mbps(speed.group(1).replace(" ", "")) if speed else None,
            description=row["description"].strip(),
            addresses=(address,) if address else ()))
    return result


def _text(value: str) -> str:
    value = value.strip()
    return "" if value in ("-", "--") or "not advertised" in value else value


def parse_lldp(text: str, known: Iterable[str] = ()) -> tuple[LldpNeighbor, ...]:
    """``show lldp neighbors detail`` → neighbours (``Local Intf`` expanded)."""
    names = list(known)
    result = []
    for row in parse_table("cisco_ios_show_lldp_neighbors_detail", text):
        local = row["local_interface"]
        if not local:
            raise ParseError(f"{LLDP}: no 'Local Intf' lines (IOS before 15.x); not supported")
        mgmt = _text(row["mgmt_address"])
        result.append(LldpNeighbor(
            local_interface=interface_name(local, IOS_ABBREVIATIONS, names),
            remote_system_name=_text(row["neighbor_name"]),
            remote_port=interface_name(_text(row["neighbor_port_id"]), IOS_ABBREVIATIONS),
            remote_port_description=_text(row["neighbor_interface"]),
            remote_chassis_id=mac_address(_text(row["chassis_id"])),
            remote_system_description=" ".join(_text(row["neighbor_description"]).split()),
            remote_mgmt=(mgmt,) if mgmt else ()))
    return tuple(result)


def parse_arp(text: str, known: Iterable[str] = ()) -> tuple[ArpEntry, ...]:
    """``show ip arp`` → learned entries; ``Age (min)`` ``-`` (own address) left out."""
    names = list(known)
    return tuple(
        ArpEntry(interface=interface_name(row["interface"], IOS_ABBREVIATIONS, names),
                 ip=row["ip_address"], mac=mac_address(row["mac_address"]),
                 age=float(row["age"]) * 60)
        for row in parse_table("cisco_ios_show_ip_arp", text)
        if row["age"].isdigit())


_DOMAIN = re.compile(r"^ip domain[ -]name\s+(?:vrf\s+\S+\s+)?(\S+)\s*$", re.MULTILINE)


def domain_name(config: str) -> str:
    """``ip domain name gov.example`` (or ``ip domain-name``) of a configuration."""
    match = _DOMAIN.search(config)
    return match.group(1) if match else ""


class IosDialect:
    """Cisco IOS / IOS-XE, through netmiko's ``cisco_ios`` device type."""

    name: str = "ios"
    needs_enable: bool = True
    commands: tuple[str, ...] = (VERSION, INTERFACES, LLDP, ARP, CONFIG)

    def read(self, cmds: Commands) -> Reading:
        """See :class:`~egovops.collect.netmiko_cli.Dialect`."""
        facts = cmds.required(VERSION, parse_version)
        listed: list[InterfaceFacts] = cmds.optional(INTERFACES, parse_interfaces, [])
        interfaces = tuple(listed)
        names = [i.name for i in interfaces]
        lldp: tuple[LldpNeighbor, ...] = cmds.optional(
            LLDP, lambda text: parse_lldp(text, names), ())
        arp: tuple[ArpEntry, ...] = cmds.optional(ARP, lambda text: parse_arp(text, names), ())
        config = cmds.optional(CONFIG, str, "")
        domain = domain_name(config)
        if domain and facts.hostname:
            facts = facts.model_copy(update={"fqdn": f"{facts.hostname}.{domain}"})
        return Reading(facts=facts, interfaces=interfaces, lldp=lldp, arp=arp,
                       configs={"running": config} if config.strip() else {})
