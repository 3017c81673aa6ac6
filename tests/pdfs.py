"""PDF fixtures made on the fly (fpdf2): a text layer with the given lines, one per row."""

from __future__ import annotations

from fpdf import FPDF


def make_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
