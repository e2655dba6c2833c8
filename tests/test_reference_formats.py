"""The same references in every format clinicians export give the same bibliography (leafpress.cite.formats)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import errors, run
from leafpress.cite.references import format_reference, load_references

CSL_JSON = """[
  {"id": "smith2020", "type": "article-journal", "title": "A trial of études in pain",
   "container-title": "Journal of Testing", "container-title-short": "J Test",
   "volume": "10", "issue": "2", "page": "100-109", "issued": {"date-parts": [[2020, 3]]},
   "DOI": "10.1000/test.1", "PMID": "31234567",
   "author": [{"family": "Smith", "given": "Ann B."}, {"family": "Müller", "given": "József"}]},
  {"id": "who2019", "type": "report", "title": "Guidelines on pain",
   "publisher": "World Health Organization", "publisher-place": "Geneva",
   "issued": {"date-parts": [[2019]]}, "author": [{"literal": "World Health Organization"}]},
  {"id": "lee2018", "type": "book", "title": "Pain medicine", "edition": "2nd",
   "publisher": "Springer", "publisher-place": "Cham", "issued": {"date-parts": [[2018]]},
   "author": [{"family": "Lee", "given": "Chris"}]}
]
"""

ZOTERO_JSON = """[
  {"id": "http://zotero.org/users/1/items/ABCD1234", "citation-key": "smith2020", "type": "article-journal",
   "title": "A trial of études in pain", "container-title": "Journal of Testing",
   "journalAbbreviation": "J Test", "volume": "10", "issue": "2", "page": "100-109",
   "issued": {"date-parts": [["2020", "3"]]}, "DOI": "10.1000/test.1", "note": "PMID: 31234567",
   "author": [{"family": "Smith", "given": "Ann B."}, {"family": "Müller", "given": "József"}]},
  {"id": "http://zotero.org/users/1/items/EFGH5678", "citation-key": "who2019", "type": "report",
   "title": "Guidelines on pain", "publisher": "World Health Organization", "publisher-place": "Geneva",
   "issued": {"date-parts": [["2019"]]}, "author": [{"literal": "World Health Organization"}]},
  {"id": "http://zotero.org/users/1/items/IJKL9012", "citation-key": "lee2018", "type": "book",
   "title": "Pain medicine", "edition": "2nd", "publisher": "Springer", "publisher-place": "Cham",
   "issued": {"date-parts": [["2018"]]}, "author": [{"family": "Lee", "given": "Chris"}]}
]
"""

CSL_YAML = """---
references:
- id: smith2020
  type: article-journal
  title: A trial of études in pain
  container-title: Journal of Testing
  container-title-short: J Test
  volume: '10'
  issue: '2'
  page: 100-109
  issued: 2020-03
  DOI: 10.1000/test.1
  PMID: '31234567'
  author:
  - family: Smith
    given: Ann B.
  - family: Müller
    given: József
- id: who2019
  type: report
  title: Guidelines on pain
  publisher: World Health Organization
  publisher-place: Geneva
  issued: 2019
  author:
  - literal: World Health Organization
- id: lee2018
  type: book
  title: Pain medicine
  edition: 2nd
  publisher: Springer
  publisher-place: Cham
  issued:
    date-parts: [[2018]]
  author:
  - family: Lee
    given: Chris
...
"""

BIBTEX = r"""% Exported by Better BibTeX
@article{smith2020,
  author = {Smith, Ann B. and M{\"u}ller, J{\'o}zsef},
  title = {A trial of {\'e}tudes in pain},
  journal = {Journal of Testing},
  shortjournal = {J Test},
  volume = {10},
  number = {2},
  pages = {100--109},
  year = {2020},
  month = mar,
  doi = {10.1000/test.1},
  pmid = {31234567},
}

@techreport{who2019,
  author = {{World Health Organization}},
  title = {Guidelines on pain},
  institution = {World Health Organization},
  address = {Geneva},
  year = 2019,
}

@book{lee2018,
  author = {Lee, Chris},
  title = {Pain medicine},
  edition = {2nd},
  publisher = {Springer},
  location = {Cham},
  date = {2018},
}
"""

RIS = """TY  - JOUR
ID  - smith2020
AU  - Smith, Ann B.
AU  - Müller, József
TI  - A trial of études in pain
T2  - Journal of Testing
J2  - J Test
VL  - 10
IS  - 2
SP  - 100
EP  - 109
PY  - 2020
DA  - 2020/03//
DO  - 10.1000/test.1
AN  - 31234567
DB  - PubMed
ER  -

TY  - RPRT
ID  - who2019
AU  - World Health Organization
TI  - Guidelines on pain
PB  - World Health Organization
CY  - Geneva
PY  - 2019
ER  -

TY  - BOOK
ID  - lee2018
AU  - Lee, Chris
TI  - Pain medicine
ET  - 2nd
PB  - Springer
CY  - Cham
PY  - 2018
ER  -
""".replace("ER  -", "ER  - ")  # as exported, with the space after the dash

NBIB = """PMID- 31234567
OWN - NLM
STAT- MEDLINE
DP  - 2020 Mar
TI  - A trial of études in
      pain.
PG  - 100-9
LID - 10.1000/test.1 [doi]
FAU - Smith, Ann B
AU  - Smith AB
FAU - Müller, József
AU  - Müller J
LA  - eng
PT  - Journal Article
PL  - England
TA  - J Test
JT  - Journal of Testing
VI  - 10
IP  - 2
AID - 10.1000/test.1 [doi]
"""

# The entries every format must give (the MEDLINE file holds the article only: PubMed has no reports).
EXPECTED = {
    "smith2020": 'Smith AB, Müller J. A trial of études in pain. J Test. 2020 Mar;10(2):100-9. '
                 'doi:<a href="https://doi.org/10.1000/test.1">10.1000/test.1</a>. Cited in: PubMed; PMID '
                 '<a href="https://pubmed.ncbi.nlm.nih.gov/31234567/">31234567</a>.',
    "who2019": "World Health Organization. Guidelines on pain. Geneva: World Health Organization; 2019.",
    "lee2018": "Lee C. Pain medicine. 2nd ed. Cham: Springer; 2018.",
}


def _formatted(path: Path) -> dict[str, str]:
    library, problems = load_references(path)
    assert [str(p) for p in problems if p.is_error] == []
    return {key: str(format_reference(ref)) for key, ref in library.references.items()}


@pytest.mark.parametrize("name, text", [
    ("references.json", CSL_JSON), ("zotero.json", ZOTERO_JSON), ("references.yaml", CSL_YAML),
    ("references.bib", BIBTEX), ("references.ris", RIS), ("unnamed.txt", BIBTEX), ("refs", RIS)])
def test_every_format_gives_the_same_bibliography(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert _formatted(path) == EXPECTED


@pytest.mark.parametrize("name", ["pubmed.nbib", "pubmed-export.txt"])
def test_pubmed_medline_is_keyed_by_pmid(tmp_path, name):
    path = tmp_path / name
    path.write_text(NBIB, encoding="utf-8")
    assert _formatted(path) == {"pmid31234567": EXPECTED["smith2020"]}


def test_bibtex_names_accents_and_fields(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(r"""@string{jt = "Journal of Testing"}
@inbook{chap,
  author = {van Beethoven, Ludwig and {\O}rsted, Hans and others},
  editor = {Doe, Jane},
  title = {Na{\"i}ve pain --- a chapter},
  booktitle = {The {Book}},
  pages = {5--19},
  publisher = {Press},
  address = {London},
  year = {2001},
}
@online{web,
  title = {A page},
  url = {https://example.org/a_b%20c},
  urldate = {2024-06-03},
  date = {2023-02-01},
}
@article{art, title = {X}, journaltitle = jt, year = {1999}, number = {4}, eprinttype = {pubmed}, eprint = {123}}
""", encoding="utf-8")
    library, problems = load_references(path)
    assert [str(p) for p in problems] == []
    chapter = library["chap"].csl
    assert chapter["author"] == [{"given": "Ludwig", "non-dropping-particle": "van", "family": "Beethoven"},
                                 {"given": "Hans", "family": "Ørsted"}, {"literal": "et al."}]
    assert chapter["editor"] == [{"given": "Jane", "family": "Doe"}]
    assert (chapter["type"], chapter["title"], chapter["container-title"], chapter["page"]) == (
        "chapter", "Naïve pain — a chapter", "The Book", "5-19")
    web = library["web"].csl
    assert (web["type"], web["URL"], web["accessed"], web["issued"]) == (
        "webpage", "https://example.org/a_b%20c", {"date-parts": [[2024, 6, 3]]}, {"date-parts": [[2023, 2, 1]]})
    article = library["art"].csl
    assert (article["container-title"], article["issue"], article["PMID"]) == ("Journal of Testing", "4", "123")
    assert library["chap"].line == 2 and library["art"].line == 18


def test_ris_keys_are_generated_from_author_and_year(tmp_path):
    path = tmp_path / "refs.ris"
    record = "TY  - JOUR\nAU  - {author}\nTI  - {title}\nPY  - 2020\nER  - \n\n"
    path.write_text(record.format(author="Müller, Anna", title="One") + record.format(author="Müller, Bo", title="Two")
                    + record.format(author="Jones, C", title="Three"), encoding="utf-8")
    library, problems = load_references(path)
    assert problems == []
    assert {key: (ref.csl["title"], ref.line) for key, ref in library.references.items()} == {
        "muller2020a": ("One", 1), "muller2020b": ("Two", 7), "jones2020": ("Three", 13)}


def test_zotero_items_without_citation_key_get_generated_keys(tmp_path):
    path = tmp_path / "zotero.json"
    path.write_text('[{"id": "http://zotero.org/users/1/items/X", "type": "book", "title": "T",\n'
                    ' "author": [{"family": "Lee", "given": "C"}], "issued": {"date-parts": [[2018]]}}]',
                    encoding="utf-8")
    library, problems = load_references(path)
    assert problems == []
    assert list(library.references) == ["lee2018"] and library["lee2018"].line == 1


@pytest.mark.parametrize("name, text, expected", [
    ("refs.bib", "@article{good, title={A}, year={2020}}\n@article{bad, title = {B}\n@book{ok, title={C}, year=2001}\n",
     ["refs.bib:2: error: malformed BibTeX entry '@article{bad, title = {B}': check its braces, quotes and the commas "
      "between fields; export it again"]),
    ("refs.bib", "@article{a, title={A}, year={2020}}\n@article{a, title={B}, year={2021}}\n",
     ["refs.bib:2: error: reference key 'a' is used twice: make the keys unique"]),
    ("refs.bib", "@article{a, title={A}}\n@article{b, year={2020}}\n",
     ["refs.bib:1: error: reference 'a' has no year: add the date it was published ('year' or 'date')",
      "refs.bib:2: error: reference 'b' has no 'title'"]),
    ("refs.ris", "TY  - JOUR\nTI  - A\nPY  - 2020\nTY  - JOUR\nTI  - B\nPY  - 2021\nER  - \n",
     ["refs.ris:1: error: RIS record has no end: add an 'ER  - ' line before the next 'TY  - ' line"]),
    ("refs.ris", "TY  - JOUR\nID  - a\nTI  - A\nER  - \n",
     ["refs.ris:1: error: reference 'a' has no year: add the date it was published ('PY')"]),
    ("refs.ris", "Hello\n", ["refs.ris:1: error: not RIS: 'Hello' is outside a record (records start with "
                             "'TY  - ' and end with 'ER  - '); export the references again"]),
    ("refs.nbib", "PMID- 1\nTI  - A\n\nPMID- 2\nDP  - 2020\n",
     ["refs.nbib:1: error: reference 'pmid1' has no year: add the date it was published ('DP')",
      "refs.nbib:4: error: reference 'pmid2' has no 'title'"]),
    ("refs.nbib", "PMID- 1\nnot a tag\n", ["refs.nbib:2: error: not MEDLINE: 'not a tag' is not a 'TAG - value' "
                                           "line; save the citations from PubMed again in PubMed (MEDLINE) format"]),
    ("refs.yaml", "references:\n- id: a\n  title: A\n- id: a\n  title: B\n",
     ["refs.yaml:4: error: reference id 'a' is used twice (first on line 2): make the ids unique"]),
    ("refs.yaml", "references: [\n", None),
])
def test_bad_files_give_their_line(tmp_path, monkeypatch, name, text, expected):
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(text, encoding="utf-8")
    library, problems = load_references(Path(name))
    found = [str(p) for p in problems if p.is_error]
    if expected is None:
        assert len(found) == 1 and found[0].startswith(f"{name}:2: error: invalid YAML")
    else:
        assert found == expected
    if name == "refs.bib" and "good" in text:  # the entries around a malformed one are kept
        assert list(library.references) == ["good", "ok"]


FRONT = """title: Test topic
short_title: Test
language: en
audience: professionals
audience_notice: For healthcare professionals.
summary: A small test article.
authors: [{name: Ana Test}]
reviewers: [{name: Test Clinic}]
publisher: Test Clinic
version: "1.0"
published: 2026-01-15
review_date: 2027-01-15
"""


def test_build_with_a_bibtex_bibliography(project):
    article = project.topic("t", body="Pain [@smith2020]; guidance [@who2019; @lee2018].\n", references=None,
                            front_matter=FRONT + "bibliography: refs.bib\n")
    (article.parent / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    code, _, stderr = run("build", "content/t")
    assert code == 0, stderr
    assert errors(stderr) == []
    from leafpress.source.document import Document, load_document

    document = load_document(article)
    assert isinstance(document, Document)
    assert [str(entry.html) for entry in document.bibliography] == [
        EXPECTED["smith2020"], EXPECTED["who2019"], EXPECTED["lee2018"]]


def test_bibliography_of_several_files_and_a_duplicate_key(project):
    article = project.topic("t", body="Pain [@smith2020; @lee2018].\n", references=None,
                            front_matter=FRONT + "bibliography:\n  - refs.bib\n  - more.ris\n")
    (article.parent / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    (article.parent / "more.ris").write_text(RIS, encoding="utf-8")
    code, _, stderr = run("build", "content/t")
    assert code != 0
    assert errors(stderr) == [
        "content/t/more.ris:1: error: reference key 'smith2020' is also in refs.bib line 2: keep one of them or "
        "rename one key",
        "content/t/more.ris:19: error: reference key 'who2019' is also in refs.bib line 16: keep one of them or "
        "rename one key",
        "content/t/more.ris:28: error: reference key 'lee2018' is also in refs.bib line 24: keep one of them or "
        "rename one key"]


def test_a_file_named_twice_in_bibliography_is_read_once(project):
    article = project.topic("t", body="Pain [@smith2020; @lee2018].\n", references=None,
                            front_matter=FRONT + "bibliography:\n  - refs.bib\n  - ./refs.bib\n")
    (article.parent / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    code, _, stderr = run("build", "content/t", "--layout", "article")
    assert code == 0, stderr
    assert errors(stderr) == []  # not every key "also in refs.bib" itself
    assert "content/t/article.md:16: warning: 'bibliography' names './refs.bib' twice: remove one" in stderr


def test_references_and_bibliography_together_are_refused(project):
    article = project.topic("t", references=None,
                            front_matter=FRONT + "references: refs.json\nbibliography: refs.bib\n")
    (article.parent / "refs.bib").write_text(BIBTEX, encoding="utf-8")
    code, _, stderr = run("build", "content/t")
    assert code != 0
    assert errors(stderr) == [
        "content/t/article.md:15: error: write the reference files in 'bibliography' or in 'references', not both: "
        "remove 'references'"]


def test_a_bibtex_entry_with_thousands_of_authors_is_read_quickly(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@article{a, title={X}, year=2020, author={" + " and ".join(["Smith, A"] * 20_000) + "}}\n",
                    encoding="utf-8")
    library, problems = load_references(path)
    assert problems == []
    assert len(library["a"].csl["author"]) == 101 and library["a"].csl["author"][-1] == {"literal": "et al."}
