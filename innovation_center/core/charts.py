"""Server-rendered charts: SVG coordinates for templates (no JavaScript, no CDN).

The one chart module: the monthly line chart of utilization (with the 90% reference and the
month still running drawn apart) and horizontal bar charts. Rows come in as plain values or
objects with `utilization`, `busy_hours` and `available_hours`; nothing here reads the
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PALETTE = ["#c8102e", "#0b5cad", "#1a7f37", "#9a6700", "#6f42c1", "#00838f", "#d4500f", "#5b6776"]
REFERENCE = 0.9


# The monthly line chart -----------------------------------------------------------------------


@dataclass
class ChartPoint:
    x: float
    y: float
    month: str
    percent: float
    busy_hours: float
    available_hours: float
    so_far: bool = False  # the month has not ended: drawn apart, never held to the target


@dataclass
class ChartSeries:
    label: str
    color: str
    points: list[ChartPoint] = field(default_factory=list)
    # Months without figures break the line into segments.
    segments: list[str] = field(default_factory=list)
    legend_x: float = 0.0
    legend_y: float = 0.0


@dataclass
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: list[tuple[float, str]]
    reference_y: float
    x_labels: list[tuple[float, str]]
    series: list[ChartSeries]
    below_reference: list[str]
    # The label of the month still running, if the chart shows one.
    month_so_far: str = ""


LEGEND_COLUMNS = 3


def utilization_chart(
    months: list[tuple[int, int]],
    by_site: dict,
    *,
    complete: list[bool] | None = None,
    width: int = 760,
) -> Chart:
    """Coordinates of a line chart of monthly utilization per site, 0–100%, 90% marked.

    A month that has not ended (`complete` False) is drawn as an open point outside the line
    and is left out of the comparison with the target: its figure is only "so far".
    """
    complete = complete if complete is not None else [True] * len(months)
    legend_rows = max(1, -(-len(by_site) // LEGEND_COLUMNS))
    left, right, top, bottom = 52, width - 16, 16, 256
    height = bottom + 34 + 18 * legend_rows
    plot_w, plot_h = right - left, bottom - top
    step = plot_w / max(len(months), 1)

    def y_of(fraction: float) -> float:
        return round(bottom - max(0.0, min(fraction, 1.0)) * plot_h, 1)

    x_labels = [
        (round(left + (i + 0.5) * step, 1), f"{year}-{month:02d}")
        for i, (year, month) in enumerate(months)
    ]
    so_far = [not done for done in complete]
    series = []
    below = set()
    legend_step = plot_w / LEGEND_COLUMNS
    for n, (label, rows) in enumerate(by_site.items()):
        line = ChartSeries(
            label=label,
            color=PALETTE[n % len(PALETTE)],
            legend_x=round(left + (n % LEGEND_COLUMNS) * legend_step, 1),
            legend_y=bottom + 40 + 18 * (n // LEGEND_COLUMNS),
        )
        segment: list[str] = []
        for (x, month_label), row, running in zip(x_labels, rows, so_far, strict=True):
            if row is None or row.utilization is None or running:
                if segment:
                    line.segments.append(" ".join(segment))
                segment = []
            if row is None or row.utilization is None:
                continue
            if row.utilization < REFERENCE and not running:
                below.add(label)
            point = ChartPoint(
                x=x,
                y=y_of(row.utilization),
                month=month_label,
                percent=row.utilization * 100,
                busy_hours=row.busy_hours,
                available_hours=row.available_hours,
                so_far=running,
            )
            line.points.append(point)
            if not running:
                segment.append(f"{point.x},{point.y}")
        if segment:
            line.segments.append(" ".join(segment))
        series.append(line)
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=[(y_of(f), f"{round(f * 100)}%") for f in (0, 0.25, 0.5, 0.75, 1.0)],
        reference_y=y_of(REFERENCE),
        x_labels=x_labels,
        series=series,
        below_reference=sorted(below),
        month_so_far=next(
            (label for (_x, label), running in zip(x_labels, so_far, strict=True) if running), ""
        ),
    )


# Bar charts -----------------------------------------------------------------------------------


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
