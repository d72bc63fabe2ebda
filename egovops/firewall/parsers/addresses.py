"""Address notations of the vendors, to prefixes: CIDR, netmasks, wildcard masks, ranges.

Every function raises ``ValueError`` with an operator-readable message; the parsers turn it
into a :class:`~egovops.errors.Problem` at the line where the address was written.
"""

from __future__ import annotations

import ipaddress

from egovops.firewall.model import IPNetwork

MAX_WILDCARD_PREFIXES = 256
"""A non-contiguous wildcard expanding into more prefixes than this is reported, not expanded."""


def network(text: str) -> IPNetwork:
    """A prefix from ``10.0.0.0/8``, ``10.0.0.1`` (a host) or an IPv6 equivalent.

    Host bits below the prefix length are cleared, as the devices themselves do.
    """
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address or prefix") from None


def address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """One IP address (no prefix)."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None


def ipv4(text: str) -> ipaddress.IPv4Address:
    """One IPv4 address (masks and wildcards are written as such)."""
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 address") from None


def ipv6(text: str) -> ipaddress.IPv6Address:
    """One IPv6 address."""
    try:
        return ipaddress.IPv6Address(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv6 address") from None


def ipv6_network(text: str) -> ipaddress.IPv6Network:
    """An IPv6 prefix ``2001:db8::/32`` (host bits cleared, as the devices do)."""
    try:
        return ipaddress.IPv6Network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv6 prefix") from None


def netmask_length(mask: str) -> int:
    """Prefix length of a dotted netmask (``255.255.255.0`` → 24) or a bare length (``24``)."""
    text = mask.strip()
    if text.isdigit():
        length = int(text)
        if length > 32:
            raise ValueError(f"prefix length {length} is out of range 0-32")
        return length
    value = int(ipv4(text))
    inverted = value ^ 0xFFFFFFFF
    if inverted & (inverted + 1):
        raise ValueError(f"{mask} is not a contiguous netmask")
    return 32 - inverted.bit_length()


def masked(addr: str, mask: str) -> IPNetwork:
    """The prefix ``addr`` / ``mask`` with a netmask or prefix length (host bits cleared)."""
    return ipaddress.ip_network(f"{ipv4(addr)}/{netmask_length(mask)}", strict=False)


def wildcard(addr: str, mask: str, limit: int = MAX_WILDCARD_PREFIXES) -> tuple[IPNetwork, ...]:
    """The prefixes matched by ``addr`` with a Cisco/Huawei/H3C wildcard mask.

    ``0.0.0.255`` is a /24; ``0`` (Huawei/H3C shorthand) a host. A non-contiguous wildcard such
    as ``0.0.255.0`` matches a set of host prefixes; it is expanded when that set has at most
    ``limit`` prefixes, and refused otherwise.
    """
    base = int(ipv4(addr))
    bits = 0 if mask.strip() == "0" else int(ipv4(mask))
    trailing = (bits ^ (bits + 1)).bit_length() - 1  # run of 1 bits at the low end
    scattered = [b for b in range(trailing, 32) if bits >> b & 1]
    count = 1 << len(scattered)
    if count > limit:
        raise ValueError(
            f"wildcard {mask} is not contiguous and would expand into {count} prefixes "
            f"(more than {limit}); rewrite the rule with prefixes"
        )
    fixed = base & ~bits & 0xFFFFFFFF
    length = 32 - trailing
    prefixes = []
    for combination in range(count):
        value = fixed
        for index, bit in enumerate(scattered):
            if combination >> index & 1:
                value |= 1 << bit
        prefixes.append(ipaddress.IPv4Network((value, length)))
    return tuple(prefixes)


def address_range(first: str, last: str) -> tuple[IPNetwork, ...]:
    """The smallest list of prefixes covering ``first``-``last`` inclusive."""
    lo, hi = address(first), address(last)
    if isinstance(lo, ipaddress.IPv4Address) and isinstance(hi, ipaddress.IPv4Address):
        if hi < lo:
            raise ValueError(f"address range {first}-{last} runs backwards")
        return tuple(ipaddress.summarize_address_range(lo, hi))
    if isinstance(lo, ipaddress.IPv6Address) and isinstance(hi, ipaddress.IPv6Address):
        if hi < lo:
            raise ValueError(f"address range {first}-{last} runs backwards")
        return tuple(ipaddress.summarize_address_range(lo, hi))
    raise ValueError(f"range {first}-{last} mixes IPv4 and IPv6")
