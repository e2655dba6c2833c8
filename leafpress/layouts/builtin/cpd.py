"""The CPD handout for educators: objectives, evidence, reflection, a self-assessment with its answers.

It reads ``cpd.yaml`` (learning objectives, accreditation, faculty,
reflection prompts, self-assessment questions and the session details that
certificates need) beside the summary's ``evidence.yaml`` and ``summary.yaml``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ...errors import Problem, error, quote, warning
from ...source.data import DataFile, DataSchema, Key, Number, Text
from ...source.validation import IsoDate
from ...source.yamlfile import Location
from ..base import DataSpec, Layout, LayoutData, LayoutInputs
from .summary import EVIDENCE, SUMMARY


class Question(DataSchema):
    question: Text
    options: Annotated[list[Text], Field(min_length=3)]
    answer: Text
    explanation: Text
    cite: Key


class Person(DataSchema):
    name: Text
    role: str | None = None
    conflicts: str | None = None


class Accreditation(DataSchema):
    status: Literal["accredited", "pending", "not-accredited"]
    credits: Number | None = None
    body: str | None = None
    statement: str | None = None


class Session(DataSchema):
    dates: Annotated[list[IsoDate], Field(min_length=1)]
    place: Text


class Signatory(DataSchema):
    name: Text
    post: Text


class CPD(DataSchema):
    audience: Text
    duration_minutes: Annotated[int, Field(gt=0)]
    objectives: Annotated[list[Text], Field(min_length=1)]
    accreditation: Accreditation
    faculty: Annotated[list[Person], Field(min_length=1)]
    reflection: Annotated[list[Text], Field(min_length=1)]
    questions: Annotated[list[Question], Field(min_length=6)]
    session: Session
    signatory: Signatory
    title: str | None = None  # defaults to the article's title

    @property
    def hours(self) -> float:
        return round(self.duration_minutes / 60, 2)

    def markdown_fields(self) -> list[tuple[Location, str]]:
        fields: list[tuple[Location, str]] = [(("objectives", i), text) for i, text in enumerate(self.objectives)]
        fields += [(("reflection", i), text) for i, text in enumerate(self.reflection)]
        for i, question in enumerate(self.questions):
            fields.append((("questions", i, "question"), question.question))
            fields += [(("questions", i, "options", j), text) for j, text in enumerate(question.options)]
            fields.append((("questions", i, "explanation"), question.explanation))
        return fields

    def cross_checks(self, data: DataFile, known_keys: frozenset[str]) -> list[Problem]:
        """Answers among the options, references that exist, accreditation complete."""
        problems = []
        for index, question in enumerate(self.questions):
            if question.answer not in question.options:
                problems.append(error(data.path, data.line_of(("questions", index, "answer")),
                                      f"question {index + 1}: the answer {quote(question.answer)} is not one of "
                                      "its options; copy the right option's text exactly"))
            if len(set(question.options)) != len(question.options):
                problems.append(error(data.path, data.line_of(("questions", index, "options")),
                                      f"question {index + 1}: two options have the same text"))
            if question.cite not in known_keys:
                problems.append(error(data.path, data.line_of(("questions", index, "cite")),
                                      f"question {index + 1} cites the unknown reference key "
                                      f"{quote(question.cite)}: add it to the references file or fix the spelling"))
        for index, person in enumerate(self.faculty):
            if person.conflicts is None:
                problems.append(warning(data.path, data.line_of(("faculty", index)),
                                        f"faculty {quote(person.name)} has no conflicts-of-interest declaration: "
                                        "add 'conflicts: ...' (for example 'None declared') once it is made"))
        accreditation = self.accreditation
        if accreditation.status != "accredited":
            problems.append(warning(data.path, data.line_of(("accreditation",)),
                                    "the activity is not accredited: the handout and certificates state that "
                                    "no CPD credits are awarded"))
        else:
            for field in ("credits", "body", "statement"):
                if not getattr(accreditation, field):
                    problems.append(error(data.path, data.line_of(("accreditation",)),
                                          f"an accredited activity needs accreditation.{field}"))
        return problems


CPD_DATA = DataSpec("cpd.yaml", CPD)


def cpd_context(inputs: LayoutInputs) -> LayoutData:
    from babel.numbers import format_decimal

    from ...render.i18n import long_date
    from ..context import Fragments, studies

    document, locale = inputs.document, inputs.locale
    cpd, summary, evidence = inputs.files[CPD_DATA.file], inputs.files[SUMMARY.file], inputs.files[EVIDENCE.file]
    model: CPD = cpd.model
    fragments = Fragments(document)
    context: dict[str, Any] = {
        "cpd": model,
        "session_dates": ", ".join(long_date(d, locale) for d in model.session.dates),
        "credits_text": (format_decimal(model.accreditation.credits, locale=locale)
                         if model.accreditation.credits is not None else ""),
        "objectives": fragments.texts(cpd, "objectives", model.objectives),
        "key_points": fragments.texts(summary, "key_points", summary.model.key_points),
        "studies": studies(fragments, evidence),
        "reflection": fragments.texts(cpd, "reflection", model.reflection),
        "questions": [
            {"text": fragments.text(cpd, ("questions", i, "question"), q.question),
             "options": [fragments.text(cpd, ("questions", i, "options", j), o) for j, o in enumerate(q.options)],
             "answer_index": q.options.index(q.answer) if q.answer in q.options else 0}
            for i, q in enumerate(model.questions)],
    }
    context["answers"] = [
        {"explanation": fragments.text(cpd, ("questions", i, "explanation"), q.explanation),
         "number": fragments.number(q.cite)}
        for i, q in enumerate(model.questions)]
    entries = fragments.bibliography()
    return LayoutData(context, entries, tuple(fragments.problems))


LAYOUT = Layout(
    name="cpd",
    description="CPD handout for educators: objectives, evidence, reflection, self-assessment (A4)",
    template="cpd.html.j2",
    stylesheets=("fonts/fonts.css", "base.css", "clinician.css", "cpd.css"),
    audience="educators",
    data=(EVIDENCE, SUMMARY, CPD_DATA),
    pdf_forms=True,
    context=cpd_context,
    order=30,
)

LAYOUTS = (LAYOUT,)
