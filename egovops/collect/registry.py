"""Which collector serves which device: one explicit table, no import side effects.

The default table maps a device's napalm driver / netmiko type (from the platform table or the
device's own override) to a collector: ``egovops_linux`` → :class:`LinuxCollector` (netmiko
``linux``); a napalm driver that is installed → :class:`NapalmCollector`. (A netmiko +
ntc-templates collector for platforms without an installed napalm driver is still to
come.) A caller may pass its own table (the replay collector for offline runs, fakes in tests).
"""

from __future__ import annotations

from collections.abc import Callable

from egovops.collect.base import Collector, UnsupportedError
from egovops.model.inventory import Device

CollectorTable = Callable[[Device], Collector]
"""Chooses the collector of a device; raises :class:`UnsupportedError` when none fits."""


def default_table(device: Device) -> Collector:
    """The collector egovops uses for ``device`` on a live network."""
    from egovops.collect.linux import LinuxCollector  # noqa: PLC0415 - heavy (netmiko)
    from egovops.collect.napalm import NapalmCollector, napalm_available  # noqa: PLC0415

    if device.mgmt is None:
        raise UnsupportedError("no management address in the inventory")
    driver = device.napalm
    if driver == "egovops_linux" or (driver is None and device.netmiko == "linux"):
        return LinuxCollector()
    if driver is not None and napalm_available(driver):
        return NapalmCollector(driver)
    raise UnsupportedError(
        f"no collector for platform {device.platform!r} (napalm driver {driver or '-'} is not "
        "installed)")


def collector_for(device: Device, table: CollectorTable | None = None) -> Collector:
    """The collector ``table`` (default: :func:`default_table`) picks for ``device``."""
    return (table or default_table)(device)
