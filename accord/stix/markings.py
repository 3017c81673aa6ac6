"""TLP 2.0 markings: which level an object carries, as an orderable code.

The policy compares levels numerically inside SQL, so every object is stamped with one code at
write time (the most restrictive TLP marking it carries, or its collection's default).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class TLP(IntEnum):
    """TLP 2.0 levels, ordered from least to most restrictive."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        return "TLP:" + self.name.replace("_", "+")

    @classmethod
    def parse(cls, text: str) -> TLP:
        """Read a level as a person writes it: ``amber``, ``TLP:AMBER+STRICT``, ``white`` (TLP 1.0)."""
        key = text.strip().upper().removeprefix("TLP:").replace("+", "_").replace("-", "_")
        if key == "WHITE":
            return cls.CLEAR
        try:
            return cls[key]
        except KeyError:
            raise ValueError(
                f"unknown TLP level {text!r} (use clear, green, amber, amber+strict, red)"
            ) from None


# The standard marking-definition ids (TLP 2.0 extension, and TLP 1.0 from STIX 2.1 section 7.2.1.4).
TLP_MARKING_IDS: dict[str, TLP] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
    # TLP 1.0: WHITE is read as CLEAR.
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}

TLP2_MARKING_ID: dict[TLP, str] = {level: mid for mid, level in list(TLP_MARKING_IDS.items())[:5]}

# Custom property naming the organizations (by name or identity id) that may see a TLP:RED object.
RECIPIENTS_PROPERTY = "x_accord_recipients"


def marked_tlp(obj: dict[str, Any]) -> TLP | None:
    """The most restrictive TLP marking anywhere on ``obj``, or None when it carries none.

    Granular markings count like object-level ones: the node serves whole objects, never a redacted
    copy, so a property marked TLP:RED makes the whole object TLP:RED.
    """
    refs = obj.get("object_marking_refs")
    granular = obj.get("granular_markings")
    if not refs and not granular:  # most objects of a feed: no list to walk
        return None
    levels = [TLP_MARKING_IDS[ref] for ref in refs or () if isinstance(ref, str) and ref in TLP_MARKING_IDS]
    if isinstance(granular, list):
        for item in granular:
            ref = item.get("marking_ref") if isinstance(item, dict) else None
            if isinstance(ref, str) and ref in TLP_MARKING_IDS:
                levels.append(TLP_MARKING_IDS[ref])
    return max(levels) if levels else None


def tlp_of(obj: dict[str, Any], default: TLP) -> TLP:
    """The TLP an object is handled under: its marking, else ``default`` (its collection's)."""
    marked = marked_tlp(obj)
    return default if marked is None else marked


def recipients_of(obj: dict[str, Any]) -> list[str]:
    """The named recipients of an object, lowercased (strings only; validation rejects other shapes).

    Names and identity ids are matched case-insensitively, the same on every database (SQLite's
    LIKE ignores ASCII case, PostgreSQL's does not), so they are stored and compared lowercased.
    """
    value = obj.get(RECIPIENTS_PROPERTY)
    if not value:
        return []
    return [v.lower() for v in value if isinstance(v, str)]
