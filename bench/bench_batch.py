"""Benchmark: one `leafpress build` of many small documents vs one `weasyprint` process per document.

    python bench/bench_batch.py [N]        # N documents, default 40
    python bench/bench_batch.py --smoke    # 2 documents: checks that it runs

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

from pathlib import Path

from _common import (
    LEAFPRESS,
    machine,
    read_report,
    run,
    temporary_project,
    verdict,
    weasyprint_command,
    weasyprint_inputs,
    workload,
    write_small_topics,
)
from leafpress import load_project


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
        html_dir, pdf_dir = root / "html", root / "weasyprint"
        html_dir.mkdir()
        pdf_dir.mkdir()
        arguments = {}
        for topic in topics:
            given = weasyprint_inputs(project, root / "content" / topic / "article.md", "article")
            (html_dir / f"{topic}.html").write_text(given.html, encoding="utf-8")
            sheets = list(given.stylesheets)
            if given.extra_css:
                sheets.append(html_dir / f"{topic}.css")
                sheets[-1].write_text(given.extra_css, encoding="utf-8")
            arguments[topic] = ["-u", given.base_url] + [arg for sheet in sheets for arg in ("-s", str(sheet))]

        print(f"machine: {machine()}")
        print(f"{count} documents, layout article, screen profile (PDF/UA-1)")
        one_job = leafpress_batch(root, "jobs-1", count, ["--jobs", "1"])
        print(f"leafpress build --jobs 1:          {one_job:6.1f} s")
        default_jobs = leafpress_batch(root, "jobs-default", count, [])
        print(f"leafpress build (default --jobs):  {default_jobs:6.1f} s")
        per_document = 0.0
        for topic in topics:
            seconds, _ = run(weasyprint_command() + [str(html_dir / f"{topic}.html"), str(pdf_dir / f"{topic}.pdf"),
                                                     "--pdf-variant", "pdf/ua-1"] + arguments[topic], root)
            per_document += seconds
        print(f"one weasyprint process per document: {per_document:6.1f} s "
              f"({per_document / count:.2f} s each)")
        for label, seconds in (("--jobs 1", one_job), ("default --jobs", default_jobs)):
            ratio = per_document / seconds
            print(f"ratio, leafpress build {label}: {ratio:.1f}x faster; {verdict(ratio >= 8, '>= 8x')}")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    main(workload(__doc__, ("count", 40, 2, "documents")).count)
