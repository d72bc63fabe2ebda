"""The exported inventory read by the real ``ansible-inventory`` (ansible-core)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from egovops.cli.main import main
from tests.conftest import EXAMPLE, require_tool


def _ansible_inventory() -> str:
    beside = Path(sys.executable).parent / "ansible-inventory"
    return str(beside) if beside.exists() else require_tool("ansible-inventory")


def test_ansible_inventory_accepts_the_export(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "inventory.json"
    assert main(["inventory", "export", "ansible", str(EXAMPLE), "-o", str(target)]) == 0
    capsys.readouterr()
    env = {**os.environ, "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
           "ANSIBLE_HOME": str(tmp_path / "home"), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
           "EGOVOPS_SSH_PASSWORD": "not-a-real-secret"}
    result = subprocess.run(
        [_ansible_inventory(), "-i", str(target), "--list", "--export"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    exported = json.loads(target.read_text(encoding="utf-8"))
    hosts = set(exported["all"]["hosts"])
    assert set(listing["_meta"]["hostvars"]) == hosts
    for group in ("zone_outer", "zone_inner", "tier_1", "tier_2", "tier_3", "role_firewall",
                  "platform_huawei_vrp"):
        assert listing[group]["hosts"], group
    # every zone group holds exactly the devices of that zone
    outer = {h for h, v in exported["all"]["hosts"].items() if v["egovops_zone"] == "outer"}
    assert set(listing["zone_outer"]["hosts"]) == outer
