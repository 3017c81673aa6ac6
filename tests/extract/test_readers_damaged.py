"""A damaged DOCX (its XML broken inside a sound zip) is a one-line ReadError, like other bad files."""

import io
import zipfile

import docx
import pytest

from accord.extract import ReadError, read_bytes


def damaged_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("C2 at evil.com")
    good = io.BytesIO()
    document.save(good)
    source = zipfile.ZipFile(good)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"<<<" if name == "word/document.xml" else source.read(name))
    return out.getvalue()


def test_broken_xml_inside_a_docx_is_a_read_error() -> None:
    with pytest.raises(ReadError, match=r"^report\.docx: unreadable DOCX \(XMLSyntaxError\)$"):
        read_bytes(damaged_docx(), "report.docx")
