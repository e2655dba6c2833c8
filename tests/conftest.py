"""Shared fixtures: the real sample article PDF, and small throwaway projects."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from leafpress import Document, build, load_document, load_project

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent

# Builds and checks warn about review dates as of this day, not the clock's, so what the tests
# expect does not change with the date (the fixtures' review date, 2027-01-15, is far from it).
os.environ.setdefault("LEAFPRESS_TODAY", "2026-02-01")
SAMPLE_TOPIC = "ketamine-neuropathic-pain"


def pdf_text(path: Path, page: int | None = None, layout: bool = False) -> str:
    """Text of a PDF (or one page of it) in reading order, as pdftotext gives it.

    ``layout=True`` keeps printed lines as they are, hyphens at line ends included.
    """
    options = ["-f", str(page), "-l", str(page)] if page else []
    if layout:
        options.append("-layout")
    return subprocess.run(["pdftotext", *options, str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The sample topic built once, exactly as `make build` builds it."""
    out = tmp_path_factory.mktemp("output")
    results, project_problems = build(load_project(ROOT), [ROOT / "content" / SAMPLE_TOPIC], out_dir=out)
    return results, project_problems


@pytest.fixture(scope="session")
def article_pdf(sample_build) -> Path:
    results, _ = sample_build
    (article,) = [r for r in results if r.target.layout.name == "article"]
    assert article.ok, [str(p) for p in article.problems]
    return article.output


FRONT_MATTER = {
    "title": "Test topic",
    "short_title": "Test",
    "language": "en",
    "audience": "professionals",
    "audience_notice": "For healthcare professionals.",
    "summary": "A small test article.",
    "authors": "[{name: Ana Test}]",
    "reviewers": "[{name: Test Clinic}]",
    "publisher": "Test Clinic",
    "version": '"1.0"',
    "published": "2026-01-15",
    "review_date": "2027-01-15",
}

REFERENCES = """[
  {
    "id": "smith2020",
    "type": "article-journal",
    "title": "A trial of something",
    "container-title-short": "J Test",
    "volume": "10",
    "issue": "2",
    "page": "100-109",
    "issued": {"date-parts": [[2020]]},
    "DOI": "10.1000/test.1",
    "author": [{"family": "Smith", "given": "A. B."}]
  },
  {
    "id": "jones2021",
    "type": "article-journal",
    "title": "Another trial",
    "container-title-short": "J Test",
    "volume": "11",
    "page": "5-9",
    "issued": {"date-parts": [[2021, 3]]},
    "PMID": "12345678",
    "author": [{"family": "Jones", "given": "C."}]
  }
]
"""


class TestProject:
    """A minimal project in a temporary folder, with the real templates and styles."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copy(ROOT / "leafpress.yaml", root / "leafpress.yaml")
        shutil.copytree(ROOT / "templates", root / "templates")
        shutil.copytree(ROOT / "styles", root / "styles")
        (root / "content").mkdir()

    def topic(self, name: str = "topic", body: str = "Some text [@smith2020].\n",
              references: str | None = REFERENCES, front_matter: str | None = None, **fields: str) -> Path:
        folder = self.root / "content" / name
        folder.mkdir(parents=True, exist_ok=True)
        if front_matter is None:
            values = {**FRONT_MATTER, **fields}
            front_matter = "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None)
        (folder / "article.md").write_text(f"---\n{front_matter}---\n\n{textwrap.dedent(body)}", encoding="utf-8")
        if references is not None:
            (folder / "references.json").write_text(references, encoding="utf-8")
        return folder / "article.md"

    __test__ = False  # not a test class, despite the name


@pytest.fixture
def project(tmp_path, monkeypatch) -> TestProject:
    monkeypatch.chdir(tmp_path)
    return TestProject(tmp_path)


@pytest.fixture(scope="session")
def summary_pdf(sample_build) -> Path:
    return _sample_output(sample_build, "summary")


@pytest.fixture(scope="session")
def cpd_pdf(sample_build) -> Path:
    return _sample_output(sample_build, "cpd")


def _sample_output(sample_build, layout: str) -> Path:
    results, _ = sample_build
    (result,) = [r for r in results if r.target.layout.name == layout]
    assert result.ok, [str(p) for p in result.problems]
    return result.output


EVIDENCE = """\
studies:
  - study: Smith et al., 2020
    cite: smith2020
    design: Randomised trial
    participants: "40"
    population: Adults with pain
    intervention: Drug vs placebo
    result: Pain lower [@jones2021]
forest_plot:
  title: Drug versus placebo
  cite: smith2020
  measure: Mean difference in pain
  caption: Pooled estimates.
  estimates:
    - label: Week 1
      value: -1.25
      ci_low: -1.9
      ci_high: -0.6
"""

SUMMARY = """\
max_pages: 1
key_points:
  - The drug lowers pain for a while [@smith2020].
safety:
  - Watch for side effects [@jones2021].
"""

QUESTION = """\
  - question: Question {n}?
    options: [Alpha, Beta, Gamma, Delta]
    answer: {answer}
    explanation: Because the trial said so.
    cite: {cite}
"""

CPD = """\
audience: Clinicians
duration_minutes: 90
objectives:
  - Describe the trial [@smith2020].
accreditation:
  status: accredited
  credits: 1.5
  body: Test Accreditation Council
  statement: This activity is accredited by the Test Accreditation Council.
faculty:
  - name: Dr Ana Test
    role: Lecturer
    conflicts: None declared
reflection:
  - How would you use this?
questions:
""" + "".join(QUESTION.format(n=n, answer="Gamma", cite="smith2020") for n in range(1, 7)) + """\
session:
  dates: [2027-03-10]
  place: Test Clinic
signatory:
  name: Dr Ana Test
  post: Medical director
"""


def add_data(topic_article: Path, evidence: str = EVIDENCE, summary: str = SUMMARY, cpd: str | None = CPD) -> None:
    """Write the data files of the summary and CPD layouts beside an article."""
    folder = topic_article.parent
    (folder / "evidence.yaml").write_text(evidence, encoding="utf-8")
    (folder / "summary.yaml").write_text(summary, encoding="utf-8")
    if cpd is not None:
        (folder / "cpd.yaml").write_text(cpd, encoding="utf-8")


def text_sizes(path: Path) -> dict[float, int]:
    """Effective point size of every text run in a PDF (Tf size x CTM scale), with counts.

    Forms and nested transforms are followed through q/Q and cm, which is how
    WeasyPrint writes pages (a 0.75 px-to-pt matrix, then sizes in px).
    """
    import pikepdf

    sizes: dict[float, int] = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            stack, scale, size = [], 1.0, 0.0
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "q":
                    stack.append(scale)
                elif op == "Q":
                    scale = stack.pop() if stack else 1.0
                elif op == "cm":
                    a, b, c, d = (float(v) for v in operands[:4])
                    scale *= abs(a * d - b * c) ** 0.5
                elif op == "Tf":
                    size = float(operands[1])
                elif op in ("Tj", "TJ", "'", '"'):
                    points = round(size * scale, 1)
                    sizes[points] = sizes.get(points, 0) + 1
    return sizes


# --- glyph checks (the PDF shows each character with the font's own glyph) --------

def glyphs_shown(page) -> dict[str, set[int]]:
    """Glyph ids each font shows in a page's content (two bytes each: Identity-H)."""
    import pikepdf

    shown: dict[str, set[int]] = {}
    font = None
    for operands, operator in pikepdf.parse_content_stream(page, "Tf Tj TJ"):
        if str(operator) == "Tf":
            font = str(operands[0])
            continue
        items = operands[0] if str(operator) == "TJ" else operands
        for item in items:
            if isinstance(item, pikepdf.String):
                data = bytes(item)
                shown.setdefault(font, set()).update(int.from_bytes(data[i:i + 2], "big")
                                                     for i in range(0, len(data), 2))
    return shown


def notdef_drawn(program: TTFont, gids: set[int]) -> bool:
    """Whether a font draws .notdef: glyph 0, or, as WeasyPrint 70 writes a missing glyph, an id past its last."""
    return any(gid == 0 or gid >= program["maxp"].numGlyphs for gid in gids)


def to_unicode(font) -> dict[int, str]:
    """Glyph id -> text, from the font's ToUnicode CMap (its bfchar entries)."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    return {int(g, 16): bytes.fromhex(u).decode("utf-16-be")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S)
            for g, u in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]*)>", block)}


def run(*args: str) -> tuple[int, str, str]:
    """`leafpress ARGS` in this process: exit code, stdout, stderr; bad input must never give a traceback."""
    from click.testing import CliRunner

    from leafpress.commands.cli import main

    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output + result.stderr
    assert not isinstance(result.exception, Exception), result.exception  # SystemExit is not an Exception
    return result.exit_code, result.stdout, result.stderr


def errors(stderr: str) -> list[str]:
    """The error lines of a command's stderr."""
    return [line for line in stderr.splitlines() if ": error: " in line]


def outside_allowlist(html: str) -> list[str]:
    """What in ``html`` the sanitiser's allowlist does not allow: tags, attributes, link schemes."""
    from html.parser import HTMLParser

    from leafpress.source.markup import ALLOWED_TAGS, ATTRIBUTES

    found: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in ALLOWED_TAGS:
                found.append(f"<{tag}>")
            for name, value in attrs:
                if name not in ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set()):
                    found.append(f"<{tag} {name}>")
                elif name == "href" and not re.match(r"#|(https?|mailto|tel):", value or "", re.I):
                    found.append(f"<{tag} href={value!r}>")

    parser = Tags()
    parser.feed(html)
    parser.close()
    return found


def loaded(path: Path) -> Document:
    """The document at ``path``, loaded; the test fails with its problems if it does not load."""
    document = load_document(path)
    assert isinstance(document, Document), [str(p) for p in document]
    return document


def errors_of(result: object) -> list[str]:
    """The errors of a load that had to fail."""
    assert isinstance(result, list), "expected the load to fail with problems"
    return [str(p) for p in result if p.is_error]
