"""False-positive list: indicator values that would flood every sweep with benign hits.

Like MISP's warninglists, the shipped list (falsepositives.json beside this module) names private,
loopback, link-local and multicast ranges, public resolvers and top sites. A conjunction whose
comparisons are all on listed values never matches (an AND that also names a non-listed value still
does); an indicator left with nothing that can match is skipped and counted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson

from accord.sweep import normalize
from accord.sweep.patterns import IP_KINDS, Atom


@dataclass
class FalsePositives:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
    domains: frozenset[str]

    def __post_init__(self) -> None:
        # integer ranges: checking a million indicators must not build a million network objects
        self._ranges = [(n.version, int(n.network_address), int(n.broadcast_address)) for n in self.networks]

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
        if atom.kind in IP_KINDS:
            if atom.op == "cidr":
                bits = 32 if atom.version == 4 else 128
                version, lo = atom.version, int(atom.value)
                hi = lo | ((1 << (bits - atom.prefix)) - 1)
            elif atom.op == "eq":
                text = str(atom.value)
                if normalize.ip(text) == text and ":" not in text:
                    a, b, c, d = (int(x) for x in text.split("."))
                    version, lo = 4, (a << 24) | (b << 16) | (c << 8) | d
                else:
                    try:
                        addr = ipaddress.ip_address(text)
                    except ValueError:
                        return False
                    version, lo = addr.version, int(addr)
                hi = lo
            else:
                return False
            return any(v == version and a <= lo and hi <= b for v, a, b in self._ranges)
        if atom.kind == "domain-name:value" and atom.op == "dom":
            return atom.value in self.domains
        return False
