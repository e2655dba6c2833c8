"""`leafpress import FILE.docx`: a Word document becomes a topic that builds, and what Markdown cannot hold
is reported with the paragraph it is in.

The documents are made here with python-docx (footnotes, multilevel numbering, links and tracked changes,
which it has no API for, are added as WordprocessingML with lxml). Their text is made up for the tests;
it is not medical advice.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from PIL import Image

from conftest import pdf_text, run

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
V_NS = 'xmlns:v="urn:schemas-microsoft-com:vml"'
O_NS = 'xmlns:o="urn:schemas-microsoft-com:office:office"'
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


# --- building .docx files ----------------------------------------------------------------------


def add_multilevel_list(document) -> int:
    """A list whose level 0 is numbered (1., 2.) and level 1 bulleted, as Word's multilevel lists are; its numId."""
    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>'
        '<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/>'
        '<w:pPr><w:ind w:left="1440" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>')
    numbering.insert(0, abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    return 90


def list_item(document, text: str, level: int, num_id: int):
    paragraph = document.add_paragraph(text, style="List Paragraph")
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return paragraph


def add_link(paragraph, text: str, url: str) -> None:
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    paragraph._p.append(parse_xml(
        f'<w:hyperlink {nsdecls("w", "r")} r:id="{r_id}"><w:r><w:t>{text}</w:t></w:r></w:hyperlink>'))


def add_footnotes(document, notes: list[str], kind: str = "footnote") -> None:
    """The footnotes (or endnotes) part python-docx cannot write: separators, then the notes, ids 1..n.

    A note's paragraphs are separated by a blank line in its text.
    """
    def paragraphs(text: str) -> str:
        return "".join(f'<w:p><w:r><w:t xml:space="preserve"> {part}</w:t></w:r></w:p>' for part in text.split("\n\n"))

    body = "".join(f'<w:{kind} w:id="{number}">{paragraphs(text)}</w:{kind}>' for number, text in enumerate(notes, 1))
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind}s {W_NS}>'
           f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
           f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
           f'</w:p></w:{kind}>{body}</w:{kind}s>')
    content_type = FOOTNOTES_TYPE.replace("footnotes", f"{kind}s")
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, xml.encode(), document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)


def footnote_call(paragraph, number: int, kind: str = "footnote") -> None:
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                                  f'<w:{kind}Reference w:id="{number}"/></w:r>'))


def picture(kind: str = "PNG", width: int = 400, height: int = 260) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(data, kind)
    data.seek(0)
    return data


def clinic_document(path: Path) -> Path:
    """The constructs clinic documents use: title, headings, nested list, table, emphasis, footnote, link, picture."""
    document = Document()
    document.add_heading("Iron infusion: what to expect", 0)
    intro = document.add_paragraph("This leaflet explains an ")
    intro.add_run("iron infusion").bold = True
    intro.add_run(" and what ")
    intro.add_run("you").italic = True
    intro.add_run(" can do.")
    footnote_call(intro, 1)
    more = document.add_paragraph("Read more on ")
    add_link(more, "the clinic's website", "https://example.org/iron")
    more.add_run(".")
    document.add_heading("Before the infusion", 1)
    num_id = add_multilevel_list(document)
    list_item(document, "Eat as usual.", 0, num_id)
    list_item(document, "Bring with you:", 0, num_id)
    list_item(document, "your list of medicines", 1, num_id)
    list_item(document, "something to read", 1, num_id)
    list_item(document, "Arrive on time.", 0, num_id)
    document.add_heading("How long it takes", 2)
    table = document.add_table(rows=3, cols=2)
    for row, cells in enumerate([("Step", "Time"), ("Checks", "10 minutes"), ("Infusion", "Test cell 30 min")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_heading("The infusion room", 1)
    document.add_picture(picture())
    document.inline_shapes[0]._inline.docPr.set("descr", "A chair beside a drip stand")
    add_footnotes(document, ["The footnote text, made up for this test."])
    document.save(path)
    return path


def paragraphs_document(path: Path, *texts: str, build=None) -> Path:
    """A titled document with a heading and the paragraphs given; ``build(document)`` adds more."""
    document = Document()
    document.add_heading("Warning test", 0)
    document.add_heading("Dosing", 1)
    for text in texts:
        document.add_paragraph(text)
    if build:
        build(document)
    document.save(path)
    return path


def imported(project, *args: str) -> tuple[int, str, str]:
    return run("import", *args)


# --- the clinic document ----------------------------------------------------------------------------


EXPECTED_BODY = """\
This leaflet explains an **iron infusion** and what *you* can do.[^1]

Read more on [the clinic's website](https://example.org/iron).

## Before the infusion

1. Eat as usual.
2. Bring with you:
    - your list of medicines
    - something to read
3. Arrive on time.

### How long it takes

| Step | Time |
| --- | --- |
| Checks | 10 minutes |
| Infusion | Test cell 30 min |

## The infusion room

![A chair beside a drip stand](images/article-1.png)

[^1]: The footnote text, made up for this test.
"""


def test_clinic_document_becomes_markdown_that_builds(project):
    source = clinic_document(project.root / "Iron infusion.docx")
    code, out, err = imported(project, str(source))
    assert code == 0, err
    assert err == ""
    folder = project.root / "content" / "iron-infusion"
    assert out.splitlines() == [
        "wrote  content/iron-infusion/images/article-1.png",
        "wrote  content/iron-infusion/references.json",
        "wrote  content/iron-infusion/article.md",
        "Imported with 0 warnings. Next: edit content/iron-infusion/article.md, then run "
        "'leafpress check content/iron-infusion' and 'leafpress build content/iron-infusion'."]
    text = (folder / "article.md").read_text(encoding="utf-8")
    front, body = text.split("\n---\n\n", 1)
    assert 'title: "Iron infusion: what to expect"' in front.splitlines()
    assert "language: en" in front.splitlines() and "audience: professionals" in front.splitlines()
    assert body == EXPECTED_BODY
    assert (folder / "references.json").read_text() == "[]\n"
    with Image.open(folder / "images" / "article-1.png") as image:
        assert image.size == (400, 260)

    code, out, err = run("build", "content/iron-infusion", "--layout", "article")
    assert code == 0, err
    printed = pdf_text(project.root / "output" / "iron-infusion" / "article.en.pdf")
    assert "Iron infusion: what to expect" in printed
    assert "Before the infusion" in printed
    assert "Test cell 30 min" in printed
    assert "The footnote text, made up for this test." in printed


def test_patient_leaflet_in_an_existing_topic(project):
    project.topic("iron")
    source = clinic_document(project.root / "leaflet.docx")
    code, out, err = imported(project, str(source), "--topic", "iron", "--as", "patient.es")
    assert code == 0, err
    # The document says it is in English (python-docx's template): the mismatch is reported.
    assert err == (f"{source.name}: warning: the document's language is 'en-US' but it was imported as "
                   "patient.es: check that this is the right text\n")
    text = (project.root / "content" / "iron" / "patient.es.md").read_text(encoding="utf-8")
    assert "language: es" in text and "audience: patients" in text and "sources: []" in text
    assert "![A chair beside a drip stand](images/patient-es-1.png)" in text
    assert "references.json" not in out  # the topic's own references are kept
    code, out, err = run("build", "content/iron", "--layout", "patient")
    assert code == 0, err
    printed = " ".join(pdf_text(project.root / "output" / "iron" / "patient.es.pdf").split())
    assert "Iron infusion: what to expect" in printed and "Test cell 30 min" in printed
    assert "The footnote text, made up for this test." in printed  # the patient layout prints footnotes


def test_refuses_to_overwrite_without_force(project):
    source = clinic_document(project.root / "iron.docx")
    assert imported(project, str(source))[0] == 0
    article = project.root / "content" / "iron" / "article.md"
    article.write_text("edited by hand\n", encoding="utf-8")
    code, _out, err = imported(project, str(source))
    assert code == 1
    assert err.splitlines() == [
        "content/iron/article.md: error: already exists: give --force to replace it",
        "content/iron/images/article-1.png: error: already exists: give --force to replace it",
        "Stopped: 2 errors."]
    assert article.read_text(encoding="utf-8") == "edited by hand\n"
    code, _out, err = imported(project, str(source), "--force")
    assert code == 0, err
    assert article.read_text(encoding="utf-8").endswith(EXPECTED_BODY)
    assert not list(article.parent.glob(".*.part"))


@pytest.mark.parametrize('name, data, expected', [
    ("notes.docx", b"Just some text, not a Word document.\n",
     "notes.docx: error: is not a Word document (.docx): it is not a zip archive (File is not a zip file); "
     "open it in Word and save it as 'Word Document (.docx)'"),
    ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     "old.docx: error: is an older Word document (.doc), not a .docx: open it in Word and save it as "
     "'Word Document (.docx)'"),
])
def test_a_file_that_is_not_docx_is_one_error_line(project, name, data, expected):
    (project.root / name).write_bytes(data)
    code, _out, err = imported(project, name)
    assert code == 1
    assert err.splitlines() == [expected, "Stopped: 1 error."]
    assert not (project.root / "content" / Path(name).stem).exists()


def test_a_zip_without_a_document_and_a_zip_bomb_are_refused(project):
    with zipfile.ZipFile(project.root / "photos.docx", "w") as archive:
        archive.writestr("photo.txt", "not a document")
    with zipfile.ZipFile(project.root / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (65 * 2**20))  # 65 MiB of zeros pack to 64 KiB
    assert (project.root / "bomb.docx").stat().st_size < 200_000
    assert imported(project, "photos.docx")[2].splitlines()[0] == (
        "photos.docx: error: is not a Word document (.docx): it is a zip archive without word/document.xml; "
        "open it in Word and save it as 'Word Document (.docx)'")
    assert imported(project, "bomb.docx")[2].splitlines()[0] == (
        "bomb.docx: error: is not a Word document (.docx): its part 'word/document.xml' unpacks to more than "
        "64 MiB")


# --- what cannot be carried over -----------------------------------------------------------------


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " in line]


def test_tracked_changes_are_imported_accepted_and_reported(project):
    def tracked(document):
        paragraph = document.add_paragraph("Take ")
        paragraph._p.append(parse_xml(
            f'<w:del {nsdecls("w")} w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z"><w:r>'
            '<w:delText>two</w:delText></w:r></w:del>'))
        paragraph._p.append(parse_xml(
            f'<w:ins {nsdecls("w")} w:id="2" w:author="A" w:date="2026-01-01T00:00:00Z"><w:r>'
            '<w:t>one</w:t></w:r></w:ins>'))
        paragraph.add_run(" tablet.")

    source = paragraphs_document(project.root / "tracked.docx", "First paragraph.", build=tracked)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "tracked.docx: warning: paragraph 4, under 'Dosing': tracked changes: the inserted text 'one' was kept "
        "and the deleted text 'two' was left out (the changes accepted); check the wording, and accept or reject "
        "the changes in Word before importing again"]
    assert (project.root / "content" / "tracked" / "article.md").read_text().endswith(
        "## Dosing\n\nFirst paragraph.\n\nTake one tablet.\n")


def test_comments_are_reported(project):
    def commented(document):
        paragraph = document.add_paragraph("Give the dose slowly.")
        document.add_comment(paragraph.runs, text="Check this with pharmacy", author="Dr Test")

    source = paragraphs_document(project.root / "commented.docx", build=commented)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "commented.docx: warning: paragraph 3, under 'Dosing': comment by 'Dr Test' 'Check this with pharmacy' "
        "was not imported: act on it in the Markdown"]
    assert "pharmacy" not in (project.root / "content" / "commented" / "article.md").read_text()


def test_text_boxes_are_reported(project):
    def boxed(document):
        paragraph = document.add_paragraph("Before the box.")
        paragraph._p.append(parse_xml(
            f'<w:r {nsdecls("w")} {V_NS}><w:pict><v:shape id="box1" style="width:200pt;height:50pt">'
            '<v:textbox><w:txbxContent><w:p><w:r><w:t>Call the clinic if unsure</w:t></w:r></w:p>'
            '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))

    source = paragraphs_document(project.root / "boxed.docx", build=boxed)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "boxed.docx: warning: paragraph 3, under 'Dosing': a text box 'Call the clinic if unsure' was imported "
        "as ordinary paragraphs after this one: move its text where it belongs, or make it an admonition "
        "(!!! note)"]


MC_NS = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
WPS_NS = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
WP_NS = 'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
A_NS = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'


def test_a_text_box_as_word_writes_it_now_is_reported_once(project):
    """Word 2010 and later: a DrawingML text box, with the same box in VML as a fallback for older readers."""
    box = '<w:txbxContent><w:p><w:r><w:t>Fast from midnight</w:t></w:r></w:p></w:txbxContent>'

    def boxed(document):
        paragraph = document.add_paragraph("Before the box.")
        paragraph._p.append(parse_xml(
            f'<w:r {nsdecls("w")} {V_NS} {MC_NS} {WPS_NS} {WP_NS} {A_NS}><mc:AlternateContent>'
            '<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic>'
            '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
            f'<wps:txbx>{box}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>'
            f'<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>'
            '</mc:AlternateContent></w:r>'))

    source = paragraphs_document(project.root / "modern.docx", build=boxed)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "modern.docx: warning: paragraph 3, under 'Dosing': a text box 'Fast from midnight' was imported as "
        "ordinary paragraphs after this one: move its text where it belongs, or make it an admonition (!!! note)"]
    assert (project.root / "content" / "modern" / "article.md").read_text().endswith(
        "Before the box.\n\nFast from midnight\n")


def test_typed_numbering_is_reported_and_kept_as_text(project):
    source = paragraphs_document(project.root / "typed.docx", "1. Stop eating at midnight.",
                                 "2. Drink water until 6 am.", "a) if you take insulin, ask us.",
                                 build=lambda document: document.add_heading("2.1 Afterwards", 2))
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    advice = ("is not a Word list: it was kept as text; make these paragraphs a Markdown list (\"1. \" or \"- \" "
              "at the start of each line)")
    assert warnings_of(err) == [
        f"typed.docx: warning: paragraph 3, under 'Dosing': typed numbering '1.' {advice}",
        f"typed.docx: warning: paragraph 4, under 'Dosing': typed numbering '2.' {advice}",
        f"typed.docx: warning: paragraph 5, under 'Dosing': typed numbering 'a)' {advice}",
        "typed.docx: warning: paragraph 6, under 'Dosing': the heading's typed number '2.1' was kept: layouts "
        "that number headings (the article) would print it twice; remove it in the Markdown"]
    assert (project.root / "content" / "typed" / "article.md").read_text().endswith(
        "1\\. Stop eating at midnight.\n\n2\\. Drink water until 6 am.\n\na) if you take insulin, ask us.\n\n"
        "### 2.1 Afterwards\n")


def test_typed_citations_are_reported(project):
    def superscript(document):
        paragraph = document.add_paragraph("Pain fell by half")
        paragraph.add_run("3,4").font.superscript = True
        paragraph.add_run(" in 2 m")
        paragraph.add_run("2").font.superscript = True  # a unit's power, not a citation
        paragraph.add_run(" of skin.")

    source = paragraphs_document(project.root / "cited.docx", "Ketamine helps [1] and [2, 5-7].",
                                 "It was well tolerated (Smith and Jones, 2019; Lee et al. 2020a).",
                                 build=superscript)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    advice = "looks like a citation typed as text: cite the reference as [@key], with its key in references.json"
    assert warnings_of(err) == [
        f"cited.docx: warning: paragraph 3, under 'Dosing': '[1]' {advice}",
        f"cited.docx: warning: paragraph 3, under 'Dosing': '[2, 5-7]' {advice}",
        f"cited.docx: warning: paragraph 4, under 'Dosing': '(Smith and Jones, 2019; Lee et al. 2020a)' {advice}",
        f"cited.docx: warning: paragraph 5, under 'Dosing': 'superscript 3,4' {advice}"]


def test_equations_and_embedded_objects_are_reported(project):
    def objects(document):
        paragraph = document.add_paragraph("The dose is ")
        paragraph._p.append(parse_xml(
            '<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">'
            '<m:r><m:t>d = w × 0.5</m:t></m:r></m:oMath>'))
        holder = document.add_paragraph()
        holder._p.append(parse_xml(
            f'<w:r {nsdecls("w")} {V_NS} {O_NS}><w:object><o:OLEObject Type="Embed" ProgID="Excel.Sheet.12" '
            'ShapeID="s1" DrawAspect="Content"/></w:object></w:r>'))

    source = paragraphs_document(project.root / "objects.docx", build=objects)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "objects.docx: warning: paragraph 3, under 'Dosing': an equation ('d = w × 0.5') was not imported: write "
        "it as text, or insert it as a picture",
        "objects.docx: warning: paragraph 4, under 'Dosing': an embedded object ('Excel.Sheet.12') was not "
        "imported: insert it in Word as a picture (PNG or JPEG) and import again, or add the picture to the "
        "Markdown"]


def test_pictures_that_cannot_be_printed_or_are_linked_are_left_out(project):
    def pictures(document):
        document.add_picture(picture("TIFF"))
        document.add_heading("Linked", 2)
        document.add_picture(picture())
        blip = document.inline_shapes[1]._inline.graphic.graphicData.pic.blipFill.blip
        r_id = document.part.relate_to("https://example.invalid/chart.png", RT.IMAGE, is_external=True)
        del blip.attrib["{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"]
        blip.set("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}link", r_id)

    source = paragraphs_document(project.root / "pictures.docx", build=pictures)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "pictures.docx: warning: picture 1, under 'Dosing': its format 'image/tiff' cannot be printed: it was left "
        "out; save the picture as PNG or JPEG and insert it again",
        "pictures.docx: warning: picture 2, under 'Linked': it is linked to a file outside the document, which "
        "leafpress does not fetch: it was left out; insert the picture itself in Word (not as a link) and import "
        "again"]
    assert not (project.root / "content" / "pictures" / "images").exists()
    assert "![" not in (project.root / "content" / "pictures" / "article.md").read_text()


def test_text_that_looks_like_markup_is_escaped(project):
    def table(document):
        cells = document.add_table(rows=2, cols=1)
        cells.cell(0, 0).text = "Dose"
        cells.cell(1, 0).text = "5 | 10 mg"

    def table_link_and_picture(document):
        table(document)
        add_link(document.add_paragraph(), "a link", "https://example.org/a b(c)")
        document.add_picture(picture())
        document.inline_shapes[0]._inline.docPr.set("descr", "Scores [1] by @week, *not* emphasis")

    source = paragraphs_document(project.root / "markup.docx", "<b>not bold</b> and [@not_a_key]",
                                 "# not a heading", "- not a list", build=table_link_and_picture)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert (project.root / "content" / "markup" / "article.md").read_text().endswith(
        "## Dosing\n\n&lt;b>not bold&lt;/b> and [\\@not\\_a\\_key]\n\n\\# not a heading\n\n\\- not a list\n\n"
        "| Dose |\n| --- |\n| 5 \\| 10 mg |\n\n[a link](https://example.org/a%20b%28c%29)\n\n"
        "![Scores \\[1\\] by \\@week, \\*not\\* emphasis](images/article-1.png)\n")
    code, _out, err = run("build", "content/markup", "--layout", "article")
    assert code == 0, err
    printed = pdf_text(project.root / "output" / "markup" / "article.en.pdf")
    assert "<b>not bold</b> and [@not_a_key]" in printed and "# not a heading" in printed
    assert "5 | 10 mg" in printed and "Scores [1] by @week, *not* emphasis" in printed


def test_help_says_what_is_carried_over():
    code, out, _err = run("import", "--help")
    assert code == 0
    assert "--as article|patient.<lang>" in out and "Example: leafpress import" in out



def test_title_from_a_first_heading_and_merged_table_cells(project):
    document = Document()
    document.add_picture(picture())  # the clinic's logo, before the title
    document.add_heading("Wound care", 1)
    document.add_paragraph("Keep it dry.")
    document.add_heading("Dressings", 2)
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([("Day", "Dressing", "Who"), ("1", "Film", "Nurse"), ("2", "", "You")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    table.cell(1, 1).merge(table.cell(2, 1))  # "Film" on days 1 and 2
    document.add_picture(picture())  # the logo again: the same file
    document.save(project.root / "wound.docx")
    code, _out, err = imported(project, "wound.docx")
    assert code == 0, err
    assert warnings_of(err) == [
        "wound.docx: warning: picture 'images/article-1.png', before the first heading: it has no description "
        "(alt text): write one between the brackets of ![...], for readers who cannot see it (it is printed as "
        "its caption)",
        "wound.docx: warning: table 1, under 'Dressings': it has merged cells, which Markdown tables cannot have: "
        "each was split into cells of its own; check the table"]
    text = (project.root / "content" / "wound" / "article.md").read_text(encoding="utf-8")
    assert 'title: "Wound care"' in text
    assert text.endswith("---\n\n![](images/article-1.png)\n\nKeep it dry.\n\n## Dressings\n\n"
                         "| Day | Dressing | Who |\n| --- | --- | --- |\n| 1 | Film | Nurse |\n| 2 |  | You |\n\n"
                         "![](images/article-1.png)\n")
    assert [path.name for path in (project.root / "content" / "wound" / "images").iterdir()] == ["article-1.png"]


def test_a_table_of_contents_and_cross_references_are_one_warning_each(project):
    def contents(document):
        for level, text in ((1, "Dosing"), (2, "Children")):
            document.add_paragraph(style=document.styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)) \
                .add_run(text)
        paragraph = document.add_paragraph("See ")
        paragraph._p.append(parse_xml(f'<w:hyperlink {nsdecls("w")} w:anchor="_Ref1"><w:r><w:t>Table 1</w:t>'
                                      '</w:r></w:hyperlink>'))

    source = paragraphs_document(project.root / "contents.docx", build=contents)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    assert warnings_of(err) == [
        "contents.docx: warning: the table of contents (2 lines) was left out: leafpress prints none in a leaflet",
        "contents.docx: warning: links to places in the Word document ('Table 1') were imported as plain text: "
        "link to a heading as [text](#heading-id) in the Markdown if they are needed"]
    assert (project.root / "content" / "contents" / "article.md").read_text().endswith("## Dosing\n\nSee Table 1\n")


def test_a_part_with_a_doctype_is_refused(project):
    source = clinic_document(project.root / "entities.docx")
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/styles.xml"] = parts["word/styles.xml"].replace(
        b"?>", b'?><!DOCTYPE w:styles [<!ENTITY a "aaaaaaaaaa">]>', 1)
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    code, _out, err = imported(project, str(source))
    assert code == 1
    assert err.splitlines() == [
        "entities.docx: error: is not a Word document (.docx): its part 'word/styles.xml' declares a DOCTYPE, "
        "which Word never writes", "Stopped: 1 error."]


def test_a_damaged_zip_entry_is_one_error_line(project):
    source = clinic_document(project.root / "damaged.docx")
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        entry = archive.getinfo("word/document.xml")
    start = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
    data[start + 40:start + 80] = b"\xff" * 40  # inside the compressed text
    source.write_bytes(bytes(data))
    code, _out, err = imported(project, str(source))
    assert code == 1
    first, stopped = err.splitlines()
    assert first.startswith("damaged.docx: error: is not a Word document (.docx): its part 'word/document.xml' "
                            "cannot be unpacked (")
    assert stopped == "Stopped: 1 error."


def test_bad_topic_names_and_targets(project):
    source = clinic_document(project.root / "iron.docx")
    code, _out, err = imported(project, str(source), "--topic", "Iron Infusion", "--as", "leaflet")
    assert code == 1
    assert err.splitlines() == [
        "leafpress: error: topic name 'Iron Infusion' must be lower-case letters, digits and hyphens, such as "
        "'ketamine-neuropathic-pain': give one with --topic",
        "leafpress: error: --as 'leaflet' must be one of article, patient.en, patient.es",
        "Stopped: 2 errors."]
    config = project.root / "leafpress.yaml"
    config.write_text(config.read_text().replace("languages: [en, es]", "languages: [en]"))
    code, _out, err = imported(project, str(source), "--as", "patient.es")
    assert err.splitlines() == [
        "leafpress: error: --as patient.es: 'es' is not in 'languages' in leafpress.yaml, so the leaflet would not "
        "be built: add it there first", "Stopped: 1 error."]
    assert not (project.root / "content" / "iron").exists()


def test_title_and_language_from_the_document_properties(project):
    document = Document()
    document.core_properties.title = "Cuidados de la herida"
    document.core_properties.language = "es-ES"
    document.add_paragraph("Mantenga la herida seca.")
    document.add_heading("Apósitos", 1)
    document.save(project.root / "herida.docx")
    code, _out, err = imported(project, "herida.docx")
    assert code == 0, err
    assert err == ""
    text = (project.root / "content" / "herida" / "article.md").read_text(encoding="utf-8")
    assert 'title: "Cuidados de la herida"' in text and "language: es" in text
    assert 'audience_notice: "Para profesionales sanitarios."' in text  # the Spanish front matter of 'new'
    assert text.endswith("---\n\nMantenga la herida seca.\n\n## Apósitos\n")


def test_no_title_anywhere_is_a_warning(project):
    document = Document()
    document.add_paragraph("Text without a title.")
    document.save(project.root / "untitled.docx")
    code, _out, err = imported(project, "untitled.docx")
    assert code == 0, err
    assert warnings_of(err) == [
        "untitled.docx: warning: the document has no title (no Title style, no heading before the text, no title "
        "in its properties): it is called 'untitled'; set 'title' in the front matter"]


def test_endnotes_and_notes_of_several_paragraphs_become_footnotes(project):
    def notes(document):
        paragraph = document.add_paragraph("Rest for a day.")
        footnote_call(paragraph, 1, "endnote")
        paragraph.add_run(" Drink water.")
        footnote_call(paragraph, 1)
        add_footnotes(document, ["First paragraph of a note.\n\nIts second paragraph."])
        add_footnotes(document, ["An endnote."], "endnote")

    source = paragraphs_document(project.root / "notes.docx", build=notes)
    code, _out, err = imported(project, str(source))
    assert code == 0, err
    text = (project.root / "content" / "notes" / "article.md").read_text(encoding="utf-8")
    assert text.endswith("## Dosing\n\nRest for a day.[^1] Drink water.[^2]\n\n[^1]: An endnote.\n\n"
                         "[^2]: First paragraph of a note.\n\n    Its second paragraph.\n")
    code, _out, err = run("build", "content/notes", "--layout", "article")
    assert code == 0, err
    printed = pdf_text(project.root / "output" / "notes" / "article.en.pdf")
    assert "An endnote." in printed and "Its second paragraph." in printed
