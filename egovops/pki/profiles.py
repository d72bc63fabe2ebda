"""Certificate profiles (``policies/pki-profiles.yaml``) and the check of a request against one.

A :class:`CertProfile` is inert data loaded once; :func:`check_request` lists every reason a
:class:`CertRequest` does not fit (the CA refuses it with all of them at once) and
:func:`profile_extensions` turns a profile into the X.509 extensions the CA writes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from egovops.errors import InputError, Problem
from egovops.load.yamlsource import line_of, read_yaml_file

KeyAlgorithm = Literal["ec-p256", "ec-p384", "rsa-3072"]
KEY_ALGORITHMS: tuple[KeyAlgorithm, ...] = ("ec-p256", "ec-p384", "rsa-3072")
SubjectAttr = Literal["c", "o", "ou", "cn", "uid"]
SanKind = Literal["dns", "ip", "email"]
KeyUsageName = Literal[
    "digitalSignature", "keyEncipherment", "keyAgreement", "keyCertSign", "cRLSign"
]
EkuName = Literal["clientAuth", "serverAuth"]

SUBJECT_OIDS: dict[str, x509.ObjectIdentifier] = {
    "c": NameOID.COUNTRY_NAME,
    "o": NameOID.ORGANIZATION_NAME,
    "ou": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "cn": NameOID.COMMON_NAME,
    "uid": NameOID.USER_ID,
}
SUBJECT_ORDER: tuple[str, ...] = ("c", "o", "ou", "cn", "uid")
EKU_OIDS: dict[str, x509.ObjectIdentifier] = {
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
}
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _SubjectRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    required: list[SubjectAttr]
    allowed: list[SubjectAttr]


class _SanRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    allowed: list[SanKind] = Field(default_factory=list)
    min: int = Field(default=0, ge=0)


class _ProfileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    ca: bool = False
    path_len: int | None = Field(default=None, ge=0)
    key_usage: list[KeyUsageName]
    key_usage_rsa: list[KeyUsageName] | None = None
    extended_key_usage: list[EkuName] = Field(default_factory=list)
    subject: _SubjectRule
    san: _SanRule = Field(default_factory=_SanRule)
    uid_pattern: str | None = None
    max_days: int = Field(gt=0)
    default_days: int = Field(gt=0)
    key_algorithms: list[KeyAlgorithm]
    key_storage: Literal["any", "token"] = "any"


class _ProfilesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    profiles: dict[str, _ProfileSpec]


@dataclass(frozen=True)
class CertProfile:
    """What a certificate of one kind must look like (one entry of ``pki-profiles.yaml``)."""

    name: str
    description: str
    ca: bool
    path_len: int | None
    key_usage: tuple[str, ...]
    key_usage_rsa: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    subject_required: frozenset[str]
    subject_allowed: frozenset[str]
    san_allowed: frozenset[str]
    san_min: int
    uid_pattern: str | None
    max_days: int
    default_days: int
    key_algorithms: frozenset[str]
    key_storage: str

    def key_usage_for(self, algorithm: str) -> tuple[str, ...]:
        """Key usage bits for a key of ``algorithm`` (RSA may add keyEncipherment)."""
        return self.key_usage_rsa if algorithm.startswith("rsa") else self.key_usage


@dataclass(frozen=True)
class San:
    """One subjectAltName entry: ``dns``, ``ip`` or ``email``."""

    kind: str
    value: str

    @classmethod
    def parse(cls, text: str) -> San:
        """``DNS:vpn.example``, ``IP:10.0.0.1``, ``email:a@b`` or a bare name/address."""
        kind, sep, value = text.partition(":")
        if sep and kind.lower() in {"dns", "ip", "email"}:
            return cls(kind.lower(), value.strip())
        text = text.strip()
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return cls("email", text) if "@" in text else cls("dns", text)
        return cls("ip", text)

    def general_name(self) -> x509.GeneralName:
        """The ``cryptography`` GeneralName for this entry."""
        if self.kind == "ip":
            return x509.IPAddress(ipaddress.ip_address(self.value))
        if self.kind == "email":
            return x509.RFC822Name(self.value)
        return x509.DNSName(self.value)

    def __str__(self) -> str:
        return f"{self.kind.upper() if self.kind != 'email' else 'email'}:{self.value}"


@dataclass(frozen=True)
class CertRequest:
    """What an issuer asks for: a profile, subject attributes, SANs, a lifetime and a key."""

    profile: str
    subject: Mapping[str, str]
    sans: tuple[San, ...] = ()
    days: int | None = None
    key_algorithm: str = "ec-p256"
    on_token: bool = False
    unit: str | None = None
    holder: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def x509_name(self) -> x509.Name:
        """Subject DN in canonical order (C, O, OU, CN, UID)."""
        return x509.Name([
            x509.NameAttribute(SUBJECT_OIDS[attr], self.subject[attr])
            for attr in SUBJECT_ORDER
            if self.subject.get(attr)
        ])


def key_algorithm_of(public_key: Any) -> str:
    """``ec-p256``, ``ec-p384``, ``rsa-3072`` … for a ``cryptography`` public key."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(
            public_key.curve.name, f"ec-{public_key.curve.name}"
        )
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"rsa-{public_key.key_size}"
    return type(public_key).__name__


def check_request(profile: CertProfile, req: CertRequest) -> list[str]:
    """Every reason ``req`` does not fit ``profile`` (empty when it fits)."""
    reasons: list[str] = []
    subject = {k: v for k, v in req.subject.items() if v}
    for attr in sorted(profile.subject_required - subject.keys()):
        reasons.append(f"subject {attr.upper()} is required by profile {profile.name}")
    for attr in sorted(subject.keys() - profile.subject_allowed):
        reasons.append(f"subject {attr.upper()} is not allowed by profile {profile.name}")
    for attr, value in sorted(subject.items()):
        if value != value.strip() or any(ord(ch) < 32 for ch in value):
            reasons.append(f"subject {attr.upper()} has control characters or edge spaces")
        if len(value) > 64:
            reasons.append(f"subject {attr.upper()} is longer than 64 characters")
    if "c" in subject and not re.fullmatch(r"[A-Z]{2}", subject["c"]):
        reasons.append("subject C must be a two-letter country code (e.g. CN)")
    uid = subject.get("uid")
    if uid is not None and profile.uid_pattern and not re.fullmatch(profile.uid_pattern, uid):
        reasons.append(f"staff id {uid!r} does not match {profile.uid_pattern}")
    for san in req.sans:
        if san.kind not in profile.san_allowed:
            allowed = ", ".join(sorted(profile.san_allowed)) or "none"
            reasons.append(f"SAN {san} not allowed by profile {profile.name} (allowed: {allowed})")
            continue
        problem = _san_problem(san)
        if problem:
            reasons.append(problem)
    if len(req.sans) < profile.san_min:
        reasons.append(f"profile {profile.name} needs at least {profile.san_min} SAN(s)")
    if len(set(req.sans)) != len(req.sans):
        reasons.append("duplicate SAN entries")
    if req.days is not None:
        if req.days <= 0:
            reasons.append("lifetime must be at least one day")
        elif req.days > profile.max_days:
            reasons.append(
                f"lifetime {req.days} days exceeds profile {profile.name} maximum "
                f"of {profile.max_days} days"
            )
    if req.key_algorithm not in profile.key_algorithms:
        allowed = ", ".join(sorted(profile.key_algorithms))
        reasons.append(f"key {req.key_algorithm} not allowed by profile {profile.name} "
                       f"(allowed: {allowed})")
    if profile.key_storage == "token" and not req.on_token:
        reasons.append(f"profile {profile.name} requires the key to be generated on a token")
    return reasons


def _san_problem(san: San) -> str | None:
    if san.kind == "ip":
        try:
            ipaddress.ip_address(san.value)
        except ValueError:
            return f"SAN {san}: not an IP address"
        return None
    if san.kind == "email":
        return None if _EMAIL.match(san.value) else f"SAN {san}: not an e-mail address"
    name = san.value.removeprefix("*.")
    labels = name.rstrip(".").split(".")
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        return f"SAN {san}: not a DNS name"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        return f"SAN {san}: use the punycode (xn--) form of internationalised names"
    return None


def load_profiles(path: Path) -> dict[str, CertProfile]:
    """Read a profiles file; every problem is reported at once with ``file:line``."""
    display = str(path)
    data, problems = read_yaml_file(path, display)
    if problems:
        raise InputError(f"cannot read PKI profiles {display}", problems)
    try:
        spec = _ProfilesFile.model_validate(data)
    except ValidationError as exc:
        found = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc)
            found.append(Problem(display, line_of(data, loc), 0, f"{where}: {err['msg']}",
                                 "schema"))
        raise InputError(f"invalid PKI profiles {display}", found) from None
    out: dict[str, CertProfile] = {}
    semantic: list[Problem] = []
    for name, p in spec.profiles.items():
        line = line_of(data, ("profiles", name))
        if p.default_days > p.max_days:
            semantic.append(Problem(display, line, 0,
                                    f"{name}: default_days exceeds max_days", "schema"))
        if p.ca != (p.path_len is not None):
            semantic.append(Problem(display, line, 0,
                                    f"{name}: CA profiles need path_len, others must not have "
                                    "it", "schema"))
        if p.uid_pattern is not None:
            try:
                re.compile(p.uid_pattern)
            except re.error as exc:
                semantic.append(Problem(display, line, 0, f"{name}: uid_pattern: {exc}",
                                        "schema"))
        if not set(p.subject.required) <= set(p.subject.allowed):
            semantic.append(Problem(display, line, 0,
                                    f"{name}: every required subject attribute must be allowed",
                                    "schema"))
        out[name] = CertProfile(
            name=name, description=p.description, ca=p.ca, path_len=p.path_len,
            key_usage=tuple(p.key_usage),
            key_usage_rsa=tuple(p.key_usage_rsa or p.key_usage),
            extended_key_usage=tuple(p.extended_key_usage),
            subject_required=frozenset(p.subject.required),
            subject_allowed=frozenset(p.subject.allowed),
            san_allowed=frozenset(p.san.allowed), san_min=p.san.min,
            uid_pattern=p.uid_pattern, max_days=p.max_days, default_days=p.default_days,
            key_algorithms=frozenset(p.key_algorithms), key_storage=p.key_storage,
        )
    for needed in ("root-ca", "issuing-ca"):
        if needed not in out:
            semantic.append(Problem(display, line_of(data, ("profiles",)), 0,
                                    f"profile {needed} is required", "schema"))
    if semantic:
        raise InputError(f"invalid PKI profiles {display}", semantic)
    return out


def key_usage_extension(names: tuple[str, ...]) -> x509.KeyUsage:
    """A KeyUsage extension with exactly the named bits set."""
    bits = set(names)
    return x509.KeyUsage(
        digital_signature="digitalSignature" in bits,
        content_commitment=False,
        key_encipherment="keyEncipherment" in bits,
        data_encipherment=False,
        key_agreement="keyAgreement" in bits,
        key_cert_sign="keyCertSign" in bits,
        crl_sign="cRLSign" in bits,
        encipher_only=False,
        decipher_only=False,
    )


def key_usage_names(ku: x509.KeyUsage) -> tuple[str, ...]:
    """The bits set in a KeyUsage extension, by profile name."""
    names = []
    for name, attr in (("digitalSignature", "digital_signature"),
                       ("keyEncipherment", "key_encipherment"),
                       ("keyAgreement", "key_agreement"),
                       ("keyCertSign", "key_cert_sign"), ("cRLSign", "crl_sign")):
        if getattr(ku, attr):
            names.append(name)
    return tuple(names)
