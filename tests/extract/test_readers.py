"""Readers: every format to text, encodings detected, and one-line errors for bad input."""

import io

import docx
import pytest
from pdfs import make_pdf
from pypdf import PdfReader, PdfWriter

from accord.extract import ReadError, extract_text, read_bytes
from accord.extract.readers import html_to_text


def make_docx(paragraphs: list[str], cells: list[str]) -> bytes:
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=len(cells))
    for cell, text in zip(table.rows[0].cells, cells, strict=True):
        cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_html_drops_scripts_styles_and_keeps_cells_apart() -> None:
    html = (
        "<html><head><title>Advisory</title><style>.a{}</style>"
        "<script>var u='http://tracker.example.com/x';</script></head><body>"
        "<table><tr><td>evil.com</td><td>1.2.3.4</td></tr></table>"
        "<p>Hash <b>d41d8cd98f00b204e9800998ecf8427e</b></p></body></html>"
    )
    text = html_to_text(html)
    assert "tracker" not in text and ".a{}" not in text
    found = extract_text(text).indicators
    assert found == {"ipv4": ["1.2.3.4"], "domain": ["evil.com"], "md5": ["d41d8cd98f00b204e9800998ecf8427e"]}


def test_html_entities_decoded() -> None:
    assert "evil.com" in read_bytes(b"<html><body><p>evil&#46;com</p></body></html>", "a.html")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("أعلن المركز الوطني أن الخادم evil.com والعنوان 192.168.1.1 في تقرير الأمن", "windows-1256"),
        ("攻击者使用的域名是 evil.com，服务器地址为 1.2.3.4，请立即封锁。", "gb18030"),
        ("攻擊者使用的網域是 evil.com，伺服器位址為 1.2.3.4，請立即封鎖。", "big5"),
        ("utf16 text evil.com 1.2.3.4", "utf-16"),
    ],
)
def test_text_encodings_detected(text: str, encoding: str) -> None:
    decoded = read_bytes(text.encode(encoding), "report.txt")
    assert "evil.com" in decoded
    assert extract_text(decoded).indicators["domain"] == ["evil.com"]


def test_pdf_text_extracted() -> None:
    data = make_pdf(["Advisory 7", "C2 server: 203.0.113.9 and hxxp://bad[.]example.net/gate"])
    found = extract_text(read_bytes(data, "a.pdf")).indicators
    assert found == {"ipv4": ["203.0.113.9"], "url": ["http://bad.example.net/gate"]}


def test_docx_paragraphs_and_tables() -> None:
    data = make_docx(["Report on evil[.]com"], ["5.6.7.8", "CVE-2024-3094"])
    found = extract_text(read_bytes(data, "r.docx")).indicators
    assert found == {"ipv4": ["5.6.7.8"], "domain": ["evil.com"], "cve": ["CVE-2024-3094"]}


def test_markdown_links() -> None:
    md = b"# Title\n\n* [C2](hxxps://c2[.]evil.org/a) and `8.8.4.4`\n"
    found = extract_text(read_bytes(md, "r.md")).indicators
    assert found == {"ipv4": ["8.8.4.4"], "url": ["https://c2.evil.org/a"]}


def test_encrypted_pdf_is_a_clear_error() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["secret 1.2.3.4"]))))
    writer.encrypt("pw")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(ReadError, match=r"^x\.pdf: encrypted PDF$"):
        read_bytes(buf.getvalue(), "x.pdf")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t ", "empty file"),
        (bytes(range(256)) * 4, "binary file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "encrypted or legacy Office"),
        (b"%PDF-1.7\n garbage", "unreadable PDF"),
        (b"PK\x03\x04garbage", "unreadable DOCX"),
    ],
)
def test_bad_inputs_one_line_error_naming_file(data: bytes, reason: str) -> None:
    with pytest.raises(ReadError) as info:
        read_bytes(data, "in/bad.bin")
    message = str(info.value)
    assert message.startswith("in/bad.bin: ") and reason in message and "\n" not in message


def test_arabic_pdf_from_corpus() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "corpus" / "docs" / "ar-040.pdf"
    ex = extract_text(read_bytes(path.read_bytes(), path.name))
    assert ex.lang == "ar"
    assert {"103.170.180.231", "141.43.129.203"} <= set(ex.indicators["ipv4"])
