"""The catalogue's rules, for every language module in reschedule_dispatch/texts: each has
every text, uses only the placeholders its id declares, and says it in its own words."""

from __future__ import annotations

import string
import sys
import typing
from pathlib import Path

import pytest

from reschedule_dispatch import texts
from reschedule_dispatch.domain.business import DEFAULT_TEMPLATES, Language
from reschedule_dispatch.texts import Text, english, languages, template, text, translate
from reschedule_dispatch.texts.ids import SAID_IN_ENGLISH

OTHER_LANGUAGES = [language for language in languages() if language != "en"]


def used_placeholders(written: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(written) if field is not None}


def dummy_values(id: Text) -> dict[str, str]:
    return {name: f"<{name}>" for name in id.placeholders}


def test_english_comes_first_and_spanish_is_there():
    assert languages()[:1] == ("en",)
    assert "es" in languages()


@pytest.mark.parametrize("language", languages())
def test_every_id_has_its_words_in_every_language(language):
    catalogue = sys.modules[f"reschedule_dispatch.texts.{language}"].TEXTS
    missing = [id.name for id in Text if id not in catalogue]
    assert not missing, f"{language}.py has no words for {missing}"
    assert all(isinstance(catalogue[id], str) and catalogue[id].strip() for id in Text)


@pytest.mark.parametrize("language", languages())
@pytest.mark.parametrize("id", list(Text), ids=lambda id: id.name)
def test_a_template_uses_only_the_placeholders_its_id_declares(language, id):
    undeclared = used_placeholders(template(id, language)) - set(id.placeholders)
    assert not undeclared, f"{language} {id.name} uses {undeclared}, not declared in ids.py"


@pytest.mark.parametrize("language", languages())
@pytest.mark.parametrize("id", list(Text), ids=lambda id: id.name)
def test_every_text_renders_with_its_declared_placeholders_and_nothing_left_over(language, id):
    # Given a value for each placeholder the id declares
    rendered = text(id, language, **dummy_values(id))
    # Then every brace was a placeholder, and each was filled
    assert "{" not in rendered
    assert "}" not in rendered


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
@pytest.mark.parametrize("id", list(Text), ids=lambda id: id.name)
def test_each_text_is_translated_not_copied_from_english(language, id):
    assert template(id, language) != template(id, "en"), f"{language} {id.name} is English"


def test_an_unknown_language_reads_in_english():
    assert text(Text.PAGE_CONFIRM, "fr") == text(Text.PAGE_CONFIRM, "en") == "Confirm"
    assert texts.spoken("fr") == "en"
    assert texts.calendar_words("fr") == texts.calendar_words("en")


def test_the_sentences_services_keep_in_english_are_told_apart_and_translated():
    sentences = [english(id) for id in SAID_IN_ENGLISH]
    assert len(set(sentences)) == len(sentences)  # one id per sentence: recognisable
    assert not [id.name for id in SAID_IN_ENGLISH if id.placeholders]
    for id in SAID_IN_ENGLISH:
        for language in languages():
            assert translate(english(id), language) == template(id, language)


def test_a_sentence_the_catalogue_does_not_hold_is_shown_as_it_is():
    assert translate("Link not sent: the provider was unavailable.", "es") == (
        "Link not sent: the provider was unavailable."
    )


def test_the_api_and_the_settings_accept_exactly_the_catalogued_languages():
    assert typing.get_args(Language) == languages()
    assert tuple(DEFAULT_TEMPLATES) == languages()
    assert all(DEFAULT_TEMPLATES[code] == template(Text.LINK_SMS, code) for code in languages())


NEW_LANGUAGE = """
from reschedule_dispatch.texts.en import CALENDAR as _ENGLISH
from reschedule_dispatch.texts.ids import Text

CALENDAR = _ENGLISH
TEXTS = {Text.PAGE_CONFIRM: "Confirmer"}
"""


@pytest.fixture
def extra_language_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A directory searched for language modules after the package's own."""
    monkeypatch.setattr(texts, "__path__", [*texts.__path__, str(tmp_path)])
    texts._catalogues.cache_clear()
    yield tmp_path
    texts._catalogues.cache_clear()
    for name in [n for n in sys.modules if n.startswith("reschedule_dispatch.texts.x")]:
        del sys.modules[name]


def test_adding_a_language_is_adding_its_module(extra_language_dir: Path):
    # Given one new module, named by its language's code
    (extra_language_dir / "xf.py").write_text(NEW_LANGUAGE)
    # Then the language is found, says its words, and falls back to English for the rest
    assert "xf" in languages()
    assert text(Text.PAGE_CONFIRM, "xf") == "Confirmer"
    assert text(Text.PAGE_WITH, "xf") == "with"


def test_a_module_that_is_no_language_is_refused(extra_language_dir: Path):
    (extra_language_dir / "xz.py").write_text("WORDS = {}\n")
    with pytest.raises(TypeError, match="needs TEXTS"):
        languages()
