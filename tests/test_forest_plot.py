"""The forest plot: its axis and ticks, its columns, its numbers as written, and data it cannot draw.

The functions that choose bounds and ticks are tested on their own; the rest
is read from real PDFs built from small topics.
"""

from __future__ import annotations

import base64
import random
import re

import pytest

from conftest import EVIDENCE, add_data, errors, pdf_text, run
from leafpress import load_project, plan, render_target
from leafpress.layouts.figures import (
    PlotSpec,
    Row,
    decimals_written,
    format_written,
    linear_ticks,
    log_ticks,
    plot_axis,
    text_width,
    wrap,
)
from leafpress.pipeline import Session


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- bounds and ticks ----------------------------------------------------------------

@pytest.mark.parametrize("low, high, expected", [
    (-2.65, 0.0, [-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0]),
    (0.0, 0.37, [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]),
    (-12.0, 47.0, [-20.0, -10.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0]),
    (0.0, 0.0, [-1.0, -0.5, 0.0, 0.5, 1.0]),  # all equal: a unit either side
    (-0.0000001, 0.0, [-0.000001, 0.0]),  # never closer than a millionth
])
def test_linear_ticks_are_round_and_hold_the_range(low, high, expected):
    assert linear_ticks(low, high) == expected


@pytest.mark.parametrize("low, high, expected", [
    (0.31, 5.25, [0.2, 0.5, 1.0, 2.0, 5.0, 10.0]),
    (0.5, 1.0, [0.5, 1.0]),
    (1.0, 1.0, [0.5, 1.0, 2.0]),  # all equal: a step either side
    (0.8, 1.25, [0.5, 1.0, 2.0]),
    (0.003, 400.0, [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]),  # too many for 1-2-5: powers of ten
    (0.000001, 1000000.0, [1e-06, 0.0001, 0.01, 1.0, 100.0, 10000.0, 1000000.0]),  # every second power
])
def test_log_ticks_run_0_1_0_2_0_5_1_2_5_10(low, high, expected):
    assert log_ticks(low, high) == expected


def test_ticks_always_cover_the_range_with_few_round_ticks():
    chance = random.Random(14)
    for _ in range(3000):
        a, b = sorted(chance.uniform(-1, 1) * 10 ** chance.randint(-6, 6) for _ in range(2))
        ticks = linear_ticks(a, b)
        assert ticks[0] <= a and ticks[-1] >= b and 2 <= len(ticks) <= 9, (a, b, ticks)
        assert ticks == sorted(set(ticks))
        a, b = sorted(10 ** chance.uniform(-6, 6) for _ in range(2))
        a, b = min(a, 1.0), max(b, 1.0)  # a ratio axis always holds its null line
        ticks = log_ticks(a, b)
        assert ticks[0] <= a * (1 + 1e-9) and ticks[-1] >= b * (1 - 1e-9) and len(ticks) <= 9, (a, b, ticks)
        assert 1.0 in ticks
        assert all(f"{t:.0e}"[0] in "125" and float(f"{t:.0e}") == t for t in ticks), ticks


def spec(rows, ratio=False, null=0.0, **fields) -> PlotSpec:
    return PlotSpec(title="T", rows=tuple(Row("x", v, lo, hi, (str(v), str(lo), str(hi))) for v, lo, hi in rows),
                    ratio=ratio, null=null, axis_label="A", label_header="Study", value_header="MD (95% CI)",
                    confidence="95% CI", to_word="to", decimal_symbol=".", locale="en_GB", **fields)


def test_the_axis_holds_the_null_line_and_every_interval():
    axis = plot_axis(spec([(1.2, 0.4, 2.9), (2.0, 1.5, 2.5)]), 200)
    # The null line, 0, though every interval is above it; and some scale beyond it.
    assert axis.low < 0 and axis.high >= 2.9
    assert axis.labels[0] == "\u22120.5" and axis.labels[-1] == "3.0"
    axis = plot_axis(spec([(0.5, 0.31, 0.81)], ratio=True, null=1.0), 200)
    assert (axis.low, axis.high) == (0.2, 2.0) and axis.labels == ("0.2", "0.5", "1", "2")


def test_axis_limits_in_the_data_are_the_ends_of_the_axis():
    axis = plot_axis(spec([(2.4, 1.1, 5.25)], ratio=True, null=1.0, axis_max=4.0, printed_limits=(None, "4")), 200)
    assert (axis.low, axis.high) == (0.5, 4.0) and axis.labels == ("0.5", "1", "2", "4")


def test_tick_labels_never_overlap():
    axis = plot_axis(spec([(-555555.5, -999999.9, 999999.9)]), 120)
    widths = [text_width(label, 7.5) for label in axis.labels]
    span = axis.high - axis.low
    positions = [(t - axis.low) / span * 120 for t in axis.ticks]
    assert len(axis.ticks) >= 3
    assert all(positions[i] + widths[i] / 2 < positions[i + 1] - widths[i + 1] / 2 for i in range(len(widths) - 1))


# --- numbers and text --------------------------------------------------------------------

@pytest.mark.parametrize("written, decimals", [
    ("0.50", 2), ("3", 0), ("-2.14", 2), ("1.5e-3", 4), ("2.0E1", 0), ("+.5", 1), ("1_000.25", 2),
    ("nan", None), ("abc", None), (None, None),
])
def test_decimals_are_read_from_the_number_as_written(written, decimals):
    assert decimals_written(written) == decimals


def test_numbers_print_as_written_in_the_document_language():
    assert format_written(0.5, "0.50", "en_GB") == "0.50"
    assert format_written(0.5, "0.50", "es_ES") == "0,50"
    assert format_written(-2.1, "-2.10", "es_ES") == "\u22122,10"
    assert format_written(-0.0, "-0.0", "en_GB") == "0.0"
    assert format_written(1e-6, "1e-6", "en_GB") == "0.000001"


def test_text_is_measured_with_the_bundled_font():
    # Source Sans 3 Regular: digits are 497 units of 1000 wide, a space 200, the minus sign 497.
    assert text_width("0123456789", 10) == pytest.approx(49.7)
    assert text_width(" \u2212", 10) == pytest.approx(6.97)
    assert text_width("Study", 10, 600) > text_width("Study", 10)


def test_wrapping_breaks_between_words_and_inside_a_word_only_when_it_must():
    lines = wrap("30 days after treatment", 60, 8.5)
    assert len(lines) == 2 and " ".join(lines) == "30 days after treatment"
    assert all(text_width(line, 8.5) <= 60 for line in lines)
    assert all(text_width(line, 8.5) <= 30 for line in wrap("Supercalifragilistic", 30, 8.5))
    assert len(wrap("word " * 10_000, 50, 8.5, most=2)) == 3  # stops as soon as it is too long


# --- the plot in the PDF -----------------------------------------------------------------

OR_PLOT = """\
forest_plot:
  title: Response with the drug versus placebo
  cite: smith2020
  measure: OR
  favours_left: Favours placebo
  favours_right: Favours drug
  caption: Odds of response.
  estimates:
    - label: Week 4
      value: 2.40
      ci_low: 1.10
      ci_high: 5.25
    - label: Week 12, after the dose was raised for those without a response
      value: 0.50
      ci_low: 0.31
      ci_high: 0.81
"""


def evidence_with(plot: str) -> str:
    return EVIDENCE.split("forest_plot:")[0] + plot


def summary_text(project) -> str:
    return flat(pdf_text(project.root / "output" / "t" / "summary.en.pdf"))


def printed_lines(pdf) -> str:
    """The PDF's text line by line as printed (columns side by side), each run of spaces one space."""
    return "\n".join(" ".join(line.split()) for line in pdf_text(pdf, layout=True).splitlines() if line.strip())


@pytest.fixture
def topic(project):
    article = project.topic("t", body="Text [@smith2020] and [@jones2021].\n", url="https://example.org/t")
    add_data(article, cpd=None)
    return article.parent


def test_an_odds_ratio_plot_has_a_log_axis_headers_title_and_favours(project, topic):
    (topic / "evidence.yaml").write_text(evidence_with(OR_PLOT), encoding="utf-8")
    code, _, err = run("build", "--layout", "summary")
    assert code == 0, err
    lines = printed_lines(project.root / "output" / "t" / "summary.en.pdf")
    assert "\nResponse with the drug versus placebo\nStudy OR (95% CI)\n" in lines  # title, then column headings
    assert "\n0.2 0.5 1 2 5 10" in lines  # log ticks, from below every interval to above
    assert "\nOdds ratio (log scale)" in lines
    assert "\nFavours placebo Favours drug" in lines
    # Decimals as written: 2.40 and 0.50 keep their zeros.
    assert "\nWeek 4 2.40 (1.10 to 5.25)\n" in lines
    # A long label takes two lines, its numbers level with their middle.
    assert "\nWeek 12, after the dose was raised\n0.50 (0.31 to 0.81)\nfor those without a response\n" in lines


def test_a_plot_in_spanish_uses_its_words_and_the_decimal_comma(project):
    article = project.topic("t", body="Texto [@smith2020] y [@jones2021].\n", url="https://example.org/t",
                            language="es", audience_notice="Para profesionales.")
    add_data(article, evidence=evidence_with(OR_PLOT), cpd=None)
    code, _, err = run("build", "--layout", "summary")
    assert code == 0, err
    lines = printed_lines(project.root / "output" / "t" / "summary.es.pdf")
    assert "\nEstudio OR (IC 95%)\n" in lines
    assert "\n0,2 0,5 1 2 5 10" in lines
    assert "\nOdds ratio (escala logarítmica)" in lines
    assert "\nWeek 4 2,40 (1,10 a 5,25)\n" in lines and "\n0,50 (0,31 a 0,81)\n" in lines


def test_a_difference_defaults_from_a_measure_written_out(project, topic):
    # Older files name the measure in words; it still reads as a mean difference (MD, null line at 0).
    code, _, err = run("build", "--layout", "summary")
    assert code == 0, err
    lines = printed_lines(project.root / "output" / "t" / "summary.en.pdf")
    assert "\nStudy MD (95% CI)\nWeek 1 −1.25 (−1.9 to −0.6)\n" in lines
    assert "\n−2.0 −1.5 −1.0 −0.5 0.0" in lines and "\nMean difference in pain" in lines
    assert "log scale" not in lines


def svg_of(project) -> str:
    project_ = load_project(project.root)
    (target,) = plan(project_, [project.root / "content" / "t"], ["summary"])
    html = render_target(Session(project_, project_.output_dir), target).html
    uri = re.search(r'class="figure-drawing" src="data:image/svg\+xml;base64,([^"]+)"', html)
    return base64.b64decode(uri.group(1)).decode("utf-8")


def test_an_interval_beyond_the_axis_limits_is_cut_with_an_arrow(project, topic):
    plot = OR_PLOT.replace("  measure: OR\n", "  measure: OR\n  axis_min: 0.25\n  axis_max: 4\n")
    (topic / "evidence.yaml").write_text(evidence_with(plot), encoding="utf-8")
    code, _, err = run("build", "--layout", "summary")
    assert code == 0, err
    assert "\n0.25 0.5 1 2 4" in printed_lines(project.root / "output" / "t" / "summary.en.pdf")  # the ends: the limits
    svg = svg_of(project)
    # One arrowhead in the interval's colour: Week 4's interval runs on past 4 (the others point the favours).
    assert len(re.findall(r'<path [^>]*fill="currentColor"', svg)) == 1
    # Text only in the bundled families, and nothing the SVG's text would fall back to.
    families = {"&#39;Source Sans 3&#39;, &#39;Source Sans 3 Latin Ext&#39;"}
    assert set(re.findall(r'font-family="([^"]*)"', svg)) == families


def test_equal_values_and_wide_ranges_still_draw(project, topic):
    plot = evidence_with(OR_PLOT.replace("measure: OR", "measure: MD")
                         .replace("value: 2.40\n      ci_low: 1.10\n      ci_high: 5.25",
                                  "value: 0\n      ci_low: 0\n      ci_high: 0")
                         .replace("value: 0.50\n      ci_low: 0.31\n      ci_high: 0.81",
                                  "value: -250000\n      ci_low: -999999\n      ci_high: 999999"))
    (topic / "evidence.yaml").write_text(plot, encoding="utf-8")
    code, _, err = run("build", "--layout", "summary")
    assert code == 0, err
    lines = printed_lines(project.root / "output" / "t" / "summary.en.pdf")
    assert "\nWeek 4 0 (0 to 0)\n" in lines
    assert "0 (−999,999 to 999,999)\n" in lines and "−250,000 (" in lines


@pytest.mark.parametrize("change, expected", [
    (("value: 2.40", "value: .nan"),
     "content/t/evidence.yaml:18: error: 'forest_plot.estimates[1].value' must be a number, not 'not a number' "
     "(.nan): write the estimate's digits"),
    (("ci_high: 5.25", "ci_high: .inf"),
     "content/t/evidence.yaml:20: error: 'forest_plot.estimates[1].ci_high' must be a finite number, not infinity "
     "(.inf): write the estimate's digits"),
    (("ci_low: 1.10", "ci_low: yes"),
     "content/t/evidence.yaml:19: error: 'forest_plot.estimates[1].ci_low' must be a number, not a yes/no value"),
    (("value: 2.40", "value: two"),
     "content/t/evidence.yaml:18: error: 'forest_plot.estimates[1].value' must be a number, not 'two'"),
    (("ci_high: 5.25", "ci_high: 5e9"),
     "content/t/evidence.yaml:20: error: 'forest_plot.estimates[1].ci_high' is too large for a forest plot: its "
     "numbers lie between −1,000,000 and 1,000,000; give the estimates in a larger unit"),
    (("ci_low: 1.10\n      ci_high: 5.25", "ci_low: 5.25\n      ci_high: 1.10"),
     "content/t/evidence.yaml:17: error: 'forest_plot.estimates[1]' has ci_low 5.25 above ci_high 1.1: write the "
     "interval's lower limit as ci_low and its upper limit as ci_high"),
    (("ci_low: 1.10", "ci_low: 0"),
     "content/t/evidence.yaml:19: error: 'forest_plot.estimates[1].ci_low' is 0, but OR is a ratio, drawn on a log "
     "axis where only numbers above 0 have a place: check the number"),
    (("measure: OR", "measure: IRR\n  ratio: true"),  # a ratio the data declares: a negative number is wrong
     None),
    (("measure: OR", "measure: OR\n  ratio: false"),
     "content/t/evidence.yaml:13: error: 'forest_plot.ratio' says false, but OR is a ratio: remove 'ratio' (it is "
     "for measures other than MD, SMD, RD, RR, OR and HR)"),
    (("measure: OR", "measure: OR\n  axis_min: 2\n  axis_max: 1"),
     "content/t/evidence.yaml:13: error: 'forest_plot.axis_min' (2) must be less than 'forest_plot.axis_max' (1)"),
    (("measure: OR", "measure: OR\n  axis_min: 1.05"),
     ["content/t/evidence.yaml:13: error: 'forest_plot.axis_min' 1.05 leaves the null line (1) off the axis: a "
      "forest plot always shows it; lower the limit or remove it",
      "content/t/evidence.yaml:23: error: 'forest_plot.estimates[2].value' 0.50 is beyond 'forest_plot.axis_min' "
      "1.05: a limit may cut intervals short (drawn with an arrow), not estimates; lower the limit or remove it"]),
    (("measure: OR", "measure: OR\n  axis_max: 2.0"),
     "content/t/evidence.yaml:19: error: 'forest_plot.estimates[1].value' 2.40 is beyond 'forest_plot.axis_max' "
     "2.0: a limit may cut intervals short (drawn with an arrow), not estimates; raise the limit or remove it"),
    (("label: Week 4", "label: " + "Week four of the trial, " * 8),
     "content/t/evidence.yaml:17: error: 'forest_plot.estimates[1].label' is too long for the forest plot: two "
     "lines of about 31 characters fit beside it; shorten it"),
])
def test_data_the_plot_cannot_draw_is_an_error_at_its_line(project, topic, change, expected):
    evidence = evidence_with(OR_PLOT).replace(*change)
    if expected is None:
        evidence = evidence.replace("ci_low: 0.31", "ci_low: -0.31")
        expected = ("content/t/evidence.yaml:24: error: 'forest_plot.estimates[2].ci_low' is -0.31, but the measure "
                    "is a ratio, drawn on a log axis where only numbers above 0 have a place: check the number, or "
                    "write 'ratio: false' if the measure is a difference")
    (topic / "evidence.yaml").write_text(evidence, encoding="utf-8")
    code, _, err = run("build", "--layout", "summary")
    assert code == 1
    assert errors(err) == (expected if isinstance(expected, list) else [expected])
    assert not (project.root / "output" / "t" / "summary.en.pdf").exists()
