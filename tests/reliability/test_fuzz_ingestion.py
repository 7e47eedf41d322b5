"""Fuzzing ingestion: whatever arrives in a year folder, nothing raises and nothing vanishes.

Hypothesis writes returns files with random header spellings and orders,
separators, encodings, title rows, blank, garbage and summary lines, random
cell values, truncated bytes and plain noise. For every year it checks the
contract's promise: every row read ends as exactly one of valid, quarantined,
summary skipped or duplicate dropped, the accounting balances per file, and
the rows we know to be correct are accepted at the line where we wrote them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swps_pipeline.contract import BY_NAME, GROUPS, HARD_RULES, REQUIRED, SOFT_RULES, normalise_header
from swps_pipeline.ingest.registry import read_registry
from swps_pipeline.validate import validate_year
from tests.validate.returns import VALID_RETURN

YEAR = 2021
BUNDLED_REGISTRY = Path(__file__).resolve().parents[2] / "data" / "raw" / "positions.csv"

#: A return that breaks no rule (the validation tests' own), with French labels and a spaced thousands figure
#: as coordinators type them; each clean row sets its own year, ids and counts.
CLEAN_VALUES = {**VALID_RETURN, "host_type": "Commissariat", "employer_type": "Collectivité", "cost_eur": "52 000",
                **{name: "3" for name in GROUPS["problem"] + GROUPS["orient"]}}
OPTIONAL_SINGLES = ["host_type", "host_site", "employer_type", "months_active", "cost_eur", "ongoing_cases",
                    "child_in_danger_reports"]
TITLES = ["Bilan annuel des intervenants sociaux en commissariat et gendarmerie", "Département : Seine-et-Marne"]


@cache
def bundled_registry():
    return read_registry(BUNDLED_REGISTRY)


def starts_like_total(text: str) -> bool:
    return text.strip().lower().startswith("total")


def text_in(encoding: str, max_size: int = 12) -> st.SearchStrategy[str]:
    """Free text the file's encoding can hold, without quotes or line breaks (they would join lines)."""
    codec = "cp1252" if encoding == "cp1252" else "utf-8"
    alphabet = st.characters(codec=codec, exclude_characters="\"\r\n\x00", exclude_categories=("Cs",))
    return st.text(alphabet, max_size=max_size).filter(lambda text: not starts_like_total(text))


def cell_values(encoding: str) -> st.SearchStrategy[str]:
    """Anything a person may type in a cell: numbers in every spelling, "not reported" marks, junk."""
    return st.one_of(
        st.integers(-5, 10**7).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(0, 2, places=2).map(lambda value: str(value).replace(".", ",")),
        st.sampled_from(["", " ", "-", "NR", "N.R.", "n/a", "1 234", "1\u00a0234", "12,5", "2021.5", "1e3",
                         "police", "Brigade", "Mixte", "Association", "2A", "971", "77-003", "7", "0", "TRUE"]),
        text_in(encoding),
    )


@dataclass
class Planned:
    """A returns file as written, and what reading it must give."""

    name: str
    content: bytes
    truncated: bool = False
    missing_required: str | None = None
    noise: bool = False
    rows_read: int = 0  # lines after the header with a non-blank cell
    summary_rows: int = 0
    clean_lines: list[int] = field(default_factory=list)  # lines of the rows that break no rule

    @property
    def intact(self) -> bool:
        """A readable CSV with every required column, as written."""
        return not (self.noise or self.truncated or self.missing_required)


@st.composite
def returns_csv(draw, index: int) -> Planned:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    separator = draw(st.sampled_from([";", ","]))
    groups = draw(st.lists(st.sampled_from(sorted(GROUPS)), unique=True))
    singles = draw(st.lists(st.sampled_from(OPTIONAL_SINGLES), unique=True))
    columns = draw(st.permutations(REQUIRED + singles + [c for g in groups for c in GROUPS[g]]))
    missing = draw(st.one_of(st.none(), st.sampled_from(REQUIRED))) if draw(st.integers(0, 9)) == 0 else None
    columns = [c for c in columns if c != missing]
    spelling = draw(st.sampled_from(["name", "label", "upper", "normalised"]))
    header = [{"name": c, "label": BY_NAME[c].label, "upper": BY_NAME[c].label.upper(),
               "normalised": normalise_header(BY_NAME[c].label)}[spelling] for c in columns]
    extra = draw(st.booleans())
    header += ["Commentaire"] if extra else []
    width = len(header)

    lines: list[list[str]] = [[title] + [""] * (width - 1) for title in draw(st.lists(st.sampled_from(TITLES),
                                                                                       max_size=2))]
    lines.append(header)
    plan = Planned(name=f"file_{index}.csv", content=b"", missing_required=missing)
    thousands = ["300", "1 300", "1\u00a0300"] + (["1\u202f300"] if encoding != "cp1252" else [])
    kinds = draw(st.lists(st.sampled_from(["clean", "random", "blank", "garbage", "summary"]), max_size=12))
    for number, kind in enumerate(kinds):
        if kind == "clean":
            position = f"77-{100 + index * 20 + number:03d}"  # ids no random row can take
            values = {**CLEAN_VALUES, "year": str(YEAR), "department_code": "77", "position_id": position,
                      "fte": draw(st.sampled_from(["1", "0,8", "0.5"])), "persons_received": "100",
                      "new_cases": "80", "actions": draw(st.sampled_from(thousands))}
            cells = [values[c] for c in columns] + (["vu"] if extra else [])
        elif kind == "random":
            cells = draw(st.lists(cell_values(encoding), min_size=width, max_size=width))
            if draw(st.booleans()) and "position_id" in columns:  # an id that no clean row uses
                cells[columns.index("position_id")] = f"77-{draw(st.integers(900, 999))}"
        elif kind == "blank":
            cells = [draw(st.sampled_from(["", " ", "\t"]))] * draw(st.integers(1, width))
        elif kind == "garbage":
            cells = [draw(text_in(encoding, 40).filter(str.strip))]
        else:  # a summary row: no position id, its first non-empty cell starts with "total"
            cells = [draw(st.integers(0, 999).map(str)) for _ in range(width)]
            label_at = 1 if columns[0] == "position_id" else 0
            cells[:label_at] = [""] * label_at
            cells[label_at] = draw(st.sampled_from(["Total", "TOTAL département", "total général"]))
            if "position_id" in columns:
                cells[columns.index("position_id")] = ""
        lines.append(cells)
        line_number = len(lines)
        if any(cell.strip() for cell in cells):
            plan.rows_read += 1
            plan.summary_rows += kind == "summary"
            if kind == "clean":
                plan.clean_lines.append(line_number)

    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(lines)
    plan.content = buffer.getvalue().encode(encoding)
    if draw(st.integers(0, 7)) == 0:  # truncated in transit
        plan.content = plan.content[: draw(st.integers(0, max(len(plan.content) - 1, 0)))]
        plan.truncated = True
    return plan


@st.composite
def noise_file(draw, index: int) -> Planned:
    """Not a returns file at all: random bytes, an empty file, a stray document."""
    suffix = draw(st.sampled_from([".csv", ".xlsx", ".txt", ""]))
    return Planned(name=f"noise_{index}{suffix}", content=draw(st.binary(max_size=200)), noise=True)


@st.composite
def year_folder(draw) -> list[Planned]:
    count = draw(st.integers(1, 4))
    return [draw(st.one_of(returns_csv(i), returns_csv(i), returns_csv(i), noise_file(i))) for i in range(count)]


def check_year(planned: list[Planned], use_registry: bool) -> None:
    with TemporaryDirectory() as root:
        data_dir = Path(root)
        folder = data_dir / "returns" / str(YEAR)
        folder.mkdir(parents=True)
        for plan in planned:
            (folder / plan.name).write_bytes(plan.content)

        result = validate_year(data_dir, YEAR, bundled_registry() if use_registry else None)

    accounting = result.ingestion_accounting.set_index("source_file")
    paths = {f"returns/{YEAR}/{plan.name}": plan for plan in planned}
    assert set(accounting.index) == set(paths)
    outcomes = accounting[["rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped"]]
    assert (accounting["rows_read"] == outcomes.sum(axis=1)).all()

    valid_per_file = result.returns_valid.groupby("source_file").size()
    quarantined_per_file = result.returns_quarantine.groupby("source_file").size()
    assert valid_per_file.reindex(accounting.index, fill_value=0).tolist() == accounting["rows_valid"].tolist()
    assert quarantined_per_file.reindex(accounting.index, fill_value=0).tolist() == \
        accounting["rows_quarantined"].tolist()
    valid_rows = set(zip(result.returns_valid["source_file"], result.returns_valid["source_row"]))
    quarantined_rows = set(zip(result.returns_quarantine["source_file"], result.returns_quarantine["source_row"]))
    assert len(valid_rows) == len(result.returns_valid) and len(quarantined_rows) == len(result.returns_quarantine)
    assert not valid_rows & quarantined_rows

    for rules, raw in zip(result.returns_quarantine["rules"], result.returns_quarantine["raw"]):
        assert rules and set(rules.split(";")) <= set(HARD_RULES)
        assert isinstance(json.loads(raw), dict)
    assert set(result.returns_warnings["rule"]) <= set(SOFT_RULES)

    rejected = dict(zip(result.files_rejected["source_file"], result.files_rejected["reason"]))
    assert (outcomes.loc[list(rejected)] == 0).all().all()
    for path, plan in paths.items():
        if plan.missing_required and not plan.truncated:
            assert plan.missing_required in rejected[path]
        if not plan.intact:
            continue
        assert path not in rejected
        assert accounting.loc[path, "rows_read"] == plan.rows_read
        assert accounting.loc[path, "rows_summary_skipped"] == plan.summary_rows
        accepted = set(result.returns_valid.loc[result.returns_valid["source_file"] == path, "source_row"])
        assert set(plan.clean_lines) <= accepted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(planned=year_folder(), use_registry=st.booleans())
def test_any_year_folder_is_fully_accounted_for(planned, use_registry):
    check_year(planned, use_registry)
