"""What ``distribute-crl`` sends to the SSL-VPN gateways: the current CRL and the CA chain of
``egovops pki``, exported for ocserv on the controller (``python -m egovops.playbooks.crl
export CA_DIR OUT_DIR``).

Fail closed: a CA without a published CRL, or whose CRL is past its nextUpdate, is refused
(exit 2) instead of shipping something ocserv would treat as stale: run ``egovops pki crl``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from egovops.errors import EgovopsError
from egovops.pki.ca import CertificateAuthority
from egovops.pki.errors import CaStateError
from egovops.pki.export import export_ocserv


def export_for_gateways(ca_dir: Path, out_dir: Path, now: datetime | None = None) -> list[Path]:
    """Write ``ca.pem`` and ``crl.pem`` into ``out_dir``; raises :class:`CaStateError` when
    the CRL is missing or expired."""
    with CertificateAuthority(ca_dir) as ca:
        crl = ca.current_crl()
        if crl is None:
            raise CaStateError("no CRL published yet: run `egovops pki crl`")
        when = now or datetime.now(UTC)
        if crl.next_update_utc is not None and crl.next_update_utc <= when:
            raise CaStateError(f"the CRL expired at {crl.next_update_utc.isoformat()}: run "
                               "`egovops pki crl` before distributing it")
        export = export_ocserv(ca, out_dir)
    return [export.ca_cert, export.crl]


def main(argv: list[str] | None = None) -> int:
    """``export CA_DIR OUT_DIR``."""
    parser = argparse.ArgumentParser(prog="python -m egovops.playbooks.crl")
    sub = parser.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("ca_dir")
    e.add_argument("out_dir")
    args = parser.parse_args(argv)
    try:
        for path in export_for_gateways(Path(args.ca_dir), Path(args.out_dir)):
            sys.stdout.write(f"{path}\n")
    except (EgovopsError, OSError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
