"""The exporter's output and the rendered plan, checked by their real consumers: promtool
(check metrics, check rules, test rules, check config) and amtool (check-config)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec

from egovops.cli.main import main
from egovops.metrics.planfile import load_plan
from egovops.metrics.render import (
    ALERTMANAGER_FILE,
    PROMETHEUS_FILE,
    RULES_FILE,
    RULES_TEST_FILE,
    dashboard,
    dashboard_exprs,
    render_all,
)
from egovops.pki import CaConfig, CertificateAuthority, CertRequest, San, init_ca
from tests.conftest import EXAMPLE, MINI, REPO, require_tool
from tests.unit.metrics.helpers import NOW, write_mini_snapshot
from tests.unit.pki.conftest import PASSPHRASE, PROFILES

pytestmark = pytest.mark.integration
PLAN = REPO / "policies" / "emergency-plan.yaml"


def run(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], input=stdin.decode() if stdin else None,
                          capture_output=True, text=True, timeout=60, check=False)


def promtool_check_metrics(text: bytes) -> None:
    done = run(require_tool("promtool"), "check", "metrics", stdin=text)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr)


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    path = tmp_path / "ca"
    init_ca(path, CaConfig(), PROFILES, PASSPHRASE)
    with CertificateAuthority(path) as ca:
        ca.unlock(PASSPHRASE)
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        ca.issue(CertRequest(profile="sslvpn-gateway", subject={"cn": "vpn.example.gov.cn"},
                             sans=(San("dns", "vpn.example.gov.cn"),), days=30), key)
        ca.publish_crl()
    return path


def test_dump_is_promtool_clean(tmp_path: Path, ca_dir: Path,
                                capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    write_mini_snapshot(tmp_path / "snaps", NOW)
    for site in (MINI, EXAMPLE):
        code = main(["metrics", "dump", str(site), "--snapshot-dir", str(tmp_path / "snaps"),
                     "--ca-dir", str(ca_dir), "--plan", str(PLAN)])
        out = capfdbinary.readouterr().out
        assert code == 0
        assert b"egovops_crl_next_update_timestamp_seconds " in out
        assert b"egovops_emergency_level " in out
        promtool_check_metrics(out)


def test_audit_textfile_is_promtool_clean(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "textfile" / "egovops_audit.prom"
    assert main(["audit", "isolation", str(EXAMPLE), "--textfile", str(target)]) == 0
    capsys.readouterr()
    text = target.read_bytes()
    assert b"egovops_isolation_violations{" in text
    assert not list(target.parent.glob(".*"))  # atomic: no temporary left behind
    promtool_check_metrics(text)


def test_rendered_rules_check_and_unit_tests(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    for rel, text in render_all(load_plan(PLAN)).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    done = run(promtool, "check", "rules", tmp_path / RULES_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 12 rules found" in done.stdout
    done = run(promtool, "test", "rules", tmp_path / RULES_TEST_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(promtool, "check", "config", tmp_path / PROMETHEUS_FILE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rule_tests_catch_a_wrong_deadline(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    files = render_all(load_plan(PLAN))
    (tmp_path / "egovops-rules.yml").write_text(files[RULES_FILE].replace(
        "response_deadline: 10m", "response_deadline: 1d"), encoding="utf-8")
    (tmp_path / "t.yml").write_text(files[RULES_TEST_FILE], encoding="utf-8")
    done = run(promtool, "test", "rules", tmp_path / "t.yml")
    assert done.returncode != 0
    assert "inner-isolation-breach fires" in done.stdout + done.stderr


def test_committed_rules_pass_promtool() -> None:
    promtool = require_tool("promtool")
    done = run(promtool, "test", "rules", REPO / "deploy" / RULES_TEST_FILE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_alertmanager_example(tmp_path: Path) -> None:
    amtool = require_tool("amtool")
    config = REPO / "deploy" / ALERTMANAGER_FILE
    done = run(amtool, "check-config", config)
    assert done.returncode == 0, done.stdout + done.stderr
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    first = data["route"]["routes"][0]
    assert first["matchers"] == ['incident_level=~"I|II"'] and first["receiver"] == "leadership"
    # Alertmanager's own routing test: a level II alert goes to leadership (and on to its owner)
    done = run(amtool, "config", "routes", "test", "--config.file", config, "--verify.receivers",
               "leadership,network-duty", "incident_level=II", "condition=core-node-down")
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(amtool, "config", "routes", "test", "--config.file", config,
               "incident_level=III", "condition=crl-expiring")
    assert done.stdout.strip() == "pki-admin", done.stdout + done.stderr


def test_every_dashboard_expression_parses(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    exprs = dashboard_exprs(dashboard(load_plan(PLAN)))
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": expr} for i, (_, expr) in enumerate(exprs)]}]}
    path = tmp_path / "dashboard-exprs.yml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    done = run(promtool, "check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in done.stdout
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [
        {"record": "x:y", "expr": "sum by (tier (egovops_device_up)"}]}]}), encoding="utf-8")
    assert run(promtool, "check", "rules", bad).returncode != 0
