"""Accord vs medallion 3.0.0 on the same TAXII 2.1 workload, through taxii2-client, with ratios.

Each server runs alone (one after the other, so they do not compete for the 2 shared cores) on a
fresh store, and gets exactly the same requests: POSTs of 1,000 objects, single-object GETs, and a
full paged read. medallion is the anchor the issue names; its memory backend is quadratic in places,
so its paged read takes minutes: it is measured anyway, with a generous timeout.

    python bench/taxii_vs_medallion.py                     # 10,000 objects, Accord on SQLite
    python bench/taxii_vs_medallion.py --db postgres       # Accord on a fresh PostgreSQL database
    python bench/taxii_vs_medallion.py --self-test --objects 1000   # medallion on both sides
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _taxii_common import (
    AccordServer,
    MedallionServer,
    Obj,
    Server,
    accord_available,
    check_valid,
    fmt,
    get_singles,
    ingest,
    machine,
    make_objects,
    paged_read,
    resolve_db,
    scratch_dir,
    table,
)

GOALS = {"ingest": 10.0, "gets": 10.0, "paged": 100.0}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def settle_postgres(base: str = "postgresql://postgres@127.0.0.1:5432") -> None:
    """Flush what a PostgreSQL side left dirty, so the database's background writes are not charged
    to whichever side is measured next."""
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    time.sleep(1.0)


def ingest_only(server: Server, objects: list[Obj], batch: int) -> float:
    """One more ingest sample on a fresh server (stopped afterwards); returns seconds."""
    with server:
        seconds = ingest(server.collection(), objects, batch)
    log(f"[{server.name}]   extra ingest {seconds:.2f} s")
    return seconds


def run_side(
    server: Server, objects: list[Obj], ids: list[str], page_size: int, batch: int, extra_ingests: list[float]
) -> dict[str, Any]:
    """The three measurements on one running server; the server is always stopped afterwards.

    Ingest is reported as the median of this run and ``extra_ingests`` (fresh servers, measured
    before): Accord's ingest lasts a fraction of a second, so one burst of load on a shared machine
    can halve a single sample, while medallion's lasts seconds and averages such bursts out.
    """
    with server:
        coll = server.collection()
        log(f"[{server.name}] ingest {len(objects)} objects in POSTs of {batch}")
        ingest_s = ingest(coll, objects, batch)
        log(f"[{server.name}]   {ingest_s:.2f} s; {len(ids)} single GETs")
        gets_s = get_singles(coll, ids)
        log(f"[{server.name}]   {gets_s:.2f} s; full paged read, limit {page_size}")
        read_s, count, pages, first_s = paged_read(coll, page_size)
        log(f"[{server.name}]   {read_s:.2f} s ({pages} pages, first page {first_s:.2f} s)")
    if count != len(objects):
        raise RuntimeError(f"{server.name}: paged read returned {count} objects, expected {len(objects)}")
    samples = sorted([ingest_s, *extra_ingests])
    median_s = statistics.median(samples)
    return {
        "ingest_s": median_s,
        "ingest_obj_per_s": len(objects) / median_s,
        "ingest_samples_s": samples,
        "gets": len(ids),
        "gets_s": gets_s,
        "gets_per_s": len(ids) / gets_s,
        "paged_read_s": read_s,
        "pages": pages,
        "first_page_s": first_s,
    }


def report(res: dict[str, Any], sides: list[str]) -> str:
    """One row per measure and Accord store; ratio > 1 means Accord is faster."""
    m = res["medallion"]
    n = res["objects"]
    measures = [
        ("ingest", f"ingest {n:,} objects, POSTs of {res['batch']:,} (objects/s)", "ingest_obj_per_s", False),
        ("gets", f"{res['gets']:,} GETs of one object, {n:,} stored (requests/s)", "gets_per_s", False),
        ("paged", f"full paged read, limit {res['page_size']} (s)", "paged_read_s", True),
    ]
    rows = []
    res["ratios"], res["goals_met"] = {}, {}
    for side in sides:
        a = res[side]
        ratios = {
            key: (m[field] / a[field] if lower else a[field] / m[field]) for key, _, field, lower in measures
        }
        res["ratios"][side] = ratios
        res["goals_met"][side] = {k: ratios[k] >= GOALS[k] for k in GOALS}
        for key, label, field, lower in measures:
            digits = 2 if lower else 1
            rows.append(
                [
                    label,
                    side,
                    fmt(a[field], digits),
                    fmt(m[field], digits),
                    f"{ratios[key]:.1f}×",
                    f"≥ {GOALS[key]:.0f}×",
                    "yes" if ratios[key] >= GOALS[key] else "NO",
                ]
            )
    rows.sort(key=lambda r: [label for _, label, _, _ in measures].index(r[0]))
    return table(["measure", "side", "value", "medallion", "ratio", "goal", "met"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=10_000, help="workload size (default 10,000)")
    ap.add_argument("--gets", type=int, default=1_000, help="single-object GETs (default 1,000)")
    ap.add_argument("--batch", type=int, default=1_000, help="objects per POST (default 1,000)")
    ap.add_argument("--page-size", type=int, default=100, help="page limit, same for both (default 100)")
    ap.add_argument(
        "--db",
        default="sqlite",
        help="Accord store(s), comma-separated: sqlite (default), postgres (a fresh database), "
        "or a database URL; medallion runs once",
    )
    ap.add_argument("--seed", type=int, default=1, help="workload seed (default 1)")
    ap.add_argument(
        "--ingest-rounds",
        type=int,
        default=5,
        help="ingest samples per side, each on a fresh server, interleaved across sides; "
        "the median is reported (default 5)",
    )
    ap.add_argument("--json", type=Path, help="write the results as JSON to this file")
    ap.add_argument("--self-test", action="store_true", help="run medallion on both sides (harness check)")
    args = ap.parse_args(argv)

    if not args.self_test and not accord_available():
        log("accord CLI not importable or has no 'serve' command; use --self-test to check the harness")
        return 2
    objects = make_objects(args.objects, args.seed)
    check_valid(objects)
    ids = [o["id"] for o in random.Random(args.seed + 1).choices(objects, k=args.gets)]
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    res: dict[str, Any] = {
        "bench": "taxii_vs_medallion",
        "objects": args.objects,
        "gets": args.gets,
        "batch": args.batch,
        "page_size": args.page_size,
        "db": dbs,
        "machine": machine(),
    }
    sides: list[str] = []
    with contextlib.ExitStack() as stack:
        work = stack.enter_context(scratch_dir("accord-bench-"))
        names = (
            ["medallion-b"]
            if args.self_test
            else [db if db in ("sqlite", "postgres") else f"db{i}" for i, db in enumerate(dbs)]
        )
        names = names if args.self_test else [f"accord-{n}" for n in names]

        def make(name: str, db: str, tag: str, dbs_of: contextlib.ExitStack = stack) -> Server:
            if args.self_test or name == "medallion":
                return MedallionServer(work, args.page_size, label=f"{name}{tag}")
            accord = AccordServer(work, resolve_db(db, dbs_of), label=f"{name}{tag}")
            accord.setup()
            return accord

        plan = [
            *zip(names, ["medallion"] * len(names) if args.self_test else dbs, strict=True),
            ("medallion", ""),
        ]
        extra: dict[str, list[float]] = {name: [] for name, _ in plan}
        for round_no in range(1, args.ingest_rounds):
            for name, db in plan:
                with contextlib.ExitStack() as round_dbs:  # dropped before the next side runs
                    side = make(name, db, f"-r{round_no}", round_dbs)
                    extra[name].append(ingest_only(side, objects, args.batch))
                if db == "postgres":
                    settle_postgres()
        for name, db in plan:
            res[name] = run_side(make(name, db, ""), objects, ids, args.page_size, args.batch, extra[name])
            if db == "postgres":
                settle_postgres()
            if name != "medallion":
                sides.append(name)
    print(f"TAXII 2.1 through taxii2-client, medallion 3.0.0 as the anchor; {res['machine']}")
    print(report(res, sides))
    for name in [*sides, "medallion"]:
        rates = ", ".join(f"{args.objects / t:,.0f}" for t in res[name]["ingest_samples_s"])
        print(f"ingest samples, {name} (objects/s, median reported): {rates}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
