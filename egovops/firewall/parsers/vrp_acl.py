"""ACL rules in the Huawei VRP / H3C Comware syntax, shared by the ``huawei`` and ``h3c``
parsers.

Both vendors write ``rule [ID] {permit|deny} [PROTOCOL] [source {ADDR WILDCARD | any}]
[destination …] [source-port OP PORT] [destination-port OP PORT] [icmp-type TYPE] [logging]``
with options in any order; basic ACLs (2000-2999) have no protocol and only ``source``.
A wildcard of ``0`` means one host. ``logging`` sets the log flag, ``counting`` (H3C) only
counts, ``established`` (H3C) is modelled as connection state ``established``. ``time-range``,
``vpn-instance``, ``fragment``, DSCP/precedence/ToS and TCP-flag conditions are reported:
they narrow the match in ways the model cannot express.

``rule ID description|comment TEXT`` lines give the comment of rule ``ID``.

IPv6 ACLs (``acl ipv6 …``) use the same grammar with prefix lengths instead of wildcards:
``source 2001:db8::/32`` or ``source 2001:db8:: 32`` (both vendors accept both spellings;
``display current-configuration`` prints the first), protocol ``ipv6`` for any packet and
``icmpv6`` with ``icmp6-type NAME | TYPE CODE`` (Comware 5 spells it ``icmpv6-type``). Every
rule of an IPv6 ACL has ``family`` 6. IPv6 ``postfix`` and wildcard masks, routing and
hop-by-hop extension headers and flow labels are reported.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from egovops.firewall.model import (
    Action,
    ConnState,
    IcmpMatch,
    IPNetwork,
    Match,
    PortRange,
    Rule,
    SourceRef,
)
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.acl_chains import AclDraft, Entry
from egovops.firewall.parsers.cisco_acl import PORT_OPERATORS, Words, port_words
from egovops.firewall.parsers.config_tree import Node
from egovops.firewall.parsers.problems import ProblemLog, Unreadable

HUAWEI_MARKERS = re.compile(
    r"^(acl (ipv6 )?(number|name) \S+|security-policy\s*$|"
    r"\s*traffic-filter (inbound|outbound) (ipv6 )?acl |ip (address|service)-set \S+ type |"
    r"user-interface vty |firewall (zone|interzone) |!Software Version V)", re.MULTILINE)
"""Lines found in Huawei configurations (some also in old H3C ones: see ``H3C_MARKERS``)."""

H3C_MARKERS = re.compile(
    r"^(acl (ipv6 )?(advanced|basic) |object-policy (ip|ipv6) |zone-pair security |"
    r"security-zone name |security-policy (ip|ipv6)\s*$|object-group ipv6 address |"
    r"\s+\d+ network (host|subnet|range|group-object) |\s+\d+ service (tcp|udp|icmp) |"
    r"\s*version \d+\.\d+(\.\d+)?, "
    r"(Release|ESS|Feature) )", re.MULTILINE)
"""Lines only H3C Comware configurations have. An old (Comware 5) configuration without its
``version`` line reads like Huawei VRP; name the format explicitly then."""

ACTIONS = {"permit": Action.ACCEPT, "deny": Action.DROP}
UNSUPPORTED = frozenset({
    "time-range", "vpn-instance", "fragment", "fragment-type", "dscp", "precedence", "tos",
    "tcp-flag", "ttl-expired", "source-mac", "destination-mac", "vlan", "ttl",
    "source-pool", "destination-pool", "igmp-type", "routing", "hop-by-hop", "flow-label",
    "traffic-class", "first-fragment", "none-first-fragment", "public", "vpn-instance-any",
})
ICMP_OPTIONS = {4: ("icmp-type",), 6: ("icmp6-type", "icmpv6-type")}
"""The ICMP type option of an IPv4 and of an IPv6 ACL rule."""

VENDOR_ICMPV6_TYPES: dict[str, tuple[int, int | None]] = {
    # Huawei / H3C message names that the shared table (ports.ICMPV6_TYPES) does not know
    "network-unreachable": (1, 0), "admin-prohibited": (1, 1), "host-admin-prohibited": (1, 1),
    "address-unreachable": (1, 3), "host-unreachable": (1, 3), "port-unreachable": (1, 4),
    "hop-limit-exceeded": (3, 0), "reassembly-timeout": (3, 1),
    "reassembly-time-exceeded": (3, 1), "header-field": (4, 0), "unknown-next-hdr": (4, 1),
    "unknown-ipv6-opt": (4, 2), "echo": (128, 0), "echo-reply": (129, 0),
    "multicast-listener-query": (130, 0), "multicast-listener-report": (131, 0),
    "multicast-listener-done": (132, 0), "router-solicitation": (133, 0),
    "router-advertisement": (134, 0), "neighbor-solicitation": (135, 0),
    "neighbor-advertisement": (136, 0), "redirect": (137, 0),
}


@dataclass
class VrpRule:
    """One ``rule`` line read: number (``None`` if not written) and its rule."""

    number: int | None
    rule: Rule


def acl_address(cursor: Words, family: int = 4) -> tuple[IPNetwork, ...]:
    """After ``source``/``destination``: ``any``, or ``ADDR WILDCARD`` (``0`` = host) in an
    IPv4 ACL, ``ADDR/LEN`` or ``ADDR LEN`` in an IPv6 ACL."""
    if family == 6:
        return _ipv6_address(cursor)
    word = cursor.take("an address")
    if word.text.lower() == "any":
        return ()
    try:
        addresses.ipv4(word.text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    mask = cursor.take("a wildcard (0 for one host)")
    try:
        return addresses.wildcard(word.text, mask.text)
    except ValueError as error:
        code = "wildcard" if "wildcard" in str(error) else "invalid-value"
        raise Unreadable(str(error), code, mask.column) from None


def _ipv6_address(cursor: Words) -> tuple[IPNetwork, ...]:
    word = cursor.take("an IPv6 address")
    if word.text.lower() == "any":
        return ()
    try:
        if "/" in word.text:
            return (addresses.ipv6_network(word.text),)
        addresses.ipv6(word.text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    length = cursor.take("a prefix length")
    if length.text.lower() == "postfix":
        raise Unreadable("IPv6 postfix (interface-identifier) matches are not supported",
                         "unsupported", length.column)
    if not length.text.isdigit():
        try:
            addresses.ipv6(length.text)
        except ValueError:
            raise Unreadable(f"{length.text!r} is not a prefix length", "syntax",
                             length.column) from None
        raise Unreadable("IPv6 wildcard masks are not supported; use a prefix length",
                         "unsupported", length.column)
    try:
        return (addresses.ipv6_network(f"{word.text}/{length.text}"),)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", length.column) from None


def read_rule(node: Node, advanced: bool, file: str,
              family: int = 4) -> VrpRule | tuple[int, str]:
    """A ``rule`` line of an IPv4 (``family`` 4) or IPv6 ACL: the rule, or ``(number, text)``
    for a ``description``/``comment``."""
    cursor = Words(node.words)
    cursor.take("rule")
    number: int | None = None
    if (first := cursor.peek()) is not None and first.isdigit():
        number = int(cursor.take("a rule number").text)
    keyword = cursor.take("permit or deny")
    word = keyword.text.lower()
    if word in ("description", "comment", "remark") and number is not None:
        return number, node.rest(cursor.index)
    action = ACTIONS.get(word)
    if action is None:
        raise Unreadable(f"{keyword.text!r} is not permit or deny", "syntax", keyword.column)
    protocol: int | None = None
    if advanced:
        proto_word = cursor.take("a protocol")
        text = proto_word.text.lower()
        if text != ("ip" if family == 4 else "ipv6"):
            if text in ("ip", "ipv6"):
                raise Unreadable(f"protocol {text!r} in an IPv{family} ACL", "syntax",
                                 proto_word.column)
            try:
                protocol = ports.protocol_number(text)
            except ValueError as error:
                raise Unreadable(str(error), "invalid-value", proto_word.column) from None
    seen: set[str] = set()
    src: tuple[IPNetwork, ...] = ()
    dst: tuple[IPNetwork, ...] = ()
    sports: tuple[tuple[PortRange, ...], bool] = ((), False)
    dports: tuple[tuple[PortRange, ...], bool] = ((), False)
    icmp: tuple[IcmpMatch, ...] = ()
    established = log = False
    while not cursor.at_end():
        option = cursor.take("an option")
        name = option.text.lower()
        if name in seen:
            raise Unreadable(f"{name!r} is given twice", "syntax", option.column)
        seen.add(name)
        if name == "source":
            src = acl_address(cursor, family)
        elif name == "destination" and advanced:
            dst = acl_address(cursor, family)
        elif advanced and name in ("source-port", "destination-port"):
            if protocol not in (6, 17):
                raise Unreadable(f"{name} needs protocol tcp or udp", "syntax", option.column)
            operator = cursor.take("a port operator")
            if operator.text.lower() not in PORT_OPERATORS:
                raise Unreadable(f"{operator.text!r} is not a port operator", "syntax",
                                 operator.column)
            if name == "source-port":
                sports = port_words(cursor, operator.text.lower())
            else:
                dports = port_words(cursor, operator.text.lower())
        elif advanced and name in ICMP_OPTIONS[family]:
            wanted = 1 if family == 4 else 58
            if protocol != wanted:
                raise Unreadable(f"{name} needs protocol {'icmp' if family == 4 else 'icmpv6'}",
                                 "syntax", option.column)
            icmp = _icmp(cursor, family)
        elif name == "logging":
            log = True
        elif name == "counting":
            pass
        elif name == "established" and protocol == 6:
            established = True
        elif name in UNSUPPORTED:
            raise Unreadable(f"option {option.text!r} is not supported", "unsupported",
                             option.column)
        else:
            raise Unreadable(f"option {option.text!r} is not understood", "syntax",
                             option.column)
    match = Match(
        src=src, dst=dst,
        protocols=() if protocol is None else (protocol,),
        sports=sports[0], sports_negated=sports[1],
        dports=dports[0], dports_negated=dports[1],
        icmp=icmp,
        states=frozenset({ConnState.ESTABLISHED}) if established else frozenset(),
        family=family,
    )
    return VrpRule(number, Rule(match=match, action=action, log=log,
                                source=SourceRef(file, node.line), text=node.text))


def _icmp(cursor: Words, family: int = 4) -> tuple[IcmpMatch, ...]:
    word = cursor.take("an ICMP type")
    code = None
    if word.text.isdigit():
        code_word = cursor.take("an ICMP code")
        code = code_word.text
    try:
        return (ports.icmp_match(word.text, family, code),)
    except ValueError as error:
        known = VENDOR_ICMPV6_TYPES.get(word.text.lower()) if family == 6 else None
        if known is None:
            raise Unreadable(str(error), "invalid-value", word.column) from None
        return (IcmpMatch(known[0], known[1], 6),)


def read_acl_block(node: Node, acl: AclDraft, advanced: bool, file: str,
                   log: ProblemLog) -> None:
    """The ``rule``/``description``/``step`` lines under an ``acl`` line, into ``acl``
    (an IPv6 ACL when ``acl.family`` is ``ip6``)."""
    family = 6 if acl.family == "ip6" else 4
    comments: dict[int, str] = {}
    for child in node.children:
        keyword = child.keywords[0]
        try:
            if keyword in ("description", "undo"):
                continue
            if keyword == "step":
                step = child.words[1].text if len(child.words) > 1 else ""
                if not step.isdigit():
                    raise Unreadable("'step' needs a number", "syntax", child.words[0].column)
                acl.step = int(step)
                continue
            if keyword != "rule":
                raise Unreadable(f"{child.words[0].text!r} is not understood in an ACL",
                                 "syntax", child.words[0].column)
            result = read_rule(child, advanced, file, family)
        except Unreadable as error:
            log.add_error(child.line, error)
            continue
        if isinstance(result, tuple):
            comments[result[0]] = result[1]
        else:
            acl.entries.append(Entry(result.number, child.line, [result.rule]))
    for entry in acl.entries:
        if entry.number in comments:
            entry.rules = [dataclasses.replace(r, comment=comments[entry.number])
                           for r in entry.rules]
