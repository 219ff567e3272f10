"""Bar and line charts as inline SVG, drawn on the server: the page needs no JavaScript.

Pure functions of their inputs (no Flask), returning SVG text in which every piece of text
(titles, labels, values) is escaped. Geometry is integer arithmetic on integer values, so a
chart of cents never passes money through a float. Each chart is an ``role="img"`` with a
``<title>`` and a ``<desc>``, each mark has its own ``<title>`` (a tooltip, and what a screen
reader says), and the page shows the same figures in a table beside it.

The drawing is 480 units wide, so that at a phone's width (about 340 px) it is scaled down
only to about 0.7; the stylesheet sets the text size per width (transparency.css). The legend
is one line per series above the plot, so that no name runs into the next at any text size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 480
PLOT_HEIGHT = 168
LEFT = 64
RIGHT = 8
LEGEND_LINE = 22
BOTTOM = 30
MAX_SERIES = 4
_ID = re.compile(r"[^a-z0-9-]+")

Formatter = Callable[[int], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one per label."""

    name: str
    values: tuple[int, ...]


class ChartError(ValueError):
    """Data a chart cannot draw: a bug in the caller."""


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    if not labels:
        raise ChartError("a chart needs at least one label")
    if not series or len(series) > MAX_SERIES:
        raise ChartError(f"a chart shows 1 to {MAX_SERIES} series")
    for one in series:
        if len(one.values) != len(labels):
            raise ChartError(f"series {one.name!r} has {len(one.values)} values for {len(labels)}")
        for value in one.values:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ChartError(f"chart values are whole numbers, not {value!r}")


def _top(series: Sequence[Series]) -> int:
    """Where the plot starts: under one legend line per series."""
    return 12 + LEGEND_LINE * len(series)


@dataclass(frozen=True)
class _Scale:
    """Maps values to y pixels with zero always on the axis, so a negative month shows below."""

    low: int
    high: int
    top: int

    @classmethod
    def of(cls, series: Sequence[Series]) -> _Scale:
        values = [v for one in series for v in one.values]
        low, high = min(0, *values), max(0, *values)
        return cls(low, high if high > low else low + 1, _top(series))

    @property
    def plot_height(self) -> int:
        return PLOT_HEIGHT

    @property
    def bottom(self) -> int:
        return self.top + PLOT_HEIGHT

    def y(self, value: int) -> int:
        return self.top + (self.high - value) * self.plot_height // (self.high - self.low)


def _frame(chart_id: str, title: str, description: str, height: int, body: list[str]) -> str:
    safe_id = _ID.sub("-", chart_id.lower()).strip("-") or "chart"
    return "".join(
        [
            f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-labelledby="{safe_id}-title {safe_id}-desc" '
            'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
            f'<title id="{safe_id}-title">{_text(title)}</title>',
            f'<desc id="{safe_id}-desc">{_text(description)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _axes(scale: _Scale, fmt: Formatter) -> list[str]:
    """The zero line and the top (and bottom, when negative) values, in ``fmt``."""
    zero = scale.y(0)
    parts = [
        f'<line class="chart__axis" x1="{LEFT}" y1="{zero}" x2="{WIDTH - RIGHT}" y2="{zero}"/>'
    ]
    # An empty chart's top is a placeholder of 1: a second "0" above the axis would say nothing.
    if fmt(scale.high) != fmt(0):
        parts.append(
            f'<text class="chart__tick" x="{LEFT - 6}" y="{scale.y(scale.high) + 4}" '
            f'text-anchor="end">{_text(fmt(scale.high))}</text>'
        )
    if scale.low < 0:
        parts.append(
            f'<text class="chart__tick" x="{LEFT - 6}" y="{scale.y(scale.low) + 4}" '
            f'text-anchor="end">{_text(fmt(scale.low))}</text>'
        )
    parts.append(
        f'<text class="chart__tick" x="{LEFT - 6}" y="{zero + 4}" text-anchor="end">'
        f"{_text(fmt(0))}</text>"
    )
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for index, one in enumerate(series):
        y = 8 + index * LEGEND_LINE
        parts.append(
            f'<rect class="chart__swatch chart__series-{index}" x="{LEFT}" y="{y + 2}" '
            'width="12" height="12"/>'
            f'<text class="chart__legend" x="{LEFT + 18}" y="{y + 13}">{_text(one.name)}</text>'
        )
    return parts


def _label_x(labels: Sequence[str], index: int) -> int:
    slot = (WIDTH - LEFT - RIGHT) // len(labels)
    return LEFT + slot * index + slot // 2


def _x_labels(labels: Sequence[str], scale: _Scale) -> list[str]:
    return [
        f'<text class="chart__label" x="{_label_x(labels, i)}" y="{scale.bottom + 20}" '
        f'text-anchor="middle">{_text(label)}</text>'
        for i, label in enumerate(labels)
    ]


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = str,
    tick_fmt: Formatter | None = None,
) -> str:
    """Grouped bars: for each label, one bar per series, from zero up (or down when negative)."""
    _check(labels, series)
    scale = _Scale.of(series)
    slot = (WIDTH - LEFT - RIGHT) // len(labels)
    bar = max((slot - 6) // len(series), 1)
    body = [*_legend(series), *_axes(scale, tick_fmt or fmt)]
    zero = scale.y(0)
    for i, label in enumerate(labels):
        left = LEFT + slot * i + (slot - bar * len(series)) // 2
        for index, one in enumerate(series):
            value = one.values[i]
            top, bottom = sorted((scale.y(value), zero))
            body.append(
                f'<rect class="chart__bar chart__series-{index}" x="{left + index * bar}" '
                f'y="{top}" width="{bar}" height="{max(bottom - top, 1 if value else 0)}">'
                f"<title>{_text(label)}, {_text(one.name)}: {_text(fmt(value))}</title></rect>"
            )
    body += _x_labels(labels, scale)
    return _frame(chart_id, title, description, scale.bottom + BOTTOM, body)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = str,
    tick_fmt: Formatter | None = None,
) -> str:
    """A line per series through each label's value, with a dot (and its tooltip) at each."""
    _check(labels, series)
    scale = _Scale.of(series)
    body = [*_legend(series), *_axes(scale, tick_fmt or fmt)]
    for index, one in enumerate(series):
        points = [(_label_x(labels, i), scale.y(v)) for i, v in enumerate(one.values)]
        body.append(
            f'<polyline class="chart__line chart__series-{index}" fill="none" points="'
            + " ".join(f"{x},{y}" for x, y in points)
            + '"/>'
        )
        for (x, y), label, value in zip(points, labels, one.values, strict=True):
            body.append(
                f'<circle class="chart__dot chart__series-{index}" cx="{x}" cy="{y}" r="4">'
                f"<title>{_text(label)}, {_text(one.name)}: {_text(fmt(value))}</title></circle>"
            )
    body += _x_labels(labels, scale)
    return _frame(chart_id, title, description, scale.bottom + BOTTOM, body)
