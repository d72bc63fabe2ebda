"""Ansible inventory generated from the model, in the YAML-plugin structure written as JSON.

``ansible-inventory -i inventory.json --list`` accepts the output as it is. Groups: one per
zone (``zone_<id>``), tier (``tier_1``…), role (``role_firewall``…), platform
(``platform_huawei_vrp``…), unit (``unit_<id>``), node (``node_<id>``) and inventory group
(``group_<name>``); devices egovops cannot manage (no napalm or netmiko driver) are in
``unmanaged``. Credentials are emitted as lookups of the references, never as values.
"""

from __future__ import annotations

import re
from typing import Any

from egovops.model.inventory import Device, Inventory, SecretRef

_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")


def group_name(prefix: str, value: str) -> str:
    """A valid Ansible group name: ``prefix_value`` with other characters turned into ``_``."""
    return f"{prefix}_{_GROUP_CHARS.sub('_', value)}"


def _lookup(ref: SecretRef) -> str:
    if ref.env is not None:
        return f"{{{{ lookup('ansible.builtin.env', '{ref.env}') }}}}"
    return f"{{{{ lookup('ansible.builtin.file', '{ref.file}') }}}}"


def host_vars(inv: Inventory, device: Device) -> dict[str, Any]:
    """Variables of one host: connection settings, references to secrets, and egovops facts."""
    platform = device.platform_info
    hv: dict[str, Any] = {
        "egovops_role": device.role.value,
        "egovops_platform": device.platform,
        "egovops_zone": device.zone,
    }
    if device.node is not None:
        node = inv.node_by_id[device.node]
        hv["egovops_node"] = node.id
        hv["egovops_tier"] = int(node.tier)
    if device.unit is not None:
        hv["egovops_unit"] = device.unit
    if device.netmiko:
        hv["egovops_netmiko_device_type"] = device.netmiko
    if device.napalm:
        hv["egovops_napalm_driver"] = device.napalm
    if device.mgmt is not None:
        hv["ansible_host"] = str(device.mgmt)
    if platform.ansible_network_os:
        hv["ansible_network_os"] = platform.ansible_network_os
        hv["ansible_connection"] = "ansible.netcommon.network_cli"
    elif device.netmiko == "linux":
        hv["ansible_connection"] = "ssh"
    creds = device.credentials
    if creds is not None:
        if isinstance(creds.username, str):
            hv["ansible_user"] = creds.username
        elif isinstance(creds.username, SecretRef):
            hv["ansible_user"] = _lookup(creds.username)
        if creds.password is not None:
            hv["ansible_password"] = _lookup(creds.password)
        if creds.enable is not None:
            hv["ansible_become_password"] = _lookup(creds.enable)
        if creds.ssh_key is not None:
            if creds.ssh_key.file is not None:
                hv["ansible_ssh_private_key_file"] = creds.ssh_key.file
            else:
                hv["egovops_ssh_key_env"] = creds.ssh_key.env
        if creds.ssh_config is not None:
            hv["ansible_ssh_common_args"] = f"-F {creds.ssh_config}"
        if creds.port != 22:
            hv["ansible_port"] = creds.port
    return hv


def ansible_inventory(inv: Inventory) -> dict[str, Any]:
    """The whole inventory as YAML-plugin data (``{"all": {"hosts": …, "children": …}}``)."""
    groups: dict[str, set[str]] = {}

    def add(group: str, host: str) -> None:
        groups.setdefault(group, set()).add(host)

    hosts: dict[str, Any] = {}
    for device in inv.devices:
        hosts[device.id] = host_vars(inv, device)
        add(group_name("zone", device.zone), device.id)
        add(group_name("role", device.role.value), device.id)
        add(group_name("platform", device.platform), device.id)
        if device.node is not None:
            add(group_name("node", device.node), device.id)
            add(f"tier_{int(inv.node_by_id[device.node].tier)}", device.id)
        if device.unit is not None:
            add(group_name("unit", device.unit), device.id)
        for name in device.groups:
            add(group_name("group", name), device.id)
        if not device.napalm and not device.netmiko:
            add("unmanaged", device.id)
    children: dict[str, Any] = {
        name: {"hosts": dict.fromkeys(sorted(members))}
        for name, members in sorted(groups.items())
    }
    zone_vars = {
        group_name("zone", z.id): {
            "egovops_zone_kind": z.kind.value,
            "egovops_zone_isolation": z.isolation.value,
        }
        for z in inv.zones
    }
    for name, zvars in zone_vars.items():
        if name in children:
            children[name]["vars"] = zvars
    return {
        "all": {
            "vars": {"egovops_site": inv.site.id},
            "hosts": hosts,
            "children": children,
        }
    }
