"""The methods note of the pack through the catalogues: each heading, paragraph and table cell of the methods docs
is a message, translated in French, structure kept (issue 15)."""

from __future__ import annotations

from swps_pipeline.i18n import Texts
from swps_pipeline.indicators.catalogue import BY_ID
from swps_pipeline.publish.methods import has_words, messages, methods_markdown, translated
from swps_pipeline.publish.pack import markdown_to_html

SAMPLE = """# Title of the note

A paragraph that wraps
over two lines with `code_name`.

| setting | default |
| --- | --- |
| `n_boot` | 999 |
| the seed | 2023 |

```yaml
impact:
  anticipation: 1
```

- an item
  that goes on
- another item
"""


def test_the_messages_of_a_note_and_what_is_kept_as_written():
    assert messages(SAMPLE) == [
        "Title of the note", "A paragraph that wraps\nover two lines with `code_name`.", "setting", "default",
        "the seed", "- an item\n  that goes on\n- another item"]
    assert not has_words("`n_boot`") and not has_words("999") and has_words("the seed")


def test_a_translated_note_keeps_its_structure():
    upper = translated(SAMPLE, str.upper)
    assert upper.splitlines()[0] == "# TITLE OF THE NOTE"
    assert "| SETTING | DEFAULT |" in upper and "| `n_boot` | 999 |" in upper and "  anticipation: 1" in upper
    for text in methods_markdown().values():
        assert markdown_to_html(translated(text, lambda message: message)) == markdown_to_html(text)


def test_the_french_methods_note_is_french():
    french = {name: translated(text, Texts("fr")) for name, text in methods_markdown().items()}
    html = markdown_to_html(french["methods_economics.md"], heading_offset=1)

    assert french["methods_economics.md"].startswith("# Méthodes : coûts et analyse coûts-bénéfices\n")
    assert "<h3>2. Modèle coûts-bénéfices</h3>" in html
    assert "la valeur actuelle nette (VAN) moyenne (<code>npv_mean_eur</code>" in html
    assert "## Hypothèses et réserves" in french["methods_impact.md"]
    assert "**Tendances parallèles** : sans le dispositif" in french["methods_impact.md"]
    assert "l'étude d'événement" in french["methods_impact.md"]
    # No English message is left: each one with words reads otherwise in French, but for the indicator
    # catalogue's own French labels (its "label (fr)" column) and words the same in both languages.
    same = {message for name, text in methods_markdown().items() for message in messages(text)
            if Texts("fr")(message) == message}
    french_labels = {indicator.label_fr for indicator in BY_ID.values()}
    assert same - french_labels == {"Catalogue", "Tables", "public", "orientation", "distribution", "source",
                                    "Home Office RR107"}


def test_the_methods_note_says_the_price_year_and_the_base_year_without_code_paths():
    """Review of 2026-12-03, item 3: the sentence giving the price year named the price index's file, so the
    evaluator text dropped it (a sentence naming code is a developer note) and the pack never said its euros."""
    english = methods_markdown()["methods_economics.md"]
    french = " ".join(translated(english, Texts("fr")).split())
    english = " ".join(english.split())
    assert "All money is in euros of `price_year` (default 2024)" in english
    assert "Tous les montants sont en euros de l'année de prix `price_year` (par défaut 2024)" in french
    assert "discounted to the run's `base_year`" in english and "actualisé à l'année de base `base_year`" in french
    assert "swps_pipeline/" not in english and "cpi.csv" not in french
