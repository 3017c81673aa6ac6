"""Log formats: which source fields carry which observable role, and how to sniff a format.

Roles are what the matcher understands (see `observations`); presets cover Suricata EVE, ECS JSON lines,
Zeek logs, CSV with common column names and combined access logs. `--map` adds or overrides fields.
"""

from __future__ import annotations

import re

FORMATS = ("eve", "ndjson", "zeek", "csv", "combined")

ROLES = ("src_ip", "dst_ip", "ip", "src_port", "dst_port", "domain", "url", "email") + tuple(
    f"hash:{a}" for a in ("MD5", "SHA-1", "SHA-256", "SHA-512")
)

# the role of a field read only to build another's value (the port of an EVE/Zeek request URL)
AUX = "aux"

# roles whose fields may hold several values: a JSON list or "Name <addr>, addr2" text (SMTP records)
LIST_ROLES = frozenset({"email"})

# STIX object path accepted by --map -> role
PATH_ROLES = {
    "network-traffic:src_ref.value": "src_ip",
    "network-traffic:dst_ref.value": "dst_ip",
    "ipv4-addr:value": "ip",
    "ipv6-addr:value": "ip",
    "network-traffic:src_port": "src_port",
    "network-traffic:dst_port": "dst_port",
    "domain-name:value": "domain",
    "url:value": "url",
    "email-addr:value": "email",
    "file:hashes.MD5": "hash:MD5",
    "file:hashes.SHA-1": "hash:SHA-1",
    "file:hashes.SHA-256": "hash:SHA-256",
    "file:hashes.SHA-512": "hash:SHA-512",
}

EVE = {
    "src_ip": "src_ip",
    "dest_ip": "dst_ip",
    "src_port": "src_port",
    "dest_port": "dst_port",
    "dns.rrname": "domain",
    "http.hostname": "domain",
    "http.url": "url",
    "tls.sni": "domain",
    "fileinfo.md5": "hash:MD5",
    "fileinfo.sha1": "hash:SHA-1",
    "fileinfo.sha256": "hash:SHA-256",
    "http.http_refer": "url",
    "quic.sni": "domain",
    "smtp.mail_from": "email",
    "smtp.rcpt_to": "email",
    "email.from": "email",
    "email.to": "email",
    "email.cc": "email",
}

ECS = {
    "source.ip": "src_ip",
    "destination.ip": "dst_ip",
    "source.port": "src_port",
    "destination.port": "dst_port",
    "client.ip": "src_ip",
    "server.ip": "dst_ip",
    "dns.question.name": "domain",
    "destination.domain": "domain",
    "url.domain": "domain",
    "url.full": "url",
    "url.original": "url",
    "tls.client.server_name": "domain",
    "file.hash.md5": "hash:MD5",
    "file.hash.sha1": "hash:SHA-1",
    "file.hash.sha256": "hash:SHA-256",
    "file.hash.sha512": "hash:SHA-512",
    "email.from.address": "email",
    "email.to.address": "email",
    "email.cc.address": "email",
    "email.bcc.address": "email",
    "email.reply_to.address": "email",
    "email.sender.address": "email",
    "source.user.email": "email",
    "destination.user.email": "email",
    "user.email": "email",
}

ZEEK = {
    "id.orig_h": "src_ip",
    "id.resp_h": "dst_ip",
    "id.orig_p": "src_port",
    "id.resp_p": "dst_port",
    "query": "domain",
    "host": "domain",
    "uri": "url",
    "server_name": "domain",
    "md5": "hash:MD5",
    "sha1": "hash:SHA-1",
    "sha256": "hash:SHA-256",
}

CSV = {
    "src_ip": "src_ip",
    "source_ip": "src_ip",
    "dst_ip": "dst_ip",
    "dest_ip": "dst_ip",
    "destination_ip": "dst_ip",
    "ip": "ip",
    "src_port": "src_port",
    "dst_port": "dst_port",
    "dest_port": "dst_port",
    "domain": "domain",
    "query": "domain",
    "host": "domain",
    "url": "url",
    "md5": "hash:MD5",
    "sha1": "hash:SHA-1",
    "sha256": "hash:SHA-256",
    "sha512": "hash:SHA-512",
    "email": "email",
    **ECS,
}

COMBINED = {"remote": "src_ip", "request_url": "url", "referer": "url"}

PRESETS = {"eve": EVE, "ndjson": ECS, "zeek": ZEEK, "csv": CSV, "combined": COMBINED}
TIME_FIELDS = {"eve": "timestamp", "ndjson": "@timestamp", "zeek": "ts", "csv": None, "combined": "time"}
CSV_TIME_CANDIDATES = ("timestamp", "@timestamp", "ts", "time", "datetime", "date")

COMBINED_RE = (
    r'^(?P<remote>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<request_url>\S+)(?: [^"]*)?" '
    r'\d{3} (?:\d+|-)(?: "(?P<referer>[^"]*)" "[^"]*")?\s*$'
)
_COMBINED = re.compile(COMBINED_RE)


def parse_map(items: list[str]) -> dict[str, str]:
    """Parse `FIELD=OBJECT_PATH` options into {field: role}; raises ValueError with a clear message."""
    out: dict[str, str] = {}
    for item in items:
        field, sep, path = item.partition("=")
        path = path.strip().replace("'", "")
        if not sep or not field.strip():
            raise ValueError(f"--map {item!r}: expected FIELD=OBJECT_PATH")
        role = PATH_ROLES.get(path)
        if role is None:
            raise ValueError(
                f"--map {item!r}: unsupported object path {path!r} (one of {', '.join(PATH_ROLES)})"
            )
        out[field.strip()] = role
    return out


def detect(head: bytes) -> str | None:
    """Guess the format from the first bytes of a (decompressed) log, or None."""
    lines = [ln for ln in head.splitlines() if ln.strip()][:20]
    if not lines:
        return None
    first = lines[0].lstrip()
    if first.startswith(b"#separator") or first.startswith(b"#fields"):
        return "zeek"
    if first.startswith(b"{"):
        sample = b"\n".join(lines)
        return "eve" if b'"event_type"' in sample else "ndjson"
    text = [ln.decode("utf-8", "replace") for ln in lines]
    if sum(1 for t in text if _COMBINED.match(t)) >= max(1, len(text) // 2):
        return "combined"
    if b"," in first or b"\t" in first:
        return "csv"
    return None
