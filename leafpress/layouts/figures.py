"""Vector figures drawn from a topic's data: the forest plot and the QR code.

Nothing here is a stored picture: change the numbers in evidence.yaml or the
URL in the front matter and the figure changes with them.

The forest plot is laid out as a journal sets one: a column of labels sized to
the longest (wrapped onto two lines when long), the plot, and the estimates
with their intervals aligned on the decimal separator; column headings, the
title above, tick labels, the measure and the "favours" labels with arrows
below. Text is measured with the advance widths of the bundled Source Sans 3
(the font the SVG names), so columns fit what is printed. The axis takes
round bounds that hold the null line and every interval: a log axis
(0.1 0.2 0.5 1 2 5 10) for ratios, a linear one for differences.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import segno
from babel.numbers import format_decimal
from markupsafe import escape

from ..source.yamlfile import Location

MINUS = "\u2212"

# The SVG names only the bundled families; text is measured with their files.
FONT_FAMILY = "'Source Sans 3', 'Source Sans 3 Latin Ext'"
FONT_FILES = ("source-sans-3/source-sans-3-latin-{weight}-normal.ttf",
              "source-sans-3/source-sans-3-latin-ext-{weight}-normal.ttf")
MISSING_ADVANCE = 0.6  # em: a character neither file has (the build's font check reports it)

# Numbers print with the decimals written in the data, up to this many.
MAX_DECIMALS = 8


# --- measuring text ----------------------------------------------------------------------

@lru_cache(maxsize=4)
def _advances(weight: int) -> tuple[dict[int, float], ...]:
    """Advance width (in em) of every character of the bundled Source Sans 3 files of ``weight``."""
    from fontTools.ttLib import TTFont

    from ..project.theme import find_theme

    tables = []
    for name in FONT_FILES:
        font = TTFont(find_theme().fonts_dir / name.format(weight=weight), lazy=True)
        try:
            scale = 1 / font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            tables.append({code: metrics[glyph][0] * scale for code, glyph in font.getBestCmap().items()})
        finally:
            font.close()
    return tuple(tables)


def text_width(text: str, size: float, weight: int = 400) -> float:
    """Width of ``text`` set at ``size`` in Source Sans 3 (kerning left out: it only narrows)."""
    tables = _advances(weight)
    total = 0.0
    for char in text:
        code = ord(char)
        total += next((table[code] for table in tables if code in table), MISSING_ADVANCE)
    return total * size


def wrap(text: str, width: float, size: float, weight: int = 400, most: int = 1000) -> list[str]:
    """``text`` broken into lines no wider than ``width``, between words (inside a word only when it must).

    Stops after ``most`` + 1 lines: enough to tell that a text is too long.
    """
    space = text_width(" ", size, weight)
    lines: list[str] = []
    current, current_width = "", 0.0
    for word in text.split():
        if len(lines) > most:
            return lines[:most + 1]
        word_width = text_width(word, size, weight)
        if current and current_width + space + word_width <= width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        while word_width > width and len(word) > 1 and len(lines) <= most:
            cut, used = 0, 0.0
            for char in word:
                step = text_width(char, size, weight)
                if cut and used + step > width:
                    break
                cut, used = cut + 1, used + step
            lines.append(word[:cut])
            word = word[cut:]
            word_width = text_width(word, size, weight)
        current, current_width = word, word_width
    if current:
        lines.append(current)
    return lines[:most + 1] or [""]


# --- numbers -----------------------------------------------------------------------------

_WRITTEN_NUMBER = re.compile(r"[+-]?(?P<whole>[0-9][0-9_]*)?(?:\.(?P<fraction>[0-9][0-9_]*)?)?"
                             r"(?:[eE](?P<exponent>[+-]?[0-9]+))?")


def decimals_written(text: str | None) -> int | None:
    """How many decimals a number written as ``text`` has ("0.50": 2, "3": 0, "1.5e-3": 4); None if not a number."""
    if text is None:
        return None
    match = _WRITTEN_NUMBER.fullmatch(text.strip())
    if match is None or not (match["whole"] or match["fraction"]):
        return None
    exponent = match["exponent"] or "0"
    if len(exponent) > 6:  # a number YAML could hold but no one could plot
        return MAX_DECIMALS if exponent.startswith("-") else 0
    decimals = len((match["fraction"] or "").replace("_", "")) - int(exponent)
    return min(max(decimals, 0), MAX_DECIMALS)


def format_number(value: float, locale: str, decimals: int = 2) -> str:
    """``value`` with ``decimals`` decimals in the locale's style, with a true minus sign."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(value if value != 0 else 0.0, format=pattern, locale=locale)
    return MINUS + text[1:] if text.startswith(("-", MINUS)) else text


def format_written(value: float, written: str | None, locale: str) -> str:
    """``value`` as the data wrote it ("0.50" stays 0.50), in the locale's style."""
    decimals = decimals_written(written)
    if decimals is None:  # not written as a plain number: as few decimals as say it exactly
        decimals = shortest_decimals(value)
    return format_number(value, locale, decimals)


def shortest_decimals(value: float) -> int:
    """The fewest decimals that print ``value`` exactly: 3.0 none, 0.25 two, 1e-06 six."""
    text = repr(float(value))
    if "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return decimals_written(text) or 0


# --- axes ----------------------------------------------------------------------------------

MAX_TICKS = 9
MIN_STEP_EXPONENT = -6  # linear ticks are never closer than 0.000001


def linear_ticks(low: float, high: float, most: int = MAX_TICKS) -> list[float]:
    """Round ticks (steps of 1, 2 or 5 times a power of ten) from at or below ``low`` to at or above ``high``.

    At most ``most`` ticks (at least three, for a range around zero). Equal
    ``low`` and ``high`` get a unit either side.
    """
    most = max(most, 3)
    if not low < high:
        pad = 1.0 if low == 0 else 10.0 ** math.floor(math.log10(abs(low)))
        low, high = low - pad, high + pad
    exponent = max(math.floor(math.log10((high - low) / most)), MIN_STEP_EXPONENT)
    while True:
        for multiple in (1, 2, 5):
            step = float(f"{multiple}e{exponent}")
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            first -= int(first * step > low)  # never a bound inside the data
            last += int(last * step < high)
            if last - first + 1 <= most:
                decimals = max(-exponent, 0)
                return [round(index * step, decimals) + 0.0 for index in range(first, last + 1)]
        exponent += 1


def linear_decimals(ticks: Sequence[float]) -> int:
    """Decimals that print every tick of a linear axis exactly, the same for all."""
    return max((shortest_decimals(t) for t in ticks), default=0)


def log_ticks(low: float, high: float, most: int = MAX_TICKS) -> list[float]:
    """Round ticks of a log axis from at or below ``low`` to at or above ``high`` (both above 0).

    0.1 0.2 0.5 1 2 5 10 when they are few enough; else powers of ten, every
    one or every second, third...; at most ``most`` ticks (at least two).
    """
    most = max(most, 2)
    if not low < high:
        low, high = low / 2, high * 2
    bottom = math.floor(math.log10(low) + 1e-9)
    top = math.ceil(math.log10(high) - 1e-9)
    series = [float(f"{m}e{k}") for k in range(bottom - 1, top + 1) for m in (1, 2, 5)]
    start = max(t for t in series if t <= low * (1 + 1e-9))
    end = min(t for t in series if t >= high * (1 - 1e-9))
    ticks = [t for t in series if start <= t <= end]
    stride = 1
    while len(ticks) > most:  # powers of ten only, every `stride`
        first = math.floor(math.log10(low) / stride + 1e-9) * stride
        last = math.ceil(math.log10(high) / stride - 1e-9) * stride
        ticks = [float(f"1e{k}") for k in range(first, last + 1, stride)]
        stride += 1
    return ticks


def log_decimals(tick: float) -> int:
    """Decimals that print a log axis tick: 0.05 has two, 5 none."""
    return max(-math.floor(math.log10(tick) + 1e-9), 0)


# --- the forest plot -------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One estimate: its label, its numbers, and the numbers as they print (with the decimals written)."""

    label: str
    value: float
    low: float
    high: float
    printed: tuple[str, str, str]  # value, low, high


@dataclass(frozen=True)
class PlotSpec:
    """Everything the forest plot shows, its words already in the document's language."""

    title: str
    rows: tuple[Row, ...]
    ratio: bool  # a log axis
    null: float
    axis_label: str
    label_header: str
    value_header: str
    confidence: str
    to_word: str
    decimal_symbol: str
    locale: str
    favours_left: str | None = None
    favours_right: str | None = None
    # Limits the data sets (None: round bounds around the data), and how they print.
    axis_min: float | None = None
    axis_max: float | None = None
    printed_limits: tuple[str | None, str | None] = (None, None)


@dataclass(frozen=True)
class Figure:
    """An SVG drawing (as a data: URI, so it can be an <img> with alt text) and that alt text."""

    src: str
    alt: str
    width_pt: float


# A text of the data that does not fit its place, at its location under forest_plot, and why.
Issue = tuple[Location, str]

WIDTH = 390.0  # the summary's figure column, in points: the drawing prints at about 1:1
BODY, SMALL, TITLE = 8.5, 7.5, 9.5  # font sizes
LINE = BODY * 1.22
GAP = 10.0  # between the label column, the plot and the numbers
LABEL_MIN, LABEL_MAX = 60.0, WIDTH * 0.34
PLOT_MIN = 110.0
SEMIBOLD = 600


def _split(text: str, symbol: str) -> tuple[str, str]:
    """A printed number in two at its decimal separator: '12' and '.34' (or '12' and '' with none)."""
    head, found, tail = text.rpartition(symbol)
    return (head, found + tail) if found else (text, "")


class _Column:
    """Numbers aligned on their decimal separators, each printed whole (so it copies as one)."""

    def __init__(self, texts: Sequence[str], symbol: str):
        self.parts = [_split(text, symbol) for text in texts]
        self.whole = max(text_width(head, BODY) for head, _ in self.parts)
        self.width = self.whole + max(text_width(tail, BODY) for _, tail in self.parts)

    def ends(self, start: float) -> list[float]:
        """Where each number ends (it is set right-aligned there) when the column starts at ``start``."""
        return [start + self.whole + text_width(tail, BODY) for _, tail in self.parts]


def _text(x: float, y: float, text: str, anchor: str = "start", size: float = BODY, weight: int = 400,
          fill: str | None = None) -> str:
    attributes = f'x="{x:.2f}" y="{y:.2f}"'
    if anchor != "start":
        attributes += f' text-anchor="{anchor}"'
    if size != BODY:
        attributes += f' font-size="{size:g}"'
    if weight != 400:
        attributes += f' font-weight="{weight}"'
    if fill:
        attributes += f' fill="{fill}"'
    return f"<text {attributes}>{escape(text)}</text>"


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = "currentColor", width: float = 1.25,
          extra: str = "") -> str:
    return (f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="{stroke}" '
            f'stroke-width="{width:g}"{extra}/>')


def _arrowhead(x: float, y: float, direction: int, size: float = 4.0, fill: str = "currentColor") -> str:
    """A filled arrowhead with its tip at (x, y), pointing left (-1) or right (+1)."""
    back = x - direction * size * 1.3
    return (f'<path d="M{x:.2f} {y:.2f}L{back:.2f} {y - size / 2 - 0.5:.2f}L{back:.2f} {y + size / 2 + 0.5:.2f}Z" '
            f'fill="{fill}"/>')


@dataclass(frozen=True)
class Axis:
    """Where the axis starts and ends, its ticks and their labels."""

    low: float
    high: float
    ticks: tuple[float, ...]
    labels: tuple[str, ...]


def _tick_labels(ticks: Sequence[float], spec: PlotSpec) -> list[str]:
    if spec.ratio:
        return [format_number(t, spec.locale, log_decimals(t)) for t in ticks]
    decimals = linear_decimals(ticks)
    return [format_number(t, spec.locale, decimals) for t in ticks]


def _fits(positions: Sequence[float], labels: Sequence[str]) -> bool:
    """Whether tick labels centred at ``positions`` leave a gap between neighbours."""
    widths = [text_width(label, SMALL) for label in labels]
    return all(positions[i] + widths[i] / 2 + 4 <= positions[i + 1] - widths[i + 1] / 2
               for i in range(len(positions) - 1))


def plot_axis(spec: PlotSpec, plot_width: float) -> Axis:
    """Round bounds holding the null line and every interval (or the data's own limits), with ticks that fit."""
    lows = [row.low for row in spec.rows] + [spec.null]
    highs = [row.high for row in spec.rows] + [spec.null]
    low = spec.axis_min if spec.axis_min is not None else min(lows)
    high = spec.axis_max if spec.axis_max is not None else max(highs)
    scale = (lambda v: math.log10(v)) if spec.ratio else (lambda v: v)

    def unscale(position: float) -> float:
        return 10.0 ** position if spec.ratio else position
    # All the data on one side of the null line: the axis goes on past it, so a reader
    # sees the scale on the other side too (and the line is not the plot's edge).
    span = scale(high) - scale(low)
    if span > 0 and math.isfinite(span):
        if spec.axis_max is None and max(row.high for row in spec.rows) <= spec.null:
            high = unscale(scale(high) + span / 8)
        if spec.axis_min is None and min(row.low for row in spec.rows) >= spec.null:
            low = unscale(scale(low) - span / 8)
    for most in range(MAX_TICKS, 1, -1):
        ticks = (log_ticks if spec.ratio else linear_ticks)(low, high, most)
        labels = _tick_labels(ticks, spec)
        pairs = list(zip(ticks, labels, strict=True))
        # Limits the data sets are the ends of the axis, labelled as written.
        if spec.axis_min is not None:
            pairs = [(spec.axis_min, spec.printed_limits[0] or "")] + [p for p in pairs if p[0] > spec.axis_min]
        if spec.axis_max is not None:
            pairs = [p for p in pairs if p[0] < spec.axis_max] + [(spec.axis_max, spec.printed_limits[1] or "")]
        start, end = scale(pairs[0][0]), scale(pairs[-1][0])
        positions = [(scale(t) - start) / (end - start) * plot_width for t, _ in pairs]
        # Inner ticks give way to the ends' labels; the ends always stay.
        while len(pairs) > 2 and not _fits(positions, [label for _, label in pairs]):
            if most > 2 and spec.axis_min is None and spec.axis_max is None:
                break  # try fewer, rounder ticks first
            crowded = next(i for i in range(1, len(pairs) - 1)
                           if not _fits(positions[i - 1:i + 2], [label for _, label in pairs[i - 1:i + 2]]))
            del pairs[crowded], positions[crowded]
        if _fits(positions, [label for _, label in pairs]) or most == 2:
            return Axis(pairs[0][0], pairs[-1][0], tuple(t for t, _ in pairs), tuple(lb for _, lb in pairs))
    raise AssertionError("unreachable: the loop returns at two ticks")  # pragma: no cover


def forest_plot(spec: PlotSpec, colour: str = "#1a1a1a") -> tuple[Figure | None, list[Issue]]:
    """An SVG forest plot: one row per estimate, square at the value, line for the interval.

    When a text of the data does not fit its place, no figure: the issues say which and why.
    """
    issues: list[Issue] = []

    # The label column: as wide as the longest label, up to a third of the figure; then two lines.
    widest = max([text_width(row.label, BODY) for row in spec.rows]
                 + [text_width(spec.label_header, BODY, SEMIBOLD)])
    label_width = min(max(widest, LABEL_MIN), LABEL_MAX)
    labels = []
    for index, row in enumerate(spec.rows):
        lines = wrap(row.label, label_width, BODY, most=2)
        if len(lines) > 2:
            issues.append((("estimates", index, "label"), "is too long for the forest plot: two lines of about "
                           f"{_characters(label_width, BODY)} characters fit beside it; shorten it"))
        labels.append(lines[:2])

    # The numbers: value, then (low to high), each column aligned on the decimal separator.
    symbol = spec.decimal_symbol
    values = _Column([row.printed[0] for row in spec.rows], symbol)
    lows = _Column(["(" + row.printed[1] for row in spec.rows], symbol)
    highs = _Column([row.printed[2] + ")" for row in spec.rows], symbol)
    space = text_width(" ", BODY)
    to_width = text_width(spec.to_word, BODY)
    numbers_width = values.width + 2.5 * space + lows.width + space + to_width + space + highs.width
    header_width = text_width(spec.value_header, BODY, SEMIBOLD)
    value_width = max(numbers_width, header_width)

    # Wider than the column (long numbers): the drawing is drawn wider and prints smaller.
    width = max(WIDTH, label_width + GAP + PLOT_MIN + GAP + value_width)
    plot_left = label_width + GAP
    plot_width = width - value_width - GAP - plot_left
    value_left = width - numbers_width

    axis = plot_axis(spec, plot_width)
    scale = (lambda v: math.log10(v)) if spec.ratio else (lambda v: v)
    start, end = scale(axis.low), scale(axis.high)

    def x(value: float) -> float:
        return plot_left + (scale(min(max(value, axis.low), axis.high)) - start) / (end - start) * plot_width

    parts: list[str] = []
    y = 0.0
    title = wrap(spec.title, width, TITLE, SEMIBOLD, most=3)
    if len(title) > 3:
        issues.append((("title",), "is too long for the forest plot's heading: three lines of about "
                       f"{_characters(width, TITLE)} characters fit; shorten it"))
    for line in title[:3]:
        y += TITLE * 1.25
        parts.append(_text(0, y - 2, line, size=TITLE, weight=SEMIBOLD))
    y += 5

    # Column headings and a rule under them.
    y += BODY
    parts += [_text(0, y, spec.label_header, weight=SEMIBOLD),
              _text(width, y, spec.value_header, anchor="end", weight=SEMIBOLD)]
    y += 4
    parts.append(_line(0, y, width, y, stroke="#8a8a8a", width=0.5))
    rows_top = y
    y += 3

    value_ends = values.ends(value_left)
    low_left = value_left + values.width + 2.5 * space
    low_ends = lows.ends(low_left)
    to_left = low_left + lows.width + space
    high_ends = highs.ends(to_left + to_width + space)
    for index, row in enumerate(spec.rows):
        height = max(len(labels[index]), 1) * LINE + 5
        centre = y + height / 2
        baseline = centre + BODY * 0.34
        first = baseline - (len(labels[index]) - 1) * LINE / 2
        parts += [_text(0, first + n * LINE, line) for n, line in enumerate(labels[index])]
        left, right, mid = x(row.low), x(row.high), x(row.value)
        parts.append(_line(left, centre, right, centre))
        for end_x, beyond, direction in ((left, row.low < axis.low, -1), (right, row.high > axis.high, 1)):
            if beyond:  # cut by the data's limit: an arrow says it goes on
                parts.append(_arrowhead(end_x + direction * 1.5, centre, direction))
            else:
                parts.append(_line(end_x, centre - 3, end_x, centre + 3))
        parts += [
            f'<rect x="{mid - 3.25:.2f}" y="{centre - 3.25:.2f}" width="6.5" height="6.5" fill="currentColor"/>',
            _text(value_ends[index], baseline, row.printed[0], anchor="end"),
            _text(low_ends[index], baseline, "(" + row.printed[1], anchor="end"),
            _text(to_left, baseline, spec.to_word),
            _text(high_ends[index], baseline, row.printed[2] + ")", anchor="end"),
        ]
        y += height

    # The axis, its ticks and labels, the null line from the headings down to it.
    axis_y = y + 3
    null_x = x(spec.null)
    parts += [
        _line(null_x, rows_top, null_x, axis_y, stroke="#555555", width=0.75, extra=' stroke-dasharray="3 2"'),
        _line(plot_left, axis_y, plot_left + plot_width, axis_y, stroke="#1a1a1a", width=0.75),
    ]
    for tick, label in zip(axis.ticks, axis.labels, strict=True):
        parts += [_line(x(tick), axis_y, x(tick), axis_y + 3, stroke="#1a1a1a", width=0.75),
                  _text(x(tick), axis_y + 3 + SMALL + 1, label, anchor="middle", size=SMALL)]
    y = axis_y + 3 + SMALL + 2

    # What the axis measures, centred under the plot (kept inside the drawing).
    axis_lines = wrap(spec.axis_label, width, 8, most=2)
    if len(axis_lines) > 2:
        issues.append((("axis_label",), "is too long for the forest plot's axis: two lines of about "
                       f"{_characters(width, 8)} characters fit; shorten it"))
    for line in axis_lines[:2]:
        y += 8 * 1.25
        half = text_width(line, 8) / 2
        centre_x = min(max(plot_left + plot_width / 2, half), width - half)
        parts.append(_text(centre_x, y, line, anchor="middle", size=8))

    # "Favours" either side of the null line, each with an arrow pointing its way.
    favours = []
    for key, text, room, direction in (("favours_left", spec.favours_left, null_x - 5, -1),
                                       ("favours_right", spec.favours_right, width - null_x - 5, 1)):
        if not text:
            continue
        lines = wrap(text, room, SMALL, most=2)
        if len(lines) > 2:
            issues.append(((key,), f"is too long for the forest plot: two lines of about "
                           f"{_characters(room, SMALL)} characters fit on that side of the null line; shorten it"))
        favours.append((lines[:2], direction))
    if favours:
        y += 4
        rows_needed = max(len(lines) for lines, _ in favours)
        for lines, direction in favours:
            near = null_x + direction * 5
            for n, line in enumerate(lines):
                parts.append(_text(near, y + SMALL + n * SMALL * 1.25, line, anchor="start" if direction > 0
                                   else "end", size=SMALL, fill="#444444"))
            arrow_y = y + SMALL + (rows_needed - 1) * SMALL * 1.25 + 5
            length = min(max(text_width(line, SMALL) for line in lines), 40.0)
            far = near + direction * length
            parts += [_line(near, arrow_y, far - direction * 3, arrow_y, stroke="#444444", width=0.75),
                      _arrowhead(far, arrow_y, direction, size=3.0, fill="#444444")]
        y += SMALL + (rows_needed - 1) * SMALL * 1.25 + 8
    height = y + 3

    if issues:
        return None, issues
    svg = "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.2f} {height:.2f}" '
        f'width="{width:.2f}pt" height="{height:.2f}pt" font-family="{escape(FONT_FAMILY)}" font-size="{BODY}" '
        f'fill="#1a1a1a" color="{escape(colour)}">',
        f"<title>{escape(spec.title)}</title>",
        *parts,
        "</svg>",
    ])
    return Figure(svg_data_uri(svg), alt_text(spec), width), []


def alt_text(spec: PlotSpec) -> str:
    """The plot in words, for the <img>'s alt text."""
    points = "; ".join(f"{row.label}: {row.printed[0]} ({spec.confidence} {row.printed[1]} {spec.to_word} "
                       f"{row.printed[2]})" for row in spec.rows)
    favours = " / ".join(text for text in (spec.favours_left, spec.favours_right) if text)
    return f"{spec.title}. {spec.axis_label}. {points}." + (f" {favours}." if favours else "")


def _characters(width: float, size: float) -> int:
    """About how many characters of ordinary text fit in ``width``."""
    return max(int(width / (0.5 * size)), 1)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def qr_code_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data: URI (vectors, so it prints sharp at any size)."""
    code = segno.make(url, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", xmldecl=False, scale=1, border=2, dark="#000000")
    return svg_data_uri(buffer.getvalue().decode("utf-8"))
