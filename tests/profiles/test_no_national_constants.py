"""No module outside `profiles/` holds France's national constants (issue 15): they live in profiles/FR.

The test reads every module of the package with `ast` and looks for what the
French profile holds: a list of its area codes, a label of its host or
employer types, its refund shares, its time zone, its currency code or symbol.
A case that must stay is listed in ALLOWED with why.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import swps_pipeline
from swps_pipeline.profiles import PACKAGED_PROFILES, read_profile

PACKAGE = Path(swps_pipeline.__file__).parent
FRENCH = read_profile(PACKAGED_PROFILES / "FR")
CURRENCY = re.compile(rf"\b{FRENCH.currency}\b|{re.escape(FRENCH.currency_symbol)}")

#: (module, what) that must stay, with why.
ALLOWED: dict[tuple[str, str], str] = {
    # Descriptions of the canonical money columns (`cost_eur`, `*_eur`): the published tables name them in the
    # profile's currency (publish/currency.py), the column dictionary and the asset descriptions describe the
    # canonical names.
    ("columns.py", "currency"): "descriptions of the canonical `*_eur` columns",
    ("defs/economics.py", "currency"): "asset descriptions of the `*_eur` tables",
    # The synthetic generator's French calibration (published counts, Seine-et-Marne 2021) is France's data by
    # definition; other profiles get a roll-out built from the profile (synthetic/calibration.py).
    ("synthetic/targets.py", "host type label"): "France's calibration: the host sites' names (Commissariat ...)",
}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if PACKAGE / "profiles" not in p.parents)


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def findings(path: Path) -> set[str]:
    """What of France's profile the module holds, by kind."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    found = set()
    codes, labels = FRENCH.area_codes(), {label for choices in (FRENCH.host_types, FRENCH.employer_types)
                                         for values in choices.values() for label in values}
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            values = [i.value for i in items if isinstance(i, ast.Constant)]
            if sum(isinstance(v, str) and v in codes for v in values) >= 3:
                found.add("area code list")
            if len(values) == len(FRENCH.refund_shares) and values == list(FRENCH.refund_shares):
                found.add("refund shares")
    strings = _strings(tree)
    if labels & set(strings):
        found.add("host type label")
    if FRENCH.timezone in text:
        found.add("time zone")
    if any(CURRENCY.search(s) for s in strings):
        found.add("currency")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_french_constant_outside_the_profiles(path):
    name = str(path.relative_to(PACKAGE))
    unexpected = {kind for kind in findings(path) if (name, kind) not in ALLOWED}
    assert not unexpected, f"{name} holds France's {', '.join(sorted(unexpected))}: read it from the country profile"


def test_the_allowed_cases_are_still_there():
    """An exception that no longer applies is removed from ALLOWED (the list says what is left to do)."""
    stale = [key for key in ALLOWED if key[1] not in findings(PACKAGE / key[0])]
    assert not stale


def test_the_check_finds_each_kind(tmp_path):
    """The detector itself, on a module written to break every rule once."""
    source = ('CODES = ["01", "2A", "971"]\nSHARES = (0.8, 0.5, 0.3)\nHOST = "Brigade"\nTZ = "Europe/Paris"\n'
              'COST = "52,500 €"\n')
    module = tmp_path / "national.py"
    module.write_text(source, encoding="utf-8")
    assert findings(module) == {"area code list", "refund shares", "host type label", "time zone", "currency"}
