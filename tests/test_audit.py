"""The audit every PDF passes after it is written: nothing attached, nothing that runs, no file: links."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest
from click.testing import CliRunner
from weasyprint import HTML

from conftest import ROOT
from leafpress.commands.cli import main
from leafpress.finish.verify import audit_pdf, bundled_font_names, verify_pdf

ATTACHED = "a leaflet must not carry attached files"
ACTS = "a leaflet must not run scripts, open other files or programs, or send data"
LINKS = "links must be web addresses (https://, http://, mailto: or tel:), never files or relative paths"


def saved(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def one_page(**page_keys) -> tuple[pikepdf.Pdf, pikepdf.Page]:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    for key, value in page_keys.items():
        page.obj[f"/{key}"] = value
    return pdf, page


def link(pdf: pikepdf.Pdf, action: pikepdf.Dictionary) -> pikepdf.Array:
    return pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=action)]))


def test_the_sample_article_passes(article_pdf):
    assert audit_pdf(article_pdf.read_bytes()) == []


def test_weasyprint_left_alone_attaches_local_files_and_the_audit_catches_it(tmp_path):
    """Why the fetcher and the sanitiser exist: WeasyPrint's defaults embed what rel=attachment names."""
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-audit")
    data = HTML(string=f'<link rel="attachment" href="{secret.as_uri()}"><p>x</p>',
                base_url=tmp_path.as_uri() + "/").write_pdf()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert b"CANARY-audit" in b"".join(f.get_file().read_bytes() for f in pdf.attachments.values())
    problems = audit_pdf(data)
    assert problems and all(p.startswith("the PDF contains an embedded file (object ") for p in problems)
    assert all(p.endswith(f"): {ATTACHED}") for p in problems)


@pytest.mark.parametrize("action, what, why", [
    (pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")), "JavaScript", ACTS),
    (pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe")), "a Launch action", ACTS),
    (pikepdf.Dictionary(S=pikepdf.Name.ImportData, F=pikepdf.String("data.fdf")), "a ImportData action", ACTS),
    (pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("http://x/")), "a SubmitForm action", ACTS),
    (pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=pikepdf.String("other.pdf"), D=[0]), "a GoToR action", ACTS),
    (pikepdf.Dictionary(S=pikepdf.Name.GoToE, D=[0]), "a GoToE action", ACTS),
    (pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("file:///etc/passwd")),
     "a link to 'file:///etc/passwd'", LINKS),
    (pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("FILE://server/share")),
     "a link to 'FILE://server/share'", LINKS),
    (pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("../notes/other.md")),
     "a link to '../notes/other.md'", LINKS),
    (pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("/home/clinic/notes.md")),
     "a link to '/home/clinic/notes.md'", LINKS),
    (pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("javascript:alert(1)")),
     "a link to 'javascript:alert(1)'", LINKS),
])
def test_actions_in_a_link_annotation_fail(action, what, why):
    pdf, page = one_page()
    page.obj.Annots = link(pdf, action)
    (problem,) = audit_pdf(saved(pdf))
    assert problem.startswith(f"the PDF contains {what} (object ") and problem.endswith(f"): {why}")


@pytest.mark.parametrize("uri", ["https://example.org/a", "http://example.org", "mailto:a@example.org",
                                 "tel:+34900000000", "HTTPS://EXAMPLE.ORG"])
def test_web_links_pass(uri):
    pdf, page = one_page()
    page.obj.Annots = link(pdf, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri)))
    assert audit_pdf(saved(pdf)) == []


def test_javascript_in_the_open_action_and_the_name_tree():
    pdf, _ = one_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pdf.make_stream(b"app.alert(1)"))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pdf.make_indirect(pikepdf.Dictionary(
        Names=pikepdf.Array([pikepdf.String("x"), pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                                      JS=pikepdf.String("y"))]))))
    problems = audit_pdf(saved(pdf))
    assert len(problems) == 2 and all(p.startswith("the PDF contains JavaScript (object ") for p in problems)


def test_additional_actions_on_a_page():
    pdf, page = one_page()
    page.obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=[0]))
    (problem,) = audit_pdf(saved(pdf))
    assert problem.startswith("the PDF contains additional actions (/AA) (object ")


def test_file_attachment_annotation_and_embedded_file_stream():
    pdf, page = one_page()
    stream = pdf.make_stream(b"CANARY")
    stream.Type = pikepdf.Name.EmbeddedFile
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("x.txt"),
                              EF=pikepdf.Dictionary(F=stream))
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, FS=spec, Rect=[0, 0, 1, 1])]))
    problems = [p.split(" (object ")[0] for p in audit_pdf(saved(pdf))]
    assert sorted(problems) == ["the PDF contains a file attachment annotation", "the PDF contains an embedded file",
                                "the PDF contains an embedded file"]


def test_xfa_forms_fail():
    pdf, _ = one_page()
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[], XFA=pdf.make_stream(b"<xdp/>"))
    (problem,) = audit_pdf(saved(pdf))
    assert problem.startswith("the PDF contains an XFA form (object ")


def test_something_hidden_in_an_unreferenced_object_is_found():
    """An incremental update adds an object nothing refers to: viewers may still reach it, so the audit does."""
    pdf, _ = one_page()
    clean = saved(pdf)
    previous = int(re.search(rb"startxref\s+(\d+)", clean).group(1))
    root = re.search(rb"/Root (\d+ \d+ R)", clean).group(1)
    hidden = b"99 0 obj\n<< /S /Launch /F (calc.exe) >>\nendobj\n"
    xref = len(clean) + len(hidden)
    data = (clean + hidden + b"xref\n99 1\n%010d 00000 n \ntrailer\n<< /Size 100 /Root %s /Prev %d >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(clean), root, previous, xref))
    with pikepdf.open(io.BytesIO(data)) as reopened:
        assert any(o.objgen == (99, 0) for o in reopened.objects)
    assert audit_pdf(data) == [f"the PDF contains a Launch action (object 99): {ACTS}"]


def test_a_long_list_is_cut_short():
    pdf, page = one_page()
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([
        pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 1, 1],
                                             A=pikepdf.Dictionary(S=pikepdf.Name.URI,
                                                                  URI=pikepdf.String(f"file:///{i}"))))
        for i in range(30)]))
    problems = audit_pdf(saved(pdf))
    assert len(problems) == 21 and problems[-1] == "10 more problems of this kind not shown"


def test_verify_pdf_runs_the_audit_so_every_target_and_check_pdf_get_it(tmp_path, monkeypatch):
    pdf, page = one_page()
    page.obj.Annots = link(pdf, pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x")))
    data = saved(pdf)
    assert any(p.startswith("the PDF contains JavaScript") for p in verify_pdf(data, None))
    fonts = bundled_font_names(ROOT / "styles" / "fonts")
    assert any(p.startswith("the PDF contains JavaScript") for p in verify_pdf(data, fonts))
    (tmp_path / "evil.pdf").write_bytes(data)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "--pdf", str(tmp_path / "evil.pdf")])
    assert result.exit_code == 1
    assert "the PDF contains JavaScript (object " in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
