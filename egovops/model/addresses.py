"""Interface addresses: pydantic's ``IPvAnyInterface``, with a fast path for the common form.

A province-scale inventory declares hundreds of thousands of interface addresses. pydantic's
``IPvAnyInterface`` hands each string to :mod:`ipaddress`, which parses it twice (address and
network) and, for IPv6, only after a failed IPv4 attempt. :data:`InterfaceAddress` gives the
same result faster: a canonical IPv4 string (``10.1.2.3/24``, no leading zeros) is built from its
integers — the very same :class:`~ipaddress.IPv4Interface` — and an IPv6 string goes straight to
:class:`~ipaddress.IPv6Interface`. Any other input, and any input that fails there, goes through
pydantic's own ``IPvAnyInterface``, so accepted values, errors and the JSON schema are unchanged.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Interface, IPv6Interface
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, IPvAnyInterface
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_V4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/(3[0-2]|[12]?[0-9]))?")
"""Dotted quad with an optional prefix length, exactly as :mod:`ipaddress` accepts it, minus
the rarer spellings (a netmask after the slash, a zero-padded prefix) that take the slow path."""


def parse_interface(value: Any) -> IPv4Interface | IPv6Interface:
    """``value`` as pydantic's ``IPvAnyInterface`` would validate it (same result or error)."""
    if value.__class__ is str:
        match = _CANONICAL_V4.fullmatch(value)
        if match is not None:
            a, b, c, d, prefix = match.groups()
            address = (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)
            return IPv4Interface((address, int(prefix) if prefix is not None else 32))
        if ":" in value:  # never a valid IPv4 interface: pydantic's first attempt would fail
            try:
                return IPv6Interface(value)
            except ValueError:
                pass  # let pydantic raise its own error
    result: IPv4Interface | IPv6Interface = IPvAnyInterface(value)  # type: ignore[operator]
    return result


class _InterfaceSchema:
    """Pydantic hooks: validate with :func:`parse_interface`, serialise and describe as before."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            parse_interface, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "ipvanyinterface"}


InterfaceAddress = Annotated[IPv4Interface | IPv6Interface, _InterfaceSchema]
"""An interface address such as ``10.1.2.3/24`` or ``2001:db8::1/64`` (as ``IPvAnyInterface``)."""
