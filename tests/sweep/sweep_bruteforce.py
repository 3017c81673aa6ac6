"""Independent reference: evaluate every pattern on every event with plain Python.

It shares only the scalar canonical forms of `accord.sweep.normalize` with the engine; matching
(objects, CIDR containment, subdomains, AND on one object, validity) is written here again, directly
from the STIX semantics, and single-observation patterns outside the compiled subset go to stix2-matcher.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import UTC, datetime
from functools import partial

import stix2.patterns as sp
from stix2.pattern_visitor import create_pattern_object
from stix2matcher.matcher import match as matcher_match
from stix2patterns.v21.pattern import Pattern as ParsedPattern

from accord.sweep import normalize


def eve_objects(ev: dict) -> list[dict]:
    """STIX-like objects of one EVE event: one per field, plus network-traffic."""
    objs: list[dict] = []
    refs = {}
    for field, role in (("src_ip", "src"), ("dest_ip", "dst")):
        v = ev.get(field)
        if isinstance(v, str) and normalize.ip(v):
            canon = normalize.ip(v)
            o = {"type": "ipv6-addr" if ":" in canon else "ipv4-addr", "value": canon}
            objs.append(o)
            refs[role] = o
    nt = {"type": "network-traffic"}
    for role, o in refs.items():
        nt[f"{role}_ref"] = o
    if "src_port" in ev:
        nt["src_port"] = int(ev["src_port"])
    if "dest_port" in ev:
        nt["dst_port"] = int(ev["dest_port"])
    if len(nt) > 1:
        objs.append(nt)
    http = ev.get("http") or {}
    for d in ((ev.get("dns") or {}).get("rrname"), http.get("hostname"), (ev.get("tls") or {}).get("sni")):
        if d and normalize.domain(d):
            objs.append({"type": "domain-name", "value": normalize.domain(d)})
    if http.get("url"):
        u = http["url"]
        if u.startswith("/") and http.get("hostname"):
            # the Host header's port, else the connection's, unless it is http's default (80)
            port = http.get("http_port", ev.get("dest_port"))
            u = "http://" + http["hostname"] + ("" if port in (None, 80) else f":{port}") + u
        canon = normalize.url(u)
        if canon:
            objs.append({"type": "url", "value": canon})
            host = normalize.url_host(canon)
            if host:
                objs.append({"type": "domain-name", "value": host})
    fi = ev.get("fileinfo") or {}
    hashes = {
        a: fi[k].lower() for k, a in (("md5", "MD5"), ("sha1", "SHA-1"), ("sha256", "SHA-256")) if fi.get(k)
    }
    if hashes:
        objs.append({"type": "file", "hashes": hashes})
    return objs


def _get(obj: dict, path: sp.ObjectPath) -> object:
    cur: object = obj
    for comp in path.property_path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(comp.property_name)
    return cur


def _ip_eq(value: str, rhs: str) -> bool:
    if "/" in rhs:
        net = normalize.network(rhs)
        if net is None:
            return value == rhs
        addr = ipaddress.ip_address(value)
        return addr.version == net.version and addr in net
    return value == (normalize.ip(rhs) or rhs)


def _like(pattern: str) -> str:
    return "^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern) + "$"


def _cmp(expr: object, obj: dict, exact_domains: bool) -> bool:
    if isinstance(expr, sp.ParentheticalExpression):
        return _cmp(expr.expression, obj, exact_domains)
    if isinstance(expr, sp.OrBooleanExpression):
        return any(_cmp(e, obj, exact_domains) for e in expr.operands)
    if isinstance(expr, sp.AndBooleanExpression):
        return all(_cmp(e, obj, exact_domains) for e in expr.operands)
    path = expr.lhs
    if obj["type"] != path.object_type_name:
        return False
    if path.object_type_name == "file":
        algo = normalize.hash_algo(path.property_path[1].property_name)
        value = (obj.get("hashes") or {}).get(algo)
    else:
        value = _get(obj, path)
    if value is None:
        return False
    is_ip = path.object_type_name in ("ipv4-addr", "ipv6-addr") or path.property_path[0].property_name in (
        "src_ref",
        "dst_ref",
    )
    if isinstance(expr, sp.LikeComparisonExpression):
        return re.search(_like(expr.rhs.value), str(value), re.S) is not None
    if isinstance(expr, sp.MatchesComparisonExpression):
        return re.search(expr.rhs.value, str(value)) is not None
    consts = expr.rhs.value if isinstance(expr, sp.InComparisonExpression) else [expr.rhs]
    for c in consts:
        rhs = c.value
        if isinstance(rhs, int):
            if value == rhs:
                return True
        elif is_ip:
            if _ip_eq(str(value), rhs):
                return True
        elif path.object_type_name == "domain-name":
            d = normalize.domain(rhs)
            if value == d or (not exact_domains and str(value).endswith("." + d)):
                return True
        elif path.object_type_name == "url":
            if value == (normalize.url(rhs) or rhs):
                return True
        elif str(value) == rhs.lower():
            return True
    return False


_PATHS = {
    "ipv4-addr:value",
    "ipv6-addr:value",
    "domain-name:value",
    "url:value",
    "email-addr:value",
    "network-traffic:src_ref.value",
    "network-traffic:dst_ref.value",
    "network-traffic:src_port",
    "network-traffic:dst_port",
    "file:hashes.MD5",
    "file:hashes.SHA-1",
    "file:hashes.SHA-256",
}
_OPS = (
    sp.EqualityComparisonExpression,
    sp.InComparisonExpression,
    sp.IsSubsetComparisonExpression,
    sp.LikeComparisonExpression,
    sp.MatchesComparisonExpression,
)


def _own(expr: object) -> bool:
    """Whether this reference evaluates the expression itself (else stix2-matcher does)."""
    if isinstance(expr, sp.ParentheticalExpression):
        return _own(expr.expression)
    if isinstance(expr, sp.OrObservationExpression | sp.OrBooleanExpression | sp.AndBooleanExpression):
        return all(_own(e) for e in expr.operands)
    if type(expr) is sp.ObservationExpression:
        return _own(expr.operand)
    if not isinstance(expr, _OPS) or expr.negated:
        return False
    path = expr.lhs.object_type_name + ":" + ".".join(c.property_name for c in expr.lhs.property_path)
    path = path.replace("'", "")
    if path.startswith("file:hashes."):  # the spellings `_cmp` reads (SHA256, sha-256, ...) as well
        path = f"file:hashes.{normalize.hash_algo(path[12:])}"
    return path in _PATHS


def _has_not(pattern: str) -> bool:
    """stix2's pattern objects drop NOT before IN/LIKE/MATCHES/ISSUBSET: read it from the inspector."""
    comparisons = ParsedPattern(pattern).inspect().comparisons
    return any(op.startswith("NOT ") for tests in comparisons.values() for _, op, _ in tests)


def _obs(expr: object, objs: list[dict], exact_domains: bool) -> bool:
    if isinstance(expr, sp.ParentheticalExpression):
        return _obs(expr.expression, objs, exact_domains)
    if isinstance(expr, sp.OrObservationExpression):
        return any(_obs(e, objs, exact_domains) for e in expr.operands)
    return any(_cmp(expr.operand, o, exact_domains) for o in objs)


def stix_time(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _us(ts: str) -> int:
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(dt.timestamp()) * 1_000_000 + dt.microsecond


def _bundle(objs: list[dict], t: str) -> dict:
    scos = []
    for i, o in enumerate(objs):
        o2 = {k: v for k, v in o.items() if not k.endswith("_ref")}
        o2["id"] = f"{o['type']}--{i}"
        scos.append(o2)
    for o, o2 in zip(objs, scos, strict=True):
        for k, v in o.items():
            if k.endswith("_ref"):
                o2[k] = scos[objs.index(v)]["id"]
    od = {
        "type": "observed-data",
        "id": "observed-data--1",
        "first_observed": t,
        "last_observed": t,
        "number_observed": 1,
        "object_refs": [s["id"] for s in scos],
    }
    return {"type": "bundle", "id": "bundle--1", "objects": [od, *scos]}


def _own_match(tree: object, exact_domains: bool, objs: list[dict], t: str) -> bool:
    return _obs(tree, objs, exact_domains)


def _matcher(pattern: str, objs: list[dict], t: str) -> bool:
    return bool(matcher_match(pattern, [_bundle(objs, t)], stix_version="2.1"))


def evaluate(path: str, indicators: list[dict], exact_domains: bool = False) -> dict[str, set[int]]:
    """indicator id -> set of line numbers of the events in which it matches."""
    events = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, dict):
                ts = datetime.strptime(ev["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
                events.append((n, int(ts.timestamp()) * 1_000_000 + ts.microsecond, ev, eve_objects(ev)))
    out: dict[str, set[int]] = {}
    for ind in indicators:
        if ind.get("revoked") or ind.get("pattern_type", "stix") != "stix":
            continue  # never matches / reported as not evaluated
        # valid_from is required by STIX but missing in some feeds: the sweep then sets no lower bound
        vf = _us(ind["valid_from"]) if ind.get("valid_from") else None
        vu = _us(ind["valid_until"]) if ind.get("valid_until") else None
        try:
            tree = create_pattern_object(ind["pattern"], version="2.1")
            if not _own(tree) or _has_not(ind["pattern"]):
                raise ValueError("not evaluated here")
            fn = partial(_own_match, tree, exact_domains)
        except ValueError:
            fn = partial(_matcher, ind["pattern"])
        hits = set()
        for n, t, _, objs in events:
            if (vf is None or t >= vf) and (vu is None or t < vu) and fn(objs, stix_time(t)):
                hits.add(n)
        if hits:
            out[ind["id"]] = hits
    return out
