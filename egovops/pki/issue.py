"""Issuance end to end: a key (software file or on a USB-KEY token), the certificate, and where
both go. The CA checks the request against its profile *before* any key is generated, so a
refused request leaves nothing behind on a token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from egovops.fsio import write_atomic
from egovops.pki.ca import CertificateAuthority, Issued, sans_of, subject_of
from egovops.pki.errors import CaStateError
from egovops.pki.keys import SoftwareKeyStore
from egovops.pki.profiles import CertRequest, key_algorithm_of
from egovops.pki.token import TokenKeyStore


@dataclass(frozen=True)
class SoftwareIssued:
    """A certificate with a software key written to ``out_dir``."""

    issued: Issued
    key_path: Path
    cert_path: Path
    chain_path: Path
    p12_path: Path | None


@dataclass(frozen=True)
class TokenIssued:
    """A certificate whose key was generated on a token and which now sits beside it."""

    issued: Issued
    token_serial: str
    key_label: str
    key_id: str


def file_label(req: CertRequest) -> str:
    """A file-name-safe label for the request: holder id, else CN."""
    base = req.holder or req.subject.get("uid") or req.subject.get("cn") or "cert"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "cert"


def issue_software(ca: CertificateAuthority, req: CertRequest, out_dir: Path, *,
                   p12_passphrase: str | None = None) -> SoftwareIssued:
    """Generate a software key, issue, and write ``<label>.key`` (0600), ``.crt``,
    ``chain.pem`` and, with ``p12_passphrase``, ``<label>.p12`` (0600) for vendor tools."""
    ca.check(req)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    label = file_label(req)
    store = SoftwareKeyStore(out_dir)
    stored = store.generate(label, req.key_algorithm)
    issued = ca.issue(req, stored.key.public_key(), token_serial=None, key_label=label)
    store.store_certificate(stored, issued.certificate)
    chain_path = out_dir / "chain.pem"
    write_atomic(chain_path, ca.chain_pem())
    p12_path = None
    if p12_passphrase:
        p12_path = out_dir / f"{label}.p12"
        data = pkcs12.serialize_key_and_certificates(
            label.encode(), stored.key, issued.certificate,
            [ca.issuing_cert, ca.root_cert],
            serialization.BestAvailableEncryption(p12_passphrase.encode()))
        write_atomic(p12_path, data, mode=0o600)
    return SoftwareIssued(issued, store.key_path(label), store.cert_path(label), chain_path,
                          p12_path)


def issue_usbkey(ca: CertificateAuthority, req: CertRequest, *, module: str, token: str,
                 pin: str) -> TokenIssued:
    """Generate the key pair on the token, issue, and write the certificate onto the token
    beside its key (same CKA_ID, public object)."""
    ca.check(req)
    label = f"egovops-{file_label(req)}"
    with TokenKeyStore(module, token, pin) as store:
        stored = store.generate(label, req.key_algorithm)
        issued = ca.issue(req, stored.key.public_key(), token_serial=store.identity(),
                          key_label=label)
        store.store_certificate(stored, issued.certificate)
        return TokenIssued(issued, store.identity(), label, stored.key_id.hex())


def issue_renewal(ca: CertificateAuthority, serial: str, days: int | None = None) -> Issued:
    """Re-certify the same public key under a new serial (USB-KEY keys stay on their token);
    the old certificate stays valid until it is revoked as ``superseded``."""
    rec = ca.ledger.get(serial)
    if rec is None:
        raise CaStateError(f"no certificate with serial {serial} in the ledger")
    if rec.status != "valid":
        raise CaStateError(f"certificate {serial} is {rec.status}; issue a new one instead")
    old = x509.load_pem_x509_certificate(rec.pem.encode())
    public_key = old.public_key()
    profile = ca.profile(rec.profile)
    req = CertRequest(profile=rec.profile, subject=subject_of(old), sans=sans_of(old),
                      days=days, key_algorithm=key_algorithm_of(public_key),
                      on_token=profile.key_storage == "token", unit=rec.unit,
                      holder=rec.holder)
    return ca.issue(req, public_key, token_serial=rec.token_serial,  # type: ignore[arg-type]
                    key_label=rec.key_label, renewed_from=rec.serial)
