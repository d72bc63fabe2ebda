from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import DATA

GATEWAY = DATA / "firewall" / "nftables" / "gateway" / "ruleset.nft"
USG = DATA / "firewall" / "huawei" / "usg-gateway" / "current-configuration.txt"

Run = Callable[..., tuple[int, str, str]]


def test_analyze_json_lists_anomalies_with_examples(run: Run) -> None:
    code, out, _ = run("firewall", "analyze", str(GATEWAY), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "nftables"
    assert {c["hook"] for c in data["chains"]} >= {"input", "forward"}
    kinds = {a["kind"] for a in data["anomalies"]}
    assert kinds & {"shadowed", "redundant", "correlated", "redundant-shadowed"}
    for anomaly in data["anomalies"]:
        assert anomaly["rule"]["source"].rpartition(":")[0].endswith("gateway/ruleset.nft")


def test_analyze_table(run: Run) -> None:
    code, out, _ = run("firewall", "analyze", str(USG))
    assert code == 0
    assert "(huawei)" in out


def test_check_packet_names_the_deciding_rule(run: Run) -> None:
    code, out, _ = run("firewall", "check-packet", str(GATEWAY), "--src", "203.0.113.5",
                       "--dst", "10.20.2.10", "--dport", "443", "--iif", "wan0",
                       "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "accept"
    assert data["rule"]["source"].endswith("ruleset.nft:37")
    code, out, _ = run("firewall", "check-packet", str(GATEWAY), "--src", "203.0.113.5",
                       "--dst", "10.20.3.3", "--proto", "udp", "--dport", "5000")
    assert code == 0
    assert out.startswith("packet: udp 203.0.113.5:40000 -> 10.20.3.3:5000")
    assert "drop: decided by" in out


def test_check_packet_needs_a_hook_when_ambiguous(run: Run) -> None:
    code, _, err = run("firewall", "check-packet", str(USG), "--src", "1.2.3.4",
                       "--dst", "10.20.1.10", "--dport", "21")
    assert code == 2
    assert "--hook" in err
    code, out, _ = run("firewall", "check-packet", str(USG), "--src", "1.2.3.4",
                       "--dst", "10.20.1.10", "--dport", "21", "--hook", "security-policy",
                       "--src-zone", "untrust", "--dst-zone", "dmz", "-f", "json")
    assert code == 0
    assert json.loads(out)["verdict"] == "accept"  # the FTP mistake in the fixture


def test_diff_reports_changed_packets(run: Run, tmp_path: Path) -> None:
    new = tmp_path / "new.nft"
    text = GATEWAY.read_text(encoding="utf-8")
    assert 'tcp dport 21 accept comment "FTP upload, should be SFTP"' in text
    new.write_text(text.replace('iifname "wan0" oifname "dmz0" tcp dport 21 accept comment '
                                '"FTP upload, should be SFTP"\n', ""), encoding="utf-8")
    code, out, _ = run("firewall", "diff", str(GATEWAY), str(new), "--format", "json")
    assert code == 0
    forward = next(c for c in json.loads(out)["chains"] if c["chain"] == "forward")
    (change,) = [c for c in forward["changes"] if c["old"] == "accept"]
    assert change["new"] == "drop"
    assert "tcp/21" in change["packets"] or ":21" in (change["example"] or "")
    code, out, _ = run("firewall", "diff", str(GATEWAY), str(GATEWAY))
    assert code == 0
    assert "no packet changes verdict" in out


def test_bad_input_exits_2_with_location(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.nft"
    bad.write_text("table inet filter {\n  chain input {\n    tcp dport 22 frobnicate\n  }\n}\n",
                   encoding="utf-8")
    # an unknown statement is damage to nft's own grammar (nft -f refuses it): an error
    code, _, err = run("firewall", "analyze", str(bad))
    assert code == 2
    assert "bad.nft:3" in err and "frobnicate" in err
    code, _, err = run("firewall", "analyze", str(bad), "--strict")
    assert code == 2
    assert "bad.nft:3" in err
    assert "Traceback" not in err
    code, _, err = run("firewall", "analyze", str(GATEWAY), "--platform", "juniper")
    assert code == 2
    assert "unknown firewall format" in err
    code, _, err = run("firewall", "analyze", str(tmp_path / "missing.nft"))
    assert code == 2
    assert "cannot read" in err


def test_check_packet_on_a_file_with_skipped_constructs_says_unproven(
        run: Run, tmp_path: Path) -> None:
    rules = tmp_path / "gw.nft"
    rules.write_text("table inet filter {\n\tchain forward {\n\t\ttype filter hook forward "
                     "priority filter; policy drop;\n\t\tmeta mark 0x10 accept\n"
                     "\t\ttcp dport 443 accept\n\t}\n}\n", encoding="utf-8")
    args = ("firewall", "check-packet", str(rules), "--src", "10.0.0.1", "--dst", "10.0.0.2",
            "--dport", "22")
    code, out, err = run(*args)
    assert code == 0
    assert "drop: unproven" in out and "gw.nft:4" in out
    assert "gw.nft:4" in err  # the parse warning
    code, out, _ = run(*args, "--format", "json")
    assert "gw.nft:4" in json.loads(out)["unproven"]
    code, _, err = run(*args, "--strict")
    assert code == 2 and "gw.nft:4" in err
