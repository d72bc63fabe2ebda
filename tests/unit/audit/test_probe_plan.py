"""The probe plan of the example lab, its static expectations, result judging and the CLI's
dry run: pure, no root, nothing sent."""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path

import pytest

from egovops.audit.firewall import load_gateway_rulesets, zone_reach
from egovops.audit.probe import Probe, ProbePlan, Topology, plan_probes
from egovops.audit.probe_run import (
    Agreement,
    Observation,
    Observed,
    ProbeResult,
    ProbeRun,
    run_probes,
)
from egovops.audit.probe_ssh import classify, probe_script
from egovops.cli.main import main
from egovops.errors import UsageError
from egovops.load import load_inventory
from egovops.load.policy import load_policy
from egovops.model.findings import Severity
from egovops.model.inventory import Inventory
from tests.conftest import REPO

LAB = REPO / "inventories" / "example-lab"
POLICY = REPO / "policies"


def _plan(inv: Inventory, config_dir: Path | None = None,
          vantage: str | None = None) -> ProbePlan:
    gateways = load_gateway_rulesets(inv, config_dir)
    return plan_probes(inv, gateways, load_policy(POLICY, inv), zone_reach(gateways), vantage)


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(LAB)


@pytest.fixture(scope="module")
def plan(inv: Inventory) -> ProbePlan:
    return _plan(inv)


def _find(plan: ProbePlan, source: str, target: str, service: str,
          address: str | None = None) -> Probe:
    found = [p for p in plan.probes if (p.source.device, p.target.device, str(p.service))
             == (source, target, service) and (address is None or str(p.target.address)
                                               == address)]
    assert len(found) == 1, [p.key for p in found]
    return found[0]


def test_plan_is_small_deterministic_and_uses_real_addresses(inv: Inventory,
                                                              plan: ProbePlan) -> None:
    assert 40 <= len(plan.probes) <= 120
    assert [p.key for p in _plan(inv).probes] == [p.key for p in plan.probes]
    assert len({p.key for p in plan.probes}) == len(plan.probes)
    for p in plan.probes:
        for end in (p.source, p.target):
            dev = inv.device_by_id[end.device]
            assert end.address in [a.ip for i in dev.interfaces for a in i.addresses]
        assert p.source.device != p.target.device
    zones = {(p.source.zone, p.target.zone) for p in plan.probes}
    ordered = {(a.id, b.id) for a in inv.zones for b in inv.zones if a.id != b.id}
    assert ordered <= zones  # every ordered zone pair is probed
    assert set(plan.sources()) == {"lab-in-pc", "lab-pc-finance", "lab-internet", "lab-web",
                                   "lab-jump"}


def test_internet_reaches_only_the_public_website(plan: ProbePlan) -> None:
    for service, line in (("tcp/80", 26), ("tcp/443", 26)):
        probe = _find(plan, "lab-internet", "lab-web", service)
        assert probe.expected.allowed
        assert probe.expected.origin.endswith(f"configs/lab-fw.nft:{line}")
        assert probe.expected.path == ("lab-internet", "lab-fw", "lab-web")
    risky = [p for p in plan.probes if p.source.zone == "internet" and p.target.zone != "dmz"]
    assert {str(p.service) for p in risky} >= {"tcp/23", "tcp/22", "tcp/3389", "tcp/139"}
    for p in risky:
        assert not p.expected.allowed, p.key
    telnet = _find(plan, "lab-internet", "lab-web", "tcp/23")
    assert not telnet.expected.allowed
    assert "policy drop of chain forward" in telnet.expected.reason
    assert telnet.expected.origin.endswith("configs/lab-fw.nft:20")  # the chain's line


def test_inner_network_has_no_path_in_or_out(plan: ProbePlan) -> None:
    inner = [p for p in plan.probes if "inner" in (p.source.zone, p.target.zone)]
    assert len(inner) == 16  # 4 other zones, both directions, ping and ssh
    for p in inner:
        assert not p.expected.allowed
        assert p.expected.path == ()
        assert p.isolated == ("inner",)
        assert "physically isolated" in p.expected.reason


def test_management_zone_and_gateway_management_plane(plan: ProbePlan) -> None:
    ssh = _find(plan, "lab-jump", "lab-pc-finance", "tcp/22")
    assert ssh.expected.allowed
    assert ssh.expected.origin.endswith("lab-fw.nft:28")
    assert not _find(plan, "lab-jump", "lab-pc-finance", "tcp/443").expected.allowed
    own = _find(plan, "lab-jump", "lab-fw", "tcp/22")
    assert own.expected.allowed and own.expected.decisions[-1].hook == "input"
    assert own.expected.origin.endswith("lab-fw.nft:16")
    for source in ("lab-internet", "lab-pc-finance", "lab-web"):
        probe = _find(plan, source, "lab-fw", "tcp/22")
        assert not probe.expected.allowed
        assert probe.expected.decisions[-1].hook == "input"


def test_second_way_into_the_dmz_is_blocked_by_the_asymmetric_reply(plan: ProbePlan) -> None:
    # 10.40.1.11 is behind the SSL-VPN gateway (no ruleset): the request passes, the reply
    # is routed through lab-fw, which never saw the request
    probe = _find(plan, "lab-pc-finance", "lab-web", "tcp/22", "10.40.1.11")
    assert "lab-sslvpn" in probe.expected.path and "lab-fw" not in probe.expected.path
    assert not probe.expected.allowed
    last = probe.expected.decisions[-1]
    assert last.reply and last.device == "lab-fw" and not last.allowed
    assert "asymmetric routing" in probe.expected.reason
    direct = _find(plan, "lab-pc-finance", "lab-web", "tcp/22", "10.40.0.11")
    assert "lab-fw" in direct.expected.path and not direct.expected.decisions[-1].reply


def test_topology_traces_the_lab_routes(inv: Inventory) -> None:
    topo = Topology(inv)
    hops = topo.trace("lab-internet", ipaddress.ip_address("10.21.1.10"))
    assert hops is not None
    assert [h.device for h in hops] == ["lab-internet", "lab-fw", "lab-core", "lab-agg-east",
                                        "lab-acc-east-a", "lab-pc-finance"]
    fw = hops[1]
    assert (fw.iif, fw.oif) == ("eth1", "eth0")
    assert topo.trace("lab-pc-finance", ipaddress.ip_address("10.10.0.2")) is None
    assert topo.trace("lab-in-pc", ipaddress.ip_address("10.10.0.2")) is not None


def test_the_expectation_follows_the_configuration(inv: Inventory, tmp_path: Path) -> None:
    opened = (LAB / "configs" / "lab-fw.nft").read_text(encoding="utf-8").replace(
        "ct state established,related accept\n\t\t# 政务外网",
        "ct state established,related accept\n\t\tiifname \"eth1\" tcp dport 23 accept\n"
        "\t\t# 政务外网", 1)
    assert "dport 23 accept" in opened
    (tmp_path / "lab-fw.nft").write_text(opened, encoding="utf-8")
    changed = _plan(inv, config_dir=tmp_path)
    telnet = _find(changed, "lab-internet", "lab-web", "tcp/23")
    assert telnet.expected.allowed
    assert telnet.expected.origin == f"{tmp_path / 'lab-fw.nft'}:23"
    assert not _find(changed, "lab-internet", "lab-web", "tcp/22").expected.allowed


def test_declared_flows_are_probed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(LAB, site, ignore=shutil.ignore_patterns(".lab"))
    (site / "flows.yaml").write_text(
        "flows:\n"
        "  - {name: cms-admin, source: management, target: dmz, dst: [10.40.0.11/32],\n"
        "     services: [{proto: tcp, ports: [8443]}], required: true}\n", encoding="utf-8")
    plan = _plan(load_inventory(site))
    probe = _find(plan, "lab-jump", "lab-web", "tcp/8443")
    assert probe.purpose == "flow 'cms-admin'"
    assert not probe.expected.allowed  # declared, but the ruleset does not allow it


def test_vantage_plan_starts_every_probe_at_the_device(inv: Inventory) -> None:
    plan = _plan(inv, vantage="lab-pc-finance")
    assert plan.probes and set(plan.sources()) == {"lab-pc-finance"}
    assert {p.source.zone for p in plan.probes} == {"outer"}
    assert {p.target.zone for p in plan.probes} >= {"inner", "internet", "dmz", "management"}
    with pytest.raises(UsageError, match="no device 'nope'"):
        _plan(inv, vantage="nope")


def _result(plan: ProbePlan, probe: Probe, observed: Observed) -> ProbeResult:
    return ProbeResult(probe, Observation(observed, "test"))


def test_disagreements_become_findings_with_the_right_severity(plan: ProbePlan) -> None:
    telnet = _find(plan, "lab-internet", "lab-web", "tcp/23")
    leak = _result(plan, telnet, Observed.REACHED)
    assert leak.agreement is Agreement.DISAGREE
    finding = leak.finding()
    assert finding is not None
    assert (finding.check, finding.severity) == ("probe.disagreement", Severity.HIGH)
    assert finding.zones == ("internet", "dmz")
    assert finding.origin.endswith("lab-fw.nft:20")
    assert "lab-fw" in finding.remediation
    again = _result(plan, telnet, Observed.CLOSED).finding()
    assert again is not None and again.id == finding.id  # stable across runs and observations
    inner = _find(plan, "lab-pc-finance", "lab-in-pc", "tcp/22")
    bridged = _result(plan, inner, Observed.REACHED).finding()
    assert bridged is not None and bridged.severity is Severity.CRITICAL
    web = _find(plan, "lab-internet", "lab-web", "tcp/443")
    closed = _result(plan, web, Observed.FILTERED).finding()
    assert closed is not None and closed.severity is Severity.MEDIUM
    assert _result(plan, web, Observed.REACHED).finding() is None
    assert _result(plan, telnet, Observed.FILTERED).agreement is Agreement.AGREE
    assert _result(plan, telnet, Observed.REFUSED).agreement is Agreement.AGREE
    assert _result(plan, telnet, Observed.NO_ANSWER).agreement is Agreement.UNDECIDED
    assert _result(plan, telnet, Observed.ERROR).agreement is Agreement.NOT_RUN


class _Replay:
    """A sender that reports what a table says (for the run/judging logic only)."""

    mode = "replay"

    def __init__(self, seen: dict[str, Observed]) -> None:
        self.seen = seen

    def send(self, probes: object, timeout: float) -> list[Observation]:
        assert isinstance(probes, tuple)
        return [Observation(self.seen.get(p.key, Observed.FILTERED)) for p in probes]


def test_run_compares_every_probe(plan: ProbePlan) -> None:
    telnet = _find(plan, "lab-internet", "lab-web", "tcp/23")
    seen = {p.key: Observed.REACHED for p in plan.probes if p.expected.allowed}
    seen[telnet.key] = Observed.REACHED
    run: ProbeRun = run_probes(plan, _Replay(seen))
    assert run.counts()["disagree"] == 1
    assert [f.subject for f in run.findings()] == [telnet.key]
    assert run.audit_result().checks == ("probe.disagreement",)


def test_vantage_script_and_output_classification(plan: ProbePlan) -> None:
    probes = [_find(plan, "lab-pc-finance", "lab-internet", s) for s in
              ("tcp/443", "udp/53", "icmp")]
    script = probe_script(probes, 1.5)
    assert "nc -n -v -z -w 2 -s 10.21.1.10 203.0.113.1 443" in script
    assert "nc -n -v -u -w 2 -s 10.21.1.10 203.0.113.1 53" in script
    assert "ping -n -c 1 -W 2 -I 10.21.1.10 203.0.113.1" in script  # whole seconds only
    assert script.rstrip().endswith("wait")
    cases = [
        ("tcp", 0, "Connection to 1.2.3.4 443 port [tcp/*] succeeded!", Observed.REACHED),
        ("tcp", 1, "nc: connect to 1.2.3.4 port 23 (tcp) failed: Connection refused",
         Observed.CLOSED),
        ("tcp", 1, "nc: connect to 1.2.3.4 port 24 (tcp) timed out: Operation now in progress",
         Observed.FILTERED),
        ("tcp", 1, "nc: connect to 1.2.3.4 port 25 (tcp) failed: No route to host",
         Observed.UNREACHABLE),
        ("tcp", 1, "nc: connect to 10.9.9.9 port 22 (tcp) failed: Network is unreachable",
         Observed.NO_ROUTE),
        ("udp", 0, "Connection to 1.2.3.4 53 port [udp/*] succeeded!", Observed.NO_ANSWER),
        ("udp", 0, "Connection to 1.2.3.4 53 port [udp/*] succeeded! answer", Observed.REACHED),
        ("udp", 1, "", Observed.CLOSED),
        ("udp", 1, "nc: read(net): Connection refused", Observed.CLOSED),
        ("udp", 1, "nc: connect to 1.2.3.4 port 53 (udp) failed: No route to host",
         Observed.UNREACHABLE),
        ("udp", 1, "nc: getaddrinfo: Address family not supported", Observed.ERROR),
        ("udp", 137, "Killed", Observed.ERROR),
        ("icmp", 0, "64 bytes from 1.2.3.4", Observed.REACHED),
        ("icmp", 1, "From 10.0.0.1 icmp_seq=1 Packet filtered", Observed.UNREACHABLE),
        ("icmp", 1, "1 packets transmitted, 0 received", Observed.FILTERED),
        ("icmp", 2, "ping: bind: Cannot assign requested address", Observed.ERROR),
    ]
    for proto, rc, text, expected in cases:
        assert classify(proto, rc, text).observed is expected, (proto, rc, text)


def test_cli_dry_run_json_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--lang", "en", "audit", "probe", str(LAB), "--dry-run", "--format", "json",
                 "--policy", str(POLICY)])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert data["site"] == "lab" and len(data["probes"]) >= 40
    first = data["probes"][0]
    assert set(first) >= {"source", "target", "service", "expected", "reason", "origin", "path"}
    code = main(["--lang", "en", "audit", "probe", str(LAB), "--policy", str(POLICY)])
    _, err = capsys.readouterr()
    assert code == 2 and "--lab" in err and "--from" in err
    code = main(["--lang", "en", "audit", "probe", str(LAB), "--from", "nope", "--dry-run",
                 "--policy", str(POLICY)])
    _, err = capsys.readouterr()
    assert code == 2 and "no device 'nope'" in err
    code = main(["--lang", "zh", "audit", "probe", str(LAB), "--dry-run",
                 "--policy", str(POLICY)])
    out, _ = capsys.readouterr()
    assert code == 0 and "探测计划" in out
