"""Collected facts of one device: inert, frozen, JSON-ready (what a snapshot stores).

Shaped after napalm's getters (``get_facts``, ``get_interfaces``, ``get_interfaces_ip``,
``get_lldp_neighbors_detail``, ``get_arp_table``) so every collector, napalm-based or not,
produces the same thing. Raw configurations (running config, firewall rulesets) travel beside
the facts in ``configs`` and are written to their own files, not into the JSON.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Facts(_Frozen):
    """napalm ``get_facts``: who the device says it is."""

    hostname: str = ""
    fqdn: str = ""
    vendor: str = ""
    model: str = ""
    os_version: str = ""
    serial_number: str = ""
    uptime: float | None = None
    """Seconds since boot, when known."""


class InterfaceFacts(_Frozen):
    """One interface as the device reports it, with its addresses (``10.0.0.1/30``)."""

    name: str
    is_up: bool | None = None
    is_enabled: bool | None = None
    mac: str = ""
    mtu: int | None = None
    speed_mbps: float | None = None
    description: str = ""
    addresses: tuple[str, ...] = ()


class LldpNeighbor(_Frozen):
    """One LLDP neighbour seen on a local interface."""

    local_interface: str
    remote_system_name: str = ""
    remote_port: str = ""
    remote_port_description: str = ""
    remote_chassis_id: str = ""
    remote_system_description: str = ""
    remote_mgmt: tuple[str, ...] = ()


class ArpEntry(_Frozen):
    """One learned ARP / neighbour-table entry (the CLI dialects leave out the device's own
    addresses, which VRP and IOS list among them)."""

    interface: str
    ip: str
    mac: str
    """``aa:bb:cc:dd:ee:ff`` (every collector normalises vendor spellings to this)."""
    age: float | None = None
    """Seconds, as the device counts them (CLI dialects convert vendors' minutes; napalm
    drivers report their own unit — ``ios`` minutes). ``None`` for static entries."""


class DeviceFacts(_Frozen):
    """Everything collected from one device in one run."""

    device: str
    collector: str
    collected_at: str
    """ISO 8601 UTC time the collection finished."""
    facts: Facts = Facts()
    interfaces: tuple[InterfaceFacts, ...] = ()
    lldp: tuple[LldpNeighbor, ...] = ()
    arp: tuple[ArpEntry, ...] = ()
    configs: dict[str, str] = Field(default_factory=dict, exclude=True)
    """Raw configurations by name (``running``, ``nftables``, ``nftables.json``); stored as
    files in the snapshot, not in the facts JSON."""
    warnings: tuple[str, ...] = ()
    """Getters that failed without failing the device (e.g. no lldpd on a host)."""

    def interface(self, name: str) -> InterfaceFacts | None:
        """The interface called ``name``, if reported."""
        for iface in self.interfaces:
            if iface.name == name:
                return iface
        return None
