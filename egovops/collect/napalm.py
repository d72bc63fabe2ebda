"""Collection through napalm drivers, and egovops's Linux collector as a napalm driver.

:class:`NapalmCollector` runs napalm's getters (``get_facts``, ``get_interfaces``,
``get_interfaces_ip``, ``get_lldp_neighbors_detail``, ``get_arp_table``, ``get_config``) on any
installed driver — the core ones, or community drivers such as ``huawei_vrp`` and
``h3c_comware`` when their packages are installed — and turns the results into
:class:`DeviceFacts` with :func:`facts_from_getters`. For netmiko-based drivers the socket is
ours (``optional_args["sock"]``), so the runner's deadline can close it.

:class:`LinuxNapalmDriver` (driver name ``egovops_linux``) is the Linux collector behind napalm's
``NetworkDriver`` interface, usable from any napalm-based tool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from napalm.base import NetworkDriver, get_network_driver
from napalm.base.exceptions import ModuleImportError

from egovops.collect import linux
from egovops.collect.base import CollectContext, CollectError, UnsupportedError
from egovops.collect.credentials import resolve_login
from egovops.collect.facts import ArpEntry, DeviceFacts, Facts, InterfaceFacts, LldpNeighbor
from egovops.collect.normalize import mac_address
from egovops.collect.transport import NetmikoSession, classify, close_socket, open_socket
from egovops.model.inventory import Device

NETMIKO_DRIVERS = frozenset({"ios", "nxos_ssh", "huawei_vrp", "h3c_comware", "ce"})
"""napalm drivers built on netmiko: they accept our socket through ``optional_args``."""


class LinuxNapalmDriver(NetworkDriver):  # type: ignore[misc]
    """napalm driver for Linux hosts and firewalls (``ip -j``, ``lldpcli``, ``nft``).

    ``optional_args``: ``egovops_context`` (a :class:`CollectContext`: timeouts, cancel),
    ``egovops_runner`` (a ready :class:`~egovops.collect.linux.CommandRunner`, e.g. replay),
    ``port``, ``key_file``, ``ssh_config_file``, ``firewall_format``.
    """

    def __init__(self, hostname: str, username: str, password: str, timeout: int = 60,
                 optional_args: dict[str, Any] | None = None) -> None:
        self.hostname = hostname
        self.username = username
        self.password = password
        self.timeout = timeout
        self.optional_args = optional_args or {}
        self.runner: linux.CommandRunner | None = self.optional_args.get("egovops_runner")
        self._session: NetmikoSession | None = None

    def open(self) -> None:
        """Log in over SSH (nothing to do with an injected runner)."""
        if self.runner is not None:
            return
        from egovops.collect.credentials import Login  # noqa: PLC0415

        ctx: CollectContext = self.optional_args["egovops_context"]
        login = Login(username=self.username, password=self.password or None,
                      key_file=self.optional_args.get("key_file"),
                      ssh_config=self.optional_args.get("ssh_config_file"),
                      port=int(self.optional_args.get("port", 22)))
        self._session = NetmikoSession(self.hostname, "linux", login, ctx)
        self.runner = self._session

    def close(self) -> None:
        """Hang up."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def _run(self, command: str) -> str:
        if self.runner is None:
            raise CollectError("driver not open")
        return self.runner.run(command)

    def get_facts(self) -> dict[str, Any]:
        """napalm ``get_facts``."""
        f = linux.parse_facts(self._run(linux.FACTS))
        names = [i.name for i in linux.parse_ip_addr(self._run(linux.IP_ADDR))]
        return {"hostname": f.hostname, "fqdn": f.fqdn, "vendor": "Linux", "model": f.model,
                "os_version": f.os_version, "serial_number": "", "uptime": f.uptime or -1.0,
                "interface_list": names}

    def get_interfaces(self) -> dict[str, dict[str, Any]]:
        """napalm ``get_interfaces`` (speed in Mb/s, -1 when unknown)."""
        speeds = linux.parse_speeds(self._run(linux.SPEEDS))
        return {i.name: {"is_up": bool(i.is_up), "is_enabled": bool(i.is_enabled),
                         "description": i.description, "last_flapped": -1.0,
                         "speed": speeds.get(i.name, -1.0), "mtu": i.mtu or 0,
                         "mac_address": i.mac}
                for i in linux.parse_ip_addr(self._run(linux.IP_ADDR))}

    def get_interfaces_ip(self) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
        """napalm ``get_interfaces_ip``."""
        result: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
        for i in linux.parse_ip_addr(self._run(linux.IP_ADDR)):
            for text in i.addresses:
                ip, _, length = text.partition("/")
                family = "ipv6" if ":" in ip else "ipv4"
                result.setdefault(i.name, {}).setdefault(family, {})[ip] = {
                    "prefix_length": int(length)}
        return result

    def get_lldp_neighbors(self) -> dict[str, list[dict[str, str]]]:
        """napalm ``get_lldp_neighbors``."""
        result: dict[str, list[dict[str, str]]] = {}
        for n in linux.parse_lldpcli(self._run(linux.LLDP)):
            result.setdefault(n.local_interface, []).append(
                {"hostname": n.remote_system_name, "port": n.remote_port})
        return result

    def get_lldp_neighbors_detail(self, interface: str = "") -> dict[str, list[dict[str, Any]]]:
        """napalm ``get_lldp_neighbors_detail``."""
        result: dict[str, list[dict[str, Any]]] = {}
        for n in linux.parse_lldpcli(self._run(linux.LLDP)):
            if interface and n.local_interface != interface:
                continue
            result.setdefault(n.local_interface, []).append({
                "parent_interface": "", "remote_port": n.remote_port,
                "remote_port_description": n.remote_port_description,
                "remote_chassis_id": n.remote_chassis_id,
                "remote_system_name": n.remote_system_name,
                "remote_system_description": n.remote_system_description,
                "remote_system_capab": [], "remote_system_enable_capab": [],
                "remote_mgmt": list(n.remote_mgmt)})
        return result

    def get_arp_table(self, vrf: str = "") -> list[dict[str, Any]]:
        """napalm ``get_arp_table``."""
        return [{"interface": a.interface, "mac": a.mac, "ip": a.ip, "age": -1.0}
                for a in linux.parse_ip_neigh(self._run(linux.NEIGH))]

    def get_config(self, retrieve: str = "all", full: bool = False,
                   sanitized: bool = False, format: str = "text") -> dict[str, str]:
        """napalm ``get_config``: the firewall ruleset is the running config."""
        fmt = self.optional_args.get("firewall_format", "nftables")
        command = linux.IPTABLES if fmt == "iptables" else linux.NFT
        running = self._run(command) if retrieve in ("all", "running") else ""
        return {"running": running, "startup": "", "candidate": ""}


EGOVOPS_DRIVERS: dict[str, type[NetworkDriver]] = {"egovops_linux": LinuxNapalmDriver}
"""napalm drivers egovops ships, by name (looked up before napalm's own)."""


def driver_class(name: str) -> type[NetworkDriver]:
    """The napalm driver class called ``name``; :class:`UnsupportedError` when not installed."""
    if name in EGOVOPS_DRIVERS:
        return EGOVOPS_DRIVERS[name]
    try:
        cls: type[NetworkDriver] = get_network_driver(name)
    except ModuleImportError:
        raise UnsupportedError(f"napalm driver {name!r} is not installed") from None
    return cls


class RecordedConnection:
    """Stands in for the netmiko connection of a netmiko-based napalm driver (``ios``,
    ``nxos_ssh`` …): ``send_command`` answers from a
    :class:`~egovops.collect.linux.CommandRunner`, e.g. recorded outputs, so the driver's own
    parsing runs offline."""

    def __init__(self, runner: linux.CommandRunner) -> None:
        self.runner = runner

    def send_command(self, command: str, *args: Any, **kwargs: Any) -> str:
        """The recorded output of ``command`` (netmiko's options are ignored)."""
        return self.runner.run(command)

    def disconnect(self) -> None:
        """Nothing to hang up."""


def replayed_driver(name: str, runner: linux.CommandRunner,
                    firewall_format: str | None = None) -> NetworkDriver:
    """An opened napalm driver ``name`` whose commands ``runner`` answers.

    Works for egovops's Linux driver and the netmiko-based napalm drivers
    (:data:`NETMIKO_DRIVERS`); others raise :class:`UnsupportedError` (Junos replays through
    :mod:`egovops.collect.junos_replay`).
    """
    cls = driver_class(name)
    if cls is LinuxNapalmDriver:
        driver: NetworkDriver = LinuxNapalmDriver(
            "replay", "", "", optional_args={"egovops_runner": runner,
                                             "firewall_format": firewall_format})
        driver.open()
        return driver
    if name not in NETMIKO_DRIVERS:
        raise UnsupportedError(f"napalm driver {name!r} cannot replay recorded CLI output")
    driver = cls("replay", "", "", optional_args={})
    driver.device = RecordedConnection(runner)
    return driver


def napalm_available(name: str) -> bool:
    """Whether the napalm driver ``name`` can be loaded."""
    try:
        driver_class(name)
    except UnsupportedError:
        return False
    return True


GETTERS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("facts", lambda d: d.get_facts()),
    ("interfaces", lambda d: d.get_interfaces()),
    ("interfaces_ip", lambda d: d.get_interfaces_ip()),
    ("lldp_neighbors_detail", lambda d: d.get_lldp_neighbors_detail()),
    ("arp_table", lambda d: d.get_arp_table()),
    ("config", lambda d: d.get_config(retrieve="running")),
)


def run_getters(driver: Any) -> tuple[dict[str, Any], list[str]]:
    """Every getter's result; one that is not implemented or fails becomes a warning.

    ``get_facts`` is required: its failure fails the device.
    """
    results: dict[str, Any] = {}
    warnings: list[str] = []
    for name, getter in GETTERS:
        try:
            results[name] = getter(driver)
        except NotImplementedError:
            warnings.append(f"{name}: not implemented by the driver")
        except CollectError as exc:
            if name == "facts" or exc.kind in ("timeout", "unreachable"):
                raise
            warnings.append(f"{name}: {exc}")
        except Exception as exc:
            if name == "facts":
                raise
            warnings.append(f"{name}: {type(exc).__name__}: {exc}")
    if "lldp_neighbors_detail" not in results:
        with contextlib.suppress(Exception):
            plain = driver.get_lldp_neighbors()
            results["lldp_neighbors_detail"] = {
                k: [{"remote_system_name": n.get("hostname", ""), "remote_port": n.get("port", "")}
                    for n in v] for k, v in plain.items()}
    return results, warnings


def _mac(value: object) -> str:
    """A napalm MAC value in egovops's spelling; napalm's ``"None"`` for none → ``""``."""
    text = "" if value is None else str(value)
    return "" if text in ("None", "Unspecified") else mac_address(text)


def facts_from_getters(device: str, collector: str, getters: dict[str, Any],
                       warnings: list[str] | tuple[str, ...] = ()) -> DeviceFacts:
    """napalm getter results → :class:`DeviceFacts` (MAC addresses in one spelling,
    ``aa:bb:cc:dd:ee:ff``; ARP ages as the driver reports them — napalm's ``ios`` gives
    minutes)."""
    f = getters.get("facts", {})
    uptime = f.get("uptime")
    facts = Facts(hostname=str(f.get("hostname", "")), fqdn=str(f.get("fqdn", "")),
                  vendor=str(f.get("vendor", "")), model=str(f.get("model", "")),
                  os_version=str(f.get("os_version", "")),
                  serial_number=str(f.get("serial_number", "")),
                  uptime=float(uptime) if isinstance(uptime, (int, float)) and uptime >= 0
                  else None)
    ips = getters.get("interfaces_ip", {})
    names = list(getters.get("interfaces", {})) or list(f.get("interface_list", []))
    names += [n for n in ips if n not in names]
    interfaces = []
    for name in names:
        i = getters.get("interfaces", {}).get(name, {})
        speed = i.get("speed")
        addrs = tuple(f"{ip}/{v.get('prefix_length')}"
                      for family in ("ipv4", "ipv6")
                      for ip, v in ips.get(name, {}).get(family, {}).items())
        interfaces.append(InterfaceFacts(
            name=name, is_up=i.get("is_up"), is_enabled=i.get("is_enabled"),
            mac=_mac(i.get("mac_address")), mtu=i.get("mtu") or None,
            speed_mbps=float(speed) if isinstance(speed, (int, float)) and speed > 0 else None,
            description=str(i.get("description", "")), addresses=addrs))
    lldp = tuple(
        LldpNeighbor(local_interface=local, remote_system_name=str(n.get("remote_system_name", "")),
                     remote_port=str(n.get("remote_port", "")),
                     remote_port_description=str(n.get("remote_port_description", "")),
                     remote_chassis_id=_mac(n.get("remote_chassis_id")),
                     remote_system_description=str(n.get("remote_system_description", "")),
                     remote_mgmt=tuple(n.get("remote_mgmt", ()) or ()))
        for local, neighbours in getters.get("lldp_neighbors_detail", {}).items()
        for n in neighbours)
    arp = tuple(ArpEntry(interface=str(a.get("interface", "")), ip=str(a.get("ip", "")),
                         mac=_mac(a.get("mac")),
                         age=float(a["age"]) if isinstance(a.get("age"), (int, float))
                         and a["age"] >= 0 else None)
                for a in getters.get("arp_table", []))
    running = getters.get("config", {}).get("running", "")
    return DeviceFacts(device=device, collector=collector,
                       collected_at=datetime.now(UTC).isoformat(timespec="seconds"),
                       facts=facts, interfaces=tuple(interfaces), lldp=lldp, arp=arp,
                       configs={"running": running} if running else {},
                       warnings=tuple(warnings))


class NapalmCollector:
    """Any napalm driver (``napalm:ios``, ``napalm:egovops_linux`` …)."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.name = f"napalm:{driver}"

    def collect(self, device: Device, ctx: CollectContext) -> DeviceFacts:
        """See :class:`~egovops.collect.base.Collector`."""
        login = resolve_login(device.credentials, ctx.root, ctx.environ, ctx.redactor)
        cls = driver_class(self.driver)
        host = str(device.mgmt)
        optional: dict[str, Any] = {"port": login.port, "secret": login.enable or "",
                                    "key_file": login.key_file,
                                    "ssh_config_file": login.ssh_config}
        sock = None
        if cls is LinuxNapalmDriver:
            optional["egovops_context"] = ctx
            optional["firewall_format"] = device.platform_info.firewall_format
        elif self.driver in NETMIKO_DRIVERS:
            sock = open_socket(host, login.port, login.ssh_config, ctx.timeouts.connect)
            ctx.cancel.on_cancel(sock.close)
            optional.update(sock=sock, conn_timeout=ctx.timeouts.connect,
                            banner_timeout=ctx.timeouts.connect,
                            auth_timeout=ctx.timeouts.connect, use_keys=bool(login.key_file),
                            allow_agent=False)
        driver = cls(host, login.username, login.password or "",
                     timeout=int(max(1, ctx.timeouts.command)), optional_args=optional)
        try:
            driver.open()
            getters, warnings = run_getters(driver)
        except BaseException as exc:
            raise classify(exc, ctx) from None
        finally:
            with contextlib.suppress(Exception):
                driver.close()
            if sock is not None:
                close_socket(sock)
        return facts_from_getters(device.id, self.name, getters, warnings)
