"""The project: where its folders are and the clinic's validated settings.

All branding lives in ``leafpress.yaml`` at the project root, so a second
clinic rebrands every leaflet by editing that one file, never a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..errors import LeafpressError, Problem, error, quote, warning
from ..source.validation import Schema, validate
from ..source.yamlfile import load_yaml, read_text

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


_EXAMPLES = {"clinic": "{name: My Clinic}", "name": "My Clinic",
             "colours": "{primary: '#1F5F8B', accent: '#C8553D'}",
             "primary": "'#1F5F8B'", "accent": "'#C8553D'"}


@dataclass(frozen=True)
class Project:
    """A leafpress project on disk and its settings."""

    root: Path
    config: Config
    config_path: Path

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def icc_profile(self) -> Path:
        return (self.root / self.config.print_settings.icc_profile).resolve()

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


def load_project(start: Path | None = None) -> Project:
    """Find and validate the project config, or raise with every problem."""
    start = start or Path.cwd()
    root = find_root(start)
    if root is None:
        raise LeafpressError([error(start, None, f"no {CONFIG_NAME} here or in any parent folder: "
                                    "run leafpress inside a project")])
    path = root / CONFIG_NAME
    text = read_text(path)  # as every source file: size limit, no pipes, byte order mark dropped
    if isinstance(text, Problem):
        raise LeafpressError([text])
    data, problems = load_yaml(text, path)
    config = None
    if data is not None:
        config, more = validate(Config, data, path, _EXAMPLES)
        problems += more
    if config is not None:
        if config.default_language not in config.languages:
            problems.append(error(path, data.line_of(("default_language",)),
                                  f"default_language {quote(config.default_language)} is not in 'languages'"))
        icc = (root / config.print_settings.icc_profile).resolve()
        if not icc.is_file() or not icc.is_relative_to(root / "styles"):
            problems.append(error(path, data.line_of(("print", "icc_profile")),
                                  f"print.icc_profile {quote(config.print_settings.icc_profile)} is not a file "
                                  "inside styles/: put the print shop's ICC profile in styles/icc/"))
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
    return Project(root=root, config=config, config_path=path)
