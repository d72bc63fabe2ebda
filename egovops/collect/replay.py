"""Replay: collect from recorded command outputs instead of a live device.

A recording folder holds one sub-folder per device id, and in it one file per command, named
by :func:`command_file` (``ip -j addr`` → ``ip_j_addr.txt``, ``display arp`` →
``display_arp.txt``). The replay collector feeds these files through the very parsers a live
run uses, so offline audits and tests exercise the same code:

* Linux devices → :func:`egovops.collect.linux.collect_linux`;
* devices with a CLI dialect (Huawei VRP, H3C Comware, Cisco IOS) →
  :func:`egovops.collect.netmiko_cli.collect_cli`;
* ``via_napalm``: the device's napalm driver parses instead — egovops's Linux driver, the
  netmiko-based drivers (``ios`` …) fed through :class:`~egovops.collect.napalm.RecordedConnection`,
  and ``junos`` from recorded XML RPC replies (:mod:`egovops.collect.junos_replay`).

:func:`record` writes such a folder from any live :class:`CommandRunner`.
"""

from __future__ import annotations

import re
from pathlib import Path

from egovops.collect import linux
from egovops.collect.base import CollectContext, CollectError, UnsupportedError
from egovops.collect.dialects import dialect_for
from egovops.collect.facts import DeviceFacts
from egovops.collect.napalm import facts_from_getters, replayed_driver, run_getters
from egovops.collect.netmiko_cli import collect_cli
from egovops.fsio import write_atomic
from egovops.model.inventory import Device


def command_file(command: str) -> str:
    """File name of a command's recorded output."""
    return re.sub(r"[^A-Za-z0-9]+", "_", command).strip("_").lower()[:100] + ".txt"


class ReplayRunner:
    """A :class:`~egovops.collect.linux.CommandRunner` answering from recorded files."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def run(self, command: str, timeout: float | None = None) -> str:
        """The recorded output of ``command``."""
        path = self.folder / command_file(command)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CollectError(f"not recorded: {command!r} ({path.name})") from None


class ReplayCollector:
    """Collects from ``recordings/<device>/``; ``via_napalm`` goes through the napalm driver."""

    def __init__(self, recordings: Path, via_napalm: bool = False) -> None:
        self.recordings = Path(recordings)
        self.via_napalm = via_napalm
        self.name = "replay:napalm" if via_napalm else "replay"

    def collect(self, device: Device, ctx: CollectContext) -> DeviceFacts:
        """See :class:`~egovops.collect.base.Collector`."""
        folder = self.recordings / device.id
        if not folder.is_dir():
            raise CollectError(f"no recording for {device.id} in {self.recordings}")
        runner = ReplayRunner(folder)
        if self.via_napalm:
            return self._via_napalm(device, runner)
        if device.netmiko == "linux":
            return linux.collect_linux(device, runner, self.name)
        dialect = dialect_for(device.netmiko)
        if dialect is None:
            raise UnsupportedError(f"replay of platform {device.platform!r} is not supported")
        return collect_cli(device, runner, dialect, self.name)

    def _via_napalm(self, device: Device, runner: ReplayRunner) -> DeviceFacts:
        name = device.napalm
        if name == "junos":
            from egovops.collect.junos_replay import replayed_junos_driver  # noqa: PLC0415

            driver = replayed_junos_driver(runner.folder)
        elif name is not None:
            driver = replayed_driver(name, runner, device.platform_info.firewall_format)
        else:
            raise UnsupportedError(f"platform {device.platform!r} has no napalm driver")
        getters, warnings = run_getters(driver)
        return facts_from_getters(device.id, self.name, getters, warnings)


def record(runner: linux.CommandRunner, commands: list[str] | tuple[str, ...],
           folder: Path) -> None:
    """Save the output of each of ``commands`` from ``runner`` into ``folder``."""
    for command in commands:
        write_atomic(folder / command_file(command), runner.run(command))
