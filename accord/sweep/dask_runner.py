"""Run `sweep_file` on a Dask distributed cluster: one task per file or byte range.

Uncompressed JSON lines and access logs are cut into byte ranges at line ends (each line belongs to the
range it starts in), so one large file keeps every worker busy; compressed files, CSV and Zeek logs (whose
header names the columns) stay whole. The compiled indicator tables are scattered once (broadcast to every
worker) and tasks refer to them by future, so a million indicators are not re-sent with every task. Each
range numbers its lines from 1 and reports how many it read; the ranges of a file are then renumbered and
combined, and merged exactly as in the local engine.
"""

from __future__ import annotations

import dataclasses
import os

from accord.sweep import formats, readers
from accord.sweep.indicators import Compiled
from accord.sweep.runner import FileResult, SweepOptions, combine, sweep_file

SPLITTABLE = ("eve", "ndjson", "combined")


def _task(path: str, comp: Compiled, opts: SweepOptions, byte_range: tuple[int, int] | None) -> FileResult:
    return sweep_file(path, comp, opts, keep_hits=True, byte_range=byte_range)


def _format(path: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    with open(path, "rb") as fh:
        return formats.detect(fh.read(65536)) or "auto"  # "auto": the task raises the usual error


def ranges(path: str, size: int) -> list[tuple[int, int]]:
    """[start, end) byte ranges of about `size` bytes, each starting at a line start."""
    total = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as fh:
        while cuts[-1] + size < total:
            fh.seek(cuts[-1] + size - 1)  # a range ending exactly at a newline keeps that line
            rest = fh.readline()
            nxt = fh.tell() if rest.endswith(b"\n") else total
            if nxt >= total:
                break
            cuts.append(nxt)
    cuts.append(total)
    return list(zip(cuts, cuts[1:], strict=False))


def plan(paths: list[str], opts: SweepOptions) -> list[tuple[str, SweepOptions, tuple[int, int] | None]]:
    """Tasks in file order: (path, options with the format fixed, byte range or None for the whole file)."""
    out = []
    for path in paths:
        fmt = _format(path, opts.fmt)
        fixed = dataclasses.replace(opts, fmt=fmt)
        if fmt in SPLITTABLE and not readers.compressed(path) and os.path.getsize(path) > opts.split_bytes:
            out.extend((path, fixed, r) for r in ranges(path, opts.split_bytes))
        else:
            out.append((path, fixed, None))
    return out


def run(paths: list[str], comp: Compiled, opts: SweepOptions, scheduler: object = None) -> list[FileResult]:
    """`scheduler` is an address, a `distributed.Client`, or None for a local cluster of this machine."""
    from distributed import Client, LocalCluster

    for p in paths:
        if not os.path.isfile(p):
            raise readers.LogError(f"{p}: no such file")
    tasks = plan(paths, opts)
    own_cluster = None
    if isinstance(scheduler, Client):
        client, own = scheduler, False
    elif scheduler:
        client, own = Client(str(scheduler)), True
    else:
        own_cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client, own = Client(own_cluster), True
    try:
        shared = client.scatter(comp, broadcast=True)
        futures = [client.submit(_task, p, shared, o, r, pure=False) for p, o, r in tasks]
        parts = client.gather(futures)
    finally:
        if own:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
    files: list[list[FileResult]] = []
    for (_, _, r), res in zip(tasks, parts, strict=True):
        if r is None or r[0] == 0:  # a whole file, or the first range of one
            files.append([])
        files[-1].append(res)
    return [combine(f) for f in files]
