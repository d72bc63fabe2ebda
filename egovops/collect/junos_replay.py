"""Junos replay: napalm's ``junos`` driver parsing recorded XML RPC replies (no NETCONF).

napalm's Junos getters run PyEZ tables and views over RPC replies. Here the PyEZ device under
the driver is replaced by :class:`RecordedJunosDevice`, whose RPCs answer from files of a
recording folder: the XML a device prints for ``<command> | display xml`` (``<rpc-reply>``
wrapper, Junos namespaces and all), named by :func:`rpc_file`:

========================================================  ======================================
RPC (napalm getter)                                       file
========================================================  ======================================
``get-software-information`` (facts)                      ``get_software_information.xml``
``get-chassis-inventory`` (facts: serial number)          ``get_chassis_inventory.xml``
``get-system-uptime-information`` (facts: uptime)         ``get_system_uptime_information.xml``
``get-interface-information`` (interfaces)                ``get_interface_information.xml``
``get-interface-information terse`` (addresses)           ``get_interface_information_terse.xml``
``get-lldp-neighbors-information`` (LLDP)                 ``get_lldp_neighbors_information.xml``
``get-lldp-interface-neighbors interface-device=IF``      ``get_lldp_interface_neighbors_…_IF.xml``
``get-arp-table-information expiration-time no-resolve``  ``get_arp_table_information_…xml``
``get-configuration`` (text, committed)                   ``show_configuration.txt``
========================================================  ======================================

The replies are stripped of namespaces and surrounding blanks as PyEZ does before its views
read them. PyEZ gathers ``facts`` from many RPCs; this stand-in derives the ones napalm's
``get_facts`` reads (hostname, model, version, serial number) from the first two files only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # no stubs; pyproject has no override

from egovops.collect.base import CollectError, ParseError

Element = Any
"""An ``lxml.etree._Element`` (lxml ships no type stubs)."""

_IGNORED_ARGS = frozenset({"normalize", "filter_xml", "dev_timeout", "ignore_warning"})


def rpc_file(rpc: str, args: dict[str, Any] | None = None) -> str:
    """File name of an RPC's recorded reply: ``get_arp_table_information_expiration_time_…``."""
    parts = [rpc.replace("-", "_")]
    for key, value in sorted((args or {}).items()):
        if key in _IGNORED_ARGS or value is False or value is None:
            continue
        parts.append(key if value is True else f"{key}_{value}")
    name = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").lower()
    return name[:150] + ".xml"


def _strip(root: Element) -> Element:
    for elem in root.iter():
        if not isinstance(elem.tag, str):
            continue
        for key in list(elem.attrib):
            if "}" in key:
                value = elem.attrib.pop(key)
                elem.set(key.split("}", 1)[1], value)
        if "}" in elem.tag:
            elem.tag = elem.tag.split("}", 1)[1]
        if elem.text:
            elem.text = elem.text.strip()
    return root


def load_reply(path: Path) -> Element:
    """The reply element of a recorded ``| display xml`` file, namespaces stripped."""
    try:
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(remove_blank_text=True))
    except FileNotFoundError:
        raise CollectError(f"not recorded: {path.name}") from None
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{path.name}: not XML: {exc}") from None
    _strip(root)
    if root.tag == "rpc-reply":
        replies = [child for child in root if isinstance(child.tag, str) and child.tag != "cli"]
        if not replies:
            raise ParseError(f"{path.name}: empty rpc-reply")
        return replies[0]
    return root


class _RecordedRpc:
    """``device.rpc`` of PyEZ: every attribute is an RPC answered from a file."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*_args: Any, **kwargs: Any) -> Element:
            return load_reply(self._folder / rpc_file(name, kwargs))

        return call

    def get_config(self, filter_xml: Any = None, options: dict[str, str] | None = None,
                   **_kwargs: Any) -> Element:
        """The committed configuration, as text (``show configuration``)."""
        path = self._folder / "show_configuration.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CollectError(f"not recorded: {path.name}") from None
        element = etree.Element("configuration-text")
        element.text = text
        return element


class RecordedJunosDevice:
    """Stands in for ``jnpr.junos.Device`` under napalm's ``JunOSDriver``."""

    _use_filter = False
    """Table reads use the DOM path (PyEZ's SAX filter needs a live RPC)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.rpc = _RecordedRpc(self.folder)
        self.transform: Any = None
        self.connected = True

    @property
    def facts(self) -> dict[str, Any]:
        """What napalm's ``get_facts`` reads of PyEZ's facts."""
        software = self.rpc.get_software_information()
        hostname = software.findtext("host-name") or ""
        model = (software.findtext("product-model") or "").upper()
        version = software.findtext("junos-version") or ""
        if not version:
            for package in software.iter("package-information"):
                match = re.search(r"\[(\S+)\]", package.findtext("comment") or "")
                if match:
                    version = match.group(1)
                    break
        serial = ""
        try:
            inventory = self.rpc.get_chassis_inventory()
            serial = inventory.findtext("chassis/serial-number") or ""
        except CollectError:
            serial = ""
        return {"hostname": hostname, "fqdn": hostname, "model": model, "version": version,
                "serialnumber": serial, "switch_style": "NONE", "srx_cluster": False}

    @property
    def uptime(self) -> int | None:
        """Seconds since the routing engine booted."""
        reply = self.rpc.get_system_uptime_information()
        element = reply.find(".//system-booted-time/time-length")
        seconds = element.get("seconds") if element is not None else None
        return int(seconds) if seconds is not None and seconds.isdigit() else None

    def open(self, *_args: Any, **_kwargs: Any) -> None:
        """Nothing to connect."""

    def close(self) -> None:
        """Nothing to hang up."""

    def bind(self, *_args: Any, **_kwargs: Any) -> None:
        """No configuration utilities in a replay."""


def replayed_junos_driver(folder: Path) -> Any:
    """napalm's ``JunOSDriver`` reading the recorded replies in ``folder``."""
    from napalm.junos.junos import JunOSDriver  # noqa: PLC0415 - optional (junos-eznc)

    driver = JunOSDriver("replay", "", "", optional_args={"config_lock": False})
    driver.device = RecordedJunosDevice(folder)
    return driver
