"""The Linux files of the real-world-shaped corpus (``tests/data/corpus/{nftables,iptables}``)
are all read, none as empty, each naming its source in a comment (#12). ``nft -c -f`` and
``iptables-restore --test`` accept every one of them (checked when they were written)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
