"""accord.sweep: match shared indicators against local logs, fast, and report sightings.

    comp = load_indicators("indicators.json")
    result = sweep(["eve.json.gz"], comp, SweepOptions(fmt="auto"))
    bundle = sightings_bundle(result, comp, identity("CERT-X"))

Names are imported on first use, so that registering the CLI command does not load polars or DuckDB.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_indicators": "api",
    "sweep": "api",
    "sightings_bundle": "api",
    "FalsePositives": "falsepositives",
    "Compiled": "indicators",
    "IndicatorError": "indicators",
    "compile_indicators": "indicators",
    "load_objects": "indicators",
    "objects_of": "indicators",
    "LogError": "readers",
    "read_log": "readers",
    "SweepOptions": "runner",
    "SweepResult": "runner",
    "build_sightings": "sightings",
    "bundle": "sightings",
    "identity": "sightings",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"accord.sweep.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'accord.sweep' has no attribute {name!r}")
