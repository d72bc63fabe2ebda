"""The platform table: how an inventory ``platform`` maps to a napalm driver and netmiko type.

One explicit table (no registration by import side effect). A device may override either value
in the inventory (``napalm_driver``, ``netmiko_device_type``) for drivers this table lacks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """What egovops knows about one device platform."""

    name: str
    description: str
    napalm_driver: str | None
    netmiko_device_type: str | None
    firewall_format: str | None = None
    ansible_network_os: str | None = None
    """``None`` with a napalm or netmiko driver means an ordinary SSH host for Ansible."""


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("ios", "Cisco IOS / IOS-XE", "ios", "cisco_ios", "cisco-ios", "cisco.ios.ios"),
        Platform("nxos", "Cisco NX-OS", "nxos_ssh", "cisco_nxos", "cisco-ios", "cisco.nxos.nxos"),
        Platform("asa", "Cisco ASA", None, "cisco_asa", "cisco-asa", "cisco.asa.asa"),
        Platform("junos", "Juniper Junos", "junos", "juniper_junos", None,
                 "junipernetworks.junos.junos"),
        Platform("eos", "Arista EOS", "eos", "arista_eos", None, "arista.eos.eos"),
        Platform("huawei_vrp", "Huawei VRP (routers, switches)", "huawei_vrp", "huawei",
                 "huawei", "community.network.ce"),
        Platform("huawei_usg", "Huawei USG firewall", "huawei_vrp", "huawei", "huawei",
                 "community.network.ce"),
        Platform("h3c_comware", "H3C Comware", "h3c_comware", "hp_comware", "h3c"),
        Platform("linux", "Linux host or firewall (nftables)", "egovops_linux", "linux",
                 "nftables"),
        Platform("linux_iptables", "Linux firewall (iptables)", "egovops_linux", "linux",
                 "iptables"),
        Platform("data_diode", "one-way transfer device (no management plane)", None, None),
        Platform("other", "unmanaged or unknown device", None, None),
    )
}
