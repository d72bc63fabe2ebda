"""Network CLIs through netmiko and TextFSM: the collector for platforms napalm has no driver for.

A :class:`Dialect` knows one CLI family — Huawei VRP (:mod:`egovops.collect.vrp`), H3C Comware
(:mod:`egovops.collect.comware`), Cisco IOS (:mod:`egovops.collect.ios`): which commands to
run and how to read their output into the facts model. It runs them through a
:class:`Commands` wrapper over any :class:`~egovops.collect.linux.CommandRunner` — a live netmiko
session (:class:`NetmikoCollector`) or recorded files (:mod:`egovops.collect.replay`) — so live
runs, offline audits and tests share the parsers.

As with napalm's getters, the identity command (``display version`` / ``show version``) is
required: its failure fails the device. Every other command that fails or cannot be parsed
becomes a warning in the device's facts, and the rest is still reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from egovops.collect.base import CollectContext, CollectError
from egovops.collect.credentials import resolve_login
from egovops.collect.facts import ArpEntry, DeviceFacts, Facts, InterfaceFacts, LldpNeighbor
from egovops.collect.linux import CommandRunner
from egovops.collect.transport import NetmikoSession
from egovops.model.inventory import Device

T = TypeVar("T")


@dataclass(frozen=True)
class Reading:
    """What a dialect read from one device."""

    facts: Facts
    interfaces: tuple[InterfaceFacts, ...] = ()
    lldp: tuple[LldpNeighbor, ...] = ()
    arp: tuple[ArpEntry, ...] = ()
    configs: dict[str, str] = field(default_factory=dict)


class Commands:
    """A device's commands, run through ``runner``; optional ones fail into ``warnings``."""

    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner
        self.warnings: list[str] = []

    def required(self, command: str, parse: Callable[[str], T]) -> T:
        """``parse`` of ``command``'s output; any failure fails the device."""
        return parse(self.runner.run(command))

    def optional(self, command: str, parse: Callable[[str], T], default: T) -> T:
        """``parse`` of ``command``'s output, or ``default`` with a warning (as napalm getters
        other than ``get_facts`` are treated by :func:`~egovops.collect.napalm.run_getters`).

        A timeout or a dropped session is not a warning: it still fails the device (the
        session is gone, the next command would fail the same way).
        """
        try:
            return parse(self.runner.run(command))
        except CollectError as exc:
            if exc.kind in ("timeout", "unreachable"):
                raise
            self.warnings.append(f"{command}: {exc}")
        except Exception as exc:  # a parser's surprise must not cost the other tables
            self.warnings.append(f"{command}: {type(exc).__name__}: {exc}")
        return default


class Dialect(Protocol):
    """How egovops reads one CLI family."""

    name: str
    """Short name, recorded in the collector name (``netmiko:huawei_vrp``)."""
    commands: tuple[str, ...]
    """Every command :meth:`read` may run (what a recording of the device must hold)."""
    needs_enable: bool
    """Whether the commands need privileged mode (IOS ``show running-config``): the collector
    enters it when the device's credentials have an ``enable`` secret."""

    def read(self, cmds: Commands) -> Reading:
        """Run the commands through ``cmds`` and read their output into facts.

        Raises :class:`~egovops.collect.base.CollectError` when the required identity command
        fails; other failures go into ``cmds.warnings``.
        """
        ...


def collect_cli(device: Device, runner: CommandRunner, dialect: Dialect, collector: str,
                prompt: str = "") -> DeviceFacts:
    """Facts of ``device`` read by ``dialect`` from ``runner``.

    ``prompt`` (the base prompt of a live session) names the device when its configuration
    could not be read.
    """
    cmds = Commands(runner)
    reading = dialect.read(cmds)
    facts = reading.facts
    if not facts.hostname and prompt:
        facts = facts.model_copy(update={"hostname": prompt, "fqdn": facts.fqdn or prompt})
    return DeviceFacts(
        device=device.id, collector=collector,
        collected_at=datetime.now(UTC).isoformat(timespec="seconds"),
        facts=facts, interfaces=reading.interfaces, lldp=reading.lldp, arp=reading.arp,
        configs=reading.configs, warnings=tuple(cmds.warnings),
    )


class NetmikoCollector:
    """Any :class:`Dialect` over SSH with netmiko (``netmiko:huawei_vrp``, ``netmiko:ios`` …)."""

    def __init__(self, device_type: str, dialect: Dialect) -> None:
        self.device_type = device_type
        self.dialect = dialect
        self.name = f"netmiko:{dialect.name}"

    def collect(self, device: Device, ctx: CollectContext) -> DeviceFacts:
        """See :class:`~egovops.collect.base.Collector`."""
        login = resolve_login(device.credentials, ctx.root, ctx.environ, ctx.redactor)
        session = NetmikoSession(str(device.mgmt), self.device_type, login, ctx)
        try:
            if self.dialect.needs_enable and login.enable:
                session.enable()
            prompt = str(getattr(session.conn, "base_prompt", "") or "")
            return collect_cli(device, session, self.dialect, self.name, prompt)
        finally:
            session.close()
