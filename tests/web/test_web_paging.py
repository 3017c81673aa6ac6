"""Search paging: "next page" links reach every visible result exactly once, newest first, and
never a hidden one, whatever the window and budget the scan works with."""

from __future__ import annotations

import html
import json
import re
from collections import Counter

import pytest
from starlette.testclient import TestClient
from stixgen import indicator, stix_id
from web_world import PRIVATE, RED_SECRET, World, sign_in

from accord.stix.markings import TLP, TLP2_MARKING_ID
from accord.store import admin, values
from accord.store.engine import read_transaction, write_transaction
from accord.store.objects import add_objects
from accord.store.queries import Filters, select_page
from accord.web import data

MANY = 130


@pytest.fixture
def crowded(world: World) -> World:
    """130 more indicators from cert-fr in Shared, and 40 hidden TLP:RED ones from efcc-ng."""
    with write_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        shared = admin.find_collection(conn, root, "shared")
        fr, ng = admin.find_org(conn, "cert-fr"), admin.find_org(conn, "efcc-ng")
        assert shared is not None and fr is not None and ng is not None
        bulk = [
            indicator(f"bulk-{n:03d}", tlp=TLP.GREEN, value=f"bulk-{n:03d}.example.net") for n in range(MANY)
        ]
        assert all(o.ok for o in add_objects(conn, shared, fr, bulk))
        hidden = [indicator(f"bulk-red-{n:03d}", tlp=TLP.RED, recipients=["efcc-ng"]) for n in range(40)]
        assert all(o.ok for o in add_objects(conn, shared, ng, hidden))
    return world


def truth(world: World, name: str) -> Counter[str]:
    """Labels of every object the organization may see, read whole through the policy."""
    with read_transaction(world.node.engine) as conn:
        who = admin.find_org(conn, name)
        assert who is not None
        principal = admin.Principal(who, False)
        labels: Counter[str] = Counter()
        for coll in data.readable(conn, principal):
            page = select_page(
                conn, coll.id, principal.reader, Filters(), after_us=None, limit=None, columns=("body",)
            )
            labels.update(data.label_of(json.loads(r.body)) for r in page.rows)
    return labels


def walk(client: TestClient, **params: str) -> list[list[str]]:
    """Follow the "next" links from the first page; the labels on each page."""
    pages = []
    response = client.get("/intel", params=params)
    while True:
        assert response.status_code == 200
        found = re.findall(r'<td><a href="/intel/[^"]+" dir="auto">([^<]+)</a></td>', response.text)
        pages.append([html.unescape(label) for label in found])
        link = re.search(r'<a href="([^"]+)" rel="next">', response.text)
        if not link:
            return pages
        response = client.get(html.unescape(link.group(1)))


def test_every_result_is_reachable_once_newest_first(app, crowded: World) -> None:
    fr = TestClient(app)
    sign_in(fr, crowded.fr_token)
    pages = walk(fr, q="bulk")
    assert [len(p) for p in pages] == [50, 50, 30]
    labels = [label for page in pages for label in page]
    assert labels == [f"bulk-{n:03d}" for n in reversed(range(MANY))]
    everything = [label for page in walk(fr) for label in page]
    assert Counter(everything) == truth(crowded, "cert-fr")
    assert not any("bulk-red" in label or label in (RED_SECRET, PRIVATE) for label in everything)
    second = fr.get("/intel", params={"q": "bulk", "before": "not-a-cursor"})
    assert second.status_code == 200 and "bulk-129" in second.text  # a bad cursor means the first page


def test_two_collections_interleave_by_date(app, crowded: World) -> None:
    ng = TestClient(app)
    sign_in(ng, crowded.ng_token)
    labels = [label for page in walk(ng) for label in page]
    assert Counter(labels) == truth(crowded, "efcc-ng")
    assert PRIVATE in labels and RED_SECRET in labels and "bulk-red-039" in labels


def test_small_reads_and_a_small_budget_still_reach_everything(
    app, crowded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "SCAN_PAGE", 7)  # many small reads, merged across collections
    monkeypatch.setattr(data, "SCAN_BUDGET", 25)
    fr = TestClient(app)
    sign_in(fr, crowded.fr_token)
    pages = walk(fr, q="bulk-1")
    labels = [label for page in pages for label in page]
    assert labels == [f"bulk-{n:03d}" for n in reversed(range(100, MANY))]
    assert len(pages) > 2  # the budget ran out before pages filled: "search further back" links
    nothing = fr.get("/intel", params={"q": "no-such-thing"}).text
    assert "Search further back" in nothing or "No objects match." in nothing


def test_exact_values_come_from_the_index_and_never_reveal_hidden_objects(app, crowded: World) -> None:
    fr = TestClient(app)
    sign_in(fr, crowded.fr_token)
    before = fr.get("/intel", params={"q": "bulk-007.example.net"}).text
    assert "carrying exactly" not in before and "bulk-007" in before  # index behind: the scan answers
    values.catch_up(crowded.node.engine)
    exact = fr.get("/intel", params={"q": "BULK-007.example.net"}).text
    assert "carrying exactly" in exact
    assert re.findall(r'dir="auto">(bulk-[^<]+)</a>', exact) == ["bulk-007"]
    contains = re.search(r'href="(/intel\?[^"]*match=contains[^"]*)"', exact)
    assert contains is not None
    wider = fr.get(html.unescape(contains.group(1))).text
    assert "carrying exactly" not in wider and "bulk-007" in wider
    hidden_value = "bulk-red-001.example.com"  # efcc-ng's TLP:RED indicator, indexed like any other
    mine = fr.get("/intel", params={"q": hidden_value}).text
    assert re.findall(r'dir="auto">(bulk-red[^<]+)</a>', mine) == [] and "carrying exactly" not in mine
    ng = TestClient(app)
    sign_in(ng, crowded.ng_token)
    theirs = ng.get("/intel", params={"q": hidden_value}).text
    assert re.findall(r'dir="auto">(bulk-red[^<]+)</a>', theirs) == ["bulk-red-001"]


def test_every_listed_link_opens_its_object(app, crowded: World) -> None:
    """Results merged from several collections link to the collection each object is stored in."""
    ng = TestClient(app)
    sign_in(ng, crowded.ng_token)
    links: list[str] = []
    response = ng.get("/intel")
    while True:
        links += re.findall(r'<td><a href="(/intel/[^"]+)" dir="auto">', response.text)
        following = re.search(r'href="([^"]+)" rel="next"', response.text)
        if following is None:
            break
        response = ng.get(html.unescape(following.group(1)))
    assert len({link.split("/")[2] for link in links}) >= 2
    for link in links:
        assert ng.get(link).status_code == 200, link


def test_object_page_lists_relationships_through_the_policy(app, world: World) -> None:
    """Found by a scan while the value index catches up, then from the index: the same answer."""
    target = indicator("rel-target", tlp=TLP.GREEN)
    relation = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": stix_id("relationship", "visible"),
        "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
        "relationship_type": "indicates",
        "source_ref": target["id"],
        "target_ref": stix_id("malware", "m"),
        "object_marking_refs": [TLP2_MARKING_ID[TLP.GREEN]],
    }
    hidden = {
        **relation,
        "id": stix_id("relationship", "hidden"),
        "relationship_type": "related-to",
        "object_marking_refs": [TLP2_MARKING_ID[TLP.RED]],
        "x_accord_recipients": ["efcc-ng"],
    }
    with write_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        shared = admin.find_collection(conn, root, "shared")
        fr, ng = admin.find_org(conn, "cert-fr"), admin.find_org(conn, "efcc-ng")
        assert all(o.ok for o in add_objects(conn, shared, fr, [target, relation]))
        assert all(o.ok for o in add_objects(conn, shared, ng, [hidden]))
    client = TestClient(app)
    sign_in(client, world.fr_token)
    url = f"/intel/{shared.uuid}/{target['id']}"
    for caught_up in (False, True):
        if caught_up:
            values.catch_up(world.node.engine)
        page = client.get(url).text
        assert relation["id"] in page and "indicates" in page, caught_up
        assert hidden["id"] not in page and "related-to" not in page, caught_up
