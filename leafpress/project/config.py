"""The project: where its folders are and the clinic's validated settings.

All branding lives in ``leafpress.yaml`` at the project root, so a second
clinic rebrands every leaflet by editing that one file, never a template.

The templates, stylesheets, fonts and ICC profile come from leafpress's
theme (:mod:`leafpress.project.theme`). A project overrides them file by
file, as MkDocs' ``custom_dir`` or Sphinx's ``templates_path`` do: its own
``templates/<name>`` or ``styles/<name>`` is used instead of the theme's
file of the same name, and everything else still comes from the theme.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import LeafpressError, Problem, error, quote, warning
from ..layouts.declared import NAME as LAYOUT_NAME
from ..layouts.declared import DeclaredLayout
from ..paths import LINK_LOOP, is_link_loop, resolve
from ..source.validation import ReferenceAuthors, Schema, validate
from ..source.yamlfile import YamlData, load_yaml, read_text
from .theme import Theme, find_theme

if TYPE_CHECKING:
    from ..layouts.base import Layout

CONFIG_NAME = "leafpress.yaml"

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


def _hex_colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError(f"must be a colour written as #RRGGBB, such as #1F5F8B, not {quote(value)}")
    return value.lower()


HexColour = Annotated[str, AfterValidator(_hex_colour)]


# A host name: labels of letters, digits and hyphens, at least one dot (or localhost).
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?|localhost", re.I)
# What a leaflet may print after the host: no spaces, quotes, angle brackets or control characters.
_URL_REST = re.compile(r"[^\s\"'<>\\\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*")


def _web_address(value: str) -> str:
    """An http:// or https:// address of a web page; anything else would be a broken or unsafe link."""
    scheme, _, rest = value.partition("://")
    host, _, path = rest.partition("/")
    host, _, port = host.partition(":")
    if (scheme.lower() not in ("http", "https") or not _HOST.fullmatch(host) or (port and not port.isdigit())
            or not _URL_REST.fullmatch(path)):
        bare = "://" not in value and _HOST.fullmatch(value.split("/")[0]) and _URL_REST.fullmatch(value)
        fix = (f"add https:// in front: 'https://{value}'" if bare
               else "write the clinic's web address, such as https://www.example.org")
        raise ValueError(f"must be a web address starting with https:// or http://, not {quote(value)}: {fix}")
    return value


# A plain address: a local part, '@', a domain; no '?' (mailto: headers such as ?attach=), no spaces or brackets.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=^_`{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,63}")


def _email_address(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"must be a plain email address, such as info@example.org, not {quote(value)}: "
                         "write the address alone, without 'mailto:', a name or '?...'")
    return value


def _known_locale(value: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"must be a locale leafpress knows, such as en_GB, en_US, es_ES or es_MX, "
                         f"not {quote(value)}") from None
    return value


WebAddress = Annotated[str, AfterValidator(_web_address)]
EmailAddress = Annotated[str, AfterValidator(_email_address)]
LocaleName = Annotated[str, AfterValidator(_known_locale)]


class Colours(Schema):
    primary: HexColour
    accent: HexColour
    text: HexColour = "#1a1a1a"
    muted: HexColour = "#555555"
    tint: HexColour = "#eef3f7"


class Clinic(Schema):
    name: Annotated[str, Field(min_length=1)]
    # What running headers and footers print instead of a long name.
    short_name: Annotated[str, Field(min_length=1)] | None = None
    address: list[str] = []
    phone: str | None = None
    email: EmailAddress | None = None
    website: WebAddress | None = None
    logo: str | None = None
    logo_alt: str | None = None

    @property
    def running_name(self) -> str:
        """The name in running headers and footers: short_name when set, else name."""
        return self.short_name or self.name


class PrintSettings(Schema):
    # The CMYK profile of the print shop's press, for the PDF/X output intent.
    icc_profile: Annotated[str, Field(min_length=1)] = "styles/icc/FOGRA39L-coated.icc"
    # Crop marks outside the bleed (also: leafpress build --marks).
    marks: bool = False


class Config(Schema):
    clinic: Clinic
    colours: Colours
    # Output profile when --profile is not given: screen, print or archive.
    profile: Literal["screen", "print", "archive"] = "screen"
    print_settings: PrintSettings = Field(default_factory=PrintSettings, alias="print")
    default_language: LanguageCode = "en"
    languages: list[LanguageCode] = ["en"]
    # Babel locale used for dates and number formats, per language.
    locales: dict[LanguageCode, LocaleName] = {"en": "en_GB", "es": "es_ES"}
    # A CSL 1.0 style file in the project for every bibliography (leafpress.cite.styles); a document's
    # front matter 'csl' overrides it. Without either, leafpress's own Vancouver.
    csl: Annotated[str, Field(min_length=1)] | None = None
    # Authors a Vancouver entry names before "et al.": 6 (the ICMJE limit), another number, or "all"
    # (Citing Medicine's default); a document's front matter 'reference_authors' overrides it.
    reference_authors: ReferenceAuthors = 6
    # The project's own layouts, beside the built-in ones (see leafpress.layouts.declared).
    layouts: dict[str, DeclaredLayout] = {}


_EXAMPLES = {"clinic": "{name: My Clinic}", "name": "My Clinic",
             "colours": "{primary: '#1F5F8B', accent: '#B74B34'}",
             "primary": "'#1F5F8B'", "accent": "'#B74B34'"}


def _unique(paths: list[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(paths))


def resolve_icc_profile(root: Path, theme: Theme, value: str) -> Path | None:
    """``print.icc_profile`` (relative to the project, inside its styles/) as a file, or None.

    The project's own file if it has one, else the theme's at the same place
    under its styles/ (so the default, styles/icc/FOGRA39L-coated.icc, needs
    no copy in the project).
    """
    styles = root / "styles"
    own = resolve(root / value)
    if not own.is_relative_to(styles):
        return None
    if own.is_file():
        return own
    theirs = resolve(theme.styles_dir / own.relative_to(styles))
    if theirs.is_relative_to(resolve(theme.styles_dir)) and theirs.is_file():
        return theirs
    return None


def font_dirs(root: Path, theme: Theme) -> tuple[Path, ...]:
    """The bundled fonts of the project at ``root``: its styles/fonts/ if it exists, then the theme's."""
    own = root / "styles" / "fonts"
    return _unique([*([own] if own.is_dir() else []), theme.fonts_dir])


@dataclass(frozen=True)
class Project:
    """A leafpress project on disk, its settings, and the theme it overrides file by file."""

    root: Path
    config: Config
    config_path: Path
    theme: Theme = field(default_factory=find_theme)
    # leafpress.yaml as loaded: the line of each key written, for problems found after loading.
    config_yaml: YamlData = field(default_factory=lambda: YamlData({}), compare=False, hash=False)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def templates_dir(self) -> Path:
        """The project's own templates/ (overrides only; may not exist): see :attr:`template_dirs`."""
        return self.root / "templates"

    @property
    def styles_dir(self) -> Path:
        """The project's own styles/ (overrides only; may not exist): see :meth:`stylesheet`."""
        return self.root / "styles"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """Where templates are looked for, in order: the project's templates/ if it exists, then the theme's."""
        own = [self.templates_dir] if self.templates_dir.is_dir() else []
        return _unique([*own, self.theme.templates_dir])

    def template(self, name: str) -> Path:
        """The file template ``name`` is read from: the project's, else the theme's."""
        own = self.templates_dir / name
        return own if own.is_file() else self.theme.templates_dir / name

    def stylesheet(self, name: str) -> Path:
        """The file stylesheet ``name`` (relative to styles/) is read from: the project's, else the theme's."""
        own = self.styles_dir / name
        return own if own.is_file() else self.theme.styles_dir / name

    @property
    def style_roots(self) -> tuple[Path, ...]:
        """The folders stylesheets (and the documents' styling) may load files from.

        The project's styles/ and templates/ if they exist, then the theme's.
        """
        own = [folder for folder in (self.styles_dir, self.templates_dir) if folder.is_dir()]
        return _unique([*own, self.theme.styles_dir, self.theme.templates_dir])

    @property
    def theme_fallbacks(self) -> tuple[tuple[Path, Path], ...]:
        """(project folder, theme folder) pairs: a file missing from the first is read from the second.

        So a project's own base.css that says url(fonts/...) still finds the
        theme's fonts. Empty when the project is the theme's own checkout.
        """
        pairs = ((self.styles_dir, self.theme.styles_dir), (self.templates_dir, self.theme.templates_dir))
        return tuple((own, theirs) for own, theirs in pairs if own.resolve() != theirs.resolve())

    @property
    def font_dirs(self) -> tuple[Path, ...]:
        """Folders of bundled fonts: the project's styles/fonts/ if it exists, then the theme's."""
        return font_dirs(self.root, self.theme)

    @property
    def icc_profile(self) -> Path:
        """The print shop's ICC profile: the project's file, else the theme's (load_project checks one exists)."""
        value = self.config.print_settings.icc_profile
        return resolve_icc_profile(self.root, self.theme, value) or resolve(self.root / value)

    @property
    def logo_path(self) -> Path | None:
        logo = self.config.clinic.logo
        return resolve(self.root / logo) if logo else None

    def locale_for(self, language: str) -> str:
        return self.config.locales.get(language, language)

    def config_line(self, *keys: str) -> int:
        """The line of ``keys`` in leafpress.yaml, or of the nearest key above it that is written, else the
        first line (a value left at its default): every problem of leafpress.yaml has a line."""
        return self.config_yaml.line_of(keys)


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``leafpress.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


# WCAG 2.x success criterion 1.4.3 (AA): text below 18 pt (14 pt bold) needs this
# contrast against its background. Every colour below is used for such text.
MIN_CONTRAST = 4.5

WHITE = "#ffffff"

# (colour, background, where the stylesheets put that colour on that background).
# "tint" is colours.tint; the page is white. The patient cover's band in the
# primary colour has no text on it, so white on primary is not a pairing.
CONTRAST_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("text", "white", "body text"),
    ("primary", "white", "headings and links"),
    ("accent", "white", "audience labels"),
    ("muted", "white", "8 pt running headers and footers, subtitles"),
    ("text", "tint", "table headers and boxes"),
    ("primary", "tint", "links and note numbers in table headers and boxes"),
    ("accent", "tint", "the summary's safety box heading"),
)

# How many characters of the clinic's name fit on one line of a running footer.
# Measured on the A5 patient leaflet, the tightest: 12 pt Atkinson Hyperlegible,
# the name followed by " · Versión 1.0" and "Página 12 de 12" beside it leave
# about 195 pt, 34 characters of ordinary Spanish or English words; 32 leaves
# room for wide letters. (A4 headers at 8 pt fit over 60.)
RUNNING_NAME_CHARS = 32


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of a #rrggbb sRGB colour: 0 for black, 1 for white."""
    red, green, blue = (_linear(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.2 contrast ratio of two #rrggbb colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _ratio_text(ratio: float) -> str:
    # Rounded down, so a ratio just short of the minimum never prints as the minimum.
    return f"{math.floor(ratio * 100) / 100:g}:1"


def contrast_problems(project: Project) -> list[Problem]:
    """An error for each colour too faint on a background the layouts print it on (the worst one)."""
    colours = project.config.colours.model_dump()
    worst: dict[str, tuple[float, str, str]] = {}
    for key, background, where in CONTRAST_PAIRS:
        ratio = contrast_ratio(colours[key], WHITE if background == "white" else colours[background])
        if ratio < MIN_CONTRAST and (key not in worst or ratio < worst[key][0]):
            worst[key] = (ratio, background, where)
    problems = []
    for key, (ratio, background, where) in worst.items():
        colour = colours[key]
        if background == "white":
            on, fix, line = "white", "use a darker colour", project.config_line("colours", key)
        else:
            on = f"colours.{background} {colours[background]}"
            if relative_luminance(colour) < relative_luminance(colours[background]):
                fix = f"use a darker colour or a lighter colours.{background}"
            else:
                fix = f"use a lighter colour or a darker colours.{background}"
            # A colour left at its default is fixed by changing the background.
            written = ("colours", key) in project.config_yaml.lines
            line = project.config_line("colours", key if written else background)
        problems.append(error(project.config_path, line,
                              f"colours.{key} {colour} on {on} ({where}) has contrast {_ratio_text(ratio)}; "
                              f"small text needs at least {MIN_CONTRAST:g}:1: {fix}"))
    return problems


def config_problems(project: Project, layouts: Iterable[Layout] = ()) -> list[Problem]:
    """What is wrong in leafpress.yaml for building ``layouts``, found after it loaded.

    Errors (colours that fail WCAG AA contrast) stop a build: every leaflet
    would fail accessibility. Warnings are gaps in the clinic's details that
    the leaflets will show.
    """
    clinic = project.config.clinic
    path = project.config_path
    problems = contrast_problems(project)
    clinic_line = project.config_line("clinic")
    for_patients = any(layout.audience == "patients" for layout in layouts)
    if for_patients and not clinic.phone:
        problems.append(warning(path, clinic_line, "the clinic has no phone number, so the patient leaflets' "
                                "contact box gives none to call: add clinic.phone to leafpress.yaml, the number "
                                "patients should call, in quotes"))
    elif not (clinic.phone or clinic.email or clinic.website):
        problems.append(warning(path, clinic_line, "the clinic has no phone, email or website: "
                                "patients will have no way to contact it; add clinic.phone"))
    if not clinic.address:
        problems.append(warning(path, project.config_line("clinic", "address"),
                                "the clinic has no address: add clinic.address"))
    if clinic.short_name is None and len(clinic.name) > RUNNING_NAME_CHARS:
        problems.append(warning(path, project.config_line("clinic", "name"),
                                f"clinic.name has {len(clinic.name)} characters, more than the "
                                f"{RUNNING_NAME_CHARS} that fit in running headers and footers, which would "
                                "cut it short: add clinic.short_name, a shorter name for them"))
    elif clinic.short_name is not None and len(clinic.short_name) > RUNNING_NAME_CHARS:
        problems.append(warning(path, project.config_line("clinic", "short_name"),
                                f"clinic.short_name has {len(clinic.short_name)} characters, more than the "
                                f"{RUNNING_NAME_CHARS} that fit in running headers and footers, which would "
                                "cut it short: shorten it"))
    return problems


def _layout_name_problems(config: Config, data: YamlData, path: Path) -> list[Problem]:
    from ..layouts.registry import LAYOUTS

    problems = []
    for name in config.layouts:
        line = data.line_of(("layouts", name))
        if name in LAYOUTS:
            problems.append(error(path, line, f"layout {quote(name)} is built in: give your layout another name"))
        elif not LAYOUT_NAME.fullmatch(name):
            problems.append(error(path, line, f"layout name {quote(name)} must be lower-case letters, digits and "
                                  "hyphens, starting with a letter, such as 'poster' or 'clinic-card'"))
    return problems


def load_project(start: Path | None = None) -> Project:
    """Find and validate the project config, or raise with every problem."""
    start = start or Path.cwd()
    root = find_root(start)
    if root is None:
        raise LeafpressError([error(start, None, f"no {CONFIG_NAME} here or in any parent folder: "
                                    "run leafpress inside a project")])
    path = root / CONFIG_NAME
    theme = find_theme()
    text = read_text(path)  # as every source file: size limit, no pipes, byte order mark dropped
    if isinstance(text, Problem):
        raise LeafpressError([text])
    data, problems = load_yaml(text, path)
    config = None
    if data is not None:
        config, more = validate(Config, data, path, _EXAMPLES)
        problems += more
    if config is not None and data is not None:  # config comes from data
        problems += _layout_name_problems(config, data, path)
        if config.default_language not in config.languages:
            problems.append(error(path, data.line_of(("default_language",)),
                                  f"default_language {quote(config.default_language)} is not in 'languages'"))
        if is_link_loop(root / config.print_settings.icc_profile):
            problems.append(error(path, data.line_of(("print", "icc_profile")),
                                  f"print.icc_profile {quote(config.print_settings.icc_profile)} {LINK_LOOP}"))
        elif resolve_icc_profile(root, theme, config.print_settings.icc_profile) is None:
            problems.append(error(path, data.line_of(("print", "icc_profile")),
                                  f"print.icc_profile {quote(config.print_settings.icc_profile)} is not a file "
                                  "inside styles/, in the project or in leafpress's theme: put the print shop's "
                                  "ICC profile in styles/icc/"))
        if config.clinic.logo:
            logo = resolve(root / config.clinic.logo)
            if is_link_loop(logo):
                problems.append(error(path, data.line_of(("clinic", "logo")),
                                      f"clinic.logo {quote(config.clinic.logo)} {LINK_LOOP}"))
            elif not logo.is_file() or not logo.is_relative_to(root):
                problems.append(error(path, data.line_of(("clinic", "logo")),
                                      f"clinic.logo {quote(config.clinic.logo)} is not a file inside the project"))
            elif not config.clinic.logo_alt:
                problems.append(error(path, data.line_of(("clinic", "logo")),
                                      "clinic.logo needs clinic.logo_alt, a text alternative for screen readers"))
    # The project's own styles/ and templates/ are read by every build: a loop there would stop it mid-way.
    problems += [error(root / name, None, LINK_LOOP) for name in ("styles", "templates") if is_link_loop(root / name)]
    if config is None or data is None or any(p.is_error for p in problems):
        raise LeafpressError(problems)
    return Project(root=root, config=config, config_path=path, theme=theme, config_yaml=data)
