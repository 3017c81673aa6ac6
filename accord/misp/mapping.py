"""The one table between MISP's sharing model and Accord's (docs/misp.md, "Mapping").

MISP -> Accord, per attribute (an object's attributes also take the object's distribution):

| MISP | Accord TLP floor | x_accord_recipients |
|---|---|---|
| tlp:white / tlp:clear tag | CLEAR | |
| tlp:green | GREEN | |
| tlp:amber | AMBER | |
| tlp:amber+strict | AMBER+STRICT | |
| tlp:red | RED | |
| distribution 0 "your organisation only" | RED | none: only the producer sees it |
| distribution 1 "this community only" | AMBER+STRICT | |
| distribution 2 "connected communities" | AMBER | |
| distribution 3 "all communities" | no floor | |
| distribution 4 "sharing group" | RED | the sharing group's organisations, when the event lists them |
| distribution 5 "inherit event" | the event's | |

An attribute is handled under the most restrictive of everything that applies to it: the event's
tlp: tags and distribution, its object's distribution, its own tlp: tags and distribution. So where
a TLP tag and a distribution disagree (tlp:green on a "your organisation only" event) the more
restrictive wins (RED). No TLP and distribution 3 (or none) leaves the object unmarked: the
collection's default TLP applies, as for any unmarked object.

Accord -> MISP (feed publish): the object's TLP becomes one tlp: tag and a distribution:
CLEAR -> tlp:clear + 3, GREEN -> tlp:green + 3, AMBER -> tlp:amber + 2, AMBER+STRICT ->
tlp:amber+strict + 1, RED -> tlp:red + 0 (a feed cannot carry sharing groups).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accord.stix.markings import TLP

TAG_LEVELS: dict[str, TLP] = {
    "tlp:white": TLP.CLEAR,
    "tlp:clear": TLP.CLEAR,
    "tlp:green": TLP.GREEN,
    "tlp:amber": TLP.AMBER,
    "tlp:amber+strict": TLP.AMBER_STRICT,
    "tlp:red": TLP.RED,
}

DISTRIBUTION_FLOORS: dict[int, TLP | None] = {
    0: TLP.RED,
    1: TLP.AMBER_STRICT,
    2: TLP.AMBER,
    3: None,
    4: TLP.RED,
}
INHERIT = 5

LEVEL_TAGS: dict[TLP, str] = {
    TLP.CLEAR: "tlp:clear",
    TLP.GREEN: "tlp:green",
    TLP.AMBER: "tlp:amber",
    TLP.AMBER_STRICT: "tlp:amber+strict",
    TLP.RED: "tlp:red",
}
LEVEL_DISTRIBUTIONS: dict[TLP, int] = {
    TLP.CLEAR: 3,
    TLP.GREEN: 3,
    TLP.AMBER: 2,
    TLP.AMBER_STRICT: 1,
    TLP.RED: 0,
}


def is_tlp_tag(name: str) -> bool:
    return name.strip().lower() in TAG_LEVELS


@dataclass(frozen=True)
class Sharing:
    """How one MISP element is to be handled: a TLP (None: unmarked) and named recipients."""

    tlp: TLP | None = None
    recipients: frozenset[str] = frozenset()

    def tighten(self, other: Sharing) -> Sharing:
        """The more restrictive of the two (recipients only matter, and only add up, at RED)."""
        levels = [x for x in (self.tlp, other.tlp) if x is not None]
        tlp = max(levels) if levels else None
        recipients = self.recipients | other.recipients if tlp == TLP.RED else frozenset()
        return Sharing(tlp, recipients)


def _distribution(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"distribution must be 0-5, got {value!r}") from None
    if number not in (0, 1, 2, 3, 4, 5):
        raise ValueError(f"distribution must be 0-5, got {value!r}")
    return number


def _sharing_group_members(element: dict[str, Any]) -> frozenset[str]:
    group = element.get("SharingGroup")
    if not isinstance(group, dict):
        return frozenset()
    names = set()
    for entry in group.get("SharingGroupOrg") or []:
        org = entry.get("Organisation") if isinstance(entry, dict) else None
        if isinstance(org, dict) and isinstance(org.get("name"), str) and org["name"].strip():
            names.add(org["name"].strip().lower().replace("|", "/"))
    return frozenset(names)


def sharing_of(element: dict[str, Any]) -> Sharing:
    """What one event, object or attribute says by itself: its tlp: tags and its distribution."""
    levels = [TAG_LEVELS[n] for n in tag_names(element.get("Tag")) if n in TAG_LEVELS]
    sharing = Sharing(max(levels) if levels else None)
    dist = _distribution(element.get("distribution"))
    if dist is not None and dist != INHERIT:
        floor = DISTRIBUTION_FLOORS[dist]
        members = _sharing_group_members(element) if dist == 4 else frozenset()
        sharing = sharing.tighten(Sharing(floor, members))
    return sharing


def tag_names(tags: Any) -> Iterable[str]:
    for tag in tags or ():
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str):
            yield name.strip().lower() if name.strip().lower() in TAG_LEVELS else name


def level_tag(level: TLP) -> str:
    return LEVEL_TAGS[level]


def level_distribution(level: TLP | None) -> int:
    return 3 if level is None else LEVEL_DISTRIBUTIONS[level]
