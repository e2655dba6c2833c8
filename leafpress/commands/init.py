"""`leafpress init`: a new project folder, for a clinic, that builds at once.

It writes a commented ``leafpress.yaml``, one example topic in ``content/``
that explains the tool (it gives no medical information) and a
``.gitignore`` for ``output/``. It copies nothing of the theme: the
templates, stylesheets and fonts stay in the installed package, and the
project overrides them file by file in its own ``templates/`` and ``styles/``.
"""

from __future__ import annotations

import datetime
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ..errors import LeafpressError, display_path, echo, error, quote, stopped_line
from ..project.config import CONFIG_NAME
from ..project.scaffold import FRONT_MATTER, FRONT_MATTERS, TEXT, _yaml_text, _years_later

PLACEHOLDER_NAME = "YOUR CLINIC NAME"
EXAMPLE_TOPIC = "about-these-leaflets"

CONFIG = """\
# leafpress project settings: the clinic's identity and the defaults for every
# leaflet. Every leaflet takes its branding from this file alone.

clinic:
  # FILL IN: the clinic's name, as every leaflet prints it.
  name: {name}
  # A shorter name for running headers and footers, if the name is longer
  # than about 32 characters (`leafpress build` warns):
  # short_name: "..."
  # FILL IN before printing patient leaflets (`leafpress build` warns while
  # they are missing): the postal address, one line per item, such as
  #   address: ["Street and number", "Postcode and town"]
  # and a phone number patients can call (patient leaflets print it in their
  # contact box), with an email or website if the clinic has them.
  address: []
  # phone: "..."
  # email: "..."
  # website: https://...
  # A logo file inside this project, with a text alternative for screen readers:
  # logo: styles/logo.svg
  # logo_alt: "..."

# Colours as #RRGGBB. Each is checked for WCAG AA contrast (4.5:1) on white
# and on the tint, where the layouts print text in it: `leafpress build` stops
# and names the colour while one is too faint.
colours:
  primary: "#1f5f8b"   # headings, rules, title band
  accent: "#b74b34"    # notices and highlights
  tint: "#eef3f7"      # background of boxes

# The languages documents are written in (patient leaflets come one per
# language: patient.en.md, patient.es.md), and the one used when none is said.
default_language: en
languages: [en, es]

# How PDFs are finished unless `leafpress build --profile` says otherwise:
# screen (tagged PDF/UA-1), print (PDF/X-4, 3 mm bleed, CMYK) or archive (PDF/A-3a).
profile: screen

print:
  # The print shop's CMYK profile, for PDF/X. leafpress comes with this one;
  # to use your print shop's, put it in styles/icc/ here and name it.
  icc_profile: styles/icc/FOGRA39L-coated.icc
  # Crop marks outside the bleed (also: leafpress build --marks).
  marks: false

# Templates and stylesheets come with leafpress. To change one, put a file of
# the same name in templates/ or styles/ in this folder (styles/base.css, say,
# or templates/patient.html.j2): it is used instead of leafpress's own, and
# every other file still comes from leafpress.
"""

GITIGNORE = """\
# The PDFs leafpress builds: made again by `leafpress build`.
output/
"""

# Obviously invented, with no DOI: it shows the format of references.json and
# how a citation prints, and must be replaced before the article is used.
REFERENCES = [{
    "id": "example2024",
    "type": "article-journal",
    "title": "EXAMPLE ENTRY: an invented reference that shows the format; replace it with a real source",
    "container-title-short": "Example Journal",
    "volume": "1",
    "page": "1-2",
    "issued": {"date-parts": [[2024]]},
    "author": [{"family": "Example", "given": "A."}],
}]

ARTICLE = """\
This topic is an example that `leafpress init` wrote. It explains how the
clinic's leaflets are made; it gives no medical information. Replace it with
your own topics, or delete its folder.

## What leafpress makes

Each folder in `content/` is a topic. From the topic's `article.md`, leafpress
makes a referenced article for clinicians, and from each `patient.<language>.md`
a patient leaflet on A5, in large print and as a booklet to fold.

The clinic's name, address and colours come from `leafpress.yaml`, so a change
there changes every leaflet at the next build.

## Writing a topic

1. Run `leafpress new my-topic` to make a topic folder with every field explained.
2. Write the text in Markdown below the front matter.
3. Put the references in `references.json` (CSL-JSON, as Zotero exports it), and
   cite them as `[@key]`. The one reference here is an invented example
   [@example2024]: replace it with real sources.
4. Run `leafpress check` to list every problem, with its file and line.
5. Run `leafpress build` to make the PDFs in `output/`.

## Changing the look

The templates, stylesheets and fonts come with leafpress. To change one file,
put a file of the same name in this project's `templates/` or `styles/`
folder: leafpress uses it in place of its own, and everything else stays as
it was.
"""

PATIENT = {
    "en": ("About these leaflets", """\
This is an example leaflet. It shows how a patient leaflet from this clinic
looks. It gives no health advice.

## What is a patient leaflet?

A leaflet tells you about a test or a treatment in plain words. You can take
it home and read it again.

## What if I have a question?

Ask your care team. A leaflet does not take the place of a talk with them.

## Can I get it in large print?

Yes. Each leaflet also comes in large print and in Spanish.
"""),
    "es": ("Sobre estos folletos", """\
Este es un folleto de ejemplo. Muestra cómo es un folleto para pacientes de
esta clínica. No da consejos de salud.

## ¿Qué es un folleto para pacientes?

Un folleto le explica una prueba o un tratamiento con palabras sencillas.
Puede llevarlo a casa y leerlo otra vez.

## ¿Y si tengo una pregunta?

Pregunte a su equipo de salud. Un folleto no sustituye una charla con ellos.

## ¿Lo hay en letra grande?

Sí. Cada folleto también está en letra grande y en inglés.
"""),
}


@dataclass(frozen=True)
class NewProject:
    root: Path
    files: tuple[Path, ...]


def init_project(folder: Path, clinic_name: str | None = None,
                 today: datetime.date | None = None) -> NewProject:
    """Create a project in ``folder`` (made if missing); refuse one that already has leafpress.yaml."""
    folder = folder.resolve()
    config = folder / CONFIG_NAME
    if config.exists():
        raise LeafpressError([error(config, None, "already exists: this folder is a leafpress project; "
                                    "run 'leafpress new TOPIC' inside it to add a topic")])
    if folder.exists() and not folder.is_dir():
        raise LeafpressError([error(folder, None, "is not a folder")])
    if clinic_name is not None and not clinic_name.strip():
        raise LeafpressError([error(None, None, f"clinic name {quote(clinic_name)} is empty")])
    topic = folder / "content" / EXAMPLE_TOPIC
    if topic.exists():
        raise LeafpressError([error(topic, None, "already exists: move it away, or create the project elsewhere")])
    today = today or datetime.date.today()  # scaffolding only: builds never read the clock
    name = clinic_name.strip() if clinic_name else PLACEHOLDER_NAME
    common = {
        "publisher": _yaml_text(name),
        "published": today.isoformat(),
        "review_date": _years_later(today, 2).isoformat(),
    }
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:  # never over a file already there
            file.write(text)
        written.append(path)

    try:
        write(config, CONFIG.format(name=_yaml_text(name)))
        if not (folder / ".gitignore").exists():
            write(folder / ".gitignore", GITIGNORE)
        title = "How this clinic's leaflets are made"
        write(topic / "article.md", FRONT_MATTER.format(
            title=_yaml_text(title), short_title=_yaml_text("How the leaflets are made"), language="en",
            audience="professionals", notice=_yaml_text("For the clinic's staff who write leaflets."),
            summary=_yaml_text("How to write, check and build the clinic's leaflets with leafpress."),
            subtitle='""', languages=" or ".join(PATIENT), extra="", **common) + ARTICLE)
        for language, (patient_title, body) in PATIENT.items():  # each with the comments in its language
            write(topic / f"patient.{language}.md", FRONT_MATTERS[language].format(
                title=_yaml_text(patient_title), short_title=_yaml_text(patient_title), language=language,
                audience="patients", notice='""', summary=_yaml_text(patient_title), subtitle='""',
                languages=TEXT[language]["or"].join(PATIENT), extra=TEXT[language]["sources"], **common) + body)
        write(topic / "references.json", json.dumps(REFERENCES, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        for path in reversed(written):  # no half-made project: a second `init` would refuse it
            path.unlink(missing_ok=True)
        raise LeafpressError([error(Path(exc.filename) if exc.filename else folder, None,
                                    f"cannot be written: {exc.strerror or exc}")]) from None
    return NewProject(folder, tuple(written))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", "clinic_name", help=f"The clinic's name (default: {PLACEHOLDER_NAME!r}, to fill in "
                                            f"in {CONFIG_NAME}).")
def init(directory: Path, clinic_name: str | None) -> None:
    """Create a leafpress project in DIRECTORY (default: here) that builds at once.

    Writes leafpress.yaml (the clinic's name, address, colours, languages and
    output profile, each explained), an example topic in content/ that
    explains how the leaflets are made, and a .gitignore for output/. The
    templates, stylesheets and fonts stay in leafpress: put a file of the
    same name in the project's templates/ or styles/ to change one. Stops if
    DIRECTORY already has a leafpress.yaml.

    Example: leafpress init clinic --name "Clínica Ejemplo"
    """
    try:
        project = init_project(directory, clinic_name)
    except LeafpressError as exc:
        for problem in exc.problems:
            echo(str(problem), err=True)
        echo(stopped_line(exc.problems), err=True)
        sys.exit(1)
    for path in project.files:
        echo(f"wrote  {display_path(path)}")
    where = display_path(project.root)
    first = f"cd {where}, then " if where != "." else ""
    echo(f"Next: {first}fill in the clinic's details in {CONFIG_NAME}, and run 'leafpress build'.")
