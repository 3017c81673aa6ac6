"""Federation under faults: three `accord serve` nodes, kills and partitions during a large sync.

Runs the scenario of tests/federation/test_chaos.py (links made with the documented CLI only, faults
alternating `kill -9` and a closed port, A writing new versions, revocations and deletions
meanwhile) and prints how long after the last fault every node held exactly what the TLP table
lets reach it, and how many sync passes each link needed for it.
Usage: python bench/federation_chaos.py [--objects 50000] [--faults 8] [--interval 10] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).parent.parent / "tests" / "federation"),
    str(Path(__file__).parent.parent / "tests"),
]

from chaos import converged, corpus, run_chaos, set_up  # noqa: E402
from nodes import NodeProc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--faults", type=int, default=8)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        made: list[NodeProc] = []

        def make(name: str) -> NodeProc:
            made.append(NodeProc(name, Path(tmp)))
            return made[-1]

        try:
            started = time.monotonic()
            fed = set_up(make, args.interval)
            versions, names = corpus(args.objects, args.seed)
            result = run_chaos(fed, versions, names, args.faults, args.seed)
            assert converged(fed)
            total = time.monotonic() - started
        finally:
            for node in made:
                node.close()
    print(
        f"objects imported on A: {len(versions):,}; written during the faults: {result.writes_during:,}; "
        f"deletions: {result.deletions}"
    )
    print("faults:", ", ".join(result.faults))
    print(
        f"converged {result.converged_after_s:.1f} s after the last fault "
        f"({result.converged_after_s / args.interval:.2f} intervals of {args.interval:g} s)"
    )
    print("successful passes per link after the last fault, until converged:", result.passes_after)
    print(f"whole run (set-up through the CLI included): {total:.0f} s")


if __name__ == "__main__":
    main()
