"""Event folding and exit codes of a run, the git configuration history, the rendered
firewall baseline, and the daemon's playbook metrics — without ansible or devices."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from egovops.daemon.config import DaemonConfig, PlaybookJobConfig
from egovops.daemon.jobs import JobContext
from egovops.daemon.playbook_job import PlaybookResults, playbook_jobs
from egovops.errors import InputError
from egovops.load import load_inventory
from egovops.metrics.playbooks import PlaybookCollector
from egovops.metrics.state import StateStore
from egovops.playbooks.baseline import flows_through, marker, render
from egovops.playbooks.history import (
    checkout_configs,
    config_at,
    config_diff,
    history_repo,
    revisions,
)
from egovops.playbooks.runner import (
    REFUSED_MARK,
    HostResult,
    PlaybookRun,
    _cut_env,
    _Events,
    check_limit,
    unified_diffs,
)
from tests.conftest import REPO

LAB = REPO / "inventories" / "example-lab"


def _event(kind: str, host: str, task: str = "t", **res: object) -> dict[str, object]:
    return {"event": kind, "event_data": {"host": host, "task": task, "res": res}}


def _run(hosts: dict[str, HostResult], status: str = "successful") -> PlaybookRun:
    return PlaybookRun("p", "lab", "id", status, 0, hosts, Path("a"), Path("p"), 1.0, False)


def test_events_fold_into_host_results_and_exit_codes() -> None:
    hosts = {h: HostResult(h) for h in ("a", "b", "c", "d")}
    seen: list[str] = []
    events = _Events(hosts, lambda h, r, t: seen.append(f"{h}:{r.status.value}:{t}"))
    events(_event("runner_on_ok", "a", changed=True,
                  diff={"before": "x\n", "after": "y\n", "before_header": "f",
                        "after_header": "f"}))
    events(_event("runner_on_unreachable", "b", msg="Host key verification failed."))
    events(_event("runner_on_failed", "c", msg=f"{REFUSED_MARK}: new findings"))
    events(_event("runner_on_ok", "d", task="site: commit", changed=True))
    events({"event": "playbook_on_stats", "event_data": {
        "ok": {"a": 1, "d": 2}, "changed": {"a": 1, "d": 1}, "dark": {"b": 1},
        "failures": {"c": 1}, "processed": {"a": 1, "b": 1, "c": 1, "d": 1}}})
    assert hosts["a"].status.value == "changed" and hosts["a"].diffs == ["--- f\n+++ f\n"
                                                                         "@@ -1 +1 @@\n-x\n+y\n"]
    assert hosts["b"].status.value == "hostkey" and "known_hosts" in hosts["b"].message
    assert hosts["c"].status.value == "refused"
    # the site task does not make d "changed"
    assert hosts["d"].status.value == "ok" and hosts["d"].changed == 0
    assert events.site_tasks == {"commit": "changed"}
    assert seen[0] == "a:pending:t"
    assert _run(hosts).exit_code == 1
    del hosts["c"]
    assert _run(hosts).exit_code == 3
    assert _run({"a": hosts["a"]}).exit_code == 0
    assert _run({"a": HostResult("a")}, "canceled").exit_code == 130


def test_unified_diffs_ignores_unchanged_and_odd_items() -> None:
    assert unified_diffs([{"before": "a", "after": "a"}, "x", {"before": 1}]) == []
    assert unified_diffs(None) == []


def test_environment_cut_keeps_only_what_runner_and_egovops_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOVOPS_SECRET", "s3cret")
    monkeypatch.setenv("LANG", "C.UTF-8")
    runner_env = {"EGOVOPS_SECRET": "s3cret", "LANG": "C.UTF-8", "ANSIBLE_STDOUT_CALLBACK":
                  "awx_display", "HOME": "/private/home"}
    cut = _cut_env(runner_env, {"LANG": "C.UTF-8", "HOME": "/private/home"})
    assert cut == {"LANG": "C.UTF-8", "ANSIBLE_STDOUT_CALLBACK": "awx_display",
                   "HOME": "/private/home"}


def test_limit_must_name_something() -> None:
    inv = load_inventory(LAB)
    check_limit("lab-fw", inv, frozenset())
    check_limit("zone_outer", inv, frozenset({"zone_outer"}))
    check_limit("lab-*:!lab-fw", inv, frozenset())
    with pytest.raises(InputError, match="no such device or group"):
        check_limit("lab-nope", inv, frozenset({"zone_outer"}))


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    *args], check=True, capture_output=True)


def test_history_revisions_diff_and_checkout(tmp_path: Path) -> None:
    inv = load_inventory(LAB)
    fw = inv.device_by_id["lab-fw"]
    with pytest.raises(InputError, match="no configuration history"):
        history_repo(tmp_path, "lab")
    repo = tmp_path / "lab"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "lab-fw.nft").write_text("table inet filter {\n}\n")
    (repo / "lab-core.nft").write_text("\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "first")
    (repo / "lab-fw.nft").write_text("table inet filter {\n\tchain input {\n\t}\n}\n")
    _git(repo, "commit", "-qam", "second")
    assert history_repo(tmp_path, "lab") == repo
    revs = revisions(repo, fw)
    assert [r.message for r in revs] == ["second", "first"]
    assert (revs[0].lines_added, revs[0].lines_removed) == (2, 0)
    assert len(revisions(repo, inv.device_by_id["lab-core"])) == 1
    assert "+\tchain input {" in config_diff(repo, fw)
    assert config_diff(repo, inv.device_by_id["lab-core"]) == ""
    assert config_at(repo, fw, "HEAD~1") == "table inet filter {\n}\n"
    with pytest.raises(InputError, match="no revision 'zzz'"):
        config_at(repo, fw, "zzz")
    out = checkout_configs(repo, inv, "HEAD~1", tmp_path / "co")
    assert (out / "lab-fw.nft").read_text() == "table inet filter {\n}\n"


def test_baseline_renders_the_declared_flows_default_deny_and_its_digest() -> None:
    inv = load_inventory(LAB)
    fw = inv.device_by_id["lab-fw"]
    assert len(flows_through(inv, fw)) == len(inv.flows)
    text = render(inv, fw)
    assert text.splitlines()[2] == "flush ruleset"
    assert text.count("policy drop;") == 2
    assert 'iifname "eth1" oifname "eth2" ip daddr 10.40.0.11 tcp dport { 80, 443 } accept' \
        in text
    assert 'iifname "eth0" oifname "eth1" udp dport 53 accept' in text
    assert 'iifname "eth3" ip saddr 10.30.1.10 tcp dport 22 accept' in text  # input chain
    assert text.count('log prefix "egovops-drop') == 2
    mark = marker(text)
    assert mark.startswith("egovops-baseline ") and len(mark.split()[1]) == 16
    assert render(inv, fw) == text  # deterministic
    assert flows_through(inv, inv.device_by_id["lab-core"]) == []


def test_daemon_playbook_jobs_and_metrics(tmp_path: Path) -> None:
    config = DaemonConfig(playbooks=(PlaybookJobConfig(playbook="backup-configs"),
                                     PlaybookJobConfig(playbook="harden-ssh", enabled=False)))
    results = PlaybookResults()
    import threading

    ctx = JobContext(site=LAB, config=config, store=StateStore())
    jobs = playbook_jobs(ctx, config.playbooks, results, threading.Event())
    assert [(j.name, j.interval) for j in jobs] == [("playbook:backup-configs", 86400.0)]
    registry = CollectorRegistry(auto_describe=True)
    registry.register(PlaybookCollector(results))
    text = generate_latest(registry).decode()
    assert 'egovops_playbook_last_success_timestamp_seconds{playbook="backup-configs"} 0.0' \
        in text
    ok, bad = HostResult("lab-core", ok=3, changed=1, done=True), \
        HostResult("lab-web", unreachable=1, done=True)
    results.record("backup-configs", _run({"lab-core": ok, "lab-web": bad}), 1000.0)
    results.record("backup-configs", _run({"lab-core": ok}), 2000.0)
    text = generate_latest(registry).decode()
    assert 'egovops_playbook_last_success_timestamp_seconds{playbook="backup-configs"} 2000.0' \
        in text
    assert 'egovops_playbook_host_failures_total{device="lab-web",playbook="backup-configs"} ' \
        '1.0' in text
    assert 'egovops_playbook_host_changed_tasks{device="lab-core",playbook="backup-configs"} ' \
        '1.0' in text
    assert 'egovops_playbook_host_failed{device="lab-core",playbook="backup-configs"} 0.0' \
        in text
