"""STIX patterns -> compiled lookup specs.

A pattern whose observation is a boolean tree of equality/IN/ISSUBSET/LIKE/MATCHES comparisons on the
object paths we extract from logs is turned into DNF over *atoms*; each atom is one hash-join or range-join
lookup. Anything else is marked `general` and handed to the evaluator on candidate events, so no pattern
is silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from accord.sweep import normalize
from accord.sweep.pattern_parser import (
    WS,
    WS_CHARS,
    BoolExpr,
    Comparison,
    Constant,
    Index,
    Node,
    Observation,
    ObsExpr,
    Path,
    PatternSyntaxError,
    Qualified,
    parse,
)

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


_PATH_KINDS: dict[Path, str | _NotCompilable] = {}  # feeds use a few dozen object paths


def _path_kind(path: Path) -> str:
    kind = _PATH_KINDS.get(path)
    if kind is None:
        try:
            kind = _path_kind_of(path)
        except _NotCompilable as exc:
            kind = exc
        if len(_PATH_KINDS) < 4096:
            _PATH_KINDS[path] = kind
    if type(kind) is str:
        return kind
    raise _NotCompilable(*kind.args)  # type: ignore[union-attr]


def _path_kind_of(path: Path) -> str:
    for step in path.steps:
        if type(step) is Index:
            raise _NotCompilable("list index in object path")
        if "." in step:  # a quoted key such as 'src_ref.value' is one property, not a path
            raise _NotCompilable(f"property {step!r} is not extracted from logs")
    steps: tuple[str, ...] = path.steps  # type: ignore[assignment]
    otype = path.object_type
    if otype == "file" and len(steps) == 2 and steps[0] == "hashes":
        algo = normalize.hash_algo(steps[1])
        if algo:
            return f"file:hashes.{algo}"
    kind = f"{otype}:{'.'.join(steps)}"
    if kind in _KINDS:
        return kind
    raise _NotCompilable(f"object path {kind} is not extracted from logs")


@lru_cache(maxsize=65536)
def like_to_regex(like: str) -> str:
    """SQL LIKE -> anchored regex (% any run, _ one character)."""
    out = []
    for ch in like:
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return "^(?s:" + "".join(out) + ")$"


def _eq_atoms(kind: str, const: Constant) -> list[Atom]:
    if kind in PORT_KINDS:
        if const.kind == "int":
            return [Atom(kind, "eq", str(const.value))]
        raise _NotCompilable("port compared with a non-integer")
    if const.kind != "str":
        raise _NotCompilable("non-string constant")
    return _text_atoms(kind, const.value)  # type: ignore[arg-type]


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


def _comparison(expr: BoolExpr | Comparison) -> list[list[Atom]]:
    if type(expr) is BoolExpr:
        if expr.op == "OR":
            out: list[list[Atom]] = []
            for op in expr.operands:
                out.extend(_comparison(op))
            return out
        out = [[]]
        for op in expr.operands:
            if not out:  # an empty IN () on the left: nothing can match, the rest is not looked at
                break
            right = _comparison(op)
            out = [a + b for a in out for b in right]
            if len(out) > MAX_CONJUNCTIONS:
                raise _NotCompilable("boolean expression too large for DNF")
        return out
    return _leaf(expr)  # type: ignore[arg-type]


def _leaf(expr: Comparison) -> list[list[Atom]]:
    op = expr.op
    if op == "EXISTS":
        raise _NotCompilable("EXISTS")
    if expr.negated or op == "!=":
        raise _NotCompilable("negated comparison")
    kind = _path_kind(expr.path)
    rhs = expr.value
    if op == "=" or op == "ISSUBSET" and kind in _IP_KIND_SET:
        return [[a] for a in _eq_atoms(kind, rhs)]  # type: ignore[arg-type]
    if op == "IN":
        return [[a] for c in rhs for a in _eq_atoms(kind, c)]  # type: ignore[union-attr,arg-type]
    if (op == "LIKE" or op == "MATCHES") and kind not in PORT_KINDS:
        rx = like_to_regex(rhs.value) if op == "LIKE" else rhs.value  # type: ignore[union-attr]
        error = _regex_error(rx)
        if error:
            raise _Invalid(f"invalid regular expression {rx!r}: {error}")
        return [[Atom(kind, "regex", rx)]]
    raise _NotCompilable(f"operator {op} on {kind}")


def _observation(node: Node) -> list[list[Atom]]:
    if type(node) is Observation:
        return _comparison(node.expr)
    if type(node) is ObsExpr and node.op == "OR":
        return [c for op in node.operands for c in _observation(op)]
    raise _NotCompilable("observation operator or qualifier")


class _Scan:
    """What a walk of the tree collects before the DNF: the object types compared (the evaluator's
    candidate events carry one of them), whether the pattern spans events, and the first of the
    errors that stix2's pattern objects raise when built (so the mode is the one stix2 gave)."""

    __slots__ = ("roots", "multi", "error")

    def __init__(self) -> None:
        self.roots: set[str] = set()
        self.multi = False
        self.error = ""

    def fail(self, reason: str) -> None:
        self.error = self.error or reason

    def node(self, node: Node) -> None:
        if type(node) is Observation:
            self.comparison(node.expr)
        elif type(node) is ObsExpr:
            self.multi = self.multi or node.op != "OR"
            for op in node.operands:
                self.node(op)
        else:
            assert type(node) is Qualified
            self.multi = True
            if node.qualifier == "WITHIN" and type(node.args[0]) is float:
                self.fail(f"{node.args[0]} is not a valid argument for a Within Qualifier")
            if node.qualifier == "START" and not all(_valid_time(t) for t in node.args):  # type: ignore[arg-type]
                self.fail("Must be a datetime object or timestamp string.")
            self.node(node.expr)

    def comparison(self, expr: BoolExpr | Comparison) -> set[str]:
        """The root types as stix2 computes them: an AND needs a type common to its first two operands,
        an OR has the types of its first two (stix2 appends further operands without a check)."""
        if type(expr) is BoolExpr:
            types = [self.comparison(op) for op in expr.operands]
            if expr.op == "OR":
                return types[0] | types[1]
            common = types[0] & types[1]
            if not common:
                self.fail("All operands to an 'AND' expression must be satisfiable with the same object type")
            return common
        assert type(expr) is Comparison
        otype = expr.path.object_type
        self.roots.add(otype)
        value = expr.value
        for const in value if type(value) is tuple else (value,):
            if const is None:
                continue
            if const.kind == "ts" and not _valid_time(const.value):  # type: ignore[union-attr]
                self.fail("Must be a datetime object or timestamp string.")
            elif const.kind == "hex" and not const.value:  # type: ignore[union-attr]
                self.fail("must contain an even number of hexadecimal characters")
        return {otype}


_OBS_OPERATOR = "observation operator or qualifier"
_Result = list[list[Atom]] | Exception | None  # a DNF, the error its compile raises, or None: not wanted


class _Walk:
    """_Scan and _observation in one walk of the tree: the same roots, multi and first stix2 error, and
    the DNF or the exception that _observation gives (as a value), computed only where _observation
    would look (`want`: not under an observation operator or qualifier, not after an error or an empty
    AND operand), so a pattern pays for no normalizing it does not use."""

    __slots__ = ("roots", "multi", "error")

    def __init__(self) -> None:
        self.roots: set[str] = set()
        self.multi = False
        self.error = ""

    def node(self, node: Node, want: bool) -> _Result:
        tp = type(node)
        if tp is Observation:
            expr = node.expr  # type: ignore[union-attr]
            if type(expr) is Comparison and type(expr.value) is Constant and expr.value.kind == "str":
                self.roots.add(expr.path.object_type)  # the common leaf: a string constant, no check
                if not want:
                    return None
                try:
                    return _leaf(expr)
                except (_NotCompilable, _Invalid) as exc:
                    return exc
            return self.comparison(expr, want)[1]
        if tp is ObsExpr:
            if node.op != "OR":  # type: ignore[union-attr]
                self.multi = True
                for op in node.operands:  # type: ignore[union-attr]
                    self.node(op, False)
                return _NotCompilable(_OBS_OPERATOR) if want else None
            out: list[list[Atom]] = []
            res: _Result = None
            for op in node.operands:  # type: ignore[union-attr]
                w = want and res is None
                r = self.node(op, w)
                if w:
                    if type(r) is list:
                        out.extend(r)
                    else:
                        res = r
            return (out if res is None else res) if want else None
        self.multi = True
        qualifier, args = node.qualifier, node.args  # type: ignore[union-attr]
        if qualifier == "WITHIN" and type(args[0]) is float:
            self.error = self.error or f"{args[0]} is not a valid argument for a Within Qualifier"
        if qualifier == "START" and not all(_valid_time(t) for t in args):  # type: ignore[arg-type]
            self.error = self.error or "Must be a datetime object or timestamp string."
        self.node(node.expr, False)  # type: ignore[union-attr]
        return _NotCompilable(_OBS_OPERATOR) if want else None

    def comparison(self, expr: BoolExpr | Comparison, want: bool) -> tuple[set[str], _Result]:
        if type(expr) is BoolExpr:
            t0: set[str] | None = None
            t1: set[str] | None = None
            res: _Result = None
            if expr.op == "OR":
                out: list[list[Atom]] = []
                for n, op in enumerate(expr.operands):
                    w = want and res is None
                    types, r = self.comparison(op, w)
                    if n < 2:
                        if n == 0:
                            t0 = types
                        else:
                            t1 = types
                    if w:
                        if type(r) is list:
                            out.extend(r)
                        else:
                            res = r
                return t0 | t1, (out if res is None else res) if want else None  # type: ignore[operator]
            out = [[]]
            for n, op in enumerate(expr.operands):
                w = want and res is None and bool(out)
                types, r = self.comparison(op, w)
                if n < 2:
                    if n == 0:
                        t0 = types
                    else:
                        t1 = types
                if w:
                    if type(r) is list:
                        out = [a + b for a in out for b in r]
                        if len(out) > MAX_CONJUNCTIONS:
                            res = _NotCompilable("boolean expression too large for DNF")
                    else:
                        res = r
            common = t0 & t1  # type: ignore[operator]
            if not common:
                self.error = (
                    self.error
                    or "All operands to an 'AND' expression must be satisfiable with the same object type"
                )
            return common, (out if res is None else res) if want else None
        otype = expr.path.object_type
        self.roots.add(otype)
        value = expr.value
        if value is not None:
            for const in value if type(value) is tuple else (value,):
                kind = const.kind  # type: ignore[union-attr]
                if kind == "ts":
                    if not _valid_time(const.value):  # type: ignore[union-attr]
                        self.error = self.error or "Must be a datetime object or timestamp string."
                elif kind == "hex" and not const.value:  # type: ignore[union-attr]
                    self.error = self.error or "must contain an even number of hexadecimal characters"
        if not want:
            return {otype}, None
        try:
            return {otype}, _leaf(expr)
        except (_NotCompilable, _Invalid) as exc:
            return {otype}, exc


@lru_cache(maxsize=65536)
def _regex_error(rx: str) -> str:
    """Why the regex does not compile ("" when it does); feeds repeat their LIKE/MATCHES patterns."""
    try:
        re.compile(rx)
    except re.error as exc:
        return str(exc)
    return ""


@lru_cache(maxsize=4096)
def _valid_time(text: str) -> bool:
    """The grammar admits 30 February or second 60; stix2's timestamp constant does not."""
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


# the fast shapes; whitespace is the grammar's (not Python's \s), numbers have no leading zero, and a
# keyword ends where an identifier would (`ORx` is a name), so they accept only what the grammar does
_SIMPLE = re.compile(
    rf"\[{WS}*(ipv4-addr|ipv6-addr|domain-name|url|email-addr):value{WS}*={WS}*'([^'\\]*)'{WS}*\]{WS}*\Z"
)
_SIMPLE_HASH = re.compile(
    rf"\[{WS}*file:hashes\.(?:'(MD5|SHA-1|SHA-256|SHA-512)'|(MD5)){WS}*={WS}*'([0-9A-Fa-f]+)'{WS}*\]{WS}*\Z"
)


_CMP = re.compile(
    rf"{WS}*([a-z0-9-]+):((?:value|src_ref\.value|dst_ref\.value|src_port|dst_port|hashes\.(?:'[A-Z0-9-]+'|[A-Z0-9]+)))"
    rf"{WS}*={WS}*(?:'([^'\\]*)'|(0|[1-9][0-9]*))(?![0-9.]){WS}*(AND(?![A-Za-z0-9_-])|OR(?![A-Za-z0-9_-])|\])"
)


def _fast_flat(pattern: str) -> Compiled | None:
    """`[a = x AND b = y OR ...]` without parentheses: DNF by splitting at OR, as AND binds tighter.

    Conjunctions mixing object types are left to the full compile (which sends them to the evaluator)."""
    if not pattern.startswith("["):
        return None
    pos = 1
    found = []
    while True:  # the shape first, so a pattern that is not of it costs no normalizing
        m = _CMP.match(pattern, pos)
        if m is None:
            return None
        found.append(m.groups())
        pos = m.end()
        if m.group(5) == "]":
            break
    if pattern[pos:].strip(WS_CHARS):
        return None
    dnf: list[list[list[Atom]]] = []
    conj: list[list[Atom]] = []
    types: set[str] = set()
    roots: set[str] = set()
    for otype, path, text, num, sep in found:
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
        if sep != "AND":
            if len(types) > 1:
                return None
            dnf.append(conj)
            conj, types = [], set()
    out = [[atoms[0] for atoms in c] for c in dnf if all(atoms for atoms in c)]
    return Compiled("simple", dnf=out, root_types=frozenset(roots))


def _fast(pattern: str) -> Compiled | None:
    """The one-comparison shape of most shared indicators, without a parser (10x faster).

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
    """Compile a STIX 2.1 pattern; never raises for bad input, returns mode=invalid with the reason.

    The common shapes take a regex; every other pattern the hand-written parser (pattern_parser), which
    accepts exactly the grammar of stix2-patterns, without its ANTLR runtime."""
    fast = _fast(pattern)
    if fast is not None:
        return fast
    try:
        tree = parse(pattern)
    except PatternSyntaxError as exc:
        return Compiled("invalid", reason=f"pattern does not parse: {exc}")
    return _compile_walk(tree)


def _compile_walk(tree: Node) -> Compiled:
    walk = _Walk()
    res = walk.node(tree, True)
    if walk.error:
        res = _NotCompilable(walk.error)
    if type(res) is list:
        return Compiled("simple", dnf=[c for c in res if c], root_types=frozenset(walk.roots))
    if type(res) is _Invalid:
        return Compiled("invalid", reason=str(res))
    # OR of observations is per event; AND/FOLLOWEDBY/qualifiers need several events together
    return Compiled("multi" if walk.multi else "event", root_types=frozenset(walk.roots), reason=str(res))


def _compile_tree(tree: Node) -> Compiled:
    """The compile of a parsed pattern as two walks, _Scan then _observation (tests check _Walk's single
    walk against it)."""
    scan = _Scan()
    scan.node(tree)
    roots = frozenset(scan.roots)
    try:
        if scan.error:
            raise _NotCompilable(scan.error)
        dnf = _observation(tree)
    except _Invalid as exc:
        return Compiled("invalid", reason=str(exc))
    except _NotCompilable as exc:
        return Compiled("multi" if scan.multi else "event", root_types=roots, reason=str(exc))
    return Compiled("simple", dnf=[c for c in dnf if c], root_types=roots)
