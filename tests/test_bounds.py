"""Every command that parses or renders content does it under build's time and memory limits.

A template loop that never ends in practice stands for whatever the Markdown
cost estimate does not foresee: `check` and each preview page stop it at the
time limit, name the file, and go on with the rest.
"""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

from leafpress.commands.cli import main
from leafpress.runner.preview import PROBLEMS_ID, Preview, PreviewServer
from test_preview import request

# 10^10 steps for the topic titled "Hangs"; nothing for the others.
HANG = ("{% if meta.title == 'Hangs' %}{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}{% endif %}")
STOPPED = ("error: {doing} took longer than 2 s and was stopped; raise the limit with --timeout if the "
           "document is meant to be this long")


@pytest.fixture
def hanging(project):
    """Three topics; the article template takes for ever on the one titled 'Hangs'."""
    for name in ("good1", "hangs", "good2"):
        project.topic(name, title="Hangs" if name == "hangs" else "A good topic")
    template = project.root / "templates" / "article.html.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("{% block content %}", "{% block content %}" + HANG, 1), encoding="utf-8")
    return project


def test_check_stops_a_document_that_takes_too_long_and_checks_the_others(hanging):
    started = time.monotonic()
    result = CliRunner().invoke(main, ["check", "--timeout", "2", "--jobs", "2", "--today", "2026-06-01"])
    assert time.monotonic() - started < 30
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[lines.index("hangs:") + 1] == "content/hangs/article.md: " + STOPPED.format(
        doing="checking this document")
    # The other topics were checked in full: their uncited reference is reported.
    for good in ("good1", "good2"):
        assert f"content/{good}/references.json:15: warning: reference 'jones2021' is never cited: cite it as " \
               "[@jones2021] or remove it" in lines
    # With leafpress.yaml's warning (the test project has no address).
    assert lines[-1] == ("3 topics checked: 1 error, 3 warnings; 0 patient documents scored, 0 below target.")


def test_check_on_a_normal_project_is_unchanged_by_the_limits(project):
    project.topic("a")
    result = CliRunner().invoke(main, ["check", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == ("1 topic checked: 0 errors, 2 warnings; 0 patient documents scored, "
                                              "0 below target.")


def test_a_preview_page_that_takes_too_long_shows_the_problem(hanging):
    preview = Preview(hanging.root, layouts=["article"], echo=lambda *a, **k: None, timeout=2)
    assert not preview.replan().problems
    server = PreviewServer(preview, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        status, _, body = request(server, "/preview/hangs/article?view=html", timeout=30)
        assert time.monotonic() - started < 25
        assert status == 200
        assert f'id="{PROBLEMS_ID}"' in body
        assert "content/hangs/article.md: " + STOPPED.format(doing="rendering this preview") in body
        # The server is still there, and the other pages render.
        status, _, body = request(server, "/preview/good1/article?view=html", timeout=30)
        assert status == 200 and "Some text" in body and "took longer" not in body
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()
