"""PKCS#11 tokens (USB-KEYs, HSMs) as a key store, through ``python-pkcs11``.

Works with any vendor module; tested with SoftHSM2. Keys are generated on the token as
sensitive, non-extractable private objects; the certificate is stored beside the key as a
public object with the key's ``CKA_ID`` and ``CKA_SUBJECT`` so clients (openconnect, browsers)
find it before login. Signing goes through :class:`TokenEcKey`/:class:`TokenRsaKey`, subclasses
of ``cryptography``'s private-key classes, so the same CA code signs with software or token keys.
SoftHSM has no combined ECDSA-SHA256 mechanism: we hash here and sign the digest with raw ECDSA.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NoReturn

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import (
    encode_ec_public_key,
    encode_ecdsa_signature,
    encode_named_curve_parameters,
)
from pkcs11.util.rsa import encode_rsa_public_key

from egovops.pki.errors import TokenError
from egovops.pki.keys import StoredKey

_CURVES: dict[str, tuple[str, ec.EllipticCurve]] = {
    "ec-p256": ("1.2.840.10045.3.1.7", ec.SECP256R1()),
    "ec-p384": ("1.3.132.0.34", ec.SECP384R1()),
}


@dataclass(frozen=True)
class TokenInfo:
    """One token in a module's slots."""

    slot: int
    label: str
    serial: str
    manufacturer: str
    model: str
    initialized: bool
    login_required: bool


@dataclass(frozen=True)
class TokenObject:
    """One object on a token, as far as it can be read without (or with) login."""

    kind: str
    label: str
    key_id: str
    private: bool | None = None
    sensitive: bool | None = None
    extractable: bool | None = None
    subject: str | None = None
    certificate_pem: str | None = None


def _token_error(module: str, token: str | None, what: str, exc: BaseException) -> NoReturn:
    where = f"{module}" + (f", token {token!r}" if token else "")
    detail = type(exc).__name__
    if str(exc):
        detail += f": {exc}"
    raise TokenError(f"{what} ({where}): {detail}") from None


def _lib(module: str) -> Any:
    if not os.path.exists(module):
        raise TokenError(f"PKCS#11 module {module} not found")
    try:
        return pkcs11.lib(module)
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        _token_error(module, None, "cannot load PKCS#11 module", exc)


def release_module(module: str) -> None:
    """Finalize and unload ``module`` so the next use reads its configuration afresh
    (SoftHSM2 reads ``SOFTHSM2_CONF`` at initialisation)."""
    pkcs11.unload(module)


def list_tokens(module: str) -> list[TokenInfo]:
    """Tokens present in the module's slots."""
    lib = _lib(module)
    out = []
    try:
        for slot in lib.get_slots(token_present=True):
            tok = slot.get_token()
            flags = tok.flags
            out.append(TokenInfo(
                slot=slot.slot_id, label=tok.label,
                serial=tok.serial.decode("ascii", "replace").strip(),
                manufacturer=tok.manufacturer_id, model=tok.model,
                initialized=bool(flags & pkcs11.TokenFlag.TOKEN_INITIALIZED),
                login_required=bool(flags & pkcs11.TokenFlag.LOGIN_REQUIRED),
            ))
    except pkcs11.PKCS11Error as exc:
        _token_error(module, None, "cannot list tokens", exc)
    finally:
        release_module(module)
    return out


class TokenKeyStore:
    """A key store on one token, open for the duration of a ``with`` block.

    ``pin=None`` opens a public session (enough to list certificates and public keys).
    """

    def __init__(self, module: str, token_label: str, pin: str | None) -> None:
        self.module = module
        self.token_label = token_label
        self.pin = pin
        self._session: Any = None
        self._serial = ""

    def __enter__(self) -> TokenKeyStore:
        lib = _lib(self.module)
        try:
            token = lib.get_token(token_label=self.token_label)
            self._serial = token.serial.decode("ascii", "replace").strip()
            self._session = token.open(rw=self.pin is not None, user_pin=self.pin)
        except pkcs11.NoSuchToken:
            release_module(self.module)
            raise TokenError(f"no token labelled {self.token_label!r} in {self.module}") from None
        except pkcs11.PinIncorrect:
            release_module(self.module)
            raise TokenError(f"wrong PIN for token {self.token_label!r}") from None
        except pkcs11.PKCS11Error as exc:
            release_module(self.module)
            _token_error(self.module, self.token_label, "cannot open token", exc)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._session is not None:
                self._session.close()
        finally:
            self._session = None
            release_module(self.module)

    @property
    def session(self) -> Any:
        """The open python-pkcs11 session."""
        if self._session is None:
            raise TokenError("token key store used outside its with-block")
        return self._session

    def identity(self) -> str:
        """The token's serial number (what the USB-KEY register records)."""
        return self._serial

    def generate(self, label: str, algorithm: str) -> StoredKey:
        """A key pair on the token: private half sensitive, non-extractable, private."""
        if self.pin is None:
            raise TokenError("generating a key needs a logged-in session (PIN)")
        key_id = os.urandom(20)
        private_template = {
            Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False, Attribute.SIGN: True,
        }
        public_template = {Attribute.TOKEN: True, Attribute.PRIVATE: False,
                           Attribute.VERIFY: True}
        try:
            if algorithm in _CURVES:
                params = self.session.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters(_CURVES[algorithm][0])},
                    local=True,
                )
                pub, priv = params.generate_keypair(
                    id=key_id, label=label, store=True, private_template=private_template,
                    public_template=public_template,
                )
            elif algorithm == "rsa-3072":
                pub, priv = self.session.generate_keypair(
                    KeyType.RSA, 3072, id=key_id, label=label, store=True,
                    private_template=private_template, public_template=public_template,
                )
            else:
                raise TokenError(f"key algorithm {algorithm} is not supported on tokens")
        except pkcs11.PKCS11Error as exc:
            _token_error(self.module, self.token_label, "key generation failed", exc)
        return StoredKey(key_id=key_id, label=label, key=_wrap(priv, pub))

    def load(self, label: str) -> StoredKey:
        """The private key labelled ``label`` (needs the PIN)."""
        try:
            priv = self.session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            pub = self.session.get_key(object_class=ObjectClass.PUBLIC_KEY, id=priv.id)
        except pkcs11.NoSuchKey:
            raise TokenError(f"no key labelled {label!r} on token {self.token_label!r}") from None
        except pkcs11.PKCS11Error as exc:
            _token_error(self.module, self.token_label, f"cannot read key {label!r}", exc)
        return StoredKey(key_id=priv.id, label=label, key=_wrap(priv, pub))

    def store_certificate(self, stored: StoredKey, cert: x509.Certificate) -> None:
        """Write ``cert`` onto the token: public object, same CKA_ID and label as the key."""
        der = cert.public_bytes(serialization.Encoding.DER)
        try:
            self.session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.MODIFIABLE: True,
                Attribute.ID: stored.key_id,
                Attribute.LABEL: stored.label,
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.ISSUER: cert.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: _der_integer(cert.serial_number),
                Attribute.VALUE: der,
            })
        except pkcs11.PKCS11Error as exc:
            _token_error(self.module, self.token_label, "cannot store certificate", exc)

    def objects(self) -> list[TokenObject]:
        """Every object visible in this session (private ones only after login)."""
        out: list[TokenObject] = []
        try:
            for obj in self.session.get_objects():
                out.append(_describe(obj))
        except pkcs11.PKCS11Error as exc:
            _token_error(self.module, self.token_label, "cannot list objects", exc)
        return sorted(out, key=lambda o: (o.key_id, o.kind))


def _describe(obj: Any) -> TokenObject:
    cls = obj[Attribute.CLASS]
    kind = {ObjectClass.CERTIFICATE: "certificate", ObjectClass.PRIVATE_KEY: "private-key",
            ObjectClass.PUBLIC_KEY: "public-key",
            ObjectClass.SECRET_KEY: "secret-key"}.get(cls, str(cls))
    label = _attr(obj, Attribute.LABEL) or ""
    key_id = (_attr(obj, Attribute.ID) or b"").hex()
    private = _attr(obj, Attribute.PRIVATE)
    if kind == "certificate":
        der = _attr(obj, Attribute.VALUE)
        cert = x509.load_der_x509_certificate(der) if der else None
        return TokenObject(kind, label, key_id, private=private,
                           subject=cert.subject.rfc4514_string() if cert else None,
                           certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode()
                           if cert else None)
    if kind == "private-key":
        return TokenObject(kind, label, key_id, private=private,
                           sensitive=_attr(obj, Attribute.SENSITIVE),
                           extractable=_attr(obj, Attribute.EXTRACTABLE))
    return TokenObject(kind, label, key_id, private=private)


def _attr(obj: Any, attr: Attribute) -> Any:
    try:
        return obj[attr]
    except (pkcs11.PKCS11Error, KeyError, NotImplementedError):
        return None


def _der_integer(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return bytes([0x02, len(body)]) + body if len(body) < 128 else (
        bytes([0x02, 0x81, len(body)]) + body
    )


def _wrap(priv: Any, pub: Any) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if priv.key_type == KeyType.EC:
        public = serialization.load_der_public_key(encode_ec_public_key(pub))
        assert isinstance(public, ec.EllipticCurvePublicKey)
        return TokenEcKey(priv, public)
    public = serialization.load_der_public_key(encode_rsa_public_key(pub))
    if not isinstance(public, rsa.RSAPublicKey):  # pragma: no cover - token inconsistency
        raise TokenError("token public key does not match its private key type")
    return TokenRsaKey(priv, public)


def _digest(data: bytes | bytearray | memoryview,
            algorithm: hashes.HashAlgorithm | utils.Prehashed) -> bytes:
    if isinstance(algorithm, utils.Prehashed):
        return bytes(data)
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


class TokenEcKey(ec.EllipticCurvePrivateKey):
    """An EC private key that stays on the token; ``sign`` hashes here, signs there."""

    def __init__(self, priv: Any, public: ec.EllipticCurvePublicKey) -> None:
        self._priv = priv
        self._public = public

    @property
    def curve(self) -> ec.EllipticCurve:
        """The key's curve (from its public half)."""
        return self._public.curve

    @property
    def key_size(self) -> int:
        """Curve size in bits."""
        return self._public.curve.key_size

    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The public half, read from the token."""
        return self._public

    def sign(self, data: bytes | bytearray | memoryview,
             signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        """DER ECDSA signature made on the token (raw ECDSA over the digest)."""
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise TokenError("only ECDSA signatures are supported with EC token keys")
        digest = _digest(data, signature_algorithm.algorithm)
        try:
            raw = self._priv.sign(digest, mechanism=Mechanism.ECDSA)
        except pkcs11.PKCS11Error as exc:
            raise TokenError(f"token signature failed: {type(exc).__name__}") from None
        return bytes(encode_ecdsa_signature(raw))

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        """Not offered: USB-KEY keys sign only."""
        raise TokenError("ECDH with token keys is not supported")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        """Refused: the key is non-extractable."""
        raise TokenError("token keys are not extractable")

    def private_bytes(self, encoding: serialization.Encoding,
                      format: serialization.PrivateFormat,
                      encryption_algorithm: serialization.KeySerializationEncryption) -> bytes:
        """Refused: the key is non-extractable."""
        raise TokenError("token keys are not extractable")

    def __copy__(self) -> TokenEcKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> TokenEcKey:
        return self


class TokenRsaKey(rsa.RSAPrivateKey):
    """An RSA private key that stays on the token (PKCS#1 v1.5 with SHA-256/384)."""

    def __init__(self, priv: Any, public: rsa.RSAPublicKey) -> None:
        self._priv = priv
        self._public = public

    @property
    def key_size(self) -> int:
        """Modulus size in bits."""
        return self._public.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        """The public half, read from the token."""
        return self._public

    def sign(self, data: bytes, padding: AsymmetricPadding,
             algorithm: hashes.HashAlgorithm | utils.Prehashed | utils.NoDigestInfo) -> bytes:
        """PKCS#1 v1.5 signature made on the token."""
        mech = {"sha256": Mechanism.SHA256_RSA_PKCS, "sha384": Mechanism.SHA384_RSA_PKCS}
        if not isinstance(algorithm, hashes.HashAlgorithm) or algorithm.name not in mech:
            raise TokenError("token RSA keys sign SHA-256/SHA-384 PKCS#1 v1.5 only")
        try:
            return bytes(self._priv.sign(data, mechanism=mech[algorithm.name]))
        except pkcs11.PKCS11Error as exc:
            raise TokenError(f"token signature failed: {type(exc).__name__}") from None

    def decrypt(self, ciphertext: bytes, padding: AsymmetricPadding) -> bytes:
        """Not offered: USB-KEY keys sign only."""
        raise TokenError("decryption with token keys is not supported")

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        """Refused: the key is non-extractable."""
        raise TokenError("token keys are not extractable")

    def private_bytes(self, encoding: serialization.Encoding,
                      format: serialization.PrivateFormat,
                      encryption_algorithm: serialization.KeySerializationEncryption) -> bytes:
        """Refused: the key is non-extractable."""
        raise TokenError("token keys are not extractable")

    def __copy__(self) -> TokenRsaKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> TokenRsaKey:
        return self


def is_token_key(key: PrivateKeyTypes) -> bool:
    """Whether ``key`` lives on a token."""
    return isinstance(key, TokenEcKey | TokenRsaKey)
