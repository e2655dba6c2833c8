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
        "to": "to",
        "clinician_summary": "Clinician summary",
        "key_points": "Key points",
        "evidence_at_a_glance": "Evidence at a glance",
        "col_study": "Study",
        "col_design": "Design",
        "col_participants": "Participants",
        "col_population": "Population",
        "col_intervention": "Intervention",
        "col_result": "Main result",
        "col_ref": "Ref.",
        "figure_word": "Figure",
        "source": "Source",
        "full_article": "Full article",
        "qr_alt": "QR code linking to the full article at {url}",
        "summary_of": "Summary of the full article, version {version}, published {date}.",
        "cpd_handout": "CPD handout",
        "target_audience": "Target audience",
        "duration": "Duration",
        "minutes": "{n} minutes",
        "date_and_place": "Date and place",
        "cpd_credits": "CPD credits",
        "credits_value": "{credits} credits ({body})",
        "accreditation": "Accreditation",
        "accreditation_pending": "Accreditation pending: no CPD credits are awarded for this activity yet.",
        "accreditation_none": "This activity is not accredited for CPD credits.",
        "faculty": "Faculty and conflicts of interest",
        "no_declaration": "no declaration of interests recorded",
        "learning_objectives": "Learning objectives",
        "objectives_intro": "By the end of this session you should be able to:",
        "reflection": "Reflection on your practice",
        "reflection_intro": "Write your answers in the boxes, on paper or in the PDF.",
        "self_assessment": "Self-assessment",
        "self_assessment_intro": "Choose one answer for each question. The answers are on the last page.",
        "question": "Question",
        "answers": "Answers",
        "answer_word": "Answer",
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
        "to": "a",
        "clinician_summary": "Resumen clínico",
        "key_points": "Puntos clave",
        "evidence_at_a_glance": "La evidencia de un vistazo",
        "col_study": "Estudio",
        "col_design": "Diseño",
        "col_participants": "Participantes",
        "col_population": "Población",
        "col_intervention": "Intervención",
        "col_result": "Resultado principal",
        "col_ref": "Ref.",
        "figure_word": "Figura",
        "source": "Fuente",
        "full_article": "Artículo completo",
        "qr_alt": "Código QR que enlaza con el artículo completo en {url}",
        "summary_of": "Resumen del artículo completo, versión {version}, publicado el {date}.",
        "cpd_handout": "Material de formación continuada",
        "target_audience": "Destinatarios",
        "duration": "Duración",
        "minutes": "{n} minutos",
        "date_and_place": "Fecha y lugar",
        "cpd_credits": "Créditos de formación continuada",
        "credits_value": "{credits} créditos ({body})",
        "accreditation": "Acreditación",
        "accreditation_pending": "Acreditación en trámite: esta actividad aún no otorga créditos de formación continuada.",
        "accreditation_none": "Esta actividad no está acreditada para créditos de formación continuada.",
        "faculty": "Docentes y conflictos de intereses",
        "no_declaration": "no consta declaración de intereses",
        "learning_objectives": "Objetivos de aprendizaje",
        "objectives_intro": "Al terminar la sesión debería ser capaz de:",
        "reflection": "Reflexión sobre su práctica",
        "reflection_intro": "Escriba sus respuestas en los recuadros, en papel o en el PDF.",
        "self_assessment": "Autoevaluación",
        "self_assessment_intro": "Elija una respuesta por pregunta. Las respuestas están en la última página.",
        "question": "Pregunta",
        "answers": "Respuestas",
        "answer_word": "Respuesta",
    },
}

LANGUAGES = tuple(CATALOGUES)


def strings(language: str) -> dict[str, str]:
    """The catalogue for ``language``; callers validate the language first."""
    return CATALOGUES[language]


def long_date(value: datetime.date, locale: str) -> str:
    """'3 June 2026' in en_GB, '3 de junio de 2026' in es_ES."""
    return format_date(value, format="long", locale=locale)
