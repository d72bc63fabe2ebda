"""Netfilter semantics the iptables and nftables parsers share: NAT targets, hook priorities,
and which way an uncertain rule bends the proof.

Both front ends (``iptables-save`` and ``nft``) program the same kernel hooks, so a DNAT written
as ``-j DNAT --to-destination 10.0.0.5:8080`` or ``dnat to 10.0.0.5:8080`` becomes the same
:class:`~egovops.firewall.model.Translation`, and the iptables tables sit at the nftables
priorities their kernel modules register with (``raw`` -300, ``mangle`` -150, ``nat``
-100/100, ``filter`` 0, ``security`` 50).
"""

from __future__ import annotations

import re

from egovops.firewall.model import Action, Bound, NatKind, Translation
from egovops.firewall.parsers import addresses, ports

TABLE_PRIORITIES: dict[str, int] = {"raw": -300, "mangle": -150, "filter": 0, "security": 50}
"""iptables table → priority of its base chains (``nat`` depends on the hook: see below)."""
NAT_PRIORITIES: dict[str, int] = {"prerouting": -100, "output": -100, "postrouting": 100,
                                  "input": 100}
"""Hook → priority of the iptables ``nat`` table's base chain (dstnat -100, srcnat 100)."""

_ENDPOINT = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<addr>[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*))?"
    r"(?:-(?P<last>\[?[0-9A-Fa-f:.]+\]?))?(?::(?P<port>\d+)(?:-(?P<port_hi>\d+))?)?$")


def translation(kind: NatKind, text: str | None) -> Translation:
    """The rewrite of ``kind`` to ``text`` (``10.0.0.5``, ``10.0.0.5:8080``, ``[2001:db8::5]:80``,
    ``10.0.0.5-10.0.0.7:8080-8081``, ``:8080``, or a bare port for redirect/masquerade
    ``--to-ports 8080-8081``); ``ValueError`` when it is not one of those.
    """
    if text is None or text == "":
        return Translation(kind)
    if kind in (NatKind.REDIRECT, NatKind.MASQUERADE):
        lo, _, hi = text.lstrip(":").replace(":", "-").partition("-")
        first = ports.port_number(lo)
        return Translation(kind, None, first, ranged=bool(hi) and hi != lo)
    if ":" in text and "." not in text and not text.startswith("[") and text.count(":") > 1:
        return Translation(kind, addresses.address(text))  # a bare IPv6 address, no port
    found = _ENDPOINT.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not ADDRESS[-ADDRESS][:PORT[-PORT]]")
    addr = found.group("v6") or found.group("addr")
    address = addresses.address(addr) if addr else None
    port = ports.port_number(found.group("port")) if found.group("port") else None
    ranged = bool(found.group("last")) or (
        found.group("port_hi") is not None and found.group("port_hi") != found.group("port"))
    return Translation(kind, address, port, ranged)


def uncertain_bound(action: Action, nat: bool = False) -> Bound:
    """Which way a rule that may or may not match bends the proof: an accepting rule may let
    more through than proven (``lower``), a dropping one less (``upper``); a jump, goto or NAT
    rule either way (``both``); a counting or logging rule not at all (``none``)."""
    if nat:
        return Bound.BOTH
    if action is Action.ACCEPT:
        return Bound.LOWER
    if action in (Action.DROP, Action.REJECT):
        return Bound.UPPER
    if action is Action.CONTINUE:
        return Bound.NONE
    return Bound.BOTH
