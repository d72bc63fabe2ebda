"""Which CLI dialect reads which netmiko device type: one explicit table.

Keys are netmiko ``device_type`` names as the platform table (or a device's
``netmiko_device_type``) gives them; every alias netmiko accepts for the same CLI is listed.
"""

from __future__ import annotations

from egovops.collect.comware import ComwareDialect
from egovops.collect.ios import IosDialect
from egovops.collect.netmiko_cli import Dialect
from egovops.collect.vrp import VrpDialect

_VRP = VrpDialect()
_COMWARE = ComwareDialect()
_IOS = IosDialect()

DIALECTS: dict[str, Dialect] = {
    "huawei": _VRP,
    "huawei_ssh": _VRP,
    "huawei_vrp": _VRP,
    "huawei_vrp_ssh": _VRP,
    "hp_comware": _COMWARE,
    "hp_comware_ssh": _COMWARE,
    "h3c_comware": _COMWARE,
    "h3c_comware_ssh": _COMWARE,
    "cisco_ios": _IOS,
    "cisco_ios_ssh": _IOS,
    "cisco_xe": _IOS,
}
"""netmiko device type → the dialect that reads it."""


def dialect_for(device_type: str | None) -> Dialect | None:
    """The dialect of netmiko ``device_type``, if egovops has one."""
    return DIALECTS.get(device_type or "")
