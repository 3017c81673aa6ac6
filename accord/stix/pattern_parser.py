"""A hand-written lexer and recursive-descent parser for the STIX 2.1 patterning language.

It accepts exactly what the ANTLR grammar of `stix2-patterns` (STIXPattern.g4, STIX 2.1 section 9)
accepts, without ANTLR: about a hundred times faster, so every indicator of a feed can be parsed on the
compile path (tests/sweep/test_pattern_parser.py checks it against `stix2patterns` on a fuzzed corpus).

The grammar, as the lexer and parser below implement it:

    pattern      := obsFollowed EOF
    obsFollowed  := obsOr (FOLLOWEDBY obsOr)*              (lowest precedence, left-associative)
    obsOr        := obsAnd (OR obsAnd)*
    obsAnd       := obsQual (AND obsQual)*
    obsQual      := ('[' compOr ']' | '(' obsFollowed ')') qualifier*
    qualifier    := START Timestamp STOP Timestamp | WITHIN (IntPos | FloatPos) SECONDS
                  | REPEATS IntPos TIMES
    compOr       := compAnd (OR compAnd)*
    compAnd      := propTest (AND propTest)*
    propTest     := '(' compOr ')' | EXISTS path
                  | path NOT? ('=' | '!=') primitive | path NOT? ('<' | '<=' | '>' | '>=') orderable
                  | path NOT? IN '(' [primitive (',' primitive)*] ')'
                  | path NOT? (LIKE | MATCHES | ISSUBSET | ISSUPERSET) String
    path         := (Identifier | IdentifierWithHyphen) ':' (Identifier | String)
                    ('.' (Identifier | String) | '[' (IntPos | IntNeg | '*') ']')*
    orderable    := Int | Float | String | Binary | Hex | Timestamp;  primitive := orderable | Bool

Lexical rules follow the grammar exactly: keywords are upper case and case-sensitive (`and` is an
identifier, so `[a:b = 1] and [c:d = 2]` does not parse, as with stix2-patterns); `true`/`false` are lower
case; `==` is `=` and `<>` is `!=`; integers have no leading zeros; strings escape only `\\'` and `\\\\`;
`/* */` and `//` comments and the grammar's whitespace set are skipped; tokens need no space between
them (`[a:b=1]AND[c:d=2]`). A token is the longest match at its position, as in ANTLR's lexer.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# the WS rule of the grammar (narrower than Python's \s: no \x1c-\x1f)
WS_CHARS = (
    " \t\r\n\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
WS = "[" + re.escape(WS_CHARS) + "]"

_B64 = "[A-Za-z0-9+/]"
# alternatives in an order that gives ANTLR's longest match for every first character
_TOKEN = re.compile(
    rf"(?P<ws>{WS}+)"
    r"|(?P<comment>/\*.*?\*/|//[^\r\n]*)"
    r"|(?P<TS>t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z')"
    r"|(?P<HEX>h'(?:[A-Fa-f0-9]{2})*')"
    rf"|(?P<BIN>b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)')"
    r"|(?P<ID>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<STR>'(?:[^'\\]|\\['\\])*')"
    r"|(?P<FLOAT>[+-]?[0-9]*\.[0-9]+)"
    r"|(?P<INT>[+-]?(?:0|[1-9][0-9]*))"
    r"|(?P<OP>==|=|!=|<>|<=|>=|<|>)"
    r"|(?P<P>[:,()\[\]*.])"
    r"|(?P<BAD>.)",
    re.S,
)
# The fast lexer: one findall over the pattern. Each item is (path, NOT, op, value, token): either a
# whole comparison `path [NOT] op value` (plain property names, a string or integer constant, no IN: the
# common case, one item instead of five tokens) or one token of _TOKEN, '' at the end. Every piece is the
# longest token at its position, as _TOKEN would take it (possessive quantifiers, keyword and digit
# guards), so the items spell the same tokens; a pattern that does not parse from them is parsed again
# from _TOKEN's tokens, which give the error its position (tests check both lexers agree).
_WORD_END = "(?![A-Za-z0-9_-])"
_RESERVED = (
    "(?:AND|OR|NOT|FOLLOWEDBY|LIKE|MATCHES|ISSUPERSET|ISSUBSET|EXISTS|LAST|IN|START|STOP|SECONDS|WITHIN"
    rf"|REPEATS|TIMES|true|false){_WORD_END}"
)
_KEY = rf"(?!{_RESERVED})[A-Za-z_][A-Za-z0-9_]*+"
# a string literal as an unrolled loop (a run of plain characters, then escape + run): four times faster in
# Python's re than one alternation per character
_STR = r"'[^'\\]*+(?:\\['\\][^'\\]*+)*+'"
_FAST = re.compile(
    rf"(?:{WS}+|/\*.*?\*/|//[^\r\n]*)*+"
    rf"(?:((?!{_RESERVED})[A-Za-z_][A-Za-z0-9_-]*+:{_KEY}(?:\.{_KEY})*+){WS}*+"
    rf"(?:(NOT){_WORD_END}{WS}*+)?"
    rf"(==|!=|<>|<=|>=|=|<|>|(?:LIKE|MATCHES|ISSUBSET|ISSUPERSET){_WORD_END}){WS}*+"
    rf"({_STR}|[+-]?(?:0|[1-9][0-9]*+)(?![0-9.]))"
    r"|(t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z'"
    r"|h'(?:[A-Fa-f0-9]{2})*'"
    rf"|b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)'"
    r"|[A-Za-z_][A-Za-z0-9_-]*+"
    rf"|{_STR}"
    r"|[+-]?[0-9]*+\.[0-9]++"
    r"|[+-]?(?:0|[1-9][0-9]*+)"
    r"|==|!=|<>|<=|>=|[=<>:,()\[\]*.]"
    rf"|[^{re.escape(WS_CHARS)}]|\Z))",
    re.S,
)
KEYWORDS = frozenset(
    "AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUPERSET ISSUBSET EXISTS LAST IN START STOP SECONDS "
    "WITHIN REPEATS TIMES".split()
)
_OPS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_STRING_OPS = frozenset(("LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"))
_ORDER_OPS = frozenset(("<", "<=", ">", ">="))
_ORDERABLE = frozenset(("INT", "FLOAT", "STR", "BIN", "HEX", "TS"))
_PRIMITIVE = _ORDERABLE | {"BOOL"}
_UNESCAPE = re.compile(r"\\(['\\])")
_EOF = "EOF"
_NAMES = {
    "EOF": "end of pattern",
    "ID": "a name",
    "STR": "a string",
    "TS": "a timestamp t'...'",
    "INT": "an integer",
    "FLOAT": "a number",
}


class PatternSyntaxError(ValueError):
    """The pattern is not in the STIX 2.1 grammar. `line` is 1-based, `column` 0-based (as ANTLR)."""

    def __init__(self, text: str, pos: int, message: str) -> None:
        self.line = text.count("\n", 0, pos) + 1
        self.column = pos - (text.rfind("\n", 0, pos) + 1)
        super().__init__(f"{self.line}:{self.column}: {message}")


class Constant(NamedTuple):
    """kind: int | float | str | bin | hex | ts | bool. value: int, float, the unescaped string, the
    base64 text, the hex digits, the timestamp text (between the quotes), or a bool."""

    kind: str
    value: object


class Index(NamedTuple):
    """A list step `[n]` of an object path; value None is `[*]`."""

    value: int | None


class Path(NamedTuple):
    """`type:step.step[0]`: steps are property names (quoted ones unescaped) or Index."""

    object_type: str
    steps: tuple[str | Index, ...]


class Comparison(NamedTuple):
    """op: = != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET EXISTS (`==` is =, `<>` is !=); negated
    is the NOT keyword. value: a Constant, a tuple of them for IN, None for EXISTS."""

    path: Path
    op: str
    negated: bool
    value: Constant | tuple[Constant, ...] | None


class BoolExpr(NamedTuple):
    """AND / OR of comparisons inside one observation; one node per run of the same operator at one
    parenthesis level (`a AND b AND c` is one node with three operands, `(a AND b) AND c` two)."""

    op: str
    operands: tuple[BoolExpr | Comparison, ...]


class Observation(NamedTuple):
    """`[ comparison expression ]`."""

    expr: BoolExpr | Comparison


class ObsExpr(NamedTuple):
    """AND / OR / FOLLOWEDBY of observation expressions (a run of one operator at one level)."""

    op: str
    operands: tuple[Node, ...]


class Qualified(NamedTuple):
    """An observation expression with one qualifier: WITHIN (seconds), REPEATS (times), START (start,
    stop timestamp texts). Several qualifiers nest, the first innermost."""

    expr: Node
    qualifier: str
    args: tuple[object, ...]


Node = Observation | ObsExpr | Qualified


def unescape(body: str) -> str:
    """The value of a string literal's body (between the quotes): `\\'` is ', `\\\\` is a backslash."""
    return _UNESCAPE.sub(r"\1", body) if "\\" in body else body


def tokenize(text: str) -> tuple[list[str], list[str], list[int]]:
    """Kinds, texts and start offsets of the tokens, ending with EOF. Keywords and punctuation are
    their own kind (`AND`, `[`, `=`); the others are ID, STR, INT, FLOAT, BIN, HEX, TS, BOOL, BAD."""
    kinds: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws" or kind == "comment":
            continue
        tok = m.group()
        if kind == "ID":
            if tok in KEYWORDS:
                kind = tok
            elif tok == "true" or tok == "false":
                kind = "BOOL"
            elif "-" in tok:
                kind = "IDH"
        elif kind == "OP":
            kind = _OPS[tok]
        elif kind == "P":
            kind = tok
        kinds.append(kind)  # type: ignore[arg-type]
        texts.append(tok)
        starts.append(m.start())
    kinds.append(_EOF)
    texts.append("")
    starts.append(len(text))
    return kinds, texts, starts


_FIXED = {kw: kw for kw in KEYWORDS} | {p: p for p in ":,()[]*."} | _OPS | {"true": "BOOL", "false": "BOOL"}
_FIXED[""] = _EOF
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_QUOTED = {"t": "TS", "h": "HEX", "b": "BIN"}
_NUMBER_START = frozenset("0123456789+-")


def _kind(tok: str) -> str:
    """The kind of a token text of the fast lexer that is not a keyword, punctuation or operator."""
    c = tok[0]
    if c == "'":
        return "STR" if len(tok) > 1 else "BAD"
    if c in _ID_START:
        if len(tok) > 1 and tok[1] == "'":
            return _QUOTED[c]
        return "IDH" if "-" in tok else "ID"
    if c in _NUMBER_START and (len(tok) > 1 or c not in "+-") or c == ".":
        return "FLOAT" if "." in tok else "INT"
    return "BAD"


class _Retry(Exception):
    """The fast lexer's tokens do not parse: parse again from _TOKEN's, for the error's position."""


_RETRY = _Retry()
_CMP = "CMP"


_VALUE_OF = {
    "STR": lambda t: unescape(t[1:-1]),
    "INT": int,
    "FLOAT": float,
    "TS": lambda t: t[2:-1],
    "HEX": lambda t: t[2:-1],
    "BIN": lambda t: t[2:-1],
}
_SIGNED = {("INT", True): "INT-", ("INT", False): "INT", ("FLOAT", True): "FLOAT-", ("FLOAT", False): "FLOAT"}
Shape = tuple[object, ...]


class Lexed(NamedTuple):
    """One pass of the fast lexer. What the parser reads: `kinds` and `texts`, ending with EOF, where a
    whole comparison is kind CMP with the text (path, NOT, op, value) and the other tokens are as
    `tokenize` gives them; and the pattern's shape with its constants' values (`shape` None: a character
    starts no token)."""

    kinds: list[str]
    texts: list[object]
    shape: Shape | None
    values: list[object]


def lex(text: str) -> Lexed:
    """The fast lexer's items read once for both the parser and the shape: a pattern whose shape has no
    plan yet is parsed from the same pass (two passes cost a sixth of such a pattern's compile)."""
    kinds: list[str] = []
    texts: list[object] = []
    key: list[object] = []
    values: list[object] = []
    add_kind, add_text, add_part, add_value = kinds.append, texts.append, key.append, values.append
    prev: object = None
    bad = False
    fixed = _FIXED.get
    for item in _FAST.findall(text):
        tok = item[4]
        if tok:
            kind = fixed(tok)
            if kind is None:
                kind = _kind(tok)
                if kind == "ID" or kind == "IDH" or (kind == "STR" and (prev == ":" or prev == ".")):
                    part: object = tok
                elif kind == "INT" and prev == "[":
                    part = tok
                elif kind == "BAD":
                    bad = True
                    part = tok
                else:
                    part = _SIGNED.get((kind, tok[0] == "-"), kind)
                    add_value(_VALUE_OF[kind](tok))
            elif kind == "BOOL":
                part = kind
                add_value(tok == "true")
            else:
                part = tok
            add_text(tok)
        elif item[0]:  # a whole comparison: the shape keeps its path, NOT and operator, the constant's kind
            value = item[3]
            if value[0] == "'":
                part = item[:3]
                add_value(_UNESCAPE.sub(r"\1", value[1:-1]) if "\\" in value else value[1:-1])
            else:
                part = (*item[:3], "INT")
                add_value(int(value))
            kind = _CMP
            add_text(item)
        else:
            break
        add_kind(kind)
        add_part(part)
        prev = part
    add_kind(_EOF)
    add_text("")
    return Lexed(kinds, texts, None if bad else tuple(key), values)


def shape(text: str) -> tuple[Shape, list[object]] | None:
    """The pattern's tokens with its constants taken out (the shape), and the constants' values in order.

    Two patterns of one shape parse to the same tree but for the constants: the parser's choices depend
    only on token kinds, the texts of names, quoted property names and list indexes (kept in the shape),
    and the sign of numbers (`WITHIN -1` does not parse). Spacing and comments are not in the shape. None
    when a character starts no token (such a pattern does not parse)."""
    lexed = lex(text)
    return None if lexed.shape is None else (lexed.shape, lexed.values)


_NOT_FLOAT = r"(?![0-9]*\.[0-9])"  # `0` then `7.5` is the float `07.5` to the lexer
_GAP = rf"(?:{WS}++|/\*.*?\*/|//[^\r\n]*+)*+"  # what may stand between two tokens
_CONST_RX = {
    "STR": _STR,
    "INT": rf"\+?(?:0|[1-9][0-9]*+){_NOT_FLOAT}",
    "INT-": rf"-(?:0|[1-9][0-9]*+){_NOT_FLOAT}",
    "FLOAT": r"\+?[0-9]*+\.[0-9]++",
    "FLOAT-": r"-[0-9]*+\.[0-9]++",
    "TS": r"t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z'",
    "HEX": r"h'(?:[A-Fa-f0-9]{2})*'",
    "BIN": rf"b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)'",
    "BOOL": rf"(?:true|false){_WORD_END}",
}
# after a token, what would make the lexer read the text differently (a longer token, a merged one)
_NAME_END = "(?![A-Za-z0-9_-])"
_AFTER = {"<": "(?![=>])", ">": "(?!=)", "=": "(?!=)", "!": "(?!=)"}


def shape_matcher(text: str) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """A regular expression that fully matches exactly the texts whose tokens are this pattern's but for
    the constants (spacing and comments free), capturing the constants; and each capture's kind.

    A text it matches has this pattern's shape, so it takes this pattern's plan: one match instead of the
    lexer. Guards keep a token from being read as another by the lexer (`a` then `1` would be the name
    `a1`, `<` then `=` the operator `<=`, `h` then a string a hex constant). None when the pattern holds a
    character no token starts with."""
    kinds, texts, _ = tokenize(text)
    parts = [_GAP]
    groups: list[str] = []
    prev = ""
    for kind, tok in zip(kinds[:-1], texts[:-1], strict=True):
        if kind == "BAD":
            return None
        const = kind in ("INT", "FLOAT", "TS", "HEX", "BIN", "BOOL") or kind == "STR"
        if kind == "STR" and (prev == ":" or prev == ".") or kind == "INT" and prev == "[":
            const = False
        if const:
            ckind = _SIGNED.get((kind, tok[0] == "-"), kind)
            parts.append(f"({_CONST_RX[ckind]})")
            groups.append(kind)
        else:
            rx = re.escape(tok)
            if kind == "INT":
                rx += _NOT_FLOAT
            elif tok[-1].isalnum() or tok[-1] in "_-":
                rx += _NAME_END
                if tok in _QUOTED:  # `b` then `'AAAA'` reads as one binary constant, `b` then `''` does not
                    rx += f"(?!{_CONST_RX[_QUOTED[tok]][1:]})"
            else:
                rx += _AFTER.get(tok[-1], "")
            parts.append(rx)
        parts.append(_GAP)
        prev = kind
    return re.compile("".join(parts), re.S), tuple(groups)


def matched_values(kinds: tuple[str, ...], constants: tuple[str, ...]) -> list[object]:
    """The values of the constants a shape_matcher captured, as the parser gives them."""
    return [
        tok == "true" if kind == "BOOL" else _VALUE_OF[kind](tok)
        for kind, tok in zip(kinds, constants, strict=True)
    ]


_PATHS: dict[str, Path] = {}  # the path text of a CMP item -> its Path (feeds use a few dozen paths)


def _cmp_path(text: str) -> Path:
    path = _PATHS.get(text)
    if path is None:
        otype, _, steps = text.partition(":")
        path = Path(otype, tuple(steps.split(".")))
        if len(_PATHS) < 4096:
            _PATHS[text] = path
    return path


_new = tuple.__new__  # a named tuple without its Python-level __new__ (the parser builds many)


class _Parser:
    __slots__ = ("text", "kinds", "texts", "starts", "i")

    def __init__(self, text: str, fast: bool = False, lexed: Lexed | None = None) -> None:
        self.text = text
        if fast:
            lexed = lexed or lex(text)
            self.kinds, self.texts = lexed.kinds, lexed.texts  # type: ignore[assignment]
            self.starts = None
        else:
            self.kinds, self.texts, self.starts = tokenize(text)
        self.i = 0

    def fail(self, expected: str) -> PatternSyntaxError:
        if self.starts is None:
            raise _RETRY
        i = self.i
        kind = self.kinds[i]
        if kind == _EOF:
            found = "end of pattern"
        elif kind == "BAD":
            found = f"character {self.texts[i]!r}"
            if self.texts[i] == "'":
                found = "' (a string not closed, or an escape other than \\' and \\\\)"
        else:
            found = repr(self.texts[i])
        return PatternSyntaxError(self.text, self.starts[i], f"unexpected {found}, expecting {expected}")

    def expect(self, kind: str) -> str:
        if self.kinds[self.i] != kind:
            raise self.fail(_NAMES.get(kind, repr(kind)))
        self.i += 1
        return self.texts[self.i - 1]

    # observation level

    def pattern(self) -> Node:
        node = self.obs_chain(0)
        if self.kinds[self.i] != _EOF:
            raise self.fail("end of pattern, AND, OR, FOLLOWEDBY or a qualifier")
        return node

    _LEVELS = ("FOLLOWEDBY", "OR", "AND")

    def obs_chain(self, level: int) -> Node:
        """Runs of AND, then OR, then FOLLOWEDBY (down to `level`) after a first operand: one call for an
        operand without operators, not one per precedence level."""
        node = self.obs_qualified()
        for lv in range(2, level - 1, -1):
            op = self._LEVELS[lv]
            if self.kinds[self.i] == op:
                operands = [node]
                while self.kinds[self.i] == op:
                    self.i += 1
                    operands.append(self.obs_qualified() if lv == 2 else self.obs_chain(lv + 1))
                node = _new(ObsExpr, (op, tuple(operands)))
        return node

    def obs_qualified(self) -> Node:
        kind = self.kinds[self.i]
        node: Node
        if kind == "[":
            self.i += 1
            node = _new(Observation, (self.comp_or(),))
            self.expect("]")
        elif kind == "(":
            self.i += 1
            node = self.obs_chain(0)
            self.expect(")")
        else:
            raise self.fail("'[' or '('")
        while True:
            kind = self.kinds[self.i]
            if kind == "WITHIN":
                self.i += 1
                k = self.kinds[self.i]
                text = self.texts[self.i]
                if k not in ("INT", "FLOAT") or text[0] == "-":
                    raise self.fail("a positive number of seconds")
                self.i += 1
                self.expect("SECONDS")
                node = Qualified(node, "WITHIN", (int(text) if k == "INT" else float(text),))
            elif kind == "REPEATS":
                self.i += 1
                if self.kinds[self.i] != "INT" or self.texts[self.i][0] == "-":
                    raise self.fail("a positive integer")
                times = int(self.texts[self.i])
                self.i += 1
                self.expect("TIMES")
                node = Qualified(node, "REPEATS", (times,))
            elif kind == "START":
                self.i += 1
                start = self.expect("TS")[2:-1]
                self.expect("STOP")
                stop = self.expect("TS")[2:-1]
                node = Qualified(node, "START", (start, stop))
            else:
                return node

    # comparison level

    def comp_or(self) -> BoolExpr | Comparison:
        """A run of AND after a first comparison, then a run of OR (whose operands are AND runs)."""
        node = self.prop_test()
        if self.kinds[self.i] == "AND":
            node = self._and_run(node)
        if self.kinds[self.i] != "OR":
            return node
        operands = [node]
        while self.kinds[self.i] == "OR":
            self.i += 1
            operand = self.prop_test()
            operands.append(self._and_run(operand) if self.kinds[self.i] == "AND" else operand)
        return _new(BoolExpr, ("OR", tuple(operands)))

    def _and_run(self, first: BoolExpr | Comparison) -> BoolExpr:
        operands = [first]
        while self.kinds[self.i] == "AND":
            self.i += 1
            operands.append(self.prop_test())
        return _new(BoolExpr, ("AND", tuple(operands)))

    def prop_test(self) -> BoolExpr | Comparison:
        kind = self.kinds[self.i]
        if kind == _CMP:
            path, negated, op, value = self.texts[self.i][:4]  # type: ignore[misc]
            op = _OPS.get(op, op)
            if value[0] == "'":
                const = _new(Constant, ("str", unescape(value[1:-1])))
            elif op in _STRING_OPS:
                raise self.fail("a string")
            else:
                const = _new(Constant, ("int", int(value)))
            self.i += 1
            return _new(Comparison, (_cmp_path(path), op, negated == "NOT", const))
        if kind == "(":
            self.i += 1
            inner = self.comp_or()
            self.expect(")")
            return inner
        if kind == "EXISTS":
            self.i += 1
            return Comparison(self.path(), "EXISTS", False, None)
        path = self.path()
        negated = self.kinds[self.i] == "NOT"
        if negated:
            self.i += 1
        op = self.kinds[self.i]
        if op == "=" or op == "!=":
            self.i += 1
            return Comparison(path, op, negated, self.constant(_PRIMITIVE))
        if op in _ORDER_OPS:
            self.i += 1
            return Comparison(path, op, negated, self.constant(_ORDERABLE))
        if op in _STRING_OPS:
            self.i += 1
            if self.kinds[self.i] != "STR":
                raise self.fail("a string")
            return Comparison(path, op, negated, self.constant(_ORDERABLE))
        if op == "IN":
            self.i += 1
            self.expect("(")
            values: list[Constant] = []
            if self.kinds[self.i] != ")":
                values.append(self.constant(_PRIMITIVE))
                while self.kinds[self.i] == ",":
                    self.i += 1
                    values.append(self.constant(_PRIMITIVE))
            self.expect(")")
            return Comparison(path, "IN", negated, tuple(values))
        raise self.fail("a comparison operator" if negated else "NOT or a comparison operator")

    def path(self) -> Path:
        kind = self.kinds[self.i]
        if kind != "ID" and kind != "IDH":
            raise self.fail("an object type")
        otype = self.texts[self.i]
        self.i += 1
        self.expect(":")
        steps: list[str | Index] = [self.key()]
        while True:
            kind = self.kinds[self.i]
            if kind == ".":
                self.i += 1
                steps.append(self.key())
            elif kind == "[":
                self.i += 1
                if self.kinds[self.i] == "*":
                    steps.append(Index(None))
                elif self.kinds[self.i] == "INT":
                    steps.append(Index(int(self.texts[self.i])))
                else:
                    raise self.fail("a list index or '*'")
                self.i += 1
                self.expect("]")
            else:
                return Path(otype, tuple(steps))

    def key(self) -> str:
        kind = self.kinds[self.i]
        self.i += 1
        if kind == "ID":
            return self.texts[self.i - 1]
        if kind == "STR":
            return unescape(self.texts[self.i - 1][1:-1])
        self.i -= 1
        raise self.fail("a property name (letters, digits, '_', or quoted)")

    def constant(self, allowed: frozenset[str]) -> Constant:
        kind = self.kinds[self.i]
        if kind not in allowed:
            raise self.fail("a constant" if "BOOL" in allowed else "a constant other than true/false")
        text = self.texts[self.i]
        self.i += 1
        if kind == "STR":
            return Constant("str", unescape(text[1:-1]))
        if kind == "INT":
            return Constant("int", int(text))
        if kind == "FLOAT":
            return Constant("float", float(text))
        if kind == "BOOL":
            return Constant("bool", text == "true")
        if kind == "TS":
            return Constant("ts", text[2:-1])
        return Constant(kind.lower(), text[2:-1])  # bin, hex: the text between the quotes


def parse(pattern: str, lexed: Lexed | None = None) -> Node:
    """The syntax tree of a STIX 2.1 pattern; raises PatternSyntaxError when it is not in the grammar.
    `lexed`: the pattern's `lex`, when the caller has it."""
    try:
        return _Parser(pattern, fast=True, lexed=lexed).pattern()
    except _Retry:
        pass
    return _Parser(pattern).pattern()


def reference_parse(pattern: str) -> Node:
    """`parse` from _TOKEN's tokens only (tests check the fast lexer against it)."""
    return _Parser(pattern).pattern()
