"""Structured data beside a topic's article, validated like front matter.

Numbers are written once: the evidence table, the forest plot and the CPD
questions live in YAML files in the topic folder and cite the same reference
keys as the article.

* ``evidence.yaml``: studies for the "evidence at a glance" table, and the
  estimates the forest plot is drawn from;
* ``summary.yaml``: key points, the safety box and the page limit of the
  clinician summary;
* ``cpd.yaml``: learning objectives, accreditation, faculty, reflection
  prompts, self-assessment questions and the session details certificates need.

Text fields are Markdown (inline) and may cite with ``[@key]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, model_validator

from ..errors import Problem, error, has_errors, limit_problems, quote, warning
from .markup import CitationState, render_markdown
from .validation import IsoDate, Schema, validate
from .yamlfile import Location, YamlData, load_yaml, read_text

Text = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Field(strict=False)]  # YAML 2 and 2.0 are both fine here
Key = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][\w:.#$%&+?<>~/-]*$")]

EVIDENCE_FILE = "evidence.yaml"
SUMMARY_FILE = "summary.yaml"
CPD_FILE = "cpd.yaml"


class Study(Schema):
    study: Text
    cite: Key
    design: Text
    participants: Text
    population: Text
    intervention: Text
    result: Text


class Estimate(Schema):
    label: Text
    value: Number
    ci_low: Number
    ci_high: Number

    @model_validator(mode="after")
    def _interval_contains_value(self) -> Estimate:
        if not self.ci_low <= self.value <= self.ci_high:
            raise ValueError(f"the interval {self.ci_low} to {self.ci_high} must contain the value {self.value}: "
                             "check ci_low, value and ci_high")
        return self


class ForestPlot(Schema):
    title: Text
    cite: Key
    measure: Text
    caption: Text
    estimates: Annotated[list[Estimate], Field(min_length=1)]
    null_value: Number = 0.0
    favours_left: Text = "Favours treatment"
    favours_right: Text = "Favours control"
    confidence: Text = "95% CI"


class Evidence(Schema):
    studies: Annotated[list[Study], Field(min_length=1)]
    forest_plot: ForestPlot | None = None


class Summary(Schema):
    # One page is the aim; two is the most any topic may take.
    max_pages: Literal[1, 2] = 1
    key_points: Annotated[list[Text], Field(min_length=1)]
    safety: Annotated[list[Text], Field(min_length=1)]
    safety_title: Text = "Safety and monitoring"


class Question(Schema):
    question: Text
    options: Annotated[list[Text], Field(min_length=3)]
    answer: Text
    explanation: Text
    cite: Key


class Person(Schema):
    name: Text
    role: str | None = None
    conflicts: str | None = None


class Accreditation(Schema):
    status: Literal["accredited", "pending", "not-accredited"]
    credits: Number | None = None
    body: str | None = None
    statement: str | None = None


class Session(Schema):
    dates: Annotated[list[IsoDate], Field(min_length=1)]
    place: Text


class Signatory(Schema):
    name: Text
    post: Text


class CPD(Schema):
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


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class DataFile:
    """A validated data file and where each of its values was written."""

    path: Path
    model: Any
    yaml: YamlData

    def line_of(self, location: Location) -> int:
        return self.yaml.line_of(location)


def load_data_file(path: Path, model: type[M]) -> tuple[DataFile | None, list[Problem]]:
    """Load and validate one YAML data file; None and the problems if it is wrong."""
    text = read_text(path, folder=path.parent)
    if isinstance(text, Problem):
        return None, [text]
    data, problems = load_yaml(text, path)
    if data is None:
        return None, problems
    value, more = validate(model, data, path)
    problems += more
    if value is None or problems:
        return None, problems
    problems += markdown_problems(path, data, markdown_fields(value))
    if has_errors(problems):  # text the renderer would refuse never reaches it
        return None, limit_problems(problems)
    return DataFile(path, value, data), limit_problems(problems)


def markdown_fields(model: BaseModel) -> list[tuple[Location, str]]:
    """Where each text that a layout renders as Markdown is, and the text."""
    fields: list[tuple[Location, str]] = []
    if isinstance(model, Evidence):
        for index, study in enumerate(model.studies):
            for name in ("study", "design", "participants", "population", "intervention", "result"):
                fields.append((("studies", index, name), getattr(study, name)))
        if model.forest_plot is not None:
            fields.append((("forest_plot", "caption"), model.forest_plot.caption))
    elif isinstance(model, Summary):
        fields += [(("key_points", i), text) for i, text in enumerate(model.key_points)]
        fields += [(("safety", i), text) for i, text in enumerate(model.safety)]
    elif isinstance(model, CPD):
        fields += [(("objectives", i), text) for i, text in enumerate(model.objectives)]
        fields += [(("reflection", i), text) for i, text in enumerate(model.reflection)]
        for i, question in enumerate(model.questions):
            fields.append((("questions", i, "question"), question.question))
            fields += [(("questions", i, "options", j), text) for j, text in enumerate(question.options)]
            fields.append((("questions", i, "explanation"), question.explanation))
    return fields


def markdown_problems(path: Path, data: YamlData, fields: list[tuple[Location, str]]) -> list[Problem]:
    """What rendering these texts would refuse (errors) or remove (warnings), at their lines.

    The layouts render them later with their own citation numbering; this
    renders each once now, so the author hears about it when the file is read.
    """
    problems: list[Problem] = []
    for location, text in fields:
        state = CitationState(known=frozenset())
        render_markdown(text, state)
        line = data.line_of(location)
        problems += [error(path, line, notice.message) for notice in state.refused]
        problems += [warning(path, line, notice.message) for notice in state.removed]
    return problems


def check_cpd(cpd: DataFile, known_keys: frozenset[str]) -> list[Problem]:
    """Checks across fields: answers among the options, references that exist, accreditation complete."""
    model: CPD = cpd.model
    problems = []
    for index, question in enumerate(model.questions):
        if question.answer not in question.options:
            problems.append(error(cpd.path, cpd.line_of(("questions", index, "answer")),
                                  f"question {index + 1}: the answer {quote(question.answer)} is not one of its "
                                  "options; copy the right option's text exactly"))
        if len(set(question.options)) != len(question.options):
            problems.append(error(cpd.path, cpd.line_of(("questions", index, "options")),
                                  f"question {index + 1}: two options have the same text"))
        if question.cite not in known_keys:
            problems.append(error(cpd.path, cpd.line_of(("questions", index, "cite")),
                                  f"question {index + 1} cites the unknown reference key {quote(question.cite)}: "
                                  "add it to the references file or fix the spelling"))
    for index, person in enumerate(model.faculty):
        if person.conflicts is None:
            problems.append(warning(cpd.path, cpd.line_of(("faculty", index)),
                                    f"faculty {quote(person.name)} has no conflicts-of-interest declaration: "
                                    "add 'conflicts: ...' (for example 'None declared') once it is made"))
    accreditation = model.accreditation
    if accreditation.status != "accredited":
        problems.append(warning(cpd.path, cpd.line_of(("accreditation",)),
                                "the activity is not accredited: the handout and certificates state that "
                                "no CPD credits are awarded"))
    if accreditation.status == "accredited":
        for field in ("credits", "body", "statement"):
            if not getattr(accreditation, field):
                problems.append(error(cpd.path, cpd.line_of(("accreditation",)),
                                      f"an accredited activity needs accreditation.{field}"))
    return problems


def check_keys(data: DataFile, locations: list[tuple[Location, str]], known_keys: frozenset[str]) -> list[Problem]:
    """Errors for ``cite`` fields naming references that do not exist."""
    return [error(data.path, data.line_of(location),
                  f"unknown reference key {quote(key)}: add it to the references file or fix the spelling")
            for location, key in locations if key not in known_keys]
