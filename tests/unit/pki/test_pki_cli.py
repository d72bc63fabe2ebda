from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.cli.main import main
from tests.unit.pki.conftest import PROFILES

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Run:
    monkeypatch.setenv("EGOVOPS_PKI_DIR", str(tmp_path / "ca"))
    monkeypatch.setenv("EGOVOPS_CA_PASSPHRASE", "cli-passphrase")
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(["--lang", "en", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_cli_lifecycle(run: Run, tmp_path: Path) -> None:
    code, out, err = run("pki", "init", "--profiles", str(PROFILES))
    assert code == 0, err
    assert "CA initialised" in out
    assert "cli-passphrase" not in (tmp_path / "ca" / "ca.yaml").read_text()
    code, out, err = run("pki", "issue", "sslvpn-user", "--user", "z001", "--name", "张三",
                         "--unit", "财政局", "--out-dir", "u")
    assert code == 0, err
    assert (tmp_path / "u" / "z001.key").stat().st_mode & 0o777 == 0o600
    code, out, _ = run("pki", "list", "--unit", "财政局", "--format", "json")
    rows = json.loads(out)
    assert [r["holder"] for r in rows] == ["z001"]
    serial = rows[0]["serial"]
    assert run("pki", "crl")[0] == 0
    assert run("pki", "verify", "u/z001.crt")[0] == 0
    code, out, _ = run("pki", "revoke", serial, "--reason", "keyCompromise")
    assert code == 0 and "revoked" in out
    assert run("pki", "crl")[0] == 0
    code, out, _ = run("pki", "verify", "u/z001.crt", "--format", "json")
    assert code == 1
    assert json.loads(out)["status"] == "revoked"
    code, out, _ = run("pki", "list", "--expiring", "30d", "--format", "json")
    assert json.loads(out) == []
    code, out, _ = run("pki", "audit", "verify")
    assert code == 0 and "intact" in out
    code, out, err = run("pki", "export", "ocserv", "--dir", "gw")
    assert code == 0, err
    snippet = (tmp_path / "gw" / "ocserv-pki.conf").read_text()
    assert 'auth = "certificate"' in snippet
    assert "cert-user-oid = 0.9.2342.19200300.100.1.1" in snippet


def test_cli_refusals_exit_2_without_traceback(run: Run, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("pki", "init", "--profiles", str(PROFILES))[0] == 0
    code, _, err = run("pki", "issue", "sslvpn-gateway", "--cn", "vpn", "--san", "bad name",
                       "--days", "999", "--out-dir", "g")
    assert code == 2
    assert "not a DNS name" in err and "398" in err and "Traceback" not in err
    assert not (tmp_path / "g").exists()
    assert run("pki", "init", "--profiles", str(PROFILES))[0] == 2  # already a CA
    monkeypatch.delenv("EGOVOPS_CA_PASSPHRASE")
    code, _, err = run("pki", "crl")
    assert code == 2 and "EGOVOPS_CA_PASSPHRASE" in err
    (tmp_path / "pass").write_text("wrong-passphrase\n")
    code, _, err = run("pki", "crl", "--passphrase-file", "pass")
    assert code == 2 and "wrong passphrase" in err
    (tmp_path / "ca").chmod(0o755)
    code, _, err = run("pki", "list")
    assert code == 2 and "0700" in err
    (tmp_path / "ca").chmod(0o700)
    (tmp_path / "ca" / "issuing" / "key.pem").chmod(0o644)
    code, _, err = run("pki", "list")
    assert code == 2 and "0600" in err
    code, _, err = run("pki", "list", "--ca-dir", str(tmp_path / "nope"))
    assert code == 2 and "egovops CA directory" in err


def test_cli_zh_messages(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("--lang", "zh", "pki", "init", "--profiles", str(PROFILES))
    assert code == 0
    assert "已在" in out
