from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from egovops.load import load_inventory
from egovops.metrics.plan import duration_seconds
from egovops.metrics.planfile import PlanError, load_plan
from egovops.metrics.render import DASHBOARD_FILE, dashboard, dashboard_exprs, render_all
from egovops.metrics.signals import evaluate_plan
from egovops.metrics.sources import last_successes, latest_snapshot, read_site_state
from egovops.metrics.state import CertGroup, CrlView, PkiView, SiteState
from tests.conftest import MINI, REPO
from tests.unit.metrics.helpers import NOW, breach_site, write_mini_snapshot

PLAN = REPO / "policies" / "emergency-plan.yaml"
DEPLOY = REPO / "deploy"


def test_shipped_plan_loads() -> None:
    plan = load_plan(PLAN)
    assert [lv.id for lv in plan.levels] == ["I", "II", "III", "IV"]
    assert [lv.color for lv in plan.levels] == ["red", "orange", "yellow", "blue"]
    assert {c.signal.kind for c in plan.conditions} >= {
        "isolation", "device-down", "circuit-down", "finding", "cert-expiring", "crl-expiring",
        "probe-failed", "probe-succeeds"}
    assert any(o.leadership for o in plan.owners)


BROKEN = """\
plan:
  name: 测试预案
levels:
  - {id: I, name: 特别重大, color: orange, severity: critical, response: 10m, report: 30m,
     report_to: x, owner: leadership}
  - {id: II, name: 重大, color: orange, severity: critical, response: 30m, report: 1h,
     report_to: x, owner: nobody}
  - {id: III, name: 较大, color: yellow, severity: warning, response: 1 hour, report: 4h,
     report_to: x, owner: leadership}
categories:
  - {id: outage, name: 中断}
owners:
  - {id: leadership, name: 领导小组, leadership: true}
conditions:
  - id: c1
    name: x
    level: V
    category: outage
    network: outer
    signal: {kind: isolation, zone: inner}
    owner: leadership
    procedure: x
  - id: c2
    name: x
    level: II
    category: nope
    network: outer
    signal: {kind: isolation, zone: outer}
    owner: leadership
    procedure: x
  - id: c2
    name: x
    level: II
    category: outage
    network: outer
    signal: {kind: telepathy}
    owner: leadership
    procedure: x
  - id: c3
    name: x
    level: II
    category: outage
    network: outer
    signal: {kind: cert-expiring, profile: p}
    owner: leadership
    procedure: x
  - id: c3
    name: x
    level: IV
    category: outage
    network: outer
    signal: {kind: crl-expiring, within: 1d}
    owner: leadership
    procedure: x
"""


def test_broken_plan_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    found = {(p.line, p.code) for p in caught.value.problems}
    text = "\n".join(str(p) for p in caught.value.problems)
    assert (4, "schema") in found, text          # I must be red
    assert (7, "dangling-reference") in found, text  # unknown owner nobody
    assert (8, "schema") in found, text          # "1 hour" is no duration
    assert (17, "schema") in found, text          # level V
    assert (26, "dangling-reference") in found, text  # category nope
    assert (36, "schema") in found, text          # unknown signal kind
    assert (31, "duplicate-id") in found, text    # c2 twice
    assert (47, "duplicate-id") in found, text    # c3 twice
    assert (49, "dangling-reference") in found, text  # no level IV declared
    assert any("within" in p.message for p in caught.value.problems), text
    assert any("missing: IV" in p.message for p in caught.value.problems), text
    assert all(p.file.endswith("plan.yaml") for p in caught.value.problems)


def test_duration_seconds() -> None:
    assert duration_seconds("15m") == 900
    assert duration_seconds("14d") == 14 * 86400
    with pytest.raises(ValueError, match="not a duration"):
        duration_seconds("1 hour")


def test_inner_isolation_breach_is_level_i(tmp_path: Path) -> None:
    state = read_site_state(breach_site(tmp_path / "site"), plan=load_plan(PLAN))
    assert state.plan is not None
    assert state.plan.level == "I"
    held = {c.condition: c for c in state.plan.conditions if c.active}
    assert "inner-isolation-breach" in held
    assert "isolation.physical-link" not in held["inner-isolation-breach"].reason  # titles only
    assert "inner" in held["inner-isolation-breach"].reason


def test_core_down_needs_the_hold_time(tmp_path: Path) -> None:
    plan = load_plan(PLAN)
    write_mini_snapshot(tmp_path, NOW - timedelta(minutes=20), agg_ok=True)
    write_mini_snapshot(tmp_path, NOW)
    inv = load_inventory(MINI)
    state = SiteState(inventory=inv, snapshot=latest_snapshot(tmp_path, "mini"),
                      last_success=last_successes(tmp_path, "mini"))
    # agg-sw (tier 2) down since 20 minutes: aggregation-node-down holds after 30 minutes
    soon = evaluate_plan(plan, state, (NOW + timedelta(minutes=5)).timestamp())
    later = evaluate_plan(plan, state, (NOW + timedelta(minutes=11)).timestamp())
    status = {c.condition: c.active for c in soon.conditions}
    assert status["aggregation-node-down"] is False
    assert status["core-node-down"] is False
    assert soon.level is None
    assert {c.condition: c.active for c in later.conditions}["aggregation-node-down"] is True
    assert later.level == "III"


def test_pki_conditions() -> None:
    plan = load_plan(PLAN)
    now = NOW.timestamp()
    pki = PkiView(certificates=(CertGroup("sslvpn-gateway", "", "valid", 1, now + 86400 * 3),),
                  crl=CrlView(7, now - 3600, now + 3600 * 30, 0))
    evaluation = evaluate_plan(plan, SiteState(pki=pki), now)
    status = {c.condition: c.active for c in evaluation.conditions}
    assert status["vpn-gateway-cert-expiring"] is True
    assert status["crl-expiring"] is False
    assert status["usbkey-certs-expiring"] is False
    assert status["gov-website-unreachable"] is None
    assert evaluation.level == "III"


def test_dashboard_is_provisioning_ready() -> None:
    board = dashboard(load_plan(PLAN))
    assert "__inputs" not in board and "__requires" not in board
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24 and pos["h"] > 0
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert target["expr"] and target["refId"]
    titles = " ".join(p["title"] for p in board["panels"])
    for word in ("Emergency level", "tier", "Isolation", "Findings", "Certificates"):
        assert word in titles
    assert len(dashboard_exprs(board)) >= 20


def test_committed_deploy_files_match_the_plan() -> None:
    for rel, text in render_all(load_plan(PLAN)).items():
        committed = DEPLOY / rel
        assert committed.is_file(), f"{rel} missing: run `egovops plan render`"
        assert committed.read_text(encoding="utf-8") == text, (
            f"deploy/{rel} is stale: run `egovops plan render`")
    json.loads((DEPLOY / DASHBOARD_FILE).read_text(encoding="utf-8"))
