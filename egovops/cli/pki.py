"""``egovops pki …``: the office CA, USB-KEY issuance, revocation, CRL, verification, exports.

Every command works on one CA directory (``--ca-dir``, env ``EGOVOPS_PKI_DIR``). Secrets come
from ``EGOVOPS_CA_PASSPHRASE`` / ``EGOVOPS_TOKEN_PIN``, from ``--passphrase-file`` /
``--pin-file``, or from a prompt on a terminal; never from argv. Exit codes: 0 ok, 1 a
verification failed (``verify``, ``audit verify``), 2 bad input or refused request.
"""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from rich.markup import escape
from rich.table import Table

from egovops.cli.errors import EXIT_FINDINGS
from egovops.cli.state import OutputFormat, State, state
from egovops.errors import InputError, UsageError, display_path
from egovops.fsio import write_atomic
from egovops.pki.ca import CertificateAuthority, init_ca
from egovops.pki.config import CaConfig, CaKeyConfig
from egovops.pki.crl import REASONS
from egovops.pki.export import export_ocserv
from egovops.pki.issue import issue_renewal, issue_software, issue_usbkey
from egovops.pki.ledger import CertRecord, verify_audit
from egovops.pki.profiles import KEY_ALGORITHMS, CertRequest, San
from egovops.pki.secrets import (
    CA_PASSPHRASE_ENV,
    TOKEN_PIN_ENV,
    read_secret,
    require_secret,
)
from egovops.pki.token import TokenKeyStore, list_tokens

P12_PASSPHRASE_ENV = "EGOVOPS_P12_PASSPHRASE"

app = typer.Typer(help="PKI: CA, USB-KEY and SSL-VPN certificates, revocation, CRL.",
                  no_args_is_help=True)
issue_app = typer.Typer(help="Issue a certificate of one profile.", no_args_is_help=True)
token_app = typer.Typer(help="Read what is on a PKCS#11 token (USB-KEY).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log of CA operations.",
                        no_args_is_help=True)
export_app = typer.Typer(help="Export the PKI for gateways.", no_args_is_help=True)
app.add_typer(issue_app, name="issue")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(export_app, name="export")

CaDir = Annotated[Path, typer.Option("--ca-dir", envvar="EGOVOPS_PKI_DIR",
                                     help="CA directory (env EGOVOPS_PKI_DIR)")]
PassFile = Annotated[Path | None, typer.Option(
    "--passphrase-file", help=f"file holding the CA passphrase (else env {CA_PASSPHRASE_ENV} "
    "or a prompt)")]
PinFile = Annotated[Path | None, typer.Option(
    "--pin-file", help=f"file holding the token PIN (else env {TOKEN_PIN_ENV} or a prompt)")]
Module = Annotated[str, typer.Option("--module", envvar="EGOVOPS_PKCS11_MODULE",
                                     help="PKCS#11 module (.so) of the token vendor")]
Fmt = Annotated[OutputFormat, typer.Option("--format", "-f", case_sensitive=False,
                                           help="output format")]
Days = Annotated[int | None, typer.Option("--days", help="lifetime in days (default: the "
                                          "profile's)")]
Algo = Annotated[str, typer.Option("--key", help="key algorithm: " + ", ".join(KEY_ALGORITHMS))]


def _secret(st: State, env: str, file: Path | None, what: str, option: str) -> str:
    value = read_secret(env, file)
    if value is None and sys.stdin.isatty():
        value = typer.prompt(st.t(what), hide_input=True)
    return require_secret(value, what.removeprefix("pki.prompt_"), env, option)


def _open(ca_dir: Path, passphrase_file: Path | None, pin_file: Path | None = None, *,
          unlock: bool = True) -> CertificateAuthority:
    ca = CertificateAuthority(ca_dir)
    if unlock:
        try:
            st = state()
            if ca.key_on_token:
                secret = _secret(st, TOKEN_PIN_ENV, pin_file, "pki.prompt_pin", "--pin-file")
            else:
                secret = _secret(st, CA_PASSPHRASE_ENV, passphrase_file,
                                 "pki.prompt_passphrase", "--passphrase-file")
            ca.unlock(secret)
        except BaseException:
            ca.close()
            raise
    return ca


def _say(st: State, key: str, **values: object) -> None:
    st.out.print(st.t(key, **values), highlight=False, markup=False, soft_wrap=True)


@app.command()
def init(
    ca_dir: CaDir,
    algorithm: Annotated[str, typer.Option("--algorithm", help="CA key algorithm: "
                                           + ", ".join(KEY_ALGORITHMS))] = "ec-p256",
    organization: Annotated[str, typer.Option("--org", help="organisation (O) of the CA")] = (
        "egovops e-government network office"),
    country: Annotated[str, typer.Option("--country", help="country code (C)")] = "CN",
    root_cn: Annotated[str, typer.Option("--root-cn", help="CN of the root")] = (
        "egovops Root CA"),
    issuing_cn: Annotated[str, typer.Option("--issuing-cn", help="CN of the issuing CA")] = (
        "egovops Issuing CA"),
    crl_url: Annotated[list[str] | None, typer.Option("--crl-url", help="CRL distribution "
                                                      "point URL (repeatable)")] = None,
    aia_url: Annotated[list[str] | None, typer.Option("--aia-url", help="caIssuers URL of the "
                                                      "AIA extension (repeatable)")] = None,
    crl_hours: Annotated[int, typer.Option("--crl-hours", help="CRL validity (nextUpdate) in "
                                           "hours")] = 168,
    profiles: Annotated[Path | None, typer.Option("--profiles", help="profiles file (default: "
                                                  "policies/pki-profiles.yaml)")] = None,
    passphrase_file: PassFile = None,
    ca_module: Annotated[str | None, typer.Option("--ca-module", help="keep the issuing key "
                                                  "on this PKCS#11 module's token")] = None,
    ca_token: Annotated[str | None, typer.Option("--ca-token", help="label of the CA token")
                        ] = None,
    pin_file: PinFile = None,
) -> None:
    """Create the offline root and the issuing intermediate CA."""
    st = state()
    if algorithm not in KEY_ALGORITHMS:
        raise UsageError(f"--algorithm must be one of {', '.join(KEY_ALGORITHMS)}")
    if bool(ca_module) != bool(ca_token):
        raise UsageError("--ca-module and --ca-token go together")
    key_cfg = (CaKeyConfig(kind="pkcs11", module=ca_module, token=ca_token) if ca_module
               else CaKeyConfig())
    try:
        config = CaConfig(algorithm=algorithm, organization=organization,
                          country=country, root_cn=root_cn, issuing_cn=issuing_cn,
                          crl_urls=tuple(crl_url or ()), aia_urls=tuple(aia_url or ()),
                          crl_next_update_hours=crl_hours, ca_key=key_cfg)
    except ValueError as exc:
        raise UsageError(f"invalid CA settings: {exc}") from None
    profiles_file = profiles or _default_profiles()
    passphrase = _secret(st, CA_PASSPHRASE_ENV, passphrase_file, "pki.prompt_passphrase",
                         "--passphrase-file")
    pin = (_secret(st, TOKEN_PIN_ENV, pin_file, "pki.prompt_pin", "--pin-file") if ca_module
           else None)
    result = init_ca(ca_dir, config, profiles_file, passphrase, token_pin=pin)
    _say(st, "pki.init_done", path=display_path(ca_dir),
         root=result.root.subject.rfc4514_string(),
         issuing=result.issuing.subject.rfc4514_string())
    _say(st, "pki.root_offline", path=display_path(result.paths.root_key))


def _default_profiles() -> Path:
    for candidate in (Path("policies/pki-profiles.yaml"),
                      Path(__file__).resolve().parents[2] / "policies" / "pki-profiles.yaml"):
        if candidate.is_file():
            return candidate
    raise UsageError("no profiles file: pass --profiles FILE")


def _sans(values: list[str] | None) -> tuple[San, ...]:
    return tuple(San.parse(v) for v in values or ())


def _print_issued(st: State, record: CertRecord) -> None:
    _say(st, "pki.issued", profile=record.profile, serial=record.serial, subject=record.subject,
         not_after=f"{record.not_after:%Y-%m-%d}")


@issue_app.command("usbkey")
def issue_usbkey_cmd(
    ca_dir: CaDir,
    user: Annotated[str, typer.Option("--user", help="staff id (goes into UID)")],
    name: Annotated[str, typer.Option("--name", help="staff name (CN)")],
    unit: Annotated[str, typer.Option("--unit", help="unit (OU)")],
    module: Module,
    token: Annotated[str, typer.Option("--token", help="token label")],
    email: Annotated[str | None, typer.Option("--email", help="e-mail SAN")] = None,
    key: Algo = "ec-p256",
    days: Days = None,
    passphrase_file: PassFile = None,
    pin_file: PinFile = None,
) -> None:
    """Generate the key on a USB-KEY, issue, and write the certificate onto the token."""
    st = state()
    pin = _secret(st, TOKEN_PIN_ENV, pin_file, "pki.prompt_pin", "--pin-file")
    with _open(ca_dir, passphrase_file) as ca:
        req = CertRequest(profile="usbkey-user",
                          subject={"c": ca.config.country, "o": ca.config.organization,
                                   "ou": unit, "cn": name, "uid": user},
                          sans=_sans([f"email:{email}"] if email else None), days=days,
                          key_algorithm=key, on_token=True, unit=unit, holder=user)
        result = issue_usbkey(ca, req, module=module, token=token, pin=pin)
    _print_issued(st, result.issued.record)
    _say(st, "pki.token_written", token=token, serial=result.token_serial,
         label=result.key_label, id=result.key_id)


def _issue_other(st: State, ca_dir: Path, passphrase_file: Path | None, profile: str,
                 subject: dict[str, str], sans: tuple[San, ...], days: int | None, key: str,
                 csr: Path | None, out_dir: Path | None, unit: str | None, holder: str | None,
                 p12_file: Path | None) -> None:
    if (csr is None) == (out_dir is None):
        raise UsageError("give either --csr FILE (key kept by the requester) or --out-dir DIR "
                         "(software key written 0600)")
    with _open(ca_dir, passphrase_file) as ca:
        subject = {"c": ca.config.country, "o": ca.config.organization, **subject}
        req = CertRequest(profile=profile, subject={k: v for k, v in subject.items() if v},
                          sans=sans, days=days, key_algorithm=key, unit=unit, holder=holder)
        if csr is not None:
            try:
                parsed = x509.load_pem_x509_csr(csr.read_bytes())
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read CSR {csr}: {exc}") from None
            issued = ca.issue_csr(req, parsed)
            out = csr.with_suffix(".crt")
            write_atomic(out, issued.record.pem)
            _print_issued(st, issued.record)
            _say(st, "pki.cert_written", path=display_path(out))
            return
        assert out_dir is not None
        p12_pass = read_secret(P12_PASSPHRASE_ENV, p12_file)
        result = issue_software(ca, req, out_dir, p12_passphrase=p12_pass)
    _print_issued(st, result.issued.record)
    _say(st, "pki.key_written", path=display_path(result.key_path))
    _say(st, "pki.cert_written", path=display_path(result.cert_path))
    if result.p12_path:
        _say(st, "pki.key_written", path=display_path(result.p12_path))


CsrOpt = Annotated[Path | None, typer.Option("--csr", help="issue for this PEM CSR")]
OutOpt = Annotated[Path | None, typer.Option("--out-dir", help="generate a software key and "
                                             "write key (0600), certificate and chain here")]
P12Opt = Annotated[Path | None, typer.Option(
    "--p12-passphrase-file", help="also write a PKCS#12 bundle encrypted with the passphrase "
    "in this file (or env EGOVOPS_P12_PASSPHRASE)")]


@issue_app.command("sslvpn-gateway")
def issue_gateway(
    ca_dir: CaDir,
    cn: Annotated[str, typer.Option("--cn", help="gateway host name (CN)")],
    san: Annotated[list[str] | None, typer.Option("--san", help="DNS name or IP (repeatable)")
                   ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="unit operating it")] = None,
    csr: CsrOpt = None,
    out_dir: OutOpt = None,
    key: Algo = "ec-p256",
    days: Days = None,
    passphrase_file: PassFile = None,
    p12_passphrase_file: P12Opt = None,
) -> None:
    """TLS server certificate of the SSL-VPN gateway (serverAuth, at most 398 days)."""
    _issue_other(state(), ca_dir, passphrase_file, "sslvpn-gateway", {"cn": cn}, _sans(san),
                 days, key, csr, out_dir, unit, None, p12_passphrase_file)


@issue_app.command("device-mgmt")
def issue_device(
    ca_dir: CaDir,
    cn: Annotated[str, typer.Option("--cn", help="device name (CN)")],
    san: Annotated[list[str] | None, typer.Option("--san", help="DNS name or IP (repeatable)")
                   ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="unit owning the device")] = None,
    csr: CsrOpt = None,
    out_dir: OutOpt = None,
    key: Algo = "ec-p256",
    days: Days = None,
    passphrase_file: PassFile = None,
    p12_passphrase_file: P12Opt = None,
) -> None:
    """HTTPS management certificate of a network device."""
    _issue_other(state(), ca_dir, passphrase_file, "device-mgmt", {"cn": cn}, _sans(san), days,
                 key, csr, out_dir, unit, None, p12_passphrase_file)


@issue_app.command("sslvpn-user")
def issue_vpn_user(
    ca_dir: CaDir,
    user: Annotated[str, typer.Option("--user", help="staff id (UID)")],
    name: Annotated[str, typer.Option("--name", help="staff name (CN)")],
    unit: Annotated[str, typer.Option("--unit", help="unit (OU)")],
    email: Annotated[str | None, typer.Option("--email", help="e-mail SAN")] = None,
    csr: CsrOpt = None,
    out_dir: OutOpt = None,
    key: Algo = "ec-p256",
    days: Days = None,
    passphrase_file: PassFile = None,
    p12_passphrase_file: P12Opt = None,
) -> None:
    """SSL-VPN user certificate with a software key or from a CSR (vendor tokens)."""
    _issue_other(state(), ca_dir, passphrase_file, "sslvpn-user",
                 {"ou": unit, "cn": name, "uid": user},
                 _sans([f"email:{email}"] if email else None), days, key, csr, out_dir, unit,
                 user, p12_passphrase_file)


_DURATION = re.compile(r"^(\d+)\s*([dhw]?)$")


def _duration(text: str) -> timedelta:
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise UsageError(f"--expiring {text!r}: use a number of days like 30d, 12h or 2w")
    n, unit = int(m.group(1)), m.group(2) or "d"
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[unit]


@app.command("list")
def list_cmd(
    ca_dir: CaDir,
    unit: Annotated[str | None, typer.Option("--unit", help="only this unit")] = None,
    expiring: Annotated[str | None, typer.Option("--expiring", help="only valid certificates "
                                                 "expiring within this time (30d, 12h, 2w)")
                        ] = None,
    status: Annotated[str | None, typer.Option("--status", help="valid or revoked")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="only this profile")] = None,
    fmt: Fmt = OutputFormat.TABLE,
) -> None:
    """Certificates in the ledger."""
    st = state()
    with CertificateAuthority(ca_dir) as ca:
        before = ca.clock() + _duration(expiring) if expiring else None
        records = ca.ledger.certificates(unit=unit, status="valid" if expiring else status,
                                         expiring_before=before, profile=profile)
    if fmt is OutputFormat.JSON:
        st.print_json([r.to_json() for r in records])
        return
    if not records:
        _say(st, "pki.none")
        return
    t = st.t
    table = Table(title=t("pki.certs", count=len(records)), title_justify="left")
    for col in ("serial", "profile", "subject", "unit", "token", "not_after", "status"):
        table.add_column(t(f"pki.col.{col}"), overflow="fold")
    for r in records:
        table.add_row(r.serial, r.profile, escape(r.subject), escape(r.unit or ""),
                      r.token_serial or "", f"{r.not_after:%Y-%m-%d}",
                      r.status + (f" ({r.reason})" if r.reason else ""))
    st.out.print(table)


@app.command("register")
def register_cmd(
    ca_dir: CaDir,
    unit: Annotated[str | None, typer.Option("--unit", help="only this unit")] = None,
    fmt: Fmt = OutputFormat.TABLE,
) -> None:
    """Per-unit USB-KEY register: who holds which token and certificate."""
    st = state()
    with CertificateAuthority(ca_dir) as ca:
        records = ca.ledger.certificates(unit=unit, profile="usbkey-user")
    rows = sorted(records, key=lambda r: (r.unit or "", r.holder or "", r.issued_at))
    if fmt is OutputFormat.JSON:
        st.print_json([{"unit": r.unit, "holder": r.holder, "name": r.holder_name,
                        "token_serial": r.token_serial, "serial": r.serial,
                        "not_after": r.not_after.isoformat(), "status": r.status}
                       for r in rows])
        return
    if not rows:
        _say(st, "pki.none")
        return
    t = st.t
    table = Table(title=t("pki.register", count=len(rows)), title_justify="left")
    for col in ("unit", "holder", "name", "token", "serial", "not_after", "status"):
        table.add_column(t(f"pki.col.{col}"), overflow="fold")
    for r in rows:
        table.add_row(escape(r.unit or ""), escape(r.holder or ""), escape(r.holder_name or ""),
                      r.token_serial or "", r.serial, f"{r.not_after:%Y-%m-%d}", r.status)
    st.out.print(table)


@app.command()
def revoke(
    ca_dir: CaDir,
    serial: Annotated[str, typer.Argument(help="serial number (hex)")],
    reason: Annotated[str, typer.Option("--reason", help="RFC 5280 reason: " + ", ".join(
        r for r in REASONS if r not in {"cACompromise", "aACompromise"}))] = "unspecified",
) -> None:
    """Revoke a certificate (publish the CRL afterwards with `egovops pki crl`)."""
    st = state()
    with CertificateAuthority(ca_dir) as ca:
        rec = ca.revoke(serial, reason)
    _say(st, "pki.revoked", serial=rec.serial, reason=reason)


@app.command()
def crl(
    ca_dir: CaDir,
    hours: Annotated[int | None, typer.Option("--hours", help="validity (nextUpdate) in hours; "
                                              "default from the CA config")] = None,
    passphrase_file: PassFile = None,
    pin_file: PinFile = None,
) -> None:
    """Publish the CRL (DER and PEM) of the issuing CA."""
    st = state()
    with _open(ca_dir, passphrase_file, pin_file) as ca:
        info = ca.publish_crl(hours=hours)
    _say(st, "pki.crl_done", number=info.number, count=info.revoked,
         next_update=f"{info.next_update:%Y-%m-%d %H:%M} UTC", der=display_path(info.der_path),
         pem=display_path(info.pem_path))


@app.command()
def verify(
    ca_dir: CaDir,
    cert: Annotated[Path, typer.Argument(help="certificate (PEM or DER)")],
    profile: Annotated[str | None, typer.Option("--profile", help="check against this "
                                                "profile (default: the ledger's)")] = None,
    fmt: Fmt = OutputFormat.TABLE,
) -> None:
    """Check a certificate against its profile, the chain, the ledger and the CRL."""
    st = state()
    try:
        data = cert.read_bytes()
        parsed = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                  else x509.load_der_x509_certificate(data))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read certificate {cert}: {exc}") from None
    with CertificateAuthority(ca_dir) as ca:
        result = ca.verify(parsed, profile)
    if fmt is OutputFormat.JSON:
        st.print_json({"serial": result.serial, "subject": result.subject,
                       "profile": result.profile, "status": result.status, "valid": result.ok,
                       "problems": list(result.problems)})
    else:
        key = "pki.verify_ok" if result.ok else "pki.verify_fail"
        _say(st, key, serial=result.serial, subject=result.subject,
             profile=result.profile or "?")
        for problem in result.problems:
            st.out.print(f"  - {problem}", highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def renew(
    ca_dir: CaDir,
    serial: Annotated[str, typer.Argument(help="serial of the certificate to renew")],
    days: Days = None,
    passphrase_file: PassFile = None,
    pin_file: PinFile = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the new certificate here")
                   ] = None,
) -> None:
    """Re-certify the same key under a new serial (revoke the old one as superseded)."""
    st = state()
    with _open(ca_dir, passphrase_file, pin_file) as ca:
        issued = issue_renewal(ca, serial, days)
    _print_issued(st, issued.record)
    if out is not None:
        write_atomic(out, issued.record.pem)
        _say(st, "pki.cert_written", path=display_path(out))


@audit_app.command("verify")
def audit_verify(
    ca_dir: CaDir,
    fmt: Fmt = OutputFormat.TABLE,
) -> None:
    """Recompute the audit log's hash chain; exit 1 on any edit, deletion or reordering."""
    st = state()
    with CertificateAuthority(ca_dir) as ca:
        report = verify_audit(ca.ledger)
    if fmt is OutputFormat.JSON:
        st.print_json({"ok": report.ok, "entries": report.entries, "head": report.head,
                       "problems": list(report.problems)})
    elif report.ok:
        _say(st, "pki.audit_ok", entries=report.entries, head=report.head)
    else:
        _say(st, "pki.audit_broken", count=len(report.problems))
        for problem in report.problems:
            st.out.print(f"  - {problem}", highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)


@export_app.command("ocserv")
def export_ocserv_cmd(
    ca_dir: CaDir,
    out_dir: Annotated[Path, typer.Option("--dir", help="write ca.pem, crl.pem and "
                                          "ocserv-pki.conf here")],
    user_attr: Annotated[str, typer.Option("--user-attr", help="certificate field that names "
                                           "the VPN user: uid or cn")] = "uid",
    config_dir: Annotated[Path | None, typer.Option("--config-dir", help="where the files will "
                                                    "live on the gateway (for the snippet)")
                          ] = None,
) -> None:
    """CA chain, CRL and config snippet for ocserv (auth = certificate)."""
    st = state()
    if user_attr not in {"uid", "cn"}:
        raise UsageError("--user-attr must be uid or cn")
    with CertificateAuthority(ca_dir) as ca:
        result = export_ocserv(ca, out_dir, user_attr=user_attr, config_dir=config_dir)
    _say(st, "pki.export_done", path=display_path(result.snippet.parent))


@token_app.command("list")
def token_list(module: Module, fmt: Fmt = OutputFormat.TABLE) -> None:
    """Tokens present in the module's slots."""
    st = state()
    tokens = list_tokens(module)
    if fmt is OutputFormat.JSON:
        st.print_json([{"slot": t.slot, "label": t.label, "serial": t.serial,
                        "manufacturer": t.manufacturer, "model": t.model,
                        "initialized": t.initialized} for t in tokens])
        return
    if not tokens:
        _say(st, "pki.tokens_none")
        return
    t = st.t
    table = Table(title=t("pki.tokens"), title_justify="left")
    for col in ("slot", "label", "token", "manufacturer", "model"):
        table.add_column(t(f"pki.col.{col}"), overflow="fold")
    for tok in tokens:
        table.add_row(str(tok.slot), escape(tok.label), tok.serial, escape(tok.manufacturer),
                      escape(tok.model))
    st.out.print(table)


@token_app.command("show")
def token_show(
    module: Module,
    token: Annotated[str, typer.Option("--token", help="token label")],
    login: Annotated[bool, typer.Option("--login", help="log in (PIN) to see private objects "
                                        "too")] = False,
    pin_file: PinFile = None,
    fmt: Fmt = OutputFormat.TABLE,
) -> None:
    """Objects on a token: keys (with their protection flags) and certificates."""
    st = state()
    pin = _secret(st, TOKEN_PIN_ENV, pin_file, "pki.prompt_pin", "--pin-file") if login else None
    with TokenKeyStore(module, token, pin) as store:
        objects = store.objects()
        serial = store.identity()
    if fmt is OutputFormat.JSON:
        st.print_json({"token": token, "serial": serial, "objects": [
            {"kind": o.kind, "label": o.label, "id": o.key_id, "private": o.private,
             "sensitive": o.sensitive, "extractable": o.extractable, "subject": o.subject}
            for o in objects]})
        return
    t = st.t
    table = Table(title=t("pki.objects", label=token, count=len(objects)), title_justify="left")
    for col in ("kind", "label", "key_id", "subject", "protection"):
        table.add_column(t(f"pki.col.{col}"), overflow="fold")
    for o in objects:
        flags = []
        if o.private:
            flags.append("private")
        if o.sensitive:
            flags.append("sensitive")
        if o.extractable is False:
            flags.append("non-extractable")
        table.add_row(o.kind, escape(o.label), o.key_id, escape(o.subject or ""),
                      ", ".join(flags))
    st.out.print(table)
