"""leafpress as a clinic installs it: a project folder of its own, outside this repository.

The project that `leafpress init` writes has no templates/ or styles/: they
come from leafpress's theme, which a project overrides file by file. (`make
test-wheel` runs the same steps from the built wheel, in a fresh venv.)
"""

from __future__ import annotations

import http.client
import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

import leafpress
from conftest import ROOT, pdf_text
from leafpress.errors import LeafpressError
from leafpress.project.config import load_project
from leafpress.project.theme import find_theme
from leafpress.typeset.engine import FetchRefused, ProjectFetcher

TOPIC = "about-these-leaflets"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's leafpress, whatever is installed

TEMPLATE = """\
{% extends "base.html.j2" %}
{% block content %}
<p class="project-marker">Printed from this project's own article template.</p>
<main class="body">
{{ body }}
</main>
{% include "partials/bibliography.html.j2" %}
{% endblock %}
"""

# Appended to a copy of the theme's base.css: a font loaded by a URL relative
# to the project's styles/, where there is no fonts/ folder (the theme has it).
STYLESHEET = """
@font-face {
  font-family: "Project Face";
  src: url(fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-400-normal.ttf) format('truetype');
}
.project-marker { font-family: "Project Face"; color: #ff00ff; }
"""


def leafpress_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m leafpress ARGS` in ``cwd``, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "leafpress", *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=600)


def init(folder: Path, name: str = "clinic") -> Path:
    done = leafpress_cli("init", name, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / name


def bundled_families() -> set[str]:
    """The families the theme's @font-face rules declare, as PDF font names write them (hyphens for spaces)."""
    css = "".join(path.read_text(encoding="utf-8") for path in find_theme().fonts_dir.glob("*.css"))
    return {family.replace(" ", "-") for family in re.findall(r"font-family:\s*['\"]([^'\"]+)['\"]", css)}


def pdf_fonts(path: Path) -> list[tuple[str, bool]]:
    """(name without the subset prefix, embedded) for each font pdffonts lists."""
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    emb = lines[0].index("emb")
    return [(line[:lines[1].index(" ")].strip().split("+", 1)[-1], line[emb:emb + 3] == "yes") for line in lines[2:]]


def fill_colours(path: Path) -> set[tuple[float, ...]]:
    """Every RGB fill colour the pages' content sets (the rg operator)."""
    colours = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for operands, _ in pikepdf.parse_content_stream(page, "rg"):
                colours.add(tuple(round(float(value), 3) for value in operands))
    return colours


def embedded_programs(path: Path) -> set[str]:
    """The PostScript names inside the font programs a PDF embeds."""
    names = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                for leaf in font.get("/DescendantFonts") or [font]:
                    program = leaf.FontDescriptor.get("/FontFile2")
                    if program is not None:
                        with TTFont(io.BytesIO(program.read_bytes()), lazy=True) as embedded:
                            names.add(str(embedded["name"].getDebugName(6)))
    return names


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """`leafpress init clinic`, then `leafpress build` inside it, in a folder outside this repository."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert not folder.resolve().is_relative_to(ROOT)
    root = init(folder)
    done = leafpress_cli("build", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_init_writes_a_project_without_copying_the_theme(clinic):
    files = sorted(str(path.relative_to(clinic)) for path in clinic.rglob("*")
                   if path.is_file() and "output" not in path.parts)
    assert files == [".gitignore", f"content/{TOPIC}/article.md", f"content/{TOPIC}/patient.en.md",
                     f"content/{TOPIC}/patient.es.md", f"content/{TOPIC}/references.json", "leafpress.yaml"]
    config = (clinic / "leafpress.yaml").read_text(encoding="utf-8")
    assert "FILL IN" in config and "YOUR CLINIC NAME" in config
    assert (clinic / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "output/"
    project = load_project(clinic)
    assert project.config.languages == ["en", "es"]
    assert project.template_dirs == (find_theme().templates_dir,)
    assert project.stylesheet("base.css") == find_theme().styles_dir / "base.css"


def test_the_project_builds_every_pdf_with_bundled_fonts_only(clinic):
    pdfs = sorted(path.name for path in (clinic / "output" / TOPIC).glob("*.pdf"))
    assert pdfs == ["article.en.pdf", *(f"patient{variant}.{language}.pdf"
                                        for variant in ("-booklet", "-large-print", "") for language in ("en", "es"))]
    families = bundled_families()
    for name in pdfs:
        fonts = pdf_fonts(clinic / "output" / TOPIC / name)
        assert fonts, name
        for font, embedded in fonts:
            assert embedded, (name, font)
            assert any(font.startswith(family) for family in families), (name, font)
    article_text = " ".join(pdf_text(clinic / "output" / TOPIC / "article.en.pdf").split())
    assert "How this clinic's leaflets are made" in article_text
    assert "Sobre estos folletos" in pdf_text(clinic / "output" / TOPIC / "patient.es.pdf")
    # The tool's own check of every PDF: fonts embedded and bundled (by the names inside their programs).
    checked = leafpress_cli("check", "--pdf", *(f"output/{TOPIC}/{name}" for name in pdfs), cwd=clinic)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_print_profile_uses_the_themes_icc_profile(clinic, tmp_path):
    project = load_project(clinic)
    assert project.icc_profile == find_theme().styles_dir / "icc" / "FOGRA39L-coated.icc"
    done = leafpress_cli("build", "--profile", "print", "--layout", "article", "--out", str(tmp_path), cwd=clinic)
    assert done.returncode == 0, done.stdout + done.stderr
    with pikepdf.open(tmp_path / TOPIC / "article.en.print.pdf") as pdf:
        assert len(pdf.Root.OutputIntents) == 1


def test_an_icc_profile_found_nowhere_is_an_error_at_its_line(tmp_path):
    root = init(tmp_path)
    config = root / "leafpress.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("styles/icc/FOGRA39L-coated.icc", "styles/icc/press.icc"), encoding="utf-8")
    line = next(n for n, row in enumerate(config.read_text().splitlines(), 1) if "press.icc" in row)
    with pytest.raises(LeafpressError) as raised:
        load_project(root)
    (problem,) = raised.value.problems
    assert (problem.path, problem.line) == (config, line)
    assert problem.message.startswith("print.icc_profile 'styles/icc/press.icc' is not a file inside styles/")
    (root / "styles" / "icc").mkdir(parents=True)
    (root / "styles" / "icc" / "press.icc").write_bytes((find_theme().styles_dir / "icc" / "FOGRA39L-coated.icc")
                                                          .read_bytes())
    assert load_project(root).icc_profile == root / "styles" / "icc" / "press.icc"


def test_init_refuses_a_folder_that_is_already_a_project(clinic):
    before = (clinic / "leafpress.yaml").read_bytes()
    done = leafpress_cli("init", ".", cwd=clinic)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "leafpress.yaml: error: already exists: this folder is a leafpress " \
                                          "project; run 'leafpress new TOPIC' inside it to add a topic"
    assert "Traceback" not in done.stderr
    assert (clinic / "leafpress.yaml").read_bytes() == before


def test_a_project_overrides_one_template_and_one_stylesheet(tmp_path):
    root = init(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "article.html.j2").write_text(TEMPLATE, encoding="utf-8")
    (root / "styles").mkdir()
    theme_css = (find_theme().styles_dir / "base.css").read_text(encoding="utf-8")
    (root / "styles" / "base.css").write_text(theme_css + STYLESHEET, encoding="utf-8")
    done = leafpress_cli("build", "--layout", "article", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    pdf = root / "output" / TOPIC / "article.en.pdf"
    text = pdf_text(pdf)
    assert "Printed from this project's own article template." in text  # the project's template...
    assert "Document control" not in text  # ...instead of the theme's, which has this box
    assert "EXAMPLE ENTRY" in text  # a partial it includes still comes from the theme
    assert (1.0, 0.0, 1.0) in fill_colours(pdf)  # the project's base.css: #ff00ff
    # Its url(fonts/...) found the theme's font, though the project has no styles/fonts/.
    assert ("Project-Face", True) in pdf_fonts(pdf)
    assert "AtkinsonHyperlegible-Regular" in embedded_programs(pdf)


def test_an_override_added_after_a_build_rebuilds_what_uses_it(tmp_path):
    root = init(tmp_path)
    done = leafpress_cli("build", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert leafpress_cli("list", cwd=root).stdout.splitlines()[-1] == "7 targets, 0 to build."
    theme = find_theme()
    # A partial the article's template includes (the patient leaflets do not).
    (root / "templates" / "partials").mkdir(parents=True)
    (root / "templates" / "partials" / "bibliography.html.j2").write_text(
        (theme.templates_dir / "partials" / "bibliography.html.j2").read_text(encoding="utf-8") + "{# ours #}\n",
        encoding="utf-8")
    listed = leafpress_cli("list", cwd=root).stdout
    assert re.search(rf"^{TOPIC}/article +needs building$", listed, re.M), listed
    assert listed.splitlines()[-1] == "7 targets, 1 to build."
    (root / "styles").mkdir()
    (root / "styles" / "patient.css").write_text(
        (theme.styles_dir / "patient.css").read_text(encoding="utf-8") + "\n/* ours */\n", encoding="utf-8")
    assert leafpress_cli("list", cwd=root).stdout.splitlines()[-1] == "7 targets, 7 to build."


# --- the fetcher: the project's files and the theme's, nothing else ------------------

@pytest.fixture
def overriding(tmp_path) -> tuple[Path, ProjectFetcher]:
    """A project with its own styles/base.css, and a stylesheet fetcher as a build makes one."""
    root = init(tmp_path)
    (root / "styles").mkdir()
    (root / "styles" / "base.css").write_text("p { color: red; }\n", encoding="utf-8")
    (root / "secret.txt").write_text("not for leaflets\n", encoding="utf-8")
    project = load_project(root)
    return root, ProjectFetcher(project.style_roots, project.theme_fallbacks)


def refusal(fetcher: ProjectFetcher, url: str) -> str:
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    return str(fetcher.refused[-1])


def test_the_fetcher_serves_the_projects_file_and_else_the_themes(overriding):
    root, fetcher = overriding
    theme = find_theme()
    own = fetcher.fetch((root / "styles" / "base.css").as_uri())
    assert own.read() == b"p { color: red; }\n"
    font = "fonts/atkinson-hyperlegible/atkinson-hyperlegible-latin-400-normal.ttf"
    fallback = fetcher.fetch((root / "styles" / font).as_uri())  # the project has no fonts/
    assert fallback.url == (theme.styles_dir / font).resolve().as_uri()
    assert fallback.read() == (theme.styles_dir / font).read_bytes()
    direct = fetcher.fetch((theme.templates_dir / "base.html.j2").as_uri())
    assert direct.read() == (theme.templates_dir / "base.html.j2").read_bytes()


def test_the_fetcher_refuses_files_outside_the_project_and_the_theme(overriding, tmp_path):
    root, fetcher = overriding
    outside = "is outside the project's content, styles and templates"
    for path in (root / "secret.txt", root / "leafpress.yaml", Path(leafpress.__file__), Path("/etc/hostname")):
        url = path.resolve().as_uri()
        assert outside in refusal(fetcher, url), url
    # '..' is resolved before the theme is looked at, so it cannot climb out through the fallback.
    assert outside in refusal(fetcher, (root / "styles").as_uri() + "/../secret.txt")
    assert outside in refusal(fetcher, (root / "styles").as_uri() + "/fonts/../../../" + tmp_path.name)
    (root / "styles" / "link.css").symlink_to(root / "secret.txt")
    assert outside in refusal(fetcher, (root / "styles" / "link.css").as_uri())
    assert "cannot be read" in refusal(fetcher, (root / "styles" / "nowhere.css").as_uri())
    assert "no network access" in refusal(fetcher, "https://example.org/base.css")


def request(server, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_the_preview_serves_the_themes_files_as_the_projects(overriding):
    from leafpress.runner.preview import Preview, PreviewServer

    root, _ = overriding
    preview = Preview(root, layouts=["article"], echo=lambda *args, **kwargs: None)
    assert not preview.replan().problems
    server = PreviewServer(preview, 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        status, body = request(server, "/styles/base.css")
        assert (status, body) == (200, "p { color: red; }\n")  # the project's override
        status, body = request(server, "/styles/fonts/fonts.css")
        assert (status, body) == (200, (find_theme().styles_dir / "fonts" / "fonts.css").read_text())
        status, _ = request(server, "/templates/partials/bibliography.html.j2")
        assert status == 200
        for path in ("/styles/../leafpress.yaml", "/styles/%2e%2e/secret.txt", "/styles/nowhere.css"):
            assert request(server, path)[0] == 404, path
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()


def test_python_m_leafpress_version(tmp_path):
    done = subprocess.run([sys.executable, "-m", "leafpress", "--version"], cwd=tmp_path, env=ENV,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"leafpress, version {leafpress.__version__}\n"
