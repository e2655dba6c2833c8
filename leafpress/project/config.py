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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import LeafpressError, Problem, error, quote, warning
from ..layouts.declared import NAME as LAYOUT_NAME
from ..layouts.declared import DeclaredLayout
from ..source.validation import Schema, validate
from ..source.yamlfile import YamlData, load_yaml, read_text
from .theme import Theme, find_theme

CONFIG_NAME = "leafpress.yaml"

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


def _hex_colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError(f"must be a colour written as #RRGGBB, such as #1F5F8B, not {quote(value)}")
    return value.lower()


HexColour = Annotated[str, AfterValidator(_hex_colour)]


class Colours(Schema):
    primary: HexColour
    accent: HexColour
    text: HexColour = "#1a1a1a"
    muted: HexColour = "#555555"
    tint: HexColour = "#eef3f7"


class Clinic(Schema):
    name: Annotated[str, Field(min_length=1)]
    address: list[str] = []
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    logo: str | None = None
    logo_alt: str | None = None


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
    locales: dict[str, str] = {"en": "en_GB", "es": "es_ES"}
    # The project's own layouts, beside the built-in ones (see leafpress.layouts.declared).
    layouts: dict[str, DeclaredLayout] = {}


_EXAMPLES = {"clinic": "{name: My Clinic}", "name": "My Clinic",
             "colours": "{primary: '#1F5F8B', accent: '#C8553D'}",
             "primary": "'#1F5F8B'", "accent": "'#C8553D'"}


def _unique(paths: list[Path]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(paths))


def resolve_icc_profile(root: Path, theme: Theme, value: str) -> Path | None:
    """``print.icc_profile`` (relative to the project, inside its styles/) as a file, or None.

    The project's own file if it has one, else the theme's at the same place
    under its styles/ (so the default, styles/icc/FOGRA39L-coated.icc, needs
    no copy in the project).
    """
    styles = root / "styles"
    own = (root / value).resolve()
    if not own.is_relative_to(styles):
        return None
    if own.is_file():
        return own
    theirs = (theme.styles_dir / own.relative_to(styles)).resolve()
    if theirs.is_relative_to(theme.styles_dir.resolve()) and theirs.is_file():
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
        return resolve_icc_profile(self.root, self.theme, value) or (self.root / value).resolve()

    @property
    def logo_path(self) -> Path | None:
        logo = self.config.clinic.logo
        return (self.root / logo).resolve() if logo else None

    def locale_for(self, language: str) -> str:
        return self.config.locales.get(language, language)


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``leafpress.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def config_warnings(project: Project) -> list[Problem]:
    """Gaps in the clinic's details that leaflets will show."""
    clinic = project.config.clinic
    path = project.config_path
    problems = []
    if not (clinic.phone or clinic.email or clinic.website):
        problems.append(warning(path, None, "the clinic has no phone, email or website: "
                                "patients will have no way to contact it; add clinic.phone"))
    if not clinic.address:
        problems.append(warning(path, None, "the clinic has no address: add clinic.address"))
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
        if resolve_icc_profile(root, theme, config.print_settings.icc_profile) is None:
            problems.append(error(path, data.line_of(("print", "icc_profile")),
                                  f"print.icc_profile {quote(config.print_settings.icc_profile)} is not a file "
                                  "inside styles/, in the project or in leafpress's theme: put the print shop's "
                                  "ICC profile in styles/icc/"))
        if config.clinic.logo:
            logo = (root / config.clinic.logo).resolve()
            if not logo.is_file() or not logo.is_relative_to(root):
                problems.append(error(path, data.line_of(("clinic", "logo")),
                                      f"clinic.logo {quote(config.clinic.logo)} is not a file inside the project"))
            elif not config.clinic.logo_alt:
                problems.append(error(path, data.line_of(("clinic", "logo")),
                                      "clinic.logo needs clinic.logo_alt, a text alternative for screen readers"))
    if config is None or any(p.is_error for p in problems):
        raise LeafpressError(problems)
    return Project(root=root, config=config, config_path=path, theme=theme)
