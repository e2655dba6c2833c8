"""Bibliography entries of every common type against NLM *Citing Medicine*, 2nd ed.

Each case is one of the book's own examples where it has one (chapter and example
named in the comment), written as the CSL-JSON a reference manager exports; the
entry is compared as plain text, the links having been checked separately.
As the book does, a DOI ends with a full stop ("doi:10.1542/peds.2004-1441.") and a
URL does not, unless it ends with a slash ("Available from: http://www.cancer-pain.org/.");
the full stop is outside the link.
Cases marked "Verified" were compared word for word with NLM's published text; the rest
follow the book's examples from memory and have not been checked against it.
"""

from __future__ import annotations

import html
import re

import pytest

from leafpress.cite.references import SUPPORTED_TYPES, Reference, format_reference
from leafpress.cite.vancouver import format_edition, format_names


def entry(document_language: str = "en", /, **csl) -> str:
    """The entry as plain text; ``document_language`` is the leaflet's, ``language`` in ``csl`` the source's."""
    csl.setdefault("id", "key")
    return html.unescape(re.sub(r"<[^>]+>", "", str(format_reference(Reference("key", 1, csl), document_language))))


def person(family: str, given: str, **more: str) -> dict[str, str]:
    return {"family": family, "given": given, **more}


def date(*parts: int) -> dict[str, list[list[int]]]:
    return {"date-parts": [list(parts)]}


def date_range(first: list[int], last: list[int]) -> dict[str, list[list[int]]]:
    return {"date-parts": [first, last]}


# --- Chapter 1, journal articles ---------------------------------------------------

def journal(**csl):
    return {"type": "article-journal", **csl}


def test_standard_journal_article():
    # Verified: Citing Medicine, chapter 1 (https://www.ncbi.nlm.nih.gov/books/NBK7282/), example 1
    assert entry(**journal(
        author=[person("Petitti", "Diana B."), person("Crooks", "V. C."), person("Buckwalter", "J G"),
                person("Chiu", "V")],
        title="Blood pressure levels before dementia", **{"container-title": "Arch Neurol"},
        issued=date(2005, 1), volume="62", issue="1", page="112-116")) == (
        "Petitti DB, Crooks VC, Buckwalter JG, Chiu V. Blood pressure levels before dementia. "
        "Arch Neurol. 2005 Jan;62(1):112-6.")


def test_more_than_six_authors_list_six_then_et_al():
    # Verified: NLM, Samples of Formatted References for Authors of Journal Articles
    # (https://www.nlm.nih.gov/bsd/uniform_requirements.html), item 1, "List the first six authors"
    authors = [person(f, g) for f, g in (("Rose", "ME"), ("Huerbin", "MB"), ("Melick", "J"), ("Marion", "DW"),
                                         ("Palmer", "AM"), ("Schiding", "JK"), ("Kochanek", "PM"),
                                         ("Graham", "SH"))]
    assert entry(**journal(
        author=authors, title="Regulation of interstitial excitatory amino acid concentrations after cortical "
        "contusion injury", **{"container-title": "Brain Res"}, issued=date(2002), volume="935", issue="1-2",
        page="40-46")) == (
        "Rose ME, Huerbin MB, Melick J, Marion DW, Palmer AM, Schiding JK, et al. Regulation of interstitial "
        "excitatory amino acid concentrations after cortical contusion injury. Brain Res. 2002;935(1-2):40-6.")


# Verified word for word against NLM's published examples; the comment names the source.
# Chapter 1 is Citing Medicine, chapter 1 (https://www.ncbi.nlm.nih.gov/books/NBK7282/); "Samples" is NLM's
# Samples of Formatted References for Authors of Journal Articles (https://www.nlm.nih.gov/bsd/uniform_requirements.html).
@pytest.mark.parametrize("csl, printed", [
    (journal(author=[person("Halpern", "S. D."), person("Ubel", "P. A."), person("Caplan", "A. L.")],
             title="Solid-organ transplantation in HIV-infected patients", **{"container-title": "N Engl J Med"},
             issued=date(2002, 7, 25), volume="347", issue="4", page="284-287"),
     # Samples, item 1: standard journal article
     "Halpern SD, Ubel PA, Caplan AL. Solid-organ transplantation in HIV-infected patients. N Engl J Med. "
     "2002 Jul 25;347(4):284-7."),
    (journal(author=[person("Meneton", "P"), person("Jeunemaitre", "X"),
                     {"non-dropping-particle": "de", "family": "Wardener", "given": "H. E."},
                     person("MacGregor", "G. A.")],
             title="Links between dietary salt intake, renal salt handling, blood pressure, and cardiovascular "
             "diseases", **{"container-title": "Physiol Rev"}, issued=date(2005, 4), volume="85", issue="2",
             page="679-715"),
     # Chapter 1, example 1 (third citation): a lower-case particle
     "Meneton P, Jeunemaitre X, de Wardener HE, MacGregor GA. Links between dietary salt intake, renal salt "
     "handling, blood pressure, and cardiovascular diseases. Physiol Rev. 2005 Apr;85(2):679-715."),
    (journal(author=[{"literal": "Parkinson Study Group"}],
             title="A randomized placebo-controlled trial of rasagiline in levodopa-treated patients with Parkinson "
             "disease and motor fluctuations: the PRESTO study", **{"container-title": "Arch Neurol"},
             issued=date(2005, 2), volume="62", issue="2", page="241-248"),
     # Chapter 1, example 4: organization as author
     "Parkinson Study Group. A randomized placebo-controlled trial of rasagiline in levodopa-treated patients "
     "with Parkinson disease and motor fluctuations: the PRESTO study. Arch Neurol. 2005 Feb;62(2):241-8."),
    (journal(author=[person("Bhutta", "Z. A."), person("Darmstadt", "G. L."), person("Hasan", "B. S."),
                     person("Haws", "R. A.")],
             title="Community-based interventions for improving perinatal and neonatal health outcomes in "
             "developing countries: a review of the evidence", **{"container-title": "Pediatrics"},
             issued=date(2005, 2), volume="115", issue="2 Suppl", page="519-617", DOI="10.1542/peds.2004-1441"),
     # Chapter 1, example 71: DOI provided
     "Bhutta ZA, Darmstadt GL, Hasan BS, Haws RA. Community-based interventions for improving perinatal and "
     "neonatal health outcomes in developing countries: a review of the evidence. Pediatrics. "
     "2005 Feb;115(2 Suppl):519-617. doi:10.1542/peds.2004-1441."),
])
def test_nlm_published_journal_examples(csl, printed):
    assert entry(**csl) == printed


def test_organization_as_author():  # 1, organization as author
    assert entry(**journal(
        author=[{"literal": "Diabetes Prevention Program Research Group"}],
        title="Hypertension, insulin, and proinsulin in participants with impaired glucose tolerance",
        **{"container-title": "Hypertension"}, issued=date(2002), volume="40", issue="5", page="679-686")) == (
        "Diabetes Prevention Program Research Group. Hypertension, insulin, and proinsulin in participants "
        "with impaired glucose tolerance. Hypertension. 2002;40(5):679-86.")


def test_persons_and_an_organization_are_joined_with_a_semicolon():  # 1, authors and organization as author
    assert entry(**journal(
        author=[person("Vallancien", "G"), person("Emberton", "M"), person("Harving", "N"),
                {"non-dropping-particle": "van", "family": "Moorselaar", "given": "R. J."},
                {"literal": "Alf-One Study Group"}],
        title="Sexual dysfunction in 1,274 European men suffering from lower urinary tract symptoms",
        **{"container-title": "J Urol"}, issued=date(2003), volume="169", issue="6", page="2257-2261")) == (
        "Vallancien G, Emberton M, Harving N, van Moorselaar RJ; Alf-One Study Group. Sexual dysfunction in "
        "1,274 European men suffering from lower urinary tract symptoms. J Urol. 2003;169(6):2257-61.")


def test_more_than_six_persons_and_a_group():
    authors = [person(f"Author{n}", "B") for n in range(1, 9)] + [{"literal": "Study Group"}]
    assert entry(**journal(author=authors, title="T", **{"container-title": "J X"}, issued=date(2020))) == (
        "Author1 B, Author2 B, Author3 B, Author4 B, Author5 B, Author6 B, et al.; Study Group. T. J X. 2020.")


def test_a_group_written_before_the_persons_stays_first():
    assert format_names([{"literal": "Study Group"}, person("Smith", "A"), person("Jones", "B")]) == (
        "Study Group; Smith A, Jones B")


@pytest.mark.parametrize("name, printed", [
    ({"family": "Beethoven", "dropping-particle": "van", "given": "Ludwig"}, "van Beethoven L"),
    ({"family": "Hilten", "non-dropping-particle": "van", "given": "J. J."}, "van Hilten JJ"),
    ({"family": "Rivera", "given": "Juan", "suffix": "Jr."}, "Rivera J Jr"),
    ({"family": "Gilstrap", "given": "Larry C.", "suffix": "III"}, "Gilstrap LC 3rd"),  # 1, "3rd" not "III"
])
def test_particles_and_suffixes(name, printed):
    assert format_names([name]) == printed


def test_ahead_of_print_with_doi():  # 1, article published electronically ahead of print
    assert entry(**journal(
        author=[person("Laux", "M")], title="Early outcomes", **{"container-title": "J Antimicrob Chemother"},
        issued=date(2019, 1, 17), DOI="10.1093/jac/dky542")) == (
        "Laux M. Early outcomes. J Antimicrob Chemother. 2019 Jan 17 [Epub ahead of print]. "
        "doi:10.1093/jac/dky542.")


def test_volume_with_supplement_keeps_the_letter_of_the_pages():  # 1, volume with supplement
    assert entry(**journal(
        author=[person("Geraud", "G"), person("Spierings", "E. L."), person("Keywood", "C")],
        title="Tolerability and safety of frovatriptan with short- and long-term use for treatment of migraine "
        "and in comparison with sumatriptan", **{"container-title": "Headache"}, issued=date(2002),
        volume="42", issue="Suppl 2", page="S93-S99")) == (
        "Geraud G, Spierings EL, Keywood C. Tolerability and safety of frovatriptan with short- and long-term use "
        "for treatment of migraine and in comparison with sumatriptan. Headache. 2002;42 Suppl 2:S93-9.")


@pytest.mark.parametrize("issue", ["12 Suppl 7", "12 Suppl. 7", "12(Suppl 7)"])
def test_issue_with_supplement(issue):  # 1, issue with supplement
    assert entry(**journal(
        author=[person("Glauser", "T. A.")], title="Integrating clinical trial data into clinical practice",
        **{"container-title": "Neurology"}, issued=date(2002), volume="58", issue=issue, page="S6-S12")) == (
        "Glauser TA. Integrating clinical trial data into clinical practice. Neurology. 2002;58(12 Suppl 7):S6-12.")


def test_supplement_number_field():
    assert entry(**journal(title="T", **{"container-title": "J X", "supplement-number": "1"}, issued=date(2020),
                           volume="3", page="S3-S14")) == "T. J X. 2020;3 Suppl 1:S3-14."


@pytest.mark.parametrize("issued, printed", [
    (date_range([2020, 1], [2020, 2]), "2020 Jan-Feb"),  # 1, date of publication: a range of months
    (date_range([2019, 12], [2020, 1]), "2019 Dec-2020 Jan"),
    (date_range([2020, 4, 3], [2020, 4, 5]), "2020 Apr 3-5"),
])
def test_date_ranges(issued, printed):
    assert entry(**journal(title="T", **{"container-title": "J X"}, issued=issued, volume="9", issue="1")) == (
        f"T. J X. {printed};9(1).")


@pytest.mark.parametrize("field", ["number", "article-number"])
def test_article_number_stands_for_the_pages(field):  # 1, article with an e-locator in place of pages
    assert entry(**journal(title="Sodium intake", **{"container-title": "J Am Heart Assoc", field: "e014000"},
                           issued=date(2020), volume="9", issue="3")) == (
        "Sodium intake. J Am Heart Assoc. 2020;9(3):e014000.")


@pytest.mark.parametrize("language_field, note", [("no", "Norwegian."), ("es-ES", "Spanish."),
                                                  ("Spanish", "Spanish."), ("spa", "Spanish."),
                                                  ("en-GB", ""), ("English", "")])
def test_language_other_than_english_is_named(language_field, note):  # 1, article in a language other than English
    printed = entry(**journal(
        author=[person("Ellingsen", "AE"), person("Wilhelmsen", "I")],
        title="Sykdomsangst blant medisin- og jusstudenter", **{"container-title": "Tidsskr Nor Laegeforen"},
        issued=date(2002), volume="122", issue="8", page="785-787", language=language_field))
    assert printed == ("Ellingsen AE, Wilhelmsen I. Sykdomsangst blant medisin- og jusstudenter. "
                       f"Tidsskr Nor Laegeforen. 2002;122(8):785-7. {note}").strip()


def test_pmid_and_pmcid_are_linked():
    markup = str(format_reference(Reference("key", 1, journal(
        title="T", **{"container-title": "J X"}, issued=date(2020), volume="1", page="1-5",
        PMID="31234567", PMCID="7654321"))))
    # Citing Medicine 1, example 70: "Cited in: PubMed; PMID 15867408."
    assert markup == ('T. J X. 2020;1:1-5. Cited in: PubMed; '
                      'PMID <a href="https://pubmed.ncbi.nlm.nih.gov/31234567/">31234567</a>; '
                      'PMCID <a href="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/">PMC7654321</a>.')


# --- Chapter 2, books and chapters ---------------------------------------------------

def test_book_with_author_and_edition():  # 2, example: book with edition
    assert entry(type="book", author=[person("Riffenburgh", "R. H.")], title="Statistics in medicine",
                 edition="2", **{"publisher-place": "Amsterdam (Netherlands)"}, publisher="Elsevier Academic Press",
                 issued=date(2006)) == (
        "Riffenburgh RH. Statistics in medicine. 2nd ed. Amsterdam (Netherlands): Elsevier Academic Press; 2006.")


def test_book_with_editors():  # 2, editors as authors
    assert entry(type="book", editor=[person("Gilstrap", "Larry C.", suffix="III"), person("Cunningham", "F. G."),
                                      person("VanDorsten", "J. P.")],
                 title="Operative obstetrics", edition="2nd", **{"publisher-place": "New York"},
                 publisher="McGraw-Hill", issued=date(2002)) == (
        "Gilstrap LC 3rd, Cunningham FG, VanDorsten JP, editors. Operative obstetrics. 2nd ed. New York: "
        "McGraw-Hill; 2002.")


def test_book_with_author_and_editor():  # 2, author(s) and editor(s): the editor follows title and edition
    assert entry(type="book", author=[person("Breedlove", "G. K."), person("Schorfheide", "A. M.")],
                 editor=[person("Wieczorek", "R. R.")], title="Adolescent pregnancy", edition="2",
                 **{"publisher-place": "White Plains (NY)"}, publisher="March of Dimes Education Services",
                 issued=date(2001)) == (
        "Breedlove GK, Schorfheide AM. Adolescent pregnancy. 2nd ed. Wieczorek RR, editor. White Plains (NY): "
        "March of Dimes Education Services; 2001.")


@pytest.mark.parametrize("edition, printed", [("2", "2nd ed."), ("3rd", "3rd ed."), ("11", "11th ed."),
                                              ("21", "21st ed."), ("1", ""), ("Rev. ed.", "Rev. ed."),
                                              ("Revised", "Revised ed.")])
def test_editions(edition, printed):
    assert format_edition(edition) == printed


def test_chapter_in_an_edited_book():  # 2, contribution to a book
    assert entry(type="chapter", author=[person("Meltzer", "P. S."), person("Kallioniemi", "A"),
                                         person("Trent", "J. M.")],
                 title="Chromosome alterations in human solid tumors",
                 editor=[person("Vogelstein", "B"), person("Kinzler", "K. W.")],
                 **{"container-title": "The genetic basis of human cancer", "publisher-place": "New York"},
                 publisher="McGraw-Hill", issued=date(2002), page="93-113") == (
        "Meltzer PS, Kallioniemi A, Trent JM. Chromosome alterations in human solid tumors. In: Vogelstein B, "
        "Kinzler KW, editors. The genetic basis of human cancer. New York: McGraw-Hill; 2002. p. 93-113.")


def test_chapter_with_edition():
    assert entry(type="chapter", author=[person("Author", "A")], title="Chapter",
                 editor=[person("Editor", "A"), person("Other", "B")], edition="2",
                 **{"container-title": "Book", "publisher-place": "Place"}, publisher="Publisher",
                 issued=date(2019), page="33-44") == (
        "Author A. Chapter. In: Editor A, Other B, editors. Book. 2nd ed. Place: Publisher; 2019. p. 33-44.")


# --- Chapters 3-5, conference papers, reports, theses -----------------------------

def test_conference_paper():  # 3, conference paper in published proceedings
    assert entry(type="paper-conference", author=[person("Christensen", "S"), person("Oppacher", "F")],
                 title="An analysis of Koza's computational effort statistic for genetic programming",
                 editor=[person("Foster", "J. A."), person("Lutton", "E"), person("Miller", "J"),
                         person("Ryan", "C"), person("Tettamanzi", "A. G.")],
                 **{"container-title": "Genetic programming",
                    "event-title": "EuroGP 2002: Proceedings of the 5th European Conference on Genetic Programming",
                    "event-date": date_range([2002, 4, 3], [2002, 4, 5]), "event-place": "Kinsdale, Ireland",
                    "publisher-place": "Berlin"},
                 publisher="Springer", issued=date(2002), page="182-191") == (
        "Christensen S, Oppacher F. An analysis of Koza's computational effort statistic for genetic "
        "programming. In: Foster JA, Lutton E, Miller J, Ryan C, Tettamanzi AG, editors. Genetic programming. "
        "EuroGP 2002: Proceedings of the 5th European Conference on Genetic Programming; 2002 Apr 3-5; "
        "Kinsdale, Ireland. Berlin: Springer; 2002. p. 182-91.")


def test_report_with_number():  # 4, technical report
    assert entry(type="report", author=[person("Page", "E"), person("Harney", "J. M.")],
                 title="Health hazard evaluation report", **{"publisher-place": "Cincinnati (OH)"},
                 publisher="National Institute for Occupational Safety and Health (US)", issued=date(2001, 2),
                 number="HETA2000-0139-2824") == (
        "Page E, Harney JM. Health hazard evaluation report. Cincinnati (OH): National Institute for "
        "Occupational Safety and Health (US); 2001 Feb. Report No.: HETA2000-0139-2824.")


def test_dissertation():  # 5, dissertation
    assert entry(type="thesis", genre="PhD dissertation", author=[person("Borkowski", "M. M.")],
                 title="Infant sleep and feeding: a telephone survey of Hispanic Americans",
                 **{"publisher-place": "Mount Pleasant (MI)"}, publisher="Central Michigan University",
                 issued=date(2002)) == (
        "Borkowski MM. Infant sleep and feeding: a telephone survey of Hispanic Americans [dissertation]. "
        "Mount Pleasant (MI): Central Michigan University; 2002.")


@pytest.mark.parametrize("genre", ["Master's thesis", "MSc thesis", "M.Sc. thesis", "MA thesis"])
def test_masters_thesis(genre):  # 5, master's thesis
    assert entry(type="thesis", genre=genre, author=[person("Roguskie", "J. M.")],
                 title="The role of Pseudomonas aeruginosa 1244 pilin glycan in virulence",
                 **{"publisher-place": "Pittsburgh (PA)"}, publisher="Duquesne University", issued=date(2005)) == (
        "Roguskie JM. The role of Pseudomonas aeruginosa 1244 pilin glycan in virulence [master's thesis]. "
        "Pittsburgh (PA): Duquesne University; 2005.")


# --- Chapters 16, 19, 25: on the Internet -----------------------------------------

def test_web_page():  # 25, homepage
    assert entry(type="webpage", title="Cancer-Pain.org", **{"publisher-place": "New York"},
                 publisher="Association of Cancer Online Resources, Inc.", issued=date(2000),
                 accessed=date(2002, 7, 9), URL="http://www.cancer-pain.org/") == (
        "Cancer-Pain.org [Internet]. New York: Association of Cancer Online Resources, Inc.; 2000 "
        "[cited 2002 Jul 9]. Available from: http://www.cancer-pain.org/.")


def test_book_on_the_internet():  # 16, book on the Internet
    assert entry(type="book", editor=[person("Foley", "K. M."), person("Gelband", "H")],
                 title="Improving palliative care for cancer", **{"publisher-place": "Washington"},
                 publisher="National Academy Press", issued=date(2001), accessed=date(2002, 7, 9),
                 URL="http://www.nap.edu/books/0309074029/html/") == (
        "Foley KM, Gelband H, editors. Improving palliative care for cancer [Internet]. Washington: National "
        "Academy Press; 2001 [cited 2002 Jul 9]. Available from: http://www.nap.edu/books/0309074029/html/.")


def test_report_on_the_internet():  # 18, report on the Internet
    assert entry(type="report", author=[{"literal": "World Health Organization"}],
                 title="Global tuberculosis report 2023", **{"publisher-place": "Geneva"}, publisher="WHO",
                 issued=date(2023), number="WHO/UCN/TB/2023.7", accessed=date(2024, 3, 5),
                 URL="https://www.who.int/publications/i/item/9789240083851") == (
        "World Health Organization. Global tuberculosis report 2023 [Internet]. Geneva: WHO; 2023 "
        "[cited 2024 Mar 5]. Report No.: WHO/UCN/TB/2023.7. "
        "Available from: https://www.who.int/publications/i/item/9789240083851")


def test_dissertation_on_the_internet():  # 19, dissertation on the Internet
    assert entry(type="thesis", genre="Dissertation", author=[person("Lutz", "M. W.")], title="Ultrasound",
                 **{"publisher-place": "Ann Arbor (MI)"}, publisher="University of Michigan", issued=date(2003),
                 accessed=date(2006, 3, 6), URL="https://example.org/lutz") == (
        "Lutz MW. Ultrasound [dissertation on the Internet]. Ann Arbor (MI): University of Michigan; 2003 "
        "[cited 2006 Mar 6]. Available from: https://example.org/lutz")


@pytest.mark.parametrize("extra, printed", [
    ({"DOI": "10.5281/zenodo.1234"}, "Smith A. Trial data [dataset]. Zenodo; 2021. doi:10.5281/zenodo.1234."),
    ({"URL": "https://example.org/d", "accessed": date(2024, 3, 5)},
     "Smith A. Trial data [dataset on the Internet]. Zenodo; 2021 [cited 2024 Mar 5]. "
     "Available from: https://example.org/d"),
])
def test_dataset(extra, printed):
    assert entry(type="dataset", author=[person("Smith", "A")], title="Trial data", publisher="Zenodo",
                 issued=date(2021), **extra) == printed


def test_journal_article_on_the_internet():  # 23, journal article on the Internet (Samples, item 36)
    # The book's "[about 1 p.]" is an extent estimated by hand; given as the pages, it is printed as written.
    assert entry(**journal(author=[person("Abood", "S")],
                           title="Quality improvement initiative in nursing homes: the ANA acts in an advisory role",
                           **{"container-title": "Am J Nurs"}, issued=date(2002, 6), accessed=date(2002, 8, 12),
                           volume="102", issue="6", page="[about 1 p.]",
                           URL="http://www.nursingworld.org/AJN/2002/june/Wawatch.htmArticle")) == (
        "Abood S. Quality improvement initiative in nursing homes: the ANA acts in an advisory role. "
        "Am J Nurs [Internet]. 2002 Jun [cited 2002 Aug 12];102(6):[about 1 p.]. "
        "Available from: http://www.nursingworld.org/AJN/2002/june/Wawatch.htmArticle")


def test_article_with_e_locator_and_doi():  # 1, e-locator in place of pages, DOI (Samples, item 1 with DOI)
    # The Samples page prints "doi: 10.1136/bmj.a2752." with a space; chapter 1, example 71 has none.
    assert entry(**journal(author=[person(f, g) for f, g in (("Zhang", "M"), ("Holman", "C. D."), ("Price", "S. D."),
                                                             ("Sanfilippo", "F. M."), ("Preen", "D. B."),
                                                             ("Bulsara", "M. K."))],
                           title="Comorbidity and repeat admission to hospital for adverse drug reactions in older "
                           "adults: retrospective cohort study", **{"container-title": "BMJ"},
                           issued=date(2009, 1, 7), volume="338", page="a2752", DOI="10.1136/bmj.a2752")) == (
        "Zhang M, Holman CD, Price SD, Sanfilippo FM, Preen DB, Bulsara MK. Comorbidity and repeat admission to "
        "hospital for adverse drug reactions in older adults: retrospective cohort study. BMJ. 2009 Jan 7;338:a2752. "
        "doi:10.1136/bmj.a2752.")


def test_article_found_in_pubmed():  # Verified: chapter 1, example 70
    assert entry(**journal(author=[person("Amalberti", "R"), person("Auroy", "Y"), person("Berwick", "D"),
                                   person("Barach", "P")],
                           title="Five system barriers to achieving ultrasafe health care",
                           **{"container-title": "Ann Intern Med"}, issued=date(2005, 5, 3), volume="142",
                           issue="9", page="756-764", PMID="15867408")) == (
        "Amalberti R, Auroy Y, Berwick D, Barach P. Five system barriers to achieving ultrasafe health care. "
        "Ann Intern Med. 2005 May 3;142(9):756-64. Cited in: PubMed; PMID 15867408.")


def test_conference_proceedings_as_a_whole():  # 3, entire proceedings (Samples, item 27)
    assert entry(type="book", editor=[person("Harnden", "P"), person("Joffe", "J. K."), person("Jones", "W. G.")],
                 title="Germ cell tumours V",
                 **{"event-title": "Proceedings of the 5th Germ Cell Tumour Conference",
                    "event-date": date_range([2001, 9, 13], [2001, 9, 15]), "event-place": "Leeds, UK",
                    "publisher-place": "New York"}, publisher="Springer", issued=date(2002)) == (
        "Harnden P, Joffe JK, Jones WG, editors. Germ cell tumours V. Proceedings of the 5th Germ Cell Tumour "
        "Conference; 2001 Sep 13-15; Leeds, UK. New York: Springer; 2002.")


def test_report_names_its_kind():  # 4, scientific or technical report (Samples, item 29)
    assert entry(type="report", author=[person("Yen", "G. G.")], title="Health monitoring on vibration signatures",
                 genre="Final report", **{"publisher-place": "Arlington (VA)"},
                 publisher="Air Force Office of Scientific Research (US), Air Force Research Laboratory",
                 issued=date(2002, 2), number="AFRLSRBLTR020123") == (
        "Yen GG. Health monitoring on vibration signatures. Final report. Arlington (VA): Air Force Office of "
        "Scientific Research (US), Air Force Research Laboratory; 2002 Feb. Report No.: AFRLSRBLTR020123.")


def test_newspaper_article():  # 5, newspaper article (Samples, item 33)
    assert entry(type="article-newspaper", author=[person("Tynan", "T")],
                 title="Medical improvements lower homicide rate: study sees drop in assault rate",
                 **{"container-title": "The Washington Post"}, issued=date(2002, 8, 12), section="A",
                 page="2 (col. 4)") == (
        "Tynan T. Medical improvements lower homicide rate: study sees drop in assault rate. The Washington Post. "
        "2002 Aug 12;Sect. A:2 (col. 4).")


def test_magazine_article_is_set_as_a_journal_article():  # 1: "magazines and other types of periodicals"
    assert entry(type="article-magazine", author=[{"literal": "American Diabetes Association"}],
                 title="Diabetes update", **{"container-title": "Nursing"}, issued=date(2003, 11), volume="33",
                 page="19-20") == "American Diabetes Association. Diabetes update. Nursing. 2003 Nov;33:19-20."


# --- Chapter 10, legal material -----------------------------------------------------

def test_public_law():  # 10, federal statute (public law)
    assert entry(type="legislation", title="Veterans Hearing Loss Compensation Act of 2002",
                 number="Pub. L. No. 107-9", volume="115", **{"container-title": "Stat."}, page="11",
                 issued=date(2001, 5, 24)) == (
        "Veterans Hearing Loss Compensation Act of 2002, Pub. L. No. 107-9, 115 Stat. 11 (May 24, 2001).")


def test_regulation():  # 10, federal regulation
    assert entry(type="regulation", title="Informed consent", volume="21", **{"container-title": "C.F.R."},
                 section="Sect. 50.20", issued=date(2005)) == "Informed consent, 21 C.F.R. Sect. 50.20 (2005)."


def test_court_case():  # 10, court case
    assert entry(type="legal_case", title="Roe v. Wade", volume="410", **{"container-title": "U.S."}, page="113",
                 issued=date(1973)) == "Roe v. Wade, 410 U.S. 113 (1973)."
    assert entry(type="legal_case", title="Blast v. Doe", volume="123", **{"container-title": "F.3d"},
                 page="456", authority="9th Cir.", issued=date(1997)) == "Blast v. Doe, 123 F.3d 456 (9th Cir. 1997)."


def test_every_formatted_type_is_supported():
    for kind in ("article-journal", "book", "chapter", "paper-conference", "report", "thesis", "webpage",
                 "dataset", "legislation", "regulation", "legal_case"):
        assert kind in SUPPORTED_TYPES


# --- the fixed words in Spanish ------------------------------------------------------

def test_spanish_web_page():
    assert entry("es", type="webpage", title="Vacunación en adultos", **{"publisher-place": "Madrid"},
                 publisher="Ministerio de Sanidad", issued=date(2023), accessed=date(2024, 3, 5),
                 URL="https://example.org/vacunas") == (
        "Vacunación en adultos [Internet]. Madrid: Ministerio de Sanidad; 2023 [citado 2024 mar 5]. "
        "Disponible en: https://example.org/vacunas")


def test_spanish_book_with_editors_and_edition():
    assert entry("es", type="book", editor=[person("Pérez", "Ana"), person("García", "Berta")],
                 title="Manual de urgencias", edition="2", **{"publisher-place": "Madrid"}, publisher="Panamericana",
                 issued=date(2019)) == (
        "Pérez A, García B, editores. Manual de urgencias. 2.ª ed. Madrid: Panamericana; 2019.")


def test_spanish_chapter():
    assert entry("es", type="chapter", author=[person("Ruiz", "C")], title="Dolor crónico",
                 editor=[person("Pérez", "A")], **{"container-title": "Manual", "publisher-place": "Madrid"},
                 publisher="Panamericana", issued=date(2019), page="33-44") == (
        "Ruiz C. Dolor crónico. En: Pérez A, editor. Manual. Madrid: Panamericana; 2019. p. 33-44.")


def test_spanish_theses_and_report():
    assert entry("es", type="thesis", genre="Tesis doctoral", author=[person("Ruiz", "C")], title="Dolor",
                 publisher="Universidad de Sevilla", **{"publisher-place": "Sevilla"}, issued=date(2018)) == (
        "Ruiz C. Dolor [tesis doctoral]. Sevilla: Universidad de Sevilla; 2018.")
    assert entry("es", type="thesis", genre="Tesis de maestría", author=[person("Ruiz", "C")], title="Dolor",
                 publisher="UNAM", issued=date(2018)) == "Ruiz C. Dolor [tesis de maestría]. UNAM; 2018."
    assert entry("es", type="report", title="Informe anual", publisher="SES", issued=date(2020),
                 number="12") == "Informe anual. SES; 2020. Informe n.º: 12."


def test_spanish_months_and_language_note():
    assert entry("es", **journal(title="T", **{"container-title": "Rev Esp Cardiol"},
                                 issued=date_range([2020, 1], [2020, 2]), volume="73", issue="1", page="5-12",
                                 language="fr")) == "T. Rev Esp Cardiol. 2020 ene-feb;73(1):5-12. Francés."
    assert entry("es", type="legislation", title="Ley 41/2002", issued=date(2002, 11, 14)) == (
        "Ley 41/2002 (14 nov 2002).")


ODD_VALUES = [None, "", 0, True, [], {}, [[]], {"date-parts": [["x", "13", 40]]}, {"literal": 5}, [{"literal": []}],
              [{"given": 3, "family": None}], "S", "Suppl", "et al.", "<b>&"]
FIELDS = ["author", "editor", "container-author", "title", "issued", "accessed", "event-date", "page", "volume",
          "issue", "number", "article-number", "supplement-number", "edition", "genre", "language", "status",
          "container-title", "event-title", "event", "event-place", "publisher", "publisher-place", "section",
          "authority", "PMCID", "PMID", "DOI", "URL"]


@pytest.mark.parametrize("kind", [*SUPPORTED_TYPES, "bill", "other"])
def test_odd_values_in_any_field_format_without_an_exception(kind):
    for field in FIELDS:
        for value in ODD_VALUES:
            markup = str(format_reference(Reference("key", 1, {"type": kind, "title": "T", field: value}), "es"))
            assert all(re.match(r"https?://", href) for href in re.findall(r'href="([^"]*)"', markup)), markup
            assert "<b>" not in markup
