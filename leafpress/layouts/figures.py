"""Vector figures drawn from a topic's data: the forest plot and the QR code.

Nothing here is a stored picture: change the numbers in evidence.yaml or the
URL in the front matter and the figure changes with them.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno
from babel.numbers import format_decimal
from markupsafe import escape

if TYPE_CHECKING:
    from .builtin.summary import ForestPlot

MINUS = "\u2212"


def format_number(value: float, locale: str) -> str:
    """Two decimals in the locale's style, with a true minus sign."""
    text = format_decimal(value, format="#,##0.00", locale=locale)
    return MINUS + text[1:] if text.startswith(("-", MINUS)) else text


@dataclass(frozen=True)
class Figure:
    """An SVG drawing (as a data: URI, so it can be an <img> with alt text) and that alt text."""

    src: str
    alt: str
    width_pt: float


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next(s for s in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, math.inf) if span / s <= 8)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def forest_plot(plot: ForestPlot, locale: str, to_word: str, colour: str = "#1a1a1a",
                font: str = "Source Sans 3, Source Sans 3 Latin Ext") -> Figure:
    """An SVG forest plot: one row per estimate, square at the value, line for the interval."""
    values = [e.ci_low for e in plot.estimates] + [e.ci_high for e in plot.estimates] + [plot.null_value]
    ticks = _ticks(min(values), max(values))
    axis_low, axis_high = ticks[0], ticks[-1]

    label_width, plot_width, value_width = 120.0, 150.0, 118.0
    row_height, top = 22.0, 8.0
    width = label_width + plot_width + value_width
    axis_y = top + row_height * len(plot.estimates) + 4
    height = axis_y + 46

    def x(value: float) -> float:
        return label_width + (value - axis_low) / (axis_high - axis_low) * plot_width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}pt" height="{height:.0f}pt" font-family="{escape(font)}" font-size="8.5" '
        f'fill="#1a1a1a" color="{escape(colour)}">',
        f"<title>{escape(plot.title)}</title>",
        f'<line x1="{x(plot.null_value):.2f}" y1="{top - 4}" x2="{x(plot.null_value):.2f}" y2="{axis_y}" '
        'stroke="#555555" stroke-width="0.75" stroke-dasharray="3 2"/>',
    ]
    for index, estimate in enumerate(plot.estimates):
        y = top + row_height * index + row_height / 2
        low, high, mid = x(estimate.ci_low), x(estimate.ci_high), x(estimate.value)
        interval = (f"{format_number(estimate.value, locale)} ({format_number(estimate.ci_low, locale)} "
                    f"{to_word} {format_number(estimate.ci_high, locale)})")
        parts += [
            f'<text x="0" y="{y + 3.5:.2f}">{escape(estimate.label)}</text>',
            f'<line x1="{low:.2f}" y1="{y:.2f}" x2="{high:.2f}" y2="{y:.2f}" '
            'stroke="currentColor" stroke-width="1.25"/>',
            f'<line x1="{low:.2f}" y1="{y - 4:.2f}" x2="{low:.2f}" y2="{y + 4:.2f}" stroke="currentColor" '
            'stroke-width="1.25"/>',
            f'<line x1="{high:.2f}" y1="{y - 4:.2f}" x2="{high:.2f}" y2="{y + 4:.2f}" stroke="currentColor" '
            'stroke-width="1.25"/>',
            f'<rect x="{mid - 4:.2f}" y="{y - 4:.2f}" width="8" height="8" fill="currentColor"/>',
            f'<text x="{width}" y="{y + 3.5:.2f}" text-anchor="end">{escape(interval)}</text>',
        ]
    parts.append(f'<line x1="{label_width}" y1="{axis_y}" x2="{label_width + plot_width}" y2="{axis_y}" '
                 'stroke="#1a1a1a" stroke-width="0.75"/>')
    for tick in ticks:
        parts += [
            f'<line x1="{x(tick):.2f}" y1="{axis_y}" x2="{x(tick):.2f}" y2="{axis_y + 3}" stroke="#1a1a1a" '
            'stroke-width="0.75"/>',
            f'<text x="{x(tick):.2f}" y="{axis_y + 12}" text-anchor="middle" font-size="7.5">'
            f"{escape(format_number(tick, locale).rstrip('0').rstrip(',.') or '0')}</text>",
        ]
    centre = label_width + plot_width / 2
    parts += [
        f'<text x="{centre:.2f}" y="{axis_y + 25}" text-anchor="middle" font-size="8">'
        f"{escape(plot.measure)} ({escape(plot.confidence)})</text>",
        f'<text x="{x(plot.null_value) - 4:.2f}" y="{axis_y + 38}" text-anchor="end" font-size="7.5" fill="#555555">'
        f"{escape(plot.favours_left)}</text>",
        f'<text x="{x(plot.null_value) + 4:.2f}" y="{axis_y + 38}" font-size="7.5" fill="#555555">'
        f"{escape(plot.favours_right)}</text>",
        "</svg>",
    ]
    points = "; ".join(
        f"{e.label}: {format_number(e.value, locale)} ({plot.confidence} {format_number(e.ci_low, locale)} "
        f"{to_word} {format_number(e.ci_high, locale)})" for e in plot.estimates)
    alt = f"{plot.title}. {plot.measure}. {points}. {plot.favours_left} / {plot.favours_right}."
    return Figure(svg_data_uri("".join(parts)), alt, width)


def qr_code_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data: URI (vectors, so it prints sharp at any size)."""
    code = segno.make(url, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, scale=1, border=2, dark="#000000")
    return svg_data_uri(buffer.getvalue().decode("utf-8"))
