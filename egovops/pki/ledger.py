"""The certificate ledger and the hash-chained audit log, in one SQLite database (WAL).

Every change is one ``BEGIN IMMEDIATE`` transaction that writes the ledger row(s) *and* the
audit entry describing them, so a crash (kill -9) leaves both or neither, and concurrent issuers
serialise on the write lock: serials are a primary key (a collision retries with a fresh random
serial) and the audit chain head is read inside the same transaction. Each audit entry carries
the SHA-256 of the previous one; :func:`verify_audit` recomputes the chain and cross-checks it
against the ledger, so an edited, deleted or reordered entry (or an edited certificate row) is
detected.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
    serial       TEXT PRIMARY KEY,
    subject      TEXT NOT NULL,
    profile      TEXT NOT NULL,
    unit         TEXT,
    holder       TEXT,
    holder_name  TEXT,
    token_serial TEXT,
    key_label    TEXT,
    not_before   TEXT NOT NULL,
    not_after    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    revoked_at   TEXT,
    reason       TEXT,
    issued_at    TEXT NOT NULL,
    renewed_from TEXT,
    fingerprint  TEXT NOT NULL,
    pem          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS certificates_unit ON certificates (unit);
CREATE INDEX IF NOT EXISTS certificates_not_after ON certificates (not_after);
CREATE INDEX IF NOT EXISTS certificates_status ON certificates (status);
CREATE TABLE IF NOT EXISTS audit (
    seq    INTEGER PRIMARY KEY,
    ts     TEXT NOT NULL,
    op     TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev   TEXT NOT NULL,
    hash   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class CertRecord:
    """One certificate in the ledger."""

    serial: str
    subject: str
    profile: str
    unit: str | None
    holder: str | None
    holder_name: str | None
    token_serial: str | None
    key_label: str | None
    not_before: datetime
    not_after: datetime
    status: str
    revoked_at: datetime | None
    reason: str | None
    issued_at: datetime
    renewed_from: str | None
    fingerprint: str
    pem: str

    def to_json(self) -> dict[str, Any]:
        """Stable JSON keys (English, never translated)."""
        return {
            "serial": self.serial, "subject": self.subject, "profile": self.profile,
            "unit": self.unit, "holder": self.holder, "holder_name": self.holder_name,
            "token_serial": self.token_serial, "key_label": self.key_label,
            "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
            "status": self.status,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason, "issued_at": self.issued_at.isoformat(),
            "renewed_from": self.renewed_from, "fingerprint_sha256": self.fingerprint,
        }


@dataclass(frozen=True)
class AuditEntry:
    """One CA operation in the audit log."""

    seq: int
    ts: str
    op: str
    detail: dict[str, Any]
    prev: str
    hash: str


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def entry_hash(seq: int, ts: str, op: str, detail: dict[str, Any], prev: str) -> str:
    """SHA-256 over the canonical JSON of an entry and its predecessor's hash."""
    canon = json.dumps({"seq": seq, "ts": ts, "op": op, "detail": detail, "prev": prev},
                       sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


class Ledger:
    """The ledger database of one CA. Open one per process; not shared across threads."""

    def __init__(self, path: Path, *, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self.conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        # executescript commits implicitly; every statement is idempotent (IF NOT EXISTS)
        self.conn.executescript(_SCHEMA)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.chmod(0o600)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction (``BEGIN IMMEDIATE``): all or nothing."""
        cur = self.conn.cursor()
        self._begin(cur)
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def _begin(self, cur: sqlite3.Cursor) -> None:
        """``BEGIN IMMEDIATE`` with a short-sleep retry loop: SQLite's own busy handler sleeps
        up to 100 ms per try, which starves concurrent issuers holding the lock ~1 ms each."""
        deadline = time.monotonic() + self.timeout
        cur.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    cur.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(random.uniform(0.0005, 0.003))
                else:
                    return
        finally:
            cur.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")

    # ---- audit -------------------------------------------------------------------------
    @staticmethod
    def append_audit(cur: sqlite3.Cursor, op: str, detail: dict[str, Any],
                     now: datetime) -> AuditEntry:
        """Append one entry inside the caller's transaction."""
        row = cur.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        ts = _ts(now)
        digest = entry_hash(seq, ts, op, detail, prev)
        cur.execute("INSERT INTO audit (seq, ts, op, detail, prev, hash) VALUES (?,?,?,?,?,?)",
                    (seq, ts, op, json.dumps(detail, sort_keys=True, ensure_ascii=False), prev,
                     digest))
        return AuditEntry(seq, ts, op, detail, prev, digest)

    def record(self, op: str, detail: dict[str, Any], now: datetime) -> AuditEntry:
        """Append one audit entry in its own transaction."""
        with self.transaction() as cur:
            return self.append_audit(cur, op, detail, now)

    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry in storage order (rowid), as stored."""
        rows = self.conn.execute(
            "SELECT seq, ts, op, detail, prev, hash FROM audit ORDER BY rowid").fetchall()
        return [AuditEntry(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    # ---- certificates ------------------------------------------------------------------
    @staticmethod
    def serial_taken(cur: sqlite3.Cursor, serial: str) -> bool:
        """Whether ``serial`` (hex) is already in the ledger."""
        return cur.execute("SELECT 1 FROM certificates WHERE serial = ?",
                           (serial,)).fetchone() is not None

    @staticmethod
    def insert(cur: sqlite3.Cursor, rec: CertRecord) -> None:
        """Insert a new certificate row inside the caller's transaction."""
        cur.execute(
            "INSERT INTO certificates (serial, subject, profile, unit, holder, holder_name, "
            "token_serial, key_label, not_before, not_after, status, revoked_at, reason, "
            "issued_at, renewed_from, fingerprint, pem) VALUES "
            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (rec.serial, rec.subject, rec.profile, rec.unit, rec.holder, rec.holder_name,
             rec.token_serial, rec.key_label, _ts(rec.not_before), _ts(rec.not_after),
             rec.status, _ts(rec.revoked_at) if rec.revoked_at else None, rec.reason,
             _ts(rec.issued_at), rec.renewed_from, rec.fingerprint, rec.pem))

    def get(self, serial: str) -> CertRecord | None:
        """The certificate with ``serial`` (hex, any case, optional colons/0x)."""
        row = self.conn.execute(f"SELECT {_COLS} FROM certificates WHERE serial = ?",
                                (normalize_serial(serial),)).fetchone()
        return _record(row) if row else None

    def certificates(self, *, unit: str | None = None, status: str | None = None,
                     expiring_before: datetime | None = None,
                     profile: str | None = None) -> list[CertRecord]:
        """Certificates matching every given filter, oldest first."""
        where, args = [], []
        if unit is not None:
            where.append("unit = ?")
            args.append(unit)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if profile is not None:
            where.append("profile = ?")
            args.append(profile)
        if expiring_before is not None:
            where.append("not_after <= ?")
            args.append(_ts(expiring_before))
        sql = f"SELECT {_COLS} FROM certificates"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY issued_at, rowid"
        return [_record(r) for r in self.conn.execute(sql, args).fetchall()]

    def revoked_entries(self, now: datetime) -> list[tuple[int, datetime, str | None]]:
        """``(serial, revoked_at, reason)`` of revoked, not yet expired certificates."""
        rows = self.conn.execute(
            "SELECT serial, revoked_at, reason FROM certificates "
            "WHERE status = 'revoked' AND not_after > ?", (_ts(now),)).fetchall()
        return [(int(s, 16), datetime.fromisoformat(r), reason) for s, r, reason in rows]

    @staticmethod
    def mark_revoked(cur: sqlite3.Cursor, serial: str, reason: str, now: datetime) -> int:
        """Mark ``serial`` revoked inside the caller's transaction; rows changed (0 or 1)."""
        cur.execute("UPDATE certificates SET status = 'revoked', revoked_at = ?, reason = ? "
                    "WHERE serial = ? AND status = 'valid'", (_ts(now), reason, serial))
        return cur.rowcount

    @staticmethod
    def next_counter(cur: sqlite3.Cursor, key: str) -> int:
        """Increment and return a counter (e.g. the CRL number) inside a transaction."""
        row = cur.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        value = int(row[0]) + 1 if row else 1
        cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))
        return value

    def integrity_ok(self) -> bool:
        """SQLite's own integrity check."""
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


_COLS = ("serial, subject, profile, unit, holder, holder_name, token_serial, key_label, "
         "not_before, not_after, status, revoked_at, reason, issued_at, renewed_from, "
         "fingerprint, pem")


def _record(row: tuple[Any, ...]) -> CertRecord:
    return CertRecord(
        serial=row[0], subject=row[1], profile=row[2], unit=row[3], holder=row[4],
        holder_name=row[5], token_serial=row[6], key_label=row[7],
        not_before=datetime.fromisoformat(row[8]), not_after=datetime.fromisoformat(row[9]),
        status=row[10], revoked_at=_dt(row[11]), reason=row[12],
        issued_at=datetime.fromisoformat(row[13]), renewed_from=row[14], fingerprint=row[15],
        pem=row[16],
    )


def normalize_serial(text: str) -> str:
    """Lower-case hex without separators or leading zeros (``0x``, colons accepted)."""
    cleaned = text.strip().lower().removeprefix("0x").replace(":", "").replace(" ", "")
    try:
        return format(int(cleaned, 16), "x")
    except ValueError:
        return cleaned


def serial_hex(serial: int) -> str:
    """The ledger's text form of a serial number."""
    return format(serial, "x")


@dataclass(frozen=True)
class AuditReport:
    """What :func:`verify_audit` found: entries checked, the head hash, every problem."""

    entries: int
    head: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def verify_audit(ledger: Ledger) -> AuditReport:
    """Recompute the hash chain and cross-check it with the certificate rows."""
    problems: list[str] = []
    entries = ledger.audit_entries()
    prev = GENESIS
    issued: dict[str, str] = {}
    revoked: set[str] = set()
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            problems.append(f"entry #{expected_seq}: found seq {entry.seq} "
                            "(an entry was deleted or the log reordered)")
        if entry.prev != prev:
            problems.append(f"entry #{entry.seq}: does not follow the previous entry "
                            "(deleted, inserted or reordered entries)")
        recomputed = entry_hash(entry.seq, entry.ts, entry.op, entry.detail, entry.prev)
        if recomputed != entry.hash:
            problems.append(f"entry #{entry.seq} ({entry.op}): content does not match its hash "
                            "(edited)")
        prev = entry.hash
        if entry.op in {"issue", "renew"}:
            issued[str(entry.detail.get("serial"))] = str(entry.detail.get("fingerprint"))
        elif entry.op == "revoke":
            revoked.add(str(entry.detail.get("serial")))
    for rec in ledger.certificates():
        logged = issued.get(rec.serial)
        if logged is None:
            problems.append(f"certificate {rec.serial}: no issuance entry in the audit log")
        elif logged != rec.fingerprint:
            problems.append(f"certificate {rec.serial}: ledger row differs from the audited "
                            "issuance (fingerprint)")
        if (rec.status == "revoked") != (rec.serial in revoked):
            problems.append(f"certificate {rec.serial}: status {rec.status} does not match the "
                            "audit log")
    return AuditReport(entries=len(entries), head=prev, problems=tuple(problems))
