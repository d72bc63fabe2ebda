"""The office PKI: CA (offline root + issuing intermediate), certificate profiles, key stores
(software files, PKCS#11 tokens), the SQLite ledger with its hash-chained audit log, fast CRLs
and the ocserv export.

Data flow: profiles (``policies/pki-profiles.yaml``) → :class:`~egovops.pki.ca.CertificateAuthority`
checks a :class:`~egovops.pki.profiles.CertRequest` → signs with a key from a key store → ledger +
audit log (one transaction) → CRL → exports. Library code never prints; the CLI
(:mod:`egovops.cli.pki`) renders and maps errors to exit codes.
"""

from egovops.pki.ca import CertificateAuthority, Issued, Verification, init_ca
from egovops.pki.config import CaConfig, CaKeyConfig, CaPaths
from egovops.pki.profiles import CertProfile, CertRequest, San, load_profiles

__all__ = [
    "CaConfig",
    "CaKeyConfig",
    "CaPaths",
    "CertProfile",
    "CertRequest",
    "CertificateAuthority",
    "Issued",
    "San",
    "Verification",
    "init_ca",
    "load_profiles",
]
