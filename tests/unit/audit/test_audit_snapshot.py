"""``egovops audit firewall|all --snapshot``: the rulesets collected from the devices are
audited, not the inventory's saved files; what the snapshot lacks becomes a finding."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from egovops.audit.collected import load_snapshot_rulesets, with_listing_lines
from egovops.cli.main import main
from egovops.collect.facts import DeviceFacts
from egovops.collect.runner import DeviceResult, RunResult
from egovops.collect.snapshot import Snapshot, newest_snapshot, write_snapshot
from egovops.errors import InputError
from egovops.firewall.ruleset_file import read_ruleset
from egovops.load import load_inventory
from tests.conftest import DATA, EXAMPLE, REPO

POLICIES = str(REPO / "policies")
CONFIGS = EXAMPLE / "configs"
CLEAN = EXAMPLE / "configs-clean"
SITE = "panyu"
WHEN = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

TELNET = ("rule name telnet_from_internet\n  source-zone untrust\n  destination-zone dmz\n"
          "  service telnet\n  action permit\n")
"""A USG security-policy rule (indented one level inside ``security-policy``)."""


def _district(configs: Path = CONFIGS) -> dict[str, dict[str, str]]:
    """What collecting the example district's two firewalls gives: USG running config, nft."""
    return {"px-fw-outer": {"running": (configs / "px-fw-outer.cfg").read_text("utf-8")},
            "px-sslvpn": {"nftables": (configs / "px-sslvpn.nft").read_text("utf-8")},
            "px-core-sw": {}}


def _snapshot(parent: Path, configs: Mapping[str, Mapping[str, str]], *,
              failed: Mapping[str, str] | None = None, site: str = SITE,
              when: datetime = WHEN) -> Path:
    results = [DeviceResult(dev, True, "replay", 0.2, 1, DeviceFacts(
        device=dev, collector="replay", collected_at=when.isoformat(), configs=dict(files)))
        for dev, files in configs.items()]
    results += [DeviceResult(dev, False, "netmiko", 6.0, 3, None, error, "timeout")
                for dev, error in (failed or {}).items()]
    stamp = when.isoformat(timespec="seconds")
    return write_snapshot(RunResult(site, stamp, stamp, tuple(results)), parent, now=when)


def _audit(capsys: pytest.CaptureFixture[str], *args: str, command: str = "firewall",
           site: Path = EXAMPLE) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["--lang", "en", "audit", command, str(site), "--policy", POLICIES,
                 "-f", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {"err": captured.err}


def _keys(data: dict) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(f["check"], f["subject"], f["severity"]) for f in data["findings"]}


def test_snapshot_of_the_saved_configs_gives_the_same_audit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _snapshot(tmp_path, _district())
    code, from_snapshot = _audit(capsys, "--snapshot", str(folder))
    code_saved, saved = _audit(capsys)
    assert code == code_saved == 1
    assert _keys(from_snapshot) == _keys(saved)
    assert from_snapshot["reach"] == saved["reach"]
    assert {"firewall.snapshot-missing", "firewall.snapshot-only"} <= set(
        from_snapshot["checks"])
    # rule findings cite the snapshot's files, with their lines
    origins = [f["origin"] for f in from_snapshot["findings"] if "/configs/" in f["origin"]]
    assert origins and all(o.startswith(str(folder)) for o in origins)
    ftp = next(f for f in from_snapshot["findings"] if f["subject"].endswith(":internet:ftp"))
    assert ftp["origin"] == f"{folder}/configs/px-fw-outer/running:95"


def test_the_running_ruleset_is_audited_not_the_saved_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configs = _district(CLEAN)
    running = configs["px-fw-outer"]["running"]
    assert " rule name dmz_web\n" in running
    # someone opened telnet to the DMZ on the live firewall; the saved file does not show it
    configs["px-fw-outer"]["running"] = running.replace(
        " rule name dmz_web\n", f" {TELNET} rule name dmz_web\n", 1)
    folder = _snapshot(tmp_path, configs)
    code, live = _audit(capsys, "--snapshot", str(folder), "--config-dir", str(CLEAN))
    assert code == 2 and "exclude each other" in live["err"]
    code, live = _audit(capsys, "--snapshot", str(folder), "--as-of", "2026-09-01")
    code_saved, saved = _audit(capsys, "--config-dir", str(CLEAN), "--as-of", "2026-09-01")
    assert code_saved == 0 and code == 1
    new = _keys(live) - _keys(saved)
    assert ("firewall.risky-service", "px-fw-outer:security-policy:internet:telnet",
            "high") in new
    telnet = next(f for f in live["findings"] if f["subject"].endswith(":internet:telnet"))
    line = int(telnet["origin"].rpartition(":")[2])
    text = (folder / "configs" / "px-fw-outer" / "running").read_text("utf-8").splitlines()
    assert text[line - 1].strip() == "rule name telnet_from_internet"


def test_missing_failed_and_empty_gateways_are_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configs = _district()
    del configs["px-sslvpn"]
    folder = _snapshot(tmp_path / "a", configs)
    code, data = _audit(capsys, "--snapshot", str(folder))
    missing = next(f for f in data["findings"] if f["check"] == "firewall.snapshot-missing")
    assert code == 1 and missing["severity"] == "high"
    assert missing["subject"] == "px-sslvpn:snapshot"
    assert "not in snapshot" in missing["evidence"] and "px-sslvpn.nft" in missing["evidence"]
    assert missing["origin"].endswith("devices-dmz-mgmt.yaml:41")  # px-sslvpn's entry
    assert not any(f["origin"].endswith("px-sslvpn.nft") or "/px-sslvpn.nft:" in f["origin"]
                   for f in data["findings"])  # no fall-back to the saved file

    folder = _snapshot(tmp_path / "b", configs, failed={"px-sslvpn": "connect timed out"})
    code, data = _audit(capsys, "--snapshot", str(folder))
    (missing,) = [f for f in data["findings"] if f["check"] == "firewall.snapshot-missing"]
    assert "collecting it failed (timeout): connect timed out" in missing["evidence"]

    configs = _district()
    configs["px-sslvpn"] = {"nftables": "table inet filter {\n}\n"}
    configs["px-core-sw"] = {}
    folder = _snapshot(tmp_path / "c", configs)
    code, data = _audit(capsys, "--snapshot", str(folder))
    (empty,) = [f for f in data["findings"] if f["check"] == "firewall.snapshot-empty"]
    assert empty["severity"] == "critical"  # px-sslvpn is a declared gateway
    assert empty["origin"] == f"{folder}/configs/px-sslvpn/nftables"

    configs["px-sslvpn"] = {}  # collected, but no ruleset came back
    folder = _snapshot(tmp_path / "d", configs)
    code, data = _audit(capsys, "--snapshot", str(folder))
    (missing,) = [f for f in data["findings"] if f["check"] == "firewall.snapshot-missing"]
    assert "no ruleset was retrieved (looked for nftables.json, nftables, running)" in missing[
        "evidence"]


def test_a_firewall_without_saved_config_is_audited_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configs = _district()
    # px-ferry-out (a Linux server, no config:) turns out to run a forwarding ruleset with
    # an over-broad rule; px-web-portal runs an empty one (filters nothing: not a firewall)
    configs["px-ferry-out"] = {"nftables": "table inet filter {\n\tchain forward {\n"
                               "\t\ttype filter hook forward priority filter; policy drop;\n"
                               "\t\tip protocol tcp accept\n\t}\n}\n"}
    configs["px-web-portal"] = {"nftables": "table inet filter {\n}\n"}
    folder = _snapshot(tmp_path, configs)
    code, data = _audit(capsys, "--snapshot", str(folder))
    assert code == 1
    only = [f for f in data["findings"] if f["check"] == "firewall.snapshot-only"]
    assert [(f["subject"], f["severity"]) for f in only] == [("px-ferry-out:snapshot", "info")]
    broad = next(f for f in data["findings"] if f["subject"].startswith("px-ferry-out:")
                 and f["check"] == "firewall.over-broad")
    assert broad["severity"] == "high"
    assert broad["origin"] == f"{folder}/configs/px-ferry-out/nftables:4"
    assert not any(f["subject"].startswith("px-web-portal") for f in data["findings"])
    # unreadable, without config: a low finding, not an error
    configs["px-ferry-out"] = {"nftables": "table inet filter {\n\tchain forward {\n"
                               "\t\ttype filter hook forward priority filter; policy accept;\n"
                               "\t\ttcp dport 70000 accept\n\t}\n}\n"}
    folder = _snapshot(tmp_path / "x", configs)
    code, data = _audit(capsys, "--snapshot", str(folder))
    (only_low,) = [f for f in data["findings"] if f["check"] == "firewall.snapshot-only"]
    assert only_low["severity"] == "low"
    assert only_low["origin"].startswith(f"{folder}/configs/px-ferry-out/nftables:4")


def test_unreadable_gateway_ruleset_is_exit_2_with_the_snapshot_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configs = _district()
    configs["px-sslvpn"]["nftables"] = configs["px-sslvpn"]["nftables"].replace(
        "policy drop;", "policy drop;\n\t\tfrobnicate everything", 1)
    folder = _snapshot(tmp_path, configs)
    # since #12 damage to nft's grammar fails only that device, citing the snapshot's line …
    code, data = _audit(capsys, "--snapshot", str(folder))
    assert code == 1
    (bad,) = [f for f in data["findings"] if f["check"] == "firewall.config-unreadable"]
    assert bad["subject"].startswith("px-sslvpn:")
    assert re.search(re.escape(f"{folder}/configs/px-sslvpn/nftables:") + r"\d+",
                     bad["evidence"]), bad
    assert "frobnicate" in bad["evidence"]
    # … and --strict keeps the all-or-nothing exit 2
    code = main(["--lang", "en", "audit", "all", str(EXAMPLE), "--policy", POLICIES,
                 "--snapshot", str(folder), "--strict"])
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(re.escape(f"{folder}/configs/px-sslvpn/nftables:") + r"\d+", err), err
    assert "Traceback" not in err


def test_another_sites_snapshot_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _snapshot(tmp_path, _district(), site="other")
    code, data = _audit(capsys, "--snapshot", str(folder))
    assert code == 2 and "is of site 'other', the inventory of 'panyu'" in data["err"]
    with pytest.raises(InputError):
        load_snapshot_rulesets(load_inventory(EXAMPLE), Snapshot(folder))


def test_a_parent_folder_means_the_sites_newest_snapshot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older = _snapshot(tmp_path, _district(CLEAN), when=datetime(2026, 11, 1, tzinfo=UTC))
    newer = _snapshot(tmp_path, _district(), when=datetime(2026, 11, 20, tzinfo=UTC))
    _snapshot(tmp_path, _district(CLEAN), site="other", when=datetime(2026, 12, 1, tzinfo=UTC))
    (tmp_path / ".panyu-20261231T000000Z.tmp").mkdir()  # being written: not a candidate
    assert newest_snapshot(tmp_path, SITE) == newer
    assert newest_snapshot(older, SITE) == older
    code = main(["--lang", "en", "audit", "all", str(EXAMPLE), "--policy", POLICIES,
                 "--snapshot", str(tmp_path), "-f", "json"])
    captured = capsys.readouterr()
    assert code == 1
    assert f"firewallrulesetsfromsnapshot{newer}" in "".join(captured.err.split())
    data = json.loads(captured.out)
    assert any(f["check"].startswith("isolation.") for f in data["findings"]) or any(
        c.startswith("isolation.") for c in data["checks"])
    assert any(f["origin"].startswith(str(newer)) for f in data["findings"])
    with pytest.raises(InputError, match="holds no snapshot of site 'nowhere'"):
        newest_snapshot(tmp_path, "nowhere")


def test_nft_json_findings_cite_the_text_listing_of_the_same_run(tmp_path: Path) -> None:
    as_json = DATA / "firewall" / "nftables-json" / "gateway" / "ruleset.json"
    listing = DATA / "firewall" / "nftables" / "gateway" / "ruleset.nft"
    lined = with_listing_lines(read_ruleset(as_json, "nftables-json"),
                               read_ruleset(listing, "nftables"))
    rules = [r for c in lined.chains for r in c.rules]
    assert rules and all(r.source.file.endswith("ruleset.nft") and r.source.line for r in rules)
    assert rules[0].name  # the JSON's handle stays the rule's name
    lines = listing.read_text("utf-8").splitlines()
    assert all(lines[r.source.line - 1].strip().startswith(r.text.split()[0]) for r in rules)
    # a listing that differs lends nothing
    other = read_ruleset(CLEAN / "px-sslvpn.nft", "nftables")
    same = read_ruleset(as_json, "nftables-json")
    assert with_listing_lines(same, other) == same
