from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLE, MINI, REPO
from tests.unit.metrics.helpers import NOW, breach_site, write_mini_snapshot

Run = Callable[..., tuple[int, str, str]]
PLAN = str(REPO / "policies" / "emergency-plan.yaml")


def test_metrics_dump_stdout_and_file(run: Run, tmp_path: Path) -> None:
    write_mini_snapshot(tmp_path / "snaps", NOW)
    code, out, err = run("metrics", "dump", str(MINI), "-d", str(tmp_path / "snaps"),
                         "--plan", PLAN)
    assert code == 0, err
    assert 'egovops_device_up{device="agg-sw",tier="2",zone="outer"} 0.0' in out
    assert "egovops_emergency_level 2.0" in out  # III: agg-sw never collected
    target = tmp_path / "out.prom"
    code, out, err = run("metrics", "dump", str(MINI), "-o", str(target), "--plan", PLAN)
    assert code == 0 and out == "" and "written" in err
    assert target.read_text(encoding="utf-8").startswith("# HELP")


def test_plan_status_exit_codes(run: Run, tmp_path: Path) -> None:
    # the example's SSL-VPN gateway forwards by default (a deliberate mistake, found by the
    # firewall audit with policies/): outer-gateway-default-allow raises level II
    code, out, err = run("plan", "status", str(EXAMPLE), "--plan", PLAN, "-d",
                         str(tmp_path / "none"), "-f", "json")
    assert code == 1, err
    assert json.loads(out)["level"] == "II"
    site = breach_site(tmp_path / "site")
    code, out, _ = run("plan", "status", str(site), "--plan", PLAN, "-f", "json")
    assert code == 1
    data = json.loads(out)
    assert data["level"] == "I" and data["color"] == "red"
    assert run("plan", "status", str(site), "--plan", PLAN, "--fail-on", "none")[0] == 0
    code, out, _ = run("--lang", "zh", "plan", "status", str(site), "--plan", PLAN,
                       "--fail-on", "none")
    assert "候选事件级别：I 级（特别重大，red）" in out
    code, _, err = run("plan", "status", str(site), "--plan", PLAN, "--fail-on", "V")
    assert code == 2 and "unknown level" in err


def test_plan_errors_cite_file_and_line(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("plan: {name: x}\nlevels: []\ncategories: []\nowners: []\n"
                   "conditions:\n  - {id: c}\n", encoding="utf-8")
    code, _, err = run("plan", "render", "--plan", str(bad), "--out-dir", str(tmp_path))
    assert code == 2
    assert "plan.yaml:6" in err


def test_plan_render_check_and_write(run: Run, tmp_path: Path) -> None:
    code, _, err = run("plan", "render", "--plan", PLAN, "--out-dir", str(REPO / "deploy"),
                       "--check")
    assert code == 0, err
    code, out, err = run("plan", "render", "--plan", PLAN, "--out-dir", str(tmp_path))
    assert code == 0, err
    assert "7 files rendered" in out
    assert (tmp_path / "prometheus" / "egovops-rules.yml").is_file()
    (tmp_path / "prometheus" / "egovops-rules.yml").write_text("stale\n", encoding="utf-8")
    code, _, err = run("plan", "render", "--plan", PLAN, "--out-dir", str(tmp_path), "--check")
    assert code == 1 and "egovops-rules.yml" in err


def test_audit_textfile(run: Run, tmp_path: Path) -> None:
    site = breach_site(tmp_path / "site")
    target = tmp_path / "tf" / "audit.prom"
    code, _, err = run("audit", "isolation", str(site), "--textfile", str(target))
    assert code == 1  # findings still fail the run; the textfile is written anyway
    assert "metrics written for node_exporter" in err
    text = target.read_text(encoding="utf-8")
    assert 'egovops_isolation_violations{peer="outer",zone="inner"} 1.0' in text
