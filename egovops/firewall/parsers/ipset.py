"""``ipset save`` output: the members of the sets an iptables ruleset matches with ``-m set``.

An iptables-save file only names its sets (``-m set --match-set blocklist src``); their members
live in the kernel's ipset tables, dumped by ``ipset save``. Given that dump (the companion
file ``<ruleset>.ipset`` or ``--ipset FILE``), :func:`parse_ipset_save` reads

* ``create NAME TYPE [family inet|inet6] [options…]``
* ``add NAME MEMBER [options…]``

for the one-dimensional address types (``hash:ip``, ``hash:net``, ``bitmap:ip``), whose
members become prefixes (``10.0.0.0/8``, ``10.0.0.1``, ``10.0.0.1-10.0.0.9``). Sets of other
types (``hash:ip,port``, ``hash:net,iface``, ``list:set``…) are kept with :attr:`IpSet.reason`
set: a rule matching them is uncertain, not silently empty. Per-member ``nomatch`` (an
exception inside a ``hash:net``) cannot be expressed as a prefix list either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from egovops.firewall.model import IPNetwork
from egovops.firewall.parsers import addresses
from egovops.firewall.parsers.problems import ProblemLog

ADDRESS_TYPES = frozenset({"hash:ip", "hash:net", "bitmap:ip"})
"""Set types whose members are addresses or prefixes, one dimension."""


@dataclass
class IpSet:
    """One set of an ``ipset save`` dump."""

    name: str
    type: str
    family: int
    line: int
    members: list[IPNetwork] = field(default_factory=list)
    reason: str = ""
    """Non-empty when the members cannot be expressed as prefixes: why."""


def parse_ipset_save(text: str, log: ProblemLog) -> dict[str, IpSet]:
    """The sets of ``text``; unreadable lines go to ``log`` (file and line as in the dump)."""
    sets: dict[str, IpSet] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "create" and len(words) >= 3:
            family = 6 if "inet6" in words[3:] else 4
            ipset = IpSet(words[1], words[2], family, number)
            if words[2] not in ADDRESS_TYPES:
                ipset.reason = (f"ipset {words[1]} is of type {words[2]}; only address sets "
                                f"({', '.join(sorted(ADDRESS_TYPES))}) are modelled")
            sets[words[1]] = ipset
        elif words[0] == "add" and len(words) >= 3:
            ipset_or_none = sets.get(words[1])
            if ipset_or_none is None:
                log.add(number, f"ipset {words[1]} is not created before 'add'",
                        "unknown-reference")
                continue
            if ipset_or_none.reason:
                continue
            if "nomatch" in words[3:]:
                ipset_or_none.reason = (f"ipset {words[1]} has 'nomatch' members (line "
                                        f"{number}), exceptions a prefix list cannot hold")
                continue
            try:
                first, dash, last = words[2].partition("-")
                if dash:
                    ipset_or_none.members.extend(addresses.address_range(first, last))
                else:
                    ipset_or_none.members.append(addresses.network(words[2]))
            except ValueError as error:
                log.add(number, f"ipset {words[1]}: {error}", "invalid-value")
        else:
            log.add(number, f"'{raw.strip()}' is not an 'ipset save' create/add line",
                    "syntax")
    return sets
