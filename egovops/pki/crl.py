"""CRL generation that stays linear in the number of revoked serials.

``cryptography``'s ``CertificateRevocationListBuilder.add_revoked_certificate`` copies its list
on every call, so 100k serials cost ~5·10⁹ element copies. Instead we let ``cryptography``
build and sign an *empty* CRL (issuer, dates, CRL number, AKI: every field it gets right), then
splice a revokedCertificates SEQUENCE that we DER-encode ourselves into its TBSCertList, and
sign that with the CA key (software or token). The result is checked by ``cryptography`` and
``openssl crl`` in the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from egovops.pki.keys import PrivateKey, signature_hash

REASONS: dict[str, int] = {
    "unspecified": 0,
    "keyCompromise": 1,
    "cACompromise": 2,
    "affiliationChanged": 3,
    "superseded": 4,
    "cessationOfOperation": 5,
    "certificateHold": 6,
    "privilegeWithdrawn": 9,
    "aACompromise": 10,
}
_REASON_OID = bytes([0x06, 0x03, 0x55, 0x1D, 0x15])  # 2.5.29.21 id-ce-cRLReasons


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _time(dt: datetime) -> bytes:
    dt = dt.astimezone(UTC)
    if 1950 <= dt.year < 2050:
        return _tlv(0x17, dt.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, dt.strftime("%Y%m%d%H%M%SZ").encode())


def _reason_extensions(code: int) -> bytes:
    ext = _tlv(0x30, _REASON_OID + _tlv(0x04, bytes([0x0A, 0x01, code])))
    return _tlv(0x30, ext)


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """``(tag, header_length, content_length)`` of the element at ``pos``."""
    tag = data[pos]
    first = data[pos + 1]
    if first < 0x80:
        return tag, 2, first
    n = first & 0x7F
    return tag, 2 + n, int.from_bytes(data[pos + 2:pos + 2 + n], "big")


def _elements(data: bytes) -> list[bytes]:
    """The DER elements of a SEQUENCE's content."""
    out = []
    pos = 0
    while pos < len(data):
        _, hl, cl = _read_tlv(data, pos)
        out.append(data[pos:pos + hl + cl])
        pos += hl + cl
    return out


@dataclass(frozen=True)
class RevokedSerial:
    """One CRL entry."""

    serial: int
    revoked_at: datetime
    reason: str | None = None


def encode_revoked(entries: Iterable[RevokedSerial]) -> bytes:
    """DER of ``revokedCertificates`` (a SEQUENCE of entries), linear in their number."""
    parts = []
    cache: dict[datetime, bytes] = {}
    for e in entries:
        when = cache.get(e.revoked_at)
        if when is None:
            when = cache[e.revoked_at] = _time(e.revoked_at)
        body = _integer(e.serial) + when
        code = REASONS.get(e.reason or "unspecified", 0)
        if code:  # RFC 5280 5.3.1: omit the extension rather than say "unspecified"
            body += _reason_extensions(code)
        parts.append(_tlv(0x30, body))
    return _tlv(0x30, b"".join(parts))


def build_crl(issuer: x509.Certificate, key: PrivateKey, entries: Iterable[RevokedSerial],
              *, number: int, this_update: datetime, next_update: datetime) -> bytes:
    """A signed DER CRL of ``issuer`` listing ``entries`` (any number, linear time)."""
    hash_alg = signature_hash(key)
    this_update = this_update.replace(microsecond=0)
    next_update = next_update.replace(microsecond=0)
    template = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.public_key()), critical=False)  # type: ignore[arg-type]
        .sign(key, hash_alg)
    )
    tbs_parts = _elements(_content(template.tbs_certlist_bytes))
    revoked = list(entries)
    if revoked:
        at = next((i for i, p in enumerate(tbs_parts) if p[0] == 0xA0), len(tbs_parts))
        tbs_parts.insert(at, encode_revoked(revoked))
        tbs = _tlv(0x30, b"".join(tbs_parts))
    else:
        tbs = template.tbs_certlist_bytes
    outer = _elements(_content(template.public_bytes(serialization.Encoding.DER)))
    sig_alg = outer[1]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(tbs, ec.ECDSA(hash_alg))
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(tbs, padding.PKCS1v15(), hash_alg)
    else:  # pragma: no cover - PrivateKey is a closed union
        raise TypeError(type(key).__name__)
    return _tlv(0x30, tbs + sig_alg + _tlv(0x03, b"\x00" + signature))


def _content(der: bytes) -> bytes:
    _, hl, cl = _read_tlv(der, 0)
    return der[hl:hl + cl]


def next_update_for(now: datetime, hours: int) -> datetime:
    """nextUpdate of a CRL published at ``now`` that is valid for ``hours``."""
    return now + timedelta(hours=hours)
