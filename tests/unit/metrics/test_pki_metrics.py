from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from egovops.metrics.sources import read_pki
from egovops.pki import CaConfig, CertificateAuthority, CertRequest, San, init_ca
from tests.unit.pki.conftest import PASSPHRASE, PROFILES


def test_certificates_by_profile_unit_and_crl(tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca"
    init_ca(ca_dir, CaConfig(), PROFILES, PASSPHRASE)
    with CertificateAuthority(ca_dir) as ca:
        ca.unlock(PASSPHRASE)
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        gw = ca.issue(CertRequest(profile="sslvpn-gateway", subject={"cn": "vpn.example.gov.cn"},
                                  sans=(San("dns", "vpn.example.gov.cn"),), days=30), key)
        for uid in ("z001", "z002"):
            ca.issue(CertRequest(profile="sslvpn-user", subject={"uid": uid, "cn": uid,
                                                                 "ou": "财政局"},
                                 unit="财政局", holder=uid), key)
        ca.revoke(gw.record.serial, "superseded")
        info = ca.publish_crl(hours=48)
    view = read_pki(ca_dir)
    groups = {(g.profile, g.unit, g.status): g for g in view.certificates}
    assert groups[("sslvpn-user", "财政局", "valid")].count == 2
    assert groups[("sslvpn-gateway", "", "revoked")].count == 1
    earliest = groups[("sslvpn-user", "财政局", "valid")].earliest_not_after
    assert earliest is not None
    assert earliest > (datetime.now(UTC) + timedelta(days=300)).timestamp()
    assert groups[("sslvpn-gateway", "", "revoked")].earliest_not_after is None
    assert view.crl is not None
    assert view.crl.number == info.number
    assert view.crl.revoked == 1
    assert view.crl.next_update == info.next_update.timestamp()


def test_expired_certificates_are_counted_apart(tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca"
    init_ca(ca_dir, CaConfig(), PROFILES, PASSPHRASE)
    with CertificateAuthority(ca_dir) as ca:
        ca.unlock(PASSPHRASE)
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        ca.issue(CertRequest(profile="sslvpn-gateway", subject={"cn": "vpn.example.gov.cn"},
                             sans=(San("dns", "vpn.example.gov.cn"),), days=10), key)
    later = (datetime.now(UTC) + timedelta(days=20)).timestamp()
    view = read_pki(ca_dir, now=later)
    assert [(g.status, g.earliest_not_after) for g in view.certificates] == [("expired", None)]
    assert view.crl is None
