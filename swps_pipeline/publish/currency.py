"""Money columns say their currency where tables leave the pipeline (issue 15).

Inside the pipeline an amount keeps the column name the contracts give it (`cost_eur`, `npv_mean_eur`, ...): the
`_eur` word is the canonical mark of money, whatever the country, and some 130 places read those names. Where a
table is published (the Parquet marts, the evaluation pack's CSVs and workbook) the mark becomes the profile's ISO
4217 code in lower case: `cost_pln`, `npv_mean_pln` for Poland; a euro profile's names are the canonical ones, so
its tables are unchanged byte for byte. `read_mart` turns published names back into canonical ones. The one ratio
named after the money it divides by (`npv_per_public_euro`, the NPV per unit of public money) follows the rule too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from swps_pipeline.i18n import SOURCE_LANGUAGE, available_languages
from swps_pipeline.profiles import active_profile

#: The canonical money word of the contracts' column names (`cost_eur`), and the ratios' (`npv_per_public_euro`).
CANONICAL = "eur"
_CANONICAL_RATIO = "euro"
_CANONICAL_WORD = re.compile(rf"(?<=_)(?:{CANONICAL}|{_CANONICAL_RATIO}$)(?=_|$)")


def money_word(currency: str) -> str:
    """The word money columns carry for an ISO 4217 code: its lower case."""
    return currency.lower()


def published_name(name: str, currency: str) -> str:
    """A canonical column name as published in `currency` (`cost_eur` -> `cost_pln`); other names unchanged."""
    word = money_word(currency)
    return name if word == CANONICAL else _CANONICAL_WORD.sub(word, name)


def canonical_name(name: str, currency: str) -> str:
    """The inverse of `published_name`."""
    word = money_word(currency)
    if word == CANONICAL:
        return name
    if name.endswith(f"_per_public_{word}"):
        return f"{name[: -len(word)]}{_CANONICAL_RATIO}"
    return re.sub(rf"(?<=_){re.escape(word)}(?=_|$)", CANONICAL, name)


def published_columns(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """`frame` with its money columns named in `currency` (the same frame when nothing changes)."""
    names = {name: published_name(str(name), currency) for name in frame.columns}
    return frame if all(str(k) == v for k, v in names.items()) else frame.rename(columns=names)


def canonical_columns(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """A published table with the canonical column names the pipeline reads (the same frame for a euro profile)."""
    names = {name: canonical_name(str(name), currency) for name in frame.columns}
    return frame if all(str(k) == v for k, v in names.items()) else frame.rename(columns=names)


@dataclass(frozen=True)
class Money:
    """How the published tables, the workbook's number formats and the charts write amounts of one currency."""

    code: str  # ISO 4217
    symbol: str  # as the profile writes it

    @property
    def millions(self) -> str:
        """The unit of amounts in millions: M and a one-character symbol, else M, a space and the symbol (M zł)."""
        return f"M{self.symbol}" if len(self.symbol) == 1 else f"M {self.symbol}"

    @property
    def amount_format(self) -> str:
        """The Excel number format of an amount: whole units and the symbol."""
        return f'#,##0 "{self.symbol}"'

    @property
    def millions_format(self) -> str:
        """The Excel number format of an amount in millions, one decimal."""
        return f'#,##0.0 "{self.millions}"'

    def name(self, language: str, count: int = 2) -> str:
        """The currency's name in `language`, plural as a unit of amounts (CLDR: euros, zlotys polonais); in
        English when the texts around it are (no catalogue for `language`: `i18n`'s fallback)."""
        from babel.numbers import get_currency_name

        shown = language if language in available_languages() else SOURCE_LANGUAGE
        return get_currency_name(self.code, count=count, locale=shown)

    def is_money_column(self, name: str) -> bool:
        """A published column holding an amount: its name ends with the currency's word (not a ratio per unit)."""
        return canonical_name(name, self.code).endswith(f"_{CANONICAL}")


def profile_money() -> Money:
    """The active country profile's currency."""
    profile = active_profile()
    return Money(profile.currency, profile.currency_symbol)
