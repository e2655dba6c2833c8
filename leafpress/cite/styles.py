"""Bibliographies in any CSL 1.0 style, as a project or a document names it (``csl: styles/apa.csl``).

Vancouver stays leafpress's own formatter (:mod:`leafpress.cite.vancouver`);
when a style file is named, the entries are formatted by citeproc-py with it,
in citation order (a style's own sorting is ignored: the numbers in the text
follow the order of first citation). The style file is read like every other
file (:mod:`leafpress.source.safefile`), must be inside its folder, is parsed
without a DOCTYPE, entities or the network, and must pass the CSL 1.0 schema.
citeproc-py's HTML is cleaned to a few inline tags before it reaches the page.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import nh3
from lxml import etree
from markupsafe import Markup

from ..errors import Problem, error, quote
from ..source.safefile import NOT_REGULAR, FileRefused, FileTooLarge, read_resolved, size_words

MAX_STYLE_BYTES = 1024 * 1024
# The document's language as the CSL locale citeproc-py ships (terms such as "et al.", "and", "accessed").
CSL_LOCALES = {"en": "en-US", "es": "es-ES"}
# What citeproc-py's HTML formatter writes for font styles; everything else is dropped or escaped.
_CLEANER = nh3.Cleaner(tags={"i", "b", "sup", "sub", "span"}, attributes={}, url_schemes=set(), link_rel=None)


@dataclass(frozen=True)
class CslStyle:
    """A CSL style file, read and checked; parsed again for each locale it is used with."""

    path: Path
    xml: bytes


@lru_cache(maxsize=1)
def _csl_schema() -> etree.RelaxNG:
    """citeproc-py's CSL 1.0 schema, parsed once for every style checked."""
    from citeproc import SCHEMA_PATH

    return etree.RelaxNG(etree.parse(SCHEMA_PATH))


def load_style(path: Path, folder: Path) -> CslStyle | Problem:
    """The CSL style at ``path`` (which must be inside ``folder``), or the problem with it."""
    try:
        real, data = read_resolved(path, MAX_STYLE_BYTES, folder)
    except FileTooLarge:
        return error(path, None, f"is larger than {size_words(MAX_STYLE_BYTES)}, too large for a CSL style")
    except FileRefused as exc:
        fix = ": replace it with a CSL style file" if exc.reason == NOT_REGULAR else ""
        return error(path, None, exc.reason + fix)
    except FileNotFoundError:
        return error(path, None, "CSL style not found: fix 'csl' or add the file")
    except OSError as exc:
        return error(path, None, f"cannot be read: {exc.strerror or type(exc).__name__}")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        return error(path, exc.lineno or None, f"is not a valid CSL style: the XML is malformed ({exc.msg})")
    if tree.docinfo.doctype:
        return error(path, None, "is not a valid CSL style: it has a DOCTYPE, which CSL styles never have")
    schema = _csl_schema()
    if not schema.validate(tree):
        first = schema.error_log[0]
        return error(path, first.line or None, f"is not a valid CSL 1.0 style ({first.message}): download the "
                     "style again, or choose another one")
    bibliography = tree.getroot().find("{http://purl.org/net/xbiblio/csl}bibliography")
    if bibliography is None:
        return error(path, None, "is a CSL style without a <bibliography>, so it cannot format reference lists: "
                     "choose a style that has one")
    # leafpress numbers the list itself (its numbers are the citations' links): a numeric style's own
    # number in the entry (Vancouver's, IEEE's) would print twice.
    numbers = bibliography.findall(".//{http://purl.org/net/xbiblio/csl}text[@variable='citation-number']")
    for number in numbers:
        parent = number.getparent()
        if parent is not None:
            parent.remove(number)
    return CslStyle(real, etree.tostring(tree, xml_declaration=True, encoding="utf-8") if numbers else data)


def format_with_style(style: CslStyle, items: list[dict[str, Any]], language: str) -> list[Markup] | Problem:
    """Each CSL-JSON item formatted by ``style``, in the order given, as safe HTML."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    # Keys by position: citeproc-py lowercases ids, so 'Smith' and 'smith' would be one reference.
    keyed = [{**item, "id": f"item{n}"} for n, item in enumerate(items)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsupported fields are skipped, as in every CSL processor
            parsed = CitationStylesStyle(io.BytesIO(style.xml), locale=CSL_LOCALES.get(language, "en-US"),
                                         validate=False)
            source = CiteProcJSON(keyed)
            bibliography = CitationStylesBibliography(parsed, source, formatter.html)
            for item in keyed:
                bibliography.register(Citation([CitationItem(item["id"])]))
            entries: list[Markup] = []
            for cited in bibliography.items:
                rendered = parsed.render_bibliography([cited])
                text = str(rendered[0]) if rendered else ""
                # cleaned to <i>, <b>, <sup>, <sub>, <span>; then its DOIs and web addresses made links
                entries.append(link_identifiers(_CLEANER.clean(text)))
    except Exception as exc:  # noqa: BLE001 - citeproc-py raises anything from KeyError to TypeError on styles it cannot run
        return error(style.path, None, f"the CSL style could not format the references "
                     f"({type(exc).__name__}: {quote(str(exc)[:200])}): check the style, or remove 'csl' to use "
                     "Vancouver")
    return entries


# In cleaned text (tags without attributes, '&' '<' '>' escaped): a web address, or a DOI written bare
# after "doi:" / "DOI " as styles print it. A full stop, comma or bracket that ends it is punctuation.
_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"]+?(?=[.,;:)\]]*(?:\s|<|$))")
_BARE_DOI = re.compile(r"(\bdoi:? ?)(10\.\d{4,9}/[^\s<>\"]+?)(?=[.,;:)\]]*(?:\s|<|$))", re.IGNORECASE)


def link_identifiers(cleaned: str) -> Markup:
    """``cleaned`` HTML with its web addresses and bare DOIs as links, as leafpress's own entries have them."""
    def web(match: re.Match[str]) -> str:
        address = match.group(0)
        return f'<a href="{address}">{address}</a>'

    def doi(match: re.Match[str]) -> str:
        label, name = match.groups()
        return f'{label}<a href="https://doi.org/{name}">{name}</a>'

    parts = re.split(r"(<[^>]*>)", cleaned)  # link text only, never inside a tag
    for n in range(0, len(parts), 2):
        parts[n] = _BARE_DOI.sub(doi, _WEB_ADDRESS.sub(web, parts[n]))
    return Markup("".join(parts))


def style_named(name: str, folder: Path, where: str, named_in: Path, line: int | None) -> CslStyle | Problem:
    """The style 'csl' names, relative to ``folder`` (the topic's, or the project's for leafpress.yaml) and
    inside it; a problem about it is told at ``named_in`` and ``line`` when it is about the name."""
    from ..paths import LINK_LOOP, is_link_loop, resolve

    folder = resolve(folder)
    path = resolve(folder / name)
    if is_link_loop(path):
        return error(path, None, LINK_LOOP)
    if not path.is_relative_to(folder):
        return error(named_in, line, f"'csl' {quote(name)} must be a file inside the {where}: copy the style there")
    return load_style(path, folder)
