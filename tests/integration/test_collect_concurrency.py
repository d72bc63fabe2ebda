"""The runner over real SSH at scale: a lab of its own with a dozen hosts, collected at once.

The lab (site ``icoll``, namespaces ``egv-icoll-…``) is separate from the shared example lab,
built for this module and removed after it, also when a test fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from egovops.collect.base import Timeouts
from egovops.collect.runner import RunOptions, collect_devices
from egovops.lab import lab_down, lab_up, plan_lab
from egovops.load import load_inventory
from egovops.model.inventory import Inventory
from tests.integration.conftest import require_lab

pytestmark = pytest.mark.integration

SITE = "icoll"
HOSTS = 12


def _site(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "site.yaml").write_text(f"""\
site: {{id: {SITE}, name: 并发采集测试, location: d}}
locations: [{{id: d, name: 测试区, level: district}}]
zones:
  - {{id: outer, kind: outer, name: 政务外网, prefixes: [10.20.0.0/16]}}
  - {{id: management, kind: management, name: 运维管理区, prefixes: [10.32.0.0/16]}}
defaults:
  device:
    platform: linux
    credentials:
      username: egvcoll
      ssh_key: {{file: .lab/id_ed25519}}
      ssh_config: .lab/ssh_config
devices:
""" + "".join(f"  - {{id: ch{i:02d}, role: host, zone: outer, mgmt: 10.32.0.{i}}}\n"
              for i in range(1, HOSTS + 1)), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Inventory]]:
    require_lab()
    folder = _site(tmp_path_factory.mktemp("coll") / "site")
    inv = load_inventory(folder)
    plan = plan_lab(inv)
    lab_down(SITE, plan.state_dir)
    try:
        lab_up(plan, environ={})
        yield folder, inv
    finally:
        lab_down(SITE, plan.state_dir)


def test_a_dozen_hosts_are_collected_concurrently(many: tuple[Path, Inventory]) -> None:
    folder, inv = many
    start = time.monotonic()
    run = collect_devices(list(inv.devices), site=SITE, root=folder, environ={},
                          options=RunOptions(workers=HOSTS,
                                             timeouts=Timeouts(connect=10.0, command=15.0)))
    took = time.monotonic() - start
    assert not run.failed, run.failed
    assert {r.facts.facts.hostname for r in run.results if r.facts} == {
        d.id for d in inv.devices}
    busy = sum(r.seconds for r in run.results)
    assert took < busy / 3, (took, busy)  # a dozen sessions overlapped, not queued


def test_one_worker_queues_them(many: tuple[Path, Inventory]) -> None:
    folder, inv = many
    devices = list(inv.devices)[:3]
    start = time.monotonic()
    run = collect_devices(devices, site=SITE, root=folder, environ={},
                          options=RunOptions(workers=1))
    took = time.monotonic() - start
    assert not run.failed
    assert took >= sum(r.seconds for r in run.results) * 0.95
