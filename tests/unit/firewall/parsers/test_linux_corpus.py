"""The Linux files of the real-world-shaped corpus (``tests/data/corpus/{nftables,iptables}``)
are all read, none as empty, each naming its source in a comment (#12). ``nft -c -f`` and
``iptables-restore --test`` accept every one of them (checked when they were written)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egovops.errors import ConfigError
from egovops.firewall.parsers import PARSERS
from egovops.firewall.ruleset_file import read_ruleset
from tests.conftest import DATA

CORPUS = sorted(p for folder in ("nftables", "iptables")
                for p in (DATA / "corpus" / folder).iterdir() if p.is_file())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_is_read_with_its_source_named(path: Path) -> None:
    assert "Source:" in path.read_text(encoding="utf-8")
    ruleset = read_ruleset(path)
    assert ruleset.chains, "read as empty"
    for skipped in ruleset.skipped:
        assert skipped.source.line > 0 and skipped.reason


WORDS = ["", "{", "}", ";", ".", ":", ",", "!", "-m", "--syn", "-j", "DNAT", "--to-destination",
         "vmap", "dnat", "to", "@x", "$X", "define", "include", "map", "limit", "meta", "mark",
         "set", "ct", "fib", "10.0.0.0/8", "1.2.3.4:99999", "jump", "goto", "masquerade"]


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, len(CORPUS) - 1), data=st.data())
def test_mutated_corpus_files_fail_cleanly(index: int, data: st.DataObject) -> None:
    path = CORPUS[index]
    lines = path.read_text(encoding="utf-8").splitlines()
    at = data.draw(st.integers(0, len(lines) - 1))
    words = lines[at].split(" ")
    for _ in range(data.draw(st.integers(1, 3))):
        words.insert(data.draw(st.integers(0, len(words))), data.draw(st.sampled_from(WORDS)))
    lines[at] = " ".join(words)
    format_name = "iptables" if path.parent.name == "iptables" else "nftables"
    try:
        PARSERS[format_name].parse("\n".join(lines), "damaged")
    except ConfigError as error:
        assert error.problems and all(p.file == "damaged" for p in error.problems)
