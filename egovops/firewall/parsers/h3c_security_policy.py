"""H3C Comware 7 security policies (``security-policy ip`` / ``security-policy ipv6``) into one
base chain; part of the ``h3c`` parser.

Comware 7.1.064 and later (SecPath F1000/F5000, M9000 firewalls, MSR routers) replace zone-pair
object policies with one ordered rule list per address family::

    security-policy ip
     rule 0 name web_in
      description website group from the internet
      action pass
      logging enable
      counting enable
      source-zone Untrust
      destination-zone DMZ
      destination-ip DMZ_WEB                      object group
      destination-ip-host 10.20.1.10
      destination-ip-subnet 10.20.1.128 255.255.255.192   (or a mask length)
      destination-ip-range 10.20.1.20 10.20.1.30
      service WEB                                 object group or predefined (http, ssh …)
      service-port tcp destination eq 8443        inline: PROTO [source OP P] [destination OP P],
                                                  icmp|icmpv6 [TYPE [CODE]]

Semantics, as H3C documents them: rules are matched in the order listed (the rule number is an
identifier, ``move rule`` reorders), the first rule that matches decides; a rule without
``action`` drops (``action drop`` is the default and not displayed); conditions of different
kinds are ANDed, values of the same kind ORed, a missing kind matches anything; packets that
match no rule are dropped (the default between security zones). ``disable`` takes a rule out.

Both blocks become the single base chain ``security-policy`` (hook ``security-policy``, policy
drop): the ``ip`` rules with family 4, then the ``ipv6`` rules with family 6. A packet only
meets the rules of its own family, so each list keeps its own first-match order. Zones go in
each rule's match (``src_zones``/``dst_zones``), as for the Huawei USG policy. Rules are named
by their ``name``; ``description`` is the comment, ``logging enable`` the log flag.

``description``, ``counting``, ``profile`` (content inspection), ``session`` aging settings,
``parent-group`` and ``accelerate`` do not change which packets pass. Application, user, VRF,
time-range, terminal and track conditions are reported, and so are rule groups that are
disabled (every rule in them would be switched off).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from egovops.firewall.model import Action, Chain, IPNetwork, Match, Rule, SourceRef
from egovops.firewall.parsers import addresses
from egovops.firewall.parsers.cisco_acl import CiscoObjects, Words
from egovops.firewall.parsers.config_tree import Node
from egovops.firewall.parsers.h3c_objects import family_networks, named_services, service_spec
from egovops.firewall.parsers.problems import ProblemLog, Unreadable
from egovops.firewall.parsers.services import Service, service_matches

HOOK = "security-policy"
ACTIONS = {"pass": Action.ACCEPT, "drop": Action.DROP}
UNSUPPORTED = frozenset({
    "application", "app-group", "user", "user-group", "vrf", "time-range", "terminal",
    "terminal-group", "track", "source-mac", "destination-mac", "ip-reputation",
    "source-ip-exclude", "destination-ip-exclude", "location",
})
IGNORED = frozenset({"counting", "profile", "session", "parent-group", "accelerate"})
"""Rule settings that do not change which packets a rule passes or drops."""

ADDRESS_WORDS = {
    f"{side}-ip{suffix}": (side, suffix.lstrip("-"))
    for side in ("source", "destination") for suffix in ("", "-host", "-subnet", "-range")
}
"""``source-ip-subnet`` → (``source``, ``subnet``); ``source-ip`` names an object group."""


@dataclass
class _Draft:
    """What one ``rule`` block says, read line by line."""

    name: str
    action: Action = Action.DROP
    zones: dict[str, list[str]] = field(
        default_factory=lambda: {"source-zone": [], "destination-zone": []})
    nets: dict[str, list[IPNetwork]] = field(
        default_factory=lambda: {"source": [], "destination": []})
    services: list[Service] = field(default_factory=list)
    log: bool = False
    disabled: bool = False
    comment: str = ""


def read_security_policies(nodes: list[Node], objects: CiscoObjects, file: str,
                           log: ProblemLog) -> Chain:
    """The ``security-policy ip|ipv6`` blocks ``nodes`` as one base chain (see the module
    docstring); unreadable lines are added to ``log``."""
    by_family: dict[int, list[Rule]] = {4: [], 6: []}
    seen: set[int] = set()
    for node in nodes:
        family = 6 if node.keywords[1] == "ipv6" else 4
        if family in seen:
            log.add(node.line, f"a second '{node.text}' block", "duplicate")
            continue
        seen.add(family)
        names: dict[str, int] = {}
        for child in node.children:
            keyword = child.keywords[0]
            try:
                if keyword in ("description", "accelerate"):
                    continue
                if keyword == "group":
                    if any(c.keywords == ["disable"] for c in child.children) or \
                            child.keywords[-1:] == ["disable"]:
                        raise Unreadable("disabled rule groups are not supported",
                                         "unsupported", child.words[0].column)
                    continue
                if keyword != "rule":
                    raise Unreadable(f"{child.words[0].text!r} is not understood in "
                                     f"{node.text}", "syntax", child.words[0].column)
                name = _rule_name(child)
                if name in names:
                    raise Unreadable(f"rule name {name!r} is also used at line {names[name]}",
                                     "duplicate", child.words[-1].column)
                names[name] = child.line
                by_family[family] += _rule(child, name, family, objects, file, log)
            except Unreadable as error:
                log.add_error(child.line, error)
    # the default action (drop) decides packets of both families, also when only one of
    # 'security-policy ip' / 'security-policy ipv6' is configured, hence "inet"
    return Chain(name=HOOK, rules=(*by_family[4], *by_family[6]), hook=HOOK,
                 policy=Action.DROP, family="inet",
                 source=SourceRef(file, nodes[0].line))


def _rule_name(node: Node) -> str:
    """``rule [N] name X`` → ``X``."""
    words = node.keywords
    at = 2 if words[1:2] and words[1].isdigit() else 1
    if words[at:at + 1] != ["name"] or len(words) != at + 2:
        raise Unreadable(f"'{node.text}' is not 'rule [N] name X'", "syntax")
    return node.words[at + 1].text


def _rule(node: Node, name: str, family: int, objects: CiscoObjects, file: str,
          log: ProblemLog) -> list[Rule]:
    """The rules (one per service group, see ``service_matches``) of one ``rule`` block."""
    draft = _Draft(name)
    problems = len(log)
    for child in node.children:
        cursor = Words(child.words)
        keyword = cursor.take("a setting")
        try:
            _setting(draft, keyword.text.lower(), keyword.column, cursor, child, family,
                     objects)
            cursor.expect_end()
        except Unreadable as error:
            log.add_error(child.line, error)
    if draft.disabled or len(log) > problems:
        return []
    base = Match(src=tuple(draft.nets["source"]), dst=tuple(draft.nets["destination"]),
                 src_zones=tuple(draft.zones["source-zone"]),
                 dst_zones=tuple(draft.zones["destination-zone"]), family=family)
    return [Rule(match=match, action=draft.action, log=draft.log, comment=draft.comment,
                 name=name, source=SourceRef(file, node.line), text=node.text)
            for match in service_matches(base, draft.services)]


def _setting(draft: _Draft, word: str, column: int, cursor: Words, node: Node, family: int,
             objects: CiscoObjects) -> None:
    """One line of a rule block, into ``draft``."""
    if word in ADDRESS_WORDS:
        side, kind = ADDRESS_WORDS[word]
        draft.nets[side] += _address(kind, cursor, family, objects)
    elif word in draft.zones:
        draft.zones[word].append(cursor.take("a zone").text)
    elif word == "action":
        verdict = cursor.take("pass or drop")
        if verdict.text.lower() not in ACTIONS:
            raise Unreadable(f"action {verdict.text!r} is not pass or drop", "syntax",
                             verdict.column)
        draft.action = ACTIONS[verdict.text.lower()]
    elif word == "service":
        group = cursor.take("a service object group")
        try:
            draft.services += named_services(objects, group.text)
        except Unreadable as error:
            raise Unreadable(error.message, error.code, group.column) from None
    elif word == "service-port":
        draft.services.append(service_spec(cursor))
    elif word == "logging":
        draft.log = cursor.peek() != "disable"
        cursor.index = len(cursor.words)
    elif word == "disable":
        draft.disabled = True
    elif word == "description":
        draft.comment = node.rest(1)
        cursor.index = len(cursor.words)
    elif word in IGNORED:
        cursor.index = len(cursor.words)
    elif word in UNSUPPORTED:
        raise Unreadable(f"rule {draft.name}: condition {word!r} is not supported",
                         "unsupported", column)
    else:
        raise Unreadable(f"rule {draft.name}: {word!r} is not understood", "syntax", column)


def _address(kind: str, cursor: Words, family: int,
             objects: CiscoObjects) -> list[IPNetwork]:
    """After ``source-ip`` (object group), ``-host A``, ``-subnet A MASK|LEN``, ``-range A B``;
    the addresses must be of the policy's family."""
    first = cursor.take("an object group" if not kind else "an address")
    try:
        if not kind:
            return list(family_networks(objects, first.text, family))
        if kind == "host":
            found = [addresses.network(addresses.address(first.text).compressed)]
        elif kind == "subnet":
            mask = cursor.take("a mask or mask length")
            if mask.text.isdigit():
                found = [addresses.network(f"{first.text}/{mask.text}")]
            else:
                found = [addresses.masked(first.text, mask.text)]
        else:
            found = list(addresses.address_range(first.text, cursor.take("a last address").text))
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", first.column) from None
    except Unreadable as error:
        raise Unreadable(error.message, error.code, first.column) from None
    if any(n.version != family for n in found):
        raise Unreadable(f"{first.text} is not an IPv{family} address (this is the IPv{family} "
                         "policy)", "invalid-value", first.column)
    return found
