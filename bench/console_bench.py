"""The analyst console on the node-core data set: every page's response time against the 200 ms goal.

Loads the node-core benchmark collection (1,000,000 generated objects by default, through `accord
import`), starts `accord serve`, signs in through the sign-in form like a browser (CSRF token and
session cookie), then fetches each page `--repeat` times, interleaved, and prints the median and the
worst time per page. Value searches are timed twice: a value added last (the common case: what
arrived today) and the very first object stored (the worst case for a search that walks back in
time); the table says whether each search found its object on the first page. Timing starts once the
server's value index has caught up with the import (the bench reports how long that took).

    python bench/console_bench.py                        # 1M objects, SQLite
    python bench/console_bench.py --objects 100000 --db postgres
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import requests
from _taxii_common import (
    AccordServer,
    iter_objects,
    machine,
    resolve_db,
    scratch_dir,
    write_bundle,
)

GOAL_MS = 200.0
_OBJECT_LINK = re.compile(r'href="(/intel/[^/"]+/[a-z0-9-]+--[0-9a-f-]{36})"')


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _value(obj: dict[str, Any]) -> str:
    """The literal of an indicator's pattern: what an analyst pastes into the search box."""
    found = re.search(r"= '([^']+)'", obj["pattern"])
    assert found, obj["pattern"]
    return found.group(1)


def sign_in(base: str, token: str) -> requests.Session:
    """Sign in as a browser does: read the form's CSRF token, post it with the organization's token."""
    session = requests.Session()
    form = session.get(f"{base}/signin", timeout=60)
    form.raise_for_status()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if csrf is None:
        raise RuntimeError("the sign-in form has no CSRF token")
    resp = session.post(
        f"{base}/signin", data={"csrf": html.unescape(csrf.group(1)), "token": token}, timeout=60
    )
    resp.raise_for_status()
    if "/dashboard" not in resp.url:
        raise RuntimeError(f"sign-in did not reach the dashboard: {resp.url}")
    return session


def time_pages(session: requests.Session, base: str, pages: dict[str, str], repeat: int) -> dict[str, Any]:
    """Each page `repeat` times, round-robin so load changes hit every page alike."""
    times: dict[str, list[float]] = {name: [] for name in pages}
    bodies: dict[str, str] = {}
    for _ in range(repeat):
        for name, path in pages.items():
            t0 = time.perf_counter()
            resp = session.get(base + path, timeout=120)
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200:
                raise RuntimeError(f"{name}: GET {path} answered {resp.status_code}")
            times[name].append(elapsed * 1000)
            bodies[name] = resp.text
    return {
        name: {
            "path": pages[name],
            "median_ms": statistics.median(ts),
            "max_ms": max(ts),
            "bytes": len(bodies[name]),
        }
        for name, ts in times.items()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=1_000_000, help="objects in the collection (default 1M)")
    ap.add_argument("--db", default="sqlite", help="sqlite (default), postgres (a fresh database) or a URL")
    ap.add_argument("--repeat", type=int, default=15, help="fetches of each page (default 15)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="write the results as JSON to this file")
    args = ap.parse_args(argv)

    first_indicator: dict[str, Any] | None = None
    last_indicator: dict[str, Any] | None = None

    def objects() -> Any:
        nonlocal first_indicator, last_indicator
        for obj in iter_objects(args.objects, args.seed):
            if obj["type"] == "indicator":
                first_indicator = first_indicator or obj
                last_indicator = obj
            yield obj

    with contextlib.ExitStack() as stack:
        work = stack.enter_context(scratch_dir("accord-console-bench-"))
        accord = AccordServer(work, resolve_db(args.db, stack), label=f"accord-{args.db}")
        accord.setup()
        bundle = work / "bundle.json"
        log(f"writing {args.objects:,} objects")
        write_bundle(bundle, objects())
        log("accord import")
        import_s = accord.import_file(bundle)
        assert first_indicator and last_indicator
        with accord:
            base = accord.base
            session = sign_in(base, accord.password)
            log("waiting for the value index to catch up with the import")
            t0 = time.perf_counter()
            while (
                "carrying exactly"
                not in session.get(f"{base}/intel?q={_value(first_indicator)}", timeout=120).text
            ):
                if time.perf_counter() - t0 > 3600:
                    raise RuntimeError("the value index did not catch up within an hour")
                time.sleep(2)
            index_s = time.perf_counter() - t0
            listing = session.get(f"{base}/intel?type=indicator", timeout=120).text
            link = _OBJECT_LINK.search(listing)
            if link is None:
                raise RuntimeError("no object link on the intelligence page")
            pages = {
                "dashboard": "/dashboard",
                "intelligence, newest": "/intel",
                "search by type (indicator)": "/intel?type=indicator",
                "search by TLP (amber)": "/intel?tlp=amber",
                "search by value, added last": f"/intel?q={_value(last_indicator)}",
                "search by value, added first": f"/intel?q={_value(first_indicator)}",
                "search by text contained (a page of the scan)": "/intel?q=example.com&match=contains",
                "object page": link.group(1),
                "requests": "/requests",
                "peers": "/peers",
                "audit": "/audit",
                "sweep": "/sweep",
            }
            log(f"timing {len(pages)} pages x {args.repeat}")
            results = time_pages(session, base, pages, args.repeat)
            found = {
                "search by value, added last": last_indicator["id"],
                "search by value, added first": first_indicator["id"],
            }
            for name, stix_id in found.items():
                body = session.get(base + pages[name], timeout=120).text
                results[name]["found_on_first_page"] = stix_id in body

    print(
        f"Accord console, {args.objects:,} objects ({args.db}); import {import_s:.0f} s, value index "
        f"complete {index_s:.0f} s after the server started; {machine()}"
    )
    print(f"| page | median (ms) | worst of {args.repeat} (ms) | goal |")
    print("|---|---|---|---|")
    for name, r in results.items():
        note = ""
        if "found_on_first_page" in r:
            note = " (found on the first page)" if r["found_on_first_page"] else " (**not** on page 1)"
        verdict = "met" if r["median_ms"] < GOAL_MS else "**not met**"
        print(f"| {name}{note} | {r['median_ms']:.1f} | {r['max_ms']:.1f} | < {GOAL_MS:.0f} ms: {verdict} |")
    if args.json:
        args.json.write_text(json.dumps({"objects": args.objects, "db": args.db, "pages": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
