"""The namespace lab as a session fixture: built once from a copy of inventories/example-lab.

The copy gets its own site id (namespaces ``egv-itest-…``, so a developer's running example lab
is left alone) and two extra devices for failure tests: ``t-hung`` (a listener that accepts TCP
and never answers, the lab's ``lab-tarpit`` fault) and ``t-badpass`` (password login only). The
lab is removed at the end of the session, also when tests fail.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egovops.lab import LabPlan, lab_down, lab_up, plan_lab
from egovops.load import load_inventory
from egovops.model.inventory import Inventory
from tests.conftest import REPO, require_tool

LAB_SOURCE = REPO / "inventories" / "example-lab"
SITE = os.environ.get("EGOVOPS_ITEST_SITE", "itest")
"""Site id of the test lab (namespaces ``egv-<SITE>-…``); override it to run two test sessions
side by side on one machine."""
LAB_PASSWORD = "lab-Pass-4711"
BADPASS_RIGHT = "right-Pass-0815"

EXTRA_DEVICES = """
# failure cases for the collection tests
devices:
  - id: t-hung
    name: accepts TCP, never answers
    role: host
    zone: outer
    mgmt: 10.30.99.1
    tags: [lab-tarpit]
  - id: t-badpass
    name: password login only
    role: host
    zone: outer
    mgmt: 10.30.99.2
    credentials:
      password: {env: EGOVOPS_TEST_BADPASS}
      ssh_key: {file: /nonexistent/egovops-no-key}
"""


@dataclass(frozen=True)
class Lab:
    """A running lab and what the tests need to talk to it."""

    path: Path
    inventory: Inventory
    plan: LabPlan
    environ: dict[str, str]


def require_lab() -> None:
    """Skip (or fail under scripts/test) when the lab cannot run here."""
    if os.geteuid() != 0:
        if os.environ.get("EGOVOPS_REQUIRE_TOOLS") == "1":
            pytest.fail("the lab tests need root")
        pytest.skip("the lab needs root")
    for tool in ("ip", "nsenter", "unshare", "sshd", "lldpd", "lldpcli", "nft", "nc",
                 "ssh-keygen", "openssl"):
        require_tool(tool)


def copy_lab(target: Path, site: str, extra: str = "") -> Path:
    """A copy of the example lab with site id ``site`` (and ``extra`` YAML devices)."""
    shutil.copytree(LAB_SOURCE, target, ignore=shutil.ignore_patterns(".lab"))
    site_yaml = target / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    site_yaml.write_text(text.replace("\n  id: lab\n", f"\n  id: {site}\n", 1),
                         encoding="utf-8")
    if extra:
        (target / "devices-test.yaml").write_text(textwrap.dedent(extra), encoding="utf-8")
    return target


def wait_for_lldp(seconds: float = 3.0) -> None:
    """lldpd sends every second (tx-interval 1): a few seconds see every neighbour."""
    time.sleep(seconds)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The example lab (plus t-hung and t-badpass), up for the whole session."""
    require_lab()
    path = copy_lab(tmp_path_factory.mktemp("lab") / "site", SITE, EXTRA_DEVICES)
    inv = load_inventory(path)
    plan = plan_lab(inv)
    env = {**os.environ, "EGOVOPS_LAB_PASSWORD": LAB_PASSWORD,
           "EGOVOPS_LAB_INNER_PASSWORD": LAB_PASSWORD, "EGOVOPS_TEST_BADPASS": BADPASS_RIGHT}
    lab_down(SITE, plan.state_dir)  # leftovers of a crashed run
    try:
        lab_up(plan, environ=env)
        wait_for_lldp()
        yield Lab(path, inv, plan, env)
    finally:
        lab_down(SITE, plan.state_dir)
