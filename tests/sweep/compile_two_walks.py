"""The compile as two walks of the tree, _Scan then _observation: how `accord.sweep.patterns` compiled a
parsed pattern before its single walk (`_Walk`) and its shape plans; kept as the tests' reference."""

from __future__ import annotations

from accord.stix.pattern_parser import BoolExpr, Comparison, Node, Observation, ObsExpr, Qualified
from accord.sweep import patterns
from accord.sweep.patterns import Atom, Compiled


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
            if len(out) > patterns.MAX_CONJUNCTIONS:
                raise patterns._NotCompilable("boolean expression too large for DNF")
        return out
    return patterns._leaf(expr)  # type: ignore[arg-type]


def _observation(node: Node) -> list[list[Atom]]:
    if type(node) is Observation:
        return _comparison(node.expr)
    if type(node) is ObsExpr and node.op == "OR":
        return [c for op in node.operands for c in _observation(op)]
    raise patterns._NotCompilable("observation operator or qualifier")


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
            if node.qualifier == "START" and not all(patterns._valid_time(t) for t in node.args):  # type: ignore[arg-type]
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
            if const.kind == "ts" and not patterns._valid_time(const.value):  # type: ignore[union-attr]
                self.fail("Must be a datetime object or timestamp string.")
            elif const.kind == "hex" and not const.value:  # type: ignore[union-attr]
                self.fail("must contain an even number of hexadecimal characters")
        return {otype}


def compile_tree(tree: Node) -> Compiled:
    """The compile of a parsed pattern as two walks, _Scan then _observation (tests check _Walk's single
    walk against it)."""
    scan = _Scan()
    scan.node(tree)
    roots = frozenset(scan.roots)
    try:
        if scan.error:
            raise patterns._NotCompilable(scan.error)
        dnf = _observation(tree)
    except patterns._Invalid as exc:
        return Compiled("invalid", reason=str(exc))
    except patterns._NotCompilable as exc:
        return Compiled("multi" if scan.multi else "event", root_types=roots, reason=str(exc))
    return Compiled("simple", dnf=[c for c in dnf if c], root_types=roots)
