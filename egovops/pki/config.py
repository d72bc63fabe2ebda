"""CA configuration (``ca.yaml`` in the CA directory) and the directory layout, with its
permission check (directories 0700, key files and ledger 0600, owned by the current user)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from egovops.errors import Problem
from egovops.pki.errors import CaStateError, InsecurePermissionsError
from egovops.pki.profiles import KeyAlgorithm

CONFIG_NAME = "ca.yaml"


class CaKeyConfig(BaseModel):
    """Where the issuing CA's private key lives: an encrypted PEM file or a PKCS#11 token."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["software", "pkcs11"] = "software"
    module: str | None = None
    token: str | None = None
    label: str = "egovops-issuing-ca"


class CaConfig(BaseModel):
    """Settings chosen at ``egovops pki init`` and kept in ``<ca-dir>/ca.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    algorithm: KeyAlgorithm = "ec-p256"
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    organization: str = "egovops e-government network office"
    root_cn: str = "egovops Root CA"
    issuing_cn: str = "egovops Issuing CA"
    crl_urls: tuple[str, ...] = ()
    aia_urls: tuple[str, ...] = ()
    crl_next_update_hours: int = Field(default=168, gt=0)
    ca_key: CaKeyConfig = Field(default_factory=CaKeyConfig)


@dataclass(frozen=True)
class CaPaths:
    """Every file of one CA directory."""

    root: Path

    @property
    def config(self) -> Path:
        """``ca.yaml``."""
        return self.root / CONFIG_NAME

    @property
    def profiles(self) -> Path:
        """The CA's copy of the profiles."""
        return self.root / "profiles.yaml"

    @property
    def root_dir(self) -> Path:
        """Offline root: move ``root/key.pem`` to offline storage after init."""
        return self.root / "root"

    @property
    def root_cert(self) -> Path:
        """Root certificate (PEM)."""
        return self.root_dir / "cert.pem"

    @property
    def root_key(self) -> Path:
        """Root private key (encrypted PEM)."""
        return self.root_dir / "key.pem"

    @property
    def issuing_dir(self) -> Path:
        """Issuing intermediate."""
        return self.root / "issuing"

    @property
    def issuing_cert(self) -> Path:
        """Issuing CA certificate (PEM)."""
        return self.issuing_dir / "cert.pem"

    @property
    def issuing_key(self) -> Path:
        """Issuing CA private key (encrypted PEM; absent when it lives on a token)."""
        return self.issuing_dir / "key.pem"

    @property
    def chain(self) -> Path:
        """Issuing + root certificates (PEM), what relying parties trust."""
        return self.root / "chain.pem"

    @property
    def ledger(self) -> Path:
        """SQLite ledger and audit log."""
        return self.root / "ledger.sqlite"

    @property
    def crl_dir(self) -> Path:
        """Published CRLs."""
        return self.root / "crl"

    @property
    def crl_der(self) -> Path:
        """Issuing CA CRL, DER."""
        return self.crl_dir / "issuing.crl"

    @property
    def crl_pem(self) -> Path:
        """Issuing CA CRL, PEM."""
        return self.crl_dir / "issuing.crl.pem"


def load_config(paths: CaPaths) -> CaConfig:
    """Read ``ca.yaml``; a missing CA directory or config is a :class:`CaStateError`."""
    if not paths.config.is_file():
        raise CaStateError(f"{paths.root} is not an egovops CA directory "
                           "(run `egovops pki init` first)")
    try:
        data = yaml.safe_load(paths.config.read_text(encoding="utf-8"))
        return CaConfig.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise CaStateError(f"{paths.config}: invalid CA configuration",
                           [Problem(str(paths.config), 0, 0, str(exc), "schema")]) from None


def dump_config(config: CaConfig) -> str:
    """YAML text of ``config``."""
    data = config.model_dump(mode="json")
    return "# egovops CA configuration (written by `egovops pki init`)\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True)


SECRET_FILES = ("root/key.pem", "issuing/key.pem", "ledger.sqlite", "ledger.sqlite-wal",
                "ledger.sqlite-shm")


def check_permissions(paths: CaPaths) -> None:
    """Refuse to work on a CA directory others can read: dirs 0700, keys and ledger 0600."""
    problems: list[Problem] = []
    uid = os.getuid()
    dirs = [paths.root, paths.root_dir, paths.issuing_dir]
    for d in dirs:
        try:
            st = d.stat()
        except FileNotFoundError:
            continue
        if stat.S_IMODE(st.st_mode) & 0o077:
            problems.append(Problem(str(d), 0, 0, f"directory mode is "
                                    f"{stat.S_IMODE(st.st_mode):04o}, must be 0700",
                                    "permissions"))
        if st.st_uid != uid:
            problems.append(Problem(str(d), 0, 0, f"owned by uid {st.st_uid}, not {uid}",
                                    "permissions"))
    for rel in SECRET_FILES:
        f = paths.root / rel
        try:
            st = f.stat()
        except FileNotFoundError:
            continue
        if stat.S_IMODE(st.st_mode) & 0o077:
            problems.append(Problem(str(f), 0, 0, f"file mode is "
                                    f"{stat.S_IMODE(st.st_mode):04o}, must be 0600",
                                    "permissions"))
    if problems:
        raise InsecurePermissionsError(
            "CA directory is readable by others; fix the modes and rerun", problems)
