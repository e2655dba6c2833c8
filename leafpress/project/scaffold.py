"""`leafpress new`: a topic folder that builds at once and explains itself.

Every front-matter field is present with a one-line comment. Data files for
the summary and the CPD handout are written as `*.yaml.example`: they show
the format, and the layouts start using them once renamed (an example cites
references the new, empty references file does not have yet).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import LeafpressError, error, quote
from .config import Project

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TEXT = {
    "en": {
        "notice": "For healthcare professionals.",
        "summary": "One sentence that says what this article covers.",
        "body": "## Introduction\n\nWrite the article here, in Markdown. Cite the references in references.json "
                "as `[@key]`, or several at once as `[@key1; @key2]`. Footnotes are written[^note] like this.\n\n"
                "[^note]: And printed at the foot of the page.\n",
        "patient_summary": "One sentence that says what this leaflet covers.",
        "or": " or ",
        # A title 'leafpress new' was given in another language: check flags it as example text.
        "translate_title": "Translate the title: {title}",
        "url": "# Web address of the published article, for the summary's QR code.\n# url: https://\n",
        "sources": "# Reference keys this leaflet rests on, listed under 'Sources'.\nsources: []\n",
        "translation_of": "# Written by 'leafpress translated': the file this one translates, as it was then\n"
                          "# (check warns when it changes). Run it again once this translation is up to date.\n",
        "patient_body": "This leaflet is for you if ... (say who it is for, in one or two short sentences).\n\n"
                        "## What is it?\n\nUse short sentences and everyday words. Write the headings as the "
                        "questions a patient would ask.\n\n## What will I feel?\n\n## What are the risks?\n\n"
                        "## What happens afterwards?\n\n## Questions to ask your doctor\n\n- Is it right for me?\n",
    },
    "es": {
        "notice": "Para profesionales sanitarios.",
        "summary": "Una frase que diga de qué trata este artículo.",
        "body": "## Introducción\n\nEscriba aquí el artículo, en Markdown. Cite las referencias de "
                "references.json como `[@clave]`, o varias a la vez como `[@clave1; @clave2]`. Las notas se "
                "escriben[^nota] así.\n\n[^nota]: Y se imprimen al pie de la página.\n",
        "patient_summary": "Una frase que diga de qué trata este folleto.",
        "or": " o ",
        "translate_title": "Traduzca el título: {title}",
        "url": "# Dirección web del artículo publicado, para el código QR del resumen.\n# url: https://\n",
        "sources": "# Claves de las referencias en que se basa este folleto, listadas en 'Fuentes'.\nsources: []\n",
        "translation_of": "# Lo escribe 'leafpress translated': el archivo que este traduce, tal como era entonces\n"
                          "# (check avisa cuando cambia). Vuelva a ejecutarlo cuando la traducción esté al día.\n",
        "patient_body": "Este folleto es para usted si ... (diga para quién es, en una o dos frases cortas).\n\n"
                        "## ¿Qué es?\n\nUse frases cortas y palabras de todos los días. Escriba los títulos como "
                        "las preguntas que haría un paciente.\n\n## ¿Qué voy a sentir?\n\n## ¿Qué riesgos tiene?"
                        "\n\n## ¿Qué pasa después?\n\n## Preguntas para su médico\n\n- ¿Es adecuado para mí?\n",
    },
}

# Each front-matter line after its comment in English and in Spanish (None: no comment); the field names
# stay English in both, and one table keeps the two languages' fields the same.
_FIELDS: tuple[tuple[str | None, str | None, str], ...] = (
    ("Title on the cover and in the PDF's metadata.",
     "Título en la portada y en los metadatos del PDF.", "title: {title}"),
    ("A few words for the running header.",
     "Unas pocas palabras para la cabecera de las páginas.", "short_title: {short_title}"),
    ('One line under the title; leave empty ("") for none.',
     'Una línea bajo el título; déjela vacía ("") si no quiere ninguna.', "subtitle: {subtitle}"),
    ("Language of this document: {languages}.",
     "Idioma de este documento: {languages}.", "language: {language}"),
    ("Who it is for: professionals, patients or educators.",
     "Para quién es: professionals (profesionales), patients (pacientes) o educators (docentes).",
     "audience: {audience}"),
    ("Shown in a box under the title: who may use this document.",
     "Se muestra en un recuadro bajo el título: quién puede usar este documento.", "audience_notice: {notice}"),
    ("One sentence: the PDF's subject, shown by PDF viewers.",
     "Una frase: el asunto del PDF, que muestran los visores de PDF.", "summary: {summary}"),
    ('The people who wrote it, one "- name: ..." line each (add role: or affiliation: if useful).',
     'Quienes lo escribieron, una línea "- name: ..." por persona (añada role: o affiliation: si hace falta).',
     "authors: []"),
    ("Who checked and approved it, in the same form.",
     "Quienes lo revisaron y aprobaron, de la misma forma.", "reviewers: []"),
    ("The organisation that publishes it.", "La organización que lo publica.", "publisher: {publisher}"),
    ("Document version, always in quotes.", "Versión del documento, siempre entre comillas.", 'version: "0.1"'),
    ("Dates as YYYY-MM-DD. Patient leaflets must be reviewed within three years.",
     "Fechas como AAAA-MM-DD. Los folletos para pacientes deben revisarse antes de tres años.",
     "published: {published}"),
    (None, None, "review_date: {review_date}"),
    ("Words for the PDF's metadata and for search.",
     "Palabras para los metadatos del PDF y para las búsquedas.", "keywords: []"),
    ("The CSL-JSON file of references (export it from Zotero or Mendeley).",
     "El archivo CSL-JSON de referencias (expórtelo desde Zotero o Mendeley).", "references: references.json"),
)


def _template(column: int) -> str:
    """The front matter with the comments of one language, to fill in with str.format."""
    lines = "".join(("" if field[column] is None else f"# {field[column]}\n") + field[2] + "\n" for field in _FIELDS)
    return f"---\n{lines}{{extra}}---\n\n"


FRONT_MATTERS = {"en": _template(0), "es": _template(1)}
FRONT_MATTER = FRONT_MATTERS["en"]


EXAMPLES = {
    "evidence.yaml.example": """\
# Rename to evidence.yaml when the references it cites exist in references.json.
# Used by the summary and the CPD handout; numbers are written only here.
studies:
  - study: Author et al., 2024
    cite: author2024
    design: Randomised controlled trial
    participants: "120"
    population: Adults with the condition
    intervention: Treatment vs placebo
    result: The main result, with its numbers
    summary: true  # in the one-page summary (the CPD handout shows every study)
# The forest plot in the summary is drawn from these estimates.
forest_plot:
  title: Treatment versus placebo
  cite: author2024
  # MD, SMD or RD (differences, null line at 0); RR, OR or HR (ratios, log axis, null line at 1).
  measure: MD
  axis_label: Mean difference in pain, 0-10 scale
  favours_left: Favours treatment
  favours_right: Favours placebo
  caption: What the plot shows [@author2024].
  estimates:
    - label: At 1 week
      value: -1.5
      ci_low: -2.0
      ci_high: -1.0
""",
    "summary.yaml.example": """\
# Rename to summary.yaml (with evidence.yaml) to get the one-page clinician summary.
max_pages: 1
key_points:
  - A key point, cited [@author2024].
safety:
  - What to monitor, cited [@author2024].
""",
    "cpd.yaml.example": """\
# Rename to cpd.yaml (with evidence.yaml and summary.yaml) for the CPD handout and certificates.
audience: Who the session is for
duration_minutes: 60
objectives:
  - Describe ... [@author2024]
# status: accredited (with credits, body and statement), pending or not-accredited.
accreditation:
  status: not-accredited
faculty:
  - name: Name of the educator
    role: Their role
    conflicts: None declared
reflection:
  - A question for participants about their own practice.
# At least six questions; each answer must be copied exactly from its options.
questions:
  - question: A question?
    options: [First option, Second option, Third option, Fourth option]
    answer: Second option
    explanation: One sentence saying why.
    cite: author2024
session:
  dates: [2030-01-31]
  place: Where the session takes place
signatory:
  name: Name of the person who signs certificates
  post: Their post
""",
}


@dataclass(frozen=True)
class Scaffold:
    folder: Path
    files: tuple[Path, ...]


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _yaml_text(value: str) -> str:
    """A YAML scalar that stays text whatever it says (quotes, colons, 'no')."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def front_matter(project: Project, audience: str, title: str, language: str, today: datetime.date,
                 extra: str = "", subtitle: str | None = None) -> str:
    """The front matter `leafpress new` writes in ``language`` for a document whose ``audience`` is
    'patients' (a leaflet) or anyone else (an article), every field explained; ``extra`` is added after
    the document's own last fields, ``subtitle`` replaces its default.

    ``leafpress import`` writes the same, so an imported topic reads like a new one.
    """
    words = TEXT[language]
    if audience != "patients":
        fields = {"audience": audience, "subtitle": '""', "notice": _yaml_text(words["notice"]),
                  "summary": _yaml_text(words["summary"]), "extra": words["url"] + extra}
    else:
        # No subtitle: the cover already says "Information for patients" above the title.
        fields = {"audience": "patients", "subtitle": '""', "notice": '""',
                  "summary": _yaml_text(words["patient_summary"]), "extra": words["sources"] + extra}
    if subtitle is not None:
        fields["subtitle"] = _yaml_text(subtitle)
    return FRONT_MATTERS[language].format(
        title=_yaml_text(title), short_title=_yaml_text(title[:40]), language=language,
        languages=words["or"].join(TEXT), publisher=_yaml_text(project.config.clinic.name),
        published=today.isoformat(), review_date=_years_later(today, 2).isoformat(), **fields)


def new_topic(project: Project, name: str, title: str | None = None, language: str | None = None,
              today: datetime.date | None = None, titles: dict[str, str] | None = None) -> Scaffold:
    """Create content/<name>/ with an article, patient texts, references and example data.

    ``title`` is in the article's language; ``titles`` gives it in others ({"es": ...}). A patient text in a
    language with no title gets a placeholder that `leafpress check` flags, and records that it translates
    the patient text in the article's language (when both are made).
    """
    from ..source.translations import record_of

    problems = []
    if not SLUG.fullmatch(name):
        problems.append(error(None, None, f"topic name {quote(name)} must be lower-case letters, digits and "
                              "hyphens, such as 'ketamine-neuropathic-pain'"))
    language = language or project.config.default_language
    if language not in TEXT:
        problems.append(error(None, None, f"language {quote(language)} is not one of {', '.join(TEXT)}"))
    folder = project.content_dir / name
    if folder.exists():
        problems.append(error(folder, None, "already exists: choose another name or edit the topic there"))
    if problems:
        raise LeafpressError(problems)
    today = today or datetime.date.today()  # scaffolding only: builds never read the clock
    title = title or name.replace("-", " ").capitalize()
    titles = {**(titles or {}), language: title}
    folder.mkdir(parents=True)
    written = []

    def write(filename: str, text: str) -> None:
        path = folder / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)

    words = TEXT[language]
    write("article.md", front_matter(project, "professionals", title, language, today) + words["body"])
    # The patient text in the article's language first: the others are its translations.
    patient_languages = [code for code in project.config.languages if code in TEXT]
    patient_languages.sort(key=lambda code: code != language)
    original: Path | None = None
    for patient_language in patient_languages:
        patient = TEXT[patient_language]
        extra = ""
        if original is not None:
            extra = patient["translation_of"] + "".join(record_of(original).yaml_lines("\n"))
        named = titles.get(patient_language) or patient["translate_title"].format(title=title)
        write(f"patient.{patient_language}.md",
              front_matter(project, "patients", named, patient_language, today, extra) + patient["patient_body"])
        if patient_language == language:
            original = written[-1]
    write("references.json", "[]\n")
    for filename, text in EXAMPLES.items():
        write(filename, text)
    return Scaffold(folder, tuple(written))
