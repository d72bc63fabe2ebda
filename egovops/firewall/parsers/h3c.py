"""Parser for H3C Comware ``display current-configuration`` (Comware 7, and Comware 5 ACLs).

Read:

* ACLs ``acl advanced|basic N``, ``acl advanced|basic name X``, ``acl number N [name X]``
  with ``rule`` lines (see :mod:`egovops.firewall.parsers.vrp_acl`), ordered by rule ID;
* where they apply: ``packet-filter N|name X inbound|outbound`` under an interface (hook
  ``N:in``; unmatched packets are permitted unless ``packet-filter default deny``),
  ``packet-filter N`` under a zone pair, ``acl N inbound`` under ``line``/``user-interface
  vty`` and ``ssh|telnet server acl N`` (hooks ``N:vty-in``, ``N:ssh-in``; unmatched = denied);
* ``object-group ip address`` (``network host address``, ``network subnet A MASK|LEN``,
  ``network range``, ``network group-object``) and ``object-group service`` (``service tcp
  source|destination OP PORT``, ``service icmp``, ``service group-object``);
* ``object-policy ip NAME`` with ``rule N pass|drop [source-ip G] [destination-ip G]
  [service G] [logging] [counting] [disable]`` (``any`` or an object group; services may also
  be predefined names such as ``http`` or ``ssh``), applied by ``zone-pair security source X
  destination Y`` / ``object-policy apply ip NAME``: a base chain named after the policy with
  hook ``NAME:X->Y``, the zones in every rule's match, and drop for unmatched packets.

``security-zone name X`` blocks only bind interfaces to zones and are not needed here.
Application, VRF, time-range and track conditions, IPv6 policies and the newer
``security-policy ip`` are reported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from egovops.firewall.model import Action, Chain, IPNetwork, Match, Rule, Ruleset, SourceRef
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.acl_chains import AclDraft, Attachment, build_chains
from egovops.firewall.parsers.cisco_acl import (
    PORT_OPERATORS,
    CiscoObjects,
    Group,
    Words,
    describe,
    port_words,
)
from egovops.firewall.parsers.config_tree import Node, parse_tree
from egovops.firewall.parsers.problems import ProblemLog, Unreadable
from egovops.firewall.parsers.services import PREDEFINED_SERVICES, Service, service_matches
from egovops.firewall.parsers.vrp_acl import H3C_MARKERS, read_acl_block

FORMAT = "h3c"

POLICY_ACTIONS = {"pass": Action.ACCEPT, "drop": Action.DROP}
UNSUPPORTED_CONDITIONS = frozenset({
    "vrf", "application", "app-group", "time-range", "track", "inspect",
})


def _kind_of_number(number: int) -> str | None:
    if 2000 <= number <= 2999:
        return "basic"
    if 3000 <= number <= 3999:
        return "advanced"
    return None


@dataclass
class _Applied:
    """``object-policy apply ip NAME`` under a zone pair."""

    policy: str
    source_zone: str
    destination_zone: str
    line: int
    column: int


def _address_entry(group: Group, cursor: Words) -> None:
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


def _service_entry(group: Group, cursor: Words) -> None:
    """``service PROTO [source OP P] [destination OP P]`` / ``service icmp [T [C]]`` /
    ``service group-object X``."""
    keyword = cursor.take("'service'")
    if keyword.text.lower() != "service":
        raise Unreadable(f"{keyword.text!r} is not understood in a service group", "syntax",
                         keyword.column)
    word = cursor.take("a protocol")
    text = word.text.lower()
    if text == "group-object":
        group.includes.append(cursor.take("a group name").text)
        return
    try:
        protocol = ports.protocol_number(text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    if protocol == 1:
        if cursor.at_end():
            group.services.append(Service(1))
            return
        type_word = cursor.take("an ICMP type")
        code = cursor.take("an ICMP code").text if not cursor.at_end() else None
        try:
            group.services.append(Service(1, icmp=(ports.icmp_match(type_word.text, 4, code),)))
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", type_word.column) from None
        return
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
    group.services.append(service)


class H3cParser:
    """H3C Comware ACLs, packet filters and object policies; see the module docstring."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has H3C-only syntax (``acl advanced``, object policies, zone pairs)."""
        return H3C_MARKERS.search(text) is not None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read groups, ACLs, object policies and where they apply; all problems at once."""
        log = ProblemLog(file, FORMAT)
        tree = parse_tree(text, "#")
        objects = CiscoObjects()
        for node in tree:
            if node.keywords[:1] == ["object-group"]:
                self._object_group(node, objects, log)
        default_filter = Action.ACCEPT
        for node in tree:
            if node.keywords == ["packet-filter", "default", "deny"]:
                default_filter = Action.DROP
        acls: dict[str, AclDraft] = {}
        numbers: dict[str, str] = {}
        attachments: list[Attachment] = []
        policies: dict[str, Node] = {}
        applied: list[_Applied] = []
        for node in tree:
            words = node.keywords
            try:
                if words[0] == "acl":
                    self._acl(node, acls, numbers, file, log)
                elif words[0] == "interface":
                    attachments += self._interface(node, default_filter, log)
                elif words[0] in ("line", "user-interface"):
                    attachments += self._vty(node)
                elif words[:1] in (["ssh"], ["telnet"]) and words[1:3] == ["server", "acl"]:
                    if len(node.words) < 4:
                        raise Unreadable(f"'{node.text}' needs an ACL", "syntax")
                    attachments.append(Attachment(node.words[3].text, f"{words[0]}-in",
                                                  node.text, node.line, node.words[3].column,
                                                  Action.DROP))
                elif words[:2] == ["zone-pair", "security"]:
                    found, filters = self._zone_pair(node, log)
                    applied += found
                    attachments += filters
                elif words[:2] == ["object-policy", "ip"]:
                    if len(node.words) < 3:
                        raise Unreadable("object-policy ip without a name", "syntax")
                    policies[node.words[2].text] = node
                elif words[:2] in (["object-policy", "ipv6"], ["security-policy", "ip"],
                                   ["security-policy", "ipv6"]):
                    raise Unreadable(f"{node.words[0].text} {node.words[1].text} is not "
                                     "supported", "unsupported", node.words[0].column)
            except Unreadable as error:
                log.add_error(node.line, error)
        resolved = [
            dataclasses.replace(a, acl=numbers.get(a.acl, a.acl)) for a in attachments
        ]
        chains, hooks = build_chains(acls, resolved, file, log)
        policy_rules = {name: self._object_policy(node, objects, file, log)
                        for name, node in policies.items()}
        for use in applied:
            if use.policy not in policies:
                log.add(use.line, f"object-policy {use.policy!r} is applied here but not "
                        "defined", "unknown-reference", use.column)
                continue
            hook = f"{use.policy}:{use.source_zone}->{use.destination_zone}"
            zoned = tuple(
                dataclasses.replace(rule, match=dataclasses.replace(
                    rule.match, src_zones=(use.source_zone,),
                    dst_zones=(use.destination_zone,)))
                for rule in policy_rules[use.policy]
            )
            hooks[hook] = (f"zone-pair security source {use.source_zone} destination "
                           f"{use.destination_zone}",)
            chains.append(Chain(name=use.policy, rules=zoned, hook=hook, policy=Action.DROP,
                                family="ip", source=SourceRef(file, policies[use.policy].line)))
        used = {use.policy for use in applied}
        for name, node in policies.items():
            if name not in used:
                chains.append(Chain(name=name, rules=tuple(policy_rules[name]), family="ip",
                                    source=SourceRef(file, node.line)))
        log.raise_if_any()
        shown = {name: describe(group) for name, group in objects.groups.items()}
        return Ruleset(tuple(chains), FORMAT, file, {**shown, **hooks})

    # -- object groups ------------------------------------------------------------------------

    @staticmethod
    def _object_group(node: Node, objects: CiscoObjects, log: ProblemLog) -> None:
        words = node.keywords
        if words[1:3] == ["ip", "address"] and len(node.words) > 3:
            kind, name_word = "network", node.words[3]
        elif words[1:2] == ["service"] and len(node.words) > 2:
            kind, name_word = "service", node.words[2]
        else:
            if len(node.words) > 2:
                objects.unreadable[node.words[-1].text] = f"'{node.text}' is not supported"
            return
        if name_word.text in objects.groups:
            log.add(node.line, f"object-group {name_word.text} is defined twice", "duplicate",
                    name_word.column)
            return
        group = Group(kind, node.line)
        for child in node.children:
            cursor = Words(child.words)
            if cursor.peek() in ("description", "security-zone"):
                continue
            if (first := cursor.peek()) is not None and first.isdigit():
                cursor.take("an entry number")
            try:
                if kind == "network":
                    _address_entry(group, cursor)
                else:
                    _service_entry(group, cursor)
                if not cursor.at_end():
                    extra = cursor.take("nothing")
                    raise Unreadable(f"{extra.text!r} is not understood here", "syntax",
                                     extra.column)
            except Unreadable as error:
                log.add_error(child.line, error)
        objects.groups[name_word.text] = group

    # -- ACLs and where they apply --------------------------------------------------------

    @staticmethod
    def _acl(node: Node, acls: dict[str, AclDraft], numbers: dict[str, str], file: str,
             log: ProblemLog) -> None:
        words = node.keywords
        if len(words) < 3:
            raise Unreadable(f"'{node.text}' needs a number or name", "syntax")
        if words[1] in ("ipv6", "mac", "user", "wlan"):
            raise Unreadable(f"acl {words[1]} is not supported (only IPv4 ACLs are read)",
                             "unsupported", node.words[1].column)
        if "match-order" in words and words[words.index("match-order") + 1:][:1] == ["auto"]:
            raise Unreadable("match-order auto (depth-first rule order) is not supported",
                             "unsupported", node.words[words.index("match-order")].column)
        number: str | None = None
        kind: str | None
        if words[1] in ("advanced", "basic"):
            kind = words[1]
            if words[2] == "name" and len(node.words) > 3:
                name = node.words[3].text
            else:
                number = name = node.words[2].text
        elif words[1] == "number":
            number = node.words[2].text
            kind = _kind_of_number(int(number)) if number.isdigit() else None
            name = node.words[4].text if words[3:4] == ["name"] and len(words) > 4 else number
        else:
            raise Unreadable(f"'{node.text}' is not an acl advanced|basic|number line",
                             "syntax")
        if kind is None:
            raise Unreadable(f"ACL {name}: only basic (2000-2999) and advanced (3000-3999) "
                             "ACLs are supported", "unsupported", node.words[2].column)
        if name in acls:
            raise Unreadable(f"ACL {name} is defined twice", "duplicate", node.words[2].column)
        acl = acls[name] = AclDraft(name, node.line, step=5)
        if number is not None:
            numbers[number] = name
        read_acl_block(node, acl, kind == "advanced", file, log)

    @staticmethod
    def _interface(node: Node, default: Action, log: ProblemLog) -> list[Attachment]:
        found = []
        for child in node.children:
            words = child.keywords
            if words[:1] != ["packet-filter"]:
                continue
            if words[1:2] in (["ipv6"], ["mac"]):
                log.add(child.line, f"packet-filter {words[1]} is not supported", "unsupported",
                        child.words[1].column)
                continue
            index = 2 if words[1:2] == ["name"] else 1
            if len(words) < index + 2 or words[index + 1] not in ("inbound", "outbound"):
                log.add(child.line, f"'{child.text}' is not 'packet-filter N inbound|outbound'",
                        "syntax", child.words[0].column)
                continue
            found.append(Attachment(child.words[index].text,
                                    "in" if words[index + 1] == "inbound" else "out",
                                    node.text, child.line, child.words[index].column, default))
        return found

    @staticmethod
    def _vty(node: Node) -> list[Attachment]:
        found = []
        for child in node.children:
            words = child.keywords
            if words[:1] == ["acl"] and len(words) == 3 and words[2] in ("inbound", "outbound"):
                found.append(Attachment(child.words[1].text,
                                        "vty-in" if words[2] == "inbound" else "vty-out",
                                        node.text, child.line, child.words[1].column,
                                        Action.DROP))
        return found

    @staticmethod
    def _zone_pair(node: Node, log: ProblemLog) -> tuple[list[_Applied], list[Attachment]]:
        words = node.keywords
        if len(words) != 6 or words[2] != "source" or words[4] != "destination":
            raise Unreadable(f"'{node.text}' is not 'zone-pair security source X "
                             "destination Y'", "syntax")
        source, destination = node.words[3].text, node.words[5].text
        applied: list[_Applied] = []
        filters: list[Attachment] = []
        for child in node.children:
            cwords = child.keywords
            if cwords[:3] == ["object-policy", "apply", "ip"] and len(child.words) == 4:
                applied.append(_Applied(child.words[3].text, source, destination, child.line,
                                        child.words[3].column))
            elif cwords[:1] == ["packet-filter"] and len(child.words) >= 2:
                index = 2 if cwords[1:2] == ["name"] and len(child.words) > 2 else 1
                filters.append(Attachment(child.words[index].text, f"{source}->{destination}",
                                          node.text, child.line, child.words[index].column,
                                          Action.DROP))
            elif cwords[:1] in (["object-policy"], ["packet-filter"]):
                log.add(child.line, f"'{child.text}' is not supported", "unsupported",
                        child.words[0].column)
        return applied, filters

    # -- object policies ------------------------------------------------------------------

    @staticmethod
    def _object_policy(node: Node, objects: CiscoObjects, file: str,
                       log: ProblemLog) -> list[Rule]:
        entries: list[tuple[int, int, list[Rule]]] = []
        comments: dict[int, str] = {}
        last = -5
        for position, child in enumerate(node.children):
            cursor = Words(child.words)
            keyword = cursor.take("rule").text.lower()
            if keyword in ("description", "accelerate", "undo"):
                continue
            try:
                if keyword != "rule":
                    raise Unreadable(f"{child.words[0].text!r} is not understood in an "
                                     "object policy", "syntax", child.words[0].column)
                if (first := cursor.peek()) is not None and first.isdigit():
                    number = int(cursor.take("a rule number").text)
                else:
                    number = last + 5
                if cursor.peek() in ("comment", "description"):
                    comments[number] = child.rest(cursor.index + 1)
                    continue
                last = max(last, number)
                rules = _policy_rule(child, cursor, objects, file, str(number))
            except Unreadable as error:
                log.add_error(child.line, error)
                continue
            entries.append((number, position, rules))
        ordered: list[Rule] = []
        for number, _, rules in sorted(entries, key=lambda e: (e[0], e[1])):
            comment = comments.get(number, "")
            ordered += [dataclasses.replace(r, comment=comment) if comment else r
                        for r in rules]
        return ordered


def _policy_rule(node: Node, cursor: Words, objects: CiscoObjects, file: str,
                 name: str) -> list[Rule]:
    """``pass|drop [source-ip G] [destination-ip G] [service G] [logging] …``."""
    verdict = cursor.take("pass or drop")
    action = POLICY_ACTIONS.get(verdict.text.lower())
    if action is None:
        raise Unreadable(f"{verdict.text!r} is not pass or drop", "syntax", verdict.column)
    src: tuple[IPNetwork, ...] = ()
    dst: tuple[IPNetwork, ...] = ()
    services: list[Service] = []
    logged = False
    while not cursor.at_end():
        option = cursor.take("an option")
        word = option.text.lower()
        if word in ("source-ip", "destination-ip", "service"):
            group = cursor.take(f"an object group after {word}")
            try:
                if group.text.lower() == "any":
                    continue
                if word == "service":
                    if group.text in objects.groups:
                        services += objects.services(group.text)
                    elif group.text.lower() in PREDEFINED_SERVICES:
                        services += PREDEFINED_SERVICES[group.text.lower()]
                    else:
                        services += objects.services(group.text)  # raises: not defined
                elif word == "source-ip":
                    src += objects.networks(group.text)
                else:
                    dst += objects.networks(group.text)
            except Unreadable as error:
                raise Unreadable(error.message, error.code, group.column) from None
        elif word == "logging":
            logged = True
        elif word == "counting":
            pass
        elif word == "disable":
            return []
        elif word in UNSUPPORTED_CONDITIONS:
            raise Unreadable(f"condition {option.text!r} is not supported", "unsupported",
                             option.column)
        else:
            raise Unreadable(f"option {option.text!r} is not understood", "syntax",
                             option.column)
    base = Match(src=src, dst=dst, family=4)
    return [Rule(match=match, action=action, log=logged, name=name,
                 source=SourceRef(file, node.line), text=node.text)
            for match in service_matches(base, services)]
