"""The inventory of one playbook run: the model's Ansible inventory, with secrets made safe.

The grouping (zone, tier, role, platform, unit, node, group) is the one of
:func:`egovops.export.ansible.ansible_inventory`. What differs from the export is how secrets
travel: the export writes ``lookup('env', …)`` expressions, which would need the secret in the
runner's environment — and ansible-runner records that environment in ``artifacts/<id>/command``.
Here every secret value is encrypted with ansible-vault under a random password made for this
run only (handed to ``ansible-playbook`` through the pexpect prompt, never written), and key
material given as an environment reference is written 0600 into the run's private folder, which
is removed afterwards. Host key checking is on, against the run's known_hosts.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from egovops.collect.credentials import CredentialError, Redactor, resolve_login, resolve_secret
from egovops.export.ansible import ansible_inventory, group_name
from egovops.fsio import write_atomic
from egovops.model.inventory import Device, DeviceRole, Inventory
from egovops.model.platforms import PLATFORMS

BACKUP_COMMANDS: dict[str, tuple[str, str]] = {
    "huawei_vrp": ("display current-configuration", "cfg"),
    "huawei_usg": ("display current-configuration", "cfg"),
    "h3c_comware": ("display current-configuration", "cfg"),
    "ios": ("show running-config", "cfg"),
    "nxos": ("show running-config", "cfg"),
    "asa": ("show running-config", "cfg"),
    "eos": ("show running-config", "cfg"),
    "junos": ("show configuration | display set", "cfg"),
    "linux": ("nft list ruleset", "nft"),
    "linux_iptables": ("iptables-save", "rules"),
}
"""Per platform: the command printing the running configuration, and the backup file suffix."""


def backup_file(device: Device) -> str:
    """Name of the device's file in the configuration history (one file per device)."""
    suffix = BACKUP_COMMANDS.get(device.platform, ("", "cfg"))[1]
    return f"{device.id}.{suffix}"


class Vaulted(str):
    """A value written as an inline ``!vault`` scalar."""

    __slots__ = ()


def _vaulted(dumper: yaml.SafeDumper, value: Vaulted) -> yaml.ScalarNode:
    return dumper.represent_scalar("!vault", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Vaulted, _vaulted)


@dataclass
class Vault:
    """Encrypts values for one run under a fresh random password."""

    password: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    used: bool = False

    def encrypt(self, value: str) -> Vaulted:
        """``value`` as ansible-vault ciphertext."""
        from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: PLC0415 - heavy

        lib = VaultLib([("default", VaultSecret(self.password.encode()))])
        self.used = True
        return Vaulted(lib.encrypt(value).decode("ascii"))


@dataclass(frozen=True)
class RunInventory:
    """The written inventory and what the run must know about it."""

    path: Path
    hosts: tuple[str, ...]
    skipped: dict[str, str]
    """Hosts left out, with why (credentials that cannot be resolved)."""
    groups: frozenset[str]
    vault_password: str | None = field(repr=False)
    redactor: Redactor = field(repr=False)


NO_CREDENTIALS = "egovops_no_credentials"
"""Group of the hosts whose credentials cannot be resolved; every run excludes it."""

SECRET_VARS = ("ansible_password", "ansible_become_password", "egovops_ssh_key_env")


def _host(inv: Inventory, device: Device, hv: dict[str, Any], private: Path,
          known_hosts: Path, environ: Mapping[str, str], vault: Vault,
          redactor: Redactor) -> None:
    """Replace the export's secret lookups in ``hv`` by vaulted values and safe paths."""
    root = Path(inv.root).resolve()
    for name in SECRET_VARS:
        hv.pop(name, None)
    creds = device.credentials
    ssh_args = ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes"]
    if creds is not None:
        key_file = None
        if creds.ssh_key is not None and creds.ssh_key.env is not None:
            material = resolve_secret(creds.ssh_key, root, environ)
            redactor.add(material)
            key_path = private / "keys" / device.id
            write_atomic(key_path, material.rstrip("\n") + "\n", mode=0o600)
            key_file = str(key_path)
            creds = creds.model_copy(update={"ssh_key": None})
        login = resolve_login(creds, root, environ, redactor)
        key_file = key_file or login.key_file
        if login.username:
            hv["ansible_user"] = (vault.encrypt(login.username)
                                  if not isinstance(creds.username, str) else login.username)
        network = hv.get("ansible_connection") == "ansible.netcommon.network_cli"
        if key_file is not None:
            hv["ansible_ssh_private_key_file"] = key_file
        else:
            hv.pop("ansible_ssh_private_key_file", None)
        # an SSH host with a key logs in by key only (no sshpass, no password on the wire)
        if login.password is not None and (network or key_file is None):
            hv["ansible_password"] = vault.encrypt(login.password)
        if login.enable is not None:
            hv["ansible_become_password"] = vault.encrypt(login.enable)
            if network:
                hv["ansible_become"] = True
                hv["ansible_become_method"] = "ansible.netcommon.enable"
        if login.ssh_config is not None:
            ssh_args = ["-F", login.ssh_config, *ssh_args]
    hv["ansible_ssh_common_args"] = shlex.join(ssh_args)
    lab_node = root / ".lab" / "nodes" / device.id
    if (lab_node / "sshd_config").is_file():  # a lab node: its own sshd, not the machine's
        hv["egovops_sshd_config"] = str(lab_node / "sshd_config")
        hv["egovops_sshd_reload"] = f"kill -HUP $(cat {shlex.quote(str(lab_node / 'sshd.pid'))})"
    command, _ = BACKUP_COMMANDS.get(device.platform, ("", ""))
    if command:
        hv["egovops_backup_command"] = command
    hv["egovops_backup_file"] = backup_file(device)


def target_hosts(path: Path, patterns: Sequence[str], limit: str | None) -> list[str]:
    """The hosts a run of plays with host ``patterns`` and ``--limit`` reaches, in order
    (ansible's own pattern matching; vaulted values stay encrypted)."""
    from ansible.inventory.manager import InventoryManager  # noqa: PLC0415 - heavy
    from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415

    manager = InventoryManager(loader=DataLoader(), sources=[str(path)])
    if limit:
        manager.subset(limit)
    found: list[str] = []
    for pattern in patterns:
        for host in manager.get_hosts(pattern="all" if "{{" in pattern else pattern):
            if host.name not in found:
                found.append(host.name)
    return found


def write_run_inventory(inv: Inventory, private: Path, known_hosts: Path,
                        environ: Mapping[str, str]) -> RunInventory:
    """Write the run's inventory (``private/inventory/hosts.yml``, 0600)."""
    data = ansible_inventory(inv)
    hosts: dict[str, Any] = data["all"]["hosts"]
    vault = Vault()
    redactor = Redactor()
    skipped: dict[str, str] = {}
    by_id = inv.device_by_id
    for host_id in list(hosts):
        device = by_id[host_id]
        if not device.napalm and not device.netmiko:
            for name in SECRET_VARS:
                hosts[host_id].pop(name, None)
            continue  # unmanaged: stays in the inventory's groups, nothing to log in with
        try:
            _host(inv, device, hosts[host_id], private, known_hosts, environ, vault, redactor)
        except CredentialError as exc:
            skipped[host_id] = str(exc)
    for host_id, why in skipped.items():
        hosts[host_id] = {"egovops_not_run": why}
    if skipped:
        data["all"]["children"][NO_CREDENTIALS] = {"hosts": dict.fromkeys(sorted(skipped))}
    # groups the playbooks name exist even when empty (no "could not match" warnings)
    for group in ("unmanaged", *(group_name("platform", p) for p in PLATFORMS),
                  *(group_name("role", r.value) for r in DeviceRole)):
        data["all"]["children"].setdefault(group, {"hosts": {}})
    path = private / "inventory" / "hosts.yml"
    write_atomic(path, yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False),
                 mode=0o600)
    return RunInventory(path, tuple(h for h in hosts if h not in skipped), skipped,
                        frozenset(data["all"]["children"]),
                        vault.password if vault.used else None, redactor)
