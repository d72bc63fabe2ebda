from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from egovops.errors import InputError
from egovops.pki import CertificateAuthority, CertRequest, San, load_profiles
from egovops.pki.ca import profile_problems
from egovops.pki.errors import ProfileError
from egovops.pki.issue import issue_software
from egovops.pki.profiles import check_request
from tests.conftest import require_tool
from tests.unit.pki.conftest import PROFILES


def _user(profile: str = "sslvpn-user", **kw: object) -> CertRequest:
    base: dict[str, object] = {
        "profile": profile,
        "subject": {"c": "CN", "o": "Office", "ou": "财政局", "cn": "张三", "uid": "z001"},
        "sans": (San("email", "z@example.gov.cn"),), "unit": "财政局", "holder": "z001",
    }
    base.update(kw)
    return CertRequest(**base)  # type: ignore[arg-type]


GATEWAY = CertRequest(profile="sslvpn-gateway", subject={"cn": "vpn.example.gov.cn"},
                      sans=(San("dns", "vpn.example.gov.cn"), San("ip", "10.0.0.1")))
DEVICE = CertRequest(profile="device-mgmt", subject={"cn": "core-sw1"},
                     sans=(San("dns", "core-sw1.mgmt.example"), San("ip", "10.255.0.1")))


def test_shipped_profiles_load() -> None:
    profiles = load_profiles(PROFILES)
    assert {"root-ca", "issuing-ca", "usbkey-user", "sslvpn-user", "sslvpn-gateway",
            "device-mgmt"} <= profiles.keys()
    assert profiles["sslvpn-gateway"].max_days <= 398
    assert profiles["usbkey-user"].key_storage == "token"


def test_broken_profiles_file_lists_every_problem_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("profiles:\n  x:\n    description: d\n    key_usage: [flying]\n"
                   "    subject: {required: [cn], allowed: [cn]}\n    max_days: 1\n"
                   "    default_days: 5\n    key_algorithms: [ec-p256]\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_profiles(bad)
    assert any(p.line == 4 for p in err.value.problems)


def test_gateway_request_refused_with_every_reason(ca: CertificateAuthority) -> None:
    req = CertRequest(profile="sslvpn-gateway", subject={"cn": "vpn", "uid": "x"},
                      sans=(San("dns", "bad name"), San("email", "a@b.cn")), days=500)
    reasons = check_request(ca.profile("sslvpn-gateway"), req)
    text = "\n".join(reasons)
    assert "UID is not allowed" in text
    assert "not a DNS name" in text
    assert "email:a@b.cn not allowed" in text
    assert "exceeds profile sslvpn-gateway maximum of 398" in text
    with pytest.raises(ProfileError):
        ca.issue(req, ca.key.public_key())


def test_usbkey_profile_requires_token_and_staff_id(ca: CertificateAuthority) -> None:
    req = _user("usbkey-user", subject={"ou": "u", "cn": "n", "uid": "bad id!"})
    reasons = check_request(ca.profile("usbkey-user"), req)
    assert any("generated on a token" in r for r in reasons)
    assert any("does not match" in r for r in reasons)
    assert not check_request(ca.profile("usbkey-user"), _user("usbkey-user", on_token=True))


def _ext(cert: x509.Certificate, cls: type) -> x509.Extension:  # type: ignore[type-arg]
    return cert.extensions.get_extension_for_class(cls)


@pytest.mark.parametrize("req", [_user(), GATEWAY, DEVICE], ids=lambda r: r.profile)
def test_profile_extensions_field_by_field_and_openssl_agrees(
    ca: CertificateAuthority, tmp_path: Path, req: CertRequest
) -> None:
    out = issue_software(ca, req, tmp_path / "out")
    cert = out.issued.certificate
    profile = ca.profile(req.profile)
    assert cert.serial_number.bit_length() >= 64
    bc = _ext(cert, x509.BasicConstraints)
    assert bc.critical and bc.value.ca is False
    ku = _ext(cert, x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
    eku = list(_ext(cert, x509.ExtendedKeyUsage).value)
    want = ExtendedKeyUsageOID.CLIENT_AUTH if "user" in req.profile else (
        ExtendedKeyUsageOID.SERVER_AUTH)
    assert eku == [want]
    cdp = _ext(cert, x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "http://pki.example.gov.cn/issuing.crl"
    aia = _ext(cert, x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == "http://pki.example.gov.cn/issuing.crt"
    ski = _ext(cert, x509.SubjectKeyIdentifier).value
    aki = _ext(cert, x509.AuthorityKeyIdentifier).value
    assert ski.digest == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    assert aki.key_identifier == _ext(ca.issuing_cert, x509.SubjectKeyIdentifier).value.digest
    sans = _ext(cert, x509.SubjectAlternativeName).value
    assert len(list(sans)) == len(req.sans)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime.days <= profile.max_days
    assert profile_problems(profile, cert) == []
    assert out.key_path.stat().st_mode & 0o777 == 0o600
    if "user" in req.profile:
        assert cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == "z001"
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value \
            == "财政局"

    openssl = require_tool("openssl")
    purpose = "sslclient" if "user" in req.profile else "sslserver"
    ok = subprocess.run([openssl, "verify", "-CAfile", str(ca.paths.chain), "-purpose", purpose,
                         str(out.cert_path)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    text = subprocess.run([openssl, "x509", "-noout", "-text", "-in", str(out.cert_path)],
                          capture_output=True, text=True, check=True).stdout
    assert "CA:FALSE" in text
    assert "X509v3 Basic Constraints: critical" in text
    assert "X509v3 Key Usage: critical" in text
    assert ("TLS Web Client Authentication" if "user" in req.profile
            else "TLS Web Server Authentication") in text
    assert "URI:http://pki.example.gov.cn/issuing.crl" in text
    assert f"{cert.serial_number:x}".upper()[-8:] in text.replace(":", "").upper()
    wrong = "sslserver" if purpose == "sslclient" else "sslclient"
    bad = subprocess.run([openssl, "verify", "-CAfile", str(ca.paths.chain), "-purpose", wrong,
                          str(out.cert_path)], capture_output=True, text=True, check=False)
    assert bad.returncode != 0


def test_ca_certificates_follow_their_profiles(ca: CertificateAuthority) -> None:
    root, issuing = ca.root_cert, ca.issuing_cert
    for cert, profile, path_len in ((root, "root-ca", 1), (issuing, "issuing-ca", 0)):
        bc = _ext(cert, x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == path_len
        ku = _ext(cert, x509.KeyUsage)
        assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
        assert profile_problems(ca.profile(profile), cert) == []
    issuing.verify_directly_issued_by(root)


def test_csr_issuance_and_bad_csr(ca: CertificateAuthority) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sw1")]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName("sw1.mgmt")]), False)
           .sign(key, hashes.SHA256()))
    issued = ca.issue_csr(CertRequest(profile="device-mgmt", subject={}), csr)
    assert issued.certificate.public_key() == key.public_key()
    assert _ext(issued.certificate, x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["sw1.mgmt"]
    pem = issued.certificate.public_bytes(serialization.Encoding.PEM)
    assert ca.ledger.get(issued.record.serial) is not None
    assert pem.decode() == issued.record.pem


def test_pkcs12_export(ca: CertificateAuthority, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    out = issue_software(ca, _user(), tmp_path / "o", p12_passphrase="p12-secret")
    assert out.p12_path is not None
    assert out.p12_path.stat().st_mode & 0o777 == 0o600
    bundle = pkcs12.load_pkcs12(out.p12_path.read_bytes(), b"p12-secret")
    assert bundle.cert is not None
    assert bundle.cert.certificate == out.issued.certificate
    assert len(bundle.additional_certs) == 2
