"""Schema validation of YAML data with messages a clinic's staff can act on.

The schemas are pydantic models (strict for text, so YAML's ``no`` or ``1.10``
are not silently turned into ``False`` or ``1.1``); this module turns
pydantic's errors into one :class:`Problem` per field, each with its line.
"""

from __future__ import annotations

import datetime
import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

from ..errors import MAX_PROBLEMS_PER_FILE, Problem, error, limit_problems, quote
from .yamlfile import Location, YamlData


class Schema(BaseModel):
    """Base for every user-facing schema: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError(f"must be a date written as YYYY-MM-DD, not {quote(value)}")
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{quote(value)} is not a real date: check the month and day") from None


IsoDate = Annotated[datetime.date, BeforeValidator(parse_date)]


def parse_reference_authors(value: Any) -> int | Literal["all"]:
    if value == "all" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100):
        return "all" if value == "all" else int(value)
    raise ValueError(f"must be how many authors to name before 'et al.' (a number from 1 to 100) or 'all', "
                     f"not {quote(value)}")


# How many authors a Vancouver entry names before "et al.": a number from 1 to 100, or "all".
ReferenceAuthors = Annotated[int | Literal["all"], BeforeValidator(parse_reference_authors)]

M = TypeVar("M", bound=BaseModel)


def _yaml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


def _field_name(location: Location) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]")  # people count from one
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "the document"


def _lookup(value: Any, location: Location) -> Any:
    for part in location:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _message(err: ErrorDetails, data: YamlData, model: type[BaseModel],
             examples: dict[str, str]) -> tuple[Location, str]:
    location: Location = tuple(p for p in err["loc"] if not isinstance(p, str) or not p.startswith("function-"))
    kind = err["type"]
    name = _field_name(location)
    given = _lookup(data.value, location)
    written = data.raw.get(location, given)
    if kind == "missing":
        example = examples.get(str(location[-1]), "...")
        return location[:-1], f"missing required field {quote(name)}: add a line such as '{location[-1]}: {example}'"
    if kind == "extra_forbidden":
        parent = _lookup_model_fields(model, location[:-1])
        close = difflib.get_close_matches(str(location[-1]), parent, n=1)
        hint = f"did you mean {quote(close[0])}?" if close else f"known fields are {', '.join(sorted(parent))}"
        return location, f"unknown field {quote(name)}: remove it or fix its spelling ({hint})"
    if kind in ("string_type", "str_type"):
        if isinstance(given, (bool, int, float)):
            fix = f"put it in quotes: {location[-1]}: \"{written}\""
        elif isinstance(given, dict):
            fix = "a ': ' inside text makes YAML read it as 'key: value'; put the whole text in quotes"
        else:
            fix = "write it as text"
        return location, f"{quote(name)} must be text, not {_yaml_kind(given)}; {fix}"
    if kind in ("list_type",):
        return location, f"{quote(name)} must be a list (one '- item' per line), not {_yaml_kind(given)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return location, f"{quote(name)} must be a mapping of 'key: value' lines, not {_yaml_kind(given)}"
    if kind in ("bool_type",):
        return location, f"{quote(name)} must be true or false, not {_yaml_kind(given)}"
    if kind in ("int_type", "float_type"):
        return location, f"{quote(name)} must be a number, not {_yaml_kind(given)}"
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return location, f"{quote(name)} must be one of {allowed}, not {quote(written)}"
    if kind == "string_too_short":
        return location, f"{quote(name)} must not be empty"
    if kind == "string_pattern_mismatch":
        return location, f"{quote(name)} has the wrong form: {quote(written)}"
    if kind == "too_short":
        least = err.get("ctx", {}).get("min_length", 1)
        return location, f"{quote(name)} must have at least {least} {'entry' if least == 1 else 'entries'}"
    bounds = {"greater_than": ("gt", "more than"), "greater_than_equal": ("ge", "at least"),
              "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}
    if kind in bounds:
        key, words = bounds[kind]
        limit = err.get("ctx", {}).get(key, 0)
        shown = written if isinstance(given, (int, float)) and not isinstance(given, bool) else quote(written)
        return location, f"{quote(name)} must be {words} {limit:g}, not {shown}"
    # Our own validators raise ValueError with a finished sentence.
    text = str(err.get("ctx", {}).get("error", err["msg"]))
    text = text.removeprefix("Value error, ")
    if len(text) > 300:  # our sentences quote values cut short; this bounds anyone else's
        text = text[:299] + "…"
    return location, f"{quote(name)} {text}" if location else text


def _lookup_model_fields(model: type[BaseModel], location: Location) -> list[str]:
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _where(err: ErrorDetails) -> Location:
    """The location :func:`_message` reports an error at, without wording it."""
    location: Location = tuple(p for p in err["loc"] if not isinstance(p, str) or not p.startswith("function-"))
    return location[:-1] if err["type"] == "missing" else location


def validate(model: type[M], data: YamlData, path: Path, examples: dict[str, str] | None = None,
             limit: bool = True) -> tuple[M | None, list[Problem]]:
    """Validate YAML ``data`` against ``model``; return it or the problems.

    With ``limit``, at most a screenful of problems and a count of the rest
    (see errors.limit_problems); without it, the caller adds its own problems
    and limits them all together.
    """
    if not isinstance(data.value, dict):
        return None, [error(path, data.first_line,
                            f"expected 'key: value' lines here, not {_yaml_kind(data.value)}")]
    try:
        return model.model_validate(data.value), []
    except ValidationError as exc:
        located = sorted(((data.line_of(_where(err)), err) for err in exc.errors(include_url=False)),
                         key=lambda pair: pair[0] or 0)
        problems = []
        # Wording a message can be slow (a spelling suggestion each), and a hostile
        # file can hold thousands: only the ones that will be shown are worded.
        for index, (line, err) in enumerate(located):
            if index < MAX_PROBLEMS_PER_FILE:
                problems.append(error(path, line, _message(err, data, model, examples or {})[1]))
            else:
                problems.append(error(path, line, "(not shown)"))
        return None, limit_problems(problems) if limit else problems
