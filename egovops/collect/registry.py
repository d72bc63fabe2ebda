"""Which collector serves which device: one explicit table, no import side effects.

:func:`default_table` decides by the device's napalm driver and netmiko type (from the
platform table, or the device's own overrides), in this order:

1. ``egovops_linux`` (or no driver and netmiko ``linux``) → :class:`LinuxCollector`;
2. a napalm driver that is installed → :class:`NapalmCollector` (``napalm:ios``, and
   ``napalm:huawei_vrp`` / ``napalm:h3c_comware`` when those community drivers are installed);
3. a netmiko type with a CLI dialect (:data:`~egovops.collect.dialects.DIALECTS`: Huawei VRP,
   H3C Comware, Cisco IOS) → :class:`NetmikoCollector` (netmiko + TextFSM);
4. anything else → :class:`UnsupportedError` for that device.

:func:`cli_table` is the same with step 3 before step 2, for sites that prefer egovops's own
parsers to napalm's. A caller may pass any table of its own (the replay collector for offline
runs, fakes in tests).
"""

from __future__ import annotations

from collections.abc import Callable

from egovops.collect.base import Collector, UnsupportedError
from egovops.model.inventory import Device

CollectorTable = Callable[[Device], Collector]
"""Chooses the collector of a device; raises :class:`UnsupportedError` when none fits."""


def _choose(device: Device, cli_first: bool) -> Collector:
    # heavy imports (netmiko; napalm, textfsm only for network devices) when a run needs them
    if device.mgmt is None:
        raise UnsupportedError("no management address in the inventory")
    driver, netmiko_type = device.napalm, device.netmiko
    if driver == "egovops_linux" or (driver is None and netmiko_type == "linux"):
        from egovops.collect.linux import LinuxCollector  # noqa: PLC0415

        return LinuxCollector()
    from egovops.collect.dialects import dialect_for  # noqa: PLC0415
    from egovops.collect.napalm import NapalmCollector, napalm_available  # noqa: PLC0415
    from egovops.collect.netmiko_cli import NetmikoCollector  # noqa: PLC0415

    dialect = dialect_for(netmiko_type)
    if dialect is not None and netmiko_type is not None and cli_first:
        return NetmikoCollector(netmiko_type, dialect)
    if driver is not None and napalm_available(driver):
        return NapalmCollector(driver)
    if dialect is not None and netmiko_type is not None:
        return NetmikoCollector(netmiko_type, dialect)
    raise UnsupportedError(
        f"no collector for platform {device.platform!r} (napalm driver {driver or '-'} is not "
        f"installed, no egovops CLI dialect for netmiko type {netmiko_type or '-'})")


def default_table(device: Device) -> Collector:
    """The collector egovops uses for ``device`` on a live network (napalm first)."""
    return _choose(device, cli_first=False)


def cli_table(device: Device) -> Collector:
    """Like :func:`default_table`, but egovops's netmiko + TextFSM dialects before napalm."""
    return _choose(device, cli_first=True)


def collector_for(device: Device, table: CollectorTable | None = None) -> Collector:
    """The collector ``table`` (default: :func:`default_table`) picks for ``device``."""
    return (table or default_table)(device)
