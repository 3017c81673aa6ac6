"""Accord alone at scale: one collection of 1,000,000 objects, on SQLite and on PostgreSQL.

medallion cannot hold this size in reasonable time, so this script checks absolute goals instead of
ratios: bulk import rate, TAXII POST rate, that a page deep in the collection costs about the same as
the first one (keyset pagination, not OFFSET), and that the server's memory stays bounded while a
client reads everything.

    python bench/taxii_scale.py                               # 1M objects, SQLite and PostgreSQL
    python bench/taxii_scale.py --objects 100000 --db sqlite
    python bench/taxii_scale.py --self-test --objects 2000    # medallion stands in (harness check)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from _taxii_common import (
    AccordServer,
    HeaderLog,
    MedallionServer,
    RssSampler,
    Server,
    accord_available,
    cli_startup_s,
    fmt,
    ingest,
    iter_objects,
    machine,
    make_objects,
    median_times,
    paged_read,
    resolve_db,
    rss_bytes,
    scratch_dir,
    table,
    write_bundle,
)

MB = 1024 * 1024
GOALS = {"import_obj_per_s": 10_000, "post_obj_per_s": 5_000, "deep_vs_first": 1.5, "peak_rss_mb": 500}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure_server(server: Server, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Reads (full paged read under RSS sampling, first vs deep page), then the POST rate."""
    res: dict[str, Any] = {}
    with server:
        coll = server.collection()
        headers = HeaderLog(coll)
        target = int(n * args.position)
        seen = {"count": 0, "marker": None, "marker_pos": 0, "last_id": ""}

        def on_page(env: dict[str, Any]) -> None:
            objs = env.get("objects", [])
            seen["count"] += len(objs)
            if seen["marker"] is None and seen["count"] >= target and objs:
                seen.update(marker=headers.last[-1], marker_pos=seen["count"], last_id=objs[-1]["id"])

        res["idle_rss_mb"] = rss_bytes(server.pid) / MB
        log(f"[{server.name}] full paged read of {n:,} objects, limit {args.page_size}, sampling RSS")
        with RssSampler(server.pid) as rss:
            read_s, count, pages, first_s = paged_read(coll, args.page_size, on_page)
        if count != n:
            raise RuntimeError(f"paged read returned {count} objects, expected {n}")
        res.update(paged_read_s=read_s, pages=pages, peak_rss_mb=rss.peak / MB, rss_samples=len(rss.samples))
        log(f"[{server.name}]   {read_s:.1f} s, {pages} pages, peak RSS {rss.peak / MB:.0f} MB")

        marker = seen["marker"]
        if not marker:  # no X-TAXII-Date-Added-Last header: take date_added from the manifest
            entries = coll.get_manifest(id=seen["last_id"]).get("objects", [])
            marker = entries[0]["date_added"] if entries else None
            res["marker_from"] = "manifest"
        else:
            res["marker_from"] = "X-TAXII-Date-Added-Last"
        if not marker:
            raise RuntimeError("no date_added for the deep page marker")
        res.update(deep_position=seen["marker_pos"], deep_added_after=marker)

        def first_page() -> None:
            coll.get_objects(limit=args.page_size)

        def deep_page() -> None:
            env = coll.get_objects(limit=args.page_size, added_after=marker)
            if not env.get("objects"):
                raise RuntimeError(f"empty page after added_after={marker}")

        deep_page()  # warm both paths once before timing
        first_page()
        res["first_page_s"], res["deep_page_s"] = median_times([first_page, deep_page], args.repeat)
        res["deep_vs_first"] = res["deep_page_s"] / res["first_page_s"]
        log(
            f"[{server.name}]   first page {res['first_page_s'] * 1000:.1f} ms, page at "
            f"{seen['marker_pos']:,} {res['deep_page_s'] * 1000:.1f} ms"
        )

        post_n = min(args.post_objects, n) if args.post_objects else n
        extra = make_objects(post_n, seed=args.seed + 1000)
        log(f"[{server.name}] POST {post_n:,} new objects in POSTs of {args.batch} onto {n:,} stored")
        post_s = ingest(coll, extra, args.batch)
        res.update(post_objects=post_n, post_s=post_s, post_obj_per_s=post_n / post_s)
        log(f"[{server.name}]   {post_s:.1f} s")
    return res


def run_db(db: str, args: argparse.Namespace) -> dict[str, Any]:
    n = args.objects
    res: dict[str, Any] = {"db": db, "objects": n}
    with contextlib.ExitStack() as stack:
        work = stack.enter_context(scratch_dir(f"accord-scale-{db}-"))
        if args.self_test:
            server: Server = MedallionServer(work, args.page_size, preload=make_objects(n, args.seed))
            res["import_obj_per_s"] = None
        else:
            accord = AccordServer(work, resolve_db(db, stack))
            accord.setup()
            bundle = work / "bundle.json"
            t0 = time.perf_counter()
            write_bundle(bundle, iter_objects(n, args.seed))
            res["generate_s"] = time.perf_counter() - t0
            log(
                f"[{db}] generated {n:,} objects in {res['generate_s']:.1f} s "
                f"({bundle.stat().st_size / MB:.0f} MB); accord import"
            )
            res["import_s"] = accord.import_file(bundle)
            res["import_obj_per_s"] = n / res["import_s"]
            res["cli_startup_s"] = cli_startup_s()
            log(f"[{db}]   {res['import_s']:.1f} s (of which CLI start-up ~{res['cli_startup_s']:.1f} s)")
            bundle.unlink()
            server = accord
        res.update(measure_server(server, n, args))
    return res


def report(runs: list[dict[str, Any]], page_size: int, batch: int) -> str:
    def ok(good: bool) -> str:
        return "yes" if good else "NO"

    rows = []
    for r in runs:
        imp = r["import_obj_per_s"]
        rows += [
            [
                r["db"],
                "accord import (objects/s)",
                fmt(imp) if imp else "n/a",
                f"≥ {GOALS['import_obj_per_s']:,}",
                ok(bool(imp) and imp >= GOALS["import_obj_per_s"]),
            ],
            [
                r["db"],
                f"TAXII POST {r['post_objects']:,} in POSTs of {batch:,} (objects/s)",
                fmt(r["post_obj_per_s"]),
                f"≥ {GOALS['post_obj_per_s']:,}",
                ok(r["post_obj_per_s"] >= GOALS["post_obj_per_s"]),
            ],
            [r["db"], f"first page, limit {page_size} (ms)", fmt(r["first_page_s"] * 1000), "", ""],
            [
                r["db"],
                f"page at {r['deep_position']:,} via added_after (ms)",
                fmt(r["deep_page_s"] * 1000),
                f"≤ {GOALS['deep_vs_first']}× first",
                ok(r["deep_vs_first"] <= GOALS["deep_vs_first"]),
            ],
            [r["db"], f"full paged read, {r['pages']:,} pages (s)", fmt(r["paged_read_s"]), "", ""],
            [
                r["db"],
                "server peak RSS during the read (MB)",
                fmt(r["peak_rss_mb"]),
                f"< {GOALS['peak_rss_mb']}",
                ok(r["peak_rss_mb"] < GOALS["peak_rss_mb"]),
            ],
        ]
    return table(["store", "measure", "value", "goal", "met"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=1_000_000, help="objects in the collection (default 1M)")
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--page-size", type=int, default=1_000, help="page limit (default 1,000)")
    ap.add_argument("--batch", type=int, default=1_000, help="objects per POST (default 1,000)")
    ap.add_argument(
        "--post-objects",
        type=int,
        default=100_000,
        help="objects POSTed for the POST rate, at most --objects (default 100,000; 0: all)",
    )
    ap.add_argument("--position", type=float, default=0.9, help="deep page position (default 0.9)")
    ap.add_argument("--repeat", type=int, default=15, help="timings of each page, median kept (default 15)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="write the results as JSON to this file")
    ap.add_argument("--self-test", action="store_true", help="medallion preloaded instead of Accord")
    args = ap.parse_args(argv)

    if not args.self_test and not accord_available():
        log("accord CLI not importable or has no 'serve' command; use --self-test to check the harness")
        return 2
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if args.self_test:
        dbs = ["medallion"]
    runs = [run_db(db, args) for db in dbs]
    print(f"Accord at scale: {args.objects:,} objects in one collection; {machine()}")
    print(report(runs, args.page_size, args.batch))
    if args.json:
        out = {"bench": "taxii_scale", "machine": machine(), "goals": GOALS, "runs": runs}
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
