"""nftables in a real kernel agrees with the model: the same ruleset, real packets, same verdicts.

Three namespaces, client — fw — server (10.99.1.0/24 and 10.99.2.0/24, only inside them). The
firewall namespace forwards and loads :data:`RULESET` with ``nft -f``; egovops parses the same
text, and the kernel's own listing (``nft list ruleset`` and ``nft -j list ruleset``). For every
probe of :data:`PROBES` the client really sends the packet to the server and the kernel's outcome
(accept: TCP connects, the UDP datagram arrives and is echoed, ping is answered; reject: refused
or ICMP error at once; drop: timeout) must equal :func:`egovops.firewall.analysis.verdict` for
the corresponding :class:`~egovops.firewall.packetset.Packet`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egovops.firewall.analysis import verdict
from egovops.firewall.flatten import FlatChain, FlatRule, flatten
from egovops.firewall.model import Action, ConnState
from egovops.firewall.packetset import Packet
from egovops.firewall.parsers import parse_config
from tests.conftest import require_tool
from tests.integration.netns import Namespaces, require_root

pytestmark = pytest.mark.integration

FW_CLIENT_IF = "fw-cl"
"""The firewall's veth towards the client (named in the ruleset)."""
FW_SERVER_IF = "fw-sv"
"""The firewall's veth towards the server."""
CLIENT_ADDRESSES = ("10.99.1.10", "10.99.1.11", "10.99.1.20", "10.99.1.35", "10.99.1.40")
SERVER_ADDRESS = "10.99.2.10"
WAIT = 1.0
"""Seconds a probe waits for an answer before calling the packet dropped."""

RULESET = """\
table inet filter {
	chain admin {
		ip saddr 10.99.1.40 return
		tcp dport 22 accept
		tcp dport 3389 drop
		tcp dport 5432 accept
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		ip saddr 10.99.1.20 drop
		tcp dport 23 reject with tcp reset
		iifname "fw-cl" oifname "fw-sv" tcp dport { 80, 443 } accept
		ip saddr != 10.99.1.0/28 tcp dport 8080 drop
		tcp dport 8080 accept
		ip saddr 10.99.1.32/28 jump admin
		tcp dport 22 reject with tcp reset
		ip saddr 10.99.1.0/24 udp dport 53 accept
		udp dport 69 reject
		ip saddr 10.99.1.10 icmp type echo-request accept
		ip saddr 10.99.1.11 meta l4proto icmp reject
		tcp dport 3306 drop
	}
}
"""


@dataclass(frozen=True)
class Probe:
    """One packet the client sends, and what the ruleset's author meant to happen to it."""

    src: str
    proto: str
    """``tcp``, ``udp`` or ``icmp`` (echo request)."""
    dport: int
    intended: str
    """Checks this test's own ruleset, not egovops: the model must agree with the kernel."""

    def packet(self) -> Packet:
        """The model's view: a new connection entering on fw-cl and leaving on fw-sv."""
        proto = {"tcp": 6, "udp": 17, "icmp": 1}[self.proto]
        return Packet(
            family=4, src=ipaddress.ip_address(self.src),
            dst=ipaddress.ip_address(SERVER_ADDRESS), proto=proto,
            sport=40000 if self.proto != "icmp" else 0, dport=self.dport,
            icmp_type=8 if self.proto == "icmp" else 0,
            iif=FW_CLIENT_IF, oif=FW_SERVER_IF, state=ConnState.NEW,
        )

    def __str__(self) -> str:
        port = f":{self.dport}" if self.proto != "icmp" else " echo"
        return f"{self.proto} {self.src} -> {SERVER_ADDRESS}{port}"


PROBES = (
    Probe("10.99.1.10", "tcp", 80, "accept"),     # interface pair + port set
    Probe("10.99.1.10", "tcp", 443, "accept"),
    Probe("10.99.1.20", "tcp", 80, "drop"),       # blocked host
    Probe("10.99.1.20", "tcp", 23, "drop"),       # blocked before the reject
    Probe("10.99.1.10", "tcp", 23, "reject"),     # tcp reset
    Probe("10.99.1.11", "tcp", 8080, "accept"),   # inside 10.99.1.0/28
    Probe("10.99.1.35", "tcp", 8080, "drop"),     # ip saddr != 10.99.1.0/28
    Probe("10.99.1.35", "tcp", 22, "accept"),     # jump admin
    Probe("10.99.1.40", "tcp", 22, "reject"),     # admin returns for .40
    Probe("10.99.1.10", "tcp", 22, "reject"),     # never jumps
    Probe("10.99.1.35", "tcp", 3389, "drop"),     # drop inside admin
    Probe("10.99.1.10", "tcp", 3389, "drop"),     # policy
    Probe("10.99.1.35", "tcp", 5432, "accept"),   # admin
    Probe("10.99.1.40", "tcp", 5432, "drop"),     # returned, then policy
    Probe("10.99.1.10", "tcp", 3306, "drop"),     # explicit drop
    Probe("10.99.1.10", "udp", 53, "accept"),
    Probe("10.99.1.20", "udp", 53, "drop"),
    Probe("10.99.1.11", "udp", 69, "reject"),     # icmp port unreachable
    Probe("10.99.1.10", "udp", 123, "drop"),
    Probe("10.99.1.10", "icmp", 0, "accept"),
    Probe("10.99.1.11", "icmp", 0, "reject"),
    Probe("10.99.1.35", "icmp", 0, "drop"),
)

SERVER_SCRIPT = r"""
import json, selectors, socket, sys
address, tcp_ports, udp_ports, record = sys.argv[1], *map(json.loads, sys.argv[2:4]), sys.argv[4]
selector = selectors.DefaultSelector()
for port in tcp_ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    s.listen(16)
    selector.register(s, selectors.EVENT_READ, "tcp")
for port in udp_ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    selector.register(s, selectors.EVENT_READ, "udp")
print("ready", flush=True)
with open(record, "a") as out:
    while True:
        for key, _ in selector.select():
            s = key.fileobj
            if key.data == "tcp":
                s.accept()[0].close()
            else:
                data, peer = s.recvfrom(2048)
                out.write(f"{peer[0]} {s.getsockname()[1]}\n")
                out.flush()
                s.sendto(data, peer)
"""

PROBE_SCRIPT = r"""
import errno, json, socket, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
server, wait = sys.argv[1], float(sys.argv[2])
probes = json.load(sys.stdin)
REJECT_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES,
                 errno.EHOSTDOWN}

def classify_error(error):
    if isinstance(error, TimeoutError):
        return "drop", "timeout"
    if error.errno in REJECT_ERRNOS:
        return "reject", errno.errorcode[error.errno]
    return "error", repr(error)

def probe(p):
    start = time.monotonic()
    if p["proto"] == "icmp":
        done = subprocess.run(["ping", "-n", "-c1", f"-W{max(1, round(wait))}", "-I", p["src"],
                               server], capture_output=True, text=True)
        text = done.stdout + done.stderr
        if done.returncode == 0:
            outcome = "accept", "echo reply"
        elif "nreachable" in text or "rohibited" in text:
            line = [x for x in text.splitlines() if "nreachable" in x or "rohibited" in x][0]
            outcome = "reject", line.strip()
        else:
            outcome = "drop", "no reply"
    else:
        kind = socket.SOCK_STREAM if p["proto"] == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((p["src"], 0))
            s.settimeout(wait)
            try:
                s.connect((server, p["dport"]))
                if p["proto"] == "tcp":
                    outcome = "accept", "connected"
                else:
                    token = f"probe {p['src']} {p['dport']}".encode()
                    s.send(token)
                    answer = s.recv(2048)
                    outcome = ("accept", "echoed") if answer == token else ("error", repr(answer))
            except OSError as error:
                outcome = classify_error(error)
    return {"outcome": outcome[0], "detail": outcome[1],
            "seconds": round(time.monotonic() - start, 3)}

with ThreadPoolExecutor(max_workers=len(probes)) as pool:
    print(json.dumps(list(pool.map(probe, probes))))
"""


@dataclass(frozen=True)
class Kernel:
    """What the kernel did with one probe."""

    outcome: str
    """``accept``, ``reject``, ``drop`` (or ``error`` for a probe that could not run)."""
    detail: str
    seconds: float


@dataclass(frozen=True)
class Lab:
    """The running topology: namespaces, the server's UDP record and the ruleset file."""

    ns: Namespaces
    record: Path
    ruleset_file: Path


def send(lab: Lab, probes: tuple[Probe, ...]) -> list[Kernel]:
    """Send every probe from the client namespace at once; the kernel's outcome of each."""
    payload = json.dumps([{"src": p.src, "proto": p.proto, "dport": p.dport} for p in probes])
    done = lab.ns.run("client", [sys.executable, "-c", PROBE_SCRIPT, SERVER_ADDRESS, str(WAIT)],
                      input=payload)
    return [Kernel(r["outcome"], r["detail"], r["seconds"]) for r in json.loads(done.stdout)]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """client — fw — server namespaces, the server listening on every probed port."""
    require_tool("ip")
    require_tool("nft")
    require_tool("ping")
    require_root()
    record = tmp_path / "udp-received.txt"
    record.touch()
    with Namespaces(f"{os.environ.get('EGOVOPS_ITEST_SITE', 'itest')}n{os.getpid()}") as ns:
        for name in ("client", "fw", "server"):
            ns.add(name)
        ns.veth("client", "cl0", "fw", FW_CLIENT_IF)
        ns.veth("fw", FW_SERVER_IF, "server", "sv0")
        ns.address("client", "cl0", *(f"{a}/24" for a in CLIENT_ADDRESSES))
        ns.address("fw", FW_CLIENT_IF, "10.99.1.1/24")
        ns.address("fw", FW_SERVER_IF, "10.99.2.1/24")
        ns.address("server", "sv0", f"{SERVER_ADDRESS}/24")
        ns.route("client", "10.99.2.0/24", "via", "10.99.1.1")
        ns.route("server", "10.99.1.0/24", "via", "10.99.2.1")
        ns.run("fw", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        tcp = sorted({p.dport for p in PROBES if p.proto == "tcp"})
        udp = sorted({p.dport for p in PROBES if p.proto == "udp"})
        server = ns.start("server", [sys.executable, "-c", SERVER_SCRIPT, SERVER_ADDRESS,
                                     json.dumps(tcp), json.dumps(udp), str(record)])
        assert server.stdout is not None
        ready = server.stdout.readline()
        assert ready.strip() == "ready", server.stderr.read() if server.stderr else ready
        yield Lab(ns, record, tmp_path / "forward.nft")


def forward_chains(text: str, file: str, format: str) -> tuple[FlatChain, ...]:
    """The flattened forward base chains of ``text``."""
    chains = tuple(c for c in flatten(parse_config(text, file, format)) if c.hook == "forward")
    assert chains, f"{file}: no forward chain parsed"
    return chains


def deciding(rule: FlatRule | None, action: Action) -> str:
    """The model's decision, for assertion messages."""
    return f"{action} by {rule}" if rule is not None else f"{action} by the chain policy"


def test_kernel_verdicts_agree_with_the_model(lab: Lab) -> None:
    started = time.monotonic()
    # Without a ruleset every client address reaches the server (this also resolves ARP), so a
    # later timeout means the firewall dropped the packet, not a broken topology.
    open_path = send(lab, tuple(Probe(a, "icmp", 0, "accept") for a in CLIENT_ADDRESSES))
    assert all(k.outcome == "accept" for k in open_path), open_path

    lab.ruleset_file.write_text(RULESET, encoding="utf-8")
    lab.ns.run("fw", ["nft", "-f", str(lab.ruleset_file)])
    listed = lab.ns.run("fw", ["nft", "list", "ruleset"]).stdout
    listed_json = lab.ns.run("fw", ["nft", "-j", "list", "ruleset"]).stdout

    sources = {
        "ruleset file (nftables)": forward_chains(RULESET, str(lab.ruleset_file), "nftables"),
        "nft list ruleset (nftables)": forward_chains(listed, "nft-list", "nftables"),
        "nft -j list ruleset (nftables-json)": forward_chains(listed_json, "nft-json",
                                                              "nftables-json"),
    }
    model = sources["ruleset file (nftables)"]

    # The three parses decide every probe by the same flattened rule.
    parser_problems = []
    for probe in PROBES:
        decisions = {}
        for name, chains in sources.items():
            rule, action = verdict(chains, probe.packet())
            decisions[name] = (action, None if rule is None else (rule.index, rule.path))
        if len(set(decisions.values())) != 1:
            parser_problems.append(f"{probe.packet()}: {decisions}")
    assert not parser_problems, "parsers disagree:\n" + "\n".join(parser_problems)

    kernel = send(lab, PROBES)
    received = {tuple(line.split()) for line in lab.record.read_text().splitlines()}

    table = []
    disagreements = []
    for probe, seen in zip(PROBES, kernel, strict=True):
        packet = probe.packet()
        rule, action = verdict(model, packet)
        table.append(f"{probe!s:36} model {action.value:6} kernel {seen.outcome:6} "
                     f"({seen.detail}, {seen.seconds:.2f}s)")
        if seen.outcome != action.value:
            disagreements.append(
                f"packet {packet}\n  model:  {deciding(rule, action)}\n"
                f"  kernel: {seen.outcome} ({seen.detail} after {seen.seconds:.2f}s)")
        if probe.proto == "udp":
            arrived = (probe.src, str(probe.dport)) in received
            if arrived != (seen.outcome == "accept"):
                disagreements.append(f"packet {packet}: the server received it: {arrived}, "
                                     f"but the client saw {seen.outcome} ({seen.detail})")
    report = "\n".join(table)
    assert not disagreements, ("kernel and model disagree:\n" + "\n".join(disagreements)
                               + "\n\nall probes:\n" + report)

    # Only then: the ruleset does what this test meant it to do (every outcome is exercised).
    unintended = [f"{p}: meant {p.intended}, got {k.outcome}"
                  for p, k in zip(PROBES, kernel, strict=True) if k.outcome != p.intended]
    assert not unintended, "\n".join(unintended) + "\n\n" + report
    assert {k.outcome for k in kernel} == {"accept", "reject", "drop"}
    assert time.monotonic() - started < 30
