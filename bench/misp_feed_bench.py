"""MISP feed benchmark: ``accord misp feed pull`` vs misp-stix's conversion alone, in one run.

Generates (deterministically, seeded) a MISP feed directory as MISP and PyMISP write one
(``manifest.json``, one ``<uuid>.json`` per event, ``hashes.csv``) with real-world shapes: mixed
attribute types (IPs, ip|port, domains, domain|ip, hostnames, URLs, hashes, filename|sha256, email,
link, text, comments in English, Arabic and Chinese), a few huge events among many small ones, file
and domain-ip objects, galaxies (some with two clusters), tags (tlp:white/clear/green/amber/
amber+strict/red, spelled in either case, and others), sightings, deleted attributes and objects,
a few unpublished events, distribution 0-5 (4 with a sharing group). Then, each in a process of its
own (CPU seconds and peak RSS of that process alone, interpreter start and imports included):

  (a) misp-stix alone: each event file read and parsed, ``MISPtoSTIX21Parser().parse_misp_event``
      (the call ``accord.misp.to_stix`` makes), nothing kept;
  (b) Accord end to end on a fresh node (SQLite), as a user runs it: ``accord init``,
      ``accord org add``, ``accord collection add``, then, measured, ``accord misp feed pull DIR
      --collection C --producer ORG``.

It prints STIX objects and MISP attributes per CPU-second (and per wall-second) for both, Accord's
CPU overhead over the conversion alone (goal: < 30 %) and the pull's peak RSS (goal: < 1 GB).

    python bench/misp_feed_bench.py                       # 10,000 events, 1,000,000 attributes
    python bench/misp_feed_bench.py --scale 0.25          # a quarter of both
    python bench/misp_feed_bench.py --events 500 --attributes 20000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

SEED = 20241013
GOAL_OVERHEAD = 0.30
GOAL_RSS_MB = 1024
ORG = "cert-bench"

# (type, category, weight): what MISP feeds mostly carry.
TYPES = [
    ("ip-dst", "Network activity", 18),
    ("ip-src", "Network activity", 6),
    ("ip-dst|port", "Network activity", 5),
    ("domain", "Network activity", 15),
    ("domain|ip", "Network activity", 4),
    ("hostname", "Network activity", 6),
    ("url", "Network activity", 12),
    ("md5", "Payload delivery", 8),
    ("sha1", "Payload delivery", 5),
    ("sha256", "Payload delivery", 8),
    ("filename|sha256", "Payload delivery", 4),
    ("email-src", "Payload delivery", 3),
    ("link", "External analysis", 2),
    ("text", "Other", 2),
    ("comment", "Other", 2),
]
_TYPE_NAMES = [t for t, _, _ in TYPES]
_TYPE_WEIGHTS = [w for _, _, w in TYPES]
_CATEGORY = {t: c for t, c, _ in TYPES}

WORDS = [
    "secure", "update", "login", "cloud", "mail", "portal", "cdn", "static", "api", "account",
    "verify", "office", "docs", "drive", "bank", "pay", "shop", "news", "micro", "soft", "net",
    "data", "sync", "auth", "token", "service", "support", "online", "web", "app",
]  # fmt: skip
TLDS = ["com", "net", "org", "info", "ru", "cn", "xyz", "top", "io", "biz", "co.uk", "com.br", "online"]
UNICODE_DOMAINS = ["مثال.إختبار", "例子.中国", "пример.рф", "bücher.de", "xn--80ak6aa92e.com"]
COMMENTS = [
    "C2 server seen in the campaign",
    "Phishing landing page",
    "خادم القيادة والتحكم المستخدم في الحملة",
    "تم رصده في رسائل التصيد الاحتيالي",
    "命令与控制服务器",
    "钓鱼邮件中的恶意附件",
    "Observed by partner CERT — see report §3.2",
    "IOC from sandbox run; médiocre confiance",
    "",
]
TEXTS = [
    "The actor used spear-phishing with ISO attachments.\nSecond stage fetched over HTTPS.",
    "استخدم المهاجم رسائل تصيد تحتوي على مرفقات خبيثة، ثم قام بتنزيل المرحلة الثانية.",
    "攻击者使用带有恶意附件的鱼叉式网络钓鱼邮件，随后下载第二阶段载荷。",
    "Mixed: الحملة 活动 campaign — 2024 Q3 «summary»",
]
FILENAMES = [
    "invoice_2024.pdf.exe", "scan 0042.docm", "update.ps1", "فاتورة.pdf.exe", "发票.doc", "setup (1).msi",
    "payload.dll", "readme.txt.lnk", "отчёт.xlsm",
]  # fmt: skip
EVENT_INFOS = [
    "OSINT - Phishing campaign targeting banks",
    "Malspam with ISO attachments",
    "حملة تصيد تستهدف القطاع الحكومي",
    "针对金融行业的钓鱼活动",
    "Ransomware affiliate infrastructure",
    "Botnet C2 tracker export",
    "APT activity — indicators from partner",
]
TLP_TAGS = [
    "tlp:white", "tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red", "TLP:GREEN",
    "TLP:AMBER", None, None,
]  # fmt: skip
TLP_WEIGHTS = [10, 8, 30, 15, 6, 3, 5, 3, 10, 10]
OTHER_TAGS = [
    'osint:source-type="blog-post"',
    "type:OSINT",
    'admiralty-scale:source-reliability="b"',
    'estimative-language:likelihood-probability="likely"',
    'circl:incident-classification="malware"',
    'workflow:state="complete"',
    'misp:threat-level="high-risk"',
]
ORGS = [
    ("CIRCL", "55f6ea5e-2c60-40e5-964f-47a8950d210f"),
    ("CERT-Bund", "5cd9e3e0-5a34-4a63-a5b4-4e7e0a8d7b10"),
    ("مركز الاستجابة", "8a0f4a35-0d5c-4a1e-9e26-2f1b6c3d7e01"),
    ("国家互联网应急中心", "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"),
    ("Umbrella Corporation", "91050751-c1c9-4944-a522-db6390cec15b"),
]
# Galaxy clusters shared by many events: (galaxy type, galaxy name, cluster value).
CLUSTERS = [
    ("threat-actor", "Threat Actor", "APT28"),
    ("threat-actor", "Threat Actor", "Lazarus Group"),
    ("threat-actor", "Threat Actor", "MuddyWater"),
    ("mitre-attack-pattern", "Attack Pattern", "Spearphishing Attachment - T1566.001"),
    ("mitre-attack-pattern", "Attack Pattern", "Ingress Tool Transfer - T1105"),
    ("mitre-malware", "Malware", "BISCUIT - S0017"),
    ("mitre-malware", "Malware", "PlugX - S0013"),
    ("tool", "Tool", "Cobalt Strike"),
    ("ransomware", "Ransomware", "LockBit"),
]
_NS = uuid.UUID("5b1c0d8e-7f3a-4c2b-9e6d-0a1b2c3d4e5f")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------------ the feed


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.t0 = 1_700_000_000

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ip(self) -> str:
        r = self.rng
        if r.random() < 0.08:
            return f"2001:db8:{r.randrange(65536):x}:{r.randrange(65536):x}::{r.randrange(1, 65536):x}"
        first = r.choice([5, 23, 31, 45, 62, 77, 91, 103, 141, 176, 185, 194, 203, 212])
        return f"{first}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def domain(self) -> str:
        r = self.rng
        if r.random() < 0.03:
            return r.choice(UNICODE_DOMAINS)
        name = "-".join(r.sample(WORDS, r.choice([1, 2, 2, 3])))
        if r.random() < 0.4:
            name += str(r.randrange(1000))
        text = f"{name}.{r.choice(TLDS)}"
        return text.upper() if r.random() < 0.02 else text

    def hostname(self) -> str:
        return f"{self.rng.choice(['www', 'mail', 'cdn', 'update', 'vpn', 'login'])}.{self.domain()}"

    def hexstr(self, n: int) -> str:
        text = f"{self.rng.getrandbits(n * 4):0{n}x}"
        return text.upper() if self.rng.random() < 0.03 else text

    def url(self) -> str:
        r = self.rng
        scheme = r.choice(["http", "https", "https", "http"])
        host = self.hostname() if r.random() < 0.7 else self.ip()
        port = f":{r.choice([8080, 8443, 4444])}" if r.random() < 0.1 else ""
        path = "/" + "/".join(r.sample(WORDS, r.randrange(1, 4)))
        if r.random() < 0.3:
            path += f".php?id={r.randrange(10**6)}&ref={r.choice(WORDS)}"
        if r.random() < 0.03:
            path += "/مستند/文件"
        return f"{scheme}://{host}{port}{path}"

    def value(self, typ: str) -> str:
        r = self.rng
        if typ in ("ip-dst", "ip-src"):
            return self.ip()
        if typ == "ip-dst|port":
            return f"{self.ip()}|{r.choice([80, 443, 8080, 4444, 53, 25, 3389])}"
        if typ == "domain":
            return self.domain()
        if typ == "domain|ip":
            return f"{self.domain()}|{self.ip()}"
        if typ == "hostname":
            return self.hostname()
        if typ == "url":
            return self.url()
        if typ == "md5":
            return self.hexstr(32)
        if typ == "sha1":
            return self.hexstr(40)
        if typ == "sha256":
            return self.hexstr(64)
        if typ == "filename|sha256":
            return f"{r.choice(FILENAMES)}|{self.hexstr(64)}"
        if typ == "email-src":
            return f"{r.choice(WORDS)}.{r.choice(WORDS)}{r.randrange(100)}@{self.domain()}"
        if typ == "link":
            return f"https://blog.{self.domain()}/{r.choice(WORDS)}-{r.randrange(10**5)}"
        return r.choice(TEXTS)  # text, comment

    def distribution(self, inherit_share: float) -> str:
        r = self.rng
        if r.random() < inherit_share:
            return "5"
        return r.choices(["0", "1", "2", "3", "4"], [3, 8, 5, 12, 2])[0]

    def sharing_group(self) -> dict[str, Any]:
        members = self.rng.sample(ORGS, 2)
        return {
            "id": "7",
            "name": "Regional CSIRTs",
            "uuid": "2d1f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7",
            "SharingGroupOrg": [{"Organisation": {"name": n, "uuid": u}} for n, u in members],
        }

    def tag(self, name: str) -> dict[str, Any]:
        return {"name": name, "colour": "#33FF00", "exportable": True}

    def sighting(self, ts: int) -> dict[str, Any]:
        name, org_uuid = self.rng.choice(ORGS)
        return {
            "uuid": self.uid(),
            "type": self.rng.choice(["0", "0", "0", "1"]),
            "date_sighting": str(ts + self.rng.randrange(1, 86400 * 30)),
            "source": "",
            "Organisation": {"name": name, "uuid": org_uuid},
        }

    def attribute(self, typ: str, ts: int, *, relation: str | None = None) -> dict[str, Any]:
        r = self.rng
        attr: dict[str, Any] = {
            "uuid": self.uid(),
            "type": typ,
            "category": _CATEGORY.get(typ, "Other"),
            "value": self.value(typ) if relation is None else "",
            "to_ids": typ not in ("text", "comment", "link") and r.random() < 0.8,
            "timestamp": str(ts - r.randrange(0, 86400)),
            "comment": r.choice(COMMENTS) if r.random() < 0.3 else "",
            "disable_correlation": False,
            "deleted": r.random() < 0.015,
            "distribution": self.distribution(0.85),
        }
        if attr["distribution"] == "4":
            attr["sharing_group_id"] = "7"
            attr["SharingGroup"] = self.sharing_group()
        if r.random() < 0.06:
            attr["Tag"] = [self.tag(r.choice(["tlp:red", "tlp:amber", "tlp:green", *OTHER_TAGS]))]
        if r.random() < 0.03:
            attr["Sighting"] = [self.sighting(ts) for _ in range(r.randrange(1, 4))]
        if r.random() < 0.05:
            attr["first_seen"] = "2024-03-01T10:00:00.000000+00:00"
            attr["last_seen"] = "2024-03-09T18:30:00.000000+00:00"
        if relation is not None:
            attr["object_relation"] = relation
        return attr

    def file_object(self, ts: int) -> dict[str, Any]:
        r = self.rng
        parts = [
            ("filename", "filename", r.choice(FILENAMES)),
            ("md5", "md5", self.hexstr(32)),
            ("sha1", "sha1", self.hexstr(40)),
            ("sha256", "sha256", self.hexstr(64)),
            ("size-in-bytes", "size-in-bytes", str(r.randrange(1000, 5_000_000))),
        ]
        return self._object(
            ts, "file", "file", "688c46fb-5edb-40a3-8273-1af7923e2215", 24, parts[: r.randrange(3, 6)]
        )

    def domain_ip_object(self, ts: int) -> dict[str, Any]:
        parts = [("domain", "domain", self.domain()), ("ip-dst", "ip", self.ip())]
        if self.rng.random() < 0.3:
            parts.append(("port", "port", str(self.rng.choice([80, 443, 8443]))))
        return self._object(ts, "domain-ip", "network", "43b3b146-77eb-4931-b4cc-b66c60f28734", 9, parts)

    def _object(
        self, ts: int, name: str, meta: str, template: str, version: int, parts: list[tuple[str, str, str]]
    ) -> dict[str, Any]:
        r = self.rng
        attrs = []
        for typ, relation, value in parts:
            attr = self.attribute(typ, ts, relation=relation)
            attr["value"] = value
            attr["deleted"] = False
            if r.random() < 0.5:  # MISP fills the category from the template; some feeds leave it out
                del attr["category"]
            attrs.append(attr)
        obj = {
            "uuid": self.uid(),
            "name": name,
            "meta-category": meta,
            "description": f"{name} object",
            "template_uuid": template,
            "template_version": str(version),
            "timestamp": str(ts),
            "comment": r.choice(COMMENTS) if r.random() < 0.2 else "",
            "deleted": r.random() < 0.01,
            "distribution": self.distribution(0.9),
            "Attribute": attrs,
        }
        if obj["distribution"] == "4":
            obj["sharing_group_id"] = "7"
            obj["SharingGroup"] = self.sharing_group()
        return obj

    def galaxies(self) -> list[dict[str, Any]]:
        r = self.rng
        out: dict[str, dict[str, Any]] = {}
        for typ, name, value in r.sample(CLUSTERS, r.choice([1, 1, 2, 3])):
            galaxy = out.setdefault(
                typ,
                {
                    "uuid": str(uuid.uuid5(_NS, typ)),
                    "name": name,
                    "type": typ,
                    "description": f"{name} galaxy",
                    "namespace": "misp" if not typ.startswith("mitre") else "mitre-attack",
                    "GalaxyCluster": [],
                },
            )
            galaxy["GalaxyCluster"].append(
                {
                    "uuid": str(uuid.uuid5(_NS, value)),
                    "type": typ,
                    "value": value,
                    "tag_name": f'misp-galaxy:{typ}="{value}"',
                    "description": f"{value} (as described by the galaxy)",
                    "source": "MISP Project",
                    "authors": ["MISP Project"],
                    "meta": {"synonyms": [value.split(" - ")[0]], "refs": ["https://example.org/ref"]},
                }
            )
        return list(out.values())

    def event(self, index: int, n_attributes: int) -> dict[str, Any]:
        r = self.rng
        ts = self.t0 + index * 600 + r.randrange(600)
        org_name, org_uuid = r.choice(ORGS)
        tags = []
        tlp = r.choices(TLP_TAGS, TLP_WEIGHTS)[0]
        if tlp:
            tags.append(self.tag(tlp))
        tags += [self.tag(t) for t in r.sample(OTHER_TAGS, r.randrange(0, 3))]
        galaxies = self.galaxies() if r.random() < 0.35 else []
        tags += [self.tag(c["tag_name"]) for g in galaxies for c in g["GalaxyCluster"]]
        event: dict[str, Any] = {
            "uuid": self.uid(),
            "info": f"{r.choice(EVENT_INFOS)} #{index}",
            "date": time.strftime("%Y-%m-%d", time.gmtime(ts)),
            "timestamp": str(ts),
            "publish_timestamp": str(ts + 60),
            "published": r.random() >= 0.01,
            "analysis": r.choice(["0", "1", "2"]),
            "threat_level_id": r.choice(["1", "2", "3", "4"]),
            "distribution": self.distribution(0.0),
            "Orgc": {"name": org_name, "uuid": org_uuid},
            "Org": {"name": org_name, "uuid": org_uuid},
            "Tag": tags,
            "Galaxy": galaxies,
            "Attribute": [],
            "Object": [],
        }
        if event["distribution"] == "4":
            event["sharing_group_id"] = "7"
            event["SharingGroup"] = self.sharing_group()
        left = n_attributes
        while left > 0:
            if left >= 3 and r.random() < 0.03:  # ~8 % of the attributes end up in objects
                obj = self.file_object(ts) if r.random() < 0.6 else self.domain_ip_object(ts)
                obj["Attribute"] = obj["Attribute"][:left]
                event["Object"].append(obj)
                left -= len(obj["Attribute"])
            else:
                typ = r.choices(_TYPE_NAMES, _TYPE_WEIGHTS)[0]
                event["Attribute"].append(self.attribute(typ, ts))
                left -= 1
        return event


def event_sizes(rng: random.Random, n_events: int, n_attributes: int) -> list[int]:
    """A few huge events (40,000 attributes each, as at full size, unless that is more than a sixth
    of all), the rest heavy-tailed; sums to the total."""
    huge = min(max(2, n_events // 2000), n_events)
    per_huge = min(40_000, n_attributes // 6) if n_events > huge else n_attributes // n_events
    rest_n, rest = n_events - huge, n_attributes - huge * per_huge
    weights = [min(rng.paretovariate(1.2), 200.0) for _ in range(rest_n)]
    total = sum(weights) or 1.0
    sizes = [max(1, int(w / total * rest)) for w in weights]
    short = rest - sum(sizes)
    for i in range(abs(short)):  # spread the rounding over the small events
        j = i % max(1, rest_n)
        if short > 0:
            sizes[j] += 1
        elif sizes[j] > 1:
            sizes[j] -= 1
    out = [per_huge] * huge + sizes
    rng.shuffle(out)
    return out


def _hashes(event: dict[str, Any]) -> list[str]:
    """PyMISP's ``hash_values('md5')`` of every attribute the file lists (both halves of a|b)."""
    out = []
    for attr in [*event["Attribute"], *(a for o in event["Object"] for a in o["Attribute"])]:
        parts = attr["value"].split("|") if "|" in attr["type"] else [attr["value"]]
        out += [hashlib.md5(p.encode(), usedforsecurity=False).hexdigest() for p in parts]
    return out


def generate(directory: Path, n_events: int, n_attributes: int) -> dict[str, Any]:
    done = directory / ".complete"
    if done.exists():
        return json.loads(done.read_text())
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    gen = _Gen(SEED)
    sizes = event_sizes(gen.rng, n_events, n_attributes)
    manifest: dict[str, Any] = {}
    stats = {"events": 0, "attributes": 0, "object_attributes": 0, "objects": 0, "bytes": 0, "largest": 0}
    with (directory / "hashes.csv").open("w") as hashes:
        for index, size in enumerate(sizes):
            event = gen.event(index, size)
            raw = orjson.dumps({"Event": event})
            (directory / f"{event['uuid']}.json").write_bytes(raw)
            hashes.writelines(f"{h},{event['uuid']}\n" for h in _hashes(event))
            manifest[event["uuid"]] = {
                "Orgc": event["Orgc"],
                "Tag": event["Tag"],
                "info": event["info"],
                "date": event["date"],
                "analysis": event["analysis"],
                "threat_level_id": event["threat_level_id"],
                "timestamp": int(event["timestamp"]),
            }
            n_obj_attrs = sum(len(o["Attribute"]) for o in event["Object"])
            stats["events"] += 1
            stats["attributes"] += len(event["Attribute"]) + n_obj_attrs
            stats["object_attributes"] += n_obj_attrs
            stats["objects"] += len(event["Object"])
            stats["bytes"] += len(raw)
            stats["largest"] = max(stats["largest"], len(event["Attribute"]) + n_obj_attrs)
    (directory / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    done.write_text(json.dumps(stats))
    return stats


# ------------------------------------------------------------------ phases (each in its own process)


def phase_convert(feed: Path) -> dict[str, Any]:
    """misp-stix alone: every event file read, parsed and converted; nothing kept."""
    from misp_stix_converter import MISPtoSTIX21Parser

    manifest = orjson.loads((feed / "manifest.json").read_bytes())
    objects = attributes = errors = 0
    load_cpu = misp_stix_cpu = 0.0
    for uid in manifest:
        start = _cpu()
        doc = orjson.loads((feed / f"{uid}.json").read_bytes())
        load_cpu += _cpu() - start
        event = doc["Event"]
        attributes += len(event["Attribute"]) + sum(len(o["Attribute"]) for o in event["Object"])
        start = _cpu()
        parser = MISPtoSTIX21Parser()
        try:
            parser.parse_misp_event(doc)
        except Exception:
            errors += 1
            continue
        finally:
            misp_stix_cpu += _cpu() - start
        if any(parser.errors.values()):
            errors += 1
        objects += len(parser.stix_objects)
    return {
        "objects": objects,
        "attributes": attributes,
        "errors": errors,
        "load_cpu": load_cpu,
        "misp_stix_cpu": misp_stix_cpu,
    }


def phase_pull_cli(argv: list[str], spent_file: Path) -> None:
    """``accord ARGV`` as the ``accord`` script runs it, with the CPU time spent in misp-stix (making
    parsers and ``parse_misp_event``) written to ``spent_file``: Accord's own share of the same
    process, whatever the machine's load does to both phases."""
    from misp_stix_converter import MISPtoSTIX21Parser

    spent = [0.0]

    def timed(method: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            start = _cpu()
            try:
                return method(self, *args, **kwargs)
            finally:
                spent[0] += _cpu() - start

        return wrapper

    MISPtoSTIX21Parser.__init__ = timed(MISPtoSTIX21Parser.__init__)
    MISPtoSTIX21Parser.parse_misp_event = timed(MISPtoSTIX21Parser.parse_misp_event)
    sys.argv = ["accord", *argv]
    from accord.cli import main

    try:
        main()
    finally:
        spent_file.write_text(str(spent[0]))


def _accord(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(["accord", *args], capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(f"accord {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return out.stdout.strip()


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``argv`` under /usr/bin/time: wall, CPU seconds and peak RSS of that process alone."""
    stats = Path(f"/tmp/misp-bench-time-{os.getpid()}.txt")
    out = subprocess.run(
        ["/usr/bin/time", "-o", str(stats), "-f", "%e %U %S %M", *argv],
        capture_output=True,
        text=True,
        env=env,
    )
    wall, user, system, rss_kb = stats.read_text().split()[-4:]
    stats.unlink()
    return out, {
        "wall": float(wall),
        "cpu": float(user) + float(system),
        "user": float(user),
        "sys": float(system),
        "peak_rss_mb": int(rss_kb) / 1024,
    }


def run_pull(feed: Path, node: Path, profile: Path | None) -> dict[str, Any]:
    if node.exists():
        shutil.rmtree(node)
    env = dict(os.environ, ACCORD_DATA_DIR=str(node))
    env.pop("ACCORD_DB", None)  # the default: SQLite in the data directory
    _accord(["init"], env)
    _accord(["org", "add", ORG], env)
    coll = _accord(["collection", "add", "MISP bench", "--read", ORG, "--write", ORG, "--tlp", "green"], env)
    args = ["misp", "feed", "pull", str(feed), "--collection", coll, "--producer", ORG]
    spent = node.parent / "misp-stix-cpu.txt"
    spent.unlink(missing_ok=True)
    argv = [sys.executable, __file__, "--phase", "pull-cli", "--spent", str(spent), "--", *args]
    if profile is not None:
        script = shutil.which("accord") or "accord"
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile), script, *args]
    out, timing = _timed(argv, env)
    if out.returncode not in (0, 1):  # 1: some events failed, each reported on a line of its own
        sys.exit(f"the pull failed:\n{out.stderr[-3000:]}")
    summary = out.stderr.strip().splitlines()[0] if out.stderr.strip() else ""
    numbers = {
        k: int(v)
        for k, v in (
            ("stored", summary.split("stored ")[1].split()[0]),
            ("failed", summary.split("failed events ")[1].split()[0]),
            ("unpublished", summary.split("unpublished ")[1].split(",")[0]),
        )
    }
    db = next(node.glob("*.db"), None) or next(node.glob("*.sqlite*"), None)
    return {
        **timing,
        **numbers,
        "misp_stix_cpu": float(spent.read_text()) if spent.exists() else None,
        "summary": summary,
        "errors": [line.strip() for line in out.stderr.splitlines()[1:6]],
        "db_mb": db.stat().st_size / 2**20 if db else None,
    }


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--scale", type=float, default=1.0, help="multiply the default sizes (10k events, 1M attributes)"
    )
    ap.add_argument("--events", type=int)
    ap.add_argument("--attributes", type=int)
    ap.add_argument("--dir", default="/tmp/accord-misp-bench")
    ap.add_argument("--profile", help="write a cProfile of the pull to this file")
    ap.add_argument("--skip-convert", action="store_true", help="only the pull (when profiling it)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--feed", help=argparse.SUPPRESS)
    ap.add_argument("--spent", help=argparse.SUPPRESS)
    ap.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase == "pull-cli":
        phase_pull_cli(a.rest, Path(a.spent))
        return
    if a.phase == "convert":
        print(json.dumps(phase_convert(Path(a.feed))))
        return
    n_events = a.events or int(10_000 * a.scale)
    n_attributes = a.attributes or int(1_000_000 * a.scale)
    feed = Path(a.dir) / f"feed-{n_events}-{n_attributes}"
    start = time.monotonic()
    stats = generate(feed, n_events, n_attributes)
    print(
        f"feed {feed}: {stats['events']:,} events, {stats['attributes']:,} attributes "
        f"({stats['object_attributes']:,} in {stats['objects']:,} objects), largest event "
        f"{stats['largest']:,} attributes, {stats['bytes'] / 2**20:,.0f} MiB of event files "
        f"(generated in {time.monotonic() - start:.0f} s or read back)"
    )
    for path in sorted(feed.iterdir()):  # into the page cache: neither phase pays the disk
        path.read_bytes()
    conv: dict[str, Any] | None = None
    if not a.skip_convert:
        load_before = _load()
        out, timing = _timed([sys.executable, __file__, "--phase", "convert", "--feed", str(feed)])
        if out.returncode:
            sys.exit(f"the conversion phase failed:\n{out.stderr[-3000:]}")
        conv = {**json.loads(out.stdout.strip().splitlines()[-1]), **timing, "load": load_before}
    load_before = _load()
    pull = run_pull(feed, Path(a.dir) / "node", Path(a.profile) if a.profile else None)
    pull["load"] = load_before

    attrs = stats["attributes"]
    print(f"\n{'':34}{'misp-stix alone':>18}{'accord misp feed pull':>24}")

    def row(label: str, left: str, right: str) -> None:
        print(f"{label:34}{left:>18}{right:>24}")

    c = conv or {}
    left = {
        "cpu": c.get("cpu"), "wall": c.get("wall"), "objects": c.get("objects"), "failed": c.get("errors"),
        "rss": c.get("peak_rss_mb"),
    }  # fmt: skip
    right = {
        "cpu": pull["cpu"], "wall": pull["wall"], "objects": pull["stored"], "failed": pull["failed"],
        "rss": pull["peak_rss_mb"],
    }  # fmt: skip

    def line(label: str, fmt: str, value: Any) -> None:
        row(label, *("-" if value(d) is None else fmt.format(value(d)) for d in (left, right)))

    def per(count: str | int, time_key: str) -> Any:
        def value(d: dict[str, Any]) -> float | None:
            n = attrs if isinstance(count, int) else d[count]
            return None if n is None or d[time_key] is None else n / d[time_key]

        return value

    row("load average before (1/5/15 min)", c.get("load", "-"), pull["load"])
    line("CPU seconds (user+sys)", "{:.1f}", lambda d: d["cpu"])
    line("wall seconds", "{:.1f}", lambda d: d["wall"])
    line("STIX objects", "{:,}", lambda d: d["objects"])
    line("objects / CPU-s", "{:,.0f}", per("objects", "cpu"))
    line("objects / wall-s", "{:,.0f}", per("objects", "wall"))
    line("attributes / CPU-s", "{:,.0f}", per(attrs, "cpu"))
    line("attributes / wall-s", "{:,.0f}", per(attrs, "wall"))
    line("events failed", "{:,}", lambda d: d["failed"])
    line("peak RSS (MiB)", "{:,.0f}", lambda d: d["rss"])
    if conv:
        print(f"\n(misp-stix phase: {c['load_cpu']:.1f} CPU-s of it reading and parsing the event files)")
    print(f"accord: {pull['summary']}")
    for line in pull["errors"]:
        print(f"  {line}")
    if pull["db_mb"] is not None:
        print(f"database after the pull: {pull['db_mb']:,.0f} MiB")
    if conv:
        overhead = pull["cpu"] / c["cpu"] - 1
        wall_overhead = pull["wall"] / c["wall"] - 1
        print(f"Accord's overhead over the conversion alone: {overhead:+.1%} CPU ({wall_overhead:+.1%} wall)")
        print(f"goal overhead < {GOAL_OVERHEAD:.0%}: {'met' if overhead < GOAL_OVERHEAD else 'NOT met'}")
    if pull["misp_stix_cpu"]:
        inside = pull["misp_stix_cpu"]
        own = pull["cpu"] - inside
        print(
            f"inside the pull's process: misp-stix {inside:.1f} CPU-s, the rest (Accord, interpreter start, "
            f"imports) {own:.1f} CPU-s: {own / inside:+.1%} on top of misp-stix"
            + (f" (misp-stix alone, phase (a): {c['misp_stix_cpu']:.1f} CPU-s)" if conv else "")
        )
    ok_rss = pull["peak_rss_mb"] < GOAL_RSS_MB
    print(f"goal peak RSS < 1 GB: {'met' if ok_rss else 'NOT met'} ({pull['peak_rss_mb']:,.0f} MiB)")


if __name__ == "__main__":
    main()
