"""Benchmark: a 300-page article vs the sample article, time per page and peak memory.

    python bench/bench_scaling.py [REPEATS]      # default 99 copies of the sample's body: about 300 pages
    python bench/bench_scaling.py --smoke        # 2 copies: checks that it runs

Works on a temporary copy of the project. The long article is the sample
article's body (headings, paragraphs, citations, its table, its footnotes)
repeated REPEATS times, each copy under a part heading with its footnotes
renamed, so it has everything a long real article has; the page count is
checked and printed.

Each article is built by leafpress.build() in its own `python -c`
process, which reports the seconds of the build (imports excluded; the
document's own setup, such as loading its fonts, included) and its peak
resident memory (getrusage ru_maxrss of that process). The whole process's
wall clock is printed too.

Goal: time per page of the long article within 1.3x that of the sample.
Each document's fixed setup (its fonts alone take about half a second)
flatters the long article in that ratio, so a medium article (a tenth of the
copies) is built too, and the time each extra page costs is compared: from
the sample to the medium article and from the medium to the long one. If
that grows, layout time grows faster than the page count.
Then, for information, the long article is built once more with the
`leafpress build` command and its default limits (--timeout 120,
--memory 3072), to show whether they let it through on this machine.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from _common import LEAFPRESS, PYTHON, TOPIC, machine, read_report, run, temporary_project, verdict, workload

LONG = "long-article"
MEDIUM = "medium-article"
PAGES_WANTED = 300

BUILD_ONE = """
import json, resource, time
from pathlib import Path
from leafpress import build, load_project
root = Path.cwd()
project = load_project(root)
started = time.perf_counter()
results, _ = build(project, [root / "content" / {topic!r} / "article.md"], ["article"], out_dir=root / "out",
                   profile="screen")
seconds = time.perf_counter() - started
assert results[0].ok, [str(p) for p in results[0].problems]
print(json.dumps({{"seconds": seconds, "pages": results[0].pages,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def long_article(sample: str, repeats: int) -> str:
    """The sample's front matter, then its body ``repeats`` times, each a part with its own footnotes."""
    _, front, body = sample.split("---\n", 2)
    front = front.replace("title: Ketamine for chronic neuropathic pain",
                          "title: Ketamine for chronic neuropathic pain, the long edition", 1)
    parts = []
    for number in range(1, repeats + 1):
        # Footnote labels must be unique in a document; headings go one level down under the part.
        part = re.sub(r"\[\^([\w-]+)\]", lambda m, number=number: f"[^{m.group(1)}-{number}]", body)
        part = re.sub(r"^(#{2,5}) ", lambda m: "#" + m.group(1) + " ", part, flags=re.MULTILINE)
        part = part.replace("Table 1.", f"Table {number}.")
        parts.append(f"## Part {number}\n\n{part.strip()}\n")
    return f"---\n{front}---\n\n" + "\n".join(parts)


def build_in_child(root: Path, topic: str) -> tuple[float, dict]:
    wall, done = run([PYTHON, "-c", BUILD_ONE.format(topic=topic)], root)
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def per_extra_page(seconds: float, pages: int) -> str:
    return f"{seconds / pages:.3f} s" if pages > 0 else "n/a (no more pages)"


def main(repeats: int, smoke: bool = False) -> None:
    with temporary_project() as root:
        sample = (root / "content" / TOPIC / "article.md").read_text(encoding="utf-8")
        for name, copies in ((MEDIUM, max(1, repeats // 10)), (LONG, repeats)):
            folder = root / "content" / name
            folder.mkdir()
            (folder / "article.md").write_text(long_article(sample, copies), encoding="utf-8")
            (folder / "references.json").write_bytes((root / "content" / TOPIC / "references.json").read_bytes())

        print(f"machine: {machine()}")
        small_wall, small = build_in_child(root, TOPIC)
        _, medium = build_in_child(root, MEDIUM)
        long_wall, big = build_in_child(root, LONG)
        print(f"long article: {repeats} copies of the sample's body, {big['pages']} pages"
              + ("" if smoke or abs(big["pages"] - PAGES_WANTED) <= 30 else
                 f" (NOT about {PAGES_WANTED}: change REPEATS)"))
        for label, wall, result in (("sample article", small_wall, small), ("long article", long_wall, big)):
            print(f"{label:>14}: {result['pages']:4d} pages, build {result['seconds']:7.2f} s "
                  f"({result['seconds'] / result['pages']:.3f} s/page), whole process {wall:7.2f} s "
                  f"({wall / result['pages']:.3f} s/page), peak RSS {result['peak_mb']:.0f} MB")
        ratio = (big["seconds"] / big["pages"]) / (small["seconds"] / small["pages"])
        whole = (long_wall / big["pages"]) / (small_wall / small["pages"])
        print(f"time per page, long / sample: {ratio:.2f}x (build), {whole:.2f}x (whole process); "
              f"{verdict(ratio <= 1.3, 'within 1.3x')}")
        first_pages, then_pages = medium["pages"] - small["pages"], big["pages"] - medium["pages"]
        first, then = medium["seconds"] - small["seconds"], big["seconds"] - medium["seconds"]
        growth = (f" ({(then / then_pages) / (first / first_pages):.2f}x)"
                  if first_pages > 0 and then_pages > 0 and first > 0 else "")
        print(f"each extra page: {per_extra_page(first, first_pages)} from {small['pages']} to {medium['pages']} "
              f"pages, {per_extra_page(then, then_pages)} from {medium['pages']} to {big['pages']} pages{growth}")
        extra_mb = (f", {(big['peak_mb'] - small['peak_mb']) / (big['pages'] - small['pages']):.2f} MB per extra page"
                    if big["pages"] > small["pages"] else "")
        print(f"peak memory, long / sample: {big['peak_mb'] / small['peak_mb']:.1f}x "
              f"({big['peak_mb']:.0f} MB vs {small['peak_mb']:.0f} MB{extra_mb})")

        cli, _ = run(LEAFPRESS + ["build", f"content/{LONG}", "--layout", "article", "--jobs", "1", "--out",
                                  "cli", "--report", "cli.json"], root, check=False)
        [target] = read_report(root / "cli.json")
        problems = "; ".join(p["message"] for p in target["problems"] if p["level"] == "error")
        print(f"for information, `leafpress build` with its default limits: {target['status']} in {cli:.1f} s"
              + (f" ({problems})" if problems else ""))
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    args = workload(__doc__, ("repeats", 99, 2, "copies of the sample article's body in the long article"))
    main(args.repeats, args.smoke)
