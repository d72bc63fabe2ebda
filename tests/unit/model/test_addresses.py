"""``InterfaceAddress`` validates exactly as pydantic's ``IPvAnyInterface`` (fast path or not)."""

from __future__ import annotations

import ipaddress
import random
from typing import Any

import pytest
from pydantic import IPvAnyInterface, TypeAdapter, ValidationError

from egovops.model.addresses import InterfaceAddress

_FAST = TypeAdapter(InterfaceAddress)
_REFERENCE = TypeAdapter(IPvAnyInterface)


def _outcome(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        result = adapter.validate_python(value)
    except ValidationError as exc:
        return ("error", exc.errors(include_url=False))
    return (type(result), result, result.network, result.netmask, vars(result).keys(),
            adapter.dump_python(result, mode="json"))


EDGE_CASES: list[Any] = [
    "10.1.2.3/24", "10.1.2.3", "0.0.0.0/0", "255.255.255.255/32", "10.0.0.1/31",
    "1.2.3.4/33", "01.2.3.4/24", "1.2.3.04/24", "1.2.3.4/024", "1.2.3.4/255.255.255.0",
    "1.2.3.4/0.0.0.255", "256.1.1.1/8", "1.2.3.4/", "1.2.3/24", " 1.2.3.4/24", "1.2.3.4/24 ",
    "１.2.3.4/24", "1.2.3.4//24", "", "/24",
    "2001:db8::1/64", "2001:db8::1", "::/0", "::ffff:1.2.3.4/96", "fe80::1%eth0/64",
    "2001:db8::g/64", "1:2",
    3232235777, b"\x01\x02\x03\x04", (1, 24), ("10.0.0.1", 24), ("10.0.0.1", "255.0.0.0"),
    None, 1.5, [1], {"a": 1}, -1, 2**40,
    ipaddress.IPv4Interface("1.2.3.4/8"), ipaddress.IPv6Interface("::1/128"),
]


@pytest.mark.parametrize("value", EDGE_CASES, ids=repr)
def test_same_result_or_error_as_pydantic(value: Any) -> None:
    assert _outcome(_FAST, value) == _outcome(_REFERENCE, value)


def _octet(rng: random.Random) -> str:
    return str(rng.choice((rng.randrange(256), rng.randrange(1000), f"0{rng.randrange(10)}")))


def test_same_result_on_random_strings() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        octets = [_octet(rng) for _ in range(rng.choice([3, 4, 4, 4, 5]))]
        text = ".".join(octets)
        if rng.random() < 0.7:
            text += f"/{rng.choice([rng.randrange(40), f'0{rng.randrange(4)}'])}"
        v6 = f"{ipaddress.IPv6Address(rng.getrandbits(128))}/{rng.randrange(130)}"
        for value in (text, v6):
            assert _outcome(_FAST, value) == _outcome(_REFERENCE, value), value


def test_json_schema_unchanged() -> None:
    assert _FAST.json_schema() == _REFERENCE.json_schema()
