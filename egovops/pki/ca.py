"""The certificate authority: init (offline root + issuing intermediate), issuance against
profiles, revocation, CRL publication and verification of a certificate.

One :class:`CertificateAuthority` works on one CA directory (:class:`CaPaths`). Opening it
checks the directory's permissions; signing needs :meth:`CertificateAuthority.unlock` with the
passphrase (software key) or PIN (key on a PKCS#11 token). Every change goes to the ledger and
the audit log in one transaction (:mod:`egovops.pki.ledger`).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from egovops.errors import InputError, Problem
from egovops.fsio import write_atomic
from egovops.pki.config import CaConfig, CaPaths, check_permissions, dump_config, load_config
from egovops.pki.crl import REASONS, RevokedSerial, build_crl
from egovops.pki.errors import CaStateError, ProfileError
from egovops.pki.keys import (
    PrivateKey,
    PublicKey,
    StoredKey,
    generate_software_key,
    load_private_key,
    save_private_key,
    signature_hash,
)
from egovops.pki.ledger import CertRecord, Ledger, normalize_serial, serial_hex
from egovops.pki.profiles import (
    EKU_OIDS,
    SUBJECT_OIDS,
    CertProfile,
    CertRequest,
    San,
    check_request,
    key_algorithm_of,
    key_usage_extension,
    key_usage_names,
    load_profiles,
)
from egovops.pki.token import TokenKeyStore

Clock = Callable[[], datetime]
BACKDATE = timedelta(minutes=5)
"""notBefore is set this far in the past to absorb clock skew between CA and gateway."""


def utcnow() -> datetime:
    """The real clock (inject another for tests)."""
    return datetime.now(UTC)


def new_serial() -> int:
    """A random positive serial of 159 bits (RFC 5280 allows 20 octets; >= 64 random bits)."""
    while True:
        value = int.from_bytes(os.urandom(20), "big") >> 1
        if value >= 1 << 64:
            return value


def actor() -> str:
    """Who runs this operation (recorded in the audit log)."""
    uid = os.getuid()
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def subject_of(cert: x509.Certificate) -> dict[str, str]:
    """Profile-style subject attributes of a certificate (``cn``, ``uid`` …)."""
    out: dict[str, str] = {}
    for attr, oid in SUBJECT_OIDS.items():
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            out[attr] = str(values[0].value)
    return out


def sans_of(cert: x509.Certificate | x509.CertificateSigningRequest) -> tuple[San, ...]:
    """subjectAltName entries of a certificate or CSR."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    out: list[San] = []
    for name in ext:
        if isinstance(name, x509.DNSName):
            out.append(San("dns", name.value))
        elif isinstance(name, x509.IPAddress):
            out.append(San("ip", str(name.value)))
        elif isinstance(name, x509.RFC822Name):
            out.append(San("email", name.value))
        else:
            out.append(San(type(name).__name__, str(name.value)))
    return tuple(out)


def build_certificate(
    profile: CertProfile, req: CertRequest, public_key: PublicKey, *,
    issuer_name: x509.Name, issuer_key: PrivateKey, issuer_public: PublicKey, serial: int,
    not_before: datetime, not_after: datetime, config: CaConfig,
) -> x509.Certificate:
    """Sign a certificate with exactly the extensions ``profile`` prescribes."""
    algorithm = key_algorithm_of(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(req.x509_name())
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=profile.ca, path_length=profile.path_len),
                       critical=True)
        .add_extension(key_usage_extension(profile.key_usage_for(algorithm)), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public),
                       critical=False)
    )
    if profile.extended_key_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([EKU_OIDS[e] for e in profile.extended_key_usage]),
            critical=False)
    if req.sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([s.general_name() for s in req.sans]), critical=False)
    self_signed = issuer_name == req.x509_name() and issuer_public == public_key
    if not self_signed and config.crl_urls:
        builder = builder.add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
            for u in config.crl_urls]), critical=False)
    if not self_signed and config.aia_urls:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier(u))
            for u in config.aia_urls]), critical=False)
    return builder.sign(issuer_key, signature_hash(issuer_key))


def _ensure_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


@dataclass(frozen=True)
class InitResult:
    """What ``init`` created."""

    root: x509.Certificate
    issuing: x509.Certificate
    paths: CaPaths


def _ca_request(profile: str, cn: str, config: CaConfig, algorithm: str) -> CertRequest:
    return CertRequest(profile=profile,
                       subject={"c": config.country, "o": config.organization, "cn": cn},
                       key_algorithm=algorithm, on_token=True)


def init_ca(ca_dir: Path, config: CaConfig, profiles_file: Path, passphrase: str, *,
            token_pin: str | None = None, clock: Clock = utcnow) -> InitResult:
    """Create the offline root and the issuing intermediate in a new CA directory.

    Both software keys are encrypted with ``passphrase``. With ``config.ca_key.kind ==
    "pkcs11"`` the issuing key is generated on that token instead (``token_pin`` needed).
    """
    paths = CaPaths(ca_dir)
    if paths.config.exists():
        raise CaStateError(f"{ca_dir} already holds a CA; refusing to overwrite it")
    if len(passphrase) < 8:
        raise InputError("the CA passphrase must have at least 8 characters")
    profiles = load_profiles(profiles_file)
    problems = []
    for name, cn in (("root-ca", config.root_cn), ("issuing-ca", config.issuing_cn)):
        problems += check_request(profiles[name], _ca_request(name, cn, config,
                                                              config.algorithm))
    if problems:
        raise ProfileError("the CA request does not fit its profile",
                               [refusal(p) for p in problems])
    _ensure_dir(ca_dir)
    check_permissions(paths)
    now = clock().replace(microsecond=0)
    secret = passphrase.encode()

    root_profile = profiles["root-ca"]
    root_key = generate_software_key(config.algorithm)
    root_req = _ca_request("root-ca", config.root_cn, config, config.algorithm)
    root_cert = build_certificate(
        root_profile, root_req, root_key.public_key(), issuer_name=root_req.x509_name(),
        issuer_key=root_key, issuer_public=root_key.public_key(), serial=new_serial(),
        not_before=now - BACKDATE, not_after=now + timedelta(days=root_profile.default_days),
        config=config)

    issuing_profile = profiles["issuing-ca"]
    with ExitStack() as stack:
        if config.ca_key.kind == "pkcs11":
            if not (config.ca_key.module and config.ca_key.token and token_pin):
                raise InputError("a CA key on a token needs the module, the token label and "
                                 "the PIN")
            store = stack.enter_context(TokenKeyStore(config.ca_key.module, config.ca_key.token,
                                                      token_pin))
            stored: StoredKey | None = store.generate(config.ca_key.label, config.algorithm)
            assert stored is not None
            issuing_key: PrivateKey = stored.key
        else:
            store = None
            stored = None
            issuing_key = generate_software_key(config.algorithm)
        issuing_req = _ca_request("issuing-ca", config.issuing_cn, config, config.algorithm)
        issuing_days = min(issuing_profile.default_days, root_profile.default_days - 1)
        issuing_cert = build_certificate(
            issuing_profile, issuing_req, issuing_key.public_key(),
            issuer_name=root_cert.subject, issuer_key=root_key,
            issuer_public=root_key.public_key(), serial=new_serial(),
            not_before=now - BACKDATE, not_after=now + timedelta(days=issuing_days),
            config=config)
        if store is not None and stored is not None:
            store.store_certificate(stored, issuing_cert)

    _ensure_dir(paths.root_dir)
    _ensure_dir(paths.issuing_dir)
    _ensure_dir(paths.crl_dir)
    save_private_key(paths.root_key, root_key, secret)
    if config.ca_key.kind == "software":
        save_private_key(paths.issuing_key, issuing_key, secret)
    pem = serialization.Encoding.PEM
    write_atomic(paths.root_cert, root_cert.public_bytes(pem))
    write_atomic(paths.issuing_cert, issuing_cert.public_bytes(pem))
    write_atomic(paths.chain, issuing_cert.public_bytes(pem) + root_cert.public_bytes(pem))
    shutil.copyfile(profiles_file, paths.profiles)
    with Ledger(paths.ledger) as ledger:
        ledger.record("init", {
            "actor": actor(), "algorithm": config.algorithm,
            "root": {"serial": serial_hex(root_cert.serial_number),
                     "fingerprint": fingerprint(root_cert)},
            "issuing": {"serial": serial_hex(issuing_cert.serial_number),
                        "fingerprint": fingerprint(issuing_cert)},
            "ca_key": config.ca_key.kind,
        }, now)
    # the config is written last: its presence marks a complete CA directory
    write_atomic(paths.config, dump_config(config))
    return InitResult(root_cert, issuing_cert, paths)


def refusal(reason: str) -> Problem:
    """A :class:`Problem` for one reason a request was refused (no file involved)."""
    return Problem("request", 0, 0, reason, "profile")


@dataclass(frozen=True)
class Issued:
    """A certificate just issued and recorded."""

    certificate: x509.Certificate
    record: CertRecord


@dataclass(frozen=True)
class CrlInfo:
    """A CRL just published."""

    number: int
    this_update: datetime
    next_update: datetime
    revoked: int
    der_path: Path
    pem_path: Path


@dataclass(frozen=True)
class Verification:
    """What :meth:`CertificateAuthority.verify` found about one certificate."""

    serial: str
    subject: str
    profile: str | None
    status: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Valid: chain, profile, dates, ledger and CRL all agree."""
        return not self.problems


class CertificateAuthority:
    """One CA directory, opened: config, profiles, certificates and ledger."""

    def __init__(self, ca_dir: Path, *, clock: Clock = utcnow) -> None:
        self.paths = CaPaths(ca_dir)
        self.config = load_config(self.paths)
        check_permissions(self.paths)
        self.clock = clock
        self.profiles = load_profiles(self.paths.profiles)
        self.root_cert = x509.load_pem_x509_certificate(self.paths.root_cert.read_bytes())
        self.issuing_cert = x509.load_pem_x509_certificate(self.paths.issuing_cert.read_bytes())
        self.ledger = Ledger(self.paths.ledger)
        self._stack = ExitStack()
        self._key: PrivateKey | None = None

    def close(self) -> None:
        """Close the ledger and any token session."""
        self._stack.close()
        self.ledger.close()

    def __enter__(self) -> CertificateAuthority:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- keys ---------------------------------------------------------------------------
    @property
    def key_on_token(self) -> bool:
        """Whether the issuing key lives on a PKCS#11 token."""
        return self.config.ca_key.kind == "pkcs11"

    def unlock(self, secret: str) -> None:
        """Load the issuing key: ``secret`` is the passphrase, or the PIN for a token key."""
        if self.key_on_token:
            ck = self.config.ca_key
            assert ck.module and ck.token
            store = self._stack.enter_context(TokenKeyStore(ck.module, ck.token, secret))
            self._key = store.load(ck.label).key
        else:
            self._key = load_private_key(self.paths.issuing_key, secret.encode())
        if self._key.public_key() != self.issuing_cert.public_key():
            raise CaStateError("the issuing key does not match the issuing CA certificate")

    @property
    def key(self) -> PrivateKey:
        """The issuing key (after :meth:`unlock`)."""
        if self._key is None:
            raise CaStateError("the CA is locked: unlock it with its passphrase or PIN")
        return self._key

    def profile(self, name: str) -> CertProfile:
        """A profile by name; unknown names are an :class:`InputError`."""
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise InputError(f"unknown profile {name!r} (known: {known})") from None

    # ---- issuance -----------------------------------------------------------------------
    def check(self, req: CertRequest) -> CertProfile:
        """The request's profile, or :class:`ProfileError` with every reason."""
        profile = self.profile(req.profile)
        reasons = check_request(profile, req)
        if profile.ca:
            reasons.append(f"profile {profile.name} is for CA certificates; use `pki init`")
        days = req.days or profile.default_days
        now = self.clock()
        if now + timedelta(days=days) > self.issuing_cert.not_valid_after_utc:
            reasons.append(f"lifetime {days} days outlives the issuing CA "
                           f"(valid until {self.issuing_cert.not_valid_after_utc:%Y-%m-%d})")
        if reasons:
            raise ProfileError(f"request refused by profile {profile.name}",
                                   [refusal(r) for r in reasons])
        return profile

    def issue(self, req: CertRequest, public_key: PublicKey, *, token_serial: str | None = None,
              key_label: str | None = None, renewed_from: str | None = None) -> Issued:
        """Check ``req`` against its profile, sign, and record in ledger + audit log."""
        return self.issue_batch([(req, public_key)], token_serial=token_serial,
                                key_label=key_label, renewed_from=renewed_from)[0]

    def issue_batch(self, items: list[tuple[CertRequest, PublicKey]], *,
                    token_serial: str | None = None, key_label: str | None = None,
                    renewed_from: str | None = None) -> list[Issued]:
        """Issue several certificates and record them in *one* transaction (all or none).

        Every request is checked first; one refusal refuses the batch. Used for onboarding a
        whole unit at once: one durable commit instead of one per certificate.
        """
        checked = [(_with_algorithm(req, pk), pk) for req, pk in items]
        profiles = [self.check(req) for req, _ in checked]
        for _attempt in range(5):
            now = self.clock().replace(microsecond=0)
            out = [self._sign(profile, req, pk, now, token_serial, key_label, renewed_from)
                   for profile, (req, pk) in zip(profiles, checked, strict=True)]
            try:
                with self.ledger.transaction() as cur:
                    for issued in out:
                        rec = issued.record
                        Ledger.insert(cur, rec)
                        Ledger.append_audit(cur, "renew" if renewed_from else "issue", {
                            "actor": actor(), "serial": rec.serial, "profile": rec.profile,
                            "subject": rec.subject, "unit": rec.unit, "holder": rec.holder,
                            "token_serial": token_serial,
                            "not_after": rec.not_after.isoformat(),
                            "fingerprint": rec.fingerprint, "renewed_from": renewed_from,
                        }, now)
            except sqlite3.IntegrityError:
                continue  # serial collision (2^-159): draw again
            return out
        raise CaStateError("could not allocate unique serials")  # pragma: no cover

    def _sign(self, profile: CertProfile, req: CertRequest, public_key: PublicKey,
              now: datetime, token_serial: str | None, key_label: str | None,
              renewed_from: str | None) -> Issued:
        days = req.days or profile.default_days
        serial = new_serial()
        cert = build_certificate(
            profile, req, public_key, issuer_name=self.issuing_cert.subject,
            issuer_key=self.key, issuer_public=self.issuing_cert.public_key(),  # type: ignore[arg-type]
            serial=serial, not_before=now - BACKDATE, not_after=now + timedelta(days=days),
            config=self.config)
        rec = CertRecord(
            serial=serial_hex(serial), subject=cert.subject.rfc4514_string(),
            profile=profile.name, unit=req.unit, holder=req.holder,
            holder_name=req.subject.get("cn"), token_serial=token_serial, key_label=key_label,
            not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
            status="valid", revoked_at=None, reason=None, issued_at=now,
            renewed_from=renewed_from, fingerprint=fingerprint(cert),
            pem=cert.public_bytes(serialization.Encoding.PEM).decode())
        return Issued(cert, rec)

    def issue_csr(self, req: CertRequest, csr: x509.CertificateSigningRequest) -> Issued:
        """Issue for a CSR: its signature must verify; subject/SANs from ``req`` take
        precedence, missing ones come from the CSR."""
        if not csr.is_signature_valid:
            raise InputError("the CSR signature does not verify (damaged or forged request)")
        public_key = csr.public_key()
        if not isinstance(public_key, PublicKey):
            raise InputError(f"unsupported CSR key type {type(public_key).__name__}")
        subject = {k: v for k, v in _csr_subject(csr).items() if k in SUBJECT_OIDS}
        subject.update({k: v for k, v in req.subject.items() if v})
        sans = req.sans or sans_of(csr)
        merged = CertRequest(profile=req.profile, subject=subject, sans=sans, days=req.days,
                             key_algorithm=key_algorithm_of(public_key), on_token=req.on_token,
                             unit=req.unit or subject.get("ou"),
                             holder=req.holder or subject.get("uid"))
        return self.issue(merged, public_key)

    # ---- revocation and CRL -------------------------------------------------------------
    def revoke(self, serial: str, reason: str) -> CertRecord:
        """Mark a certificate revoked (ledger + audit, one transaction)."""
        if reason not in REASONS or reason in {"cACompromise", "aACompromise"}:
            allowed = ", ".join(r for r in REASONS if r not in {"cACompromise", "aACompromise"})
            raise InputError(f"unknown revocation reason {reason!r} (one of: {allowed})")
        key = normalize_serial(serial)
        now = self.clock().replace(microsecond=0)
        with self.ledger.transaction() as cur:
            if not Ledger.serial_taken(cur, key):
                raise CaStateError(f"no certificate with serial {serial} in the ledger")
            if Ledger.mark_revoked(cur, key, reason, now) == 0:
                raise CaStateError(f"certificate {serial} is already revoked")
            Ledger.append_audit(cur, "revoke", {"actor": actor(), "serial": key,
                                                "reason": reason}, now)
        rec = self.ledger.get(key)
        assert rec is not None
        return rec

    def publish_crl(self, *, hours: int | None = None) -> CrlInfo:
        """Build, sign and write the issuing CA's CRL (DER and PEM), atomically."""
        now = self.clock().replace(microsecond=0)
        next_update = now + timedelta(hours=hours or self.config.crl_next_update_hours)
        entries = [RevokedSerial(s, at, reason) for s, at, reason in
                   self.ledger.revoked_entries(now)]
        with self.ledger.transaction() as cur:
            number = Ledger.next_counter(cur, "crl_number")
            der = build_crl(self.issuing_cert, self.key, entries, number=number,
                            this_update=now, next_update=next_update)
            Ledger.append_audit(cur, "crl", {
                "actor": actor(), "number": number, "revoked": len(entries),
                "next_update": next_update.isoformat(),
                "sha256": hashlib.sha256(der).hexdigest()}, now)
            _ensure_dir(self.paths.crl_dir)
            write_atomic(self.paths.crl_der, der)
            pem = x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)
            write_atomic(self.paths.crl_pem, pem)
        return CrlInfo(number, now, next_update, len(entries), self.paths.crl_der,
                       self.paths.crl_pem)

    def current_crl(self) -> x509.CertificateRevocationList | None:
        """The published CRL, if any."""
        if not self.paths.crl_der.exists():
            return None
        return x509.load_der_x509_crl(self.paths.crl_der.read_bytes())

    # ---- verification -------------------------------------------------------------------
    def verify(self, cert: x509.Certificate, profile_name: str | None = None) -> Verification:
        """Check ``cert`` against chain, dates, its profile, the ledger and the CRL."""
        problems: list[str] = []
        now = self.clock()
        serial = serial_hex(cert.serial_number)
        try:
            self.issuing_cert.verify_directly_issued_by(self.root_cert)
        except (ValueError, TypeError, InvalidSignature):
            problems.append("issuing CA certificate is not signed by the root")
        try:
            cert.verify_directly_issued_by(self.issuing_cert)
        except (ValueError, TypeError, InvalidSignature):
            problems.append("not issued by this CA (issuer or signature does not match)")
        if now < cert.not_valid_before_utc:
            problems.append(f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
        if now > cert.not_valid_after_utc:
            problems.append(f"expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
        rec = self.ledger.get(serial)
        status = "unknown"
        if rec is None:
            problems.append("serial not in the ledger")
        else:
            status = rec.status
            if rec.fingerprint != fingerprint(cert):
                problems.append("ledger holds a different certificate with this serial")
            if rec.status == "revoked":
                problems.append(f"revoked in the ledger ({rec.reason})")
        name = profile_name or (rec.profile if rec else None)
        if name is None:
            problems.append("profile unknown: pass --profile")
        else:
            problems += profile_problems(self.profile(name), cert)
        crl = self.current_crl()
        if crl is None:
            problems.append("no CRL published (run `egovops pki crl`)")
        else:
            if crl.next_update_utc is not None and crl.next_update_utc < now:
                expired = f"{crl.next_update_utc:%Y-%m-%d %H:%M}"
                problems.append(f"the published CRL expired at {expired} UTC: every VPN login "
                                "will fail")
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                problems.append("listed on the published CRL")
                status = "revoked"
            elif rec is not None and rec.status == "revoked":
                problems.append("revoked but not yet on the published CRL (run `egovops pki "
                                "crl`)")
        return Verification(serial, cert.subject.rfc4514_string(), name, status,
                            tuple(problems))

    def chain_pem(self) -> bytes:
        """Issuing + root certificates, PEM."""
        return self.paths.chain.read_bytes()


def _with_algorithm(req: CertRequest, public_key: PublicKey) -> CertRequest:
    alg = key_algorithm_of(public_key)
    if alg == req.key_algorithm:
        return req
    return CertRequest(profile=req.profile, subject=req.subject, sans=req.sans, days=req.days,
                       key_algorithm=alg, on_token=req.on_token, unit=req.unit,
                       holder=req.holder, extra=req.extra)


def _csr_subject(csr: x509.CertificateSigningRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for attr, oid in SUBJECT_OIDS.items():
        values = csr.subject.get_attributes_for_oid(oid)
        if values:
            out[attr] = str(values[0].value)
    return out


def profile_problems(profile: CertProfile, cert: x509.Certificate) -> list[str]:
    """Every way ``cert`` departs from ``profile`` (extensions checked field by field)."""
    problems: list[str] = []
    ext = cert.extensions
    try:
        bc = ext.get_extension_for_class(x509.BasicConstraints)
        if not bc.critical:
            problems.append("basicConstraints is not critical")
        if bc.value.ca != profile.ca or bc.value.path_length != profile.path_len:
            problems.append(f"basicConstraints CA={bc.value.ca} pathLen={bc.value.path_length}, "
                            f"profile wants CA={profile.ca} pathLen={profile.path_len}")
    except x509.ExtensionNotFound:
        problems.append("basicConstraints missing")
    algorithm = key_algorithm_of(cert.public_key())
    try:
        ku = ext.get_extension_for_class(x509.KeyUsage)
        if not ku.critical:
            problems.append("keyUsage is not critical")
        have = set(key_usage_names(ku.value))
        want = set(profile.key_usage_for(algorithm))
        if have != want:
            problems.append(f"keyUsage {sorted(have)}, profile wants {sorted(want)}")
    except x509.ExtensionNotFound:
        problems.append("keyUsage missing")
    want_eku = {EKU_OIDS[e] for e in profile.extended_key_usage}
    try:
        have_eku = set(ext.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        have_eku = set()
    if have_eku != want_eku:
        names = sorted(o._name for o in have_eku)
        problems.append(f"extendedKeyUsage {names}, profile wants "
                        f"{sorted(profile.extended_key_usage)}")
    if algorithm not in profile.key_algorithms:
        problems.append(f"key {algorithm} not allowed by profile {profile.name}")
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    if lifetime > timedelta(days=profile.max_days) + BACKDATE:
        problems.append(f"lifetime {lifetime.days} days exceeds {profile.max_days}")
    subject = subject_of(cert)
    for attr in sorted(profile.subject_required - subject.keys()):
        problems.append(f"subject {attr.upper()} missing")
    other = {a.oid for a in cert.subject} - {SUBJECT_OIDS[a] for a in profile.subject_allowed}
    for oid in sorted(other, key=lambda o: o.dotted_string):
        problems.append(f"subject attribute {oid._name} not allowed")
    for san in sans_of(cert):
        if san.kind not in profile.san_allowed:
            problems.append(f"SAN {san} not allowed by profile {profile.name}")
    if len(sans_of(cert)) < profile.san_min:
        problems.append(f"profile {profile.name} needs at least {profile.san_min} SAN(s)")
    for oid in (ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER):
        try:
            ext.get_extension_for_oid(oid)
        except x509.ExtensionNotFound:
            problems.append(f"{oid._name} missing")
    return problems
