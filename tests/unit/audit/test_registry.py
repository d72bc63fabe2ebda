"""The check registry and the clause table: every check declared once with zh and en texts and
valid clauses, every template renders with its parameters, every check id the code uses is
registered, and the Chinese texts carry no English beyond technical terms."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from egovops.audit.check_table import CHECKS, PHRASES
from egovops.audit.clauses import clause_table, parse_clause_table
from egovops.audit.registry import (
    UnknownCheckError,
    finding,
    localize,
    phrase,
    registry,
    split_bilingual,
)
from egovops.i18n import CATALOG, LANGS
from egovops.model.findings import Finding, Severity
from tests.conftest import REPO

TECHNICAL = {
    # commands, protocols and vendor words a Chinese admin types as they are
    "nft", "strict", "iptables", "log", "ssh", "https", "http", "telnet", "ftp", "tftp", "sshd",
    "rsyslog", "chrony", "egovops", "collect", "audit", "firewall", "snapshot", "flows",
    "required", "true", "enabled", "false", "role", "data-diode", "transfer", "source",
    "target", "config", "kind", "management", "mgmt", "policy", "drop", "default", "action",
    "deny", "logging", "restore", "accept", "inet", "table", "ip", "Cisco", "USG", "LLDP",
    "Mb", "MaxAuthTries", "ClientAliveInterval", "Prometheus", "IPv", "ACL", "NTP", "SNMPv",
    "IPsec", "SSL", "VPN", "TLS", "WAF", "IPS", "DDoS", "USB-KEY", "CPU", "admin", "DMZ",
    "SFTP", "PKI", "IP", "SM", "up", "down", "s", "waivers", "links", "f",
    "iptables-restore", "syslog",
}


def english_words(text: str) -> list[str]:
    """ASCII words of ``text`` outside placeholders, quotes and technical terms."""
    text = re.sub(r"\{[a-z_]+\}|'[^']*'|`[^`]*`|\d+", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z\-]*", text)
    return [w for w in words if w not in TECHNICAL]


def test_the_registry_is_consistent() -> None:
    assert registry().problems(clause_table()) == []
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)), "a check is declared twice"
    for check in CHECKS:
        assert check.clauses, f"{check.id} names no clause"
        for clause in check.clauses:
            assert clause in clause_table(), (check.id, clause)


def test_every_template_and_phrase_has_both_languages_and_renders() -> None:
    for check in CHECKS:
        values = {name: "X" for name in check.params}
        for text in (check.about, check.title, check.evidence, check.remediation):
            for lang in LANGS:
                assert text[lang].strip(), (check.id, lang)
                text[lang].format(**values)
    for key, text in PHRASES.items():
        for lang in LANGS:
            assert text[lang].strip(), (key, lang)
        fields = {name for lang in LANGS
                  for _, name, _, _ in string.Formatter().parse(text[lang]) if name}
        for lang in LANGS:
            text[lang].format(**dict.fromkeys(fields, "X"))


def test_every_catalogue_message_has_zh_and_en() -> None:
    for key, entry in CATALOG.items():
        assert set(entry) == set(LANGS) and all(v.strip() for v in entry.values()), key


def test_chinese_texts_have_no_english_sentences() -> None:
    offenders = []
    for check in CHECKS:
        for name in ("about", "title", "evidence", "remediation"):
            words = english_words(getattr(check, name).zh)
            if words:
                offenders.append((check.id, name, words))
    for key, text in PHRASES.items():
        words = english_words(text.zh)
        if words:
            offenders.append((key, "phrase", words))
    for key, entry in CATALOG.items():
        if key.startswith(("mlps.", "audit.")):
            words = english_words(entry["zh"])
            if words:
                offenders.append((key, "catalogue", words))
    assert offenders == []


def test_english_words_finds_english() -> None:  # the detector itself can fail
    assert english_words("删除 the rule 并 block it") == ["the", "rule", "block", "it"]
    assert english_words("使用 ssh/https，禁用 'telnet server' {device}") == []


CHECK_LITERAL = re.compile(
    r"""(?:check=|finding\(|finding_of\(|_add\(|add\()\s*"([a-z][a-z0-9-]*\.[a-z0-9.-]+)"
    |"((?:isolation|firewall|drift|probe|audit|device|topology|management)\.[a-z0-9-]+)\"""",
    re.VERBOSE)


def test_every_check_id_the_code_uses_is_registered() -> None:
    """Scans the package for check ids (``check="…"``, ``finding("…"``, ``CHECKS`` tuples);
    extend the prefixes when a new family of checks appears."""
    used: dict[str, str] = {}
    paths = [*(REPO / "egovops/audit").rglob("*.py"), *(REPO / "egovops/collect").rglob("*.py")]
    for path in sorted(paths):
        if path.name == "check_table.py":
            continue
        for match in CHECK_LITERAL.finditer(path.read_text(encoding="utf-8")):
            check = match.group(1) or match.group(2)
            used.setdefault(check, str(path.relative_to(REPO)))
    unknown = {c: where for c, where in used.items() if c not in registry()}
    assert unknown == {}
    assert {"isolation.physical-link", "firewall.default-deny", "drift.missing-link",
            "probe.disagreement", "audit.waiver-expired"} <= set(used)


def test_at_least_twenty_clauses_are_covered() -> None:
    covered = {c for check in CHECKS for c in check.clauses}
    assert len(covered) >= 20, sorted(covered)
    sections = {c.split(" ")[0].rsplit(".", 1)[0] for c in covered}
    assert {"8.1.2", "8.1.3", "8.1.4", "8.1.5"} <= sections


def test_clause_table_numbering() -> None:
    table = clause_table()
    assert table["8.1.4.1 c)"].control_title["zh"] == "身份鉴别"
    assert "窃听" in table["8.1.4.1 c)"].text["zh"]
    assert table["8.1.2.1 e)"].control_title["zh"] == "网络架构"
    assert "冗余" in table["8.1.2.1 e)"].text["zh"]
    assert table["8.1.4.4 c)"].control_title["zh"] == "入侵防范"
    assert table["8.1.5.4 d)"].control_title["zh"] == "集中管控"
    assert "8.1.4.1 e)" not in table
    assert "did you mean 8.1.3.2 a)" in table.unknown_message("8.1.3.2a)")
    with pytest.raises(ValueError, match="zh and en"):
        parse_clause_table({"sections": {"8.1.2": {"zh": "安全通信网络"}}, "controls": {},
                            "clauses": []})


def test_findings_carry_params_and_render_in_both_languages() -> None:
    f = finding("isolation.gateway-bypass", subject="outer:a->b", zones=("outer", "internet"),
                zone="outer", path="a -> b", gateways=phrase("none-declared"), count=2)
    assert f.severity is Severity.CRITICAL and f.clauses == ("8.1.3.1 a)",)
    assert "none declared" in f.evidence  # English rendering kept on the finding
    zh = localize(f, "zh")
    assert "未声明任何网关" in zh.evidence and zh.mlps == "8.1.3.1 a) 边界防护"
    assert f.id == Finding(check=f.check, severity=f.severity, title="", subject=f.subject,
                           evidence="", remediation="").id  # ids do not depend on texts


def test_finding_refuses_unknown_checks_and_wrong_params() -> None:
    with pytest.raises(UnknownCheckError):
        finding("isolation.no-such-check", subject="x")
    with pytest.raises(KeyError, match="missing"):
        finding("isolation.circuit", subject="c", circuit="c", zone="inner")
    with pytest.raises(KeyError, match="unexpected"):
        finding("audit.waiver-unused", subject="w", finding="f", owner="o", reason="r",
                colour="red")


def test_old_style_findings_keep_their_texts() -> None:
    old = Finding(check="firewall.config-missing", severity=Severity.HIGH,
                  title="config missing", subject="fw", evidence="no file",
                  remediation="save it", mlps="8.1.3.2 a)")
    text = localize(old, "zh")
    assert (text.title, text.evidence, text.remediation, text.mlps) == (
        "config missing", "no file", "save it", "8.1.3.2 a)")


@pytest.mark.parametrize(("text", "expected"), [
    ("明文传输口令 cleartext login", ("明文传输口令", "cleartext login")),
    ("rsh/rlogin/rexec 明文且基于主机信任", ("rsh/rlogin/rexec 明文且基于主机信任",) * 2),
    ("only english", ("only english", "only english")),
])
def test_split_bilingual(text: str, expected: tuple[str, str]) -> None:
    assert split_bilingual(text) == expected


def test_the_clause_table_is_package_data() -> None:
    assert (Path(__file__).parents[3] / "egovops/audit/mlps_clauses.yaml").is_file()
    assert len(clause_table().clauses) >= 50
