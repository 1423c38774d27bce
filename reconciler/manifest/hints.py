"""Small wording helpers so every message reads the same: did-you-mean and value descriptions."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string when none is close."""
    options = sorted(set(choices))
    by_case = {option.lower(): option for option in options}
    if word.lower() in by_case and by_case[word.lower()] != word:
        return f" (did you mean '{by_case[word.lower()]}'?)"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = difflib.get_close_matches(word.lower(), list(by_case), n=1, cutoff=0.6)
        close = [by_case[lowered[0]]] if lowered else []
    return f" (did you mean '{close[0]}'?)" if close else ""


# Names people reach for (from other APIs or habit) and the field that does the job here.
_FIELD_ALIASES = {
    "format": "ciParam",
    "quality": "ciParam",
    "interval": "timeInterval",
    "frames": "count",
    "number": "count",
    "time": "start",
    "rows": "lines",
    "templatename": "template",
    "templateid": "templateId",
    "input": "inputs",
    "outputs": "output",
    "priority": "jobLevel",
    "queue": "queueId",
}


def field_hint(word: str, known: Iterable[str]) -> str:
    """did-you-mean for an unknown field, including well-known synonyms."""
    options = list(known)
    hint = did_you_mean(word, options)
    alias = _FIELD_ALIASES.get(word.lower())
    if not hint and alias in options:
        hint = f" (did you mean '{alias}'?)"
    return hint


def type_phrase(name: str) -> str:
    """'an integer' for 'integer'."""
    return _TYPE_NAMES.get(name, name)


def shorten(text: str, limit: int = 60) -> str:
    """A value short enough for a one-line message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value: object) -> str:
    """How a YAML value reads back to its author: ``'abc'``, ``5000``, ``a list``, ``empty``."""
    if value is None:
        return "nothing (empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(shorten(value))
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()} (quote it to make it a string)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def quoted_list(items: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``."""
    parts = [f"'{item}'" for item in items]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]
