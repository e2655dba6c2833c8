"""WeasyPrint, locked down: HTML string -> PDF bytes.

WeasyPrint's default fetcher reads any file: URL and any web address a
document names. Ours reads only regular files under a few allowed folders
(after resolving '..' and symbolic links), never a hard link (which could be
any file of the disk), as leafpress reads every file
(:func:`leafpress.source.safefile.read_bytes`), plus inline data: URLs, and
records every refusal so the build can report it. A file missing from the
project's styles/ or templates/ is read from the same place in leafpress's
theme, which a project overrides file by file. A raster image over 40
megapixels is refused from its header alone, before anything decodes it, so
a small file that would unpack to gigabytes (a decompression bomb) never does.
"""

from __future__ import annotations

import atexit
import errno
import io
import itertools
import logging
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from PIL import Image
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..errors import display_path, printable
from ..finish.profiles import DEFAULT_PROFILE, PROFILES, Profile
from ..paths import LINK_LOOP, resolve
from ..project.theme import Fallbacks, with_fallback
from ..source.safefile import FileRefused, read_bytes
from .svg_fonts import bundled_fonts_in_svg_file, is_svg

MAX_RESOURCE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a full-page photo at 300 dpi on A3 is 17 megapixels
MAX_MESSAGE_CHARS = 300


MAX_STYLESHEET_BYTES = 2 * 2**20

# WeasyPrint converts WOFF fonts (the world fonts certificates use for names in any script)
# through fontTools, which stamps the current time into each font it writes unless
# SOURCE_DATE_EPOCH is set: fixed, the same input gives the same bytes on every run.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


class FetchRefused(ValueError):
    pass




@dataclass(frozen=True)
class Refusal:
    """A file or address the fetcher would not load: the URL WeasyPrint asked for and why, in words."""

    url: str
    message: str

    def __str__(self) -> str:
        return self.message


class ProjectFetcher(URLFetcher):
    """Serve regular files under ``roots`` and data: URLs; refuse the rest.

    ``fallbacks`` pairs a project folder with a theme folder (see
    :attr:`leafpress.project.config.Project.theme_fallbacks`): a file missing
    from the first is read from the same relative path in the second, and
    files in the second are allowed as files under ``roots`` are.
    """

    def __init__(self, roots: tuple[Path, ...], fallbacks: Fallbacks = ()):
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=False)
        self.fallbacks = tuple((own.resolve(), theirs.resolve()) for own, theirs in fallbacks)
        self.roots = tuple(dict.fromkeys([*(root.resolve() for root in roots),
                                          *(theirs for _, theirs in self.fallbacks)]))
        self.refused: list[Refusal] = []
        self.read: list[Path] = []  # every file served, so a cache of what was parsed can tell it is stale

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            parts = urlsplit(url)
            if parts.scheme == "data":
                response = super().fetch(url, headers)
                data = response.read()
                _check_image(url, data)
                if is_svg(data, ""):
                    data = bundled_fonts_in_svg_file(data)
                return URLFetcherResponse(url, data, headers=response.headers)
            if parts.scheme != "file" or parts.netloc.lower() not in ("", "localhost"):
                raise FetchRefused(f"{_short_url(url)} is not a file of this project (no network access)")
            path = with_fallback(resolve(Path(unquote(parts.path))), self.fallbacks)
            if not any(path.is_relative_to(root) for root in self.roots):
                raise FetchRefused(f"{_short_url(url)} is outside the project's content, styles and templates")
            try:
                data = read_bytes(path, MAX_RESOURCE_BYTES)  # a regular file, not a hard link, not too large
            except FileRefused as exc:
                raise FetchRefused(f"{_short_url(url)} {exc.reason}") from None
            self.read.append(path)
            _check_image(url, data)
            if is_svg(data, path.name):
                data = bundled_fonts_in_svg_file(data)
            return URLFetcherResponse(path.as_uri(), data)
        except FetchRefused as exc:
            self.refused.append(Refusal(url, str(exc)))
            raise
        except ValueError:  # e.g. an encoded NUL byte in the path
            message = f"{_short_url(url)} is not a valid file path"
            self.refused.append(Refusal(url, message))
            raise FetchRefused(message) from None
        except OSError as exc:
            message = (f"{_short_url(url)} {LINK_LOOP}" if exc.errno == errno.ELOOP else
                       f"{_short_url(url)} cannot be read ({exc.strerror or exc}): check the file's name, and that "
                       "it is in the topic's folder")
            self.refused.append(Refusal(url, message))
            raise FetchRefused(message) from None


def _check_image(url: str, data: bytes) -> None:
    """Refuse a raster image with too many pixels, reading only its header."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:  # over Pillow's own limit, which is above ours
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{pixels.group(1)} pixels" if pixels else "too many pixels"
    except Exception:  # noqa: BLE001 - not an image Pillow knows (a stylesheet, a font, SVG): not ours to judge
        return
    else:
        if width * height <= MAX_IMAGE_PIXELS:
            return
        size = f"{width} x {height} pixels"
    raise FetchRefused(f"{_short_url(url)} is an image of {size}, over the limit of "
                       f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels: scale it down")


def _short_url(url: str, limit: int = 80) -> str:
    """A URL on one short line; a long one loses its middle, so the file name at its end stays."""
    if len(url) > limit * 4:
        url = url[: limit * 2] + url[-limit * 2:]
    url = printable(" ".join(url.split()))
    if len(url) <= limit:
        return url
    head = limit // 3
    return url[:head] + "…" + url[-(limit - head - 1):]


def _short(url: str, limit: int = 80) -> str:
    url = printable(" ".join(url[: limit * 4].split()))
    return url if len(url) <= limit else url[: limit - 1] + "…"


class _LogCollector(logging.Handler):
    """Collect WeasyPrint's warnings so they become build problems, not noise."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.rstrip().endswith(":"):  # an exception without a message, as a broken SVG gives
            message = message.rstrip() + " it is broken or not a supported image"
        # WeasyPrint quotes the document (a CSS value, a URL): keep it to one short line.
        self.messages.append(_short(message, MAX_MESSAGE_CHARS))


@dataclass(frozen=True)
class Typeset:
    pdf: bytes
    pages: int
    warnings: tuple[str, ...]
    refused: tuple[Refusal, ...]
    # Height of the content set on each page, to say how far a document overflows.
    used_mm: tuple[float, ...] = ()
    # The smallest running text on the pages: its size in points and its words (None: no text).
    smallest_text: tuple[float, str] | None = None
    # Elements marked data-source="<name>", in document order: the name, the first and last
    # page it is set on, and its height in mm (to tell which part of a document takes most room).
    sources: tuple[tuple[str, int, int, float], ...] = ()
    # Raster images printed below print resolution: their URL, pixels across, printed width in mm, ppi.
    low_resolution: tuple[tuple[str, int, float, float], ...] = ()

    def overflow_beyond(self, pages: int) -> float:
        """Millimetres of content set after the first ``pages`` pages."""
        return sum(self.used_mm[pages:])


PX_TO_MM = 25.4 / 96


def _used_height_mm(page: Any) -> float:  # a weasyprint Page
    """How far down its content area a page is filled, from its line and image boxes.

    Margin boxes (running header and footer) are left out: they are not content.
    """
    page_box = page._page_box
    top = page_box.content_box_y()
    bottoms = [box.position_y + box.margin_height()
               for child in page_box.children if type(child).__name__ != "MarginBox"
               for box in child.descendants()
               if type(box).__name__ in ("LineBox", "InlineReplacedBox", "BlockReplacedBox")]
    return float(max(bottoms, default=top) - top) * PX_TO_MM


def _sources(pages: list[Any]) -> tuple[tuple[str, int, int, float], ...]:  # weasyprint Pages
    """Elements marked ``data-source``: (name, first page, last page, height in mm over all its pages)."""
    found: dict[str, list[float]] = {}

    def walk(box: Any, number: int) -> None:
        element = getattr(box, "element", None)
        name = element.get("data-source") if element is not None else None
        if name:  # the element's outermost box: its height holds its descendants'
            span = found.setdefault(name, [number, number, 0.0])
            span[1] = number
            span[2] += float(box.margin_height()) * PX_TO_MM
            return
        for child in getattr(box, "children", ()):
            walk(child, number)

    for number, page in enumerate(pages, start=1):
        walk(page._page_box, number)
    return tuple((name, int(first), int(last), height) for name, (first, last, height) in found.items())


def _flow_lines(page: Any) -> list[Any]:  # a weasyprint Page -> its LineBoxes with text, top to bottom
    """The lines of a page's main text: not its running headers and footers, not its footnotes."""
    lines = []
    stack = [child for child in page._page_box.children
             if type(child).__name__ not in ("MarginBox", "FootnoteAreaBox")]
    while stack:
        box = stack.pop()
        if type(box).__name__ == "LineBox":
            if any(type(c).__name__ == "TextBox" and c.text.strip() for c in box.descendants()):
                lines.append(box)
        elif box.style["float"] != "footnote":
            stack.extend(getattr(box, "children", ()))
    return sorted(lines, key=lambda line: line.position_y)


def _line_text(line: Any) -> str:
    return "".join(box.text for box in line.descendants() if type(box).__name__ == "TextBox")


def words_hyphenated_across_pages(pages: list[Any], html: str) -> list[str]:  # weasyprint Pages
    """Words that hyphenation split between the last line of a page and the first of the next.

    A word that has its own hyphen there ("parallel-group") may break at it;
    only a hyphen added by hyphenation counts.
    """
    words = []
    for page, following in itertools.pairwise(pages):
        lines, next_lines = _flow_lines(page), _flow_lines(following)
        if not lines or not next_lines:
            continue
        end = _line_text(lines[-1]).rstrip()
        if not end.endswith(("-", "\u2010")):
            continue
        head = re.findall(r"\w+$", end[:-1])
        tail = re.match(r"\w+", _line_text(next_lines[0]).lstrip())
        if head and tail and f"{head[0]}-{tail.group(0)}" not in html:
            words.append(head[0] + tail.group(0))
    return words


_TAG_OR_RAW_TEXT = re.compile(r"(<(?:style|script|head)\b.*?</(?:style|script|head)>|<[^>]*>)", re.S | re.I)


def tables_too_wide(pages: list[Any]) -> list[str]:  # weasyprint Pages
    """The data-table numbers (see :func:`number_tables`) of tables laid out wider than the block they are in."""
    wide = set()
    # Each box with its parent and grandparent: a table sits in a wrapper box, in the block that sizes it.
    stack: list[tuple[Any, Any, Any]] = [(child, page._page_box, None) for page in pages
                                         for child in page._page_box.children]
    while stack:
        box, parent, grandparent = stack.pop()
        if (type(box).__name__ == "TableBox" and box.element is not None and grandparent is not None
                and box.margin_width() > grandparent.width + 0.5):
            wide.add(box.element.get("data-table") or "")
        stack.extend((child, box, parent) for child in getattr(box, "children", ()))
    return sorted(wide - {""})


_TABLE_TAG = re.compile(r"<table\b", re.I)


def number_tables(html: str) -> str:
    """``html`` with each table numbered (data-table="0", "1", ...) so its layout can be found again."""
    numbers = itertools.count()
    return _TABLE_TAG.sub(lambda match: f'{match.group(0)} data-table="{next(numbers)}"', html)


def mark_tables_too_wide(html: str, numbers: list[str]) -> str:
    """``html`` with the tables numbered ``numbers`` marked data-too-wide, to break their words anywhere."""
    for number in numbers:
        html = html.replace(f'data-table="{number}"', f'data-table="{number}" data-too-wide', 1)
    return html


def keep_words_whole(html: str, words: list[str]) -> str:
    """``html`` with each of ``words``, wherever it is text, set so it is never hyphenated."""
    if not words:
        return html
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b")
    parts = _TAG_OR_RAW_TEXT.split(html)
    return "".join(part if index % 2 else pattern.sub(r'<span style="hyphens: manual">\1</span>', part)
                   for index, part in enumerate(parts))


# Below this, a photograph or a chart looks soft in print (300 ppi is best).
PRINT_PPI = 200
MIN_CHECKED_PX = 96 / 2.54  # 1 cm


def _low_resolution_images(pages: list[Any]) -> tuple[tuple[str, int, float, float], ...]:  # weasyprint Pages
    """Raster images set wider than their pixels can print sharply, each once (its lowest resolution)."""
    found: dict[str, tuple[str, int, float, float]] = {}
    stack = [child for page in pages for child in page._page_box.children]
    while stack:
        box = stack.pop()
        image = getattr(box, "replacement", None)
        pixels = getattr(image, "width", None)
        # Icons and spacers under a centimetre across are left alone: sharpness there is not seen.
        if (isinstance(pixels, int) and pixels > 0 and box.width and box.width > MIN_CHECKED_PX
                and type(image).__name__ == "RasterImage"):
            inches = box.width / 96
            ppi = pixels / inches
            url = box.element.get("src", "") if box.element is not None else ""
            if ppi < PRINT_PPI and (url not in found or ppi < found[url][3]):
                found[url] = (url, pixels, inches * 25.4, ppi)
        stack.extend(getattr(box, "children", ()))
    return tuple(found.values())


def _smallest_text(pages: list[Any]) -> tuple[float, str] | None:  # weasyprint Pages
    """The smallest running text on ``pages``: its font size in points and the text, to name it in a message.

    Running headers and footers are left out, and so are superscripts and
    subscripts (footnote and citation marks), which are meant to be small.
    """
    smallest: tuple[float, str] | None = None
    stack = [child for page in pages for child in page._page_box.children if type(child).__name__ != "MarginBox"]
    while stack:
        box = stack.pop()
        if box.style["vertical_align"] in ("super", "sub"):
            continue
        if type(box).__name__ == "TextBox":
            size = box.style["font_size"] * 0.75  # CSS px to pt
            if box.text.strip() and (smallest is None or size < smallest[0]):
                smallest = (size, box.text.strip())
        else:
            stack.extend(getattr(box, "children", ()))
    return smallest


def profile_css(profile: Profile, icc_profile: Path | None) -> str:
    """Page rules a profile adds on top of the layout's stylesheets."""
    rules = []
    if profile.bleed_mm:
        rules.append(f"@page {{ bleed: {profile.bleed_mm}mm; }}")
    if profile.cmyk_intent and icc_profile is not None:
        # WeasyPrint makes the 'device-cmyk' profile the PDF/X output intent.
        rules.append(f"@color-profile device-cmyk {{ src: url({icc_profile.resolve().as_uri()}); "
                     "components: cyan, magenta, yellow, black; }")
    return "\n".join(rules)


FileState = tuple[Path, int, int]  # path, modification time (ns), size; (path, -1, -1) when missing


def _file_states(paths: Iterable[Path]) -> tuple[FileState, ...]:
    states = []
    for path in dict.fromkeys(paths):
        try:
            info = path.stat()
            states.append((path, info.st_mtime_ns, info.st_size))
        except OSError:
            states.append((path, -1, -1))
    return tuple(states)


class _SharedFonts(FontConfiguration):
    """Fonts that forked processes may inherit: only the process that loaded them removes their folder.

    WeasyPrint copies each font into a temporary folder and removes it when the
    configuration is deleted; a batch worker forked from a warmed-up server must
    not remove the server's folder when it drops its inherited copy.
    """

    def __init__(self) -> None:
        super().__init__()
        self._owner = os.getpid()

    def release(self) -> None:
        """Remove the fonts' temporary folder if this process made it; the fonts cannot be used after."""
        if os.getpid() == self._owner:
            super().__del__()

    def __del__(self) -> None:
        self.release()


@dataclass(frozen=True)
class Styles:
    """A layout's stylesheets parsed, with the fonts their @font-face rules load.

    Parsing the stylesheets and loading a dozen or more font files is a fifth of
    a short document's time, and the same for every document of a layout, so
    each process keeps them (see :func:`parsed_styles`).
    """

    fonts: FontConfiguration
    sheets: tuple[CSS, ...]
    colour_profiles: dict[str, Any]
    warnings: tuple[str, ...]
    refused: tuple[Refusal, ...]
    files: tuple[FileState, ...]  # the stylesheets and every file they loaded, as they were


_STYLES: dict[tuple[object, ...], Styles] = {}
_STYLES_KEPT = 8  # a few layouts x profiles; each holds about 1 MB of fonts in a temporary folder


def _parse_styles(stylesheets: tuple[Path, ...], roots: tuple[Path, ...], profile: Profile,
                  icc_profile: Path | None, fallbacks: Fallbacks = ()) -> Styles:
    fetcher = ProjectFetcher(roots, fallbacks)
    fonts = _SharedFonts()
    colour_profiles: dict[str, Any] = {}
    collector = _LogCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        css = []
        for sheet in stylesheets:
            before = len(collector.messages)
            # Read as every other file is (a regular file, not a hard link, bounded), then given to WeasyPrint.
            real = resolve(sheet)
            try:
                if not any(real.is_relative_to(root) for root in fetcher.roots):
                    raise FileRefused("is a link to a file outside the project's styles and the theme: copy the "
                                      "file into styles/ instead")
                text = read_bytes(real, MAX_STYLESHEET_BYTES).decode("utf-8", errors="replace")
            except FileRefused as exc:
                fetcher.refused.append(Refusal(sheet.as_uri(), f"{display_path(sheet)} {exc.reason}"))
                continue
            except OSError as exc:
                fetcher.refused.append(Refusal(sheet.as_uri(), f"{display_path(sheet)} cannot be read "
                                                               f"({exc.strerror or exc})"))
                continue
            fetcher.read.append(real)
            css.append(CSS(string=text, base_url=real.as_uri(), url_fetcher=fetcher, font_config=fonts,
                           color_profiles=colour_profiles))
            # WeasyPrint gives a position ("at 114:5") but not the file: name it.
            collector.messages[before:] = [f"{display_path(sheet)}: {m}" for m in collector.messages[before:]]
        extra = profile_css(profile, icc_profile)
        if extra:
            css.append(CSS(string=extra, url_fetcher=fetcher, font_config=fonts, color_profiles=colour_profiles))
    finally:
        logger.removeHandler(collector)
    return Styles(fonts, tuple(css), colour_profiles, tuple(collector.messages), tuple(fetcher.refused),
                  _file_states(list(stylesheets) + fetcher.read))


def parsed_styles(stylesheets: tuple[Path, ...], roots: tuple[Path, ...], profile: Profile,
                  icc_profile: Path | None, fallbacks: Fallbacks = ()) -> Styles:
    """The stylesheets parsed, from this process's cache while no file they read has changed.

    WeasyPrint's CSS objects and font configuration are not changed by
    rendering, so documents can share them: the PDFs are byte for byte the same.
    ``fallbacks`` as for :class:`ProjectFetcher`.
    """
    key = (stylesheets, roots, profile.name, icc_profile, fallbacks)
    styles = _STYLES.pop(key, None)
    if styles is not None and _file_states(path for path, _, _ in styles.files) != styles.files:
        styles.fonts.release()
        styles = None
    if styles is None:
        styles = _parse_styles(stylesheets, roots, profile, icc_profile, fallbacks)
    _STYLES[key] = styles  # most recently used last
    while len(_STYLES) > _STYLES_KEPT:
        _STYLES.pop(next(iter(_STYLES))).fonts.release()
    return styles


def forget_parsed_styles() -> None:
    """Drop every cached stylesheet; the temporary folders of fonts this process loaded go with them.

    A process that ends with os._exit (as multiprocessing's children do) must call it first.
    """
    for styles in _STYLES.values():
        styles.fonts.release()  # now: a rendered document refers to its fonts, so deleting may not free them
    _STYLES.clear()


atexit.register(forget_parsed_styles)


def typeset(html: str, base_dir: Path, stylesheets: tuple[Path, ...], roots: tuple[Path, ...],
            forms: bool = False, profile: Profile = PROFILES[DEFAULT_PROFILE],
            icc_profile: Path | None = None, style_roots: tuple[Path, ...] | None = None,
            fallbacks: Fallbacks = (), page_css: str = "") -> Typeset:
    """Render ``html`` with ``stylesheets`` into PDF bytes, finished as ``profile`` says.

    The document may load files under ``roots``; its stylesheets, under
    ``style_roots`` (default: ``roots``), which should not depend on the
    document so that documents can share the parsed stylesheets. Both may
    read a file missing from a project folder from its theme folder, as
    ``fallbacks`` pairs them (:attr:`leafpress.project.config.Project.theme_fallbacks`).
    ``page_css`` is a layout's own page rules (its page size), after its stylesheets.
    """
    styles = parsed_styles(stylesheets, style_roots or roots, profile, icc_profile, fallbacks)
    fetcher = ProjectFetcher(roots, fallbacks)
    collector = _LogCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        if "<table" in html:
            html = number_tables(html)
        base_url = base_dir.resolve().as_uri() + "/"
        sheets = list(styles.sheets)
        if page_css:
            sheets.append(CSS(string=page_css, url_fetcher=fetcher, font_config=styles.fonts))

        def lay_out(html: str) -> Any:  # a weasyprint Document
            return HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                stylesheets=sheets, font_config=styles.fonts, color_profiles=styles.colour_profiles,
                pdf_variant=profile.pdf_variant)

        rendered = lay_out(html)
        # Laid out again (rarely more than once) when the first layout shows a table wider than its
        # page, or a word hyphenated across a page break.
        for _ in range(3):
            wide = tables_too_wide(rendered.pages) if "<table" in html else []
            words = words_hyphenated_across_pages(rendered.pages, html)
            if not wide and not words:
                break
            html = keep_words_whole(mark_tables_too_wide(html, wide), words)
            rendered = lay_out(html)
        pdf = rendered.write_pdf(pdf_forms=forms, pdf_variant=profile.pdf_variant)
    finally:
        logger.removeHandler(collector)
    # Refusals also show up as WeasyPrint warnings; report each once, in our words. Each layout of the
    # document logs its warnings again: each is reported once.
    warnings = tuple(dict.fromkeys(m for m in styles.warnings + tuple(collector.messages) if "FetchRefused" not in m))
    return Typeset(pdf, len(rendered.pages), warnings, tuple(dict.fromkeys(styles.refused + tuple(fetcher.refused))),
                   tuple(_used_height_mm(page) for page in rendered.pages), _smallest_text(rendered.pages),
                   _sources(rendered.pages) if "data-source=" in html else (),
                   _low_resolution_images(rendered.pages) if "<img" in html else ())
