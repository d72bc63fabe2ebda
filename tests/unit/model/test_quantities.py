from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egovops.model import format_rate, parse_rate


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("2M", 2_000_000),
        ("10M", 10_000_000),
        ("100M", 100_000_000),
        ("1000M", 1_000_000_000),
        ("1G", 1_000_000_000),
        ("10G", 10_000_000_000),
        ("2Mbps", 2_000_000),
        ("2 Mbit/s", 2_000_000),
        ("1.5M", 1_500_000),
        ("64k", 64_000),
        (155_000_000, 155_000_000),
    ],
)
def test_parse_rate(text: str | int, bps: int) -> None:
    assert parse_rate(text) == bps


@pytest.mark.parametrize("text", ["fast", "10 MB", "-1M", "1.0000001k", ""])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("bps", "text"),
    [(2_000_000, "2M"), (1_000_000_000, "1G"), (1_500_000, "1.5M"), (999, "999"), (0, "0")],
)
def test_format_rate(bps: int, text: str) -> None:
    assert format_rate(bps) == text


@given(st.integers(min_value=0, max_value=10**13))
def test_format_parse_roundtrip_is_close(bps: int) -> None:
    # format_rate keeps three decimals, so the round trip is exact to 0.1 % of the value
    back = parse_rate(format_rate(bps))
    assert abs(back - bps) <= max(1, bps // 1000)
