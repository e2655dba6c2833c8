"""The summary: one A4 page for clinicians, with key points, the evidence at a glance, a figure, a QR code.

It is drawn from two data files beside the article: ``evidence.yaml`` (the
studies for the "evidence at a glance" table, and the estimates the forest
plot is drawn from) and ``summary.yaml`` (key points, the safety box and the
page limit). The CPD handout reads them too, and shows every study; the
summary shows the ones marked ``summary: true`` (all, when none is marked).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from ...errors import Problem, error, quote, warning
from ...source.data import DataFile, DataSchema, Key, Text
from ...source.yamlfile import Location
from ..base import DataSpec, Layout, LayoutData, LayoutInputs, PageRules, Source

if TYPE_CHECKING:
    from ..context import Fragments
    from ..figures import PlotSpec


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


# Plotted numbers: finite, and small enough for an axis to show with its labels.
LARGEST = 1_000_000


def _plot_number(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, bool):
        raise ValueError("must be a number, not a yes/no value")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace("_", ""))
        except ValueError:
            raise ValueError(f"must be a number, not {quote(value)}") from None
    if not isinstance(value, (int, float)):
        kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "text"
        raise ValueError(f"must be a number, not {kind}")
    if math.isnan(value):
        raise ValueError("must be a number, not 'not a number' (.nan): write the estimate's digits")
    if math.isinf(value):
        raise ValueError("must be a finite number, not infinity (.inf): write the estimate's digits")
    if abs(value) > LARGEST:
        raise ValueError(f"is too large for a forest plot: its numbers lie between \u2212{LARGEST:,} and "
                         f"{LARGEST:,}; give the estimates in a larger unit")
    return float(value)


PlotNumber = Annotated[float, BeforeValidator(_plot_number)]
MaybePlotNumber = Annotated[float | None, BeforeValidator(_plot_number)]


class Estimate(DataSchema):
    label: Text
    value: PlotNumber
    ci_low: PlotNumber
    ci_high: PlotNumber

    @model_validator(mode="after")
    def _interval_contains_value(self) -> Estimate:
        if self.ci_low > self.ci_high:
            raise ValueError(f"has ci_low {self.ci_low} above ci_high {self.ci_high}: write the interval's lower "
                             "limit as ci_low and its upper limit as ci_high")
        if not self.ci_low <= self.value <= self.ci_high:
            raise ValueError(f"the interval {self.ci_low} to {self.ci_high} must contain the value {self.value}: "
                             "check ci_low, value and ci_high")
        return self


# Effect measures a forest plot knows: True for ratios (log axis, null line at 1),
# False for differences (linear axis, null line at 0).
MEASURES = {"MD": False, "SMD": False, "RD": False, "RR": True, "OR": True, "HR": True}
# Their names, as a measure written out in full may begin (longest first).
MEASURE_NAMES = (
    ("standardised mean difference", "SMD"), ("standardized mean difference", "SMD"),
    ("diferencia de medias estandarizada", "SMD"), ("diferencia media estandarizada", "SMD"),
    ("mean difference", "MD"), ("diferencia de medias", "MD"), ("diferencia media", "MD"),
    ("risk difference", "RD"), ("diferencia de riesgos", "RD"),
    ("risk ratio", "RR"), ("relative risk", "RR"), ("riesgo relativo", "RR"), ("razón de riesgos", "RR"),
    ("odds ratio", "OR"), ("razón de momios", "OR"),
    ("hazard ratio", "HR"), ("cociente de riesgos instantáneos", "HR"),
)


def measure_code(measure: str) -> str | None:
    """MD, SMD, RD, RR, OR or HR for a measure written as one of them or as its name; None for others."""
    text = measure.strip()
    first = text.split(maxsplit=1)[0] if text else ""
    if first.upper() in MEASURES and (first.isupper() or first == text):
        return first.upper()
    lowered = text.lower()
    return next((code for name, code in MEASURE_NAMES if lowered.startswith(name)), None)


class ForestPlot(DataSchema):
    title: Text
    cite: Key
    # MD, SMD or RD (differences), RR, OR or HR (ratios), or the measure's name ("Mean difference in pain").
    measure: Text
    caption: Text
    estimates: Annotated[list[Estimate], Field(min_length=1)]
    # For a measure not listed above: true draws it as a ratio (log axis, null line at 1).
    ratio: bool | None = None
    # The null line: 1 for ratios, 0 for differences.
    null_value: MaybePlotNumber = None
    # Printed under the axis; the measure's name by default.
    axis_label: Text | None = None
    # Limits of the axis (round bounds around every interval by default); an interval beyond is cut with an arrow.
    axis_min: MaybePlotNumber = None
    axis_max: MaybePlotNumber = None
    favours_left: Text | None = None
    favours_right: Text | None = None
    confidence: Text | None = None  # "95% CI" in the document's language by default
    label_header: Text | None = None  # "Study" in the document's language by default

    @property
    def code(self) -> str | None:
        return measure_code(self.measure)

    @property
    def is_ratio(self) -> bool:
        """A log axis: a ratio measure, or one the data declares a ratio (or, for older files, puts the null at 1)."""
        if self.code is not None:
            return MEASURES[self.code]
        if self.ratio is not None:
            return self.ratio
        return self.null_value == 1

    @property
    def null(self) -> float:
        if self.null_value is not None:
            return self.null_value
        return 1.0 if self.is_ratio else 0.0


def _name(location: Location) -> str:
    """'forest_plot.estimates[2].ci_low', as the validation messages name fields."""
    text = ""
    for part in location:
        text += f"[{part + 1}]" if isinstance(part, int) else ("." if text else "") + part
    return quote(text)


def plot_problems(plot: ForestPlot, written: dict[Location, str]) -> list[tuple[Location, str]]:
    """What makes the numbers of a forest plot impossible to draw, at each number's location in the file."""
    def shown(location: Location, value: float) -> str:
        return written.get(location, f"{value:g}")

    base: Location = ("forest_plot",)
    found: list[tuple[Location, str]] = []
    code = plot.code
    if code is not None and plot.ratio is not None and plot.ratio != MEASURES[code]:
        kind = "a ratio" if MEASURES[code] else "a difference"
        found.append((base + ("ratio",), f"{_name(base + ('ratio',))} says {str(plot.ratio).lower()}, but {code} "
                      f"is {kind}: remove 'ratio' (it is for measures other than MD, SMD, RD, RR, OR and HR)"))
    numbers: list[tuple[Location, float]] = []
    for name in ("null_value", "axis_min", "axis_max"):
        if getattr(plot, name) is not None:
            numbers.append((base + (name,), getattr(plot, name)))
    for index, estimate in enumerate(plot.estimates):
        numbers += [(base + ("estimates", index, name), getattr(estimate, name))
                    for name in ("value", "ci_low", "ci_high")]
    if plot.is_ratio:
        what = f"{code} is a ratio" if code else "the measure is a ratio"
        bad = [(location, value) for location, value in numbers if value <= 0]
        found += [(location, f"{_name(location)} is {shown(location, value)}, but {what}, drawn on a log axis "
                   "where only numbers above 0 have a place: check the number"
                   + ("" if code else ", or write 'ratio: false' if the measure is a difference"))
                  for location, value in bad]
        if bad:
            return found
    low, high = plot.axis_min, plot.axis_max
    if low is not None and high is not None and low >= high:
        found.append((base + ("axis_min",), f"{_name(base + ('axis_min',))} ({shown(base + ('axis_min',), low)}) "
                      f"must be less than {_name(base + ('axis_max',))} ({shown(base + ('axis_max',), high)})"))
        return found
    for name, limit, side in (("axis_min", low, -1), ("axis_max", high, 1)):
        if limit is None:
            continue
        location = base + (name,)
        if (plot.null - limit) * side > 0:
            found.append((location, f"{_name(location)} {shown(location, limit)} leaves the null line "
                          f"({plot.null:g}) off the axis: a forest plot always shows it; "
                          f"{'lower' if name == 'axis_min' else 'raise'} the limit or remove it"))
        for index, estimate in enumerate(plot.estimates):
            if (estimate.value - limit) * side > 0:
                where = base + ("estimates", index, "value")
                found.append((where, f"{_name(where)} {shown(where, estimate.value)} is beyond {_name(location)} "
                              f"{shown(location, limit)}: a limit may cut intervals short (drawn with an arrow), "
                              f"not estimates; {'lower' if name == 'axis_min' else 'raise'} the limit or remove it"))
    return found


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
        """A summary with at least one study; numbers a forest plot can draw."""
        problems = []
        if not self.summary_studies():
            problems.append(error(data.path, data.line_of(("studies",)),
                                  "every study says 'summary: false', so the summary would show none: write "
                                  "'summary: true' on the studies it should show"))
        if self.forest_plot is not None:
            problems += [error(data.path, data.line_of(location), message)
                         for location, message in plot_problems(self.forest_plot, data.yaml.raw)]
        return problems


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


def plot_spec(plot: ForestPlot, written: dict[Location, str], locale: str, strings: dict[str, str]) -> PlotSpec:
    """What the forest plot shows, its numbers printed as the data writes them, its words in the document's language."""
    from babel.numbers import get_decimal_symbol

    from ..figures import PlotSpec, Row, format_written

    def printed(location: Location, value: float) -> str:
        return format_written(value, written.get(("forest_plot", *location)), locale)

    code = plot.code
    name = strings[f"measure_{code}"] if code else plot.measure
    short = strings[f"abbr_{code}"] if code else (plot.measure.strip() if len(plot.measure.split()) == 1
                                                   and len(plot.measure) <= 10 else strings["estimate"])
    confidence = plot.confidence or strings["ci_95"]
    axis_label = plot.axis_label or (plot.measure if code and plot.measure.strip() != code else name)
    if plot.is_ratio:
        axis_label += f" ({strings['log_scale']})"
    rows = tuple(Row(e.label, e.value, e.ci_low, e.ci_high,
                     (printed(("estimates", i, "value"), e.value), printed(("estimates", i, "ci_low"), e.ci_low),
                      printed(("estimates", i, "ci_high"), e.ci_high)))
                 for i, e in enumerate(plot.estimates))
    limits = (printed(("axis_min",), plot.axis_min) if plot.axis_min is not None else None,
              printed(("axis_max",), plot.axis_max) if plot.axis_max is not None else None)
    return PlotSpec(
        title=plot.title, rows=rows, ratio=plot.is_ratio, null=plot.null, axis_label=axis_label,
        label_header=plot.label_header or strings["col_study"], value_header=f"{short} ({confidence})",
        confidence=confidence, to_word=strings["to"], decimal_symbol=get_decimal_symbol(locale), locale=locale,
        favours_left=plot.favours_left, favours_right=plot.favours_right,
        axis_min=plot.axis_min, axis_max=plot.axis_max, printed_limits=limits)


def _figure(fragments: Fragments, evidence: DataFile, inputs: LayoutInputs,
            problems: list[Problem]) -> dict[str, Any] | None:
    from ..figures import forest_plot  # draws SVG: loaded only when a summary is built

    plot: ForestPlot | None = evidence.model.forest_plot
    if plot is None or plot_problems(plot, evidence.yaml.raw):  # those are reported with the file's problems
        return None
    drawing, issues = forest_plot(plot_spec(plot, evidence.yaml.raw, inputs.locale, inputs.strings), inputs.colour)
    problems += [error(evidence.path, evidence.line_of(("forest_plot", *location)),
                       f"{_name(('forest_plot', *location))} {message}") for location, message in issues]
    if drawing is None:
        return None
    return {
        "src": drawing.src,
        "alt": drawing.alt,
        "width_pt": drawing.width_pt,
        "caption": fragments.text(evidence, ("forest_plot", "caption"), plot.caption),
        "number": fragments.number(plot.cite),
    }


def summary_context(inputs: LayoutInputs) -> LayoutData:
    from ..context import Fragments, studies
    from ..figures import qr_code_data_uri

    document = inputs.document
    evidence, summary = inputs.files[EVIDENCE.file], inputs.files[SUMMARY.file]
    model: Summary = summary.model
    fragments = Fragments(document)
    problems: list[Problem] = []
    chosen = evidence.model.summary_studies()
    # None marked 'summary: true': when all of them do not fit, the build asks for fewer (inputs.shrink).
    open_choice = not any(study.summary is True for study in evidence.model.studies)
    shown = chosen[: max(1, len(chosen) - inputs.shrink)] if open_choice else chosen
    if len(shown) < len(chosen):
        problems.append(warning(evidence.path, evidence.line_of(("studies",)),
                                f"the summary shows the first {len(shown)} of {len(chosen)} studies, as many as "
                                "fit on its page: write 'summary: true' on the ones it should show"))
    context: dict[str, Any] = {
        "key_points": fragments.texts(summary, "key_points", model.key_points),
        "safety": fragments.texts(summary, "safety", model.safety),
        "safety_title": model.safety_title,
        "studies": studies(fragments, evidence, shown),
        "figure": _figure(fragments, evidence, inputs, problems),
        "max_pages": model.max_pages,
    }
    if document.meta.url:
        context["qr"] = {"src": qr_code_data_uri(document.meta.url), "url": document.meta.url}
    else:
        problems.append(error(document.source, 1, "the summary layout needs 'url' in the front matter: "
                              "the web address of the full article, for its QR code"))
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
    entries = fragments.bibliography()
    problems += fragments.problems
    return LayoutData(context, entries, tuple(problems), max_pages=model.max_pages, sources=sources,
                      shrink_steps=len(shown) - 1 if open_choice else 0)


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
