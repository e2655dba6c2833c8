"""The documentation: the README links every page in docs/, links lead somewhere, every option is described.

These read the repository's own Markdown files (no medical content involved).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from leafpress.commands.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _links(path: Path) -> list[str]:
    """Relative links of a Markdown file, outside code (an example such as `[x](other.md)` is not a link)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:|#", target)]


def test_the_readme_links_every_page_in_docs() -> None:
    linked = {target.partition("#")[0] for target in _links(ROOT / "README.md")}
    unlinked = [f"docs/{page.name}" for page in sorted(DOCS.glob("*.md")) if f"docs/{page.name}" not in linked]
    assert unlinked == []


def test_the_readme_stays_short() -> None:
    # The README is for newcomers; the reference lives in docs/.
    assert len((ROOT / "README.md").read_bytes()) < 12 * 1024


def test_links_in_docs_lead_to_files_and_headings() -> None:
    broken = []
    for page in sorted(DOCS.glob("*.md")):
        for target in _links(page):
            path, _, anchor = target.partition("#")
            linked = (page.parent / path) if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.*)$", linked.read_text(encoding="utf-8"), re.M)
                slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
                if anchor not in slugs:
                    broken.append(f"{page.name}: {target}")
    assert broken == []


def test_every_option_of_every_command_is_described_in_docs() -> None:
    text = "\n".join(page.read_text(encoding="utf-8") for page in DOCS.glob("*.md"))
    context = click.Context(main)
    missing = []
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        assert command is not None
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                missing += [f"{name} {opt}" for opt in param.opts
                             if opt.startswith("--") and opt != "--help" and not re.search(rf"{opt}\b", text)]
    assert missing == []
