"""Deterministic random logs and indicators for the agreement tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

BASE = datetime(2024, 3, 1, tzinfo=UTC)

NETS4 = ["203.0.113", "198.51.100", "45.33.32", "45.33.33"]
V6 = ["2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0:0::2", "2001:db8:1::5", "2a00:1450::200e"]
DOMAINS = [
    "evil.com",
    "a.evil.com",
    "B.Evil.com.",
    "x.y.evil.com",
    "good.org",
    "bücher.de",
    "xn--bcher-kva.de",
    "cdn.bücher.de",
    "other.net",
    "evil.com.net",
]
URLS = [
    "http://evil.com/a",
    "HTTP://Evil.COM:80/a#frag",
    "http://evil.com/%7Euser",
    "http://evil.com/~user",
    "https://good.org",
    "https://good.org:443/",
    "http://other.net/path?q=1",
    "http://other.net/x",
]
HASHES = [
    "d41d8cd98f00b204e9800998ecf8427e",
    "D41D8CD98F00B204E9800998ECF8427E",
    "0123456789abcdef0123456789abcdef",
]
SHA256 = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]


def ip(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(V6)
    return f"{rng.choice(NETS4)}.{rng.randrange(0, 8)}"


def ts(rng: random.Random) -> datetime:
    return BASE + timedelta(seconds=rng.randrange(0, 3 * 86400), microseconds=rng.randrange(0, 1_000_000))


def eve_event(rng: random.Random) -> dict:
    ev: dict = {"timestamp": ts(rng).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"), "event_type": "x"}
    if rng.random() < 0.9:
        ev["src_ip"] = ip(rng)
    if rng.random() < 0.9:
        ev["dest_ip"] = ip(rng)
    if rng.random() < 0.7:
        ev["src_port"] = rng.randrange(1024, 1030)
        ev["dest_port"] = rng.choice([53, 80, 443, 8080])
    r = rng.random()
    if r < 0.3:
        ev["dns"] = {"rrname": rng.choice(DOMAINS)}
    elif r < 0.6:
        url = rng.choice(URLS)
        host, _, path = url.partition("://")[2].partition("/")
        if rng.random() < 0.5:
            ev["http"] = {"hostname": host.split(":")[0], "url": "/" + path.split("#")[0]}
        else:
            ev["http"] = {"hostname": host.split(":")[0], "url": url}
    elif r < 0.75:
        ev["tls"] = {"sni": rng.choice(DOMAINS)}
    elif r < 0.85:
        ev["fileinfo"] = {"md5": rng.choice(HASHES), "sha256": rng.choice(SHA256)}
    return ev


def _ip_value(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return ip(rng)
    if r < 0.8:
        net = rng.choice(NETS4)
        return rng.choice(
            [f"{net}.0/24", f"{net}.0/29", f"{net}.4/30", f"{net}.2/31", f"{net.rsplit('.', 1)[0]}.0.0/16"]
        )
    return rng.choice(["2001:db8::/32", "2001:DB8::/64", "2001:db8:1::/48", "2a00:1450::/32"])


def pattern(rng: random.Random) -> str:
    r = rng.randrange(16)
    if r == 0:
        return f"[ipv4-addr:value = '{_ip_value(rng)}']"
    if r == 1:
        return f"[ipv6-addr:value ISSUBSET '{rng.choice(['2001:db8::/32', '2001:DB8::/64', '2001:db8::1'])}']"
    if r == 2:
        vals = ", ".join(f"'{_ip_value(rng)}'" for _ in range(3))
        return f"[ipv4-addr:value IN ({vals})]"
    if r == 3:
        return f"[domain-name:value = '{rng.choice(DOMAINS)}']"
    if r == 4:
        return f"[url:value = '{rng.choice(URLS)}']"
    if r == 5:
        return f"[file:hashes.'{rng.choice(['MD5', 'SHA-256'])}' = '{rng.choice(HASHES + SHA256)}']"
    if r == 6:
        return (
            f"[network-traffic:dst_ref.value = '{_ip_value(rng)}' AND "
            f"network-traffic:dst_port = {rng.choice([53, 80, 443])}]"
        )
    if r == 7:
        d = rng.choice(DOMAINS)
        return f"[network-traffic:src_ref.value ISSUBSET '{_ip_value(rng)}' OR domain-name:value = '{d}']"
    if r == 8:
        return f"[domain-name:value LIKE '{rng.choice(['%.evil.com', 'evil%', '_.evil.com', '%bcher%'])}']"
    if r == 9:
        return f"[url:value MATCHES '{rng.choice(['^https?://evil', 'user$', 'q=[0-9]'])}']"
    if r == 10:
        return f"[ipv4-addr:value = '{ip(rng)}' AND ipv4-addr:value = '{_ip_value(rng)}']"
    if r == 11:
        return f"[domain-name:value = '{rng.choice(DOMAINS)}'] OR [url:value = '{rng.choice(URLS)}']"
    if r == 12:
        port = rng.randrange(1024, 1030)
        return f"[network-traffic:dst_port IN (53, 8080) AND network-traffic:src_port = {port}]"
    if r == 13:
        return f"[domain-name:value = '{rng.choice(DOMAINS)}' AND domain-name:value LIKE '%.%']"
    if r == 14:
        return f"[ipv4-addr:value ISSUBSET '{_ip_value(rng)}' OR ipv6-addr:value = '{rng.choice(V6)}']"
    return f"[domain-name:value = '{rng.choice(DOMAINS)}' OR domain-name:value = '{rng.choice(DOMAINS)}']"


def indicators(rng: random.Random, n: int, general: list[str] | None = None) -> list[dict]:
    out = []
    pats = [pattern(rng) for _ in range(n)] + list(general or [])
    for i, p in enumerate(pats):
        ind = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
            "pattern": p,
            "pattern_type": "stix",
            "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        r = rng.random()
        if r < 0.2:
            ind["valid_from"] = ts(rng).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif r < 0.35:
            ind["valid_until"] = ts(rng).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif r < 0.4:
            ind["revoked"] = True
        out.append(ind)
    return out
