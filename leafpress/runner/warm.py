"""Warming a process up before it forks the workers of a batch.

Batch workers are forked from one server process (see :mod:`leafpress.runner.batch`)
and inherit its memory. Whatever the server has loaded before the first fork,
no worker pays for again:

* much loads lazily, on a first document (WeasyPrint's C declarations,
  hyphenation dictionaries and font subsetting, locale data, Markdown
  extensions, pikepdf and qpdf), so the server builds a short throw-away
  article, through the whole pipeline, in a temporary folder;
* each layout's stylesheets parsed, with their fonts loaded
  (:func:`leafpress.typeset.engine.parsed_styles`);
* each layout's Jinja template compiled (:func:`leafpress.render.jinja.shared_environment`).

These caches check that their files are unchanged each time they are used,
so a long-lived server (``leafpress watch``) never serves a stale stylesheet
or template. The warm-up reads the project's config, templates, stylesheets
and fonts, never a topic's content, so a broken or hostile document cannot
hang or crash the server every worker comes from.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path

from ..pipeline import BuildResult, Target
from ..project.config import Project

# A short article that goes through the whole pipeline, so the first real
# target of each worker finds Markdown, citations, Jinja, WeasyPrint, pikepdf
# and qpdf already warm. It is built in a temporary folder and thrown away.
_ARTICLE = """---
title: Warm-up
short_title: Warm-up
language: {language}
audience: professionals
audience_notice: Warm-up.
summary: Warm-up.
authors: [{{name: Warm-up}}]
reviewers: [{{name: Warm-up}}]
publisher: Warm-up
version: "1"
published: 2026-01-01
review_date: 2027-01-01
---

## Background

Pharmacological, neuropathic and anaesthetic considerations; “quotes” — ñáéíóú [@one].[^note]

| Check | When |
|---|---|
| Pain score (NRS 0–10) | Every visit [@one; @two] |

- **Bold**, *italic*, [a link](#background).

[^note]: A footnote.
"""
_REFERENCES = [
    {"id": "one", "type": "article-journal", "title": "Warm-up one", "container-title-short": "Warm",
     "volume": "1", "page": "1-2", "issued": {"date-parts": [[2020]]}, "author": [{"family": "Warm", "given": "A"}]},
    {"id": "two", "type": "article-journal", "title": "Warm-up two", "container-title-short": "Warm",
     "volume": "2", "page": "3-4", "issued": {"date-parts": [[2021]]}, "author": [{"family": "Up", "given": "B"}]},
]


def warm_up_spec(project: Project, targets: list[Target]) -> str:
    """What to prepare for ``targets`` (a JSON string, to pass to the forkserver).

    JSON in an environment variable is the one channel multiprocessing offers
    into the forkserver before it starts; it carries names and settings only.
    """
    layouts = {target.layout.name: target.layout for target in targets}
    settings = targets[0].settings
    return json.dumps({
        "root": str(project.root),
        "layouts": [{"template": layout.template, "stylesheets": list(layout.stylesheets)}
                    for layout in layouts.values()],
        "settings": {"profile": settings.profile.name, "marks": settings.marks, "strict": settings.strict},
    })


def warm_up(spec_json: str) -> BuildResult:
    """Prepare this process as ``spec_json`` (from :func:`warm_up_spec`) says; return the throw-away build."""
    from ..layouts.registry import LAYOUTS
    from ..pipeline import Session, build_target, output_name, settings_for
    from ..project.config import load_project
    from ..render.i18n import long_date
    from ..render.jinja import shared_environment
    from ..typeset.engine import parsed_styles

    spec = json.loads(spec_json)
    chosen = spec["settings"]
    project = load_project(Path(spec["root"]))
    with tempfile.TemporaryDirectory(prefix="leafpress-warm-up-") as temporary:
        settings = settings_for(project, str(chosen["profile"]), bool(chosen["marks"]), bool(chosen["strict"]))
        # The pipeline's own paths and roots, or the caches would miss.
        for layout in spec["layouts"]:
            sheets = tuple(project.stylesheet(name) for name in layout["stylesheets"])
            parsed_styles(sheets, project.style_roots, settings.profile, project.icc_profile, project.theme_fallbacks)
            shared_environment(project.template_dirs).get_template(layout["template"])
        for language in project.config.languages:
            long_date(datetime.date(2026, 1, 1), project.locale_for(language))
        folder = Path(temporary) / "warm-up"
        folder.mkdir()
        source = folder / "article.md"
        source.write_text(_ARTICLE.format(language=project.config.languages[0]), encoding="utf-8")
        (folder / "references.json").write_text(json.dumps(_REFERENCES), encoding="utf-8")
        language = project.config.languages[0]
        article = LAYOUTS["article"]
        target = Target("warm-up", source, article, language, settings,
                        output_name("warm-up", article, language, settings.profile, project.config.profile))
        return build_target(Session(project, Path(temporary) / "output"), target)
