"""accord.extract: indicators and entities from prose reports (English, Arabic, Chinese, ...) to STIX 2.1.

from accord.extract import extract_text, extract_file, find_indicators, to_bundle
ex = extract_text("C2 at hxxp://evil[.]com, 1.2.3[.]4")
ex.indicators  # {'ipv4': ['1.2.3.4'], 'url': ['http://evil.com']}
"""

from .api import Extraction, extract_file, extract_text
from .core import TYPES, find_indicators, find_spans
from .entities import find_entities
from .normalize import normalize
from .readers import ReadError, read_bytes, read_document
from .stix_bundle import to_bundle

__all__ = [
    "TYPES",
    "Extraction",
    "ReadError",
    "extract_file",
    "extract_text",
    "find_entities",
    "find_indicators",
    "find_spans",
    "normalize",
    "read_bytes",
    "read_document",
    "to_bundle",
]
