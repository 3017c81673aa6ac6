"""Private sweep vs plain sweep on the same data, in one run (issue #14).

    python bench/private_sweep_bench.py [--values 1000000] [--indicators 100000]

Writes an NDJSON log of N values (IPv4 addresses and mixed-case domains / odd URLs, one per event)
and M protected indicators (a tenth of them present in the log), then times: the plain sweep on the
log; the whole exchange through a real HTTP server (`accord serve` in another process; both sides
use every core), with the CPU seconds each process spent in it; the same sweep again, its PRF
outputs now in the partner's cache (nothing asked); then, per CPU core (CPU seconds of one thread, so
a busy host lowers them less than wall time), the partner's blind + finalize and the holder's
evaluation, for this implementation (RFC 9497 OPRF mode on libsodium) and, when it is installed, the
previous one (the `voprf` library, VOPRF mode). The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "federation"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", type=int, default=1_000_000)
    ap.add_argument("--indicators", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=20_000, help="values for the per-core rates")
    args = ap.parse_args()
    from nodes import NodeProc

    from accord.config import Settings
    from accord.node import open_node
    from accord.private_sweep import keys, oprf
    from accord.private_sweep.cache import Cache
    from accord.private_sweep.client import Client
    from accord.private_sweep.partner import event_keys, private_sweep
    from accord.store import admin
    from accord.store.engine import write_transaction
    from accord.store.objects import add_objects
    from accord.sweep import api as sweep_api
    from accord.sweep.falsepositives import FalsePositives
    from accord.sweep.indicators import compile_indicators
    from accord.sweep.runner import SweepOptions
    from accord.sync.peers import add_peer

    load_before = os.getloadavg()
    rnd = random.Random(7)
    n, m = args.values, args.indicators
    base = Path(tempfile.mkdtemp(prefix="psbench-"))
    log = base / "log.ndjson"
    ips = [
        f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}"
        for _ in range(n // 2)
    ]
    doms = [f"h{i}.Site{rnd.randrange(10**6)}.Example.COM" for i in range(n - n // 2)]
    with log.open("w") as out:
        for i, ip in enumerate(ips):
            out.write(
                json.dumps({"@timestamp": f"2024-02-01T00:00:{i % 60:02d}Z", "destination": {"ip": ip}})
                + "\n"
            )
        for i, d in enumerate(doms):
            field = (
                {"dns": {"question": {"name": d + "."}}}
                if i % 2
                else {"url": {"full": f"HTTP://{d}:80/a/../b"}}
            )
            out.write(json.dumps({"@timestamp": "2024-02-01T00:00:00Z", **field}) + "\n")
    present = m // 10
    pats = [f"[ipv4-addr:value = '{ip}']" for ip in rnd.sample(ips, present // 2)]
    pats += [f"[url:value = 'http://{d.lower()}/b']" for d in rnd.sample(doms, present - present // 2)]
    pats += [
        f"[ipv4-addr:value = '10{i % 9}.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}']"
        for i in range(m - present)
    ]
    now = "2024-01-01T00:00:00.000Z"
    objs = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": now,
            "modified": now,
            "pattern": p,
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        for p in pats
    ]
    opts = SweepOptions(fmt="ndjson", threads=1)

    t = time.perf_counter()
    comp = compile_indicators(objs, FalsePositives.load())
    plain = sweep_api.sweep([str(log)], comp, opts)
    t_plain = time.perf_counter() - t

    holder = NodeProc("holder", base)
    with write_transaction(holder.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        coll = admin.add_collection(conn, root, "red")
        for i in range(0, len(objs), 5000):
            add_objects(conn, coll, admin.add_org(conn, f"cert{i}"), objs[i : i + 5000])
        add_peer(conn, "partner", "http://partner.invalid/default/", "x")
        token = admin.create_token(conn, admin.require_org(conn, "partner"))
        keys.configure(conn, "partner", coll.uuid, 10 * n)
    partner_node, _ = open_node(Settings(base / "partner", f"sqlite:///{base / 'partner.db'}"))
    with write_transaction(partner_node.engine) as conn:
        cache = Cache(partner_node.engine, add_peer(conn, "cert", holder.root, token).id)
    holder.start()
    assert holder.process is not None
    try:
        client = Client(holder.root, token, timeout=600)
        cpu = _Cpu(holder.process.pid)
        t = time.perf_counter()
        result = private_sweep([str(log)], client, SweepOptions(fmt="ndjson"), cache)  # every core
        t_whole = time.perf_counter() - t
        cpu_partner, cpu_holder = cpu.spent()
        t = time.perf_counter()
        again = private_sweep([str(log)], client, SweepOptions(fmt="ndjson"), cache)
        t_again = time.perf_counter() - t
        client.close()
    finally:
        holder.close()
        partner_node.close()
    events, _, _ = event_keys([str(log)], opts, {"ipv4-addr:value", "url:value"})
    sample = [k.encode() for k in events["key"].unique().to_list()[: args.sample]]
    print(f"log values {n:,} (distinct asked: {result.values:,}), protected indicators {m:,}")
    print(f"plain sweep:   {t_plain:8.2f} s  {n / t_plain:12,.0f} values/s (1 thread)")
    print(f"private sweep: {t_whole:8.2f} s  {n / t_whole:12,.0f} log values/s whole exchange (all cores)")
    print(f"  steps (s): { {k: round(v, 2) for k, v in result.seconds.items()} }")
    asked = max(1, result.values)
    print(
        f"  CPU seconds: partner {cpu_partner:.1f} ({cpu_partner / asked * 1e6:.0f} µs per value asked),"
        f" holder {cpu_holder:.1f} ({cpu_holder / asked * 1e6:.0f} µs), together"
        f" {(cpu_partner + cpu_holder) / t_whole:.2f} cores busy on average"
    )
    print(
        f"again, from the cache: {t_again:8.2f} s  ({again.values:,} values asked, {again.cached:,} known;"
        f" steps { ({k: round(v, 2) for k, v in again.seconds.items()}) })"
    )
    same = "same" if plain.counts.height == result.counts.height else "DIFFERENT"
    print(f"indicators sighted: plain {plain.counts.height:,}, private {result.counts.height:,} ({same})")
    print(f"per-core rates on {len(sample):,} values (CPU seconds of this process, 1 thread):")
    for name, run in (("libsodium OPRF", _oprf_rates), ("voprf VOPRF", _voprf_rates)):
        try:
            rates = run(sample)
        except ImportError as exc:
            print(f"  {name}: not installed ({exc})")
            continue
        print(
            f"  {name:15s} partner blind+finalize {rates['partner']:8,.0f}/s"
            f" (blind {rates['blind']:,.0f}/s, finalize {rates['finalize']:,.0f}/s);"
            f" holder evaluation {rates['holder']:8,.0f}/s"
        )
    h = oprf.Holder.from_seed(oprf.new_seed())
    for threads in (1, 2):  # the same work on one thread, then two (libsodium releases the GIL)
        t = time.perf_counter()
        blinded = oprf.blind(sample, threads=threads)
        oprf.finalize(blinded, h.evaluate(blinded.elements, threads=threads), threads=threads)
        wall = time.perf_counter() - t
        rate = len(sample) / wall
        print(f"  libsodium OPRF, {threads} thread(s), blind+evaluate+finalize: {rate:,.0f}/s wall")
    after = os.getloadavg()
    print(
        f"  load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)},"
        f" after {' '.join(f'{x:.2f}' for x in after)} ({os.cpu_count()} cores)"
    )


class _Cpu:
    """CPU seconds (user + system) this process (with its finished children: the partner's worker
    processes) and the holder's spent since it was made."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = (self._self(), self._other())

    def _self(self) -> float:
        r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime

    def _other(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def spent(self) -> tuple[float, float]:
        return self._self() - self.start[0], self._other() - self.start[1]


def _cpu(fn):  # noqa: ANN001, ANN202
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def _oprf_rates(sample: list[bytes]) -> dict[str, float]:
    from accord.private_sweep import oprf

    h = oprf.Holder.from_seed(oprf.new_seed())
    blinded, tb = _cpu(lambda: oprf.blind(sample, threads=1))
    evaluated, te = _cpu(lambda: h.evaluate(blinded.elements, threads=1))  # validation included
    _, tf = _cpu(lambda: oprf.finalize(blinded, evaluated, threads=1))
    k = len(sample)
    return {"partner": k / (tb + tf), "blind": k / tb, "finalize": k / tf, "holder": k / te}


def _voprf_rates(sample: list[bytes]) -> dict[str, float]:
    """The previous implementation (``voprf`` 0.2.0, RFC 9497 VOPRF mode with batch proofs)."""
    from voprf import ristretto as r

    sample = sample[: max(1, len(sample) // 2)]
    ev = r.Evaluator.from_seed(bytes(32), b"bench")
    pk = r.PublicKey.deserialize(bytes(ev.public_key.serialize()))
    pairs, tb = _cpu(lambda: [r.Client.blind(v) for v in sample])
    elements = [bytes(b.serialize()) for _, b in pairs]
    size = 4096

    def evaluate() -> list[bytes]:
        out = []
        for i in range(0, len(elements), size):
            inputs = [r.BlindedInput.deserialize(e) for e in elements[i : i + size]]
            out.append(bytes(ev.evaluate_batch(inputs).serialize()))
        return out

    answers, te = _cpu(evaluate)

    def finalize() -> None:
        for i, answer in enumerate(answers):
            clients = [c for c, _ in pairs[i * size : (i + 1) * size]]
            r.Client.finalize_batch(clients, r.VerifiableBatchOutput.deserialize(answer), pk)

    _, tf = _cpu(finalize)
    k = len(sample)
    return {"partner": k / (tb + tf), "blind": k / tb, "finalize": k / tf, "holder": k / te}


if __name__ == "__main__":
    main()
