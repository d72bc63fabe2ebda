"""Exports of the PKI for gateways: ocserv (the SSL-VPN gateway) gets the CA chain, the CRL and
a configuration snippet. ocserv does not check EKU itself; egovops enforces profiles at issuance
and ``egovops pki verify`` checks a certificate against its profile, chain and CRL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from egovops.fsio import write_atomic
from egovops.pki.ca import CertificateAuthority
from egovops.pki.errors import CaStateError

USER_OIDS = {"uid": "0.9.2342.19200300.100.1.1", "cn": "2.5.4.3"}


@dataclass(frozen=True)
class OcservExport:
    """Files written for ocserv."""

    ca_cert: Path
    crl: Path
    snippet: Path


def ocserv_snippet(ca_cert: Path, crl: Path, user_attr: str = "uid") -> str:
    """The ocserv.conf lines that make it accept only this CA's certificates."""
    return (
        "# written by `egovops pki export ocserv`; include it in ocserv.conf\n"
        "# staff log in with their USB-KEY certificate; the user name is the staff id\n"
        'auth = "certificate"\n'
        f"ca-cert = {ca_cert}\n"
        f"crl = {crl}\n"
        f"cert-user-oid = {USER_OIDS[user_attr]}\n"
        "# reload after `egovops pki crl`: kill -HUP $(cat /run/ocserv.pid)\n"
    )


def export_ocserv(ca: CertificateAuthority, out_dir: Path, *, user_attr: str = "uid",
                  config_dir: Path | None = None) -> OcservExport:
    """Write ``ca.pem`` (issuing + root), ``crl.pem`` and ``ocserv-pki.conf`` into ``out_dir``.

    ``config_dir`` is where the files will live on the gateway (default: ``out_dir``), used
    for the paths in the snippet.
    """
    crl = ca.current_crl()
    if crl is None:
        raise CaStateError("no CRL published yet: run `egovops pki crl` first (ocserv needs "
                           "one)")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = (config_dir or out_dir).absolute()
    ca_path = out_dir / "ca.pem"
    crl_path = out_dir / "crl.pem"
    snippet = out_dir / "ocserv-pki.conf"
    write_atomic(ca_path, ca.chain_pem())
    write_atomic(crl_path, ca.paths.crl_pem.read_bytes())
    write_atomic(snippet, ocserv_snippet(target / "ca.pem", target / "crl.pem", user_attr))
    return OcservExport(ca_path, crl_path, snippet)
