"""parse_config's fail-closed contract (#12, #16): parse warnings, --strict, wrong platform,
files that read as no ruleset."""

from __future__ import annotations

import pytest

from egovops.errors import ConfigError
from egovops.firewall.model import Bound
from egovops.firewall.parsers import parse_config

NFT = """table inet filter {
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tmeta mark 0x10 accept
\t\ttcp dport 443 accept
\t}
}
"""
HUAWEI = """#
acl number 3000
 rule 5 permit tcp destination-port eq 443
#
interface GigabitEthernet0/0/1
 traffic-filter inbound acl 3000
#
"""


def test_unsupported_construct_is_a_warning_quoting_its_line() -> None:
    ruleset = parse_config(NFT, "gw.nft", "nftables")
    (skip,) = ruleset.skipped
    # the rule is kept as uncertain (it may accept): the proven reach is a lower bound
    assert (str(skip.source), skip.bound) == ("gw.nft:4", Bound.LOWER)
    assert "meta mark 0x10" in skip.construct
    rules = [r for c in ruleset.chains for r in c.rules]
    assert [(r.source.line, bool(r.uncertain)) for r in rules] == [(4, True), (5, False)]


def test_strict_turns_every_warning_into_a_located_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(NFT, "gw.nft", "nftables", strict=True)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.code) == ("gw.nft", 4, "unsupported")
    assert "meta mark" in problem.message


def test_a_grammar_error_stays_an_error_and_lists_the_warnings_too() -> None:
    broken = NFT.replace("tcp dport 443 accept", "tcp dport 70000 accept")
    with pytest.raises(ConfigError) as caught:
        parse_config(broken, "gw.nft", "nftables")
    assert [(p.line, p.code) for p in caught.value.problems] == [(5, "invalid-value")]


def test_wrong_platform_names_the_detected_format() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(NFT, "gw.nft", "huawei")
    assert "looks like nftables, not huawei" in caught.value.summary
    assert caught.value.problems[0].code == "wrong-format"


def test_a_vendor_file_without_any_ruleset_is_an_error() -> None:
    no_acl = "#\nsysname px-agg-1\n#\ninterface GigabitEthernet0/0/1\n ip address 10.0.0.1 24\n#\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(no_acl, "agg.cfg", "huawei")
    assert caught.value.problems[0].code == "empty-ruleset"
    assert parse_config(HUAWEI, "usg.cfg", "huawei").chains  # with its ACL it reads


def test_an_empty_nft_listing_is_an_empty_ruleset() -> None:
    assert parse_config("", "empty.nft", "nftables").chains == ()
    assert parse_config("table inet filter {\n}\n", "t.nft", "nftables").chains == ()
