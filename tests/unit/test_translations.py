"""The shipped catalogues (timetics/translations) against the messages the code asks for: every
message translated in German, French and Spanish, with the same placeholders."""
import os
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from timetics import PROJECT_ROOT
from timetics.i18n import LANGUAGES

TRANSLATIONS = PROJECT_ROOT / "timetics" / "translations"
SHIPPED = sorted(set(LANGUAGES) - {"en"})
# The keywords babel.cfg's first line names: gettext's own, lazy_gettext, the N_ marker, and
# in_language(language, message, ...).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None,
            "in_language": (2,)}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def extracted_messages() -> set:
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS,
        directory_filter=not_hidden)}


def not_hidden(dirname: str) -> bool:
    """Babel's default filter also skips folders starting with "_" (templates/_partials,
    templates/_macros), whose messages would then go untranslated unseen; skip only dot
    folders (.venv, .git), as ``--ignore-dirs ".*"`` does for pybabel extract."""
    return not os.path.basename(dirname).startswith(".")


@pytest.fixture(scope="module")
def messages() -> set:
    found = extracted_messages()
    assert len(found) > 100  # the extraction really read the templates and the code
    return found


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def missing(messages, shipped) -> list[str]:
    """The messages without a non-empty, non-fuzzy translation in ``shipped``."""
    problems = []
    for message in messages:
        key = message[0] if isinstance(message, tuple) else message
        entry = shipped.get(key)
        strings = entry.string if entry else None
        translated = [strings] if isinstance(strings, str) else list(strings or [])
        if entry is None or entry.fuzzy or not translated or not all(translated):
            problems.append(key)
    return sorted(problems)


def changed_placeholders(shipped) -> list[tuple[str, str]]:
    """The translations whose placeholders differ from their message's."""
    problems = []
    for entry in shipped:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for string in strings:
            if string and placeholders(string) != placeholders(ids[-1]):
                problems.append((ids[0], string))
    return problems


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_has_a_translation(messages, language):
    assert missing(messages, catalogue(language)) == []


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_the_placeholders(language):
    assert changed_placeholders(catalogue(language)) == []


def test_the_checks_find_a_missing_message_and_a_dropped_placeholder(messages, tmp_path):
    broken = (TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    broken = broken.replace('msgstr "Hallo %(name)s,"', 'msgstr "Hallo {name},"')
    broken = broken.replace('msgid "Reschedule"\nmsgstr "Verschieben"\n', "")
    broken = broken.replace('msgid "Time zone"', '#, fuzzy\nmsgid "Time zone"')
    broken = broken.replace('msgstr "Sprache"', 'msgstr ""')
    path = tmp_path / "messages.po"
    path.write_text(broken, encoding="utf-8")
    with path.open("rb") as po:
        shipped = read_po(po, locale="de")
    assert changed_placeholders(shipped) == [("Hello %(name)s,", "Hallo {name},")]
    assert missing(messages, shipped) == ["Language", "Reschedule", "Time zone"]


def test_the_compiled_catalogues_are_the_shipped_ones(app):
    # create_app compiled each .po into the .mo that Flask-Babel reads.
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("es"):
        assert gettext("Your booking is confirmed.") == "Su reserva está confirmada."
    for language in SHIPPED:
        mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
        assert mo.stat().st_mtime >= mo.with_suffix(".po").stat().st_mtime


def test_a_catalogue_is_compiled_when_its_mo_is_missing_or_older(tmp_path):
    from babel.messages.mofile import read_mo

    from timetics.i18n import compile_catalogues

    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "messages.po"
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Save"\nmsgstr "Speichern"\n', encoding="utf-8")
    compile_catalogues(tmp_path)
    mo = folder / "messages.mo"
    with mo.open("rb") as compiled:
        assert read_mo(compiled).get("Save").string == "Speichern"
    po.write_text(po.read_text(encoding="utf-8").replace("Speichern", "Sichern"),
                  encoding="utf-8")
    os.utime(mo, (0, 0))  # older than the .po
    compile_catalogues(tmp_path)
    with mo.open("rb") as compiled:
        assert read_mo(compiled).get("Save").string == "Sichern"
    assert sorted(p.name for p in folder.iterdir()) == ["messages.mo", "messages.po"]
