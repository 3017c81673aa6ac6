"""STIX patterns -> compiled lookup specs.

A pattern whose observation is a boolean tree of equality/IN/ISSUBSET/LIKE/MATCHES comparisons on the
object paths we extract from logs is turned into DNF over *atoms*; each atom is one hash-join or range-join
lookup. Anything else is marked `general` and handed to the evaluator on candidate events, so no pattern
is silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import product
from typing import NamedTuple

from accord.stix.pattern_parser import (
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
    Shape,
    lex,
    matched_values,
    parse,
    shape_matcher,
)
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
    if op == "LIKE" and kind not in PORT_KINDS:
        return [[Atom(kind, "regex", like_to_regex(rhs.value))]]  # type: ignore[union-attr]
    if op == "MATCHES" and kind not in PORT_KINDS:
        return [[_regex_atom(kind, rhs.value)]]  # type: ignore[union-attr,arg-type]
    raise _NotCompilable(f"operator {op} on {kind}")


def _regex_atom(kind: str, rx: str) -> Atom:
    """A MATCHES atom; a LIKE's regex needs no check (escaped characters, `.*` and `.` always compile)."""
    error = _regex_error(rx)
    if error:
        raise _Invalid(f"invalid regular expression {rx!r}: {error}")
    return Atom(kind, "regex", rx)


_OBS_OPERATOR = "observation operator or qualifier"
# the errors stix2's pattern objects raise when built (the walk and the shape plans give the same)
_TS_ERROR = "Must be a datetime object or timestamp string."
_HEX_ERROR = "must contain an even number of hexadecimal characters"
_AND_ERROR = "All operands to an 'AND' expression must be satisfiable with the same object type"
_Result = list[list[Atom]] | Exception | None  # a DNF, the error its compile raises, or None: not wanted


class _Walk:
    """One walk of the tree for the root types, multi, the first error stix2's pattern objects raise, and
    the DNF or the exception of its compile (as a value), computed only where it is needed (`want`: not
    under an observation operator or qualifier, not after an error or an empty AND operand), so a pattern
    pays for no normalizing it does not use. (The two walks it replaced, kept as the tests' reference:
    tests/sweep/compile_two_walks.py.)"""

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
            self.error = self.error or _TS_ERROR
        self.node(node.expr, False)  # type: ignore[union-attr]
        return _NotCompilable(_OBS_OPERATOR) if want else None

    def comparison(self, expr: BoolExpr | Comparison, want: bool) -> tuple[set[str], _Result]:
        if type(expr) is BoolExpr:
            firsts: list[set[str]] = []  # stix2 takes the root types from the first two operands only
            res: _Result = None
            if expr.op == "OR":
                out: list[list[Atom]] = []
                for op in expr.operands:
                    w = want and res is None
                    types, r = self.comparison(op, w)
                    if len(firsts) < 2:
                        firsts.append(types)
                    if w:
                        if type(r) is list:
                            out.extend(r)
                        else:
                            res = r
                return firsts[0] | firsts[1], (out if res is None else res) if want else None
            out = [[]]
            for op in expr.operands:
                w = want and res is None and bool(out)
                types, r = self.comparison(op, w)
                if len(firsts) < 2:
                    firsts.append(types)
                if w:
                    if type(r) is list:
                        out = [a + b for a in out for b in r]
                        if len(out) > MAX_CONJUNCTIONS:
                            res = _NotCompilable("boolean expression too large for DNF")
                    else:
                        res = r
            common = firsts[0] & firsts[1]
            if not common:
                self.error = self.error or _AND_ERROR
            return common, (out if res is None else res) if want else None
        otype = expr.path.object_type
        self.roots.add(otype)
        value = expr.value
        if value is not None and (type(value) is tuple or value.kind != "str"):  # strings need no check
            for const in value if type(value) is tuple else (value,):
                kind = const.kind  # type: ignore[union-attr]
                if kind == "ts":
                    if not _valid_time(const.value):  # type: ignore[union-attr]
                        self.error = self.error or _TS_ERROR
                elif kind == "hex" and not const.value:  # type: ignore[union-attr]
                    self.error = self.error or _HEX_ERROR
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


# one comparison of the flat shape, maybe in parentheses of its own: type, path (hash names in any case:
# `normalize.hash_algo` decides), = or ISSUBSET (kept only on addresses, where it is =) with a string or
# an integer, or IN with a list of them, then AND, OR or `]`
_STRING = r"'[^'\\]*'"
_CMP = re.compile(
    rf"{WS}*(\(?){WS}*([a-z0-9-]+):((?:value|src_ref\.value|dst_ref\.value|src_port|dst_port"
    r"|hashes\.(?:'[A-Za-z0-9-]+'|[A-Za-z0-9]+)))"
    rf"{WS}*(?:(=|ISSUBSET(?![A-Za-z0-9_-])){WS}*(?:'([^'\\]*)'|(0|[1-9][0-9]*))(?![0-9.])"
    rf"|IN{WS}*\(((?:{WS}*{_STRING}{WS}*,)*{WS}*{_STRING}{WS}*"
    rf"|(?:{WS}*(?:0|[1-9][0-9]*){WS}*,)*{WS}*(?:0|[1-9][0-9]*){WS}*)\))"
    rf"{WS}*(\)?){WS}*(AND(?![A-Za-z0-9_-])|OR(?![A-Za-z0-9_-])|\])"
)
_LIST_ITEM = re.compile(rf"{_STRING}|[0-9]+")


_NEXT_OBSERVATION = re.compile(rf"{WS}*OR(?![A-Za-z0-9_-]){WS}*\[")


def _fast_flat(pattern: str) -> Compiled | None:
    """`[a = x AND b = y OR ...]` with parentheses only around one comparison or around comparisons
    joined by OR, or an OR of such observations, maybe in parentheses as a whole: DNF by splitting at
    OR, as AND binds tighter (observations joined by OR match an event that matches either: the union of
    their DNFs, as the walk gives it); `IN (...)` and `(a OR b)` are alternatives, multiplied out in a
    conjunction as the walk does.

    Conjunctions mixing object types are left to the full compile (which sends them to the evaluator)."""
    if pattern.startswith("("):  # `( observations )`: the same pattern
        inner = pattern.rstrip(WS_CHARS)
        return _fast_flat(inner[1:-1].strip(WS_CHARS)) if inner.endswith(")") else None
    if not pattern.startswith("["):
        return None
    pos = 1
    found = []
    group = False  # inside `( a OR b OR ... )`
    while True:  # the shape first, so a pattern that is not of it costs no normalizing
        m = _CMP.match(pattern, pos)
        if m is None:
            return None
        opened, closed, sep = m.group(1) == "(", m.group(8) == ")", m.group(9)
        if opened and not closed:  # a group of comparisons joined by OR opens (not nested)
            if group or sep != "OR":
                return None
            group = True
        elif group and closed:
            group = False
        elif opened != closed or group and sep != "OR":
            return None
        found.append((group, m.groups()))
        pos = m.end()
        if sep == "]":
            after = _NEXT_OBSERVATION.match(pattern, pos)
            if after is None:
                break
            pos = after.end()
    if pattern[pos:].strip(WS_CHARS):
        return None
    dnf: list[list[Atom]] = []
    conj: list[list[Atom]] = []  # per comparison: its atoms, one of which must hold
    types: set[str] = set()
    roots: set[str] = set()
    grouped: list[Atom] | None = None  # the atoms of the group's comparisons so far: one must hold
    for in_group, (_, otype, path, op, text, num, listed, _, sep) in found:
        path = path.replace("'", "")
        kind = f"{otype}:{path}"
        if path.startswith("hashes."):
            algo = normalize.hash_algo(path[7:])
            if otype != "file" or algo is None:
                return None
            kind = f"file:hashes.{algo}"
        port = kind in PORT_KINDS
        if listed is not None:
            items = _LIST_ITEM.findall(listed)
            if kind not in _KINDS or (items[0][0] != "'") != port:
                return None  # a port against strings, or a value against numbers
            if port:
                atoms = [Atom(kind, "eq", str(int(i))) for i in items]
            else:
                atoms = [a for i in items for a in _text_atoms(kind, i[1:-1])]
        else:
            if kind not in _KINDS or (num is not None) != port:
                return None  # unknown path, or a port against a string or a value against a number
            if op != "=" and (num is not None or kind not in _IP_KIND_SET):
                return None  # ISSUBSET takes a string (the grammar) and is = on addresses only (_leaf)
            atoms = [Atom(kind, "eq", str(int(num)))] if num is not None else _text_atoms(kind, text)
        types.add(otype)
        roots.add(otype)
        if in_group:  # one more alternative of the group, which is one operand of the conjunction
            grouped = atoms if grouped is None else grouped + atoms
            continue
        if grouped is not None:  # the group's last comparison
            atoms, grouped = grouped + atoms, None
        conj.append(atoms)
        if sep != "AND":
            if len(types) > 1:
                return None
            size = 1
            for alternatives in conj:  # as the walk multiplies: too large on the way is too large
                size *= len(alternatives)
                if size > MAX_CONJUNCTIONS:
                    return None  # the walk's "too large for DNF", or a lone IN of many (the walk then)
            dnf.extend(list(c) for c in product(*conj))
            conj, types = [], set()
    return Compiled("simple", dnf=dnf, root_types=frozenset(roots))


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


# ---------------------------------------------------------------- shape plans
# A feed's patterns come from a few generators: thousands share one shape (pattern_parser.shape: the tokens
# without their constants) and differ in values only. The second pattern of a shape has its tree turned
# into a plan: what the walk finds from the shape alone (root types, multi, the errors stix2 raises on
# shapes) computed once, and the DNF as closures over the constants' slots. Later patterns of the shape
# cost the lexer and the closures: no parser, no walk. A plan is kept only when it gives, on the pattern
# it was built from, what the walk gives (and the tests check it on fuzzed pairs of one shape).

_Run = Callable[[list[object]], _Result]
_Check = tuple[str, object]  # ("static", message) | ("ts" | "hex" | "within", slot) | ("start", (slot, slot))
MAX_SHAPES = 4096  # distinct shapes remembered; a feed of random shapes then takes the parser, as before


class _Plan(NamedTuple):
    roots: frozenset[str]
    failed_mode: str  # the mode of a pattern whose DNF cannot be built: multi or event
    checks: tuple[_Check, ...]  # in the walk's order; the first that fails gives the reason
    run: _Run


def _static(result: _Result) -> _Run:
    return lambda values: result


def _any_of(runs: list[_Run]) -> _Run:
    """OR: the DNFs one after the other; the first operand that cannot be compiled stops it (as the walk)."""

    def run(values: list[object]) -> _Result:
        out: list[list[Atom]] = []
        for fn in runs:
            res = fn(values)
            if type(res) is not list:
                return res
            out += res
        return out

    return run


def _all_of(runs: list[_Run]) -> _Run:
    """AND: the product of the operands' DNFs; an empty one ends it (nothing can match)."""

    def run(values: list[object]) -> _Result:
        out: list[list[Atom]] = [[]]
        for fn in runs:
            if not out:
                break
            res = fn(values)
            if type(res) is not list:
                return res
            out = [a + b for a in out for b in res]
            if len(out) > MAX_CONJUNCTIONS:
                return _NotCompilable("boolean expression too large for DNF")
        return out

    return run


def _eq_run(kind: str, consts: tuple[Constant, ...], slots: list[int]) -> _Run:
    """`=`, `IN` and ISSUBSET on addresses, as _eq_atoms on each constant."""
    if kind in PORT_KINDS:
        if any(c.kind != "int" for c in consts):
            return _static(_NotCompilable("port compared with a non-integer"))
        return lambda values: [[Atom(kind, "eq", str(values[s]))] for s in slots]
    if any(c.kind != "str" for c in consts):
        return _static(_NotCompilable("non-string constant"))
    if len(slots) == 1:  # the common leaf, the kinds of most shared indicators without _text_atoms' tests
        slot = slots[0]
        if kind == "domain-name:value":

            def domain(values: list[object]) -> _Result:
                d = normalize.domain(values[slot])  # type: ignore[arg-type]
                return [[Atom(kind, "dom", d)]] if d else []

            return domain
        if kind == "url:value":

            def url(values: list[object]) -> _Result:
                raw: str = values[slot]  # type: ignore[assignment]
                return [[Atom(kind, "eq", normalize.url(raw) or raw)]]

            return url
        return lambda values: [[a] for a in _text_atoms(kind, values[slot])]  # type: ignore[arg-type]
    return lambda values: [[a] for s in slots for a in _text_atoms(kind, values[s])]  # type: ignore[arg-type]


def _regex_run(kind: str, slot: int) -> _Run:
    def run(values: list[object]) -> _Result:
        try:
            return [[_regex_atom(kind, values[slot])]]  # type: ignore[arg-type]
        except _Invalid as exc:
            return exc

    return run


class _PlanBuilder:
    """The walk of _Walk over a parsed pattern, keeping what depends on the constants as closures."""

    def __init__(self) -> None:
        self.roots: set[str] = set()
        self.multi = False
        self.checks: list[_Check | None] = []
        self.consts: list[object] = []  # the constants in slot order (checked against the shape's values)

    def slots(self, values: tuple[object, ...]) -> list[int]:
        first = len(self.consts)
        self.consts.extend(values)
        return list(range(first, len(self.consts)))

    def node(self, node: Node) -> _Run:
        tp = type(node)
        if tp is Observation:
            return self.comparison(node.expr)[1]  # type: ignore[union-attr]
        if tp is ObsExpr:
            runs = [self.node(op) for op in node.operands]  # type: ignore[union-attr]
            if node.op == "OR":  # type: ignore[union-attr]
                return _any_of(runs)
            self.multi = True
            return _static(_NotCompilable(_OBS_OPERATOR))
        self.multi = True
        at = len(self.checks)
        self.checks.append(None)  # the qualifier's check comes before those of its expression
        self.node(node.expr)  # type: ignore[union-attr]
        slots = self.slots(node.args)  # type: ignore[union-attr]
        if node.qualifier == "WITHIN" and type(node.args[0]) is float:  # type: ignore[union-attr]
            self.checks[at] = ("within", slots[0])
        elif node.qualifier == "START":  # type: ignore[union-attr]
            self.checks[at] = ("start", (slots[0], slots[1]))
        return _static(_NotCompilable(_OBS_OPERATOR))

    def comparison(self, expr: BoolExpr | Comparison) -> tuple[set[str], _Run]:
        if type(expr) is BoolExpr:
            parts = [self.comparison(op) for op in expr.operands]
            runs = [run for _, run in parts]
            if expr.op == "OR":
                return parts[0][0] | parts[1][0], _any_of(runs)
            common = parts[0][0] & parts[1][0]
            if not common:
                self.checks.append(("static", _AND_ERROR))
            return common, _all_of(runs)
        otype = expr.path.object_type
        self.roots.add(otype)
        value = expr.value
        consts: tuple[Constant, ...] = (
            () if value is None else value if type(value) is tuple else (value,)  # type: ignore[assignment]
        )
        slots = self.slots(tuple(c.value for c in consts))
        for const, slot in zip(consts, slots, strict=True):
            if const.kind == "ts":
                self.checks.append(("ts", slot))
            elif const.kind == "hex":
                self.checks.append(("hex", slot))
        return {otype}, self.leaf(expr, consts, slots)

    def leaf(self, expr: Comparison, consts: tuple[Constant, ...], slots: list[int]) -> _Run:
        op = expr.op
        try:
            if op == "EXISTS":
                raise _NotCompilable("EXISTS")
            if expr.negated or op == "!=":
                raise _NotCompilable("negated comparison")
            kind = _path_kind(expr.path)
        except _NotCompilable as exc:
            return _static(exc)
        if op == "=" or op == "IN" or op == "ISSUBSET" and kind in _IP_KIND_SET:
            return _eq_run(kind, consts, slots)
        if op == "LIKE" and kind not in PORT_KINDS:
            slot = slots[0]
            return lambda values: [[Atom(kind, "regex", like_to_regex(values[slot]))]]  # type: ignore[arg-type]
        if op == "MATCHES" and kind not in PORT_KINDS:
            return _regex_run(kind, slots[0])
        return _static(_NotCompilable(f"operator {op} on {kind}"))

    def plan(self, tree: Node) -> _Plan:
        run = self.node(tree)
        checks: list[_Check] = []
        for check in self.checks:
            if check is not None:
                checks.append(check)
                if check[0] in ("static", "within"):  # always fails: the checks after it never count
                    break
        return _Plan(frozenset(self.roots), "multi" if self.multi else "event", tuple(checks), run)


def _plan_error(checks: tuple[_Check, ...], values: list[object]) -> str:
    for tag, arg in checks:
        if tag == "static":
            return arg  # type: ignore[return-value]
        if tag == "within":
            return f"{values[arg]} is not a valid argument for a Within Qualifier"  # type: ignore[index]
        if tag == "ts":
            if not _valid_time(values[arg]):  # type: ignore[index,arg-type]
                return _TS_ERROR
        elif tag == "hex":
            if not values[arg]:  # type: ignore[index]
                return _HEX_ERROR
        elif not all(_valid_time(values[s]) for s in arg):  # type: ignore[attr-defined,arg-type]
            return _TS_ERROR
    return ""


def _run_plan(plan: _Plan, values: list[object]) -> Compiled:
    """What _compile_walk gives for the pattern of the plan's shape with these constants."""
    error = _plan_error(plan.checks, values) if plan.checks else ""
    if error:
        return Compiled(plan.failed_mode, root_types=plan.roots, reason=error)
    res = plan.run(values)
    if type(res) is list:  # (a plan's conjunctions are never empty: each leaf gives one atom to each)
        return Compiled("simple", res, plan.roots)
    if type(res) is _Invalid:
        return Compiled("invalid", reason=str(res))
    return Compiled(plan.failed_mode, root_types=plan.roots, reason=str(res))


_SEEN_ONCE = None  # a shape met once: its second pattern builds the plan (a lone shape never pays for one)
_NO_PLAN = False  # a shape whose patterns do not parse, or whose plan did not agree with the walk
_PLANS: dict[Shape, _Plan | bool | None] = {}
# The plans again, found without the lexer: by the text before the first quote, each with the regex that
# matches its shape's texts (pattern_parser.shape_matcher) and its captures' kinds. Patterns whose prefix
# differs (a number before the first string, other spacing) find their plan through the lexer's shape.
_MATCHERS: dict[str, list[tuple[re.Pattern[str], tuple[str, ...], _Plan]]] = {}
MATCHERS_PER_PREFIX = 8


def _prefix(pattern: str) -> str:
    quote = pattern.find("'", 0, 64)
    return pattern[:quote] if quote >= 0 else pattern[:64]


def clear_shape_plans() -> None:
    """Forget the shapes (benchmarks start cold; tests build plans from chosen patterns)."""
    _PLANS.clear()
    _MATCHERS.clear()


def _matched(pattern: str) -> Compiled | None:
    """The compile through the plan of a shape whose regex matches the pattern, if one does."""
    for rx, kinds, plan in _MATCHERS.get(_prefix(pattern), ()):
        m = rx.fullmatch(pattern)
        if m is not None:
            return _run_plan(plan, matched_values(kinds, m.groups()))
    return None


def compile_pattern(pattern: str) -> Compiled:
    """Compile a STIX 2.1 pattern; never raises for bad input, returns mode=invalid with the reason.

    The common shapes take a regex; a pattern whose shape was met before takes that shape's plan; every
    other pattern the hand-written parser (pattern_parser), which accepts exactly the grammar of
    stix2-patterns, without its ANTLR runtime."""
    fast = _fast(pattern)
    if fast is not None:
        return fast
    if _MATCHERS:
        matched = _matched(pattern)
        if matched is not None:
            return matched
    lexed = lex(pattern)
    key = lexed.shape
    plan: _Plan | bool | None = _NO_PLAN
    if key is not None:
        plan = _PLANS.get(key, _NO_PLAN if len(_PLANS) >= MAX_SHAPES else True)
        if type(plan) is _Plan:
            return _run_plan(plan, lexed.values)
    try:
        tree = parse(pattern, lexed)
    except PatternSyntaxError as exc:
        if plan is not _NO_PLAN:
            _PLANS[key] = _NO_PLAN  # type: ignore[index]
        return Compiled("invalid", reason=f"pattern does not parse: {exc}")
    result = _compile_walk(tree)
    if plan is True:
        _PLANS[key] = _SEEN_ONCE  # type: ignore[index]
    elif plan is _SEEN_ONCE:
        new = _new_plan(tree, lexed.values, result)
        _PLANS[key] = new  # type: ignore[index]
        if new is not _NO_PLAN:
            _add_matcher(pattern, lexed.values, new)  # type: ignore[arg-type]
    return result


def _new_plan(tree: Node, values: list[object], result: Compiled) -> _Plan | bool:
    builder = _PlanBuilder()
    new = builder.plan(tree)
    same_slots = [(type(v), v) for v in builder.consts] == [(type(v), v) for v in values]
    return new if same_slots and _run_plan(new, values) == result else _NO_PLAN


def _add_matcher(pattern: str, values: list[object], plan: _Plan) -> None:
    found = shape_matcher(pattern)
    if found is None:
        return
    rx, kinds = found
    m = rx.fullmatch(pattern)
    if m is None or matched_values(kinds, m.groups()) != values:  # never expected: then only the lexer
        return
    same = _MATCHERS.setdefault(_prefix(pattern), [])
    if len(same) < MATCHERS_PER_PREFIX:
        same.insert(0, (rx, kinds, plan))


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
