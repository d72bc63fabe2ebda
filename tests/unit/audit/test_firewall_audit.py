"""The firewall audit on the example district: the shipped mistakes are found, the remediated
configurations pass, and the zone reach is what the rulesets say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egovops.cli.main import main
from tests.conftest import EXAMPLE, REPO

POLICIES = str(REPO / "policies")
CLEAN = str(EXAMPLE / "configs-clean")


def _audit(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["audit", "firewall", str(EXAMPLE), "--policy", POLICIES, "-f", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_the_shipped_mistakes_are_found(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _audit(capsys)
    assert code == 1
    found = {(f["check"], f["subject"]) for f in data["findings"]}
    checks = {check for check, _ in found}
    assert ("firewall.default-deny", "px-sslvpn:forward:default") in found
    assert {"firewall.risky-service", "firewall.management-plane", "firewall.over-broad",
            "firewall.undeclared-flow", "firewall.deny-logging"} <= checks
    ftp = next(f for f in data["findings"] if f["subject"].endswith(":internet:ftp"))
    assert ftp["severity"] == "high"
    assert ftp["origin"].endswith("configs/px-fw-outer.cfg:95")  # rule name ftp_upload
    assert "8.1.3.2" in ftp["mlps"]
    vty = next(f for f in data["findings"] if f["subject"] == "px-fw-outer:2000:vty-in:mgmt")
    assert "10.20.0.0/15" in vty["evidence"]
    shadow = [f for f in data["findings"] if f["check"] == "firewall.redundant"
              and "portal_https" in f["evidence"]]
    assert shadow, "the duplicate portal_https rule is reported"


def test_the_remediated_configurations_pass(capsys: pytest.CaptureFixture[str]) -> None:
    # as of a day before the example's FTP waiver expired: nothing at all to report
    code, data = _audit(capsys, "--config-dir", CLEAN, "--fail-on", "info",
                        "--as-of", "2026-09-01")
    assert [f["check"] for f in data["findings"]] == ["audit.waiver-unused"] * 2
    code, data = _audit(capsys, "--config-dir", CLEAN, "--as-of", "2026-09-01")
    assert code == 0
    reach = {(r["source"], r["target"], r["device"]): r["packets"] for r in data["reach"]}
    assert "tcp/80,443" in reach[("internet", "dmz", "px-fw-outer")]
    assert "10.40.0.11/32,10.40.0.13/32" in reach[("internet", "dmz", "px-fw-outer")]
    vpn = reach[("outer", "dmz", "px-sslvpn")]
    assert "tcp/8443 from 10.20.250.0/24 to 10.40.0.12/32" in vpn
    assert ("internet", "outer", "px-fw-outer") not in reach


def test_a_required_flow_that_is_blocked(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    for file in Path(CLEAN).iterdir():
        text = file.read_text(encoding="utf-8")
        if file.name == "px-sslvpn.nft":
            text = text.replace("tcp dport 8443 ct state new accept", "tcp dport 8443 drop")
        (configs / file.name).write_text(text, encoding="utf-8")
    code, data = _audit(capsys, "--config-dir", str(configs))
    assert code == 1
    (blocked,) = [f for f in data["findings"] if f["check"] == "firewall.required-flow"]
    assert "CMS" in blocked["title"]
    assert blocked["origin"].endswith("flows.yaml:22")


def test_audit_all_combines_isolation_and_firewall(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "all", str(EXAMPLE), "--policy", POLICIES, "--config-dir", CLEAN,
                 "-f", "json", "--fail-on", "low", "--as-of", "2026-11-22"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # the example's FTP waiver expired on 2026-09-30 and is reported
    assert [f["check"] for f in data["findings"] if f["severity"] != "info"] == [
        "audit.waiver-expired"]
    assert any(c.startswith("isolation.") for c in data["checks"])
    assert any(c.startswith("firewall.") for c in data["checks"])


def test_unreadable_config_is_bad_input(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "px-fw-outer.cfg").write_text("security-policy\n rule name x\n  frobnicate\n",
                                             encoding="utf-8")
    (configs / "px-sslvpn.nft").write_text("table inet t {\n", encoding="utf-8")
    # fail closed since #12: each unreadable gateway is a finding naming its problems …
    code = main(["audit", "firewall", str(EXAMPLE), "--policy", POLICIES,
                 "--config-dir", str(configs), "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    unreadable = {f["subject"]: f for f in data["findings"]
                  if f["check"] == "firewall.config-unreadable"}
    assert set(unreadable) == {"px-fw-outer:config", "px-sslvpn:config"}
    assert unreadable["px-fw-outer:config"]["severity"] == "critical"  # internet boundary
    assert "px-fw-outer.cfg:3" in unreadable["px-fw-outer:config"]["evidence"]
    assert "px-fw-outer.cfg:3" in unreadable["px-fw-outer:config"]["origin"]
    # … and --strict keeps the all-or-nothing exit 2 with every problem located
    code = main(["audit", "firewall", str(EXAMPLE), "--policy", POLICIES,
                 "--config-dir", str(configs), "--strict"])
    err = capsys.readouterr().err
    assert code == 2
    assert "px-fw-outer.cfg:3" in err
    assert "px-sslvpn.nft" in err
    assert "Traceback" not in err


def test_textfile_for_cron(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "textfile" / "egovops_audit.prom"
    code = main(["audit", "firewall", str(EXAMPLE), "--policy", POLICIES, "--textfile",
                 str(target)])
    capsys.readouterr()
    assert code == 1
    text = target.read_text(encoding="utf-8")
    assert 'egovops_audit_findings{check="firewall.default-deny",severity="critical"} 1.0' in text
