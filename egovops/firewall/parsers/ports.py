"""Names of ports, protocols and ICMP types as the vendors print them, to numbers.

One table for every parser, so ``www`` (Cisco, Huawei, H3C), ``http`` (nftables, ASA) and
``80`` all end up as port 80. A name that is not here is reported as ``invalid-value``;
add it here (with its IANA number) rather than in a parser.
"""

from __future__ import annotations

from egovops.firewall.model import PROTOCOLS, IcmpMatch, PortRange

WELL_KNOWN_PORTS: dict[str, int] = {
    # Cisco IOS/ASA keywords, Huawei VRP and H3C Comware keywords, /etc/services names.
    "echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "ftp-data": 20, "ftp": 21,
    "ssh": 22, "telnet": 23, "smtp": 25, "time": 37, "nameserver": 42, "whois": 43,
    "nicname": 43, "tacacs": 49, "domain": 53, "dns": 53, "bootps": 67, "bootpc": 68,
    "tftp": 69, "gopher": 70, "finger": 79, "www": 80, "http": 80, "hostname": 101,
    "pop2": 109, "pop3": 110, "sunrpc": 111, "ident": 113, "auth": 113, "nntp": 119,
    "ntp": 123, "msrpc": 135, "epmap": 135, "netbios-ns": 137, "netbios-dgm": 138,
    "netbios-ss": 139, "netbios-ssn": 139, "imap": 143, "imap4": 143, "snmp": 161,
    "snmptrap": 162, "snmp-trap": 162, "xdmcp": 177, "bgp": 179, "irc": 194, "dnsix": 195,
    "ldap": 389, "https": 443, "microsoft-ds": 445, "mobile-ip": 434, "mobilip-ag": 434,
    "mobilip-mn": 435, "pim-auto-rp": 496, "isakmp": 500, "biff": 512, "exec": 512,
    "login": 513, "who": 513, "cmd": 514, "rsh": 514, "shell": 514, "syslog": 514,
    "lpd": 515, "printer": 515, "talk": 517, "rip": 520, "ripv6": 521, "uucp": 540,
    "klogin": 543, "kshell": 544, "rtsp": 554, "submission": 587, "ldaps": 636,
    "kerberos": 750, "rsync": 873, "imaps": 993, "pop3s": 995, "socks": 1080,
    "lotusnotes": 1352, "ms-sql-s": 1433, "sqlserver": 1433, "citrix-ica": 1494,
    "sqlnet": 1521, "radius": 1645, "radius-acct": 1646, "h323": 1720, "pptp": 1723,
    "nfs": 2049, "ctiqbe": 2748, "cifs": 3020, "mysql": 3306, "ms-wbt-server": 3389,
    "rdp": 3389, "drip": 3949, "non500-isakmp": 4500, "ipsec-nat-t": 4500, "sip": 5060,
    "aol": 5190, "postgresql": 5432, "pcanywhere-data": 5631, "vnc": 5900, "x11": 6000,
    "http-alt": 8080, "onep-plain": 15001, "onep-tls": 15002,
}
"""Service names to port numbers, TCP and UDP alike (no name differs between the two)."""

ICMP_TYPES: dict[str, tuple[int, int | None]] = {
    # nftables / iptables names
    "echo-reply": (0, None), "destination-unreachable": (3, None), "source-quench": (4, None),
    "redirect": (5, None), "echo-request": (8, None), "router-advertisement": (9, None),
    "router-solicitation": (10, None), "time-exceeded": (11, None),
    "parameter-problem": (12, None), "timestamp-request": (13, None),
    "timestamp-reply": (14, None), "info-request": (15, None), "info-reply": (16, None),
    "address-mask-request": (17, None), "address-mask-reply": (18, None),
    "network-unreachable": (3, 0), "host-unreachable": (3, 1),
    "protocol-unreachable": (3, 2), "port-unreachable": (3, 3),
    "fragmentation-needed": (3, 4), "ttl-exceeded": (11, 0), "ttl-zero-during-transit": (11, 0),
    # Cisco keywords
    "echo": (8, None), "unreachable": (3, None), "net-unreachable": (3, 0),
    "packet-too-big": (3, 4), "administratively-prohibited": (3, 13),
    "traceroute": (30, None), "information-request": (15, None),
    "information-reply": (16, None), "mask-request": (17, None), "mask-reply": (18, None),
    # Huawei / H3C keywords
    "fragmentneed-dfset": (3, 4), "source-route-failed": (3, 5), "net-redirect": (5, 0),
    "host-redirect": (5, 1), "net-tos-redirect": (5, 2), "host-tos-redirect": (5, 3),
    "reassembly-timeout": (11, 1),
}
"""ICMP (IPv4) type names to (type, code); code ``None`` means every code of the type."""

ICMPV6_TYPES: dict[str, tuple[int, int | None]] = {
    "destination-unreachable": (1, None), "packet-too-big": (2, None),
    "time-exceeded": (3, None), "parameter-problem": (4, None), "echo-request": (128, None),
    "echo-reply": (129, None), "mld-listener-query": (130, None),
    "mld-listener-report": (131, None), "mld-listener-done": (132, None),
    "mld-listener-reduction": (132, None), "nd-router-solicit": (133, None),
    "nd-router-advert": (134, None), "nd-neighbor-solicit": (135, None),
    "nd-neighbor-advert": (136, None), "nd-redirect": (137, None),
    "router-renumbering": (138, None), "ind-neighbor-solicit": (141, None),
    "ind-neighbor-advert": (142, None), "mld2-listener-report": (143, None),
    # ip6tables spellings
    "router-solicitation": (133, None), "router-advertisement": (134, None),
    "neighbour-solicitation": (135, None), "neighbor-solicitation": (135, None),
    "neighbour-advertisement": (136, None), "neighbor-advertisement": (136, None),
    "nd-ns": (135, None), "nd-na": (136, None),
    "no-route": (1, 0), "communication-prohibited": (1, 1), "address-unreachable": (1, 3),
    "port-unreachable": (1, 4), "ttl-zero-during-transit": (3, 0),
}
"""ICMPv6 type names to (type, code)."""

PROTOCOL_ALIASES: dict[str, int] = {
    **PROTOCOLS,
    "ipinip": 4, "ipip": 4, "ipv4": 4, "ip-in-ip": 4, "ipv6": 41, "nos": 94, "pim": 103,
    "vrrp": 112, "l2tp": 115, "pcp": 108, "eigrp": 88, "igrp": 9, "udplite": 136,
    "icmp6": 58, "ahp": 51,
}
"""Protocol names as printed by nft, iptables-save and the vendors, to IP protocol numbers."""


def protocol_number(text: str) -> int:
    """The IP protocol number for a name (``tcp``) or number (``6``); ``ValueError`` if unknown."""
    word = text.strip().lower()
    if word.isdigit():
        number = int(word)
        if number > 255:
            raise ValueError(f"protocol number {number} is out of range 0-255")
        return number
    if word in PROTOCOL_ALIASES:
        return PROTOCOL_ALIASES[word]
    raise ValueError(f"unknown protocol {text!r}")


def port_number(text: str) -> int:
    """The port for a number (``443``) or service name (``https``); ``ValueError`` if unknown."""
    word = text.strip().lower()
    if word.isdigit():
        number = int(word)
        if number > 65535:
            raise ValueError(f"port {number} is out of range 0-65535")
        return number
    if word in WELL_KNOWN_PORTS:
        return WELL_KNOWN_PORTS[word]
    raise ValueError(f"unknown port name {text!r} (add it to egovops.firewall.parsers.ports)")


def port_range(lo: str, hi: str | None = None) -> PortRange:
    """An inclusive :class:`PortRange` from one or two port numbers or names."""
    first = port_number(lo)
    last = first if hi is None else port_number(hi)
    if last < first:
        raise ValueError(f"port range {lo}-{hi} runs backwards")
    return PortRange(first, last)


def port_operator(operator: str, values: list[str]) -> tuple[tuple[PortRange, ...], bool]:
    """Ports for a Cisco/Huawei/H3C operator: ``eq``, ``neq``, ``lt``, ``gt``, ``range``.

    Returns the ranges and whether they are negated (``neq``).
    """
    if operator == "range":
        if len(values) != 2:
            raise ValueError("'range' needs two ports")
        return (port_range(values[0], values[1]),), False
    if not values:
        raise ValueError(f"{operator!r} needs a port")
    if operator in ("eq", "neq"):
        ports = tuple(sorted({port_range(v) for v in values}))
        return ports, operator == "neq"
    if len(values) != 1:
        raise ValueError(f"{operator!r} takes one port")
    number = port_number(values[0])
    if operator == "lt":
        if number == 0:
            raise ValueError("'lt 0' matches no port")
        return (PortRange(0, number - 1),), False
    if operator == "gt":
        if number == 65535:
            raise ValueError("'gt 65535' matches no port")
        return (PortRange(number + 1, 65535),), False
    raise ValueError(f"unknown port operator {operator!r}")


def icmp_match(text: str, version: int = 4, code: str | None = None) -> IcmpMatch:
    """An :class:`IcmpMatch` from a type name or number (``echo-request``, ``8``, ``8/0``)."""
    table = ICMP_TYPES if version == 4 else ICMPV6_TYPES
    word = text.strip().lower()
    if "/" in word and code is None:
        word, code = word.split("/", 1)
    if word.isdigit():
        icmp_type, icmp_code = int(word), None
    elif word in table:
        icmp_type, icmp_code = table[word]
    else:
        kind = "ICMP" if version == 4 else "ICMPv6"
        raise ValueError(f"unknown {kind} type {text!r}")
    if code is not None:
        if not code.isdigit():
            raise ValueError(f"ICMP code {code!r} is not a number")
        icmp_code = int(code)
    if icmp_type > 255 or (icmp_code is not None and icmp_code > 255):
        raise ValueError(f"ICMP type/code {text!r} is out of range 0-255")
    return IcmpMatch(icmp_type, icmp_code, version)
