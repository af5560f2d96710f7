"""Every word the backend says to a customer or to staff: one catalogue per language.

A text has an id (`ids.Text`, with the placeholders it may use) and one template in each
language module here (`en.py`, `es.py`): `text(Text.CONFIRMATION_SMS, "es", first_name=...)`.
A language with no catalogue, or a text missing from one, reads in English.

A plain typed catalogue rather than gettext/Babel: no .po to compile and no .mo files in the
layer; a template is found by an id mypy checks, not by its English sentence, so editing a
sentence never loses its translation; and loading it is a few dict literals (about 2.5 ms of
a cold start, measured with `python -X importtime`). Plurals, gettext's strength, come up
once (the tries left on the page): two ids.

Adding a language is adding one module here named by its code (copy `en.py` to `fr.py` and
translate it): discovery finds it, and the API, the business's settings and the default link
template accept it (domain/business.py `Language`). Adding a text is its id in `ids.py` and
its words in every language module; tests/unit/texts fails until each has it. A business's
link SMS is its own data (its settings' `templates`): `LINK_SMS` here is only the default a
new business starts with (docs/notifications.md, "The words: one catalogue per language").
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from reschedule_dispatch.texts.ids import SAID_IN_ENGLISH, Text

__all__ = [
    "CalendarWords",
    "Text",
    "calendar_words",
    "english",
    "languages",
    "spoken",
    "template",
    "text",
    "translate",
]

ENGLISH = "en"
_NOT_A_LANGUAGE = frozenset({"ids"})


@dataclass(frozen=True)
class CalendarWords:
    """Names the date formats (Text.DAY, Text.DATE_TIME, Text.CLOCK) fill in, Monday and
    January first; spelled out because Lambda's C locale localizes none."""

    weekdays: tuple[str, ...]
    weekdays_long: tuple[str, ...]
    months: tuple[str, ...]
    months_long: tuple[str, ...]
    day_periods: tuple[str, str]  # before and after noon


@dataclass(frozen=True)
class Catalogue:
    texts: Mapping[Text, str]
    calendar: CalendarWords


@cache
def _catalogues() -> dict[str, Catalogue]:
    """Every language module of this package by its code, English first."""
    found: dict[str, Catalogue] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name in _NOT_A_LANGUAGE:
            continue
        language = importlib.import_module(f"{__name__}.{module.name}")
        texts, calendar = getattr(language, "TEXTS", None), getattr(language, "CALENDAR", None)
        if not isinstance(texts, Mapping) or not isinstance(calendar, CalendarWords):
            raise TypeError(f"{language.__name__} needs TEXTS (by Text) and CALENDAR")
        found[module.name] = Catalogue(texts, calendar)
    return dict(sorted(found.items(), key=lambda item: (item[0] != ENGLISH, item[0])))


def languages() -> tuple[str, ...]:
    """The codes of the languages with a catalogue, English first."""
    return tuple(_catalogues())


def spoken(language: str) -> str:
    """`language` if it has a catalogue, else English: what a text in it reads in."""
    return language if language in _catalogues() else ENGLISH


def template(id: Text, language: str) -> str:
    """The template as written, placeholders unfilled."""
    catalogues = _catalogues()
    found = catalogues[spoken(language)].texts.get(id)
    return found if found is not None else catalogues[ENGLISH].texts[id]


def text(id: Text, language: str, **placeholders: object) -> str:
    """The text in `language` (English if there is none), its placeholders filled."""
    return template(id, language).format_map(placeholders)


def english(id: Text, **placeholders: object) -> str:
    """The text in English: what the services store and raise (see ids.SAID_IN_ENGLISH)."""
    return text(id, ENGLISH, **placeholders)


def calendar_words(language: str) -> CalendarWords:
    return _catalogues()[spoken(language)].calendar


@cache
def _said_in_english() -> dict[str, Text]:
    english_texts = _catalogues()[ENGLISH].texts
    return {english_texts[id]: id for id in SAID_IN_ENGLISH}


def translate(sentence: str, language: str) -> str:
    """A sentence the services said in English (a stored reason, a notice, an error) in
    `language`; any other text as it is (a stored sentence an older release worded
    differently, a dispatcher's own words)."""
    id = _said_in_english().get(sentence)
    return sentence if id is None else template(id, language)
