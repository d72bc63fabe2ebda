"""Linux hosts and Linux firewalls: commands, and parsers of their JSON output.

The commands are run through any :class:`CommandRunner` — a live netmiko session
(:class:`LinuxCollector`) or recorded files (:mod:`egovops.collect.replay`) — so the same
parsers serve live collection, offline audits and tests:

* facts: ``hostname``, ``uname``, ``/proc/uptime``, ``/etc/os-release`` in one round trip
* interfaces: ``ip -j addr`` (state, MAC, MTU, addresses) and link speeds from ``/sys``
* LLDP: ``lldpcli -f json show neighbors details``
* ARP: ``ip -j neigh``
* firewall: ``nft -j list ruleset`` and ``nft list ruleset`` (platform ``linux``),
  ``iptables-save`` (platform ``linux_iptables``), only on devices with role firewall,
  vpn-gateway or router.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from egovops.collect.base import CollectContext, CollectError, ParseError
from egovops.collect.credentials import resolve_login
from egovops.collect.facts import ArpEntry, DeviceFacts, Facts, InterfaceFacts, LldpNeighbor
from egovops.collect.transport import NetmikoSession
from egovops.model.inventory import Device, DeviceRole

FACTS = ("hostname; hostname -f 2>/dev/null || hostname; uname -sr; uname -m; "
         "cut -d' ' -f1 /proc/uptime; (. /etc/os-release 2>/dev/null; echo \"$PRETTY_NAME\")")
IP_ADDR = "ip -j addr"
SPEEDS = "grep -H . /sys/class/net/*/speed 2>/dev/null; true"
LLDP = "lldpcli -f json show neighbors details"
NEIGH = "ip -j neigh"
NFT_JSON = "nft -j list ruleset"
NFT = "nft list ruleset"
IPTABLES = "iptables-save"

FIREWALL_ROLES = frozenset({DeviceRole.FIREWALL, DeviceRole.VPN_GATEWAY, DeviceRole.ROUTER})


class CommandRunner(Protocol):
    """Anything that runs a device command and returns its output."""

    def run(self, command: str, timeout: float | None = None) -> str:
        """Output of ``command``; raises :class:`CollectError` when it cannot be had."""
        ...


def collect_linux(device: Device, runner: CommandRunner, collector: str) -> DeviceFacts:
    """Facts of a Linux device from ``runner``; a failing optional getter becomes a warning."""
    warnings: list[str] = []

    def optional(command: str, parse: Callable[[str], Any], default: Any) -> Any:
        try:
            return parse(runner.run(command))
        except CollectError as exc:
            if exc.kind in ("timeout", "unreachable"):
                raise
            warnings.append(f"{command}: {exc}")
            return default

    facts = parse_facts(runner.run(FACTS))
    interfaces = parse_ip_addr(runner.run(IP_ADDR))
    speeds = optional(SPEEDS, parse_speeds, {})
    interfaces = tuple(
        i.model_copy(update={"speed_mbps": speeds.get(i.name)}) if i.name in speeds else i
        for i in interfaces
    )
    facts = facts.model_copy(update={"vendor": facts.vendor or "Linux"})
    lldp = optional(LLDP, parse_lldpcli, ())
    arp = optional(NEIGH, parse_ip_neigh, ())
    configs: dict[str, str] = {}
    fmt = device.platform_info.firewall_format
    if device.role in FIREWALL_ROLES or device.config:
        if fmt == "nftables":
            text = optional(NFT_JSON, _checked_json, None)
            if text is not None:
                configs["nftables.json"] = text
            listing = optional(NFT, str, None)
            if listing is not None:
                configs["nftables"] = listing
        elif fmt == "iptables":
            saved = optional(IPTABLES, str, None)
            if saved is not None:
                configs["iptables"] = saved
    return DeviceFacts(
        device=device.id, collector=collector,
        collected_at=datetime.now(UTC).isoformat(timespec="seconds"),
        facts=facts, interfaces=interfaces, lldp=lldp, arp=arp, configs=configs,
        warnings=tuple(warnings),
    )


def _json(text: str, what: str) -> Any:
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ParseError(f"{what}: no JSON in the output: {text[:120]!r}")
    try:
        return json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: bad JSON at character {exc.pos}: {exc.msg}") from None


def _checked_json(text: str) -> str:
    _json(text, NFT_JSON)
    return text


def parse_facts(text: str) -> Facts:
    """Output of :data:`FACTS` (one value per line) → :class:`Facts`."""
    lines = [line.strip() for line in text.splitlines()]
    lines += [""] * (6 - len(lines))
    hostname, fqdn, kernel, machine, uptime, pretty = lines[:6]
    try:
        seconds: float | None = float(uptime)
    except ValueError:
        seconds = None
    return Facts(hostname=hostname, fqdn=fqdn or hostname, vendor="Linux", model=machine,
                 os_version=f"{pretty} ({kernel})" if pretty else kernel, uptime=seconds)


def parse_ip_addr(text: str) -> tuple[InterfaceFacts, ...]:
    """``ip -j addr`` → interfaces with state, MAC, MTU and addresses."""
    data = _json(text, IP_ADDR)
    if not isinstance(data, list):
        raise ParseError(f"{IP_ADDR}: expected a JSON list")
    result = []
    for entry in data:
        flags = set(entry.get("flags", []))
        addrs = tuple(f"{a['local']}/{a['prefixlen']}" for a in entry.get("addr_info", [])
                      if "local" in a and a.get("scope") != "link")
        result.append(InterfaceFacts(
            name=str(entry.get("ifname", "")),
            is_enabled="UP" in flags,
            is_up="UP" in flags and "LOWER_UP" in flags,
            mac=str(entry.get("address", "")),
            mtu=entry.get("mtu"),
            description=str(entry.get("ifalias", "")),
            addresses=addrs,
        ))
    return tuple(result)


def parse_speeds(text: str) -> dict[str, float]:
    """``/sys/class/net/IF/speed:1000`` lines → ``{IF: 1000.0}`` (unknown speeds left out)."""
    speeds: dict[str, float] = {}
    for line in text.splitlines():
        path, _, value = line.partition(":")
        parts = path.split("/")
        if len(parts) >= 2 and value.strip().lstrip("-").isdigit() and int(value) > 0:
            speeds[parts[-2]] = float(value)
    return speeds


def parse_lldpcli(text: str) -> tuple[LldpNeighbor, ...]:
    """``lldpcli -f json show neighbors [details]`` → neighbours.

    lldpcli's JSON turns a list of one into a bare object; both shapes are accepted.
    """
    data = _json(text, LLDP)
    interfaces = data.get("lldp", {}).get("interface", []) if isinstance(data, dict) else []
    if isinstance(interfaces, dict):
        interfaces = [{name: value} for name, value in interfaces.items()]
    result = []
    for entry in interfaces:
        for local, info in entry.items():
            chassis = info.get("chassis", {})
            if isinstance(chassis, dict) and len(chassis) == 1 and "id" not in chassis:
                name, details = next(iter(chassis.items()))
            else:
                name, details = str(chassis.get("name", {}).get("value", "")), chassis
            port = info.get("port", {})
            port_id = port.get("id", {})
            mgmt = details.get("mgmt-ip", [])
            result.append(LldpNeighbor(
                local_interface=local,
                remote_system_name=name,
                remote_port=str(port_id.get("value", "") if isinstance(port_id, dict)
                                else port_id) or str(port.get("descr", "")),
                remote_port_description=str(port.get("descr", "")),
                remote_chassis_id=str(details.get("id", {}).get("value", "")),
                remote_system_description=str(details.get("descr", "")),
                remote_mgmt=tuple([mgmt] if isinstance(mgmt, str) else mgmt),
            ))
    return tuple(result)


def parse_ip_neigh(text: str) -> tuple[ArpEntry, ...]:
    """``ip -j neigh`` → ARP/ND entries with a MAC address."""
    data = _json(text, NEIGH) if text.strip() else []
    return tuple(
        ArpEntry(interface=str(e.get("dev", "")), ip=str(e["dst"]), mac=str(e["lladdr"]))
        for e in data if "lladdr" in e and "dst" in e
    )


class LinuxCollector:
    """Linux hosts and firewalls over SSH with netmiko's ``linux`` device type."""

    name = "linux"

    def collect(self, device: Device, ctx: CollectContext) -> DeviceFacts:
        """See :class:`~egovops.collect.base.Collector`."""
        login = resolve_login(device.credentials, ctx.root, ctx.environ, ctx.redactor)
        session = NetmikoSession(str(device.mgmt), device.netmiko or "linux", login, ctx)
        try:
            return collect_linux(device, session, self.name)
        finally:
            session.close()
