"""Benchmark: the preflight's cost per page, against the build of the same PDFs.

    python bench/bench_preflight.py [RUNS]      # default 5 timings of each PDF's preflight
    python bench/bench_preflight.py --smoke     # 1: checks that it runs

Works on a temporary copy of the project. Builds the sample topic (9
targets, screen profile) once untimed and RUNS times timed with
leafpress.build() in this process; each timed build includes the
preflight of every PDF it writes. Then times the preflight alone, RUNS
times on each written PDF with the rules its layout uses, and prints for
each PDF the median milliseconds per page and, for all of them, the
preflight's share of the build (goal: under 5%).

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import pikepdf

from _common import TOPIC, machine, median, preflight_function, temporary_project, timed, verdict, workload
from leafpress import build, load_project
from leafpress.pipeline import preflight_rules


def main(runs: int) -> None:
    preflight = preflight_function()
    with temporary_project() as root:
        project = load_project(root)
        topic = root / "content" / TOPIC
        out = root / "bench-output"

        def build_all() -> list:
            results, _ = build(project, [topic], out_dir=out)
            assert all(r.ok for r in results), [str(p) for r in results for p in r.problems]
            return results

        print(f"machine: {machine()}")
        results = build_all()  # untimed: imports, parsed stylesheets
        builds = [timed(build_all) for _ in range(runs)]
        total_pages = 0
        total_preflight = 0.0
        print(f"{'PDF':<36} {'pages':>5} {'ms':>7} {'ms/page':>8}")
        for result in results:
            data = result.output.read_bytes()
            with pikepdf.open(result.output) as pdf:
                pages = len(pdf.pages)
            layout = result.target.layout
            rules = preflight_rules(layout, imposed=layout.finishing.impose is not None)  # as the build's
            preflight(data, rules)  # untimed: the first call loads PDFium's fonts
            seconds = median([timed(lambda data=data, rules=rules: preflight(data, rules)) for _ in range(runs)])
            total_pages += pages
            total_preflight += seconds
            print(f"{result.output.name:<36} {pages:>5} {seconds * 1000:>7.1f} {seconds * 1000 / pages:>8.2f}")
        build_seconds = median(builds)
        share = total_preflight / build_seconds
        print(f"all {len(results)} PDFs: {total_pages} pages, preflight {total_preflight * 1000:.0f} ms "
              f"({total_preflight * 1000 / total_pages:.2f} ms/page); the build in this process "
              f"{build_seconds:.2f} s ({build_seconds * 1000 / total_pages:.0f} ms/page), preflight included")
        print(f"preflight / build: {100 * share:.1f}% (ratio {share:.3f}); {verdict(share < 0.05, 'under 5%')}")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    args = workload(__doc__, ("runs", 5, 1, "timings of each side"))
    main(args.runs)
