"""Benchmark: one `leafpress build` of many small documents vs one `weasyprint` process per document.

    python bench/bench_batch.py [N]        # N documents, default 40

Works on a temporary copy of the project with N generated topics, each a
short article (two pages: a table, a footnote, two references), so N targets.
Measured in the same run, all as whole processes, wall clock:

* `leafpress build --jobs 1`: one command builds all N, one at a time (the
  fair comparison with the sequential processes below);
* `leafpress build` with the default --jobs (the number of CPUs);
* one `weasyprint` command per document, one after another, on the HTML
  leafpress renders for it (written to files first, untimed), with the
  layout's stylesheets and the same PDF variant (PDF/UA-1) and base URL.

Goal: the batch at least 8x faster than the processes per document.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leafpress.source.document import load_document  # noqa: E402
from leafpress.layouts.registry import LAYOUTS  # noqa: E402
from leafpress.project.config import load_project  # noqa: E402
from leafpress.render.jinja import make_environment  # noqa: E402
from leafpress.render.html import render_html  # noqa: E402

from _common import (LEAFPRESS, machine, read_report, run, temporary_project, verdict,  # noqa: E402
                     weasyprint_command, write_small_topics)

LAYOUT = LAYOUTS["article"]


def leafpress_batch(root: Path, out: str, count: int, jobs: list[str]) -> float:
    seconds, _ = run(LEAFPRESS + ["build", "--layout", "article", "--profile", "screen", "--out", out,
                                  "--report", f"{out}.json"] + jobs, root)
    targets = read_report(root / f"{out}.json")
    assert len(targets) == count and all(t["status"] == "built" for t in targets), targets
    assert all(1 <= t["pages"] <= 2 for t in targets), [t["pages"] for t in targets]
    return seconds


def main(count: int) -> None:
    with temporary_project(topics=()) as root:
        topics = write_small_topics(root, count)
        project = load_project(root)
        env = make_environment(project.templates_dir)
        html_dir, pdf_dir = root / "html", root / "weasyprint"
        html_dir.mkdir()
        pdf_dir.mkdir()
        for topic in topics:
            source = root / "content" / topic / "article.md"
            (html_dir / f"{topic}.html").write_text(render_html(env, LAYOUT, load_document(source, topic), project),
                                                    encoding="utf-8")
        sheets = [arg for name in LAYOUT.stylesheets for arg in ("-s", str(project.styles_dir / name))]

        print(f"machine: {machine()}")
        print(f"{count} documents, layout article, screen profile (PDF/UA-1)")
        one_job = leafpress_batch(root, "jobs-1", count, ["--jobs", "1"])
        print(f"leafpress build --jobs 1:          {one_job:6.1f} s")
        default_jobs = leafpress_batch(root, "jobs-default", count, [])
        print(f"leafpress build (default --jobs):  {default_jobs:6.1f} s")
        per_document = 0.0
        for topic in topics:
            base_url = (root / "content" / topic).as_uri() + "/"
            seconds, _ = run(weasyprint_command() + [str(html_dir / f"{topic}.html"), str(pdf_dir / f"{topic}.pdf"),
                                                     "--pdf-variant", "pdf/ua-1", "-u", base_url] + sheets, root)
            per_document += seconds
        print(f"one weasyprint process per document: {per_document:6.1f} s "
              f"({per_document / count:.2f} s each)")
        for label, seconds in (("--jobs 1", one_job), ("default --jobs", default_jobs)):
            ratio = per_document / seconds
            print(f"ratio, leafpress build {label}: {ratio:.1f}x faster; {verdict(ratio >= 8, '>= 8x')}")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
