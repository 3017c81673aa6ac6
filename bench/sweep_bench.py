"""Sweep benchmark: Accord vs a plain Python loop vs stix2-matcher vs the raw reader, in one run.

Generates (deterministically) mixed indicators and EVE-style events, then measures:
  - compiling the indicators (wall and CPU seconds),
  - the raw read of the selected fields by the same reader (the ceiling), one thread,
  - Accord end to end (events per CPU-second, peak RSS of the sweeping process), with one thread
    (`--threads 1`, the least CPU per event) and with all cores (the default),
  - a straightforward orjson + set-lookup + radix-tree loop with the same semantics, on a sample,
  - stix2-matcher on a small sample (events x patterns per CPU-second), as a ratio.

    python bench/sweep_bench.py                       # 10,000,000 events, 1,000,000 indicators
    python bench/sweep_bench.py --scale 0.1           # a tenth of both
    python bench/sweep_bench.py --events 1000000 --indicators 100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

SEED = 20240301
DOMAIN_POP = 20_000_000  # distinct registered domains seen in traffic (a few % of events then match)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _ip(x: pl.Expr) -> pl.Expr:
    return pl.format(
        "{}.{}.{}.{}", (x // (1 << 24)) % 256, (x // (1 << 16)) % 256, (x // (1 << 8)) % 256, x % 256
    )


def _domain(k: pl.Expr) -> pl.Expr:
    return pl.format("d{}.example{}.com", k, k % 97)


def gen_indicators(n: int, path: Path) -> None:
    """Mixed indicators: addresses, CIDRs, domains, URLs, hashes, network-traffic AND port."""
    rng = np.random.default_rng(SEED)
    kind = rng.choice(6, size=n, p=[0.35, 0.05, 0.30, 0.15, 0.10, 0.05])
    ipn = rng.integers(1 << 24, 224 << 24, size=n)
    dom = rng.integers(0, DOMAIN_POP, size=n)
    plen = rng.integers(16, 31, size=n)
    port = rng.choice([53, 80, 443, 8080], size=n)
    df = pl.DataFrame({"k": np.arange(n), "kind": kind, "ip": ipn, "dom": dom, "plen": plen, "port": port})
    net = (pl.col("ip") // (2 ** (32 - pl.col("plen")))) * (2 ** (32 - pl.col("plen")))
    pattern = (
        pl.when(pl.col("kind") == 0)
        .then(pl.format("[ipv4-addr:value = '{}']", _ip(pl.col("ip"))))
        .when(pl.col("kind") == 1)
        .then(pl.format("[ipv4-addr:value = '{}/{}']", _ip(net), pl.col("plen")))
        .when(pl.col("kind") == 2)
        .then(pl.format("[domain-name:value = '{}']", _domain(pl.col("dom"))))
        .when(pl.col("kind") == 3)
        .then(
            pl.format("[url:value = 'http://{}/p{}/index.html']", _domain(pl.col("dom")), pl.col("dom") % 13)
        )
        .when(pl.col("kind") == 4)
        .then(pl.format("[file:hashes.MD5 = '{}']", pl.col("dom").cast(pl.Utf8).str.zfill(32)))
        .otherwise(
            pl.format(
                "[network-traffic:dst_ref.value = '{}' AND network-traffic:dst_port = {}]",
                _ip(pl.col("ip")),
                pl.col("port"),
            )
        )
    )
    kid = pl.col("k").cast(pl.Utf8)
    line = pl.concat_str(
        pl.lit('{"type":"indicator","spec_version":"2.1","id":"indicator--'),
        kid.str.zfill(8),
        pl.lit("-0000-4000-8000-"),
        kid.str.zfill(12),
        pl.lit(
            '","created":"2024-01-01T00:00:00Z","modified":"2024-01-01T00:00:00Z","pattern_type":"stix","pattern":"'
        ),
        pattern,
        pl.lit('","valid_from":"2020-01-01T00:00:00Z"}'),
    )
    lines = df.select(line.alias("l"))["l"]
    with open(path, "w") as fh:
        fh.write('{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[\n')
        fh.write(",\n".join(lines.to_list()))
        fh.write("\n]}\n")


def gen_events(n: int, path: Path, chunk: int = 1_000_000) -> None:
    """EVE-style events: flows, DNS, HTTP, TLS and fileinfo, timestamps not in order."""
    rng = np.random.default_rng(SEED + 1)
    with open(path, "wb") as fh:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            et = rng.choice(5, size=m, p=[0.30, 0.30, 0.20, 0.15, 0.05])
            df = pl.DataFrame(
                {
                    "et": et,
                    "t": 1_709_251_200_000_000 + rng.integers(0, 86_400_000_000, size=m),
                    "src": rng.integers(1 << 24, 224 << 24, size=m),
                    "dst": rng.integers(1 << 24, 224 << 24, size=m),
                    "sport": rng.integers(1024, 65535, size=m),
                    "dport": rng.choice([53, 80, 443, 8080, 22], size=m),
                    "dom": rng.integers(0, DOMAIN_POP, size=m),
                    "sub": rng.random(size=m) < 0.3,
                }
            )
            host = (
                pl.when(pl.col("sub"))
                .then(pl.lit("www.") + _domain(pl.col("dom")))
                .otherwise(_domain(pl.col("dom")))
            )
            et_ = pl.col("et")
            out = df.select(
                pl.from_epoch("t", "us").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+0000").alias("timestamp"),
                pl.when(et_ == 0)
                .then(pl.lit("flow"))
                .when(et_ == 1)
                .then(pl.lit("dns"))
                .when(et_ == 2)
                .then(pl.lit("http"))
                .when(et_ == 3)
                .then(pl.lit("tls"))
                .otherwise(pl.lit("fileinfo"))
                .alias("event_type"),
                _ip(pl.col("src")).alias("src_ip"),
                pl.col("sport").alias("src_port"),
                _ip(pl.col("dst")).alias("dest_ip"),
                pl.col("dport").alias("dest_port"),
                pl.when(et_ == 1)
                .then(pl.struct(host.alias("rrname"), pl.lit("A").alias("rrtype")))
                .alias("dns"),
                pl.when(et_ == 2)
                .then(
                    pl.struct(
                        host.alias("hostname"),
                        pl.format("/p{}/index.html", pl.col("dom") % 13).alias("url"),
                        pl.lit("Mozilla/5.0").alias("http_user_agent"),
                    )
                )
                .alias("http"),
                pl.when(et_ == 3)
                .then(pl.struct(host.alias("sni"), pl.lit("TLS 1.3").alias("version")))
                .alias("tls"),
                pl.when(et_ == 4)
                .then(
                    pl.struct(
                        pl.col("dom").cast(pl.Utf8).str.zfill(32).alias("md5"), pl.lit(1234).alias("size")
                    )
                )
                .alias("fileinfo"),
            )
            buf = out.write_ndjson()
            fh.write(buf.encode() if isinstance(buf, str) else buf)


# ---------------------------------------------------------------- phases run in child processes


def phase_accord(events: Path, indicators: Path, threads: int | None) -> dict:
    from accord.sweep import SweepOptions, load_indicators, sweep
    from accord.sweep.lookup import tables

    c0, w0 = _cpu(), time.perf_counter()
    comp = load_indicators(str(indicators))  # with the shipped false-positive list, as the command does
    tables(comp)  # the per-process lookup tables (hashes, /24 blocks): indicator work, counted here
    compile_cpu, compile_wall = _cpu() - c0, time.perf_counter() - w0
    rss_compiled = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c0, w0 = _cpu(), time.perf_counter()
    with open(os.devnull, "wb") as sink:
        res = sweep([str(events)], comp, SweepOptions(fmt="eve", threads=threads), hits_out=sink)
    cpu, wall = _cpu() - c0, time.perf_counter() - w0
    return {
        "indicators": len(comp.ids),
        "compile_wall": compile_wall,
        "compile_cpu": compile_cpu,
        "events": res.events,
        "sweep_wall": wall,
        "sweep_cpu": cpu,
        "matches": int(res.counts["count"].sum() or 0),
        "sighted": res.counts.height,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_compile_mb": rss_compiled / 1024,
    }


def phase_read(events: Path, indicators: Path, threads: int | None) -> dict:
    """The reader alone on the fields the sweep reads (those the indicators' kinds can use)."""
    from accord.sweep import load_indicators
    from accord.sweep.readers import read_log

    kinds = load_indicators(str(indicators)).kinds  # not timed: only says which fields to read
    c0, w0 = _cpu(), time.perf_counter()
    batches = read_log(str(events), "eve", parse_times=False, kinds=kinds, threads=threads)
    n = sum(b.frame.height for b in batches)
    return {"events": n, "wall": time.perf_counter() - w0, "cpu": _cpu() - c0}


def phase_readers_compare(events: Path, limit_bytes: int) -> dict:
    """Which engine reads the selected EVE fields fastest (pyarrow vs DuckDB vs polars), same bytes."""
    import duckdb
    import pyarrow as pa
    import pyarrow.json as pj

    sample = events.parent / "sample.json"
    with open(events, "rb") as src, open(sample, "wb") as dst:
        data = src.read(limit_bytes)
        dst.write(data[: data.rfind(b"\n") + 1])
    out = {}
    fields = [
        ("timestamp", pa.string()),
        ("src_ip", pa.string()),
        ("dest_ip", pa.string()),
        ("dest_port", pa.int64()),
        ("dns", pa.struct([("rrname", pa.string())])),
        ("http", pa.struct([("hostname", pa.string()), ("url", pa.string())])),
        ("tls", pa.struct([("sni", pa.string())])),
        ("fileinfo", pa.struct([("md5", pa.string())])),
    ]
    schema = pa.schema(fields)
    c0 = _cpu()
    opts = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    t = pj.read_json(sample, parse_options=opts)
    out["pyarrow"] = {"rows": t.num_rows, "cpu": _cpu() - c0}
    c0 = _cpu()
    cols = ", ".join(f"{name}: '{_duck(typ)}'" for name, typ in fields)
    query = f"select * from read_json('{sample}', columns={{{cols}}}, format='newline_delimited')"
    t = duckdb.connect().sql(query).to_arrow_table()
    out["duckdb"] = {"rows": t.num_rows, "cpu": _cpu() - c0}
    c0 = _cpu()
    pdf = pl.read_ndjson(sample, schema=pl.Schema(schema))
    out["polars"] = {"rows": pdf.height, "cpu": _cpu() - c0}
    sample.unlink()
    return out


def _duck(typ: object) -> str:
    import pyarrow as pa

    if pa.types.is_struct(typ):
        return "STRUCT(" + ", ".join(f"{f.name} {_duck(f.type)}" for f in typ) + ")"  # type: ignore[attr-defined]
    return "BIGINT" if pa.types.is_integer(typ) else "VARCHAR"


def phase_baseline(events: Path, indicators: Path, limit: int) -> dict:
    """orjson + dict/set lookups + py-radix, line by line: the straightforward way, same semantics."""
    import orjson
    import radix

    from accord.sweep import normalize

    objs = orjson.loads(indicators.read_bytes())["objects"]
    ip_eq: dict[str, list[int]] = {}
    dom: dict[str, list[int]] = {}
    url: dict[str, list[int]] = {}
    md5: dict[str, list[int]] = {}
    nt: dict[tuple[str, int], list[int]] = {}
    tree = radix.Radix()
    import re

    rx = re.compile(r"'([^']*)'")
    for i, o in enumerate(objs):
        p = o["pattern"]
        vals = rx.findall(p)
        if p.startswith("[ipv4-addr"):
            if "/" in vals[0]:
                node = tree.search_exact(vals[0]) or tree.add(vals[0])
                node.data.setdefault("ids", []).append(i)
            else:
                ip_eq.setdefault(vals[0], []).append(i)
        elif p.startswith("[domain"):
            dom.setdefault(normalize.domain(vals[0]), []).append(i)
        elif p.startswith("[url"):
            url.setdefault(normalize.url(vals[0]), []).append(i)
        elif p.startswith("[file"):
            md5.setdefault(vals[0].lower(), []).append(i)
        else:
            nt.setdefault((vals[0], int(p.rsplit("=", 1)[1].strip(" ]"))), []).append(i)
    counts: dict[int, list] = {}
    c0, w0 = _cpu(), time.perf_counter()
    n = 0
    with open(events, "rb") as fh:
        for line in fh:
            if n >= limit:
                break
            n += 1
            ev = orjson.loads(line)
            ts = ev["timestamp"]
            hit: set[int] = set()
            for key in ("src_ip", "dest_ip"):
                a = ev.get(key)
                if a:
                    hit.update(ip_eq.get(a, ()))
                    for node in tree.search_covering(a):
                        hit.update(node.data["ids"])
            hit.update(nt.get((ev.get("dest_ip"), ev.get("dest_port")), ()))
            names = []
            for sec, f in (("dns", "rrname"), ("tls", "sni"), ("http", "hostname")):
                s = ev.get(sec)
                if s and s.get(f):
                    names.append(s[f])
            http = ev.get("http")
            if http and http.get("url"):
                u = normalize.url("http://" + http["hostname"] + http["url"])
                hit.update(url.get(u, ()))
            fi = ev.get("fileinfo")
            if fi and fi.get("md5"):
                hit.update(md5.get(fi["md5"].lower(), ()))
            for name in names:
                d = normalize.domain(name)
                while d:
                    hit.update(dom.get(d, ()))
                    d = d.partition(".")[2]
            for i in hit:
                c = counts.get(i)
                if c is None:
                    counts[i] = [1, ts, ts]
                else:
                    c[0] += 1
                    c[1] = min(c[1], ts)
                    c[2] = max(c[2], ts)
    return {
        "events": n,
        "wall": time.perf_counter() - w0,
        "cpu": _cpu() - c0,
        "matches": sum(c[0] for c in counts.values()),
    }


def phase_matcher(events: Path, indicators: Path, n_events: int, n_patterns: int, budget: float) -> dict:
    """stix2-matcher: every pattern against each event (as observed-data), within a time budget."""
    import orjson
    from stix2matcher.matcher import Pattern

    from accord.sweep import observations
    from accord.sweep.evaluator import event_sdos
    from accord.sweep.readers import read_log

    batch = next(read_log(str(events), "eve", chunk_size=1 << 20))
    frame = batch.frame.head(n_events)
    obs = observations.build(frame, batch.roles)
    sdos = [s for _, _, s in event_sdos(obs, frame.select("line", "ts"), "bench")]
    pats = [o["pattern"] for o in orjson.loads(indicators.read_bytes())["objects"][:n_patterns]]
    c0 = _cpu()
    done = 0
    for p in pats:
        compiled = Pattern(p, "2.1")
        for sdo in sdos:
            compiled.match([sdo])
            done += 1
        if _cpu() - c0 > budget:
            break
    cpu = _cpu() - c0
    return {"pairs": done, "cpu": cpu, "planned_pairs": len(sdos) * len(pats)}


def _warm(path: Path) -> None:
    """Read the log once, untimed: every phase then reads it from the page cache, so a phase that
    happens to run first does not pay the disk for the others (CPU-seconds include page faults)."""
    with path.open("rb", buffering=0) as fh:
        while fh.read(16 << 20):
            pass


def _child(args: list[str], threads: int | None = None) -> dict:
    """Run one phase in a fresh process; `threads` caps DuckDB and polars there, as `--threads` does
    (polars sizes its pool when first imported, hence the environment)."""
    env = dict(os.environ)
    if threads is not None:
        env["POLARS_MAX_THREADS"] = str(threads)
        args = [*args, "--threads", str(threads)]
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--scale", type=float, default=1.0, help="multiply the default sizes (10M events, 1M indicators)"
    )
    ap.add_argument("--events", type=int)
    ap.add_argument("--indicators", type=int)
    ap.add_argument("--baseline-events", type=int, default=1_000_000, help="sample size for the Python loop")
    ap.add_argument("--matcher-events", type=int, default=1000)
    ap.add_argument("--matcher-patterns", type=int, default=10_000)
    ap.add_argument("--matcher-budget", type=float, default=60.0, help="CPU seconds for stix2-matcher")
    ap.add_argument("--dir", default="/tmp/accord-sweep-bench")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)  # set by the parent per phase
    ap.add_argument("--rounds", type=int, default=3, help="runs of Accord's one-thread phase (median)")
    a = ap.parse_args()
    n_ev = a.events or int(10_000_000 * a.scale)
    n_ind = a.indicators or int(1_000_000 * a.scale)
    d = Path(a.dir)
    events, indicators = d / f"eve-{n_ev}-{DOMAIN_POP}.json", d / f"indicators-{n_ind}-{DOMAIN_POP}.json"
    if a.phase == "accord":
        print(json.dumps(phase_accord(events, indicators, a.threads)))
        return
    if a.phase == "read":
        print(json.dumps(phase_read(events, indicators, a.threads)))
        return
    if a.phase == "readers":
        print(json.dumps(phase_readers_compare(events, 256 << 20)))
        return
    if a.phase == "baseline":
        print(json.dumps(phase_baseline(events, indicators, a.baseline_events)))
        return
    if a.phase == "matcher":
        print(
            json.dumps(
                phase_matcher(events, indicators, a.matcher_events, a.matcher_patterns, a.matcher_budget)
            )
        )
        return
    d.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if not indicators.exists():
        gen_indicators(n_ind, indicators)
    if not events.exists():
        gen_events(n_ev, events)
    size = events.stat().st_size / 1e9
    print(f"data: {n_ev:,} events ({size:.2f} GB), {n_ind:,} indicators ({time.perf_counter() - t0:.0f} s)")
    _warm(events)
    base = ["--events", str(n_ev), "--indicators", str(n_ind), "--dir", str(d)]
    readers = _child([*base, "--phase", "readers"])
    read = _child([*base, "--phase", "read"], threads=1)
    # Accord's phase is repeated, each in a fresh process, and the median reported: on this shared
    # host the same phase has taken 20 to 26 CPU-s from one run to the next.
    runs = sorted(
        (_child([*base, "--phase", "accord"], threads=1) for _ in range(a.rounds)),
        key=lambda r: r["sweep_cpu"],
    )
    acc = runs[len(runs) // 2]
    acc_all = _child([*base, "--phase", "accord"])
    bl = _child([*base, "--phase", "baseline", "--baseline-events", str(a.baseline_events)])
    mt_args = ["--matcher-events", str(a.matcher_events), "--matcher-patterns", str(a.matcher_patterns)]
    mt = _child([*base, "--phase", "matcher", *mt_args, "--matcher-budget", str(a.matcher_budget)])
    acc_rate = acc["events"] / acc["sweep_cpu"]
    read_rate = read["events"] / read["cpu"]
    bl_rate = bl["events"] / bl["cpu"]
    mt_rate = mt["pairs"] / mt["cpu"]
    acc_pairs = acc_rate * acc["indicators"]
    rows = [
        (
            "reader choice (256 MB sample, CPU s)",
            ", ".join(f"{k} {v['cpu']:.2f}" for k, v in readers.items()),
        ),
        (
            "compile indicators",
            f"{acc['indicators']:,} in {acc['compile_wall']:.1f} s wall ({acc['compile_cpu']:.1f} s CPU)",
        ),
        (
            "raw read of selected fields, 1 thread",
            f"{read_rate:,.0f} events/CPU-s ({read['wall']:.1f} s wall)",
        ),
        (
            f"Accord end to end, --threads 1 (median of {len(runs)})",
            f"{acc_rate:,.0f} events/CPU-s ({acc['sweep_wall']:.1f} s wall, {acc['sweep_cpu']:.1f} s CPU)",
        ),
        (
            "  all runs",
            ", ".join(f"{r['events'] / r['sweep_cpu']:,.0f}" for r in runs) + " events/CPU-s",
        ),
        (
            "Accord end to end, all cores (default)",
            f"{acc_all['events'] / acc_all['sweep_cpu']:,.0f} events/CPU-s "
            f"({acc_all['sweep_wall']:.1f} s wall, {acc_all['sweep_cpu']:.1f} s CPU)",
        ),
        ("  matches / indicators sighted", f"{acc['matches']:,} / {acc['sighted']:,}"),
        (
            "  peak RSS of the sweeping process",
            f"{acc['peak_rss_mb']:,.0f} MB (after compile {acc['rss_after_compile_mb']:,.0f} MB)",
        ),
        ("Python loop (orjson+sets+py-radix)", f"{bl_rate:,.0f} events/CPU-s on {bl['events']:,} events"),
        (
            "stix2-matcher",
            f"{mt_rate:,.0f} event x pattern/CPU-s ({mt['pairs']:,} of {mt['planned_pairs']:,} pairs)",
        ),
        ("Accord / raw read", f"{read_rate / acc_rate:.2f}x slower than the ceiling"),
        ("Accord / Python loop", f"{acc_rate / bl_rate:.1f}x"),
        ("Accord / stix2-matcher", f"{acc_pairs / mt_rate:,.0f}x (event x indicator pairs per CPU-s)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"command: python bench/sweep_bench.py {' '.join(sys.argv[1:])}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
