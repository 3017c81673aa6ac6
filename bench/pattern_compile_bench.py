"""Pattern compile benchmark: Accord's compiler vs stix2-patterns' ANTLR parser, one core, one run.

A deterministic messy corpus (canonical shapes mixed with upper-case schemes and hosts, ISSUBSET on
CIDRs, AND inside one observation, OR across observations, extra spaces and newlines, qualifiers, NOT,
escaped quotes); every pattern distinct, and the compile's caches are emptied before each timed run.
Prints patterns/s (CPU time, best of --repeat runs) of `accord.sweep.patterns.compile_pattern` on the
whole corpus and on its non-canonical part, of `stix2patterns.v21.pattern.Pattern` (parse only) on a
sample, and indicators/s of `compile_indicators` on --indicators messy indicators (tables included).

    python bench/pattern_compile_bench.py                 # 100,000 patterns
    python bench/pattern_compile_bench.py --n 20000 --antlr-sample 2000 --indicators 200000
"""

from __future__ import annotations

import argparse
import os
import random
import time

from accord.sweep import normalize, patterns
from accord.sweep.indicators import compile_indicators


def _ip(rng: random.Random) -> str:
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"


def _domain(rng: random.Random) -> str:
    return f"h{rng.randrange(10**7)}.{rng.choice(['com', 'net', 'org', 'ru'])}"


def canonical(rng: random.Random, i: int) -> str:
    r = rng.randrange(5)
    if r == 0:
        return f"[ipv4-addr:value = '{_ip(rng)}']"
    if r == 1:
        return f"[domain-name:value = '{_domain(rng)}']"
    if r == 2:
        return f"[url:value = 'http://{_domain(rng)}/p{i}']"
    if r == 3:
        return f"[file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}']"
    port = rng.randrange(1, 65536)
    return f"[network-traffic:dst_ref.value = '{_ip(rng)}' AND network-traffic:dst_port = {port}]"


def messy(rng: random.Random, i: int) -> str:
    r = rng.randrange(9)
    d, ip = _domain(rng), _ip(rng)
    if r == 0:
        return f"[url:value = 'HTTP://{d.upper()}:80/Path/{i}?q=1#frag']"
    if r == 1:
        return f"[ipv4-addr:value ISSUBSET '{ip.rsplit('.', 1)[0]}.0/24']"
    if r == 2:
        return f"[domain-name:value = '{d}' AND domain-name:value LIKE '%.{d.split('.')[1]}']"
    if r == 3:
        return f"[ipv4-addr:value = '{ip}'] OR [domain-name:value = '{d}']"
    if r == 4:
        return f"[  ipv4-addr:value   =\n  '{ip}'  ]"
    if r == 5:
        return f"[url:value = '{d}/x'] FOLLOWEDBY [ipv4-addr:value = '{ip}'] WITHIN 600 SECONDS"
    if r == 6:
        return f"[email-addr:value = 'o\\'neil{i}@{d}' OR email-addr:value NOT LIKE '%@{d}']"
    if r == 7:
        return (
            f"[(network-traffic:dst_ref.value = '{ip}' OR network-traffic:src_ref.value = '{ip}')"
            " AND network-traffic:dst_port IN (80, 443)]"
        )
    return f"[file:name = 'a{i}.exe' AND file:size > {rng.randrange(10**6)}]"


def corpus(n: int, messy_share: float, seed: int = 20240301) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    out: dict[str, bool] = {}
    i = 0
    while len(out) < n:
        m = rng.random() < messy_share
        out.setdefault(messy(rng, i) if m else canonical(rng, i), m)
        i += 1
    return list(out.items())


def _cold() -> None:
    """Empty the compile's caches, so a timed run pays for every normalization it needs."""
    for fn in (normalize.url, normalize.domain, patterns.like_to_regex, patterns._regex_error):
        fn.cache_clear()


def _rate(fn, items: list[str], repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    """patterns/s in CPU time, the best of `repeat` cold runs (other processes only slow a run down)."""
    best = float("inf")
    for _ in range(repeat):
        _cold()
        t0 = time.process_time()
        for p in items:
            fn(p)
        best = min(best, time.process_time() - t0)
    return len(items) / max(best, 1e-9)


def _indicators(n: int) -> list[dict]:
    rng = random.Random(7)
    return [
        {
            "type": "indicator",
            "id": f"indicator--{i:08x}-0000-4000-8000-000000000000",
            "pattern_type": "stix",
            "pattern": messy(rng, i),
            "valid_from": "2024-03-01T00:00:00Z",
        }
        for i in range(n)
    ]


def _antlr(p: str) -> None:
    from stix2patterns.v21.pattern import Pattern

    Pattern(p)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--messy", type=float, default=0.3, help="share outside the canonical shapes")
    ap.add_argument("--antlr-sample", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each, the best kept")
    ap.add_argument("--indicators", type=int, default=1_000_000, help="messy indicators compiled (0: skip)")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    items = corpus(args.n, args.messy)
    all_p = [p for p, _ in items]
    messy_p = [p for p, m in items if m]
    modes = {}
    for p in all_p:
        c = patterns.compile_pattern(p)
        modes[c.mode] = modes.get(c.mode, 0) + 1
    fast = sum(1 for p in all_p if patterns._fast(p) is not None)
    ours_all = _rate(patterns.compile_pattern, all_p, args.repeat)
    ours_messy = _rate(patterns.compile_pattern, messy_p, args.repeat)
    sample = random.Random(1).sample(all_p, min(args.antlr_sample, len(all_p)))
    _antlr(sample[0])  # import and build the ATN outside the timing
    antlr = _rate(_antlr, sample)
    print(f"corpus: {len(all_p):,} distinct patterns, {len(messy_p) / len(all_p):.0%} messy, ")
    print(f"  {fast / len(all_p):.0%} on the regex fast paths, modes {modes}")
    print(f"accord compile_pattern, whole corpus   : {ours_all:12,.0f} patterns/s (one core, CPU time)")
    print(f"accord compile_pattern, messy part only: {ours_messy:12,.0f} patterns/s")
    print(f"stix2-patterns Pattern() parse only    : {antlr:12,.0f} patterns/s (sample of {len(sample):,})")
    print(f"speed-up on the whole corpus           : {ours_all / antlr:12,.1f}x")
    if args.indicators:
        objs = _indicators(args.indicators)
        _cold()
        t0 = time.process_time()
        compiled = compile_indicators(objs)
        dt = time.process_time() - t0
        print(
            f"compile_indicators, {len(objs):,} messy     : {len(objs) / dt:12,.0f} indicators/s "
            f"({dt:.1f} s CPU, {len(compiled.ids):,} kept, {len(compiled.problems):,} problems)"
        )


if __name__ == "__main__":
    main()
