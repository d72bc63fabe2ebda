"""USB-KEY issuance on a real SoftHSM2 token, and the SSL-VPN login through a real ocserv with
the real openconnect client using the token key through ``pkcs11:`` URIs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509

from egovops.cli.main import main
from egovops.pki import CaConfig, CaKeyConfig, CertificateAuthority, CertRequest, San, init_ca
from egovops.pki.export import export_ocserv
from egovops.pki.issue import issue_software, issue_usbkey
from egovops.pki.token import TokenKeyStore, release_module
from tests.conftest import REPO, require_tool

pytestmark = pytest.mark.integration

PROFILES = REPO / "policies" / "pki-profiles.yaml"
PASSPHRASE = "integration-passphrase"
PIN = "123456"
SO_PIN = "12345678"
MODULE_PATHS = ("/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class Hsm:
    conf: Path
    module: str
    env: dict[str, str]

    def init_token(self, label: str) -> None:
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                        "--so-pin", SO_PIN, "--pin", PIN], env=self.env, check=True,
                       capture_output=True)


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hsm]:
    require_tool("softhsm2-util")
    module = next((m for m in MODULE_PATHS if Path(m).exists()), None)
    if module is None:
        require_tool("libsofthsm2.so")  # fails in CI, skips elsewhere
        raise AssertionError("unreachable")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", encoding="utf-8")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    hsm = Hsm(conf, module, env)
    hsm.init_token("ukey-a")
    yield hsm
    release_module(module)


@pytest.fixture
def ca(tmp_path: Path) -> Iterator[CertificateAuthority]:
    path = tmp_path / "ca"
    init_ca(path, CaConfig(), PROFILES, PASSPHRASE)
    with CertificateAuthority(path) as authority:
        authority.unlock(PASSPHRASE)
        yield authority


def _usbkey_request(ca: CertificateAuthority, uid: str, name: str) -> CertRequest:
    return CertRequest(profile="usbkey-user",
                       subject={"c": "CN", "o": ca.config.organization, "ou": "教育局",
                                "cn": name, "uid": uid},
                       on_token=True, unit="教育局", holder=uid)


def test_usbkey_key_on_token_is_non_extractable_and_cert_sits_beside_it(
    hsm: Hsm, ca: CertificateAuthority, tmp_path: Path
) -> None:
    result = issue_usbkey(ca, _usbkey_request(ca, "l002", "李四"), module=hsm.module,
                          token="ukey-a", pin=PIN)
    cert = result.issued.certificate
    rec = ca.ledger.get(result.issued.record.serial)
    assert rec is not None and rec.token_serial == result.token_serial != ""

    lib = pkcs11.lib(hsm.module)
    token = lib.get_token(token_label="ukey-a")
    with token.open() as public:  # no login: the certificate must be findable
        certs = list(public.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE}))
        assert len(certs) == 1
        assert certs[0][pkcs11.Attribute.ID].hex() == result.key_id
        assert certs[0][pkcs11.Attribute.SUBJECT] == cert.subject.public_bytes()
        assert certs[0][pkcs11.Attribute.PRIVATE] is False
        assert x509.load_der_x509_certificate(certs[0][pkcs11.Attribute.VALUE]) == cert
        assert not list(public.get_objects({pkcs11.Attribute.CLASS:
                                            pkcs11.ObjectClass.PRIVATE_KEY}))
    with token.open(user_pin=PIN) as session:
        key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY,
                              id=bytes.fromhex(result.key_id))
        assert key[pkcs11.Attribute.SENSITIVE] is True
        assert key[pkcs11.Attribute.EXTRACTABLE] is False
        assert key[pkcs11.Attribute.NEVER_EXTRACTABLE] is True
        with pytest.raises(pkcs11.PKCS11Error):
            key[pkcs11.Attribute.VALUE]  # reading it must fail
    release_module(hsm.module)

    # the CA's issuance is what openssl sees on the token
    p11tool = require_tool("p11tool")
    listing = subprocess.run([p11tool, "--list-all-certs", "pkcs11:token=ukey-a"],
                             env=hsm.env, capture_output=True, text=True, check=True).stdout
    assert "type=cert" in listing and result.key_label in listing
    pem = tmp_path / "token.crt"
    subprocess.run([p11tool, "--export", f"pkcs11:token=ukey-a;object={result.key_label};"
                    "type=cert", "--outfile", str(pem)], env=hsm.env, check=True,
                   capture_output=True)
    openssl = require_tool("openssl")
    subprocess.run([openssl, "verify", "-CAfile", str(ca.paths.chain), "-purpose", "sslclient",
                    str(pem)], check=True, capture_output=True)


def test_refused_usbkey_request_leaves_the_token_untouched(
    hsm: Hsm, ca: CertificateAuthority
) -> None:
    from egovops.pki.errors import ProfileError

    with pytest.raises(ProfileError):
        issue_usbkey(ca, _usbkey_request(ca, "bad id!", "x"), module=hsm.module,
                     token="ukey-a", pin=PIN)
    with TokenKeyStore(hsm.module, "ukey-a", PIN) as store:
        assert store.objects() == []


def test_token_cli_list_and_show(hsm: Hsm, ca: CertificateAuthority,
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    issue_usbkey(ca, _usbkey_request(ca, "w003", "王五"), module=hsm.module, token="ukey-a",
                 pin=PIN)
    assert main(["--lang", "en", "pki", "token", "list", "--module", hsm.module,
                 "--format", "json"]) == 0
    tokens = json.loads(capsys.readouterr().out)
    assert [t["label"] for t in tokens if t["initialized"]] == ["ukey-a"]
    assert main(["--lang", "en", "pki", "token", "show", "--module", hsm.module, "--token",
                 "ukey-a", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {o["kind"] for o in shown["objects"]} == {"certificate", "public-key"}
    monkeypatch.setenv("EGOVOPS_TOKEN_PIN", PIN)
    assert main(["--lang", "en", "pki", "token", "show", "--module", hsm.module, "--token",
                 "ukey-a", "--login", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    priv = [o for o in shown["objects"] if o["kind"] == "private-key"]
    assert priv and priv[0]["extractable"] is False and priv[0]["sensitive"] is True
    monkeypatch.setenv("EGOVOPS_TOKEN_PIN", "000000")
    assert main(["--lang", "en", "pki", "token", "show", "--module", hsm.module, "--token",
                 "ukey-a", "--login"]) == 2
    assert "wrong PIN" in capsys.readouterr().err


def test_ca_key_on_token_signs_certificates_and_crls(hsm: Hsm, tmp_path: Path) -> None:
    hsm.init_token("ca-hsm")
    path = tmp_path / "token-ca"
    init_ca(path, CaConfig(ca_key=CaKeyConfig(kind="pkcs11", module=hsm.module,
                                              token="ca-hsm")),
            PROFILES, PASSPHRASE, token_pin=PIN)
    assert not (path / "issuing" / "key.pem").exists()
    with CertificateAuthority(path) as ca:
        ca.unlock(PIN)
        out = issue_software(ca, CertRequest(profile="device-mgmt", subject={"cn": "fw1"},
                                             sans=(San("ip", "10.0.0.1"),)), tmp_path / "o")
        ca.revoke(out.issued.record.serial, "superseded")
        info = ca.publish_crl()
        chain = ca.paths.chain
    openssl = require_tool("openssl")
    subprocess.run([openssl, "verify", "-CAfile", str(chain), str(out.cert_path)], check=True,
                   capture_output=True)
    crl_check = subprocess.run([openssl, "verify", "-crl_check", "-CAfile", str(chain),
                                "-CRLfile", str(info.pem_path), str(out.cert_path)],
                               capture_output=True, text=True, check=False)
    assert crl_check.returncode != 0 and "revoked" in crl_check.stdout + crl_check.stderr


# ---- ocserv + openconnect ---------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gateway:
    port: int
    process: subprocess.Popen[bytes]
    export_dir: Path
    log: Path

    def reload(self) -> None:
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)


@pytest.fixture
def gateway(hsm: Hsm, ca: CertificateAuthority, tmp_path: Path) -> Iterator[Gateway]:
    ocserv = require_tool("ocserv")
    require_tool("openconnect")
    if os.geteuid() != 0:
        pytest.skip("ocserv drops privileges to nobody: run as root")
    gw = issue_software(ca, CertRequest(profile="sslvpn-gateway", subject={"cn": "127.0.0.1"},
                                        sans=(San("ip", "127.0.0.1"),)), tmp_path / "gw")
    ca.publish_crl()
    export = tmp_path / "ocserv"
    export_ocserv(ca, export)
    # the unprivileged workers must reach the socket: not below pytest's 0700 tmp dirs
    sockdir = Path(tempfile.mkdtemp(prefix="egovops-ocserv-", dir="/run"
                                    if os.access("/run", os.W_OK) else None))
    sockdir.chmod(0o755)
    port = _free_port()
    conf = tmp_path / "ocserv.conf"
    conf.write_text("\n".join([
        (export / "ocserv-pki.conf").read_text(encoding="utf-8"),
        f"tcp-port = {port}",
        "listen-host = 127.0.0.1",
        "run-as-user = nobody",
        "run-as-group = nogroup",
        f"socket-file = {sockdir / 'ocserv.sock'}",
        f"server-cert = {gw.cert_path}",
        f"server-key = {gw.key_path}",
        "isolate-workers = false",
        "use-occtl = false",
        "max-clients = 16",
        "keepalive = 32400",
        "dpd = 90",
        "try-mtu-discovery = false",
        "auth-timeout = 30",
        "cookie-timeout = 300",
        "device = vpns",
        "ipv4-network = 192.168.199.0/24",
        f"pid-file = {tmp_path / 'ocserv.pid'}",
        "",
    ]), encoding="utf-8")
    log = tmp_path / "ocserv.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([ocserv, "-f", "-c", str(conf)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise AssertionError("ocserv exited:\n" + log.read_text(errors="replace"))
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("ocserv did not listen:\n" + log.read_text())
            time.sleep(0.05)
        yield Gateway(port, proc, export, log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        shutil.rmtree(sockdir, ignore_errors=True)


def _login(gw: Gateway, hsm: Hsm, cert: str | None,
           key: str | None) -> subprocess.CompletedProcess[str]:
    cmd = ["openconnect", "--authenticate", "--non-inter", "--protocol=anyconnect",
           "--cafile", str(gw.export_dir / "ca.pem"), f"https://127.0.0.1:{gw.port}/"]
    if cert:
        cmd += ["-c", cert]
    if key:
        cmd += ["-k", key]
    return subprocess.run(cmd, env=hsm.env, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL, check=False)


def test_sslvpn_login_with_usbkey_revocation_foreign_ca_and_no_cert(
    gateway: Gateway, hsm: Hsm, ca: CertificateAuthority, tmp_path: Path
) -> None:
    issued = issue_usbkey(ca, _usbkey_request(ca, "z001", "张三"), module=hsm.module,
                          token="ukey-a", pin=PIN)
    uri = f"pkcs11:token=ukey-a;object={issued.key_label}"
    cert_uri, key_uri = f"{uri};type=cert", f"{uri};type=private?pin-value={PIN}"

    ok = _login(gateway, hsm, cert_uri, key_uri)
    assert ok.returncode == 0, ok.stderr + gateway.log.read_text()
    assert "COOKIE=" in ok.stdout

    # no certificate at all
    none = _login(gateway, hsm, None, None)
    assert none.returncode != 0 and "COOKIE=" not in none.stdout

    # a certificate from another CA (same profile, software key)
    other_dir = tmp_path / "other-ca"
    init_ca(other_dir, CaConfig(), PROFILES, PASSPHRASE)
    with CertificateAuthority(other_dir) as other:
        other.unlock(PASSPHRASE)
        foreign = issue_software(other, CertRequest(
            profile="sslvpn-user", subject={"ou": "教育局", "cn": "冒名", "uid": "z001"}),
            tmp_path / "foreign")
    bad = _login(gateway, hsm, str(foreign.cert_path), str(foreign.key_path))
    assert bad.returncode != 0 and "COOKIE=" not in bad.stdout

    # revoke the USB-KEY, re-publish the CRL, reload ocserv: refused
    ca.revoke(issued.issued.record.serial, "keyCompromise")
    ca.publish_crl()
    export_ocserv(ca, gateway.export_dir)
    gateway.reload()
    revoked = _login(gateway, hsm, cert_uri, key_uri)
    assert revoked.returncode != 0 and "COOKIE=" not in revoked.stdout
