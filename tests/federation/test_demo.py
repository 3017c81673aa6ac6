"""`accord demo` end to end: three real nodes, intelligence within TLP limits, sightings going home."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_shows_who_received_what_and_sightings_flowing_back(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "accord.cli",
            "demo",
            "--exit",
            "--dir",
            str(tmp_path / "demo"),
            "--base-port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    sections = {
        name: out.split(f"\n{name} holds:\n")[1].split("\n\n")[0]
        for name in ("cert-cn", "cert-us", "company")
    }
    # The company received GREEN only, from US-CERT: CNCERT's GREEN indicators forwarded, and the advisory.
    company = sections["company"]
    assert "SilkLoader C2 domain" in company and "Trade-secret exfiltration tool hash" in company
    assert "TLP:AMBER" not in company and "TLP:RED" not in company
    # AMBER is never forwarded; RED reached only its named recipient.
    assert "Phishing sender" in sections["cert-us"] and "Phishing sender" not in company
    assert "Suspect infrastructure" in sections["cert-us"] and "Suspect infrastructure" not in company
    # The company's sightings of CNCERT's indicators went home through US-CERT to CNCERT.
    assert "sighting (1x) of SilkLoader C2 domain" in company
    assert "from company" in sections["cert-us"]
    assert "sighting (1x) of SilkLoader C2 domain" in sections["cert-cn"]
    assert out.rstrip().endswith("Stopped.")
    for node in ("cert-cn", "cert-us", "company"):
        assert (tmp_path / "demo" / node / "accord.db").exists()
