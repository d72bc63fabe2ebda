"""`egovops lab up|down|status`: build the planned lab, find it, and remove all of it.

Up is idempotent: namespaces, veths, addresses and routes that exist are kept (``replace``),
nodes whose sshd runs are left running, and only what is missing is made. Down finds every
namespace whose name starts with the site's prefix (``egv-<site>-``), so it also cleans up after
a crash that left no state file; it stops the processes living in those namespaces (the ones
the lab started there), deletes the namespaces (their veths go with them) and removes the state
folder. Nothing is configured in the host's own namespace: every veth end is created inside its
namespace directly.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from egovops.collect.credentials import CredentialError, resolve_secret
from egovops.fsio import write_atomic
from egovops.lab.plan import BRIDGE, NS_PREFIX, LabError, LabPlan, NodePlan
from egovops.lab.system import NETNS_DIR, System

STATE_FILE = "state.json"
BASE_USERS = ("root", "sshd", "_lldpd", "nobody")
"""Accounts copied from the host's passwd into each node's private passwd (no secrets)."""

TARPIT = (
    "import socket,sys\n"
    "s=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)\n"
    "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "s.bind((sys.argv[1],int(sys.argv[2])));s.listen(64);held=[]\n"
    "while True: held.append(s.accept()[0])\n"
)
"""Accepts TCP connections and never answers (the hung sshd of the timeout tests)."""


@dataclass(frozen=True)
class NodeStatus:
    """What runs in one node's namespace."""

    device: str
    ns: str
    exists: bool
    sshd: bool
    lldpd: bool
    tarpit: bool
    mgmt: str


@dataclass(frozen=True)
class LabStatus:
    """The lab as found on the machine."""

    site: str
    state_dir: Path
    nodes: tuple[NodeStatus, ...]
    leftovers: tuple[str, ...]
    """Namespaces with the site's prefix that the plan does not name."""
    seconds: float = 0.0

    @property
    def up(self) -> bool:
        """Every node exists and runs sshd (or its tarpit) and lldpd."""
        return bool(self.nodes) and all(
            n.exists and (n.tarpit or (n.sshd and n.lldpd)) for n in self.nodes
        )


def lab_up(plan: LabPlan, system: System | None = None,
           environ: Mapping[str, str] | None = None) -> LabStatus:
    """Build (or complete) the lab of ``plan``; returns its status."""
    sysm = system or System()
    env = os.environ if environ is None else environ
    start = time.monotonic()
    sysm.require_root()
    ip, nsenter, unshare = sysm.which("ip"), sysm.which("nsenter"), sysm.which("unshare")
    for tool in ("sshd", "ssh-keygen", "lldpd", "lldpcli", "openssl"):
        sysm.which(tool)
    if any(n.ruleset is not None for n in plan.nodes):
        sysm.which("nft")
    state = plan.state_dir
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o700)
    _write_state(plan, "building")
    _user_keys(plan, sysm)
    _ssh_config(plan, nsenter)

    existing = set(sysm.namespaces())
    for node in plan.nodes:
        if node.ns not in existing:
            sysm.run([ip, "netns", "add", node.ns])
    links: dict[str, set[str]] = {}
    for node in plan.nodes:
        out = sysm.run([ip, "-n", node.ns, "-j", "link", "show"])
        links[node.ns] = {entry["ifname"] for entry in json.loads(out or "[]")}
    batch = [
        f"link add {v.if_a} netns {v.ns_a} type veth peer name {v.if_b} netns {v.ns_b}"
        for v in plan.veths
        if v.if_a not in links[v.ns_a] and v.if_b not in links[v.ns_b]
    ]
    half = [v for v in plan.veths if (v.if_a in links[v.ns_a]) != (v.if_b in links[v.ns_b])]
    if half:
        v = half[0]
        raise LabError(f"link {v.link}: one end exists without the other; run "
                       f"`egovops lab down` and `lab up` again")
    if batch:
        sysm.run([ip, "-batch", "-"], stdin="\n".join(batch) + "\n")

    for node in plan.nodes:
        _configure_network(node, sysm, ip, nsenter, BRIDGE in links[node.ns])

    running = _running(plan, sysm)
    starters = []
    for node in plan.nodes:
        node_dir = state / "nodes" / node.device
        if running.get(node.ns):
            continue
        leftovers = sysm.ns_pids(node.ns)
        if leftovers:
            sysm.stop(leftovers)
        node_dir.mkdir(parents=True, exist_ok=True)
        _node_files(plan, node, node_dir, sysm, env)
        if node.tarpit:
            write_atomic(node_dir / "tarpit.py", TARPIT)
            starters.append((node, sysm.spawn([
                nsenter, f"--net={NETNS_DIR / node.ns}", "/bin/sh", "-c",
                f"{shlex.quote(sys.executable)} {shlex.quote(str(node_dir / 'tarpit.py'))} "
                f"{shlex.quote(node.mgmt)} {node.port} </dev/null >/dev/null 2>&1 &",
            ])))
            continue
        starters.append((node, sysm.spawn([
            nsenter, f"--net={NETNS_DIR / node.ns}", unshare, "--mount", "--uts",
            "--propagation", "private", "/bin/sh", str(node_dir / "start.sh"),
        ])))
    for node, proc in starters:
        _, err = proc.communicate(timeout=30)
        if proc.returncode != 0:
            raise LabError(f"node {node.device}: start failed: "
                           f"{err.decode(errors='replace').strip()}")
    _wait_for_bridges(plan, sysm, ip)
    _write_state(plan, "up")
    status = lab_status(plan, sysm)
    return LabStatus(status.site, status.state_dir, status.nodes, status.leftovers,
                     time.monotonic() - start)


def lab_down(site: str, state_dir: Path | None, system: System | None = None,
             prefix: str | None = None) -> list[str]:
    """Remove every namespace named ``egv-<site>-…`` (or ``prefix…``) and the state folder.

    Returns the namespaces removed. Safe to run when nothing is up.
    """
    sysm = system or System()
    sysm.require_root()
    ip = sysm.which("ip")
    pfx = prefix or f"{NS_PREFIX}{site}-"
    if not pfx.startswith(NS_PREFIX):
        raise LabError(f"refusing to remove namespaces not starting with {NS_PREFIX!r}")
    removed = []
    doomed = [ns for ns in sysm.namespaces() if ns.startswith(pfx)]
    pids = [pid for ns in doomed for pid in sysm.ns_pids(ns)]
    if pids:
        sysm.stop(pids)
    for ns in doomed:
        sysm.run([ip, "netns", "del", ns], check=False)
        removed.append(ns)
    if state_dir is not None and state_dir.is_dir() and (state_dir / STATE_FILE).exists():
        shutil.rmtree(state_dir)
    return removed


def lab_status(plan: LabPlan, system: System | None = None) -> LabStatus:
    """What of ``plan`` runs now (needs no root for namespaces; pids need root)."""
    sysm = system or System()
    existing = set(sysm.namespaces())
    nodes = []
    for node in plan.nodes:
        comms: set[str] = set()
        if node.ns in existing:
            comms = {sysm.comm(pid) for pid in sysm.ns_pids(node.ns) if sysm.alive(pid)}
        nodes.append(NodeStatus(
            device=node.device, ns=node.ns, exists=node.ns in existing,
            sshd="sshd" in comms, lldpd="lldpd" in comms,
            tarpit=node.tarpit and any(c.startswith("python") for c in comms), mgmt=node.mgmt,
        ))
    planned = set(plan.namespaces)
    leftovers = tuple(ns for ns in sorted(existing) if ns.startswith(plan.prefix)
                      and ns not in planned)
    return LabStatus(plan.site, plan.state_dir, tuple(nodes), leftovers)


def _running(plan: LabPlan, sysm: System) -> dict[str, bool]:
    status = lab_status(plan, sysm)
    return {n.ns: (n.tarpit if plan_node.tarpit else n.sshd and n.lldpd)
            for n, plan_node in zip(status.nodes, plan.nodes, strict=True)}


def _write_state(plan: LabPlan, phase: str) -> None:
    data = {
        "site": plan.site,
        "prefix": plan.prefix,
        "phase": phase,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "nodes": {n.device: {"ns": n.ns, "mgmt": n.mgmt, "port": n.port} for n in plan.nodes},
        "links": [v.link for v in plan.veths],
    }
    write_atomic(plan.state_dir / STATE_FILE, json.dumps(data, indent=2) + "\n", mode=0o600)


def _user_keys(plan: LabPlan, sysm: System) -> None:
    """Generate each login key file that lives in the state folder and is missing."""
    keygen = sysm.which("ssh-keygen")
    for key in sorted({n.key_file for n in plan.nodes if n.key_file is not None}):
        if key.exists():
            continue
        if not key.resolve().is_relative_to(plan.state_dir.resolve()):
            continue  # not the lab's to make: that node accepts no key
        sysm.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", f"egovops-lab-{plan.site}",
                  "-f", str(key)])


def _ssh_config(plan: LabPlan, nsenter: str) -> None:
    """ssh_config reaching each node's management address through its namespace."""
    lines = [f"# Written by `egovops lab up` for site {plan.site}; removed by `lab down`.",
             "# Each management address lives inside its node's network namespace, so the",
             "# connection is made from there (the lab's stand-in for a jump host).", ""]
    for node in plan.nodes:
        lines += [f"Host {node.mgmt}",
                  f"  ProxyCommand {nsenter} --net={NETNS_DIR / node.ns} nc %h %p",
                  f"  UserKnownHostsFile {plan.state_dir / 'known_hosts'}", ""]
    write_atomic(plan.state_dir / "ssh_config", "\n".join(lines), mode=0o600)


def _configure_network(node: NodePlan, sysm: System, ip: str, nsenter: str,
                       has_bridge: bool = False) -> None:
    cmds = ["link set lo up",
            f"addr replace {node.mgmt}/{128 if ':' in node.mgmt else 32} dev lo"]
    if node.bridge:
        # a layer-2 switch: its addressless interfaces are ports of one bridge (no STP, so
        # the ports forward at once)
        if not has_bridge:
            cmds.append(f"link add name {BRIDGE} type bridge stp_state 0 forward_delay 0")
        cmds += [f"link set {port} master {BRIDGE}" for port in node.bridge]
        cmds.append(f"link set {BRIDGE} up")
    for name, addrs, enabled in node.interfaces:
        cmds += [f"addr replace {a} dev {name}" for a in addrs]
        cmds.append(f"link set {name} {'up' if enabled else 'down'}")
    cmds += [f"route replace {r.prefix} via {r.via}" for r in node.routes]
    sysm.run([ip, "-n", node.ns, "-batch", "-"], stdin="\n".join(cmds) + "\n")
    fwd = "1" if node.forwarding else "0"
    sysm.run([nsenter, f"--net={NETNS_DIR / node.ns}", "sysctl", "-q", "-w",
              f"net.ipv4.ip_forward={fwd}", f"net.ipv6.conf.all.forwarding={fwd}"])
    if node.ruleset is not None:
        if not node.ruleset.is_file():
            raise LabError(f"node {node.device}: firewall configuration {node.ruleset} not found")
        if node.ruleset_format == "nftables":
            sysm.run([nsenter, f"--net={NETNS_DIR / node.ns}", sysm.which("nft"), "-f",
                      str(node.ruleset)])
        elif node.ruleset_format == "iptables":
            sysm.run([nsenter, f"--net={NETNS_DIR / node.ns}", "iptables-restore",
                      str(node.ruleset)])


def _wait_for_bridges(plan: LabPlan, sysm: System, ip: str, seconds: float = 5.0) -> None:
    """Wait (a while) until every bridge port forwards: a port joins its bridge only once the
    kernel has seen its veth's carrier, up to a second after the far end came up. A port whose
    far end stays down never forwards; that is no error."""
    deadline = time.monotonic() + seconds
    for node in plan.nodes:
        if not node.bridge:
            continue
        while True:
            out = sysm.run([ip, "-n", node.ns, "-d", "-j", "link", "show", "master", BRIDGE],
                           check=False)
            try:
                ports = json.loads(out or "[]")
            except ValueError:
                ports = []
            states = [p.get("linkinfo", {}).get("info_slave_data", {}).get("state")
                      for p in ports if "LOWER_UP" in p.get("flags", ())]
            if all(s == "forwarding" for s in states) or time.monotonic() > deadline:
                break
            time.sleep(0.05)


def _node_files(plan: LabPlan, node: NodePlan, node_dir: Path, sysm: System,
                env: Mapping[str, str]) -> None:
    keygen = sysm.which("ssh-keygen")
    host_key = node_dir / "ssh_host_ed25519_key"
    if not host_key.exists():
        sysm.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", f"{node.device}-host",
                  "-f", str(host_key)])
    home = plan.state_dir / "home"
    home.mkdir(exist_ok=True)
    base = [line for line in Path("/etc/passwd").read_text(encoding="utf-8").splitlines()
            if line.split(":", 1)[0] in BASE_USERS and line.split(":", 1)[0] != node.username]
    user = f"{node.username}:x:0:0:egovops lab:{home}:/bin/bash"
    write_atomic(node_dir / "passwd", "\n".join([user, *base]) + "\n")
    write_atomic(node_dir / "shadow",
                 f"{node.username}:{_password_hash(plan, node, sysm, env)}:19000:0:99999:7:::\n"
                 "root:*:19000:0:99999:7:::\n", mode=0o600)
    keys = ""
    if node.key_file is not None and node.key_file.exists():
        keys = sysm.run([keygen, "-y", "-f", str(node.key_file)])
    write_atomic(node_dir / "authorized_keys", keys, mode=0o600)
    write_atomic(node_dir / "sshd_config", "\n".join([
        f"ListenAddress {node.mgmt}",
        f"Port {node.port}",
        f"HostKey {host_key}",
        f"PidFile {node_dir / 'sshd.pid'}",
        f"AuthorizedKeysFile {node_dir / 'authorized_keys'}",
        "PermitRootLogin yes",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "MaxStartups 200:30:400",
        "LogLevel ERROR",
        "",
    ]))
    write_atomic(node_dir / "lldpd.conf", "\n".join([
        f"configure system hostname {node.device}",
        f'configure system description "egovops lab node {node.device}"',
        "configure lldp portidsubtype ifname",
        "configure lldp tx-interval 1",
        "",
    ]))
    q = shlex.quote
    write_atomic(node_dir / "start.sh", "\n".join([
        "# Runs inside the node's network namespace and its own mount and UTS namespaces:",
        "# private /run and /var/log, /sys of this namespace, a passwd/shadow with only the",
        "# lab login, hostname = device id.",
        "set -e",
        "mount -t tmpfs -o mode=0755,size=8m egv-run /run",
        "mount -t tmpfs -o mode=0755,size=8m egv-log /var/log",
        "mkdir -p /run/sshd /run/lldpd",
        "mount -t sysfs egv-sys /sys",
        f"mount --bind {q(str(node_dir / 'passwd'))} /etc/passwd",
        f"mount --bind {q(str(node_dir / 'shadow'))} /etc/shadow",
        f"hostname {q(node.device)}",
        # lldpd starts paused and resumes once lldpcli has read -O: the first frame already
        # carries the interface name as port id (lldpcli runs unprivileged: file under /run)
        f"cp {q(str(node_dir / 'lldpd.conf'))} /run/lldpd.conf",
        "chmod 0644 /run/lldpd.conf",
        f"{q(sysm.which('lldpd'))} -I '*,!lo' -m {q(node.mgmt)} -O /run/lldpd.conf",
        f"{q(sysm.which('sshd'))} -f {q(str(node_dir / 'sshd_config'))}",
        "",
    ]))


def _password_hash(plan: LabPlan, node: NodePlan, sysm: System, env: Mapping[str, str]) -> str:
    """SHA-512 crypt of the node's password reference, or ``*`` (no password login)."""
    if node.password_ref is None:
        return "*"
    try:
        password = resolve_secret(node.password_ref, plan.root, env)
    except CredentialError:
        return "*"
    return sysm.run([sysm.which("openssl"), "passwd", "-6", "-stdin"],
                    stdin=password + "\n").strip()
