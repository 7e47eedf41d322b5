"""What people read, in their language: gettext catalogues under `locale/`, made and read with Babel (issue 15).

The messages are written in English, the catalogues' source language, and
marked with `N_` (or passed to a translator's `gettext`) so that Babel's
extractor finds them: `swps i18n extract` writes `locale/messages.pot`,
`swps i18n update` merges it into every `locale/<xx>/LC_MESSAGES/messages.po`,
`swps i18n check` names every message a catalogue misses, leaves empty or
marks fuzzy, or whose `{placeholders}` differ from the English ones.

The `.po` files are read at run time (Babel's `read_po`, compiled in memory),
not compiled to `.mo` at install: the catalogue in git is the only copy, a
fresh clone needs no build step (`make run`, `make test`), and an edited
translation cannot leave a stale binary behind. The first catalogue costs about
50 ms (Babel's import included), another one about 7 ms, once per process.

A message missing from a catalogue (absent, empty or fuzzy) falls back to the
English catalogue, then to the English text itself. The language is the
country profile's (`language:`), unless `SWPS_LANGUAGE` (or `swps --language
xx`) asks for another one that has a catalogue. The published marts never
depend on it: they keep their fixed wording (shared/contract/outputs.md).
"""

from __future__ import annotations

import argparse
import gettext
import importlib
import io
import os
import re
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "messages"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
SOURCE_LANGUAGE = "en"
#: The languages whose catalogue must translate every message (issue 15: English and French complete); another
#: language's catalogue may leave a message empty, read in English until a speaker translates it (README,
#: "Languages", lists them).
COMPLETE_LANGUAGES = ("en", "fr")
#: Messages that are not in the code: the methods docs' paragraphs and the economic parameters' labels, each
#: module's `catalogue_messages()` giving (message, file, line).
OTHER_MESSAGE_SOURCES = ("swps_pipeline.publish.methods", "swps_pipeline.economics.parameters")
LANGUAGE_VARIABLE = "SWPS_LANGUAGE"
#: Comments written just above a marked message, starting with this, reach the translators in the catalogues.
TRANSLATOR_TAG = "TRANSLATORS:"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class LanguageError(Exception):
    """A language asked for that has no catalogue (one line for the user)."""


def N_(message: str) -> str:
    """Mark a message for the extractor where it is defined; it is translated where it is shown."""
    return message


# TRANSLATORS: how a date is written (strftime codes): day/month/year in French.
DATE_FORMAT = N_("%Y-%m-%d")
# TRANSLATORS: between the items of a list in a sentence (places, reasons, notes): " ; " in French.
LIST_SEPARATOR = N_("; ")


def catalogue_path(language: str, folder: Path = LOCALE_DIR) -> Path:
    return folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages(folder: Path = LOCALE_DIR) -> list[str]:
    """The languages with a catalogue in `folder`, sorted."""
    return sorted(path.parent.parent.name for path in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalogue(path: Path):
    """A `.po` file as a Babel `Catalog`."""
    from babel.messages.pofile import read_po

    language = path.parent.parent.name if path.suffix == ".po" else None  # <xx>/LC_MESSAGES/messages.po
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _compiled(path: Path) -> gettext.GNUTranslations | None:
    """The catalogue at `path` compiled in memory; fuzzy and empty messages are left out (they fall back)."""
    from babel.messages.mofile import write_mo

    if not path.is_file():
        return None
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(path))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def translator(language: str, folder: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """The messages in `language` (`xx` or `xx_YY`, which also tries `xx`), falling back to English for any
    message its catalogue lacks, then to the English text itself."""
    chain = None
    for candidate in dict.fromkeys([language, language.split("_")[0], SOURCE_LANGUAGE]):
        compiled = _compiled(catalogue_path(candidate, folder))
        if compiled is None:
            continue
        if chain is None:
            chain = compiled
        else:
            chain.add_fallback(compiled)
    return chain or gettext.NullTranslations()


class Texts:
    """The messages, numbers and dates of one language: `texts(message, **values)` translates and fills."""

    def __init__(self, language: str | None = None):
        self.language = language or active_language()
        self.gettext = translator(self.language).gettext

    def __call__(self, message: str, **values) -> str:
        translated = self.gettext(message)
        return translated.format(**values) if values else translated

    def number(self, value: float) -> str:
        """A number as the reader writes it: the language's decimal sign (0,8 in French), at most 2 decimals,
        no thousands separator (the cells are read back)."""
        from babel.numbers import get_decimal_symbol

        if not float(value).is_integer():
            return f"{value:.2f}".rstrip("0").replace(".", get_decimal_symbol(self.language.split("_")[0]))
        return str(int(value))

    def decimal(self, value: float, pattern: str = "#,##0.###") -> str:
        """A number for a reader, in the language's way (`pattern`: Unicode LDML, as Excel's, e.g. "#,##0.0"):
        10,000.5 in English, 10 000,5 in French."""
        from babel.numbers import format_decimal

        return format_decimal(value, pattern, locale=self.language)

    def percent(self, value: float, decimals: int = 1, signed: bool = False) -> str:
        """A share for a reader, in the language's percent pattern: 3.2% in English, 3,2 % in French; `signed`
        writes + before a positive share (a change)."""
        from babel import Locale
        from babel.numbers import format_percent

        pattern = Locale.parse(self.language).percent_formats[None].pattern.split(";")[0]
        last = pattern.rindex("0") + 1
        pattern = pattern[:last] + ("." + "0" * decimals if decimals else "") + pattern[last:]
        return format_percent(value, f"+{pattern};-{pattern}" if signed else pattern, locale=self.language)

    def signed(self, value: float, decimals: int = 3) -> str:
        """An estimate with its sign, in the language's way, with a true minus: +0.120, −0.050 (+0,120 in French)."""
        digits = "0." + "0" * decimals if decimals else "0"
        return self.decimal(value, f"+{digits};-{digits}").replace("-", "\u2212")

    def country(self, code: str, default: str) -> str:
        """The name of the country `code` (ISO 3166-1) in the language (CLDR, through Babel: Belgique in French),
        else `default`."""
        from babel import Locale

        return Locale.parse(self.language).territories.get(code, default)

    def date(self, value) -> str:
        return value.strftime(self.gettext(DATE_FORMAT))


def active_language() -> str:
    """`SWPS_LANGUAGE` when set (it must have a catalogue), else the active country profile's language."""
    asked = os.environ.get(LANGUAGE_VARIABLE)
    if asked:
        check_language(asked)
        return asked
    from swps_pipeline.profiles import active_profile

    return active_profile().language


def check_language(language: str) -> None:
    """`LanguageError` unless `language` (or its `xx` part) has a catalogue."""
    languages = available_languages()
    if language not in languages and language.split("_")[0] not in languages:
        raise LanguageError(f"no catalogue for language {language!r} (available: {', '.join(languages)}; "
                            f"a new one is made from {TEMPLATE.relative_to(PACKAGE.parent)}: README, 'Languages')")


@cache
def filled_values(message: str, text: str) -> dict[str, str] | None:
    """The values that filled the English `message` to give `text`, or None when `text` is not this message:
    a text kept in English in a mart is said again in the reader's language where it is shown."""
    pattern = "".join(f"(?P<{part[1:-1]}>.+?)" if _PLACEHOLDER.fullmatch(part) else re.escape(part)
                      for part in re.split(r"(\{[^{}]*\})", message) if part)
    found = re.fullmatch(pattern, text, flags=re.DOTALL)
    return found.groupdict() if found else None


def every_translation(message: str) -> frozenset[str]:
    """The message in every language with a catalogue (for words a reader must recognise in any of them)."""
    return frozenset(translator(language).gettext(message) for language in available_languages()) | {message}


def select_language(argv: list[str]) -> list[str]:
    """Apply a `--language xx` given before the command (before or after `--profile XX`) to `SWPS_LANGUAGE`;
    the rest of argv. `LanguageError` when the language asked for, here or in `SWPS_LANGUAGE`, has no catalogue
    (checked before any command runs, so that it is one line, not a failed run)."""
    if os.environ.get(LANGUAGE_VARIABLE):
        check_language(os.environ[LANGUAGE_VARIABLE])
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        word = argv[i]
        if word == "--language" and i + 1 < len(argv):
            language, rest = argv[i + 1], argv[:i] + argv[i + 2:]
        elif word.startswith("--language="):
            language, rest = word.split("=", 1)[1], argv[:i] + argv[i + 1:]
        else:
            i += 2 if word == "--profile" else 1
            continue
        check_language(language)
        os.environ[LANGUAGE_VARIABLE] = language
        return rest
    return argv


# --- Maintaining the catalogues (`swps i18n`) --------------------------------------------------------------------

def extract():
    """The template catalogue: every marked message of the package, with the translators' comments."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    template = Catalog(project="swps-pipeline", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], comment_tags=(TRANSLATOR_TAG,), strip_comment_tags=True):
        template.add(message, None, [(f"swps_pipeline/{filename}", lineno)], auto_comments=comments,
                     context=context)
    for module in OTHER_MESSAGE_SOURCES:
        for message, filename, lineno in importlib.import_module(module).catalogue_messages():
            if message in template:
                template[message].locations.append((filename, lineno))
            else:
                template.add(message, None, [(filename, lineno)])
    return template


def _write(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    catalog.header_comment = ("# Messages of swps-pipeline" + (f", language {catalog.locale}" if catalog.locale else
                              " (the template: copy it to <xx>/LC_MESSAGES/messages.po to translate)")
                              + ".\n# Made with `swps i18n extract` / `swps i18n update` (README, 'Languages').")
    catalog.last_translator = catalog.language_team = "swps-pipeline developers"
    catalog.msgid_bugs_address = ""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=116, include_lineno=False, sort_output=True)
    # Babel stamps the time of writing in the header; it would change every file on every run.
    text = re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', b"", buffer.getvalue())
    path.write_bytes(text)


def write_template(folder: Path = LOCALE_DIR) -> Path:
    path = folder / f"{DOMAIN}.pot"
    _write(extract(), path)
    return path


def update_catalogues(folder: Path = LOCALE_DIR) -> list[Path]:
    """Merge the template into every catalogue (new messages empty, changed ones fuzzy, Babel's `update`); the
    English one is the source text itself, so its messages are filled with their ids."""
    from babel.messages.catalog import Catalog

    written = []
    for language in dict.fromkeys([*available_languages(folder), SOURCE_LANGUAGE]):
        path = catalogue_path(language, folder)
        catalog = read_catalogue(path) if path.is_file() else Catalog(locale=language, domain=DOMAIN)
        # Read for each catalogue: Babel's `update` adds the template's new messages themselves, not copies.
        catalog.update(read_catalogue(folder / f"{DOMAIN}.pot"), no_fuzzy_matching=False)
        catalog.obsolete.clear()
        if language == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id:
                    message.string, message.flags = message.id, message.flags - {"fuzzy"}
        _write(catalog, path)
        written.append(path)
    return written


def catalogue_problems(language: str, folder: Path = LOCALE_DIR, template=None) -> list[str]:
    """One line per message of the template (by default extracted from the code now) that the catalogue of
    `language` misses, marks fuzzy, translates with other `{placeholders}`, or leaves empty (in a language of
    `COMPLETE_LANGUAGES`; elsewhere an empty message reads in English: `untranslated`)."""
    template = template if template is not None else extract()
    path = catalogue_path(language, folder)
    if not path.is_file():
        return [f"{path}: no catalogue (copy {DOMAIN}.pot there and translate it)"]
    catalog = read_catalogue(path)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        where = f"{path.name} [{language}] {message.id!r}"
        if found is None:
            problems.append(f"{where}: missing (run `swps i18n update`, then translate it)")
        elif not found.string:
            if language in COMPLETE_LANGUAGES:
                problems.append(f"{where}: not translated")
        elif found.fuzzy:
            problems.append(f"{where}: fuzzy (check the translation, then remove the fuzzy flag)")
        elif sorted(_PLACEHOLDER.findall(found.string)) != sorted(_PLACEHOLDER.findall(message.id)):
            problems.append(f"{where}: placeholders {sorted(set(_PLACEHOLDER.findall(found.string)))} instead of "
                            f"{sorted(set(_PLACEHOLDER.findall(message.id)))}")
    return problems


def add_i18n_command(commands) -> None:
    """The `i18n` subcommand: `extract`, `update`, `check`."""
    command = commands.add_parser("i18n", help="the message catalogues: extract the template, update, check")
    command.add_argument("action", choices=["extract", "update", "check"],
                         help="extract: write locale/messages.pot from the code; update: merge it into every "
                              "catalogue; check: name every missing, empty, fuzzy or inconsistent translation")
    command.set_defaults(handler=command_i18n)


def command_i18n(args: argparse.Namespace) -> int:
    if args.action == "extract":
        template = write_template()
        print(f"swps i18n: {len(read_catalogue(template))} messages in {template}")
        return 0
    if args.action == "update":
        for path in update_catalogues():
            print(f"swps i18n: {path} updated")
        return 0
    template = extract()
    problems = [line for language in available_languages() for line in catalogue_problems(language, template=template)]
    print("\n".join(problems) if problems else
          f"swps i18n: clean ({', '.join(available_languages())}: {len(template)} messages each)")
    for language in available_languages():
        if language not in COMPLETE_LANGUAGES and (left := untranslated(language, template=template)):
            print(f"swps i18n: {language}: {len(left)} messages read in English until translated (README, 'Languages')")
    return 2 if problems else 0


def untranslated(language: str, folder: Path = LOCALE_DIR, template=None) -> list[str]:
    """The messages of the template that the catalogue of `language` leaves empty (they read in English)."""
    template = template if template is not None else extract()
    catalog = read_catalogue(catalogue_path(language, folder))
    return [message.id for message in template if message.id
            and (found := catalog.get(message.id, context=message.context)) is not None and not found.string]
