from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import ReasonFlags

from egovops.errors import InputError
from egovops.pki import CertificateAuthority, CertRequest, San
from egovops.pki.crl import RevokedSerial, build_crl
from egovops.pki.errors import CaStateError
from egovops.pki.issue import issue_renewal, issue_software
from egovops.pki.ledger import verify_audit
from tests.conftest import require_tool

GW = CertRequest(profile="sslvpn-gateway", subject={"cn": "vpn.example.gov.cn"},
                 sans=(San("dns", "vpn.example.gov.cn"),), unit="信息中心")


def _issue(ca: CertificateAuthority, tmp_path: Path, n: int = 3) -> list[str]:
    return [issue_software(ca, GW, tmp_path / f"o{i}").issued.record.serial for i in range(n)]


def test_ledger_list_filters_and_revoke(ca: CertificateAuthority, tmp_path: Path) -> None:
    serials = _issue(ca, tmp_path)
    assert [r.serial for r in ca.ledger.certificates(unit="信息中心")] == serials
    assert ca.ledger.certificates(unit="other") == []
    soon = datetime.now(UTC) + timedelta(days=400)
    assert len(ca.ledger.certificates(expiring_before=soon)) == 3
    assert ca.ledger.certificates(expiring_before=datetime.now(UTC) + timedelta(days=30)) == []
    rec = ca.revoke(serials[0].upper(), "keyCompromise")
    assert rec.status == "revoked" and rec.reason == "keyCompromise"
    with pytest.raises(CaStateError):
        ca.revoke(serials[0], "keyCompromise")
    with pytest.raises(CaStateError):
        ca.revoke("abcdef", "keyCompromise")
    with pytest.raises(InputError):
        ca.revoke(serials[1], "because")


def test_crl_lists_revoked_and_verify_sees_it(ca: CertificateAuthority, tmp_path: Path) -> None:
    serials = _issue(ca, tmp_path, 2)
    ca.revoke(serials[0], "cessationOfOperation")
    info = ca.publish_crl()
    crl = x509.load_der_x509_crl(info.der_path.read_bytes())
    assert crl.is_signature_valid(ca.issuing_cert.public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(int(serials[0], 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is (
        ReasonFlags.cessation_of_operation)
    assert crl.get_revoked_certificate_by_serial_number(int(serials[1], 16)) is None
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    assert ca.publish_crl().number == 2
    revoked = x509.load_pem_x509_certificate(ca.ledger.get(serials[0]).pem.encode())  # type: ignore[union-attr]
    result = ca.verify(revoked)
    assert not result.ok and "listed on the published CRL" in result.problems
    good = x509.load_pem_x509_certificate(ca.ledger.get(serials[1]).pem.encode())  # type: ignore[union-attr]
    assert ca.verify(good).ok
    openssl = require_tool("openssl")
    text = subprocess.run([openssl, "crl", "-inform", "DER", "-in", str(info.der_path),
                           "-noout", "-text"], capture_output=True, text=True, check=True).stdout
    assert serials[0].upper()[-10:] in text.upper()
    assert "Cessation Of Operation" in text


def test_verify_flags_foreign_and_expired_crl(ca: CertificateAuthority, tmp_path: Path,
                                              ca_dir: Path) -> None:
    from egovops.pki import CaConfig, init_ca
    from tests.unit.pki.conftest import PASSPHRASE, PROFILES

    other_dir = tmp_path / "other"
    init_ca(other_dir, CaConfig(), PROFILES, PASSPHRASE)
    with CertificateAuthority(other_dir) as other:
        other.unlock(PASSPHRASE)
        foreign = issue_software(other, GW, tmp_path / "f").issued.certificate
    result = ca.verify(foreign, "sslvpn-gateway")
    assert any("not issued by this CA" in p for p in result.problems)
    ca.publish_crl(hours=1)
    later = CertificateAuthority(ca_dir, clock=lambda: datetime.now(UTC) + timedelta(hours=2))
    with later:
        cert = issue_software(ca, GW, tmp_path / "g").issued.certificate
        assert any("CRL expired" in p for p in later.verify(cert).problems)


def test_fast_crl_matches_many_entries(ca: CertificateAuthority) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    entries = [RevokedSerial((1 << 100) + i, now, "keyCompromise" if i % 3 else None)
               for i in range(5000)]
    der = build_crl(ca.issuing_cert, ca.key, entries, number=7, this_update=now,
                    next_update=now + timedelta(days=1))
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(ca.issuing_cert.public_key())  # type: ignore[arg-type]
    assert len(crl) == 5000
    assert crl.next_update_utc == now + timedelta(days=1)
    assert crl.get_revoked_certificate_by_serial_number((1 << 100) + 4999) is not None
    reasonless = crl.get_revoked_certificate_by_serial_number(1 << 100)
    assert reasonless is not None and len(reasonless.extensions) == 0


def test_audit_chain_verifies_and_detects_tampering(ca: CertificateAuthority,
                                                    tmp_path: Path) -> None:
    serials = _issue(ca, tmp_path)
    ca.revoke(serials[1], "superseded")
    ca.publish_crl()
    report = verify_audit(ca.ledger)
    assert report.ok and report.entries == 6  # init, 3 issue, revoke, crl
    db = ca.ledger.path

    def tampered(sql: str, *args: object) -> list[str]:
        copy = tmp_path / "copy.sqlite"
        with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
            dst.execute(sql, args)
        from egovops.pki.ledger import Ledger

        with Ledger(copy) as led:
            problems = list(verify_audit(led).problems)
        copy.unlink()
        return problems

    # edit an entry
    detail = json.dumps({"actor": "x", "serial": serials[1], "reason": "unspecified"})
    assert any("edited" in p for p in tampered("UPDATE audit SET detail = ? WHERE op = 'revoke'",
                                               detail))
    # delete an entry
    assert any("deleted" in p for p in tampered("DELETE FROM audit WHERE seq = 3"))
    # reorder two entries (swap their contents)
    swap = ("UPDATE audit SET ts = (SELECT ts FROM audit a WHERE a.seq = 5 - audit.seq), "
            "op = (SELECT op FROM audit a WHERE a.seq = 5 - audit.seq), "
            "detail = (SELECT detail FROM audit a WHERE a.seq = 5 - audit.seq), "
            "hash = (SELECT hash FROM audit a WHERE a.seq = 5 - audit.seq) "
            "WHERE seq IN (2, 3)")
    assert any("does not follow" in p for p in tampered(swap))
    # edit a ledger row behind the log's back
    assert any("status" in p for p in tampered(
        "UPDATE certificates SET status = 'valid', reason = NULL WHERE serial = ?", serials[1]))
    assert any("no issuance entry" in p for p in tampered(
        "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit WHERE op = 'issue')"))


def test_renew_keeps_key_and_links_serials(ca: CertificateAuthority, tmp_path: Path) -> None:
    first = issue_software(ca, GW, tmp_path / "o").issued
    renewed = issue_renewal(ca, first.record.serial, days=90)
    assert renewed.record.renewed_from == first.record.serial
    assert renewed.certificate.public_key() == first.certificate.public_key()
    assert renewed.record.serial != first.record.serial
    assert verify_audit(ca.ledger).ok
