"""Snapshots (atomic, read back), --limit selection, credential references and redaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from egovops.collect.credentials import CredentialError, Redactor, resolve_login
from egovops.collect.facts import DeviceFacts, LldpNeighbor
from egovops.collect.runner import DeviceResult, RunResult
from egovops.collect.select import select_devices
from egovops.collect.snapshot import Snapshot, write_snapshot
from egovops.errors import InputError, UsageError
from egovops.load import load_inventory
from egovops.model.inventory import Credentials, SecretRef
from tests.conftest import REPO

LAB = REPO / "inventories" / "example-lab"


def _run() -> RunResult:
    facts = DeviceFacts(device="a", collector="fake", collected_at="2024-01-01T00:00:00+00:00",
                        lldp=(LldpNeighbor(local_interface="eth0", remote_system_name="b"),),
                        configs={"nftables": "table inet filter {}"})
    return RunResult(site="s", started="t0", finished="t1", results=(
        DeviceResult("a", True, "fake", 0.1, 1, facts=facts),
        DeviceResult("b", False, "fake", 2.0, 1, error="no banner", error_kind="timeout"),
    ))


def test_snapshot_round_trip_and_no_temporary_folder_left(tmp_path: Path) -> None:
    now = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    folder = write_snapshot(_run(), tmp_path, now=now)
    again = write_snapshot(_run(), tmp_path, now=now)
    assert folder.name == "s-20240501T083000Z" and again.name == "s-20240501T083000Z-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name, again.name]
    snap = Snapshot(folder)
    assert set(snap.facts) == {"a"}
    assert snap.facts["a"].lldp[0].remote_system_name == "b"
    assert snap.config("a", "nftables") == "table inet filter {}\n"
    assert "configs" not in json.loads((folder / "facts" / "a.json").read_text())
    assert snap.devices["b"]["error_kind"] == "timeout"
    assert json.loads((folder / "errors.json").read_text()) == [
        {"device": "b", "kind": "timeout", "error": "no banner"}]


def test_not_a_snapshot(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a snapshot"):
        Snapshot(tmp_path)


def test_limit_terms_and_alternatives() -> None:
    inv = load_inventory(LAB)

    def ids(*limits: str) -> set[str]:
        return {d.id for d in select_devices(inv, list(limits))}

    assert ids("zone=outer,tier=2") == {"lab-agg-east", "lab-agg-west"}
    assert ids("zone=inner", "role=firewall") == {"lab-in-sw", "lab-in-srv", "lab-in-pc",
                                                  "lab-fw"}
    assert ids("id=lab-acc-*") == {"lab-acc-east-a", "lab-acc-east-b", "lab-acc-west-a"}
    assert len(ids()) == len(inv.devices)
    with pytest.raises(UsageError):
        ids("colour=red")
    with pytest.raises(UsageError, match="matches no device"):
        ids("zone=nowhere")


def test_login_from_references(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-file\n")
    (tmp_path / "key").write_text("KEY")
    creds = Credentials(username="ops", password=SecretRef(file="pw"),
                        ssh_key=SecretRef(file="key"), ssh_config="cfg")
    redactor = Redactor()
    login = resolve_login(creds, tmp_path, {}, redactor)
    assert login.password == "from-file" and login.key_file == str(tmp_path / "key")
    assert login.ssh_config == str(tmp_path / "cfg")
    assert "from-file" not in repr(login)
    assert redactor("error: from-file rejected") == "error: *** rejected"


def test_login_key_alone_is_enough_but_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("KEY")
    creds = Credentials(username="ops", password=SecretRef(env="NOPE"),
                        ssh_key=SecretRef(file="key"))
    assert resolve_login(creds, tmp_path, {}).password is None
    with pytest.raises(CredentialError, match="NOPE"):
        resolve_login(Credentials(username="ops", password=SecretRef(env="NOPE")),
                      tmp_path, {})
