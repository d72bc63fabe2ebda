"""The ledger under real concurrency: 8 processes issuing at once, and kill -9 mid-issuance."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from egovops.pki import CaConfig, CertificateAuthority, init_ca
from egovops.pki.ca import fingerprint
from egovops.pki.ledger import Ledger, verify_audit
from tests.conftest import REPO

pytestmark = pytest.mark.integration

PASSPHRASE = "ledger-passphrase"
WORKER = """
import sys
from cryptography.hazmat.primitives.asymmetric import ec
from egovops.pki import CertificateAuthority, CertRequest
ca_dir, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with CertificateAuthority(__import__("pathlib").Path(ca_dir)) as ca:
    ca.unlock(sys.argv[4])
    print("ready", flush=True)
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        req = CertRequest(profile="sslvpn-user",
                          subject={"ou": "u" + worker, "cn": "n", "uid": f"w{worker}-{i}"},
                          unit="u" + worker, holder=f"w{worker}-{i}")
        ca.issue(req, key.public_key())
"""


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    path = tmp_path / "ca"
    init_ca(path, CaConfig(), REPO / "policies" / "pki-profiles.yaml", PASSPHRASE)
    return path


def _worker(ca_dir: Path, worker: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(ca_dir), str(worker), str(count),
                             PASSPHRASE], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _check_consistent(ca_dir: Path) -> list[str]:
    with Ledger(ca_dir / "ledger.sqlite") as ledger:
        assert ledger.integrity_ok()
        report = verify_audit(ledger)
        assert report.ok, report.problems
        records = ledger.certificates()
        for rec in records:
            cert = x509.load_pem_x509_certificate(rec.pem.encode())
            assert fingerprint(cert) == rec.fingerprint
            assert format(cert.serial_number, "x") == rec.serial
        return [r.serial for r in records]


def test_eight_concurrent_issuers_lose_nothing_and_never_share_a_serial(ca_dir: Path) -> None:
    per_worker = 25
    procs = [_worker(ca_dir, w, per_worker) for w in range(8)]
    for p in procs:
        _out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    serials = _check_consistent(ca_dir)
    assert len(serials) == 8 * per_worker
    assert len(set(serials)) == len(serials)
    with Ledger(ca_dir / "ledger.sqlite") as ledger:
        for w in range(8):
            holders = {r.holder for r in ledger.certificates(unit=f"u{w}")}
            assert holders == {f"w{w}-{i}" for i in range(per_worker)}


def test_kill_9_during_issuance_leaves_the_ledger_consistent(ca_dir: Path) -> None:
    proc = _worker(ca_dir, 0, 100_000)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        with Ledger(ca_dir / "ledger.sqlite") as ledger:
            while len(ledger.certificates()) < 30 and time.monotonic() < deadline:
                time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    before = _check_consistent(ca_dir)
    assert len(before) >= 30
    # the CA keeps working after the crash
    with CertificateAuthority(ca_dir) as ca:
        ca.unlock(PASSPHRASE)
        ca.publish_crl()
    assert len(_check_consistent(ca_dir)) == len(before)
