"""The summary: one A4 page for clinicians, with key points, the evidence at a glance, a figure, a QR code.

It is drawn from two data files beside the article: ``evidence.yaml`` (the
studies for the "evidence at a glance" table, and the estimates the forest
plot is drawn from) and ``summary.yaml`` (key points, the safety box and the
page limit). The CPD handout reads them too, and shows every study; the
summary shows the ones marked ``summary: true`` (all, when none is marked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from ...errors import Problem, error, warning
from ...source.data import DataFile, DataSchema, Key, Number, Text
from ...source.yamlfile import Location
from ..base import DataSpec, Layout, LayoutData, LayoutInputs, PageRules, Source

if TYPE_CHECKING:
    from ..context import Fragments


STUDY_FIELDS = ("study", "design", "participants", "population", "intervention", "result")


class Study(DataSchema):
    study: Text
    cite: Key
    design: Text
    participants: Text
    population: Text
    intervention: Text
    result: Text
    # Shown in the one-page summary? (The CPD handout shows every study.)
    summary: bool | None = None


class Estimate(DataSchema):
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


class ForestPlot(DataSchema):
    title: Text
    cite: Key
    measure: Text
    caption: Text
    estimates: Annotated[list[Estimate], Field(min_length=1)]
    null_value: Number = 0.0
    favours_left: Text = "Favours treatment"
    favours_right: Text = "Favours control"
    confidence: Text = "95% CI"


class Evidence(DataSchema):
    studies: Annotated[list[Study], Field(min_length=1)]
    forest_plot: ForestPlot | None = None

    def summary_studies(self) -> list[int]:
        """The studies the one-page summary shows: those marked ``summary: true``, else all but ``summary: false``."""
        chosen = [i for i, study in enumerate(self.studies) if study.summary is True]
        return chosen or [i for i, study in enumerate(self.studies) if study.summary is not False]

    def markdown_fields(self) -> list[tuple[Location, str]]:
        fields: list[tuple[Location, str]] = [(("studies", index, name), getattr(study, name))
                                              for index, study in enumerate(self.studies) for name in STUDY_FIELDS]
        if self.forest_plot is not None:
            fields.append((("forest_plot", "caption"), self.forest_plot.caption))
        return fields

    def citations(self) -> list[tuple[Location, str]]:
        cites: list[tuple[Location, str]] = [(("studies", i, "cite"), s.cite) for i, s in enumerate(self.studies)]
        if self.forest_plot is not None:
            cites.append((("forest_plot", "cite"), self.forest_plot.cite))
        return cites

    def cross_checks(self, data: DataFile, known_keys: frozenset[str]) -> list[Problem]:
        """A summary with at least one study."""
        if self.summary_studies():
            return []
        return [error(data.path, data.line_of(("studies",)), "every study says 'summary: false', so the summary "
                      "would show none: write 'summary: true' on the studies it should show")]


class Summary(DataSchema):
    # One page is the aim; two is the most any topic may take.
    max_pages: Literal[1, 2] = 1
    key_points: Annotated[list[Text], Field(min_length=1)]
    safety: Annotated[list[Text], Field(min_length=1)]
    safety_title: Text = "Safety and monitoring"

    def markdown_fields(self) -> list[tuple[Location, str]]:
        fields: list[tuple[Location, str]] = [(("key_points", i), text) for i, text in enumerate(self.key_points)]
        return fields + [(("safety", i), text) for i, text in enumerate(self.safety)]


EVIDENCE = DataSpec("evidence.yaml", Evidence)
SUMMARY = DataSpec("summary.yaml", Summary)

# About how many words of text fit on the one-page summary besides the figure
# (the sample's words fill about four fifths of it).
WORDS_PER_PAGE = 380


def _figure(fragments: Fragments, evidence: DataFile, inputs: LayoutInputs) -> dict[str, Any] | None:
    from ..figures import forest_plot  # draws SVG: loaded only when a summary is built

    plot = evidence.model.forest_plot
    if plot is None:
        return None
    drawing = forest_plot(plot, inputs.locale, inputs.strings["to"], inputs.colour)
    return {
        "src": drawing.src,
        "alt": drawing.alt,
        "width_pt": drawing.width_pt,
        "caption": fragments.text(evidence, ("forest_plot", "caption"), plot.caption),
        "number": fragments.number(plot.cite),
    }


def summary_context(inputs: LayoutInputs) -> LayoutData:
    from ...cite.references import bibliography
    from ..context import Fragments, studies
    from ..figures import qr_code_data_uri

    document = inputs.document
    evidence, summary = inputs.files[EVIDENCE.file], inputs.files[SUMMARY.file]
    model: Summary = summary.model
    fragments = Fragments(document)
    problems: list[Problem] = []
    context: dict[str, Any] = {
        "key_points": fragments.texts(summary, "key_points", model.key_points),
        "safety": fragments.texts(summary, "safety", model.safety),
        "safety_title": model.safety_title,
        "studies": studies(fragments, evidence, evidence.model.summary_studies()),
        "figure": _figure(fragments, evidence, inputs),
        "max_pages": model.max_pages,
    }
    if document.meta.url:
        context["qr"] = {"src": qr_code_data_uri(document.meta.url), "url": document.meta.url}
    else:
        problems.append(error(document.source, 1, "the summary layout needs 'url' in the front matter: "
                              "the web address of the full article, for its QR code"))
    problems += fragments.problems
    # What to shorten when the page runs over, by the block that takes most room (see the template's data-source).
    sources = {
        "key_points": Source(summary.path, summary.line_of(("key_points",)), "the key points",
                             "shorten or remove key points"),
        "safety": Source(summary.path, summary.line_of(("safety",)), "the safety box", "shorten the safety box"),
        "studies": Source(evidence.path, evidence.line_of(("studies",)), "the studies table",
                          "show fewer studies in the summary (write 'summary: true' on the ones to show) "
                          "or shorten their texts"),
        "figure": Source(evidence.path, evidence.line_of(("forest_plot",)), "the forest plot",
                         "shorten the figure's labels and caption or show fewer estimates"),
    }
    return LayoutData(context, bibliography(document.references, fragments.state.order), tuple(problems),
                      max_pages=model.max_pages, sources=sources)


def summary_checks(files: dict[str, DataFile]) -> list[Problem]:
    """Warn, before any build, when the summary's text is longer than its pages hold."""
    evidence, summary = files[EVIDENCE.file], files[SUMMARY.file]
    model: Summary = summary.model
    texts = [*model.key_points, *model.safety]
    for index in evidence.model.summary_studies():
        texts += [getattr(evidence.model.studies[index], name) for name in STUDY_FIELDS]
    words = sum(len(text.split()) for text in texts)
    capacity = WORDS_PER_PAGE * model.max_pages
    if words <= capacity:
        return []
    one_page = model.max_pages == 1
    return [warning(summary.path, 1, f"the summary's text runs to {words} words; about {capacity} "
                    f"fit on {'1 page' if one_page else '2 pages'}, so it may overflow: shorten "
                    "the key points, the safety box or the evidence rows"
                    + (", or set 'max_pages: 2'" if one_page else "")
                    + " (leafpress build measures it exactly)")]


LAYOUT = Layout(
    name="summary",
    description="one-page clinician summary: key points, evidence at a glance, figure, QR code (A4)",
    template="summary.html.j2",
    stylesheets=("fonts/fonts.css", "base.css", "summary.css"),
    data=(EVIDENCE, SUMMARY),
    page=PageRules(max_pages=2),  # summary.yaml may lower it to 1 (the default)
    context=summary_context,
    checks=summary_checks,
    order=20,
)

LAYOUTS = (LAYOUT,)
