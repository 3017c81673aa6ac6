"""Horizontal bar charts as inline SVG, written by hand.

Why not matplotlib: the report needs two kinds of bar chart only; hand-written SVG keeps the node free of
a large dependency, gives byte-stable output for tests, stays sharp at any zoom, and lets every label go
through one escaping function (party names come from other organizations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

WIDTH = 760
LABEL_W = 230  # room for the row labels
PLOT_W = 420  # longest bar; the rest of the width holds the value labels
CHAR_W = 7  # rough width of one character at 12px, to lay out the legend
FONT = "font-family='system-ui, sans-serif' font-size='12'"
MAX_LABEL = 32
Series = tuple[str, str, str]  # name, fill colour, colour of text drawn on that fill


def _text(x: float, y: float, content: str, extra: str = "") -> str:
    return f"<text x='{x:.1f}' y='{y:.1f}' {extra}>{escape(content)}</text>"


def _row_label(y: float, label: str) -> str:
    """Right-aligned row label, shortened if long; the full text stays available as a tooltip."""
    short = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
    text = _text(LABEL_W - 8, y, short, "text-anchor='end'")
    return f"<g><title>{escape(label)}</title>{text}</g>"


def _legend(series: Sequence[Series], top: float) -> tuple[list[str], float]:
    """Legend items left to right, wrapping to a new line when the width runs out."""
    parts, x, y = [], float(LABEL_W), top
    for name, fill, _ in series:
        width = 18 + CHAR_W * len(name) + 16
        if x + width > WIDTH and x > LABEL_W:
            x, y = float(LABEL_W), y + 18
        parts.append(f"<rect x='{x:.1f}' y='{y - 10:.1f}' width='12' height='12' fill='{fill}'/>")
        parts.append(_text(x + 18, y, name))
        x += width
    return parts, y + 22


def _frame(title: str, body: list[str], height: float) -> str:
    heading = _text(8, 18, title, "font-weight='bold' font-size='14'")
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{WIDTH}' height='{height:.0f}' "
        f"viewBox='0 0 {WIDTH} {height:.0f}' {FONT}><title>{escape(title)}</title>"
        f"{heading}{''.join(body)}</svg>"
    )


def grouped_bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[Series],
    fmt: Callable[[float], str],
    missing: str,
    scale: float | None = None,
) -> str:
    """One bar per series in each row; ``None`` draws no bar and shows ``missing``."""
    values = [v for _, vs in rows for v in vs if v is not None]
    top = scale or max(values, default=0) or 1.0
    body, y = _legend(series, 42)
    bar_h, gap = 14, 12
    for label, row_values in rows:
        row_h = bar_h * len(series)
        body.append(_row_label(y + row_h / 2 + 4, label))
        for (name, fill, _), value in zip(series, row_values, strict=True):
            w = PLOT_W * (value or 0) / top
            shown = missing if value is None else fmt(value)
            body.append(
                f"<g><title>{escape(f'{label}, {name}: {shown}')}</title>"
                f"<rect x='{LABEL_W}' y='{y:.1f}' width='{w:.1f}' height='{bar_h - 2}' fill='{fill}'/></g>"
            )
            body.append(_text(LABEL_W + w + 4, y + bar_h - 4, shown))
            y += bar_h
        y += gap
    body.append(f"<line x1='{LABEL_W}' y1='40' x2='{LABEL_W}' y2='{y - gap:.1f}' stroke='#333'/>")
    return _frame(title, body, y + 8)


def stacked_bars(title: str, rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[Series]) -> str:
    """One bar per row split by series; counts are written inside segments wide enough to hold them."""
    used = [i for i in range(len(series)) if any(counts[i] for _, counts in rows)]
    top = max((sum(counts) for _, counts in rows), default=0) or 1
    body, y = _legend([series[i] for i in used], 42)
    bar_h = 20
    for label, counts in rows:
        body.append(_row_label(y + bar_h / 2 + 4, label))
        x = float(LABEL_W)
        for i in used:
            if not counts[i]:
                continue
            name, fill, ink = series[i]
            w = PLOT_W * counts[i] / top
            body.append(
                f"<g><title>{escape(f'{label}, {name}: {counts[i]}')}</title>"
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{bar_h - 2}' fill='{fill}'/></g>"
            )
            if w >= CHAR_W * len(str(counts[i])) + 6:
                inside = f"text-anchor='middle' fill='{ink}'"
                body.append(_text(x + w / 2, y + bar_h - 6, str(counts[i]), inside))
            x += w
        body.append(_text(x + 4, y + bar_h - 6, str(sum(counts))))
        y += bar_h + 8
    body.append(f"<line x1='{LABEL_W}' y1='40' x2='{LABEL_W}' y2='{y - 8:.1f}' stroke='#333'/>")
    return _frame(title, body, y + 8)
