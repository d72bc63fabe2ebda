"""Replay: collect from recorded command outputs instead of a live device.

A recording folder holds one sub-folder per device id, and in it one file per command, named
by :func:`command_file` (``ip -j addr`` → ``ip_j_addr.txt``). The replay collector feeds these
files through the very parsers a live run uses, so offline audits and tests exercise the same
code. :func:`record` writes such a folder from any live :class:`CommandRunner`.
"""

from __future__ import annotations

import re
from pathlib import Path

from egovops.collect import linux
from egovops.collect.base import CollectContext, CollectError, UnsupportedError
from egovops.collect.facts import DeviceFacts
from egovops.collect.napalm import LinuxNapalmDriver, facts_from_getters, run_getters
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
        if device.netmiko != "linux":
            raise UnsupportedError(f"replay of platform {device.platform!r} is not supported")
        runner = ReplayRunner(folder)
        if not self.via_napalm:
            return linux.collect_linux(device, runner, self.name)
        driver = LinuxNapalmDriver(str(device.mgmt), "", "", optional_args={
            "egovops_runner": runner,
            "firewall_format": device.platform_info.firewall_format})
        driver.open()
        getters, warnings = run_getters(driver)
        return facts_from_getters(device.id, self.name, getters, warnings)


def record(runner: linux.CommandRunner, commands: list[str], folder: Path) -> None:
    """Save the output of each of ``commands`` from ``runner`` into ``folder``."""
    for command in commands:
        write_atomic(folder / command_file(command), runner.run(command))
