"""H3C Comware object groups, shared by object policies and security policies.

``object-group ip address`` / ``object-group ipv6 address`` entries (``network host address
A``, ``network subnet A MASK|LEN``, ``network range A B``, ``network group-object X``),
``object-group service`` entries (``service PROTO [source OP P] [destination OP P]``,
``service icmp|icmpv6 [TYPE [CODE]]``, ``service group-object X``) and the lookups the policies
make (a group's services, else a predefined service; a group's prefixes, of the policy's
family). Groups are held in a :class:`~egovops.firewall.parsers.cisco_acl.CiscoObjects`.
"""

from __future__ import annotations

import dataclasses

from egovops.firewall.model import IPNetwork
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.cisco_acl import (
    PORT_OPERATORS,
    CiscoObjects,
    Group,
    Words,
    port_words,
)
from egovops.firewall.parsers.problems import Unreadable
from egovops.firewall.parsers.services import PREDEFINED_SERVICES, Service


def address_entry(group: Group, cursor: Words) -> None:
    """``network host address A`` / ``network subnet A MASK|LEN`` / ``network range A B`` /
    ``network group-object X``."""
    keyword = cursor.take("'network'")
    if keyword.text.lower() != "network":
        raise Unreadable(f"{keyword.text!r} is not understood in an address group", "syntax",
                         keyword.column)
    kind = cursor.take("host, subnet, range or group-object")
    word = kind.text.lower()
    if word == "group-object":
        group.includes.append(cursor.take("a group name").text)
        return
    if word == "exclude" or (word == "host" and cursor.peek() == "name"):
        raise Unreadable(f"'network {word} …' is not supported", "unsupported", kind.column)
    first = cursor.take("an address") if word != "host" else None
    try:
        if word == "host":
            if cursor.take("'address'").text.lower() != "address":
                raise Unreadable("expected 'network host address A'", "syntax", kind.column)
            host = cursor.take("an address")
            group.networks.append(addresses.network(addresses.address(host.text).compressed))
        elif word == "subnet" and first is not None:
            mask = cursor.take("a mask or mask length")
            if mask.text.isdigit():
                group.networks.append(addresses.network(f"{first.text}/{mask.text}"))
            else:
                group.networks.append(addresses.masked(first.text, mask.text))
        elif word == "range" and first is not None:
            group.networks += addresses.address_range(first.text,
                                                      cursor.take("a last address").text)
        else:
            raise Unreadable(f"'network {kind.text}' is not understood", "syntax", kind.column)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", kind.column) from None


def service_entry(group: Group, cursor: Words) -> None:
    """``service PROTO [source OP P] [destination OP P]`` / ``service icmp|icmpv6 [T [C]]`` /
    ``service group-object X``."""
    keyword = cursor.take("'service'")
    if keyword.text.lower() != "service":
        raise Unreadable(f"{keyword.text!r} is not understood in a service group", "syntax",
                         keyword.column)
    if cursor.peek() == "group-object":
        cursor.take("group-object")
        group.includes.append(cursor.take("a group name").text)
        return
    group.services.append(service_spec(cursor))


def service_spec(cursor: Words) -> Service:
    """``PROTO [source OP P] [destination OP P]`` / ``icmp|icmpv6 [TYPE [CODE]]``: the body of
    an object group's ``service`` entry and of a security policy's ``service-port``."""
    word = cursor.take("a protocol")
    text = word.text.lower()
    try:
        protocol = ports.protocol_number(text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    if protocol in (1, 58):
        if cursor.at_end():
            return Service(protocol)
        type_word = cursor.take("an ICMP type")
        code = cursor.take("an ICMP code").text if not cursor.at_end() else None
        try:
            icmp = ports.icmp_match(type_word.text, 4 if protocol == 1 else 6, code)
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", type_word.column) from None
        return Service(protocol, icmp=(icmp,))
    service = Service(protocol)
    while not cursor.at_end():
        side = cursor.take("source or destination")
        operator = cursor.take("a port operator")
        if side.text.lower() not in ("source", "destination") or \
                operator.text.lower() not in PORT_OPERATORS:
            raise Unreadable(f"'{side.text} {operator.text}' is not 'source|destination OP'",
                             "syntax", side.column)
        if protocol not in (6, 17, 132):
            raise Unreadable("ports need tcp, udp or sctp", "syntax", side.column)
        ranges, negated = port_words(cursor, operator.text.lower())
        if side.text.lower() == "source":
            service = dataclasses.replace(service, sports=ranges, sports_negated=negated)
        else:
            service = dataclasses.replace(service, dports=ranges, dports_negated=negated)
    return service


def named_services(objects: CiscoObjects, name: str) -> list[Service]:
    """An object group's services, else the predefined service of that name."""
    if name in objects.groups:
        return list(objects.services(name))
    if name.lower() in PREDEFINED_SERVICES:
        return list(PREDEFINED_SERVICES[name.lower()])
    return list(objects.services(name))  # raises: not defined


def family_networks(objects: CiscoObjects, name: str, family: int) -> tuple[IPNetwork, ...]:
    """The prefixes of address group ``name``, which must be of ``family`` (4 or 6): an
    ``object-group ip address`` in an IPv6 policy (or the reverse) is reported."""
    networks = objects.networks(name)
    wrong = [n for n in networks if n.version != family]
    if wrong:
        raise Unreadable(f"object group {name!r} holds IPv{wrong[0].version} addresses "
                         f"({wrong[0]}); an IPv{family} policy cannot use it", "invalid-value")
    return networks
