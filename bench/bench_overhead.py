"""Benchmark: leafpress's overhead over WeasyPrint alone, for the sample article.

    python bench/bench_overhead.py [WARM_RUNS] [COLD_RUNS]     # defaults 9 and 7
    python bench/bench_overhead.py --smoke                     # one of each: checks that it runs

Works on a temporary copy of the project. Both sides make the sample article
(layout article, screen profile, so PDF/UA-1) from the same HTML, the same
stylesheets and the same options, measured in the same run:

* leafpress: leafpress.build() on the article: loading the Markdown
  and references, rendering the template, typesetting, the checks on the PDF
  (qpdf syntax, fonts, tags) and the atomic write;
* WeasyPrint alone: HTML(string=...).write_pdf(pdf_variant='pdf/ua-1') on the
  HTML leafpress renders for the same document, with the layout's stylesheets
  (and any page rules leafpress adds to them: _common.weasyprint_inputs) loaded
  through one FontConfiguration.

Warm: in one process, each side N times, alternating, after one untimed run
of each; the median is compared (goal: at most 5% more). leafpress keeps a
layout's parsed stylesheets and fonts between documents, so WeasyPrint alone
is timed twice: parsing the stylesheets for each document (what a plain
script does) and parsing them once (WeasyPrint at its best; the difference
is then leafpress's own work: Markdown, citations, Jinja, the PDF checks).
Cold: whole processes, `python -c` that builds the article with leafpress
versus `python -c` that renders the saved HTML with WeasyPrint, alternating;
the median of several runs is compared (goal: at most 10% more). For
information it also times the `leafpress build` command, which starts a
forkserver that imports WeasyPrint before the target's own process.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from _common import (
    LEAFPRESS,
    PYTHON,
    TOPIC,
    machine,
    median,
    run,
    spread,
    temporary_project,
    timed,
    verdict,
    weasyprint_inputs,
    workload,
)
from leafpress import build, load_project

VARIANT = "pdf/ua-1"  # the screen profile's

# The two cold processes. Each does only its own side's work: imports, then one PDF.
COLD_LEAFPRESS = """
from pathlib import Path
from leafpress import build, load_project
root = Path.cwd()
results, _ = build(load_project(root), [root / "content" / {topic!r} / "article.md"], ["article"],
                   out_dir=root / "cold-leafpress", profile="screen")
assert results[0].ok, results[0].problems
"""
COLD_WEASYPRINT = """
from pathlib import Path
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
root = Path.cwd()
fonts = FontConfiguration()
css = [CSS(filename=sheet, font_config=fonts) for sheet in {sheets!r}]
css += [CSS(string={extra!r}, font_config=fonts)] if {extra!r} else []
html = (root / "article.html").read_text(encoding="utf-8")
HTML(string=html, base_url={base_url!r}).write_pdf(
    root / "cold-weasyprint.pdf", stylesheets=css, font_config=fonts, pdf_variant={variant!r})
"""


def pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def main(warm_runs: int, cold_runs: int) -> None:
    with temporary_project() as root:
        project = load_project(root)
        source = root / "content" / TOPIC / "article.md"
        given = weasyprint_inputs(project, source, "article")
        html, base_url, sheets, extra = given.html, given.base_url, [str(s) for s in given.stylesheets], given.extra_css
        (root / "article.html").write_text(html, encoding="utf-8")

        def stylesheets(fonts: FontConfiguration) -> list[CSS]:
            css = [CSS(filename=sheet, font_config=fonts) for sheet in sheets]
            return css + ([CSS(string=extra, font_config=fonts)] if extra else [])

        def leafpress_once() -> Path:
            results, _ = build(project, [source], ["article"], out_dir=root / "warm-leafpress", profile="screen")
            assert results[0].ok, results[0].problems
            return results[0].output

        def weasyprint_once() -> None:
            fonts = FontConfiguration()
            css = stylesheets(fonts)
            HTML(string=html, base_url=base_url).write_pdf(root / "warm-weasyprint.pdf", stylesheets=css,
                                                           font_config=fonts, pdf_variant=VARIANT)

        # WeasyPrint at its best: the stylesheets parsed and their fonts loaded
        # once, as leafpress keeps them in a process (typeset.parsed_styles).
        shared_fonts = FontConfiguration()
        shared_css = stylesheets(shared_fonts)

        def weasyprint_parsed_once() -> None:
            HTML(string=html, base_url=base_url).write_pdf(root / "warm-weasyprint-2.pdf", stylesheets=shared_css,
                                                           font_config=shared_fonts, pdf_variant=VARIANT)

        print(f"machine: {machine()}")
        # Untimed: imports done, caches as in a long-running process.
        ours = leafpress_once()
        weasyprint_once(), weasyprint_parsed_once()
        print(f"sample article: leafpress {pages(ours)} pages, WeasyPrint alone "
              f"{pages(root / 'warm-weasyprint.pdf')} pages")
        warm_ours, warm_theirs, warm_best = [], [], []
        for _ in range(warm_runs):
            warm_ours.append(timed(leafpress_once))
            warm_theirs.append(timed(weasyprint_once))
            warm_best.append(timed(weasyprint_parsed_once))
        print(f"warm, leafpress:                                 {spread(warm_ours)}")
        print(f"warm, WeasyPrint alone, stylesheets parsed each time: {spread(warm_theirs)}")
        print(f"warm, WeasyPrint alone, stylesheets parsed once:      {spread(warm_best)}")
        for label, theirs in (("parsed each time", warm_theirs), ("parsed once", warm_best)):
            warm = median(warm_ours) / median(theirs)
            print(f"warm overhead over WeasyPrint with stylesheets {label}: {100 * (warm - 1):+.1f}% "
                  f"(ratio {warm:.3f}); {verdict(warm <= 1.05, '<= 5%')}")

        ours_code = COLD_LEAFPRESS.format(topic=TOPIC)
        theirs_code = COLD_WEASYPRINT.format(sheets=sheets, extra=extra, base_url=base_url, variant=VARIANT)
        command_line = LEAFPRESS + ["build", f"content/{TOPIC}", "--layout", "article", "--profile", "screen",
                                    "--jobs", "1", "--force", "--out", "cold-cli"]
        cold_ours, cold_theirs, cold_cli = [], [], []
        run([PYTHON, "-c", ours_code], root), run([PYTHON, "-c", theirs_code], root)  # untimed: disk caches
        for _ in range(cold_runs):
            cold_ours.append(run([PYTHON, "-c", ours_code], root)[0])
            cold_theirs.append(run([PYTHON, "-c", theirs_code], root)[0])
            cold_cli.append(run(command_line, root)[0])
        cold = median(cold_ours) / median(cold_theirs)
        cli = median(cold_cli) / median(cold_theirs)
        print(f"cold, python -c leafpress build():  {spread(cold_ours)}")
        print(f"cold, python -c WeasyPrint alone:   {spread(cold_theirs)}")
        print(f"cold overhead: {100 * (cold - 1):+.1f}% (ratio {cold:.3f}); {verdict(cold <= 1.10, '<= 10%')}")
        print(f"for information, cold `leafpress build --jobs 1 --force` (CLI, forkserver): {spread(cold_cli)}, "
              f"{100 * (cli - 1):+.1f}% over WeasyPrint alone")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    args = workload(__doc__, ("warm_runs", 9, 1, "in-process runs of each side"),
                    ("cold_runs", 7, 1, "whole processes of each side"))
    main(args.warm_runs, args.cold_runs)
