"""The methods note of the evaluation pack: the methods docs for an evaluator, in the pack's language.

The docs (`docs/indicators.md`, `methods_economics.md`, `methods_impact.md`)
are written in English, the catalogues' source language. Each heading,
paragraph (a list with its lead-in is one paragraph) and table cell with words
in them is a message of the catalogues, extracted by `swps i18n extract` with
the code's messages (`i18n.extract`), so `swps i18n check` names a paragraph
edited in the docs and not yet translated; until it is, that paragraph reads
in English (the usual fallback). Code blocks, table rules and cells without
words (identifiers, numbers) are kept as written.

Light on purpose (no pandas): `swps i18n extract` reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
METHODS_DOCS = ("indicators.md", "methods_economics.md", "methods_impact.md")

_HEADING = re.compile(r"(#{1,6})\s")
_HEADING_LINE = re.compile(r"(#{1,6}\s+)(.*)")
_DEVELOPER_SECTION = re.compile(r"#{1,6}\s.*\b(tests?|library choice)\b", re.IGNORECASE)
_CODE_REFERENCE = re.compile(r"swps_pipeline[/.]|tests/|\.py\b")
#: A heading's aside naming code, e.g. "Settings (`impact/settings.py`)": the reader gets "Settings".
_HEADING_CODE_ASIDE = re.compile(r"\s*\([^()]*`[^`()]+`[^()]*\)")
_TABLE_RULE = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")
_CODE_SPAN = re.compile(r"`[^`]*`")
#: A word a reader reads (3 letters or more), once code spans and identifiers (`fte_years`, `p10`) are set aside.
_WORD = re.compile(r"(?<![\w-])[^\W\d_]{3,}(?![\w])")


def evaluator_text(markdown: str) -> str:
    """The methods for an evaluator: the docs without developer notes (paragraphs that point at
    code or tests, sections about what the tests show or which library was chosen, code named in
    headings); those stay in docs/."""
    kept, skip_level = [], 0
    for block in re.split(r"\n\s*\n", markdown):
        heading = _HEADING.match(block.strip())
        if heading and skip_level and len(heading[1]) <= skip_level:
            skip_level = 0
        if skip_level:
            continue
        if heading and _DEVELOPER_SECTION.match(block.strip()):
            skip_level = len(heading[1])
            continue
        if heading:
            first, _, rest = block.strip().partition("\n")
            block = "\n".join(filter(None, [_HEADING_CODE_ASIDE.sub("", first), rest]))
        if not heading and _CODE_REFERENCE.search(block) and not block.lstrip().startswith(("|", "```")):
            sentences = [text for text in re.split(r"(?<=[.])\s+", block) if not _CODE_REFERENCE.search(text)]
            block = " ".join(sentences)
        if block.strip():
            kept.append(block)
    return "\n\n".join(kept)


def methods_markdown(folder: Path = DOCS) -> dict[str, str]:
    """The evaluator text of each methods doc found in `folder`, in English, by file name."""
    return {name: evaluator_text((folder / name).read_text(encoding="utf-8"))
            for name in METHODS_DOCS if (folder / name).exists()}


def has_words(text: str) -> bool:
    """Whether `text` holds words to translate, not only code, identifiers and numbers."""
    return bool(_WORD.search(_CODE_SPAN.sub(" ", text)))


def _pieces(markdown: str) -> Iterator[tuple[str, bool]]:
    """The markdown cut into (text, is a message): headings' text, paragraphs and table cells with words are
    messages; everything else (markup, code blocks, blank lines) is kept as it is."""
    lines = markdown.split("\n")
    paragraph: list[str] = []
    in_code = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        end = "\n" if number < len(lines) else ""
        heading = None if in_code else _HEADING_LINE.fullmatch(stripped)
        if paragraph and (in_code or not stripped or heading or stripped.startswith(("```", "|"))):
            yield "\n".join(paragraph), has_words("\n".join(paragraph))
            yield "\n", False
            paragraph.clear()
        if stripped.startswith("```"):
            in_code = not in_code
            yield line + end, False
        elif in_code or not stripped:
            yield line + end, False
        elif heading:
            yield heading[1], False
            yield heading[2], has_words(heading[2])
            yield end, False
        elif stripped.startswith("|") and not _TABLE_RULE.fullmatch(stripped):
            for cell in stripped.strip("|").split("|"):
                yield "| ", False
                yield cell.strip(), has_words(cell)
                yield " ", False
            yield "|" + end, False
        elif stripped.startswith("|"):
            yield stripped + end, False
        else:
            paragraph.append(line)
    if paragraph:
        yield "\n".join(paragraph), has_words("\n".join(paragraph))


def messages(markdown: str) -> list[str]:
    """The messages of `markdown`, in order (for `swps i18n extract`)."""
    return [text for text, is_message in _pieces(markdown) if is_message]


def translated(markdown: str, translate: Callable[[str], str]) -> str:
    """`markdown` with each of its messages translated by `translate` (e.g. `Texts(language)`)."""
    return "".join(translate(text) if is_message else text for text, is_message in _pieces(markdown))


def catalogue_messages() -> Iterator[tuple[str, str, int]]:
    """(message, file, line) of every message of the methods docs, for `swps i18n extract`."""
    for name, markdown in methods_markdown().items():
        for message in messages(markdown):
            yield message, f"docs/{name}", 0
