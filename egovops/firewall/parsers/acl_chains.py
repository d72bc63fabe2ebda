"""From vendor ACLs and where they are applied to chains: shared by the Cisco, Huawei and H3C
parsers.

An ACL becomes a chain named after it, its entries ordered by sequence/rule number (the order
the device evaluates, whatever the order in the file). Each place it is applied
(``ip access-group NAME in`` on an interface, ``access-class`` on the VTY lines,
``traffic-filter inbound acl 3000``…) makes it a base chain whose ``hook`` is
``"<acl>:<direction>"`` (``in``, ``out``, ``vty-in``, ``global``, a zone pair…) and whose
policy is the device's verdict for packets no entry matches (Cisco: deny; Huawei and H3C
packet filters: permit). ``Ruleset.objects[hook]`` lists the interfaces or lines it is applied
to. An ACL applied nowhere stays a regular chain (no hook, no policy).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from egovops.firewall.model import Action, Chain, Rule, SourceRef
from egovops.firewall.parsers.config_tree import Node
from egovops.firewall.parsers.problems import ProblemLog


@dataclass
class Entry:
    """One ACL entry as read: its number (``None`` when the file gives none) and rules."""

    number: int | None
    line: int
    rules: list[Rule]


@dataclass
class AclDraft:
    """One ACL: name, where it was declared, address family (``ip``/``ip6``; ``inet`` for
    unified ACLs that hold both) and entries."""

    name: str
    line: int
    family: str = "ip"
    entries: list[Entry] = field(default_factory=list)
    step: int = 10
    """Gap the device leaves between automatically numbered entries."""


@dataclass(frozen=True)
class Attachment:
    """An ACL applied somewhere: ``direction`` ends up in the hook, ``where`` in objects."""

    acl: str
    direction: str
    where: str
    line: int
    column: int
    policy: Action


def vty_attachment(node: Node, child: Node, at: int, ipv6: bool) -> Attachment:
    """The ACL of a VRP/Comware ``user-interface``/``line vty`` block's ``acl [ipv6] N
    inbound|outbound`` (word ``at`` names the ACL): unmatched logins are refused."""
    acl = child.words[at].text
    return Attachment(f"ipv6 {acl}" if ipv6 else acl,
                      "vty-in" if child.keywords[at + 1] == "inbound" else "vty-out",
                      node.text, child.line, child.words[at].column, Action.DROP)


def number_entries(acl: AclDraft, log: ProblemLog) -> list[Rule]:
    """The ACL's rules in evaluation order, each named by its (possibly implicit) number.

    An entry without a number gets the last number plus ``acl.step``, as the devices do;
    entries are then ordered by number. A number used twice is reported.
    """
    numbered: list[tuple[int, int, Entry]] = []
    seen: dict[int, int] = {}
    last = 0
    for position, entry in enumerate(acl.entries):
        number = entry.number if entry.number is not None else last + acl.step
        if number in seen:
            log.add(entry.line, f"ACL {acl.name}: entry number {number} is also used at "
                    f"line {seen[number]}", "duplicate")
            continue
        seen[number] = entry.line
        last = max(last, number)
        numbered.append((number, position, entry))
    rules: list[Rule] = []
    for number, _, entry in sorted(numbered, key=lambda item: (item[0], item[1])):
        rules.extend(dataclasses.replace(rule, name=str(number)) for rule in entry.rules)
    return rules


def build_chains(acls: dict[str, AclDraft], attachments: list[Attachment], file: str,
                 log: ProblemLog) -> tuple[list[Chain], dict[str, tuple[str, ...]]]:
    """Chains for ``acls`` as applied by ``attachments``, and ``objects`` entries for hooks.

    An attachment naming an ACL that is not defined is reported: the devices differ in what
    they do then, and it is almost always a typing mistake.
    """
    by_acl: dict[str, dict[str, list[Attachment]]] = {}
    for attachment in attachments:
        if attachment.acl not in acls:
            log.add(attachment.line, f"ACL {attachment.acl!r} is applied here but not defined",
                    "unknown-reference", attachment.column)
            continue
        hook = f"{attachment.acl}:{attachment.direction}"
        by_acl.setdefault(attachment.acl, {}).setdefault(hook, []).append(attachment)
    chains: list[Chain] = []
    objects: dict[str, tuple[str, ...]] = {}
    for name, acl in acls.items():
        rules = tuple(number_entries(acl, log))
        hooks = by_acl.get(name, {})
        for hook, applied in hooks.items():
            policies = {a.policy for a in applied}
            if len(policies) > 1:
                log.add(applied[-1].line, f"ACL {name} is applied as {hook} with different "
                        "default verdicts", "unsupported", applied[-1].column)
            objects[hook] = tuple(dict.fromkeys(a.where for a in applied))
            chains.append(Chain(name=name, rules=rules, hook=hook, policy=applied[0].policy,
                                family=acl.family, source=SourceRef(file, acl.line)))
        if not hooks:
            chains.append(Chain(name=name, rules=rules, family=acl.family,
                                source=SourceRef(file, acl.line)))
    return chains, objects
