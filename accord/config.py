"""Where a node keeps its data: the data directory and the database URL.

Options win over environment variables (``ACCORD_DATA_DIR``, ``ACCORD_DB``); the default database
is a SQLite file inside the data directory, so ``accord serve`` needs nothing else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "accord-data"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6800
DEFAULT_MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None, db: str | None = None) -> Settings:
        directory = Path(data_dir or os.environ.get("ACCORD_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()
        url = db or os.environ.get("ACCORD_DB") or f"sqlite:///{directory.resolve() / 'accord.db'}"
        page = int(os.environ.get("ACCORD_MAX_PAGE_SIZE", DEFAULT_MAX_PAGE_SIZE))
        return cls(directory, url, page)
