"""H3C Comware 7 (and HPE Comware switches): commands and parsers.

=========================================  ========================================  =============
command                                    gives                                     template
=========================================  ========================================  =============
``display version``  (required)            model, Comware version and release        egovops
``display device manuinfo``                serial number (first slot)                ntc-templates
``display interface brief``                interfaces: state, speed, description     ntc-templates
``display ip interface brief``             addresses                                 egovops
``display lldp neighbor-information list`` LLDP neighbours                           ntc-templates
``display arp``                            ARP entries                               ntc-templates
``display current-configuration``          running config; sysname, descriptions     —
=========================================  ========================================  =============

Comware abbreviates interface names in every brief table (``XGE1/0/49``); facts carry the full
names the configuration uses (``Ten-GigabitEthernet1/0/49``). Releases that print
``display ip interface brief`` without masks get the prefix length from the configuration's
``ip address`` lines; an address whose mask is nowhere to be found is left out with a warning.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from egovops.collect.base import ParseError
from egovops.collect.facts import ArpEntry, Facts, InterfaceFacts, LldpNeighbor
from egovops.collect.fsm import parse_table
from egovops.collect.netmiko_cli import Commands, Reading
from egovops.collect.normalize import (
    COMWARE_ABBREVIATIONS,
    IOS_ABBREVIATIONS,
    interface_name,
    mac_address,
    speed_mbps,
    uptime_seconds,
)
from egovops.collect.vrp import (
    config_addresses,
    config_descriptions,
    merge_interfaces,
    sysname,
    with_descriptions,
)

VERSION = "display version"
MANUINFO = "display device manuinfo"
INTERFACES = "display interface brief"
IP_INTERFACES = "display ip interface brief"
LLDP = "display lldp neighbor-information list"
ARP = "display arp"
CONFIG = "display current-configuration"


def parse_version(text: str) -> Facts:
    """``display version`` → vendor, model, Comware version and release, uptime."""
    rows = parse_table("hp_comware_display_version", text)
    if not rows or not rows[0]["version"]:
        raise ParseError(f"{VERSION}: no Comware version line in {text[:120]!r}")
    row = rows[0]
    version = f"Comware {row['version']}"
    if row["release"]:
        version += f", Release {row['release']}"
    return Facts(vendor=row["vendor"] or "H3C", model=row["model"], os_version=version,
                 uptime=uptime_seconds(row["uptime"]))


def parse_manuinfo(text: str) -> str:
    """``display device manuinfo`` → serial number of the first slot (or the chassis)."""
    for row in parse_table("hp_comware_display_device_manuinfo", text):
        serial = row["device_serial_number"]
        if row["slot_type"].lower() in ("slot", "chassis") and serial \
                and serial.upper() not in ("NONE", "N/A"):
            return str(serial)
    return ""


def _full(name: str) -> str:
    return interface_name(name, COMWARE_ABBREVIATIONS)


def _text(value: str) -> str:
    value = value.strip()
    return "" if value in ("-", "--", "N/A") else value


def parse_interfaces(text: str) -> list[InterfaceFacts]:
    """``display interface brief`` (route- and bridge-mode tables) → interfaces.

    ``Link`` is ``UP``, ``DOWN``, ``ADM`` (administratively down) or ``Stby``; a route-mode
    interface is up when its protocol is up too, a bridge-mode port when its link is.
    """
    result = []
    for row in parse_table("hp_comware_display_interface_brief", text):
        link, protocol = row["link"].upper(), row["protocol"].upper()
        up = link == "UP" and (protocol.startswith("UP") if protocol else not row["main_ip"])
        result.append(InterfaceFacts(
            name=_full(row["interface"]), is_enabled=link != "ADM", is_up=up,
            speed_mbps=speed_mbps(row["speed"]) if row["speed"] else None,
            description=_text(row["description"])))
    return result


def parse_ip_interfaces(text: str, config: dict[str, tuple[str, ...]] | None = None,
                        warnings: list[str] | None = None) -> list[InterfaceFacts]:
    """``display ip interface brief`` → interfaces with their primary address.

    Without a mask in the table, the address's prefix length comes from ``config``
    (:func:`~egovops.collect.vrp.config_addresses`).
    """
    result = []
    for row in parse_table("hp_comware_display_ip_interface_brief", text):
        name = _full(row["interface"])
        physical, protocol = row["physical"].lower(), row["protocol"].lower()
        result.append(InterfaceFacts(
            name=name, is_enabled=not physical.startswith("*"),
            is_up=physical.startswith("up") and protocol.startswith("up"),
            description=_text(row["description"]),
            addresses=_address(name, row["address"], config or {}, warnings)))
    return result


def _address(name: str, text: str, config: dict[str, tuple[str, ...]],
             warnings: list[str] | None) -> tuple[str, ...]:
    if text in ("--", "unassigned", ""):
        return ()
    try:
        if "/" in text:
            return (str(ipaddress.ip_interface(text)),)
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise ParseError(f"{IP_INTERFACES}: not an address: {text!r}") from None
    for configured in config.get(name, ()):
        if ipaddress.ip_interface(configured).ip == ip:
            return (configured,)
    if warnings is not None:
        warnings.append(f"{IP_INTERFACES}: {name} {ip}: prefix length unknown (not in the "
                        "table nor in the configuration); address left out")
    return ()


_REMOTE = {**IOS_ABBREVIATIONS, **COMWARE_ABBREVIATIONS}
"""A neighbour's port id: Comware's abbreviations, or Cisco's (abbreviated at the source)."""


def join_wrapped_names(text: str) -> str:
    """``display lldp neighbor-information list`` with wrapped system names put back together.

    Comware prints the ``System Name`` column 20 characters wide and continues a longer name
    at the start of the next line(s), alone (``SEP0000000000A0.exam`` / ``ple.com``); the
    template would drop those lines. A line that follows a table row and holds one word only
    is such a continuation: it is joined to the row's first column.
    """
    lines = text.splitlines()
    out: list[str] = []
    in_table = False
    for line in lines:
        stripped = line.strip()
        if re.match(r"System\s+Name\s+Local\s+Interface", stripped):
            in_table = True
            out.append(line)
            continue
        if in_table and out and stripped and len(stripped.split()) == 1 and \
                not line.startswith(" ") and len(out[-1].split()) >= 4:
            name, rest = out[-1].split(None, 1)
            out[-1] = f"{name}{stripped} {rest}"
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def parse_lldp(text: str, known: Iterable[str] = ()) -> tuple[LldpNeighbor, ...]:
    """``display lldp neighbor-information list`` → neighbours.

    System names wider than the 20-character column wrap onto lines of their own; they are
    joined back (:func:`join_wrapped_names`) before the table is read, so a neighbour such as
    ``ZWWW-BORDER-R1.zwww.gov.example`` keeps its full name.
    """
    names = list(known)
    return tuple(
        LldpNeighbor(
            local_interface=interface_name(row["local_interface"], COMWARE_ABBREVIATIONS,
                                           names),
            remote_system_name=_text(row["neighbor_name"]),
            remote_port=interface_name(row["neighbor_interface"], _REMOTE),
            remote_chassis_id=mac_address(row["chassis_id"]))
        for row in parse_table("hp_comware_display_lldp_neighbor-information_list",
                               join_wrapped_names(text)))


def parse_arp(text: str, known: Iterable[str] = ()) -> tuple[ArpEntry, ...]:
    """``display arp`` → entries; ``Aging`` is in minutes, ``age`` in seconds."""
    names = list(known)
    return tuple(
        ArpEntry(interface=interface_name(row["interface"], COMWARE_ABBREVIATIONS, names),
                 ip=row["ip_address"], mac=mac_address(row["mac_address"]),
                 age=float(row["aging"]) * 60 if row["aging"].isdigit() else None)
        for row in parse_table("hp_comware_display_arp", text))


class ComwareDialect:
    """H3C Comware, through netmiko's ``hp_comware`` device type."""

    name: str = "h3c_comware"
    needs_enable: bool = False
    commands: tuple[str, ...] = (VERSION, MANUINFO, INTERFACES, IP_INTERFACES, LLDP, ARP, CONFIG)

    def read(self, cmds: Commands) -> Reading:
        """See :class:`~egovops.collect.netmiko_cli.Dialect`."""
        facts = cmds.required(VERSION, parse_version)
        serial = cmds.optional(MANUINFO, parse_manuinfo, "")
        config = cmds.optional(CONFIG, str, "")
        configured = config_addresses(config)
        state: list[InterfaceFacts] = cmds.optional(INTERFACES, parse_interfaces, [])
        addressed: list[InterfaceFacts] = cmds.optional(
            IP_INTERFACES, lambda text: parse_ip_interfaces(text, configured, cmds.warnings), [])
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
