"""Run `sweep_file` on a Dask distributed cluster: one task per file.

The compiled indicator tables are scattered once (broadcast to every worker) and tasks refer to them by
future, so a million indicators are not re-sent with every task. Results come back per file and are
merged exactly as in the local engine.
"""

from __future__ import annotations

from accord.sweep.indicators import Compiled
from accord.sweep.runner import FileResult, SweepOptions, sweep_file


def _task(path: str, comp: Compiled, opts: SweepOptions) -> FileResult:
    return sweep_file(path, comp, opts, keep_hits=True)


def run(paths: list[str], comp: Compiled, opts: SweepOptions, scheduler: object = None) -> list[FileResult]:
    """`scheduler` is an address, a `distributed.Client`, or None for a local cluster of this machine."""
    from distributed import Client, LocalCluster

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
        futures = [client.submit(_task, p, shared, opts, pure=False) for p in paths]
        return client.gather(futures)
    finally:
        if own:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
