"""Services (protocol + ports) as the vendor formats name them, and rules that use several.

Vendor rules often name a list of services that mixes protocols (``service http`` and
``service dns`` = TCP 80, TCP 53, UDP 53). One :class:`~egovops.firewall.model.Match` is a
product of its fields, so such a rule becomes several rules, one per :func:`service_matches`
group, each exact; they sit next to each other with the same action, so first-match order is
kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from egovops.firewall.model import IcmpMatch, Match, PortRange


@dataclass(frozen=True)
class Service:
    """One protocol with optional ports or ICMP type; ``protocol=None`` means any IP packet."""

    protocol: int | None
    sports: tuple[PortRange, ...] = ()
    dports: tuple[PortRange, ...] = ()
    sports_negated: bool = False
    dports_negated: bool = False
    icmp: tuple[IcmpMatch, ...] = ()


ANY_SERVICE = Service(None)

TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58


def _tcp(*ports: int) -> Service:
    return Service(TCP, dports=tuple(PortRange(p, p) for p in ports))


def _udp(*ports: int) -> Service:
    return Service(UDP, dports=tuple(PortRange(p, p) for p in ports))


PREDEFINED_SERVICES: dict[str, tuple[Service, ...]] = {
    # Huawei USG ``service NAME`` and H3C predefined object groups (both lower-cased here).
    "any": (ANY_SERVICE,),
    "http": (_tcp(80),), "https": (_tcp(443),), "ssh": (_tcp(22),), "telnet": (_tcp(23),),
    "ftp": (_tcp(21),), "smtp": (_tcp(25),), "pop3": (_tcp(110),), "imap": (_tcp(143),),
    "dns": (_tcp(53), _udp(53)), "ntp": (_udp(123),), "tftp": (_udp(69),),
    "snmp": (_udp(161),), "snmptrap": (_udp(162),), "snmp-trap": (_udp(162),),
    "syslog": (_udp(514),), "rdp": (_tcp(3389),), "ms-wbt-server": (_tcp(3389),),
    "sqlserver": (_tcp(1433),), "mysql": (_tcp(3306),), "oracle": (_tcp(1521),),
    "ldap": (_tcp(389),), "radius": (_udp(1812),), "bgp": (_tcp(179),), "rip": (_udp(520),),
    "nfs": (_tcp(2049), _udp(2049)), "smb": (_tcp(445),), "netbios": (_udp(137, 138),
                                                                    _tcp(139)),
    "icmp": (Service(ICMP),), "ping": (Service(ICMP, icmp=(IcmpMatch(8),)),),
    "icmpv6": (Service(ICMPV6),), "ping6": (Service(ICMPV6, icmp=(IcmpMatch(128, None, 6),)),),
    "ospf": (Service(89),), "gre": (Service(47),), "esp": (Service(50),),
    "ah": (Service(51),), "tcp": (Service(TCP),), "udp": (Service(UDP),),
}
"""Predefined service names of Huawei USG security policies and H3C object policies."""


def _union_ports(ranges: Iterable[tuple[PortRange, ...]]) -> tuple[PortRange, ...]:
    merged: set[PortRange] = set()
    for group in ranges:
        if not group:
            return ()
        merged.update(group)
    return tuple(sorted(merged))


def service_matches(base: Match, services: Sequence[Service]) -> list[Match]:
    """Exact matches for ``base`` restricted to any of ``services`` (fewest possible groups).

    Services that differ only in destination ports are joined, then those that differ only in
    protocol; both joins keep the match exact (no port of one protocol leaks to another).
    """
    if not services or any(s.protocol is None for s in services):
        return [base]
    by_rest: dict[Service, list[Service]] = {}
    for service in services:
        key = service if service.dports_negated else dataclasses.replace(service, dports=())
        by_rest.setdefault(key, []).append(service)
    by_ports: dict[Service, list[int]] = {}
    for key, group in by_rest.items():
        joined = key if key.dports_negated else dataclasses.replace(
            key, dports=_union_ports(s.dports for s in group))
        protocols = by_ports.setdefault(dataclasses.replace(joined, protocol=None), [])
        if joined.protocol is not None and joined.protocol not in protocols:
            protocols.append(joined.protocol)
    return [
        dataclasses.replace(
            base,
            protocols=tuple(sorted(protocols)),
            sports=ports.sports,
            sports_negated=ports.sports_negated,
            dports=ports.dports,
            dports_negated=ports.dports_negated,
            icmp=ports.icmp,
        )
        for ports, protocols in by_ports.items()
    ]
