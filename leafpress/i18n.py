"""Fixed strings and date formats per language.

Templates never hold words of their own: every label comes from here, so a
Spanish document has no English left in it. Dates are formatted by Babel.
"""

from __future__ import annotations

import datetime

from babel.dates import format_date

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "page": "Page",
        "of": "of",
        "version": "Version",
        "references": "References",
        "footnotes": "Notes",
        "authors": "Authors",
        "reviewers": "Reviewed by",
        "no_named_author": "No named author",
        "document_control": "Document control",
        "publisher": "Publisher",
        "published": "Published",
        "next_review": "Next review",
        "keywords": "Keywords",
        "audience_professionals": "For healthcare professionals",
        "audience_patients": "Information for patients",
        "audience_educators": "For educators",
        "table_word": "Table",
    },
    "es": {
        "page": "Página",
        "of": "de",
        "version": "Versión",
        "references": "Bibliografía",
        "footnotes": "Notas",
        "authors": "Autores",
        "reviewers": "Revisado por",
        "no_named_author": "Sin autor nominal",
        "document_control": "Control del documento",
        "publisher": "Editor",
        "published": "Publicado",
        "next_review": "Próxima revisión",
        "keywords": "Palabras clave",
        "audience_professionals": "Para profesionales sanitarios",
        "audience_patients": "Información para pacientes",
        "audience_educators": "Para docentes",
        "table_word": "Tabla",
    },
}

LANGUAGES = tuple(CATALOGUES)


def strings(language: str) -> dict[str, str]:
    """The catalogue for ``language``; callers validate the language first."""
    return CATALOGUES[language]


def long_date(value: datetime.date, locale: str) -> str:
    """'3 June 2026' in en_GB, '3 de junio de 2026' in es_ES."""
    return format_date(value, format="long", locale=locale)
