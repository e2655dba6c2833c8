"""Bibliography entries in the NLM *Citing Medicine* (2nd ed.) style, "Vancouver".

One CSL-JSON item in, one entry out as HTML. The order and punctuation of each
type follow the book's chapters: 1 (journal articles), 2 (books and parts of
books), 3 (conference papers), 4 (reports), 5 (theses), 10 (legal material),
16-19 and 25 (the same, and web pages, on the Internet). Its fixed words
("In:", "editors", "Available from:", month names) follow the document's
language; a language without its own words here uses the English ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from .references import Reference

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_LISTED_AUTHORS = 6  # ICMJE/NLM: list six, then "et al."
ET_AL = "et al."

# The CSL types with an entry of their own; any other is formatted as a book.
FORMATTED_TYPES = ("article-journal", "article", "article-magazine", "article-newspaper", "book", "chapter",
                   "paper-conference", "report", "thesis",
                   "webpage", "post-weblog", "dataset", "legislation", "regulation", "legal_case")

# The fixed words of an entry, in the document's language (Citing Medicine's, and
# their usual Spanish forms); a language not listed here uses the English ones.
LABELS: dict[str, dict[str, str]] = {
    "en": {"in": "In", "editor": "editor", "editors": "editors", "available": "Available from:",
           "internet": "[Internet]", "cited": "cited", "report_no": "Report No.:",
           "dissertation": "[dissertation]", "masters": "[master's thesis]", "dataset": "[dataset]",
           "epub": "[Epub ahead of print]", "on_internet": "on the Internet", "cited_in": "Cited in:",
           "section": "Sect."},
    "es": {"in": "En", "editor": "editor", "editors": "editores", "available": "Disponible en:",
           "internet": "[Internet]", "cited": "citado", "report_no": "Informe n.º:",
           "dissertation": "[tesis doctoral]", "masters": "[tesis de maestría]", "dataset": "[conjunto de datos]",
           "epub": "[Epub ahead of print]", "on_internet": "en Internet", "cited_in": "Citado en:",
           "section": "Secc."},
}
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": MONTHS,
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}
# Citing Medicine names the language of a non-English source at the end of its entry.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
           "ca": "Catalan", "zh": "Chinese", "ja": "Japanese", "ru": "Russian", "pl": "Polish", "sv": "Swedish",
           "da": "Danish", "no": "Norwegian", "nb": "Norwegian", "fi": "Finnish", "tr": "Turkish", "ko": "Korean",
           "ar": "Arabic", "el": "Greek", "he": "Hebrew", "cs": "Czech", "hu": "Hungarian"},
    "es": {"es": "Español", "fr": "Francés", "de": "Alemán", "it": "Italiano", "pt": "Portugués", "nl": "Neerlandés",
           "ca": "Catalán", "zh": "Chino", "ja": "Japonés", "ru": "Ruso", "pl": "Polaco", "sv": "Sueco",
           "da": "Danés", "no": "Noruego", "nb": "Noruego", "fi": "Finés", "tr": "Turco", "ko": "Coreano",
           "ar": "Árabe", "el": "Griego", "he": "Hebreo", "cs": "Checo", "hu": "Húngaro"},
}
_THREE_LETTER = {"spa": "es", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "ita": "it", "por": "pt",
                 "dut": "nl", "nld": "nl", "cat": "ca", "chi": "zh", "zho": "zh", "jpn": "ja", "rus": "ru",
                 "pol": "pl", "swe": "sv", "dan": "da", "nor": "no", "fin": "fi", "tur": "tr", "kor": "ko",
                 "ara": "ar", "gre": "el", "ell": "el", "heb": "he", "cze": "cs", "ces": "cs", "hun": "hu"}


def _words(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def _text(value: Any) -> str:
    """A CSL text field as a string; lists, dicts and other odd values count as missing."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value).strip()


# --- names -----------------------------------------------------------------------

def _initials(given: str) -> str:
    """ "Marie E." -> "ME"; "Jean-Pierre" -> "JP"; initials already run together ("ME") stay as they are."""
    parts = [p for p in re.split(r"[\s.\-]+", given) if p]
    return "".join(p if re.fullmatch(r"[A-Z]{2,3}", p) else p[0].upper() for p in parts)


def format_name(name: dict[str, Any]) -> str:
    """A person as "van Hilten JJ", "King ML Jr"; a group (CSL literal) as written."""
    if "literal" in name:
        return _text(name["literal"])
    # Citing Medicine 1 (Author, "prefixes"): particles stay before the family name as the person writes them.
    family = " ".join(_text(name.get(k)) for k in ("dropping-particle", "non-dropping-particle", "family")
                      if _text(name.get(k)))
    text = f"{family} {_initials(_text(name.get('given')))}".strip()
    suffix = _text(name.get("suffix")).replace(".", "").strip()
    suffix = {"II": "2nd", "III": "3rd", "IV": "4th"}.get(suffix, suffix)
    if suffix:
        text += f" {suffix}"  # "Jr", "Sr", "3rd", without punctuation
    return text


def format_names(names: Any, listed: int | None = MAX_LISTED_AUTHORS) -> str:
    """CSL names (a list of name objects); anything else in the file is ignored.

    People are joined with commas, ``listed`` of them then "et al." (all with None);
    a group author (CSL literal) follows the people after a semicolon (Citing
    Medicine 1, "organization as author").
    """
    if not isinstance(names, list):
        return ""
    people: list[str] = []
    groups: list[str] = []
    group_first = False
    et_al = False
    for name in names:
        if not isinstance(name, dict):
            continue
        formatted = format_name(name)
        if not formatted:
            continue
        if formatted.rstrip(".").lower() == ET_AL.rstrip(".").lower():
            et_al = True
        elif "literal" in name:
            group_first = group_first or not people
            groups.append(formatted)
        else:
            people.append(formatted)
    if listed is not None and len(people) > listed:
        people, et_al = people[:listed], True
    persons = ", ".join(people) + (f", {ET_AL}" if et_al and people else ET_AL if et_al else "")
    if group_first and people:  # a group written first stays first
        return "; ".join([groups[0], persons, *groups[1:]])
    return "; ".join(p for p in (persons, *groups) if p)


def _editors(names: Any, words: dict[str, str]) -> str:
    """ "Vogelstein B, Kinzler KW, editors", or "" without editors."""
    text = format_names(names)
    if not text:
        return ""
    several = isinstance(names, list) and len([n for n in names if isinstance(n, dict)]) > 1
    return f"{text}, {words['editors'] if several else words['editor']}"


# --- dates -----------------------------------------------------------------------

def _int(value: Any) -> int | None:
    """A CSL date part as a number (they may be written as strings), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**6 else None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,6}\s*", value):
        return int(value)
    return None


def _date_parts(date: Any) -> list[tuple[str, int | None, int | None]]:
    """The one or two (year, month, day) of a CSL date; year as written, month and day checked."""
    if not isinstance(date, dict) or not isinstance(date.get("date-parts"), list):
        return []
    found = []
    for parts in date["date-parts"][:2]:
        if not isinstance(parts, list) or not parts or not isinstance(parts[0], (str, int)) \
                or isinstance(parts[0], bool) or not str(parts[0]).strip():
            break
        numbers = [_int(p) for p in parts]
        month = numbers[1] if len(numbers) > 1 and numbers[1] is not None and 1 <= numbers[1] <= 12 else None
        day = numbers[2] if month and len(numbers) > 2 and numbers[2] is not None and 1 <= numbers[2] <= 31 \
            else None
        found.append((str(parts[0]).strip(), month, day))
    return found


def format_date(date: Any, language: str = "en") -> str:
    """CSL date to NLM form: 2009, 2022 Apr, 2024 Jun 3, 2020 Jan-Feb, 2002 Apr 3-5."""
    months = MONTH_NAMES.get(language, MONTHS)
    found = _date_parts(date)
    if not found:
        return _text(date.get("literal") or date.get("raw")) if isinstance(date, dict) else ""

    def one(year: str, month: int | None, day: int | None) -> str:
        return " ".join(p for p in (year, months[month - 1] if month else "", str(day) if day else "") if p)

    text = one(*found[0])
    if len(found) == 2 and found[1] != found[0]:
        (year, month, day), (year2, month2, day2) = found
        if year2 != year:
            text += "-" + one(*found[1])
        elif month2 and month2 != month:
            text += "-" + one("", month2, day2)
        elif day2 and day2 != day:
            text += f"-{day2}"
    return text


def _legal_date(date: Any, language: str) -> str:
    """Citing Medicine 10: "(May 24, 2001)" in English, "(24 may 2001)" in Spanish; the year alone if only that."""
    found = _date_parts(date)
    if not found:
        return format_date(date, language)
    year, month, day = found[0]
    months = MONTH_NAMES.get(language, MONTHS)
    if not month:
        return year
    if language == "es":
        return " ".join(p for p in (str(day) if day else "", months[month - 1], year) if p)
    return f"{months[month - 1]} {day}, {year}" if day else f"{months[month - 1]} {year}"


# --- pages, editions, languages --------------------------------------------------

def format_pages(page: str) -> str:
    """NLM elides repeated leading digits: 304-311 becomes 304-11, S3-S14 becomes S3-14."""
    match = re.fullmatch(r"\s*([A-Za-z]*)(\d+)\s*[-\u2013\u2014]+\s*([A-Za-z]*)(\d+)\s*", page)
    if not match or (match.group(3) and match.group(3) != match.group(1)):
        return page.strip()
    prefix, first, _, last = match.groups()
    if len(first) == len(last):
        common = 0
        while common < len(first) - 1 and first[common] == last[common]:
            common += 1
        last = last[common:]
    return f"{prefix}{first}-{last}"


def _ordinal(number: int, language: str) -> str:
    if language == "es":
        return f"{number}.ª"
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')}"


def format_edition(edition: Any, language: str = "en") -> str:
    """ "2" or "2nd" -> "2nd ed." ("2.ª ed." in Spanish); a first edition is not named (Citing Medicine 2)."""
    text = _text(edition)
    match = re.fullmatch(r"(\d+)\s*(st|nd|rd|th|\.?ª|a|\.)?\s*(ed\.?|edition|edición)?", text, flags=re.I)
    if match:
        number = int(match.group(1))
        return "" if number == 1 else f"{_ordinal(number, language)} ed."
    if not text or re.search(r"\bed(\.|ition|ición)?$", text, flags=re.I):
        return _sentence(text) if text else ""
    return f"{text} ed."


def _language_note(value: Any, language: str) -> str:
    """ "Spanish." for a source in a language other than English; "" for English or none."""
    text = _text(value)
    if not text:
        return ""
    code = text.lower().replace("_", "-").split("-")[0]
    code = _THREE_LETTER.get(code, code)
    if code in ("en", "eng", "english", "inglés", "ingles"):
        return ""
    names = LANGUAGE_NAMES.get(language, LANGUAGE_NAMES["en"])
    if code in names:
        return names[code] + "."
    for key, name in LANGUAGE_NAMES["en"].items():  # written out: "Spanish", "spanish"
        if code == name.lower():
            return names.get(key, name) + "."
    return _sentence(text[:1].upper() + text[1:]) if re.fullmatch(r"[^\W\d_]{4,}", text) else ""


# --- entries -----------------------------------------------------------------------

def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "?", "!")) else text + "."


def _link(url: str, label: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, label)


def _pmcid(csl: dict[str, Any]) -> str | None:
    match = re.fullmatch(r"(?:PMC)?(\d{1,10})", _text(csl.get("PMCID")), flags=re.I)
    return f"PMC{match.group(1)}" if match else None


def _imprint(csl: dict[str, Any], dated: str) -> str:
    """ "Place: Publisher; 2002" with whatever of it there is."""
    imprint = ": ".join(p for p in (_text(csl.get("publisher-place")), _text(csl.get("publisher"))) if p)
    return "; ".join(p for p in (imprint, dated) if p)


def _cited(csl: dict[str, Any], words: dict[str, str], language: str) -> str:
    accessed = format_date(csl.get("accessed"), language)
    return f"[{words['cited']} {accessed}]" if accessed else ""


def _title(csl: dict[str, Any], *marks: str) -> str:
    """The title and its bracketed marks ("[Internet]", "[dissertation]"), as one sentence."""
    title = _text(csl.get("title"))
    marks = tuple(m for m in marks if m)
    if marks:
        return " ".join((title.rstrip("."), *marks)) + "."
    return _sentence(title)


def _journal(csl: dict[str, Any], ref: Reference, words: dict[str, str], language: str, cited: str) -> list[str]:
    """Citing Medicine 1: "Journal. 2002 Jan-Feb;42 Suppl 2:S93-9." and its variants; read on the
    Internet (23): "Am J Nurs [Internet]. 2002 Jun [cited 2002 Aug 12];102(6):..."."""
    journal = _text(csl.get("container-title-short") or csl.get("journalAbbreviation") or csl.get("container-title"))
    journal = journal.rstrip(".")
    if journal and cited:
        journal = f"{journal} {words['internet']}"
    date = " ".join(p for p in (format_date(csl.get("issued"), language), cited) if p)
    volume, issue = _text(csl.get("volume")), _text(csl.get("issue"))
    supplement = _text(csl.get("supplement-number") or csl.get("supplement"))
    match = re.fullmatch(r"(.*?)[\s,(]*(?:\bsuppl(?:ement)?\.?\s*(\w*)|\bS(\d+))\)?", issue, flags=re.I)
    if match and not supplement:  # "Suppl 2", "12 Suppl 7", "S1" written in the issue
        issue, supplement = match.group(1).strip(), match.group(2) or match.group(3) or " "
    suppl = f"Suppl {supplement.strip()}".strip() if supplement else ""
    if suppl and issue:
        volume_issue = f"{volume}({issue} {suppl})"
    elif suppl:
        volume_issue = f"{volume} {suppl}".strip()
    else:
        volume_issue = volume + (f"({issue})" if issue else "")
    page = _text(csl.get("page"))
    locator = format_pages(page) if page else _text(csl.get("article-number") or csl.get("number"))
    pages = f":{locator}" if locator else ""
    ahead = re.search(r"ahead of print|epub|online first|advance", _text(csl.get("status")), flags=re.I) or (
        ref.doi and not (volume_issue or locator))
    if ahead:  # Citing Medicine 1: "2024 Mar 5 [Epub ahead of print]", the DOI after
        date = f"{date} {words['epub']}".strip()
    # Leave out what a reference lacks, and the punctuation with it ("J Test. 2020;10(2):100-9").
    where = " ".join(part for part in (f"{journal}." if journal else "", date) if part)
    if volume_issue:
        where = f"{where};{volume_issue}{pages}" if where else f"{volume_issue}{pages}"
    elif pages:  # no volume: the pages follow the date ("2020:5"), or stand alone
        where = f"{where}{pages}" if date else " ".join(part for part in (where, f"p. {locator}") if part)
    return [_title(csl), _sentence(where)]


def _newspaper(csl: dict[str, Any], words: dict[str, str], language: str, cited: str) -> list[str]:
    """Citing Medicine 5: "The Washington Post. 2002 Aug 12;Sect. A:2 (col. 4)." (no volume or issue)."""
    paper = _text(csl.get("container-title")).rstrip(".")
    if paper and cited:
        paper = f"{paper} {words['internet']}"
    date = " ".join(p for p in (format_date(csl.get("issued"), language), cited) if p)
    section = _text(csl.get("section"))
    where = f"{words['section']} {section}" if section else ""
    page = _text(csl.get("page"))
    if page:
        where = f"{where}:{page}" if where else page
    dated = ";".join(p for p in (date, where) if p) if date else where
    return [_title(csl), _sentence(" ".join(p for p in (f"{paper}." if paper else "", dated) if p))]


def _in_book(csl: dict[str, Any], words: dict[str, str], language: str) -> list[str]:
    """Citing Medicine 2B/3: "In: Editor A, editors. Book. 2nd ed. Place: Publisher; 2002. p. 33-44." """
    container = _text(csl.get("container-title"))
    event = _text(csl.get("event-title") or (csl.get("event") if isinstance(csl.get("event"), str) else ""))
    book_authors = format_names(csl.get("container-author"))
    editors = _editors(csl.get("editor"), words)
    head = "; ".join(p for p in (book_authors, editors) if p)
    if csl.get("type") == "paper-conference":
        # "Genetic programming. EuroGP 2002: Proceedings...; 2002 Apr 3-5; Kinsdale, Ireland."
        name = f"{_sentence(container)} {event}".strip() if event and event != container else container
        meeting = "; ".join(p for p in (name, format_date(csl.get("event-date"), language),
                                        _text(csl.get("event-place"))) if p)
        book = " ".join(p for p in (_sentence(head), meeting) if p)
    else:
        book = " ".join(p for p in (_sentence(head), container) if p)
    return [_sentence(f"{words['in']}: {book}" if book else ""), format_edition(csl.get("edition"), language)]


def format_reference(ref: Reference, language: str = "en", listed: int | None = MAX_LISTED_AUTHORS) -> Markup:
    """One bibliography entry as HTML, in NLM/Vancouver style, its fixed words in ``language``; ``listed``
    authors are named before "et al." (None: all of them, as *Citing Medicine* does by default)."""
    words = _words(language)
    csl = ref.csl
    kind = csl.get("type")
    parts: list[Markup | str] = []
    date = format_date(csl.get("issued"), language)
    online = bool(ref.url and not ref.doi) or bool(format_date(csl.get("accessed"), language))
    cited = _cited(csl, words, language) if online else ""
    dated = " ".join(p for p in (date, cited) if p)
    editors = _editors(csl.get("editor"), words)
    authors = format_names(csl.get("author"), listed)
    legal = kind in ("legislation", "regulation", "legal_case", "bill")
    if authors and not legal:
        parts.append(_sentence(authors))
    elif editors and kind in ("book", "report"):  # an edited book: the editors stand first (Citing Medicine 2)
        parts.append(_sentence(editors))
        editors = ""
    if kind in ("article-journal", "article", "article-magazine"):
        parts += _journal(csl, ref, words, language, cited)
    elif kind == "article-newspaper":
        parts += _newspaper(csl, words, language, cited)
    elif kind in ("webpage", "post-weblog"):
        parts.append(_title(csl, words["internet"]))
        publisher = _text(csl.get("publisher") or csl.get("container-title"))
        place = _text(csl.get("publisher-place"))
        imprint = ": ".join(p for p in (place, publisher) if p)
        parts.append(_sentence("; ".join(p for p in (imprint, dated) if p)))
    elif kind in ("chapter", "paper-conference"):
        parts.append(_title(csl))
        parts += _in_book(csl, words, language)
        parts.append(_sentence(_imprint(csl, dated)))
        if _text(csl.get("page")):
            parts.append(f"p. {format_pages(_text(csl.get('page')))}.")
    elif legal:
        # Citing Medicine 10: "Title, Pub. L. No. 107-9, 115 Stat. 11 (May 24, 2001)."
        code = " ".join(p for p in (_text(csl.get("volume")), _text(csl.get("container-title")),
                                    _text(csl.get("page") or csl.get("section"))) if p)
        when = " ".join(p for p in (_text(csl.get("authority")), _legal_date(csl.get("issued"), language)) if p)
        text = ", ".join(p for p in (_text(csl.get("title")).rstrip("."), _text(csl.get("number")), code) if p)
        parts.append(_sentence(f"{text} ({when})" if when else text))
        if cited:
            parts.append(_sentence(cited))
    else:  # book, report, thesis, dataset and anything else
        mark = ""
        if kind == "thesis":
            genre = _text(csl.get("genre"))
            master = re.search(r"master|\bm\.?\s?(sc|a|phil|s)\b|maestr|máster", genre, flags=re.I)
            mark = words["masters"] if master else words["dissertation"]
        elif kind == "dataset":
            mark = words["dataset"]
        if mark and online:  # "[dissertation on the Internet]" (Citing Medicine 19)
            mark = f"{mark[:-1]} {words['on_internet']}]"
        parts.append(_title(csl, mark or (words["internet"] if online else "")))
        if kind == "report" and _text(csl.get("genre")):  # Citing Medicine 4: "Final report."
            parts.append(_sentence(_text(csl.get("genre"))))
        if _text(csl.get("event-title")) and kind != "thesis":
            # Citing Medicine 3, proceedings as a whole: "Germ cell tumours V. Proceedings of the 5th
            # Germ Cell Tumour Conference; 2001 Sep 13-15; Leeds, UK."
            parts.append(_sentence("; ".join(p for p in (
                _text(csl.get("event-title")), format_date(csl.get("event-date"), language),
                _text(csl.get("event-place"))) if p)))
        parts.append(format_edition(csl.get("edition"), language))
        if editors:  # author and editor: the editor follows the title (Citing Medicine 2)
            parts.append(_sentence(editors))
        parts.append(_sentence(_imprint(csl, dated)))
        if kind == "report" and _text(csl.get("number")):
            parts.append(_sentence(f"{words['report_no']} {_text(csl.get('number'))}"))
    if not legal:
        parts.append(_language_note(csl.get("language"), language))
    if ref.url and not ref.doi:
        # Citing Medicine 22-25: no full stop after a URL, lest it be taken as part of it, unless
        # the URL ends with a slash ("Available from: http://www.cancer-pain.org/.").
        parts.append(Markup(words["available"] + " ") + _link(ref.url, ref.url)
                     + ("." if ref.url.endswith("/") else ""))
    if ref.doi:  # Citing Medicine 1, example 71: "doi:10.1542/peds.2004-1441."
        parts.append(Markup("doi:") + _link(f"https://doi.org/{ref.doi}", ref.doi) + ".")
    pmcid = _pmcid(csl)
    if ref.pmid or pmcid:  # Citing Medicine 1, example 70: "Cited in: PubMed; PMID 15867408."
        ids = [Markup("PMID ") + _link(f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/", ref.pmid)] if ref.pmid else []
        if pmcid:
            ids.append(Markup("PMCID ") + _link(f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/", pmcid))
        parts.append(Markup(words["cited_in"] + " PubMed; ") + Markup("; ").join(ids) + ".")
    return Markup(" ").join(escape(p) for p in parts if p)
