"""STIX patterns -> compiled lookup specs.

A pattern whose observation is a boolean tree of equality/IN/ISSUBSET/LIKE/MATCHES comparisons on the
object paths we extract from logs is turned into DNF over *atoms*; each atom is one hash-join or range-join
lookup. Anything else is marked `general` and handed to the evaluator on candidate events, so no pattern
is silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import stix2.patterns as sp
from stix2.pattern_visitor import create_pattern_object
from stix2patterns.v21.pattern import Pattern as ParsedPattern

from accord.sweep import normalize

MAX_CONJUNCTIONS = 64

# object path -> observation kind (the kinds the readers emit; see observations.KINDS)
IP_KINDS = (
    "ipv4-addr:value",
    "ipv6-addr:value",
    "network-traffic:src_ref.value",
    "network-traffic:dst_ref.value",
)
PORT_KINDS = ("network-traffic:src_port", "network-traffic:dst_port")
STRING_KINDS = ("domain-name:value", "url:value", "email-addr:value") + tuple(
    f"file:hashes.{a}" for a in normalize.HASH_ALGOS
)
_IP_KIND_SET = frozenset(IP_KINDS)
_KINDS = frozenset(IP_KINDS + PORT_KINDS + STRING_KINDS)
# shared per object type by the fast paths, so a million indicators do not build a million of each
_VALUE_KIND = {t: f"{t}:value" for t in ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr")}
_HASH_KIND = {a: f"file:hashes.{a}" for a in normalize.HASH_ALGOS}
_ROOTS = {t: frozenset({t}) for t in (*_VALUE_KIND, "file")}


class Atom(NamedTuple):
    """One lookup: `op` is eq (exact canonical value), cidr, dom (domain or subdomain), or regex.

    A named tuple rather than a frozen dataclass: a million indicators build, hash and compare a
    million atoms, and a tuple does that in C (three times faster)."""

    kind: str
    op: str
    value: str | int
    prefix: int = 0  # for cidr: prefix length; value is the network as int
    version: int = 4  # for cidr


@dataclass(slots=True)
class Compiled:
    """Result of compiling one pattern. mode: simple | event | multi | invalid. (Slots: one per
    distinct pattern is kept while compiling, a million for a large feed.)"""

    mode: str
    dnf: list[list[Atom]] = field(default_factory=list)
    root_types: frozenset[str] = frozenset()
    reason: str = ""


class _NotCompilable(Exception):
    pass


class _Invalid(Exception):
    pass


def _path_kind(path: sp.ObjectPath) -> str:
    steps = []
    for comp in path.property_path:
        if not isinstance(comp, sp.BasicObjectPathComponent):
            raise _NotCompilable("list index in object path")
        steps.append(comp.property_name)
    otype = path.object_type_name
    if otype == "file" and len(steps) == 2 and steps[0] == "hashes":
        algo = normalize.hash_algo(steps[1])
        if algo:
            return f"file:hashes.{algo}"
    kind = f"{otype}:{'.'.join(steps)}"
    if kind in IP_KINDS or kind in PORT_KINDS or kind in STRING_KINDS:
        return kind
    raise _NotCompilable(f"object path {kind} is not extracted from logs")


def like_to_regex(like: str) -> str:
    """SQL LIKE -> anchored regex (% any run, _ one character)."""
    out = []
    for ch in like:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return "^(?s:" + "".join(out) + ")$"


def _eq_atoms(kind: str, const: object, allow_cidr: bool = True) -> list[Atom]:
    if kind in PORT_KINDS:
        if isinstance(const, sp.IntegerConstant):
            return [Atom(kind, "eq", str(const.value))]
        raise _NotCompilable("port compared with a non-integer")
    if not isinstance(const, sp.StringConstant):
        raise _NotCompilable("non-string constant")
    return _text_atoms(kind, str(const.value), allow_cidr)


def _text_atoms(kind: str, raw: str, allow_cidr: bool = True) -> list[Atom]:
    """Atoms of `kind = 'raw'` for a non-port kind (the fast paths call this without stix2 constants)."""
    if kind in _IP_KIND_SET:
        if "/" in raw and allow_cidr:
            return _cidr_atoms(kind, raw)
        return [Atom(kind, "eq", normalize.ip(raw) or raw)]
    if kind == "domain-name:value":
        d = normalize.domain(raw)
        return [Atom(kind, "dom", d)] if d else []
    if kind == "url:value":
        return [Atom(kind, "eq", normalize.url(raw) or raw)]
    if kind == "email-addr:value":
        return [Atom(kind, "eq", normalize.email(raw))]
    return [Atom(kind, "eq", normalize.hash_value(raw))]


def _cidr_atoms(kind: str, raw: str) -> list[Atom]:
    fast = normalize.cidr4(raw)
    if fast is not None:  # the common IPv4 case without building an ipaddress network
        if kind.startswith("ipv6-addr"):
            return []
        net, prefix = fast
        if prefix == 32:
            return [Atom(kind, "eq", raw.partition("/")[0])]
        return [Atom(kind, "cidr", net, prefix, 4)]
    net = normalize.network(raw)
    if net is None:
        return [Atom(kind, "eq", raw)]
    if kind.startswith("ipv4-addr") and net.version != 4 or kind.startswith("ipv6-addr") and net.version != 6:
        return []
    if net.prefixlen == net.max_prefixlen:
        return [Atom(kind, "eq", str(net.network_address))]
    return [Atom(kind, "cidr", int(net.network_address), net.prefixlen, net.version)]


def _comparison(expr: object) -> list[list[Atom]]:
    if isinstance(expr, sp.ParentheticalExpression):
        return _comparison(expr.expression)
    if isinstance(expr, sp.OrBooleanExpression):
        out: list[list[Atom]] = []
        for op in expr.operands:
            out.extend(_comparison(op))
        return out
    if isinstance(expr, sp.AndBooleanExpression):
        out = [[]]
        for op in expr.operands:
            out = [a + b for a in out for b in _comparison(op)]
            if len(out) > MAX_CONJUNCTIONS:
                raise _NotCompilable("boolean expression too large for DNF")
        return out
    if not isinstance(expr, sp._ComparisonExpression):
        raise _NotCompilable(f"unsupported expression {type(expr).__name__}")
    if expr.negated:
        raise _NotCompilable("negated comparison")
    kind = _path_kind(expr.lhs)
    if isinstance(expr, sp.EqualityComparisonExpression):
        return [[a] for a in _eq_atoms(kind, expr.rhs)]
    if isinstance(expr, sp.InComparisonExpression):
        return [[a] for c in expr.rhs.value for a in _eq_atoms(kind, c)]
    if isinstance(expr, sp.IsSubsetComparisonExpression) and kind in IP_KINDS:
        return [[a] for a in _eq_atoms(kind, expr.rhs)]
    if (
        isinstance(expr, sp.LikeComparisonExpression | sp.MatchesComparisonExpression)
        and kind not in PORT_KINDS
    ):
        if not isinstance(expr.rhs, sp.StringConstant):
            raise _NotCompilable("non-string regex")
        rx = (
            like_to_regex(expr.rhs.value) if isinstance(expr, sp.LikeComparisonExpression) else expr.rhs.value
        )
        try:
            re.compile(rx)
        except re.error as exc:
            raise _Invalid(f"invalid regular expression {rx!r}: {exc}") from exc
        return [[Atom(kind, "regex", rx)]]
    raise _NotCompilable(f"operator {expr.operator} on {kind}")


def _observation(expr: object) -> list[list[Atom]]:
    if isinstance(expr, sp.ParentheticalExpression):
        return _observation(expr.expression)
    if isinstance(expr, sp.OrObservationExpression):
        return [c for op in expr.operands for c in _observation(op)]
    if type(expr) is sp.ObservationExpression:
        return _comparison(expr.operand)
    raise _NotCompilable("observation operator or qualifier")


_SIMPLE = re.compile(r"^\[\s*(ipv4-addr|ipv6-addr|domain-name|url|email-addr):value\s*=\s*'([^'\\]*)'\s*\]$")
_SIMPLE_HASH = re.compile(
    r"^\[\s*file:hashes\.(?:'(MD5|SHA-1|SHA-256|SHA-512)'|(MD5))\s*=\s*'([0-9A-Fa-f]+)'\s*\]$"
)


_CMP = re.compile(
    r"\s*([a-z0-9-]+):((?:value|src_ref\.value|dst_ref\.value|src_port|dst_port|hashes\.(?:'[A-Z0-9-]+'|[A-Z0-9]+)))"
    r"\s*=\s*(?:'([^'\\]*)'|(\d+))\s*(AND|OR|\])"
)


def _fast_flat(pattern: str) -> Compiled | None:
    """`[a = x AND b = y OR ...]` without parentheses: DNF by splitting at OR, as AND binds tighter.

    Conjunctions mixing object types are left to the full compile (which sends them to the evaluator)."""
    if not pattern.startswith("["):
        return None
    pos = 1
    dnf: list[list[list[Atom]]] = []
    conj: list[list[Atom]] = []
    types: set[str] = set()
    roots: set[str] = set()
    while True:
        m = _CMP.match(pattern, pos)
        if m is None:
            return None
        otype, path, text, num, sep = m.groups()
        path = path.replace("'", "")
        kind = f"{otype}:{path}"
        if path.startswith("hashes."):
            algo = normalize.hash_algo(path[7:])
            if otype != "file" or algo is None:
                return None
            kind = f"file:hashes.{algo}"
        if kind not in _KINDS or (num is not None) != (kind in PORT_KINDS):
            return None  # unknown path, or a port against a string or a value against a number
        conj.append([Atom(kind, "eq", str(int(num)))] if num is not None else _text_atoms(kind, text))
        types.add(otype)
        roots.add(otype)
        pos = m.end()
        if sep != "AND":
            if len(types) > 1:
                return None
            dnf.append(conj)
            conj, types = [], set()
        if sep == "]":
            break
    if pattern[pos:].strip():
        return None
    out = [[atoms[0] for atoms in c] for c in dnf if all(atoms for atoms in c)]
    return Compiled("simple", dnf=out, root_types=frozenset(roots))


def _fast(pattern: str) -> Compiled | None:
    """The one-comparison shape of most shared indicators, without the ANTLR parser (100x faster).

    Only escape-free literals are taken here, so the result equals the full compile (tested)."""
    m = _SIMPLE.match(pattern)
    if m:
        otype, raw = m.groups()
        atoms = _text_atoms(_VALUE_KIND[otype], raw)
        return Compiled("simple", dnf=[[a] for a in atoms], root_types=_ROOTS[otype])
    m = _SIMPLE_HASH.match(pattern)
    if m:
        atom = Atom(_HASH_KIND[m.group(1) or m.group(2)], "eq", m.group(3).lower())
        return Compiled("simple", dnf=[[atom]], root_types=_ROOTS["file"])
    return _fast_flat(pattern)


def compile_pattern(pattern: str) -> Compiled:
    """Compile a STIX 2.1 pattern; never raises for bad input, returns mode=invalid with the reason."""
    fast = _fast(pattern)
    if fast is not None:
        return fast
    try:
        parsed = ParsedPattern(pattern)
    except Exception as exc:  # stix2patterns raises ParseException and antlr errors
        return Compiled("invalid", reason=f"pattern does not parse: {str(exc).splitlines()[0]}")
    info = parsed.inspect()
    roots = frozenset(info.comparisons)
    multi = bool(info.observation_ops - {"OR"} or info.qualifiers)
    try:
        obj = create_pattern_object(pattern, version="2.1")
        dnf = _observation(obj)
    except _Invalid as exc:
        return Compiled("invalid", reason=str(exc))
    except (_NotCompilable, ValueError) as exc:
        # OR of observations is per event; AND/FOLLOWEDBY/qualifiers need several events together
        return Compiled("multi" if multi else "event", root_types=roots, reason=str(exc))
    return Compiled("simple", dnf=[c for c in dnf if c], root_types=roots)
