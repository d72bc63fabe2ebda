"""PKI benchmark: egovops issuance against the openssl CLI, a 100k-entry CRL, token latency.

Run from the repository root::

    .venv/bin/python bench/pki.py [--count 1000] [--cli-count 1000] [--revoked 100000]
                                  [--tokens 20] [--quick]

In one process and one scratch directory it times

1. issuing ``--count`` certificates (sslvpn-user profile) with fresh software P-256 keys:
   key generation + profile check + signing + one durable (fsync) ledger/audit transaction per
   certificate; then the same as one batch (``issue_batch``: one transaction for all);
2. issuing ``--count`` certificates from pre-made CSRs (CSR signature check included);
3. the ``openssl req -newkey ec`` + ``openssl x509 -req`` CLI pair doing the same per
   certificate (two processes per certificate, the way shell-script CAs work), on
   ``--cli-count`` certificates, reported per 1,000;
4. ``publish_crl()`` with ``--revoked`` revoked serials in the ledger (query, DER, sign, write),
   and ``cryptography``'s builder loop on a 10k subsample for comparison;
5. USB-KEY issuance on SoftHSM2 (key generation on the token, signing, cert write-back).

and prints a table with PASS/MISS per target. It always exits 0: benchmarks report, tests assert.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from egovops.pki import CaConfig, CertificateAuthority, CertRequest, init_ca  # noqa: E402
from egovops.pki.issue import issue_usbkey  # noqa: E402
from egovops.pki.ledger import Ledger  # noqa: E402

PASSPHRASE = "bench-passphrase"
SOFTHSM = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


def _req(i: int) -> CertRequest:
    return CertRequest(profile="sslvpn-user",
                       subject={"ou": "bench", "cn": f"user {i}", "uid": f"b{i:06d}"},
                       unit="bench", holder=f"b{i:06d}")


def bench_software(ca: CertificateAuthority, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        ca.issue(_req(i), key.public_key())
    return time.perf_counter() - start


def bench_batch(ca: CertificateAuthority, count: int) -> float:
    start = time.perf_counter()
    items = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        items.append((_req(count + i), key.public_key()))
    ca.issue_batch(items)
    return time.perf_counter() - start


def bench_csr(ca: CertificateAuthority, count: int) -> float:
    csrs = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        csrs.append(x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "bench"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"csr {i}"),
            x509.NameAttribute(NameOID.USER_ID, f"c{i:06d}")])).sign(key, hashes.SHA256()))
    start = time.perf_counter()
    for csr in csrs:
        ca.issue_csr(CertRequest(profile="sslvpn-user", subject={}), csr)
    return time.perf_counter() - start


def bench_openssl(ca: CertificateAuthority, work: Path, count: int) -> float | None:
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    ca_key = work / "issuing.key"
    subprocess.run([openssl, "ec", "-in", str(ca.paths.issuing_key), "-passin",
                    f"pass:{PASSPHRASE}", "-out", str(ca_key)], check=True, capture_output=True)
    ext = work / "ext.cnf"
    ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                   "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n"
                   "authorityKeyIdentifier=keyid\n", encoding="utf-8")
    out = work / "cli"
    out.mkdir()
    start = time.perf_counter()
    for i in range(count):
        key, csr, crt = out / f"{i}.key", out / f"{i}.csr", out / f"{i}.crt"
        subprocess.run([openssl, "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out",
                        str(csr), "-subj", f"/C=CN/O=bench/OU=bench/CN=user {i}/UID=o{i:06d}"],
                       check=True, capture_output=True)
        subprocess.run([openssl, "x509", "-req", "-in", str(csr), "-CA",
                        str(ca.paths.issuing_cert), "-CAkey", str(ca_key), "-set_serial",
                        str(int.from_bytes(os.urandom(16), "big")), "-days", "365",
                        "-sha256", "-extfile", str(ext), "-out", str(crt)],
                       check=True, capture_output=True)
    return time.perf_counter() - start


def bench_crl(ca: CertificateAuthority, revoked: int) -> tuple[float, float, int]:
    now = datetime.now(UTC).replace(microsecond=0)
    later = (now + timedelta(days=365)).isoformat()
    rows = [(format((1 << 120) + i, "x"), "CN=bench", "sslvpn-user", later, now.isoformat(),
             "keyCompromise" if i % 2 else "superseded", now.isoformat())
            for i in range(revoked)]
    with ca.ledger.transaction() as cur:  # set-up only: rows, not audited
        cur.executemany(
            "INSERT INTO certificates (serial, subject, profile, not_before, not_after, status, "
            "revoked_at, reason, issued_at, fingerprint, pem) "
            "VALUES (?, ?, ?, ?, ?, 'revoked', ?, ?, ?, '', '')",
            [(s, sub, prof, nb, na, ra, reason, nb)
             for s, sub, prof, na, ra, reason, nb in
             ((r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows)])
    start = time.perf_counter()
    info = ca.publish_crl()
    ours = time.perf_counter() - start
    # the naive cryptography builder loop, on a 10k subsample
    sample = 10_000
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.issuing_cert.subject)
               .last_update(now).next_update(now + timedelta(days=7)))
    start = time.perf_counter()
    for i in range(sample):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number((1 << 120) + i)
            .revocation_date(now).build())
    builder.sign(ca.key, hashes.SHA256())
    naive = time.perf_counter() - start
    return ours, naive, info.revoked


def bench_tokens(ca: CertificateAuthority, work: Path, count: int) -> list[float] | None:
    module = next((m for m in SOFTHSM if Path(m).exists()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        return None
    tokens = work / "tokens"
    tokens.mkdir()
    conf = work / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", encoding="utf-8")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench",
                    "--so-pin", "12345678", "--pin", "123456"], check=True, capture_output=True)
    times = []
    for i in range(count):
        req = CertRequest(profile="usbkey-user", subject={"ou": "bench", "cn": f"key {i}",
                                                          "uid": f"k{i:04d}"},
                          on_token=True, unit="bench", holder=f"k{i:04d}")
        start = time.perf_counter()
        issue_usbkey(ca, req, module=module, token="bench", pin="123456")
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--cli-count", type=int, default=1000)
    parser.add_argument("--revoked", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="100 certs, 100 via CLI, 10k CRL")
    args = parser.parse_args()
    if args.quick:
        args.count, args.cli_count, args.revoked, args.tokens = 100, 100, 10_000, 5
    work = Path(tempfile.mkdtemp(prefix="egovops-bench-pki-"))
    rows: list[tuple[str, str, str, str]] = []
    try:
        init_ca(work / "ca", CaConfig(), REPO / "policies" / "pki-profiles.yaml", PASSPHRASE)
        with CertificateAuthority(work / "ca") as ca:
            ca.unlock(PASSPHRASE)
            sw = bench_software(ca, args.count)
            per_k_sw = sw * 1000 / args.count
            rows.append((f"egovops: {args.count} certs, software P-256 keys", f"{sw:.2f} s",
                         "<= 5 s per 1,000", _ok(per_k_sw <= 5)))
            batch = bench_batch(ca, args.count)
            rows.append((f"egovops: {args.count} certs, software keys, one batch commit",
                         f"{batch:.2f} s", "<= 5 s per 1,000", _ok(batch * 1000 / args.count <= 5)))
            csr = bench_csr(ca, args.count)
            rows.append((f"egovops: {args.count} certs from CSRs", f"{csr:.2f} s",
                         "<= 5 s per 1,000", _ok(csr * 1000 / args.count <= 5)))
            cli = bench_openssl(ca, work, args.cli_count)
            if cli is not None:
                per_k_cli = cli * 1000 / args.cli_count
                rows.append((f"openssl req + x509 CLI: {args.cli_count} certs", f"{cli:.2f} s",
                             "", ""))
                rows.append(("speed-up (software keys) vs CLI", f"{per_k_cli / per_k_sw:.0f}x",
                             ">= 20x", _ok(per_k_cli / per_k_sw >= 20)))
                rows.append(("speed-up (batch) vs CLI",
                             f"{per_k_cli / (batch * 1000 / args.count):.0f}x", ">= 20x",
                             _ok(per_k_cli / (batch * 1000 / args.count) >= 20)))
                rows.append(("speed-up (CSRs) vs CLI",
                             f"{per_k_cli / (csr * 1000 / args.count):.0f}x", ">= 20x",
                             _ok(per_k_cli / (csr * 1000 / args.count) >= 20)))
            ours, naive, n = bench_crl(ca, args.revoked)
            rows.append((f"publish_crl with {n:,} revoked", f"{ours:.2f} s", "<= 5 s",
                         _ok(ours <= 5)))
            rows.append(("cryptography builder loop, 10,000 revoked", f"{naive:.2f} s",
                         "(for comparison)", ""))
            token = bench_tokens(ca, work, args.tokens)
            if token:
                rows.append((f"USB-KEY issuance on SoftHSM2 (n={len(token)})",
                             f"median {statistics.median(token) * 1000:.0f} ms, max "
                             f"{max(token) * 1000:.0f} ms", "", ""))
            with Ledger(ca.paths.ledger) as led:
                rows.append(("ledger rows", f"{len(led.certificates(profile='sslvpn-user')):,}",
                             "", ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"egovops PKI bench — {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs")
    width = max(len(r[0]) for r in rows)
    for name, value, target, verdict in rows:
        print(f"  {name:<{width}}  {value:>28}  {target:<18} {verdict}")
    return 0


def _ok(flag: bool) -> str:
    return "PASS" if flag else "MISS"


if __name__ == "__main__":
    sys.exit(main())
