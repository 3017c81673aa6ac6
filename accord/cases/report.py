"""RFA review report (issue #5): ``accord rfa report`` builds it with ``build_report`` and writes it with
``to_html``, ``to_csv`` or ``to_json``. Figures and rendering live in report_figures / report_render so
each stays small; this module is the one to import. Definitions: docs/report.md."""

from __future__ import annotations

from accord.cases.report_figures import OUTCOME_KEYS, Clock, Figures, Report, build_report
from accord.cases.report_render import to_csv, to_html, to_json

FORMATS = {"html": to_html, "csv": to_csv, "json": to_json}

__all__ = [
    "FORMATS",
    "OUTCOME_KEYS",
    "Clock",
    "Figures",
    "Report",
    "build_report",
    "to_csv",
    "to_html",
    "to_json",
]
