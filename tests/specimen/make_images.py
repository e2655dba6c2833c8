"""Test fixture, not medical content: draws the specimen's PNG images.

Run from anywhere: ``python tests/specimen/make_images.py``. The drawing uses
only Pillow primitives and its built-in bitmap font, with fixed numbers, so
the files come out the same each time; the PNGs are committed beside the topic.

* ``chart-wide.png``: a 1500 x 600 px bar chart (a wide figure that must be
  scaled down to the text width).
* ``chart-small.png``: a 300 x 200 px chart, too few pixels for print at any
  useful size (a low-resolution image).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

TOPIC = Path(__file__).resolve().parent / "content" / "specimen"
VALUES = (12, 27, 41, 35, 58, 63, 49, 72, 66, 80, 54, 38)  # arbitrary fixture numbers
COLOURS = ((31, 95, 139), (183, 75, 52))


def bar_chart(width: int, height: int, values: tuple[int, ...], title: str) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, height // 24))
    margin = width // 15
    top, bottom = height // 7, height - height // 7
    draw.text((margin, height // 40), title, fill="black", font=font)
    draw.line((margin, top, margin, bottom), fill="black", width=2)
    draw.line((margin, bottom, width - margin // 2, bottom), fill="black", width=2)
    for tick in range(0, 101, 20):
        y = bottom - (bottom - top) * tick / 100
        draw.line((margin - 8, y, margin, y), fill="black", width=2)
        draw.text((margin // 6, y - height // 48), str(tick), fill="black", font=font)
    slot = (width - margin * 1.5) / len(values)
    for index, value in enumerate(values):
        left = margin + slot * index + slot * 0.15
        right = left + slot * 0.7
        draw.rectangle((left, bottom - (bottom - top) * value / 100, right, bottom), fill=COLOURS[index % 2])
        draw.text((left, bottom + height // 60), f"G{index + 1}", fill="black", font=font)
    return image


def main() -> None:
    wide = bar_chart(1500, 600, VALUES, "Test fixture, not medical content: counts per group (made up)")
    wide.save(TOPIC / "chart-wide.png", optimize=True)
    small = bar_chart(300, 200, VALUES[:5], "Fixture (made up)")
    small.save(TOPIC / "chart-small.png", optimize=True)


if __name__ == "__main__":
    main()
