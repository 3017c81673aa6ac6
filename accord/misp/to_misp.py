"""Stored STIX objects of one MISP event (or any STIX objects) -> a MISP event, with ``misp-stix``.

Objects misp-stix made from a MISP event (their grouping/report carries misp-stix's
``misp:tool="MISP-STIX-Converter"`` label) go through its parser for its own output, which rebuilds
attributes, objects, tags, galaxies and sightings; any other STIX goes through its parser for
external STIX. A report's external references with a URL become ``link`` attributes (misp-stix's
parser drops them). Then the sharing is set from the objects' TLP (``accord.misp.mapping``): the event
gets its container's tlp: tag and distribution, an attribute more restricted than the event gets its
own tlp: tag and distribution (else distribution 5, "inherit"). Accord's own properties
(``x_accord_*``) never reach MISP.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from accord.misp.mapping import is_tlp_tag, level_distribution, level_tag
from accord.misp.to_stix import CONTAINER_TYPES, EventError
from accord.stix.markings import TLP, marked_tlp

MISP_STIX_LABEL = 'misp:tool="MISP-STIX-Converter"'
# Tags misp-stix's own round trip adds that the original event did not carry.
_CONVERTER_TAGS = frozenset({MISP_STIX_LABEL, "Threat-Report"})
_PRODUCER_TAG = "misp-galaxy:producer="
_NAMESPACE = uuidlib.UUID("6f1b7a52-3c5e-4d8a-9b0e-acc0bd00d15b")


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("x_accord_")}


def to_misp_event(objects: list[dict[str, Any]], container: dict[str, Any] | None) -> dict[str, Any]:
    """The feed form of the MISP event made of ``objects`` ({"Event": {...}} with PyMISP's
    ``_hashes`` and ``_manifest``); EventError when misp-stix cannot rebuild one."""
    from misp_stix_converter import ExternalSTIX2toMISPParser, InternalSTIX2toMISPParser
    from misp_stix_converter.tools.stix2_loading_helpers import load_stix2_content

    levels: dict[str, TLP | None] = {o["id"].partition("--")[2]: marked_tlp(o) for o in objects}
    internal = container is not None and MISP_STIX_LABEL in (container.get("labels") or [])
    seed = container["id"] if container else "|".join(sorted(o["id"] for o in objects))
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuidlib.uuid5(_NAMESPACE, seed)}",
        "objects": [_clean(o) for o in objects],
    }
    parser = InternalSTIX2toMISPParser() if internal else ExternalSTIX2toMISPParser()
    try:
        parser.load_stix_bundle(load_stix2_content(bundle))
        parser.parse_stix_bundle(single_event=True)
        event = parser.misp_event
    except Exception as exc:  # misp-stix raises whatever its libraries raise
        raise EventError(f"misp-stix cannot rebuild a MISP event: {' '.join(str(exc).split())}") from None
    top = marked_tlp(container) if container else None
    if container is not None and container["type"] in CONTAINER_TYPES:
        event.uuid = container["id"].partition("--")[2]
        _reference_links(event, container)
    _set_sharing(event, top, levels)
    _galaxy_tags(event)
    if container is not None:
        _set_orgc(event, container, objects)
    try:
        doc = event.to_feed(with_meta=True, with_distribution=True)
    except Exception as exc:
        raise EventError(f"PyMISP cannot write the event as a feed: {' '.join(str(exc).split())}") from None
    _add_sightings(event, doc["Event"])
    return doc


def reference_link_uuid(container_id: str, url: str) -> str:
    """The uuid of the ``link`` attribute made of a container's external reference: the same on every
    push, so an edit updates it in place and one whose reference was dropped is known as Accord's."""
    return str(uuidlib.uuid5(_NAMESPACE, f"{container_id}|{url}"))


def _reference_links(event: Any, container: dict[str, Any]) -> None:
    """A report's external references with a URL (an advisory's source, a news article) as MISP
    ``link`` attributes, where MISP users look for them: misp-stix's parser leaves them out."""
    have = {a.value for a in event.attributes if a.type == "link"}
    for ref in container.get("external_references") or []:
        url = ref.get("url") if isinstance(ref, dict) else None
        if not isinstance(url, str) or not url.strip() or url in have:
            continue
        have.add(url)
        event.add_attribute(
            "link",
            url,
            category="External analysis",
            uuid=reference_link_uuid(container["id"], url),
            comment=str(ref.get("description") or ref.get("source_name") or ""),
            to_ids=False,
            timestamp=event.timestamp,
        )


def _sighting(sighting: Any) -> dict[str, Any]:
    out = sighting.to_dict()
    return {k: v for k, v in out.items() if k in ("uuid", "type", "date_sighting", "source", "Organisation")}


def _add_sightings(event: Any, feed_event: dict[str, Any]) -> None:
    """PyMISP's feed output leaves sightings out; MISP reads them on attributes, so they are added."""
    sightings: dict[str, list[dict[str, Any]]] = {}
    for attr in [*event.attributes, *(a for o in event.objects for a in o.attributes)]:
        if getattr(attr, "sightings", None):
            sightings[str(attr.uuid)] = [_sighting(s) for s in attr.sightings]
    if not sightings:
        return
    for attr in [
        *(feed_event.get("Attribute") or []),
        *(a for o in feed_event.get("Object") or [] for a in o.get("Attribute") or []),
    ]:
        if attr.get("uuid") in sightings:
            attr["Sighting"] = sightings[attr["uuid"]]


def _retag(element: Any, level: TLP | None) -> None:
    keep = [
        t
        for t in element.tags
        if not is_tlp_tag(t.name) and t.name not in _CONVERTER_TAGS and not t.name.startswith(_PRODUCER_TAG)
    ]
    element.tags = keep
    if level is not None:
        element.add_tag(level_tag(level))


def _set_sharing(event: Any, top: TLP | None, levels: dict[str, TLP | None]) -> None:
    _retag(event, top)
    event.distribution = level_distribution(top)

    def attribute(attr: Any, floor: TLP | None) -> None:
        level = levels.get(attr.uuid)
        restricted = level is not None and (floor is None or level > floor)
        attr.tags = [t for t in attr.tags if not is_tlp_tag(t.name)]
        if restricted:
            attr.add_tag(level_tag(level))
            attr.distribution = level_distribution(level)
        else:
            attr.distribution = 5

    for attr in event.attributes:
        attribute(attr, top)
    for obj in event.objects:
        level = levels.get(obj.uuid)
        restricted = level is not None and (top is None or level > top)
        obj.distribution = level_distribution(level) if restricted else 5
        for attr in obj.attributes:
            attribute(attr, level if restricted else top)


def _galaxy_tags(event: Any) -> None:
    """MISP attaches a galaxy cluster as its tag: the feed lists the cluster's tag with the others."""

    def add(element: Any) -> None:
        names = {t.name for t in element.tags}
        for galaxy in getattr(element, "galaxies", None) or []:
            for cluster in getattr(galaxy, "clusters", None) or []:
                name = getattr(cluster, "tag_name", None)
                if name and name not in names:
                    element.add_tag(name)
                    names.add(name)

    add(event)
    for attr in event.attributes:
        add(attr)
    for obj in event.objects:
        for attr in obj.attributes:
            add(attr)


def _set_orgc(event: Any, container: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    from pymisp import MISPOrganisation

    creator = container.get("created_by_ref")
    identity = next((o for o in objects if o["id"] == creator), None) if creator else None
    if identity is None and getattr(event, "Orgc", None) is not None:
        return
    org = MISPOrganisation()
    org.name = identity["name"] if identity else "Accord"
    org.uuid = creator.partition("--")[2] if identity else str(uuidlib.uuid5(_NAMESPACE, "accord"))
    event.Orgc = org
