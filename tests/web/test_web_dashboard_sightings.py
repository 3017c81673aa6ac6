"""The dashboard's sightings panel: partners' sightings of my organization's indicators, lately."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient
from stixgen import indicator, stix_id
from web_world import World, sign_in

from accord.stix.markings import TLP, TLP2_MARKING_ID
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects


def sighting(name: str, of: str, count: int, tlp: TLP = TLP.GREEN, **extra: Any) -> dict[str, Any]:
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": stix_id("sighting", name),
        "created": "2026-01-02T00:00:00Z",
        "modified": "2026-01-02T00:00:00Z",
        "sighting_of_ref": of,
        "count": count,
        "object_marking_refs": [TLP2_MARKING_ID[tlp]],
        **extra,
    }


def test_partners_sightings_of_my_indicators_only(app, world: World) -> None:
    mine, theirs = indicator("fr-sighted", tlp=TLP.GREEN), indicator("ng-own", tlp=TLP.GREEN)
    with write_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        shared = admin.find_collection(conn, root, "shared")
        fr, ng = admin.find_org(conn, "cert-fr"), admin.find_org(conn, "efcc-ng")
        assert all(o.ok for o in add_objects(conn, shared, fr, [mine, sighting("own", mine["id"], 50)]))
        assert all(o.ok for o in add_objects(conn, shared, ng, [theirs]))
        seen = [
            sighting("ng-1", mine["id"], 3),
            sighting("ng-2", mine["id"], 4),
            sighting("ng-hidden", mine["id"], 100, TLP.RED, x_accord_recipients=["efcc-ng"]),
            sighting("ng-of-own", theirs["id"], 7),
        ]
        assert all(o.ok for o in add_objects(conn, shared, ng, seen))
    client = TestClient(app)
    sign_in(client, world.fr_token)
    page = client.get("/dashboard").text
    panel = page.split("Sightings of our indicators", 1)[1].split("</section>", 1)[0]
    cell = r"\s*<td[^>]*>([^<]+)</td>"
    rows = re.findall(r"<tr>\s*<td><a[^>]*>([^<]+)</a></td>" + cell * 3, panel)
    # The hidden sighting and fr's own are not counted; 3 + 4 times seen in 2 sightings.
    assert rows == [("fr-sighted", "efcc-ng", "2", "7")]
    ng_client = TestClient(app)
    sign_in(ng_client, world.ng_token)
    assert "No partner sighted our indicators" in ng_client.get("/dashboard").text
