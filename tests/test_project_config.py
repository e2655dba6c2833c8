"""leafpress.yaml: validated, and the only place a clinic's identity lives."""

from __future__ import annotations

import re
import shutil

import pikepdf
import pytest
from click.testing import CliRunner

from conftest import pdf_text, run
from leafpress.commands.cli import main
from leafpress.paths import LINK_LOOP

CONFIG = """\
clinic:
  name: Other Clinic
  address: [1 Main Street, Town]
  phone: "+34 900 000 000"
colours:
  primary: "#123456"
  accent: "#654321"
default_language: en
languages: [en, es]
"""


def build(project) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build"])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("change, expected", [
    (("#123456", "blue"), "leafpress.yaml:6: error: 'colours.primary' must be a colour written as #RRGGBB, "
                          "such as #1F5F8B, not 'blue'"),
    (("clinic:", "clinc:"), "leafpress.yaml:1: error: missing required field 'clinic': add a line such as "
                            "'clinic: {name: My Clinic}'\n"
                            "leafpress.yaml:1: error: unknown field 'clinc': remove it or fix its spelling "
                            "(did you mean 'clinic'?)"),
    (("default_language: en", "default_language: es\nlanguages: [en]"), None),
    (("  phone:", "  logo: ../outside.svg\n  phone:"),
     "leafpress.yaml:4: error: clinic.logo '../outside.svg' is not a file inside the project"),
])
def test_config_errors_name_line_and_fix(project, change, expected):
    (project.root / "leafpress.yaml").write_text(CONFIG.replace(*change), encoding="utf-8")
    project.topic("t")
    code, err = build(project)
    assert code == 1
    lines = [line for line in err.splitlines() if ": error: " in line]
    if expected is None:  # duplicate 'languages' key after the edit
        assert lines == ["leafpress.yaml:10: error: duplicate key 'languages' (first written on line 9): "
                         "keep one of them"]
    else:
        assert lines == expected.splitlines()


WEB = "must be a web address starting with https:// or http://, not"
EMAIL = ("must be a plain email address, such as info@example.org, not 'a@example.org?attach=/etc/passwd': write "
         "the address alone, without 'mailto:', a name or '?...'")


@pytest.mark.parametrize("change, expected", [
    (("  phone:", "  website: www.example.org\n  phone:"),
     f"leafpress.yaml:4: error: 'clinic.website' {WEB} 'www.example.org': add https:// in front: "
     "'https://www.example.org'"),
    (("  phone:", "  website: 'javascript:alert(1)'\n  phone:"),
     f"leafpress.yaml:4: error: 'clinic.website' {WEB} 'javascript:alert(1)': write the clinic's web address, "
     "such as https://www.example.org"),
    (("  phone:", "  website: https://exa mple.org\n  phone:"),
     f"leafpress.yaml:4: error: 'clinic.website' {WEB} 'https://exa mple.org': write the clinic's web address, "
     "such as https://www.example.org"),
    (("  phone:", "  email: a@example.org?attach=/etc/passwd\n  phone:"),
     f"leafpress.yaml:4: error: 'clinic.email' {EMAIL}"),
    (("languages: [en, es]", "languages: [en, es]\nlocales: {en: en_GB, es: xx_YY}"),
     "leafpress.yaml:10: error: 'locales.es' must be a locale leafpress knows, such as en_GB, en_US, es_ES or "
     "es_MX, not 'xx_YY'"),
    (("languages: [en, es]", "languages: [en, es]\nlayouts:\n  poster:\n    description: A3 poster\n"
                             "    template: poster.html.j2\n    max_pages: 900\n    min_text_pt: 0"),
     "leafpress.yaml:14: error: 'layouts.poster.max_pages' must be at most 500, not 900\n"
     "leafpress.yaml:15: error: 'layouts.poster.min_text_pt' must be more than 0, not 0"),
])
def test_clinic_addresses_locales_and_numbers_are_validated_at_their_line(project, change, expected):
    (project.root / "leafpress.yaml").write_text(CONFIG.replace(*change), encoding="utf-8")
    project.topic("t")
    code, err = build(project)
    assert code == 1
    assert [line for line in err.splitlines() if ": error: " in line] == expected.splitlines()


@pytest.mark.parametrize("line", ["  website: https://www.example.org/clinic?x=1", "  website: http://example.org",
                                  "  email: first.last+leaflets@example.co.uk", "locales: {en: en_US, es: es_MX}"])
def test_ordinary_addresses_and_locales_load(project, line):
    from leafpress import load_project

    text = CONFIG.replace("  phone:", line + "\n  phone:") if line.startswith(" ") else CONFIG + line + "\n"
    (project.root / "leafpress.yaml").write_text(text, encoding="utf-8")
    load_project(project.root)


def test_logo_needs_alt_text(project):
    (project.root / "styles" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10"/></svg>')
    (project.root / "leafpress.yaml").write_text(CONFIG.replace("  phone:", "  logo: styles/logo.svg\n  phone:"))
    project.topic("t")
    code, err = build(project)
    assert code == 1
    assert "leafpress.yaml:4: error: clinic.logo needs clinic.logo_alt, a text alternative for screen readers" in err


def test_rebranding_changes_name_colours_and_logo_without_touching_templates(project):
    (project.root / "styles" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10" '
        'fill="#abcdef"/></svg>')
    (project.root / "leafpress.yaml").write_text(
        CONFIG.replace("  phone:", "  logo: styles/logo.svg\n  logo_alt: Other Clinic logo\n  phone:"))
    project.topic("t", body="Text.\n\n" + "\n\n".join(f"## Part {n}\n\n" + "Words here. " * 80 for n in range(8)))
    code, err = build(project)
    assert code == 0, err
    pdf_path = project.root / "output" / "t" / "article.en.pdf"
    # The running header carries the clinic's name from the config.
    assert pdf_text(pdf_path, 2).startswith("Test\n\nOther Clinic\n")
    with pikepdf.open(pdf_path) as pdf:
        first = pdf.pages[0]
        content = b"".join(c.read_bytes() for c in first.get_contents_streams()) if hasattr(
            first, "get_contents_streams") else first.Contents.read_bytes()
        # #123456 as PDF RGB fill (0x12/255 = 0.0706 ...) appears in the title rule.
        assert re.search(rb"0\.07\d* 0\.20\d* 0\.33\d* (rg|RG)", content)
        # The SVG logo is drawn as vectors in its own fill colour #abcdef.
        assert re.search(rb"0\.67\d* 0\.80\d* 0\.93\d* (rg|RG)", content)
    assert "no phone" not in err and "no address" not in err



def test_a_templates_folder_that_is_a_link_loop_stops_every_command_at_once(project):
    project.topic("t")
    shutil.rmtree(project.root / "templates")
    (project.root / "templates").symlink_to("templates")  # a link to itself
    for command in (("build", "--layout", "article"), ("check",)):
        code, _, err = run(*command)  # no traceback: the build used to end in Path.resolve's RuntimeError
        assert code == 1
        assert err.splitlines() == [f"templates: error: {LINK_LOOP}", "Stopped: 1 error."]
