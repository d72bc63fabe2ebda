"""The playbooks that change devices, against the lab: firewall-baseline (kernel verdicts before
and after, rollback), harden-ssh (sshd -t, reload, password login refused) and distribute-crl
(a real ocserv inside the SSL-VPN gateway's namespace refuses a revoked USB-KEY after it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from egovops.lab.system import NETNS_DIR
from egovops.pki import CertificateAuthority, CertRequest, San
from egovops.pki.issue import issue_software, issue_usbkey
from tests.conftest import REPO, require_tool
from tests.integration.conftest import LAB_PASSWORD, Lab
from tests.integration.test_pki_token import (  # noqa: F401 - fixtures
    PIN,
    Hsm,
    _usbkey_request,
    ca,
    hsm,
)
from tests.integration.test_playbooks import in_ns, playbook

pytestmark = pytest.mark.integration

POLICY = str(REPO / "policies")
RISKY_FLOW = """
flows:
  - name: telnet from the internet to the web server (the audit rejects it)
    source: internet
    target: dmz
    dst: [10.40.0.11/32]
    services: [{proto: tcp, ports: [23]}]
    via: [lab-fw]
"""


def ping(lab: Lab, device: str, address: str) -> bool:
    """Whether ``device`` gets an answer from ``address`` (one echo request, 1 s)."""
    return subprocess.run(["nsenter", f"--net={NETNS_DIR / (lab.plan.prefix + device)}",
                           "ping", "-c", "1", "-W", "1", address],
                          capture_output=True, check=False).returncode == 0


@pytest.fixture
def lab_fw(lab: Lab) -> Iterator[str]:
    """lab-fw's ruleset before the test; loaded again afterwards."""
    before = in_ns(lab, "lab-fw", "nft", "list", "ruleset")
    try:
        yield before
    finally:
        in_ns(lab, "lab-fw", "nft", "-f", str(lab.path / "configs" / "lab-fw.nft"))
        (lab.path / "flows-test.yaml").unlink(missing_ok=True)


def test_firewall_baseline_check_changes_nothing_then_applies_and_rolls_back(
        lab: Lab, tmp_path: Path, lab_fw: str) -> None:
    # before: lab-fw lets the jump host ping out to the internet (undeclared)
    assert ping(lab, "lab-jump", "203.0.113.1")
    assert ping(lab, "lab-jump", "10.20.0.9")

    code, data, err = playbook(lab, tmp_path, "firewall-baseline", "--check", "--diff",
                               "--policy", POLICY)
    assert code == 0, (data, err)
    assert set(data["hosts"]) == {"lab-fw"}
    assert data["hosts"]["lab-fw"]["status"] == "changed"
    assert "+table inet egovops_baseline {" in data["hosts"]["lab-fw"]["diff"]
    assert in_ns(lab, "lab-fw", "nft", "list", "ruleset") == lab_fw

    code, data, err = playbook(lab, tmp_path, "firewall-baseline", "--policy", POLICY)
    assert code == 0, (data, err)
    running = in_ns(lab, "lab-fw", "nft", "list", "ruleset")
    assert "table inet egovops_baseline" in running
    assert not ping(lab, "lab-jump", "203.0.113.1")  # undeclared: now dropped
    assert ping(lab, "lab-jump", "10.20.0.9")  # declared: still allowed

    code, data, err = playbook(lab, tmp_path, "firewall-baseline", "--policy", POLICY)
    assert code == 0 and data["hosts"]["lab-fw"]["status"] == "ok", (data, err)  # idempotent

    # a declared flow the audit rejects (telnet from the internet): applied, audited, rolled
    # back, exit 1
    (lab.path / "flows-test.yaml").write_text(RISKY_FLOW, encoding="utf-8")
    code, data, err = playbook(lab, tmp_path, "firewall-baseline", "--policy", POLICY)
    assert code == 1, (data, err)
    host = data["hosts"]["lab-fw"]
    assert host["status"] == "refused"
    assert "firewall.risky-service" in host["message"] or "telnet" in host["message"]
    assert in_ns(lab, "lab-fw", "nft", "list", "ruleset") == running


@pytest.fixture
def web_sshd(lab: Lab) -> Iterator[Path]:
    """lab-web's sshd_config; restored (and sshd reloaded) afterwards."""
    node = lab.plan.state_dir / "nodes" / "lab-web"
    config = node / "sshd_config"
    saved = config.read_text()
    try:
        yield config
    finally:
        config.write_text(saved)
        os.kill(int((node / "sshd.pid").read_text()), signal.SIGHUP)
        time.sleep(0.3)


def _password_login(lab: Lab) -> int:
    require_tool("sshpass")
    return subprocess.run(
        ["sshpass", "-e", "ssh", "-F", str(lab.plan.state_dir / "ssh_config"),
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
         "-o", "ConnectTimeout=5", "egvlab@10.40.255.1", "true"],
        env={**os.environ, "SSHPASS": LAB_PASSWORD}, capture_output=True, check=False,
        timeout=20).returncode


def test_harden_ssh_validates_reloads_and_refuses_passwords(lab: Lab, tmp_path: Path,
                                                           web_sshd: Path) -> None:
    assert _password_login(lab) == 0
    before = web_sshd.read_text()
    args = ("--limit", "lab-web", "-e", "egovops_sshd_permit_root_login=prohibit-password")
    code, data, err = playbook(lab, tmp_path, "harden-ssh", "--check", *args)
    assert code == 0 and data["hosts"]["lab-web"]["status"] == "changed", (data, err)
    assert web_sshd.read_text() == before

    code, data, err = playbook(lab, tmp_path, "harden-ssh", *args)
    assert code == 0 and data["hosts"]["lab-web"]["status"] == "changed", (data, err)
    sshd_pid = (web_sshd.parent / "sshd.pid").read_text().strip()
    effective = subprocess.run(["nsenter", "-t", sshd_pid, "-m", "-n", "sshd", "-T", "-f",
                                str(web_sshd)], capture_output=True, text=True,
                               check=True).stdout
    for line in ("passwordauthentication no", "kbdinteractiveauthentication no",
                 "permitrootlogin without-password", "logingracetime 30",
                 "clientaliveinterval 300", "maxauthtries 3"):
        assert line in effective
    assert "3des" not in effective and "hmac-sha1 " not in effective
    time.sleep(0.3)
    assert _password_login(lab) != 0  # the reloaded sshd refuses passwords

    code, data, err = playbook(lab, tmp_path, "harden-ssh", *args)
    assert code == 0 and data["hosts"]["lab-web"]["status"] == "ok", (data, err)


@pytest.fixture
def ocserv_in_lab(lab: Lab, hsm: Hsm, ca: CertificateAuthority,  # noqa: F811
                  tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """A real ocserv on 127.0.0.1 inside lab-sslvpn's namespace, trusting ``ca``: (its PKI
    folder, its pid file, its URL)."""
    ocserv = require_tool("ocserv")
    require_tool("openconnect")
    gw = issue_software(ca, CertRequest(profile="sslvpn-gateway", subject={"cn": "127.0.0.1"},
                                        sans=(San("ip", "127.0.0.1"),)), tmp_path / "gw")
    ca.publish_crl()
    pki = Path(tempfile.mkdtemp(prefix="egovops-ocserv-", dir="/tmp"))  # lab nodes: own /run
    pki.chmod(0o755)
    shutil.copy(ca.paths.chain, pki / "ca.pem")
    shutil.copy(ca.paths.crl_pem, pki / "crl.pem")
    ns = f"--net={NETNS_DIR / (lab.plan.prefix + 'lab-sslvpn')}"
    port = int(subprocess.run(  # a free port inside the gateway's namespace
        ["nsenter", ns, sys.executable, "-c", "import socket; s = socket.socket(); "
         "s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"],
        capture_output=True, text=True, check=True).stdout)
    pid = pki / "ocserv.pid"
    conf = tmp_path / "ocserv.conf"
    conf.write_text("\n".join([
        'auth = "certificate"', f"ca-cert = {pki / 'ca.pem'}", f"crl = {pki / 'crl.pem'}",
        "cert-user-oid = 0.9.2342.19200300.100.1.1", f"tcp-port = {port}",
        "listen-host = 127.0.0.1", "run-as-user = nobody", "run-as-group = nogroup",
        f"socket-file = {pki / 'ocserv.sock'}", f"server-cert = {gw.cert_path}",
        f"server-key = {gw.key_path}", "isolate-workers = false", "use-occtl = false",
        "max-clients = 16", "try-mtu-discovery = false", "auth-timeout = 30",
        "device = vpns", "ipv4-network = 192.168.199.0/24", f"pid-file = {pid}", "",
    ]))
    log = tmp_path / "ocserv.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["nsenter", ns, ocserv, "-f", "-c", str(conf)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["nsenter", ns, "nc", "-z", "127.0.0.1", str(port)],
                             check=False).returncode != 0:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield pki, pid, f"https://127.0.0.1:{port}/"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
        shutil.rmtree(pki, ignore_errors=True)


def test_distribute_crl_makes_ocserv_refuse_a_revoked_usbkey(
        lab: Lab, tmp_path: Path, hsm: Hsm, ca: CertificateAuthority,  # noqa: F811
        ocserv_in_lab: tuple[Path, Path, str]) -> None:
    pki, pid, url = ocserv_in_lab
    issued = issue_usbkey(ca, _usbkey_request(ca, "z001", "张三"), module=hsm.module,
                          token="ukey-a", pin=PIN)
    uri = f"pkcs11:token=ukey-a;object={issued.key_label}"
    ns = f"--net={NETNS_DIR / (lab.plan.prefix + 'lab-sslvpn')}"

    def login() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["nsenter", ns, "openconnect", "--authenticate", "--non-inter",
             "--protocol=anyconnect", "--cafile", str(pki / "ca.pem"), "-c",
             f"{uri};type=cert", "-k", f"{uri};type=private?pin-value={PIN}", url],
            env=hsm.env, capture_output=True, text=True, timeout=30,
            stdin=subprocess.DEVNULL, check=False)

    ok = login()
    assert ok.returncode == 0 and "COOKIE=" in ok.stdout, ok.stderr

    ca.revoke(issued.issued.record.serial, "keyCompromise")
    ca.publish_crl()
    still = login()  # the gateway has not seen the new CRL yet
    assert still.returncode == 0 and "COOKIE=" in still.stdout

    args = ("-e", f"egovops_ca_dir={ca.paths.root}", "-e", f"egovops_ocserv_dir={pki}",
            "-e", f"egovops_ocserv_reload=kill -HUP $(cat {pid})")
    code, data, err = playbook(lab, tmp_path, "distribute-crl", *args)
    assert code == 0, (data["hosts"]["lab-sslvpn"]["message"], err)
    assert data["hosts"]["lab-sslvpn"]["status"] == "changed"
    assert (pki / "crl.pem").read_bytes() == ca.paths.crl_pem.read_bytes()
    time.sleep(0.5)
    revoked = login()
    assert revoked.returncode != 0 and "COOKIE=" not in revoked.stdout

    code, data, err = playbook(lab, tmp_path, "distribute-crl", *args)
    assert code == 0 and data["hosts"]["lab-sslvpn"]["status"] == "ok", (data, err)
