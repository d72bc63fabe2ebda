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
  hook ``NAME:X->Y``, the zones in every rule's match, and drop for unmatched packets;
* IPv6: ``acl ipv6 advanced|basic N|name X`` (and Comware 5 ``acl ipv6 number N``; chain
  ``ipv6 N``, rules of family 6, see :mod:`egovops.firewall.parsers.vrp_acl`), applied by
  ``packet-filter ipv6 N inbound`` (hook ``ipv6 N:in``), ``acl ipv6 N inbound`` on the VTY
  lines, ``ssh|telnet server ipv6 acl [ipv6] N`` and ``packet-filter ipv6 N`` under a zone pair;
  ``object-group ipv6 address`` groups; ``object-policy ipv6 NAME`` applied by ``object-policy
  apply ipv6 NAME`` (chain ``ipv6 NAME``, hook ``ipv6 NAME:X->Y``). A zone pair that applies
  both an IPv4 policy A and an IPv6 policy B gets one chain ``A+ipv6 B`` (hook
  ``A+ipv6 B:X->Y``): A's rules then B's, which never match each other's packets, so each
  family keeps its own first-match order and both share the zone pair's drop for the rest;
* ``security-policy ip`` and ``security-policy ipv6`` (Comware 7.1.064 and later): see
  :mod:`egovops.firewall.parsers.h3c_security_policy`. Once a device has security policies its
  object policies lose effect (H3C: object policies stop working the first time security
  policy view is entered), so object policies are then kept as chains without a hook.

``security-zone name X`` blocks only bind interfaces to zones and are not needed here.
Application, VRF, time-range and track conditions, MAC and user ACLs are reported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from egovops.firewall.model import Action, Chain, IPNetwork, Match, Rule, Ruleset, SourceRef
from egovops.firewall.parsers.acl_chains import (
    AclDraft,
    Attachment,
    build_chains,
    vty_attachment,
)
from egovops.firewall.parsers.cisco_acl import (
    CiscoObjects,
    Group,
    Words,
    describe,
)
from egovops.firewall.parsers.config_tree import Node, parse_tree
from egovops.firewall.parsers.h3c_objects import (
    address_entry,
    family_networks,
    named_services,
    service_entry,
)
from egovops.firewall.parsers.h3c_security_policy import read_security_policies
from egovops.firewall.parsers.problems import ProblemLog, Unreadable
from egovops.firewall.parsers.services import Service, service_matches
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
    """``object-policy apply ip|ipv6 NAME`` under a zone pair (``policy`` is ``ipv6 NAME`` for
    an IPv6 policy)."""

    policy: str
    source_zone: str
    destination_zone: str
    line: int
    column: int


class H3cParser:
    """H3C Comware ACLs, packet filters and object policies; see the module docstring."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has H3C-only syntax (``acl advanced``, object policies, zone pairs)."""
        return H3C_MARKERS.search(text) is not None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read groups, ACLs, object and security policies and where they apply; all problems
        at once."""
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
        security: list[Node] = []
        for node in tree:
            words = node.keywords
            try:
                if words[0] == "acl":
                    self._acl(node, acls, numbers, file, log)
                elif words[0] == "interface":
                    attachments += self._interface(node, default_filter, log)
                elif words[0] in ("line", "user-interface"):
                    attachments += self._vty(node, log)
                elif words[:1] in (["ssh"], ["telnet"]) and words[1:2] == ["server"] and \
                        "acl" in words[2:4]:
                    attachments.append(self._server_acl(node))
                elif words[:2] == ["zone-pair", "security"]:
                    found, filters = self._zone_pair(node, log)
                    applied += found
                    attachments += filters
                elif words[:2] in (["object-policy", "ip"], ["object-policy", "ipv6"]):
                    if len(node.words) < 3:
                        raise Unreadable(f"{node.text} without a name", "syntax")
                    name = node.words[2].text
                    key = f"ipv6 {name}" if words[1] == "ipv6" else name
                    if key in policies:
                        raise Unreadable(f"object-policy {words[1]} {name} is defined twice",
                                         "duplicate", node.words[2].column)
                    policies[key] = node
                elif words in (["security-policy", "ip"], ["security-policy", "ipv6"]):
                    security.append(node)
                elif words[:1] == ["security-policy"] and len(words) > 1 and \
                        words[1] in ("disable", "ip", "ipv6"):
                    raise Unreadable(f"'{node.text}' is not supported", "unsupported",
                                     node.words[1].column)
            except Unreadable as error:
                log.add_error(node.line, error)
        resolved = [
            dataclasses.replace(a, acl=numbers.get(a.acl, a.acl)) for a in attachments
        ]
        chains, hooks = build_chains(acls, resolved, file, log)
        policy_rules = {key: self._object_policy(node, objects, file, log,
                                                 6 if key.startswith("ipv6 ") else 4)
                        for key, node in policies.items()}
        used: set[str] = set()
        if not security:
            used = self._applied_policies(applied, policies, policy_rules, file, log, chains,
                                          hooks)
        for use in applied if security else ():
            if use.policy not in policies:
                log.add(use.line, f"object-policy {use.policy!r} is applied here but not "
                        "defined", "unknown-reference", use.column)
        for key, node in policies.items():
            if key not in used:
                chains.append(Chain(name=key, rules=tuple(policy_rules[key]),
                                    family="ip6" if key.startswith("ipv6 ") else "ip",
                                    source=SourceRef(file, node.line)))
        if security:
            chains.append(read_security_policies(security, objects, file, log))
            hooks["security-policy"] = tuple(n.text for n in security)
        log.raise_if_any()
        shown = {name: describe(group) for name, group in objects.groups.items()}
        return Ruleset(tuple(chains), FORMAT, file, {**shown, **hooks}, skipped=tuple(log.skipped))

    @staticmethod
    def _applied_policies(applied: list[_Applied], policies: dict[str, Node],
                          policy_rules: dict[str, list[Rule]], file: str, log: ProblemLog,
                          chains: list[Chain], hooks: dict[str, tuple[str, ...]]) -> set[str]:
        """One base chain per zone pair from the object policies it applies (see the module
        docstring); returns the policies applied somewhere."""
        by_pair: dict[tuple[str, str], list[_Applied]] = {}
        for use in applied:
            if use.policy not in policies:
                kind = "ipv6" if use.policy.startswith("ipv6 ") else "ip"
                name = use.policy.removeprefix("ipv6 ")
                log.add(use.line, f"object-policy {kind} {name!r} is applied here but not "
                        "defined", "unknown-reference", use.column)
                continue
            uses = by_pair.setdefault((use.source_zone, use.destination_zone), [])
            family = use.policy.startswith("ipv6 ")
            if any(u.policy.startswith("ipv6 ") == family for u in uses):
                log.add(use.line, f"zone pair {use.source_zone}->{use.destination_zone} "
                        f"already applies an object-policy {'ipv6' if family else 'ip'}",
                        "duplicate", use.column)
                continue
            uses.append(use)
        for (source, destination), uses in by_pair.items():
            uses.sort(key=lambda u: u.policy.startswith("ipv6 "))
            name = "+".join(u.policy for u in uses)
            hook = f"{name}:{source}->{destination}"
            zoned = tuple(
                dataclasses.replace(rule, match=dataclasses.replace(
                    rule.match, src_zones=(source,), dst_zones=(destination,)))
                for use in uses for rule in policy_rules[use.policy]
            )
            hooks[hook] = (f"zone-pair security source {source} destination {destination}",)
            # packets between zones that no rule permits are dropped whatever their family
            # (an IPv4-only object-policy does not let IPv6 through), hence "inet"
            chains.append(Chain(name=name, rules=zoned, hook=hook, policy=Action.DROP,
                                family="inet",
                                source=SourceRef(file, policies[uses[0].policy].line)))
        return {u.policy for uses in by_pair.values() for u in uses}

    @staticmethod
    def _server_acl(node: Node) -> Attachment:
        """``ssh|telnet server acl N`` / ``ssh|telnet server ipv6 acl [ipv6] N``."""
        words = node.keywords
        ipv6 = words[2] == "ipv6"
        rest = words[4:] if ipv6 else words[3:]
        if rest[:1] == ["ipv6"]:
            rest = rest[1:]
        if rest[:1] == ["mac"]:
            raise Unreadable(f"'{node.text}': MAC ACLs are not supported", "unsupported",
                             node.words[-1].column)
        if len(rest) != 1:
            raise Unreadable(f"'{node.text}' is not '{words[0]} server [ipv6] acl N'", "syntax")
        acl = node.words[-1]
        return Attachment(f"ipv6 {acl.text}" if ipv6 else acl.text, f"{words[0]}-in",
                          node.text, node.line, acl.column, Action.DROP)

    # -- object groups ------------------------------------------------------------------------

    @staticmethod
    def _object_group(node: Node, objects: CiscoObjects, log: ProblemLog) -> None:
        words = node.keywords
        if words[1:3] in (["ip", "address"], ["ipv6", "address"]) and len(node.words) > 3:
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
                    address_entry(group, cursor)
                else:
                    service_entry(group, cursor)
                cursor.expect_end()
            except Unreadable as error:
                log.add_error(child.line, error)
        objects.groups[name_word.text] = group

    # -- ACLs and where they apply --------------------------------------------------------

    @staticmethod
    def _acl(node: Node, acls: dict[str, AclDraft], numbers: dict[str, str], file: str,
             log: ProblemLog) -> None:
        """``acl advanced|basic N|name X``, ``acl number N [name X]``, and the same after
        ``acl ipv6`` (kept as ``ipv6 NAME``: the two families number their ACLs apart)."""
        ipv6 = node.keywords[1:2] == ["ipv6"]
        at = [node.words[0], *node.words[2:]] if ipv6 else node.words
        words = [w.text.lower() for w in at]
        if len(words) < 3:
            raise Unreadable(f"'{node.text}' needs a number or name", "syntax")
        if words[1] in ("mac", "user", "wlan"):
            raise Unreadable(f"acl {words[1]} is not supported (only IPv4 and IPv6 ACLs are "
                             "read)", "unsupported", at[1].column)
        if "match-order" in words and words[words.index("match-order") + 1:][:1] == ["auto"]:
            raise Unreadable("match-order auto (depth-first rule order) is not supported",
                             "unsupported", at[words.index("match-order")].column)
        number: str | None = None
        kind: str | None
        if words[1] in ("advanced", "basic"):
            kind = words[1]
            if words[2] == "name" and len(at) > 3:
                name = at[3].text
            else:
                number = name = at[2].text
        elif words[1] == "number":
            number = at[2].text
            kind = _kind_of_number(int(number)) if number.isdigit() else None
            name = at[4].text if words[3:4] == ["name"] and len(words) > 4 else number
        else:
            raise Unreadable(f"'{node.text}' is not an acl [ipv6] advanced|basic|number line",
                             "syntax")
        if kind is None:
            raise Unreadable(f"ACL {name}: only basic (2000-2999) and advanced (3000-3999) "
                             "ACLs are supported", "unsupported", at[2].column)
        key = f"ipv6 {name}" if ipv6 else name
        if key in acls:
            raise Unreadable(f"ACL {key} is defined twice", "duplicate", at[2].column)
        acl = acls[key] = AclDraft(key, node.line, family="ip6" if ipv6 else "ip", step=5)
        if number is not None:
            numbers[f"ipv6 {number}" if ipv6 else number] = key
        read_acl_block(node, acl, kind == "advanced", file, log)

    @staticmethod
    def _interface(node: Node, default: Action, log: ProblemLog) -> list[Attachment]:
        """``packet-filter [ipv6] N|name X inbound|outbound`` under an interface."""
        found = []
        for child in node.children:
            words = child.keywords
            if words[:1] != ["packet-filter"]:
                continue
            if words[1:2] == ["mac"]:
                log.add(child.line, "packet-filter mac is not supported", "unsupported",
                        child.words[1].column)
                continue
            ipv6 = words[1:2] == ["ipv6"]
            index = 2 if ipv6 else 1
            if words[index:index + 1] == ["name"]:
                index += 1
            if len(words) < index + 2 or words[index + 1] not in ("inbound", "outbound"):
                log.add(child.line, f"'{child.text}' is not 'packet-filter [ipv6] N "
                        "inbound|outbound'", "syntax", child.words[0].column)
                continue
            acl = child.words[index].text
            found.append(Attachment(f"ipv6 {acl}" if ipv6 else acl,
                                    "in" if words[index + 1] == "inbound" else "out",
                                    node.text, child.line, child.words[index].column, default))
        return found

    @staticmethod
    def _vty(node: Node, log: ProblemLog) -> list[Attachment]:
        """``acl [ipv6] N inbound|outbound`` under ``line vty`` / ``user-interface vty``."""
        found = []
        for child in node.children:
            words = child.keywords
            if words[:1] != ["acl"]:
                continue
            ipv6 = words[1:2] == ["ipv6"]
            at = 2 if ipv6 else 1
            if len(words) != at + 2 or words[at + 1] not in ("inbound", "outbound"):
                unsupported = words[1:2] == ["mac"]
                log.add(child.line, f"'{child.text}' is not supported" if unsupported else
                        f"'{child.text}' is not 'acl [ipv6] N inbound|outbound'",
                        "unsupported" if unsupported else "syntax", child.words[0].column)
                continue
            found.append(vty_attachment(node, child, at, ipv6))
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
            if cwords[:2] == ["object-policy", "apply"] and cwords[2:3] in (["ip"], ["ipv6"]) \
                    and len(child.words) == 4:
                name = child.words[3].text
                applied.append(_Applied(f"ipv6 {name}" if cwords[2] == "ipv6" else name,
                                        source, destination, child.line,
                                        child.words[3].column))
            elif cwords[:1] == ["packet-filter"] and len(child.words) >= 2 and \
                    cwords[1] != "mac":
                ipv6 = cwords[1] == "ipv6"
                index = 2 if ipv6 else 1
                if cwords[index:index + 1] == ["name"]:
                    index += 1
                if len(child.words) != index + 1:
                    log.add(child.line, f"'{child.text}' is not 'packet-filter [ipv6] N|name X'",
                            "syntax", child.words[0].column)
                    continue
                acl = child.words[index].text
                filters.append(Attachment(f"ipv6 {acl}" if ipv6 else acl,
                                          f"{source}->{destination}", node.text, child.line,
                                          child.words[index].column, Action.DROP))
            elif cwords[:1] in (["object-policy"], ["packet-filter"]):
                log.add(child.line, f"'{child.text}' is not supported", "unsupported",
                        child.words[0].column)
        return applied, filters

    # -- object policies ------------------------------------------------------------------

    @staticmethod
    def _object_policy(node: Node, objects: CiscoObjects, file: str,
                       log: ProblemLog, family: int) -> list[Rule]:
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
                rules = _policy_rule(child, cursor, objects, file, str(number), family)
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
                 name: str, family: int) -> list[Rule]:
    """``pass|drop [source-ip G] [destination-ip G] [service G] [logging] …`` of an IPv4
    (``family`` 4) or IPv6 object policy."""
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
                    services += named_services(objects, group.text)
                elif word == "source-ip":
                    src += family_networks(objects, group.text, family)
                else:
                    dst += family_networks(objects, group.text, family)
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
    base = Match(src=src, dst=dst, family=family)
    return [Rule(match=match, action=action, log=logged, name=name,
                 source=SourceRef(file, node.line), text=node.text)
            for match in service_matches(base, services)]

