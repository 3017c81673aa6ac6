"""Accuracy and throughput of accord.extract against iocextract, ioc-finder, msticpy and iocsearcher.

All tools get the same text per document (read by accord.extract.readers, so file parsing is not what
is compared) and their outputs go through the same canonicaliser before scoring against the
hand-built labels in tests/corpus/labels.json. A predicted domain/IP that is the host of a labelled
URL or e-mail, or the network address of a labelled CIDR, is neither rewarded nor punished (tools
differ on whether to repeat hosts). Each tool is scored on the types it claims to extract.

    python bench/extract_bench.py [--mb 10] [--budget 30] [--tools accord,iocextract,...]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from accord.extract import extract_text, find_indicators, read_document
from accord.extract.core import TYPES
from accord.extract.idn import to_unicode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
Result = dict[str, set[str]]


# --- canonical forms shared by every tool ------------------------------------------------------


def canon(kind: str, value: str) -> str:
    v = value.strip().rstrip(".,;:!?)]}'\"")
    try:
        if kind in ("ipv4", "ipv6"):
            return str(ipaddress.ip_address(v.strip("[]")))
        if kind == "cidr":
            return str(ipaddress.ip_network(v, strict=False))
    except ValueError:
        return v
    if kind == "domain":
        return to_unicode(v) or v.lower()
    if kind == "url":
        scheme, sep, rest = v.partition("://")
        if not sep:
            return v
        host, slash, tail = rest.partition("/")
        return f"{scheme.lower()}://{to_unicode(host) or host.lower()}{slash}{tail}"
    if kind in ("email", "md5", "sha1", "sha256", "sha512", "file"):
        return v.lower()
    if kind in ("cve", "attack"):
        return v.upper()
    if kind == "registry":
        return v.replace("\\\\", "\\").lower()
    if kind == "asn":
        digits = "".join(c for c in v if c.isdigit())
        return f"AS{int(digits)}" if digits else v
    return v


# --- tools --------------------------------------------------------------------------------------


def run_accord(text: str) -> Result:
    return {k: set(v) for k, v in find_indicators(text).items()}


def make_iocextract() -> tuple[Callable[[str], Result], set[str]]:
    import iocextract

    def run(text: str) -> Result:
        return {
            "url": set(iocextract.extract_urls(text, refang=True)),
            "ipv4": set(iocextract.extract_ipv4s(text, refang=True)),
            "ipv6": set(iocextract.extract_ipv6s(text)),
            "email": set(iocextract.extract_emails(text, refang=True)),
            "md5": set(iocextract.extract_md5_hashes(text)),
            "sha1": set(iocextract.extract_sha1_hashes(text)),
            "sha256": set(iocextract.extract_sha256_hashes(text)),
            "sha512": set(iocextract.extract_sha512_hashes(text)),
        }

    return run, {"url", "ipv4", "ipv6", "email", "md5", "sha1", "sha256", "sha512"}


IOC_FINDER_MAP = {
    "urls": "url",
    "domains": "domain",
    "ipv4s": "ipv4",
    "ipv6s": "ipv6",
    "ipv4_cidrs": "cidr",
    "ipv6_cidrs": "cidr",
    "email_addresses": "email",
    "md5s": "md5",
    "sha1s": "sha1",
    "sha256s": "sha256",
    "sha512s": "sha512",
    "cves": "cve",
    "attack_techniques": "attack",
    "bitcoin_addresses": "btc",
    "registry_key_paths": "registry",
    "asns": "asn",
}


def make_ioc_finder() -> tuple[Callable[[str], Result], set[str]]:
    from ioc_finder import find_iocs

    def run(text: str) -> Result:
        found = find_iocs(text, included_ioc_types=list(IOC_FINDER_MAP))
        out: Result = defaultdict(set)
        for key, kind in IOC_FINDER_MAP.items():
            values = found.get(key, [])
            if isinstance(values, dict):
                values = [x for vs in values.values() for x in vs]
            out[kind].update(values)
        return out

    return run, set(IOC_FINDER_MAP.values())


MSTIC_MAP = {
    "ipv4": "ipv4",
    "ipv6": "ipv6",
    "dns": "domain",
    "url": "url",
    "email": "email",
    "md5_hash": "md5",
    "sha1_hash": "sha1",
    "sha256_hash": "sha256",
}


def make_msticpy() -> tuple[Callable[[str], Result], set[str]]:
    logging.disable(logging.CRITICAL)
    from msticpy.transform.iocextract import IoCExtract

    extractor = IoCExtract()

    def run(text: str) -> Result:
        found = extractor.extract(src=text)
        out: Result = defaultdict(set)
        for key, kind in MSTIC_MAP.items():
            out[kind].update(found.get(key, set()))
        return out

    return run, set(MSTIC_MAP.values())


SEARCHER_MAP = {
    "url": "url",
    "fqdn": "domain",
    "ip4": "ipv4",
    "ip6": "ipv6",
    "ip4Net": "cidr",
    "email": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "sha512": "sha512",
    "cve": "cve",
    "ttp": "attack",
    "bitcoin": "btc",
}


def make_iocsearcher() -> tuple[Callable[[str], Result], set[str]]:
    from iocsearcher.searcher import Searcher

    searcher = Searcher()

    def run(text: str) -> Result:
        out: Result = defaultdict(set)
        for ioc in searcher.search_data(text):
            kind = SEARCHER_MAP.get(ioc.name)
            if kind:
                out[kind].add(ioc.value)
        return out

    return run, set(SEARCHER_MAP.values())


TOOLS: dict[str, Callable[[], tuple[Callable[[str], Result], set[str]]]] = {
    "accord": lambda: (run_accord, set(TYPES)),
    "iocextract": make_iocextract,
    "ioc-finder": make_ioc_finder,
    "msticpy": make_msticpy,
    "iocsearcher": make_iocsearcher,
}


# --- scoring --------------------------------------------------------------------------------------


def hosts_of(gold: Result) -> tuple[set[str], set[str]]:
    """Hosts of gold URLs/e-mails and CIDR network addresses: not scored either way."""
    domains, ips = set(), set()
    for url in gold.get("url", ()):
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].rsplit(":", 1)[0]
        (ips if host.replace(".", "").isdigit() else domains).add(host)
    for email in gold.get("email", ()):
        domains.add(email.split("@", 1)[1])
    for net in gold.get("cidr", ()):
        ips.add(net.split("/", 1)[0])
    return domains, ips


def score(pred: Result, gold: Result, supported: set[str]) -> dict[str, list[int]]:
    """Per type [tp, fp, fn]."""
    ign_domains, ign_ips = hosts_of(gold)
    out: dict[str, list[int]] = {}
    for kind in supported:
        p = {canon(kind, v) for v in pred.get(kind, ())}
        g = {canon(kind, v) for v in gold.get(kind, ())}
        if kind == "domain":
            p -= ign_domains - g
        if kind == "ipv4":
            p -= ign_ips - g
        out[kind] = [len(p & g), len(p - g), len(g - p)]
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def accuracy(docs: list[tuple[str, str, str, Result]], tools: list[str]) -> dict:
    table: dict = {}
    for name in tools:
        run, supported = TOOLS[name]()
        per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        misses: list[str] = []
        for doc, lang, text, gold in docs:
            pred = run(text)
            for kind, (tp, fp, fn) in score(pred, gold, supported).items():
                for key, bucket in ((lang, per_lang), ("all", per_lang), (kind, per_type)):
                    b = bucket[key]
                    b[0] += tp
                    b[1] += fp
                    b[2] += fn
                if name == "accord" and (fp or fn):
                    p = {canon(kind, v) for v in pred.get(kind, ())}
                    g = {canon(kind, v) for v in gold.get(kind, ())}
                    misses.append(f"{doc} {kind} fp={sorted(p - g)} fn={sorted(g - p)}")
        table[name] = {
            "lang": dict(per_lang),
            "type": dict(per_type),
            "supported": sorted(supported),
            "misses": misses,
        }
    return table


def throughput(
    texts: list[str], tools: list[str], mb: float, budget: float
) -> dict[str, tuple[float, float]]:
    """MB/s on one core: documents fed in turn until `mb` MB or `budget` seconds are used."""
    out = {}
    target = mb * 1e6
    for name in tools:
        run, _ = TOOLS[name]()
        done, start, i = 0, time.perf_counter(), 0
        while done < target and time.perf_counter() - start < budget:
            text = texts[i % len(texts)]
            run(text)
            done += len(text.encode("utf-8"))
            i += 1
        elapsed = time.perf_counter() - start
        out[name] = (done / 1e6, done / 1e6 / elapsed)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--mb", type=float, default=10.0, help="throughput corpus size in MB")
    ap.add_argument("--budget", type=float, default=30.0, help="max seconds per tool for throughput")
    ap.add_argument("--misses", action="store_true", help="print accord's errors per document")
    ap.add_argument("--json", type=Path, help="also write raw figures here")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    tools = args.tools.split(",")

    labels = json.loads((CORPUS / "labels.json").read_text("utf-8"))
    docs = []
    for name, entry in labels.items():
        text = read_document(CORPUS / "docs" / name)
        gold = {k: set(v) for k, v in entry["indicators"].items()}
        docs.append((name, entry["lang"], text, gold))
    n_gold = sum(len(v) for _, _, _, g in docs for v in g.values())
    print(f"corpus: {len(docs)} documents, {n_gold} labelled indicators")

    acc = accuracy(docs, tools)
    langs = ["en", "ar", "zh", "all"]
    print("\n## Accuracy (precision / recall, each tool on the types it supports)\n")
    print("| tool | types | " + " | ".join(langs) + " |")
    print("|---|---|" + "---|" * len(langs))
    for name in tools:
        cells = []
        for lang in langs:
            p, r = prf(*acc[name]["lang"].get(lang, [0, 0, 0]))
            cells.append(f"{p:.3f} / {r:.3f}")
        print(f"| {name} | {len(acc[name]['supported'])} | " + " | ".join(cells) + " |")

    print("\n## Per type (precision / recall; - = not supported)\n")
    print("| type | n | " + " | ".join(tools) + " |")
    print("|---|---|" + "---|" * len(tools))
    for kind in TYPES:
        n = sum(len(g.get(kind, ())) for _, _, _, g in docs)
        cells = []
        for name in tools:
            if kind not in acc[name]["type"]:
                cells.append("-")
                continue
            p, r = prf(*acc[name]["type"][kind])
            cells.append(f"{p:.2f} / {r:.2f}")
        print(f"| {kind} | {n} | " + " | ".join(cells) + " |")

    texts = [t for _, _, t, _ in docs]
    if "accord" in tools:
        # Same run with entity matching and language detection on as well (the full `extract_text`).
        TOOLS["accord+entities"] = lambda: (lambda text: extract_text(text).indicators, set(TYPES))
        tools.insert(tools.index("accord") + 1, "accord+entities")
    tp = throughput(texts, tools, args.mb, args.budget)
    print(f"\n## Throughput (one core, report prose, up to {args.mb:g} MB or {args.budget:g} s per tool)\n")
    print("| tool | MB processed | MB/s |")
    print("|---|---|---|")
    for name in tools:
        print(f"| {name} | {tp[name][0]:.1f} | {tp[name][1]:.2f} |")
    if args.misses and "accord" in acc:
        print("\naccord errors:")
        print("\n".join(acc["accord"]["misses"]))
    if args.json:
        args.json.write_text(json.dumps({"accuracy": acc, "throughput": tp}, indent=1, default=list))


if __name__ == "__main__":
    main()
