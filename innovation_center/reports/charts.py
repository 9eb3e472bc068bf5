"""Server-rendered horizontal bar charts (SVG coordinates for a template; no JS, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    value: float
    text: str
    url: str
    y: float
    width: float


@dataclass
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    color: str


def bar_chart(
    rows: list[tuple[str, float, str, str]],
    *,
    width: int = 720,
    label_width: int = 260,
    bar_height: int = 18,
    color: str = "#0b5cad",
) -> BarChart:
    """rows: (label, value, value as text, link); the longest bar fills the plot width."""
    plot = width - label_width - 90
    largest = max((value for _l, value, _t, _u in rows), default=0) or 1
    bars = [
        Bar(
            label,
            value,
            text,
            url,
            y=8 + i * (bar_height + 6),
            width=round(plot * value / largest, 1),
        )
        for i, (label, value, text, url) in enumerate(rows)
    ]
    return BarChart(
        width=width,
        height=16 + len(rows) * (bar_height + 6),
        label_width=label_width,
        bar_height=bar_height,
        bars=bars,
        color=color,
    )
