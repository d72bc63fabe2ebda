"""The firewall baseline of a Linux gateway: rendered from the inventory's declared flows and the
policy, and the post-check that refuses a ruleset the audit finds worse.

``firewall-baseline`` calls this module on the controller (``python -m
egovops.playbooks.baseline render|postcheck …``): ``render`` prints the whole nftables ruleset
(``flush ruleset`` first, so ``nft -f`` replaces it atomically), ``postcheck`` audits the
ruleset collected after the change against the one collected before and exits 1 when there are
new findings at or above ``--fail-on`` (the playbook then restores the previous ruleset).

The rendered ruleset: default drop on input and forward, established/related accepted, the
loopback accepted on input (the management plane egovops reaches the device through), one
forward rule per declared flow crossing this gateway (source-zone interfaces → target-zone
interfaces, the flow's addresses and services), the flows from the management zone also on
input, and a logged drop at the end of input and forward. The first rule carries a comment
with the digest of the rendered ruleset, so the playbook sees whether the baseline is in place.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from egovops.errors import EgovopsError, InputError
from egovops.model.findings import Severity
from egovops.model.inventory import Device, Flow, Inventory, Service

MARK = "egovops-baseline"
"""Comment prefix of the rule carrying the digest."""


def _quoted(names: list[str]) -> str:
    if len(names) == 1:
        return f'"{names[0]}"'
    return "{ " + ", ".join(f'"{n}"' for n in names) + " }"


def _set(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _services(services: tuple[Service, ...]) -> list[str]:
    out = []
    for svc in services:
        ports = [str(p.lo) if p.lo == p.hi else f"{p.lo}-{p.hi}" for p in svc.ports]
        if svc.proto in ("tcp", "udp"):
            out.append(f"{svc.proto} dport {_set(ports)}" if ports else f"meta l4proto {svc.proto}")
        elif svc.proto == "icmp":
            out.append("icmp type echo-request")
        elif svc.proto == "icmpv6":
            out.append("icmpv6 type echo-request")
        elif svc.proto == "any":
            out.append("")
        else:
            out.append(f"meta l4proto {svc.proto}")
    return out


def _addresses(direction: str, nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
               ) -> list[str]:
    """``ip saddr …`` / ``ip6 saddr …`` (one per family present; empty: any)."""
    out = []
    for family, version in (("ip", 4), ("ip6", 6)):
        mine = [n for n in nets if n.version == version]
        if mine:
            texts = [str(n.network_address) if n.prefixlen == n.max_prefixlen else str(n)
                     for n in mine]
            out.append(f"{family} {direction} {_set(texts)}")
    return out


def flows_through(inv: Inventory, device: Device) -> list[Flow]:
    """The declared flows this gateway carries: named in ``via``, or (no ``via``) joining two
    zones it has interfaces in."""
    zones = {device.interface_zone(i.name) for i in device.interfaces}
    return [f for f in inv.flows
            if device.id in f.via or (not f.via and f.source in zones and f.target in zones)]


def _flow_rules(inv: Inventory, device: Device, flow: Flow, chain: str) -> list[str]:
    ifaces: dict[str, list[str]] = {}
    for iface in device.interfaces:
        ifaces.setdefault(device.interface_zone(iface.name), []).append(iface.name)
    parts = []
    if flow.source in ifaces:
        parts.append(f"iifname {_quoted(ifaces[flow.source])}")
    if chain == "forward" and flow.target in ifaces:
        parts.append(f"oifname {_quoted(ifaces[flow.target])}")
    src = _addresses("saddr", flow.src)
    dst = _addresses("daddr", flow.dst)
    rules = []
    for s in src or [""]:
        for d in dst or [""]:
            for svc in _services(flow.services):
                rules.append(" ".join(p for p in (*parts, s, d, svc, "accept") if p))
    return rules


def render(inv: Inventory, device: Device, management_zone: str = "management") -> str:
    """The baseline ruleset of ``device`` (nft -f syntax, replacing the whole ruleset)."""
    forward: list[str] = []
    inbound: list[str] = []
    for flow in flows_through(inv, device):
        forward.append(f"# flow: {flow.name}")
        forward += _flow_rules(inv, device, flow, "forward")
        if flow.source == management_zone:
            new = [r for r in _flow_rules(inv, device, flow, "input") if r not in inbound]
            if new:
                inbound += [f"# management flow: {flow.name}", *new]
    body = "\n".join([
        "table inet egovops_baseline {",
        "\tchain input {",
        "\t\ttype filter hook input priority filter; policy drop;",
        '\t\tiif "lo" accept comment "{mark}"',
        "\t\tct state established,related accept",
        *(f"\t\t{r}" for r in inbound),
        '\t\tlog prefix "egovops-drop-in " drop',
        "\t}",
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy drop;",
        "\t\tct state established,related accept",
        *(f"\t\t{r}" for r in forward),
        '\t\tlog prefix "egovops-drop-fwd " drop',
        "\t}",
        "\tchain output {",
        "\t\ttype filter hook output priority filter; policy accept;",
        "\t}",
        "}",
        "",
    ])
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    header = (f"#!/usr/sbin/nft -f\n# {device.id}: egovops firewall baseline of site "
              f"{inv.site.id}, rendered from its declared flows\nflush ruleset\n")
    return header + body.replace("{mark}", f"{MARK} {digest}")


def marker(text: str) -> str:
    """The digest comment of a rendered ruleset (what ``nft list ruleset`` shows once loaded)."""
    for line in text.splitlines():
        if MARK in line:
            return line[line.index(MARK):].rstrip('"').strip()
    raise EgovopsError("rendered ruleset without its digest")


def worse_findings(inv: Inventory, device: Device, policy_dir: Path, before: Path,
                   after: Path, fail_on: Severity) -> list[str]:
    """Findings at or above ``fail_on`` that ``after`` has and ``before`` had not (compared by
    check and subject, counted), as one line each; empty: not worse."""
    from egovops.audit.engine import audit_firewall  # noqa: PLC0415 - BDD only when needed

    def audit(ruleset: Path) -> Counter[tuple[str, str]]:
        with tempfile.TemporaryDirectory(prefix="egovops-postcheck-") as scratch:
            folder = Path(scratch)
            for other in inv.devices:
                if other.config is not None and other.id != device.id:
                    shutil.copy(Path(inv.root) / other.config, folder / Path(other.config).name)
            name = Path(device.config or f"{device.id}.nft").name
            shutil.copy(ruleset, folder / name)
            patched = inv if device.config else _with_config(inv, device, name)
            result = audit_firewall(patched, policy_dir, folder)
        return Counter((f.check, f.subject) for f in result.at_or_above(fail_on)
                       if device.id in f.subject or f.subject.startswith(device.id))

    old, new = audit(before), audit(after)
    return [f"{check} {subject}" for (check, subject), n in sorted(new.items())
            if n > old.get((check, subject), 0)]


def _with_config(inv: Inventory, device: Device, name: str) -> Inventory:
    devices = tuple(d.model_copy(update={"config": name}) if d.id == device.id else d
                    for d in inv.devices)
    return inv.model_copy(update={"devices": devices})


def main(argv: list[str] | None = None) -> int:
    """``render SITE DEVICE`` | ``postcheck SITE DEVICE BEFORE AFTER --policy DIR``."""
    from egovops.load import load_inventory  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m egovops.playbooks.baseline")
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("site")
    r.add_argument("device")
    p = sub.add_parser("postcheck")
    p.add_argument("site")
    p.add_argument("device")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--policy", required=True)
    p.add_argument("--fail-on", default="high")
    args = parser.parse_args(argv)
    try:
        inv = load_inventory(Path(args.site))
        device = inv.device_by_id.get(args.device)
        if device is None:
            raise InputError(f"no device {args.device!r} in {args.site}")
        if args.cmd == "render":
            sys.stdout.write(render(inv, device))
            return 0
        worse = worse_findings(inv, device, Path(args.policy), Path(args.before),
                               Path(args.after), Severity.parse(args.fail_on))
    except (EgovopsError, ValueError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if worse:
        sys.stdout.write("new findings: " + "; ".join(worse) + "\n")
        return 1
    sys.stdout.write("not worse\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
