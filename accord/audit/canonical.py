"""Deterministic JSON encoding (RFC 8785 style) so the same record always hashes to the same leaf."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import orjson


def _number(value: float) -> str:
    """Format a float the way ECMAScript ``Number.prototype.toString`` does (RFC 8785 section 3.2.2.3)."""
    if not math.isfinite(value):
        raise ValueError("NaN and infinities have no JSON encoding")
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)  # position of the decimal point relative to the digit string
    prefix = "-" if sign else ""
    if len(text) <= point <= 21:
        return prefix + text + "0" * (point - len(text))
    if 0 < point <= 21:
        return prefix + text[:point] + "." + text[point:]
    if -6 < point <= 0:
        return prefix + "0." + "0" * -point + text
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    power = point - 1
    return f"{prefix}{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def _string(text: str) -> str:
    """A JSON string literal, escaped as ``json.dumps(..., ensure_ascii=False)`` does (checked for every
    code point): orjson writes it an order of magnitude faster, and audit records carry long strings.
    Lone surrogates, which orjson refuses, take the standard library's path."""
    try:
        return orjson.dumps(text).decode()
    except orjson.JSONEncodeError:
        return json.dumps(text, ensure_ascii=False)


def _encode(value: Any, out: list[str]) -> None:
    if value is None or value is True or value is False:
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("canonical JSON object keys must be strings")
        out.append("{")
        # RFC 8785 orders members by the UTF-16 code units of their names.
        for position, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if position:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON encoding")


def canonical_json(value: Any) -> str:
    """Return the canonical text: sorted keys, no insignificant whitespace, no ASCII escaping."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def canonical_bytes(value: Any) -> bytes:
    """Return the canonical UTF-8 bytes that get hashed and signed."""
    return canonical_json(value).encode("utf-8")
