"""Operator-friendly quantities used in inventories: data rates such as ``1000M`` or ``2M``.

A rate is stored as an ``int`` of bits per second; :func:`parse_rate` accepts the forms admins
write (``10M``, ``1G``, ``100Mbps``, ``2 Mbit/s``, ``1000``); :func:`format_rate` prints them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_RATE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[kKmMgGtT]?)(?:bps|bits?/s|bits?|b)?\s*$"
)
_MULT = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_rate(value: Any) -> Any:
    """Turn ``"1000M"``, ``"1G"``, ``"2 Mbps"`` or an int (bits/s) into bits per second.

    Anything else is returned unchanged so that pydantic reports it as not an integer.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a data rate: {value!r} (write e.g. 10M, 100M, 1000M, 1G)")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a data rate cannot be negative: {value}")
        return value
    if isinstance(value, str):
        match = _RATE.match(value)
        if match is None:
            raise ValueError(
                f"not a data rate: {value!r} (write e.g. 10M, 100M, 1000M, 1G, 2Mbps)"
            )
        number = Decimal(match["num"]) * _MULT[match["unit"].lower()]
        if number != number.to_integral_value():
            raise ValueError(f"data rate {value!r} is not a whole number of bits per second")
        return int(number)
    return value


def format_rate(bps: int) -> str:
    """Short human form: ``1000000000`` → ``1G``, ``2000000`` → ``2M``, ``1500000`` → ``1.5M``."""
    for unit, mult in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps >= mult:
            value = bps / mult
            text = f"{value:.3f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return str(bps)


Rate = Annotated[
    int,
    BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "description": "bits per second"},
                {"type": "string", "pattern": r"^\d+(\.\d+)?\s*[kKmMgGtT]?(bps|bit/s)?$"},
            ],
            "description": "data rate, e.g. 10M, 100M, 1000M, 1G, 2Mbps",
        }
    ),
]
