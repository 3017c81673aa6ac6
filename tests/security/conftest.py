"""The security matrix signs in to the console with the console tests' helpers (tests/web)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))
