"""Audit log benchmark: append N records, then time an inclusion proof and a full verification.

python bench/audit_bench.py --n 1000000                 # SQLite in a temporary directory
python bench/audit_bench.py --n 200000 --db postgresql+psycopg://postgres@127.0.0.1/accord_bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from accord.audit import merkle
from accord.audit.heads import sign_tree_head
from accord.audit.keys import load_or_create_key
from accord.audit.log import append, append_many, get_entry, inclusion_proof
from accord.audit.tables import AUDIT_TABLES, create_audit_tables
from accord.audit.verify import verify_log
from accord.store.schema import metadata

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _record(i: int) -> tuple[str, dict, datetime]:
    return (
        "object",
        {"id": f"indicator--{i:08d}-0000-4000-8000-000000000000", "op": "add", "coll": "shared", "v": i},
        T0 + timedelta(milliseconds=i),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLAlchemy URL (default: SQLite file in a temp dir)")
    parser.add_argument("--batch", type=int, default=1000, help="appends per transaction")
    parser.add_argument("--single", type=int, default=20_000, help="records appended one call at a time")
    parser.add_argument("--proofs", type=int, default=200)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="accord-audit-bench-")
    engine = sa.create_engine(args.db or f"sqlite:///{tmp}/accord.db")
    metadata.drop_all(engine, tables=list(AUDIT_TABLES))
    create_audit_tables(engine)
    key = load_or_create_key(tmp)
    print(f"backend: {engine.dialect.name}, records: {args.n:,}, batch: {args.batch} per transaction")

    single = min(args.single, args.n)
    started = time.perf_counter()
    for base in range(0, single, args.batch):
        with engine.begin() as conn:
            for i in range(base, min(base + args.batch, single)):
                append(conn, *_record(i))
    elapsed = time.perf_counter() - started
    print(f"append() one record per call:  {single / elapsed:,.0f} records/s ({single:,} records)")

    started = time.perf_counter()
    for base in range(single, args.n, args.batch):
        with engine.begin() as conn:
            append_many(conn, [_record(i) for i in range(base, min(base + args.batch, args.n))])
    elapsed = time.perf_counter() - started
    if args.n > single:
        print(f"append_many() batches:        {(args.n - single) / elapsed:,.0f} records/s")

    with engine.begin() as conn:
        head = sign_tree_head(conn, key, datetime.now(UTC))
    rng = random.Random(1)
    generate, check = [], []
    with engine.connect() as conn:
        for _ in range(args.proofs):
            index = rng.randrange(head.tree_size)
            t0 = time.perf_counter()
            path = inclusion_proof(conn, index, head.tree_size)
            t1 = time.perf_counter()
            leaf = get_entry(conn, index).leaf_hash
            t2 = time.perf_counter()
            assert merkle.verify_inclusion(leaf, index, head.tree_size, path, head.root_hash)
            t3 = time.perf_counter()
            generate.append(t1 - t0)
            check.append(t3 - t2)
    gen_ms, check_ms = statistics.median(generate) * 1000, statistics.median(check) * 1000
    print(
        f"inclusion proof ({len(path)} hashes) generation: median {gen_ms:.2f} ms, "
        f"max {max(generate) * 1000:.2f} ms"
    )
    print(f"inclusion proof verification: median {check_ms:.3f} ms, max {max(check) * 1000:.3f} ms")

    started = time.perf_counter()
    with engine.connect() as conn:
        report = verify_log(conn, key.public_key())
    elapsed = time.perf_counter() - started
    assert report.ok, report.problems
    rate = report.tree_size / elapsed
    print(f"full-log verify ({report.tree_size:,} records): {elapsed:.1f} s ({rate:,.0f} records/s)")


if __name__ == "__main__":
    main()
