"""The run inventory (secrets vaulted, host keys checked, groups of the export), the shipped
catalogue and the known_hosts resolution, without running ansible."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from egovops.errors import InputError
from egovops.load import load_inventory
from egovops.playbooks.catalog import find_playbook, list_playbooks
from egovops.playbooks.hostkeys import resolve_known_hosts
from egovops.playbooks.inventory import NO_CREDENTIALS, target_hosts, write_run_inventory
from tests.conftest import REPO

LAB = REPO / "inventories" / "example-lab"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!vault", lambda loader, node: ("VAULT", loader.construct_scalar(node)))


def _decrypt(password: str, text: str) -> str:
    from ansible.parsing.vault import VaultLib, VaultSecret

    lib = VaultLib([("default", VaultSecret(password.encode()))])
    return str(lib.decrypt(text.encode()).decode())


def _site(tmp_path: Path, extra: str = "") -> Path:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(LAB, site, ignore=shutil.ignore_patterns(".lab"))
    if extra:
        (site / "devices-test.yaml").write_text(extra, encoding="utf-8")
    return site


EXTRA = """
devices:
  - id: t-pass
    role: host
    zone: outer
    mgmt: 10.30.99.2
    credentials:
      password: {env: T_PASS}
      ssh_key: {file: /nonexistent/key}
  - id: t-envkey
    role: host
    zone: outer
    mgmt: 10.30.99.3
    credentials:
      ssh_key: {env: T_KEY, file: null}
  - id: t-nocreds
    role: host
    zone: outer
    mgmt: 10.30.99.4
    credentials:
      password: {env: T_UNSET}
      ssh_key: {file: /nonexistent/key}
"""


def test_run_inventory_vaults_passwords_and_writes_env_keys_0600(tmp_path: Path) -> None:
    site = _site(tmp_path, EXTRA)
    (site / ".lab").mkdir()
    (site / ".lab" / "id_ed25519").write_text("KEY FILE\n")
    (site / ".lab" / "id_ed25519_inner").write_text("KEY FILE\n")
    inv = load_inventory(site)
    private = tmp_path / "private"
    env = {"EGOVOPS_LAB_PASSWORD": "lab-secret-1", "T_PASS": "t-secret-2",
           "T_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"}
    run = write_run_inventory(inv, private, tmp_path / "known_hosts", env)
    text = run.path.read_text()
    assert stat.S_IMODE(run.path.stat().st_mode) == 0o600
    for secret in ("lab-secret-1", "t-secret-2", "abc"):
        assert secret not in text
    assert "lookup(" not in text  # no secret travels through the environment
    data = yaml.load(text, Loader=_Loader)
    hosts = data["all"]["hosts"]
    # a host with a key logs in by key only: its password is not even in the inventory
    assert "ansible_password" not in hosts["lab-core"]
    assert hosts["lab-core"]["ansible_ssh_private_key_file"] == str(site / ".lab/id_ed25519")
    kind, cipher = hosts["t-pass"]["ansible_password"]
    assert kind == "VAULT" and run.vault_password is not None
    assert _decrypt(run.vault_password, cipher) == "t-secret-2"
    key = Path(hosts["t-envkey"]["ansible_ssh_private_key_file"])
    assert key.read_text().startswith("-----BEGIN") and stat.S_IMODE(key.stat().st_mode) == 0o600
    args = hosts["lab-core"]["ansible_ssh_common_args"]
    assert f"-F {site / '.lab/ssh_config'}" in args
    assert "StrictHostKeyChecking=yes" in args and "UserKnownHostsFile=" in args
    assert hosts["lab-fw"]["egovops_backup_command"] == "nft list ruleset"
    assert hosts["lab-fw"]["egovops_backup_file"] == "lab-fw.nft"
    # the groups of the export, plus every platform and role group even when empty
    children = data["all"]["children"]
    assert "lab-fw" in children["role_firewall"]["hosts"]
    assert "lab-acc-east-a" in children["tier_3"]["hosts"]
    assert children["platform_huawei_vrp"]["hosts"] == {}
    # a host whose credentials cannot be resolved is held apart, with why
    assert set(run.skipped) == {"t-nocreds"}
    assert "T_UNSET" in run.skipped["t-nocreds"]
    assert "t-nocreds" in children[NO_CREDENTIALS]["hosts"]
    assert "t-nocreds" not in run.hosts


def test_target_hosts_follow_ansible_patterns(tmp_path: Path) -> None:
    site = _site(tmp_path)
    run = write_run_inventory(load_inventory(site), tmp_path / "p", tmp_path / "kh", {})
    assert target_hosts(run.path, ["platform_linux:&role_firewall"], None) == ["lab-fw"]
    assert set(target_hosts(run.path, ["all:!unmanaged"], "zone_dmz")) == {"lab-web"}
    assert target_hosts(run.path, ["role_vpn_gateway"], "lab-core") == []


def test_the_four_playbooks_are_shipped_with_their_headers() -> None:
    books = {b.name: b for b in list_playbooks()}
    assert set(books) == {"backup-configs", "firewall-baseline", "distribute-crl",
                          "harden-ssh"}
    assert not books["backup-configs"].changes
    assert all(books[n].changes for n in ("firewall-baseline", "distribute-crl", "harden-ssh"))
    assert books["firewall-baseline"].patterns == ("platform_linux:&role_firewall",)
    assert find_playbook("harden-ssh").path.name == "harden-ssh.yml"
    with pytest.raises(InputError, match="shipped: backup-configs"):
        find_playbook("nope")


def test_headerless_playbook_is_bad_input(tmp_path: Path) -> None:
    book = tmp_path / "x.yml"
    book.write_text("- hosts: all\n  tasks: []\n")
    with pytest.raises(InputError) as exc:
        find_playbook(str(book))
    assert {p.message for p in exc.value.problems} == {
        "header lacks '# description: …'", "header lacks '# targets: …'",
        "header lacks '# changes: …'"}


def test_known_hosts_resolution_order(tmp_path: Path) -> None:
    site = _site(tmp_path)
    inv = load_inventory(site)
    with pytest.raises(InputError, match="host keys are always checked"):
        resolve_known_hosts(inv, None, tmp_path)
    nodes = site / ".lab" / "nodes" / "lab-fw"
    nodes.mkdir(parents=True)
    (nodes / "ssh_host_ed25519_key.pub").write_text("ssh-ed25519 AAAAfw lab-fw-host\n")
    built = resolve_known_hosts(inv, None, tmp_path)
    assert built.read_text() == "10.30.10.3 ssh-ed25519 AAAAfw\n"
    (site / "known_hosts").write_text("site\n")
    assert resolve_known_hosts(inv, None, tmp_path) == site / "known_hosts"
    explicit = tmp_path / "mine"
    explicit.write_text("x\n")
    assert resolve_known_hosts(inv, explicit, tmp_path) == explicit
    with pytest.raises(InputError, match="no such file"):
        resolve_known_hosts(inv, tmp_path / "missing", tmp_path)
