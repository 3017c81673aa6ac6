"""Generated worlds for the policy matrix: a plan drawn by hypothesis (organizations, peers, rights,
collection defaults, objects with every marking form, versions, shared ids), built on a real node
through TAXII POSTs, and the probes that read it back and compare with ``security_oracle``.

Every mismatch is collected as one line (``World.problems``) naming the path, the organization, the
object and what was expected: a test fails with all of them at once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from hypothesis import strategies as st
from security_oracle import (
    LEVEL_NAMES,
    STATEMENTS,
    TLP1,
    TLP2,
    TOMBSTONE,
    Collection,
    Model,
    Org,
    Row,
    latest_spec,
    level_of,
    per_history,
    recipients_of,
    visible,
)
from stixgen import stix_id
from taxiiclient import Api

from accord.node import Node
from accord.stix.extensions import TOMBSTONE_EXTENSION
from accord.stix.markings import TLP
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import stix_object
from accord.sync.peers import add_peer, get_peer, receive

_tags = itertools.count()


def new_tag() -> str:
    """A prefix unique in this process: each example builds its world beside the previous ones."""
    return f"t{next(_tags):04d}"


# -- plans ------------------------------------------------------------------------------------------

# Organization names with LIKE wildcards, dots and spaces: a recipient differing only where a wildcard
# stands must not match; names are drawn in any case, and recipients name them in another.
STEMS = ("Cert_A", "soc%B", "Csirt.C", "law D", "isp-E")
CASES = ("same", "upper", "lower", "swap")
RECIPIENT_KINDS = ("name", "identity", "name", "identity", "ghost", "pipe", "admin")
MARKING_REFS = (*TLP2.values(), *TLP1.values(), *STATEMENTS)
PEER_LIMITS = (None, None, None, None, None, None, None, None, None, None, 0, 1, 2, 3, 4)
RIGHTS = ("", "r", "w", "rw", "rw")


def recase(text: str, how: str) -> str:
    return {"same": text, "upper": text.upper(), "lower": text.lower(), "swap": text.swapcase()}[how]


@dataclass(frozen=True)
class Recipient:
    kind: str  # name | identity | ghost (a near miss of a name) | pipe ("x|name") | admin
    target: int
    case: str


@dataclass(frozen=True)
class Marking:
    refs: tuple[str, ...]  # object_marking_refs (TLP 2.0, TLP 1.0, statements)
    granular: tuple[str, ...]  # granular_markings[*].marking_ref, or "lang" for a language marking
    recipients: tuple[Recipient, ...] | None


@dataclass(frozen=True)
class ObjectPlan:
    kind: str  # indicator | sco (a domain-name: its id comes from its value)
    coll: int
    producer: int
    shares: int | None  # an earlier object whose id this one reuses (another history of that id)
    versions: tuple[Marking, ...]
    stix20: tuple[bool, ...] = ()  # per version: written in STIX 2.0 (indicators only)


@dataclass(frozen=True)
class TombstonePlan:
    by: int
    target: int
    versions: tuple[int, ...]
    marking: Marking


@dataclass(frozen=True)
class Plan:
    names: tuple[str, ...]
    peers: tuple[int | None, ...]  # the link's maximum TLP for organizations standing for a peer
    with_admin: bool  # the last organization is the node's administrator organization
    defaults: tuple[int, ...]  # collection default TLPs
    rights: tuple[tuple[str, ...], ...]  # [org][collection]: "", "r", "w", "rw"
    objects: tuple[ObjectPlan, ...]
    order: tuple[tuple[int, int], ...]  # (object, version) in posting order
    joins: tuple[bool, ...]  # per item after the first: same POST as the previous one when possible
    tombstones: tuple[TombstonePlan, ...]  # tombstones posted by hand after the objects


recipients_st = st.builds(
    Recipient, st.sampled_from(RECIPIENT_KINDS), st.integers(0, len(STEMS) - 1), st.sampled_from(CASES)
)
markings_st = st.builds(
    Marking,
    st.lists(st.sampled_from(MARKING_REFS), max_size=3, unique=True).map(tuple),
    st.lists(st.sampled_from((*MARKING_REFS, "lang")), max_size=2).map(tuple),
    st.none() | st.lists(recipients_st, max_size=3).map(tuple),
)


def _root(objects: list[ObjectPlan] | tuple[ObjectPlan, ...], i: int) -> int:
    """The first object of the id ``i`` shares."""
    while objects[i].shares is not None:
        i = objects[i].shares  # type: ignore[assignment]
    return i


@st.composite
def plans(
    draw: st.DrawFn,
    *,
    max_orgs: int = 5,
    max_objects: int = 5,
    peers: bool = True,
    min_peers: int = 0,
    tombstones: bool = True,
    kinds: tuple[str, ...] = ("indicator", "indicator", "indicator", "sco"),
) -> Plan:
    n = draw(st.integers(3, max_orgs))
    with_admin = draw(st.booleans())
    names = tuple(
        "admin" if with_admin and i == n - 1 else recase(STEMS[i], draw(st.sampled_from(CASES)))
        for i in range(n)
    )
    limits = [draw(st.sampled_from(PEER_LIMITS)) if peers and names[i] != "admin" else None for i in range(n)]
    for i in range(1, n):  # organization 0 stays local
        if sum(v is not None for v in limits) < min_peers and names[i] != "admin" and limits[i] is None:
            limits[i] = draw(st.integers(0, 4))
    defaults = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=2)))
    rights = [[draw(st.sampled_from(RIGHTS)) for _ in defaults] for _ in range(n)]
    for c in range(len(defaults)):
        if not any("w" in rights[o][c] for o in range(n)):
            rights[0][c] = "rw"
    objects: list[ObjectPlan] = []
    for i in range(draw(st.integers(1, max_objects))):
        coll = draw(st.integers(0, len(defaults) - 1))
        producer = draw(st.sampled_from([o for o in range(n) if "w" in rights[o][coll]]))
        kind = draw(st.sampled_from(kinds))
        # Another history of an earlier object's id: by another organization, or in another collection
        # (one organization's versions of an id in one collection are one history).
        groups: dict[int, list[int]] = {}
        for k in range(i):
            groups.setdefault(_root(objects, k), []).append(k)
        earlier = [
            root
            for root, members in groups.items()
            if objects[root].kind == kind
            and all((objects[k].producer, objects[k].coll) != (producer, coll) for k in members)
        ]
        shares = draw(st.none() | st.sampled_from(earlier)) if earlier else None
        versions = tuple(draw(st.lists(markings_st, min_size=1, max_size=3)))
        old = st.sampled_from((False, False, False, True)) if kind == "indicator" else st.just(False)
        stix20 = tuple(draw(old) for _ in versions)
        objects.append(ObjectPlan(kind, coll, producer, shares, versions, stix20))
    order = [(i, j) for i, o in enumerate(objects) for j in range(len(o.versions))]
    if draw(st.booleans()):
        order = list(draw(st.permutations(order)))
    joins = tuple(draw(st.lists(st.booleans(), min_size=len(order) - 1, max_size=len(order) - 1)))
    planned: list[TombstonePlan] = []
    if tombstones and draw(st.booleans()):
        target = draw(st.integers(0, len(objects) - 1))
        writers = [o for o in range(n) if "w" in rights[o][objects[target].coll]]
        planned.append(
            TombstonePlan(
                draw(st.sampled_from(writers)),
                target,
                tuple(draw(st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True))),
                draw(markings_st),
            )
        )
    return Plan(
        names,
        tuple(limits),
        with_admin,
        defaults,
        tuple(tuple(r) for r in rights),
        tuple(objects),
        tuple(order),
        joins,
        tuple(planned),
    )


# -- the built world --------------------------------------------------------------------------------


@dataclass
class Write:
    """One write (a POST or a DELETE): who, where, and the rows it stored, as read back."""

    org: str
    coll: str
    status_id: str | None
    expected: list[str | None] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


class World:
    def __init__(self, node: Node, admin_token: str, plan: Plan) -> None:
        self.node = node
        self.api = Api(node)
        self.plan = plan
        self.tag = new_tag()
        self.problems: list[str] = []
        self.writes: list[Write] = []
        self.by_key: dict[str, Row] = {}
        self.ids: dict[str, list[str]] = {}  # every id stored in a collection, hidden ones included
        self._build_orgs(admin_token)
        self._last_seq = self._max_seq()
        self._post_plan()

    # -- building ---------------------------------------------------------------------------------

    def _build_orgs(self, admin_token: str) -> None:
        plan, tag = self.plan, self.tag
        orgs: dict[str, Org] = {}
        self.creds: dict[str, tuple[str, str]] = {}
        self.names: list[str] = []
        self.colls: list[str] = []
        self._coll_ids: dict[int, str] = {}
        rights: dict[tuple[str, str], tuple[bool, bool]] = {}
        with write_transaction(self.node.engine) as conn:
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            assert root is not None
            found = []
            for i, stem in enumerate(plan.names):
                if stem == "admin":
                    org, token = admin.require_org(conn, "admin"), admin_token
                elif plan.peers[i] is not None:
                    url = f"https://{tag}-{i}.peer.example/default/"
                    org = add_peer(conn, f"{stem}-{tag}", url, "unused", max_tlp=TLP(plan.peers[i])).org
                    token = admin.create_token(conn, org)
                else:
                    org = admin.add_org(conn, f"{stem}-{tag}")
                    token = admin.create_token(conn, org)
                found.append(org)
                orgs[org.name] = Org(org.name, org.identity_id, plan.peers[i])
                self.creds[org.name] = (org.name, token)
                self.names.append(org.name)
            self.admin_identity = admin.require_org(conn, "admin").identity_id
            for c, default in enumerate(plan.defaults):
                coll = admin.add_collection(conn, root, f"{tag} collection {c}", default_tlp=TLP(default))
                self.colls.append(coll.uuid)
                self._coll_ids[coll.id] = coll.uuid
                for org, row in zip(found, plan.rights, strict=True):
                    read, write = "r" in row[c], "w" in row[c]
                    if read or write:
                        admin.grant(conn, coll, org, read=read, write=write)
                    rights[(org.name, coll.uuid)] = (read, write)
        local = {o.name.lower() for o in orgs.values() if not o.is_peer}
        local |= {o.identity.lower() for o in orgs.values() if not o.is_peer}
        local |= {"admin", self.admin_identity.lower()}
        self.model = Model(
            orgs,
            {u: Collection(u, d) for u, d in zip(self.colls, plan.defaults, strict=True)},
            rights,
            local_names=frozenset(local),
        )
        for u in self.colls:
            self.ids[u] = []

    def recipient(self, r: Recipient) -> str:
        target = self.model.orgs[self.names[r.target % len(self.names)]]
        if r.kind == "identity":
            return recase(target.identity, r.case)
        if r.kind == "admin":
            return recase("admin", r.case)
        name = recase(target.name, r.case)
        if r.kind == "ghost":  # a near miss: equal only if a wildcard or a prefix were honoured
            near = name.replace("_", "q").replace("%", "zz")
            return near if near.lower() != target.name.lower() else "x" + name
        if r.kind == "pipe":
            return "nobody|" + name
        return name

    def mark(self, obj: dict[str, Any], marking: Marking, selector: str) -> dict[str, Any]:
        if marking.refs:
            obj["object_marking_refs"] = list(marking.refs)
        if marking.granular:
            obj["granular_markings"] = [
                {"lang": "en", "selectors": [selector]}
                if ref == "lang"
                else {"marking_ref": ref, "selectors": [selector]}
                for ref in marking.granular
            ]
        if marking.recipients is not None:
            obj["x_accord_recipients"] = [self.recipient(r) for r in marking.recipients]
        return obj

    def body(self, i: int, j: int) -> dict[str, Any]:
        """Version ``j`` of planned object ``i``: its own probe, its history's id, its marking."""
        plan = self.plan.objects[i]
        root = _root(self.plan.objects, i)
        probe = f"{self.tag}o{i:02d}v{j:02d}x"
        if plan.kind == "sco":
            value = f"{self.tag}-sco{root:02d}.example"
            obj: dict[str, Any] = {
                "type": "domain-name",
                "spec_version": "2.1",
                "id": stix_id("domain-name", value),
                "value": value,
                "x_probe": probe,
            }
            return self.mark(obj, plan.versions[j], "value")
        obj = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": stix_id("indicator", f"{self.tag}-o{root:02d}"),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": f"2026-01-{j + 1:02d}T00:00:00.000Z",
            "name": probe,
            "pattern": f"[domain-name:value = '{probe}.example.com']",
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            "x_probe": probe,
        }
        if plan.stix20 and plan.stix20[j]:  # STIX 2.0: no spec_version nor pattern_type, labels required
            del obj["spec_version"], obj["pattern_type"]
            obj["labels"] = ["malicious-activity"]
        return self.mark(obj, plan.versions[j], "name")

    def _post_plan(self) -> None:
        plan = self.plan
        batches: list[tuple[int, int, list[tuple[int, int]]]] = []
        for n, (i, j) in enumerate(plan.order):
            who, coll = plan.objects[i].producer, plan.objects[i].coll
            if n and plan.joins[n - 1] and batches[-1][:2] == (who, coll):
                batches[-1][2].append((i, j))
            else:
                batches.append((who, coll, [(i, j)]))
        for who, coll, items in batches:
            self.post(self.names[who], self.colls[coll], [self.body(i, j) for i, j in items])
        for t in plan.tombstones:
            target = plan.objects[t.target]
            coll = self.colls[target.coll]
            history = [
                r
                for r in self.model.rows
                if r.coll == coll and r.stix_id == self.body(t.target, 0)["id"] and r.type != TOMBSTONE
            ]
            versions = sorted({history[v % len(history)].version for v in t.versions}) if history else []
            if not versions:
                continue
            tomb = {
                "type": TOMBSTONE,
                "spec_version": "2.1",
                "id": stix_id(TOMBSTONE, f"{self.tag}-tomb{t.target}"),
                "created": "2026-03-01T00:00:00.000Z",
                "modified": "2026-03-01T00:00:00.000Z",
                "object_ref": history[0].stix_id,
                "versions": versions,
                "extensions": {TOMBSTONE_EXTENSION: {"extension_type": "new-sdo"}},
            }
            self.post(self.names[t.by], coll, [self.mark(tomb, t.marking, "object_ref")])

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def describe(self, row: Row) -> str:
        rec = ",".join(sorted(row.recipients)) or "-"
        src = f" via {row.source}" if row.source else ""
        level = LEVEL_NAMES[row.level]
        return f"{row.key}[{row.type} {row.stix_id[-8:]} by {row.producer}{src}, {level}, to {rec}]"

    def post(self, org: str, coll: str, objects: list[dict[str, Any]]) -> Write:
        """POST ``objects`` as ``org`` and check the status against the oracle, row by row."""
        expected = self.model.post(org, coll, objects)
        r = self.api.request(
            "POST", f"/default/collections/{coll}/objects/", self.creds[org], json={"objects": objects}
        )
        write = Write(org, coll, None, expected)
        if r.status_code != 202:
            self.problem(f"WRITE POST by {org} answered {r.status_code}: {r.text[:200]}")
            return write
        status = r.json()
        write.status_id = status["id"]
        successes = [s["id"] for s in status.get("successes", [])]
        failures = status.get("failures", [])
        want_ok = [o["id"] for o, why in zip(objects, expected, strict=True) if why is None]
        want_failed = [(o["id"], why) for o, why in zip(objects, expected, strict=True) if why is not None]
        got_failed = [(f["id"], f.get("message", "")) for f in failures]
        mismatch = successes != want_ok or [i for i, _ in got_failed] != [i for i, _ in want_failed]
        mismatch = mismatch or any(
            want not in got for (_, want), (_, got) in zip(want_failed, got_failed, strict=False)
        )
        if mismatch:
            posted = [
                f"{o.get('x_probe', o['id'])}:{why or 'stored'}"
                for o, why in zip(objects, expected, strict=True)
            ]
            self.problem(
                f"WRITE POST by {org} of {posted}: expected refusals {want_failed}, got {got_failed}"
                f" (successes {successes})"
            )
        stored = [(o, why) for o, why in zip(objects, expected, strict=True) if why is None]
        self._read_back(write, [o for o, _ in stored])
        self.writes.append(write)
        return write

    def arrive(self, org: str, coll: str, objects: list[dict[str, Any]]) -> Write:
        """Objects arriving from the peer ``org`` stands for, as a pull stores them (``receive`` with
        the link's scope), checked against the oracle like a POST."""
        expected = self.model.post(org, coll, objects)
        with write_transaction(self.node.engine) as conn:
            sender = admin.require_org(conn, org)
            scope = get_peer(conn, org)
            assert scope is not None
            outcomes = receive(conn, admin.collection_by_uuid(conn, coll), sender, scope.scope, objects)
        got = [None if o.ok else (o.message or "") for o in outcomes]
        if [g is None for g in got] != [e is None for e in expected] or any(
            e is not None and g is not None and e not in g for e, g in zip(expected, got, strict=True)
        ):
            self.problem(
                f"WRITE arrival from {org} of {[self.key_of(o) for o in objects]}: "
                f"expected {expected}, got {got}"
            )
        write = Write(org, coll, None, expected)
        self._read_back(write, [o for o, why in zip(objects, expected, strict=True) if why is None])
        self.writes.append(write)
        return write

    def _max_seq(self) -> int:
        with read_transaction(self.node.engine) as conn:
            return conn.execute(sa.select(sa.func.max(stix_object.c.seq))).scalar() or 0

    def _new_rows(self) -> list[Any]:
        s = stix_object.c
        with read_transaction(self.node.engine) as conn:
            found = list(
                conn.execute(
                    sa.select(
                        s.seq,
                        s.collection_id,
                        s.stix_id,
                        s.type,
                        s.version,
                        s.version_us,
                        s.date_added_us,
                        s.spec_version,
                        s.body,
                    )
                    .where(s.seq > self._last_seq, s.collection_id.in_(list(self._coll_ids)))
                    .order_by(s.seq)
                )
            )
        if found:
            self._last_seq = found[-1].seq
        return found

    def _read_back(self, write: Write, stored: list[dict[str, Any]]) -> None:
        """The rows the write stored, with their dates and versions from the store; the oracle's
        rows for them; and what a tombstone among them deletes."""
        by_key = {o.get("x_probe") or o["id"]: o for o in stored}
        producer = self.model.orgs[write.org]
        source = producer.name if producer.is_peer else None
        default = self.model.collections[write.coll].default
        seen = set()
        for db in self._new_rows():
            body = orjson.loads(db.body)
            key = body.get("x_probe") or body["id"]
            coll = self._coll_ids[db.collection_id]
            if key not in by_key and body["type"] != TOMBSTONE:
                self.problem(f"WRITE by {write.org}: stored {key} the oracle refuses")
            seen.add(key)
            row = Row(
                key,
                coll,
                db.stix_id,
                db.type,
                write.org,
                source,
                level_of(body, default),
                recipients_of(body),
                body,
                len(self.writes),
                db.version,
                db.version_us,
                db.date_added_us,
                db.seq,
                db.spec_version,
            )
            self.model.rows.append(row)
            self.by_key[key] = row
            write.rows.append(row)
            if db.stix_id not in self.ids[coll]:
                self.ids[coll].append(db.stix_id)
            if body["type"] == TOMBSTONE and key in by_key:  # posted by hand: applied like any tombstone
                self.model.apply_tombstone(write.org, coll, body)
        for key in by_key.keys() - seen:
            self.problem(f"WRITE by {write.org}: {key} accepted by the oracle was not stored")

    def delete(self, org: str, coll: str, stix_id_: str, version: str | None) -> None:
        """DELETE as ``org``; check the status, read back the tombstones, and check what they list."""
        expected, gone = self.model.delete(org, coll, stix_id_, version)
        params = {"match[version]": version} if version else {}
        r = self.api.request(
            "DELETE", f"/default/collections/{coll}/objects/{stix_id_}/", self.creds[org], params=params
        )
        what = f"DELETE of {stix_id_[-8:]}{' version ' + version if version else ''} by {org}"
        if r.status_code != expected:
            self.problem(f"STATUS {what}: expected {expected}, got {r.status_code} {r.text[:160]}")
        write = Write(org, coll, None)
        self.writes.append(write)
        before = {id(r) for r in self.model.rows}
        self._read_back(write, [])
        tombs = [r for r in self.model.rows if id(r) not in before]
        if any(t.type != TOMBSTONE or t.body.get("object_ref") != stix_id_ for t in tombs):
            self.problem(f"TOMBSTONE {what} stored something else: {[t.key for t in tombs]}")
        if expected != 200:
            if tombs:
                self.problem(f"TOMBSTONE {what} answered {r.status_code} but stored {[t.key for t in tombs]}")
            return
        self.model.remove(gone)
        for reader in self.names:
            if not self.model.right(reader, coll)[0]:
                continue
            who = self.model.orgs[reader]
            saw = {r.version for r in gone if visible(who, r)}
            listed = [t for t in tombs if visible(who, t)]
            names = {v for t in listed for v in t.body.get("versions", [])}
            if names != saw or (not saw and listed):
                self.problem(
                    f"TOMBSTONE {what}: {reader} could see versions {sorted(saw)} of "
                    f"{[self.describe(g) for g in gone]}; the tombstones it may read list {sorted(names)}"
                    f" ({[self.describe(t) for t in listed]})"
                )

    # -- reading back -----------------------------------------------------------------------------

    def get(self, org: str, path: str, **params: Any) -> httpx.Response:
        return self.api.get(path, self.creds[org], params=params)

    def key_of(self, obj: dict[str, Any]) -> str:
        return obj.get("x_probe") or obj.get("id", "?")

    def compare(self, what: str, org: str, coll: str, got: list[str], expected: list[Row]) -> None:
        """``got`` (keys, in the order served) must be exactly ``expected``; name leaks first."""
        want = [r.key for r in expected]
        if got == want:
            return
        sees = {r.key for r in self.model.view(org, coll)}
        leaks = [k for k in got if k not in sees]
        parts = []
        if leaks:
            parts.append(
                "LEAK " + ", ".join(self.describe(self.by_key[k]) if k in self.by_key else k for k in leaks)
            )
        missing = [k for k in want if k not in got]
        if missing:
            parts.append("MISSING " + ", ".join(self.describe(self.by_key[k]) for k in missing))
        extra = [k for k in got if k in sees and k not in want]
        if extra:
            parts.append("NOT EXPECTED HERE " + ", ".join(self.describe(self.by_key[k]) for k in extra))
        dup = sorted({k for k in got if got.count(k) > 1})
        if dup:
            parts.append(f"DUPLICATE {dup}")
        if not parts:
            parts.append("ORDER")
        self.problem(f"{' / '.join(parts)} — {what} as {org}: expected {want}, got {got}")

    def walk(
        self, org: str, coll: str, endpoint: str, limit: int, via: str, **params: str
    ) -> list[dict[str, Any]] | None:
        """Every item of a query, page by page (``via`` "next" or "added_after"), checking each page's
        ``more`` and date headers."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"limit": limit, **params}
        what = f"{endpoint} {params} limit={limit} via {via}"
        for _ in range(500):
            r = self.get(org, f"/default/collections/{coll}/{endpoint}/", **query)
            if r.status_code != 200:
                self.problem(f"STATUS {what} as {org}: {r.status_code} {r.text[:160]}")
                return None
            body = r.json()
            page = body.get("objects", [])
            items += page
            self.check_headers(f"{what} as {org}", r, page, endpoint)
            if body.get("more") and not page:
                self.problem(f"MORE {what} as {org}: an empty page says more=true")
            if not body.get("more"):
                if "next" in body:
                    self.problem(f"MORE {what} as {org}: next without more")
                return items
            if via == "next":
                query["next"] = body["next"]
            elif "X-TAXII-Date-Added-Last" in r.headers:
                query["added_after"] = r.headers["X-TAXII-Date-Added-Last"]
            else:
                self.problem(f"HEADER {what} as {org}: more=true without X-TAXII-Date-Added-Last")
                return items
        self.problem(f"MORE {what} as {org}: paging never ended")
        return items

    def date_of(self, item: dict[str, Any], endpoint: str) -> int | None:
        if endpoint == "manifest":
            return parse_us(item["date_added"])
        row = self.by_key.get(self.key_of(item))
        return row.date_added_us if row else None

    def check_headers(self, what: str, r: httpx.Response, page: list[dict[str, Any]], endpoint: str) -> None:
        first, last = r.headers.get("X-TAXII-Date-Added-First"), r.headers.get("X-TAXII-Date-Added-Last")
        if not page:
            if first or last:
                self.problem(f"HEADER {what}: date headers {first}..{last} on an empty page")
            return
        want = (self.date_of(page[0], endpoint), self.date_of(page[-1], endpoint))
        got = (parse_us(first) if first else None, parse_us(last) if last else None)
        if got != want:
            self.problem(f"HEADER {what}: X-TAXII-Date-Added-First/Last {first}..{last}, page spans {want}")

    def manifest_keys(self, items: list[dict[str, Any]]) -> list[str]:
        """Manifest entries as row keys: (id, version, date_added) names one stored row."""
        index = {(r.stix_id, r.version, r.date_added_us): r.key for r in self.by_key.values()}
        return [index.get((m["id"], m["version"], parse_us(m["date_added"])), f"?{m['id']}") for m in items]

    def expected(
        self, org: str, coll: str, mode: str, kind: str | None = None, every_spec: bool = False
    ) -> list[Row]:
        """What a read of ``coll`` must serve ``org``: ``mode`` "all", "last" or "first" versions of
        each history, of its newest STIX version unless ``every_spec`` (match[spec_version]=2.0,2.1)."""
        view = self.model.view(org, coll) if every_spec else latest_spec(self.model.view(org, coll))
        if kind:
            view = [r for r in view if r.type == kind]
        return view if mode == "all" else per_history(view, mode)

    def check_nothing_new(self) -> None:
        """Refused writes (no rights, intruders) stored nothing."""
        for db in self._new_rows():
            self.problem(
                f"WRITE stored {orjson.loads(db.body).get('x_probe') or db.stix_id} "
                "without a write the oracle allows"
            )

    def check_dates(self) -> None:
        """Within one write, the times a reader sees run consecutively from the write's first time."""
        for w in self.writes:
            if not w.rows:
                continue
            first = min(r.date_added_us for r in w.rows)
            for reader in self.names:
                if reader != w.org and not self.model.right(reader, w.coll)[0]:
                    continue
                who = self.model.orgs[reader]
                seen = {r.date_added_us for r in w.rows if visible(who, r)}
                if seen and seen != set(range(first, first + len(seen))):
                    rows = ", ".join(f"{self.describe(r)}@+{r.date_added_us - first}" for r in w.rows)
                    offsets = sorted(d - first for d in seen)
                    self.problem(
                        f"DATE write by {w.org} ({rows}): {reader} sees times at offsets {offsets}, "
                        "which count rows hidden from it"
                    )

    def summary(self) -> str:
        lines = [f"world {self.tag}:"]
        for name in self.names:
            o = self.model.orgs[name]
            peer = f" peer max {LEVEL_NAMES[o.peer_max]}" if o.is_peer else ""
            rights = " ".join(
                f"c{c}:{''.join(k for k, v in zip('rw', self.model.right(name, u), strict=True) if v) or '-'}"
                for c, u in enumerate(self.colls)
            )
            lines.append(f"  {name} {o.identity}{peer} {rights}")
        for c, u in enumerate(self.colls):
            lines.append(f"  c{c} {u} default {LEVEL_NAMES[self.model.collections[u].default]}")
        for w in self.writes:
            lines.append(
                f"  write by {w.org} in c{self.colls.index(w.coll)}: {[self.describe(r) for r in w.rows]}"
            )
        return "\n".join(lines)
