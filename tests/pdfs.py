"""PDF fixtures made on the fly (fpdf2): a text layer with the given lines, one per row."""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

# A fixed date keeps the bytes (and so pytest's test ids, which xdist workers compare) the same each run.
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def make_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
