"""Key stores: where private keys live (software files, PKCS#11 tokens), behind one Protocol.

The CA and the USB-KEY issuance only ever see a ``cryptography`` private key object; a token
key is a subclass of ``cryptography``'s private-key base classes whose ``sign`` runs on the
token (see :mod:`egovops.pki.token`). Software keys are PKCS#8 PEM files, mode 0600, encrypted
with a passphrase when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from egovops.errors import InputError
from egovops.fsio import write_atomic

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def generate_software_key(algorithm: str) -> PrivateKey:
    """A new software key: ``ec-p256``, ``ec-p384`` or ``rsa-3072``."""
    if algorithm == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if algorithm == "rsa-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise InputError(f"unknown key algorithm {algorithm!r} (ec-p256, ec-p384, rsa-3072)")


def signature_hash(key: PrivateKey | PublicKey) -> hashes.SHA256 | hashes.SHA384:
    """SHA-384 for P-384 keys, SHA-256 otherwise."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and (
        key.curve.key_size >= 384
    ):
        return hashes.SHA384()
    return hashes.SHA256()


def save_private_key(path: Path, key: PrivateKey, passphrase: bytes | None) -> None:
    """Write ``key`` as PKCS#8 PEM, mode 0600, atomically; encrypted when ``passphrase``."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    write_atomic(path, pem, mode=0o600)


def load_private_key(path: Path, passphrase: bytes | None) -> PrivateKey:
    """Read a PEM private key; a wrong or missing passphrase is an :class:`InputError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        raise InputError(f"key {path} is encrypted: a passphrase is needed") from None
    except ValueError:
        raise InputError(f"cannot decrypt key {path}: wrong passphrase or damaged file") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise InputError(f"key {path}: unsupported key type {type(key).__name__}")
    return key


@dataclass(frozen=True)
class StoredKey:
    """A private key a store holds, with the id that ties it to its certificate."""

    key_id: bytes
    label: str
    key: PrivateKey


class KeyStore(Protocol):
    """Where private keys are generated and kept; the CA and issuance use only this.

    Implementations: :class:`SoftwareKeyStore` (PEM files) and
    :class:`egovops.pki.token.TokenKeyStore` (a PKCS#11 token: USB-KEY or HSM).
    """

    def identity(self) -> str:
        """Who holds the keys, for the ledger: a token serial, or ``software``."""
        ...

    def generate(self, label: str, algorithm: str) -> StoredKey:
        """Generate a key pair of ``algorithm`` labelled ``label`` and keep the private half.

        On a token the private key is sensitive and non-extractable.
        """
        ...

    def load(self, label: str) -> StoredKey:
        """The private key labelled ``label``; :class:`InputError`/TokenError when absent."""
        ...

    def store_certificate(self, stored: StoredKey, cert: x509.Certificate) -> None:
        """Keep ``cert`` beside its private key (same id/label)."""
        ...


class SoftwareKeyStore:
    """Keys as PEM files in one directory: ``<label>.key`` (0600) and ``<label>.crt``."""

    def __init__(self, directory: Path, passphrase: bytes | None = None) -> None:
        self.directory = directory
        self.passphrase = passphrase

    def identity(self) -> str:
        """Software keys have no token serial."""
        return "software"

    def key_path(self, label: str) -> Path:
        """Path of the private key labelled ``label``."""
        return self.directory / f"{label}.key"

    def cert_path(self, label: str) -> Path:
        """Path of the certificate labelled ``label``."""
        return self.directory / f"{label}.crt"

    def generate(self, label: str, algorithm: str) -> StoredKey:
        """A new key, written 0600 (encrypted when the store has a passphrase)."""
        key = generate_software_key(algorithm)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        save_private_key(self.key_path(label), key, self.passphrase)
        return StoredKey(key_id=label.encode(), label=label, key=key)

    def load(self, label: str) -> StoredKey:
        """Read ``<label>.key``."""
        return StoredKey(label.encode(), label, load_private_key(self.key_path(label),
                                                                 self.passphrase))

    def store_certificate(self, stored: StoredKey, cert: x509.Certificate) -> None:
        """Write ``<label>.crt`` (PEM)."""
        write_atomic(self.cert_path(stored.label),
                     cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
