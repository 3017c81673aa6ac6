"""Right-to-left PDF lines back to logical order (accord/extract/bidi.py and pdf.py).

The forward model is fpdf2's own implementation of the Unicode Bidirectional Algorithm, the one that
laid out the corpus PDFs: a logical line is turned into drawing order, and the reader must undo it.
"""

import io
import json
from pathlib import Path

import pytest
from fpdf.bidi import BidiParagraph
from fpdf.enums import TextDirection
from pypdf import PdfReader

from accord.extract import extract_file, extract_text, read_bytes
from accord.extract.bidi import base_is_rtl, bidi_class, to_logical

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def visual(logical: str, rtl: bool = True) -> list[str]:
    direction = TextDirection.RTL if rtl else TextDirection.LTR
    para = BidiParagraph(logical, base_direction=direction, preserve_bn_chars=True)
    return list(para.get_reordered_string())


@pytest.mark.parametrize(
    "logical",
    [
        "يتصل البرنامج بالعنوان 103.170.180[.]231، ثم",
        "رُصدت حركة نحو141[.]43[.]12\u200b9[.]203 على المنفذ ٤٤٣.",
        "تُحمّل البرمجية من الرابط https://newsgov.site/load/api/ ثم تُنفذ.",
        "أعيد توجيه الضحايا إلى hxxps://bank.io/gate/api?id=7&lang=ar، حسب التحقيق.",
        "تطلب رسالة الفدية مراسلة finance.team[at]mail.alpha(.)co، لاستعادة الملفات.",
        "بصمة SHA256 للعينة A9BE38A9C4CBD72C403\u200b75F6E221A741F20D9643 حسب المختبر.",
        "العنوان ١٠٣٫٢٢٤٫١٨٢٫٢٥١، والرابط",
        "يجب حظر النطاق الكامل 81.6.0.0/16 فورا.",
        "استغل المهاجمون الثغرة CVE-2023-36884 والتقنية T1059.001 في الهجوم.",
        "يستمع الخادم على evil.com:8080 منذ أسبوع.",
        "يستخدم المهاجمون النطاق مثال.مصر والخادم gate5.مصر للتحكم.",
        "تتحقق الاستمرارية عبر المفتاح HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce.",
        "أرسلت رسائل التصيد من العنوان billing(at)مكافآت[.]موقع.",
    ],
)
def test_visual_order_undone(logical: str) -> None:
    drawn = visual(logical)
    assert "".join(drawn) != logical  # the line really is scrambled in drawing order
    assert "".join(to_logical(drawn)) == logical


def test_left_to_right_line_with_an_arabic_word() -> None:
    logical = "The group is called مجموعة الظل in the report (2024)."
    assert "".join(to_logical(visual(logical, rtl=False), rtl=False)) == logical


def test_ligature_glyphs_stay_whole() -> None:
    # a lam-alef ligature is one glyph whose text is two characters in logical order
    drawn = ["ن", "م", "لأ", "ل", " ", "ز", "ك", "ر", "م", "ل", "ا"]
    assert "".join(to_logical(drawn)) == "المركز للأمن"


def test_line_direction() -> None:
    assert base_is_rtl([bidi_class(g) for g in ".اروف tportal{.}ru"])  # drawn: Arabic at the left end
    assert not base_is_rtl([bidi_class(g) for g in "see the group مجموعة in the report"])


def test_ipv6_leading_digits_is_ambiguous_in_drawing_order() -> None:
    # "2001:db8::1" after Arabic is drawn as "db8::1:2001", exactly like a host followed by a port;
    # the reader keeps the host:port reading (documented limit).
    drawn = visual("عنوان IPv6 هو 2001:db8::1 للاتصال.")
    assert "db8::1:2001" in "".join(to_logical(drawn))


def _pypdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("ar-040.pdf", "103.170.180[.]231"),
        ("ar-040.pdf", "141[.]43[.]12\u200b9[.]203"),
        ("ar-039.pdf", "https://newsgov(.)site/load/api/،"),
    ],
)
def test_arabic_pdf_keeps_indicators_that_pypdf_scrambles(name: str, written: str) -> None:
    path = CORPUS / "docs" / name
    assert written not in _pypdf_text(path)
    assert written in read_bytes(path.read_bytes(), name)


def test_arabic_pdf_reads_arabic_words_in_logical_order() -> None:
    text = read_bytes((CORPUS / "docs" / "ar-040.pdf").read_bytes(), "ar-040.pdf")
    assert "أكد المركز الوطني للأمن السيبراني أن التحقيق ما زال جاريا." in text
    assert extract_text(text).entities.get("countries") == ["US"]


@pytest.mark.parametrize("name", ["ar-039.pdf", "ar-042.pdf", "ar-bidi2.pdf", "ar-bidi3.pdf", "ar-idn3.pdf"])
def test_arabic_pdfs_exact(name: str) -> None:
    gold = json.loads((CORPUS / "labels.json").read_text("utf-8"))[name]["indicators"]
    found = extract_file(CORPUS / "docs" / name, entities=False).indicators
    if name.startswith("ar-bidi"):  # IPv6 with leading digits: see the ambiguity test above
        gold, found = dict(gold), dict(found)
        gold.pop("ipv6", None)
        found.pop("ipv6", None)
    hosts = {u.split("://", 1)[1].split("/", 1)[0] for u in gold.get("url", [])}
    hosts |= {e.split("@", 1)[1] for e in gold.get("email", [])}
    if "domain" in found:
        found["domain"] = [d for d in found["domain"] if d not in hosts or d in gold.get("domain", [])]
    assert found == gold
