"""The message catalogues: complete in English and French, up to date with the code, and a missing message falls
back to English (issue 15, item 2)."""

from __future__ import annotations

import shutil

import pytest
from babel.messages.pofile import write_po

from swps_pipeline import i18n
from swps_pipeline.collect import texts
from swps_pipeline.i18n import Texts, catalogue_path, catalogue_problems, extract, read_catalogue, translator


@pytest.fixture(scope="module")
def template():
    """The messages of the code as Babel's extractor finds them now."""
    return extract()


def test_english_and_french_are_complete(template):
    assert {"en", "fr"} <= set(i18n.available_languages())
    for language in i18n.available_languages():
        assert catalogue_problems(language, template=template) == [], language


def test_the_template_on_disk_holds_the_messages_of_the_code(template):
    """A message added to the code without `swps i18n extract` (and `update`) fails here."""
    on_disk = read_catalogue(i18n.TEMPLATE)
    assert {(m.id, m.context) for m in on_disk if m.id} == {(m.id, m.context) for m in template if m.id}


def _french_copy(tmp_path):
    folder = tmp_path / "locale"
    for language in ("en", "fr"):
        catalogue_path(language, folder).parent.mkdir(parents=True)
        shutil.copy(catalogue_path(language), catalogue_path(language, folder))
    return folder, read_catalogue(catalogue_path("fr", folder))


def _save(catalog, folder):
    with catalogue_path("fr", folder).open("wb") as handle:
        write_po(handle, catalog)


def test_the_check_names_a_missing_an_empty_a_fuzzy_and_a_mistranslated_message(tmp_path, template):
    folder, catalog = _french_copy(tmp_path)
    del catalog[texts.REQUIRED_MESSAGE]
    catalog[texts.STATUS_ALL_IN].string = ""
    catalog[texts.BLANK].flags.add("fuzzy")
    catalog[texts.SUM_MESSAGE].string = "Le total des {total_words} ({total}) ne correspond pas à la somme ({sum})."
    _save(catalog, folder)

    problems = catalogue_problems("fr", folder, template)

    assert sorted(problems) == sorted([
        f"messages.po [fr] {texts.REQUIRED_MESSAGE!r}: missing (run `swps i18n update`, then translate it)",
        f"messages.po [fr] {texts.STATUS_ALL_IN!r}: not translated",
        f"messages.po [fr] {texts.BLANK!r}: fuzzy (check the translation, then remove the fuzzy flag)",
        f"messages.po [fr] {texts.SUM_MESSAGE!r}: placeholders ['sum', 'total', 'total_words'] instead of "
        "['members_words', 'sum', 'total', 'total_words']",
    ])
    assert catalogue_problems("nl", folder, template) == [
        f"{catalogue_path('nl', folder)}: no catalogue (copy messages.pot there and translate it)"]


def test_a_message_missing_from_a_catalogue_falls_back_to_english(tmp_path):
    folder, catalog = _french_copy(tmp_path)
    del catalog[texts.REQUIRED_MESSAGE]
    catalog[texts.BLANK].flags.add("fuzzy")
    catalog[texts.STATUS_ALL_IN].string = ""
    _save(catalog, folder)

    french = translator("fr", folder)

    assert french.gettext(texts.REQUIRED_MESSAGE).format(column="ETP") == "'ETP' is blank: this cell is required."
    assert french.gettext(texts.BLANK) == "blank"
    assert french.gettext(texts.STATUS_ALL_IN) == "All the returns expected are received and accepted."
    # The rest is still French, and the packaged catalogue is untouched.
    assert french.gettext(texts.FEEDBACK_NOTHING["warnings"]) == "Aucun avertissement."
    assert Texts("fr")(texts.REQUIRED_MESSAGE, column="ETP") == "« ETP » est vide : cette case est obligatoire."
    # A language without a catalogue (a profile's Dutch before its catalogue exists) reads English; a regional
    # variant reads its language's catalogue.
    assert translator("nl", folder).gettext(texts.BLANK) == "blank"
    assert translator("fr_BE").gettext(texts.BLANK) == "vide"


def test_numbers_and_dates_follow_the_language():
    import datetime as dt

    assert (Texts("fr").number(0.8), Texts("en").number(0.8), Texts("fr").number(12.0)) == ("0,8", "0.8", "12")
    assert Texts("fr").date(dt.date(2024, 2, 15)) == "15/02/2024"
    assert Texts("en").date(dt.date(2024, 2, 15)) == "2024-02-15"


def test_update_merges_a_new_message_into_every_catalogue(tmp_path):
    """`swps i18n update`: a message new in the template is empty (to translate) in French, filled in English."""
    folder, _ = _french_copy(tmp_path)
    template = read_catalogue(i18n.TEMPLATE)
    template.add("A message added to the code.")
    with (folder / "messages.pot").open("wb") as handle:
        write_po(handle, template)

    i18n.update_catalogues(folder)

    french, english = (read_catalogue(catalogue_path(language, folder)) for language in ("fr", "en"))
    assert french["A message added to the code."].string == ""
    assert english["A message added to the code."].string == "A message added to the code."
    assert french[texts.BLANK].string == "vide"
    assert catalogue_problems("fr", folder, template) == [
        "messages.po [fr] 'A message added to the code.': not translated"]


@pytest.mark.parametrize(("argv", "rest", "language"), [
    (["--language", "en", "status"], ["status"], "en"),
    (["--profile", "FR", "--language=nl", "feedback"], ["--profile", "FR", "feedback"], "nl"),
    (["--language", "fr", "--profile", "FR", "run", "--year", "2021"], ["--profile", "FR", "run", "--year", "2021"],
     "fr"),
    (["feedback", "--language", "en"], ["feedback", "--language", "en"], None),  # after the command: not ours
])
def test_the_language_option_before_the_command(argv, rest, language, monkeypatch):
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    monkeypatch.setenv(i18n.LANGUAGE_VARIABLE, "")  # restored after the test: the option sets the variable
    assert i18n.select_language(list(argv)) == rest
    assert (i18n.os.environ[i18n.LANGUAGE_VARIABLE] or None) == language


def test_a_language_outside_the_complete_ones_may_leave_a_message_to_english(tmp_path, template):
    """Dutch may leave a message empty (it reads in English, `swps i18n check` counts it); French may not."""
    folder, _ = _french_copy(tmp_path)
    shutil.copy(catalogue_path("nl"), catalogue_path("nl", folder).parent.mkdir(parents=True) or
                catalogue_path("nl", folder))
    for language in ("fr", "nl"):
        catalog = read_catalogue(catalogue_path(language, folder))
        catalog[texts.STATUS_ALL_IN].string = ""
        with catalogue_path(language, folder).open("wb") as handle:
            write_po(handle, catalog)

    assert catalogue_problems("fr", folder, template) == [f"messages.po [fr] {texts.STATUS_ALL_IN!r}: not translated"]
    assert catalogue_problems("nl", folder, template) == []
    assert texts.STATUS_ALL_IN in i18n.untranslated("nl", folder, template)
    assert translator("nl", folder).gettext(texts.STATUS_ALL_IN) == texts.STATUS_ALL_IN


def test_what_dutch_leaves_to_english_is_the_methods_note_the_readme_lists(template):
    """README, 'Languages', lists the Dutch messages to review by a Dutch speaker: the methods note's paragraphs;
    every other message of the pack is translated."""
    from swps_pipeline.publish.methods import catalogue_messages

    methods = {message for message, _file, _line in catalogue_messages()}
    left = i18n.untranslated("nl", template=template)
    assert left and set(left) <= methods
    readme = (i18n.PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert "to review by a Dutch speaker" in readme and "methods note" in readme
