"""The probe planner on gateways that do not filter every hop, and the --dry-run output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from egovops.audit.firewall import load_gateway_rulesets, zone_reach
from egovops.audit.probe import plan_probes
from egovops.audit.probe_run import Agreement, Observation, Observed, ProbeResult
from egovops.cli.main import main
from egovops.load import load_inventory
from egovops.load.policy import load_policy
from tests.conftest import REPO

LAB = REPO / "inventories" / "example-lab"
POLICY = str(REPO / "policies")


def _dry_run(site: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["--lang", "en", "audit", "probe", str(site), "--dry-run", "--policy", POLICY,
                 *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out


def test_a_firewall_without_an_input_chain_lets_management_probes_through(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "lab"
    shutil.copytree(LAB, site, ignore=shutil.ignore_patterns(".lab"))
    nft = site / "configs" / "lab-fw.nft"
    text = nft.read_text(encoding="utf-8")
    start = text.index("\tchain input {")
    end = text.index("\t}\n", start) + 3
    nft.write_text(text[:start] + text[end:], encoding="utf-8")
    code, out = _dry_run(site, capsys, "--format", "json")
    assert code == 0
    probes = json.loads(out)["probes"]
    to_fw = [p for p in probes if p["target"]["device"] == "lab-fw"]
    assert to_fw and all(p["expected"] == "allow" for p in to_fw)


def test_dry_run_json_goes_to_the_output_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.json"
    code, out = _dry_run(LAB, capsys, "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["probes"]


def test_no_probe_goes_to_port_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _dry_run(REPO / "inventories" / "example-district", capsys, "--format", "json")
    assert code == 0
    services = [p["service"] for p in json.loads(out)["probes"]]
    assert services and not [s for s in services if s.split(" ")[0] in ("tcp/0", "udp/0")]


def test_a_zone_firewall_lets_the_reply_of_an_accepted_connection_back(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The USG security policy has no rule for the reply direction; its session table passes
    the reply (it used to be "blocked by deny_all" on the way back)."""
    code, out = _dry_run(REPO / "inventories" / "example-district", capsys, "--format", "json")
    assert code == 0
    ssh = [p for p in json.loads(out)["probes"] if p["source"]["device"] == "px-bastion"
           and p["target"]["device"] == "px-web-portal" and p["service"].startswith("tcp/22")]
    assert ssh and ssh[0]["expected"] == "allow", ssh
    assert "px-fw-outer" in ssh[0]["path"]


def test_a_reject_that_looks_like_a_closed_port_is_undecided(tmp_path: Path) -> None:
    site = tmp_path / "lab"
    shutil.copytree(LAB, site, ignore=shutil.ignore_patterns(".lab"))
    nft = site / "configs" / "lab-fw.nft"
    text = nft.read_text(encoding="utf-8")
    nft.write_text(text.replace(
        "\t\tct state established,related accept\n\t\t# 政务外网",
        "\t\tct state established,related accept\n\t\ttcp dport 23 reject with tcp reset\n"
        "\t\t# 政务外网", 1), encoding="utf-8")
    inv = load_inventory(site)
    gateways = load_gateway_rulesets(inv, None)
    plan = plan_probes(inv, gateways, load_policy(REPO / "policies", inv), zone_reach(gateways),
                       None)
    telnet = next(p for p in plan.probes if p.source.device == "lab-internet"
                  and p.target.device == "lab-web" and p.service.label.startswith("tcp/23"))
    assert not telnet.expected.allowed and telnet.expected.decisions[-1].rejects
    closed = ProbeResult(telnet, Observation(Observed.CLOSED, "refused"))
    assert closed.agreement is Agreement.UNDECIDED and closed.finding() is None
    reached = ProbeResult(telnet, Observation(Observed.REACHED, "connected"))
    assert reached.agreement is Agreement.DISAGREE


def test_an_empty_plan_says_so_and_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    mini = REPO / "tests" / "data" / "inventories" / "mini"
    code = main(["--lang", "en", "audit", "probe", str(mini), "--lab", "--policy", POLICY])
    out, err = capsys.readouterr()
    assert code == 0  # nothing was found wrong, and the message says nothing was tested
    assert "nothing to probe" in err and out == ""
