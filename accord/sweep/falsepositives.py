"""False-positive list: indicator values that would flood every sweep with benign hits.

Like MISP's warninglists, the shipped list (falsepositives.json beside this module) names private,
loopback, link-local and multicast ranges, public resolvers and top sites. A conjunction whose
comparisons are all on listed values never matches (an AND that also names a non-listed value still
does); an indicator left with nothing that can match is skipped and counted.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson

from accord.sweep import normalize
from accord.sweep.patterns import IP_KINDS, Atom

_IP_KINDS = frozenset(IP_KINDS)


@dataclass
class FalsePositives:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
    domains: frozenset[str]

    def __post_init__(self) -> None:
        # integer ranges: checking a million indicators must not build a million network objects
        self._ranges = [(n.version, int(n.network_address), int(n.broadcast_address)) for n in self.networks]
        self._reach = {v: _reach([(a, b) for w, a, b in self._ranges if w == v]) for v in (4, 6)}

    def _inside(self, version: int, lo: int, hi: int) -> bool:
        """Whether one listed range holds lo..hi: the ranges holding lo are those of its segment, and
        the farthest of their ends is precomputed per segment, so this is one bisection, not a scan."""
        starts, ends = self._reach[version]
        i = bisect_right(starts, lo) - 1
        return i >= 0 and ends[i] >= hi

    @classmethod
    def load(cls, path: str | Path | None = None) -> FalsePositives:
        """Load a list (the shipped one by default); raises ValueError if the file is malformed."""
        raw = (
            Path(path).read_bytes()
            if path
            else resources.files("accord.sweep").joinpath("falsepositives.json").read_bytes()
        )
        data = orjson.loads(raw)
        nets = [ipaddress.ip_network(c, strict=False) for c in data.get("cidrs", [])]
        doms = frozenset(d for d in (normalize.domain(x) for x in data.get("domains", [])) if d)
        return cls(nets, doms)

    @classmethod
    def empty(cls) -> FalsePositives:
        return cls([], frozenset())

    def covers(self, atom: Atom) -> bool:
        """Whether a compiled comparison is on a listed value (an address/range inside a listed range)."""
        if atom.kind in _IP_KINDS:
            if atom.op == "cidr":
                bits = 32 if atom.version == 4 else 128
                version, lo = atom.version, int(atom.value)
                hi = lo | ((1 << (bits - atom.prefix)) - 1)
            elif atom.op == "eq":
                text = str(atom.value)
                lo = normalize.ipv4_int(text)
                if lo is not None:
                    version = 4
                else:
                    try:
                        addr = ipaddress.ip_address(text)
                    except ValueError:
                        return False
                    version, lo = addr.version, int(addr)
                hi = lo
            else:
                return False
            return self._inside(version, lo, hi)
        if atom.kind == "domain-name:value" and atom.op == "dom":
            return atom.value in self.domains
        return False

    def covers_all(self, conj: list[Atom]) -> bool:
        """Whether every comparison of a conjunction is on a listed value (then it never matches)."""
        for atom in conj:
            if not self.covers(atom):
                return False
        return True


def _reach(ranges: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Cut ranges at every boundary: (segment starts, farthest end of the ranges holding each segment;
    -1 where none does)."""
    starts = sorted({a for a, _ in ranges} | {b + 1 for _, b in ranges})
    ends = [max((b for a, b in ranges if a <= s <= b), default=-1) for s in starts]
    return starts, ends
