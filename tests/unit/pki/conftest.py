"""A fresh CA per test (P-256, software keys) under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from egovops.pki import CaConfig, CertificateAuthority, init_ca
from tests.conftest import REPO

PROFILES = REPO / "policies" / "pki-profiles.yaml"
PASSPHRASE = "correct-horse-battery"


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    path = tmp_path / "ca"
    init_ca(path, CaConfig(crl_urls=("http://pki.example.gov.cn/issuing.crl",),
                           aia_urls=("http://pki.example.gov.cn/issuing.crt",)),
            PROFILES, PASSPHRASE)
    return path


@pytest.fixture
def ca(ca_dir: Path) -> Iterator[CertificateAuthority]:
    with CertificateAuthority(ca_dir) as authority:
        authority.unlock(PASSPHRASE)
        yield authority
