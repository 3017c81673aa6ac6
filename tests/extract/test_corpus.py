"""Accuracy on the project's labelled corpus (tests/corpus): the goals of issue #6 as a regression test.

Labels are the canonical values the corpus author inserted, so this compares the extractor against
ground truth it never produced. The benchmark (bench/extract_bench.py) prints the same figures next
to the anchor tools.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from accord.extract import extract_file

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text("utf-8"))


def _hosts(gold: dict[str, list[str]]) -> set[str]:
    hosts = {u.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0] for u in gold.get("url", [])}
    hosts |= {e.split("@", 1)[1] for e in gold.get("email", [])}
    return hosts


@pytest.fixture(scope="module")
def counts() -> dict[str, Counter]:
    per_lang: dict[str, Counter] = {}
    for name, entry in LABELS.items():
        ex = extract_file(CORPUS / "docs" / name, entities=False)
        assert ex.lang == entry["lang"], name
        gold = entry["indicators"]
        ignorable = _hosts(gold)
        c = per_lang.setdefault(entry["lang"], Counter())
        for kind in set(gold) | set(ex.indicators):
            g = set(gold.get(kind, []))
            p = set(ex.indicators.get(kind, [])) - (ignorable - g)
            c["tp"] += len(p & g)
            c["fp"] += len(p - g)
            c["fn"] += len(g - p)
    per_lang["all"] = sum(per_lang.values(), Counter())
    return per_lang


def test_corpus_shape() -> None:
    langs = Counter(e["lang"] for e in LABELS.values())
    formats = Counter(name.rsplit(".", 1)[1] for name in LABELS)
    assert len(LABELS) >= 60 and all(langs[lang] >= 20 for lang in ("en", "ar", "zh"))
    assert {"txt", "html", "pdf"} <= set(formats)
    assert all((CORPUS / "docs" / name).is_file() for name in LABELS)
    # internationalised domain names in every language, Arabic PDFs of mixed-direction lines
    for lang in ("en", "ar", "zh"):
        idn_docs = [n for n in LABELS if n.startswith(f"{lang}-idn")]
        hosts = [d for n in idn_docs for d in LABELS[n]["indicators"].get("domain", [])]
        assert len(idn_docs) >= 4 and any(not d.isascii() for d in hosts)
    assert sum(n.startswith("ar-") and n.endswith(".pdf") for n in LABELS) >= 8


def test_overall_precision_and_recall(counts: dict[str, Counter]) -> None:
    c = counts["all"]
    assert c["tp"] / (c["tp"] + c["fp"]) >= 0.95
    assert c["tp"] / (c["tp"] + c["fn"]) >= 0.92


@pytest.mark.parametrize("lang", ["ar", "zh", "en"])
def test_recall_per_language(counts: dict[str, Counter], lang: str) -> None:
    c = counts[lang]
    assert c["tp"] / (c["tp"] + c["fn"]) >= 0.90
