"""Where the collection of a year stands, per département and for the nation: whom to chase.

A *return* here is one position's row for the year. Received = valid +
quarantined (a position with a valid row counts once as valid, whatever
else it sent; a quarantined row without a readable position id counts on its
own). Missing = positions the registry expects that sent nothing at all (a
position whose rows were all quarantined is *to correct*, not missing; the
panel's `missing_returns` counts both as without a valid return). Correction files are those of
`returns/<year>/corrections/` (`validate/corrections.py`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from swps_pipeline.collect import texts
from swps_pipeline.collect.inputs import CollectionYear, read_collection_year
from swps_pipeline.i18n import Texts
from swps_pipeline.ingest.registry import positions_to_report
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import departements
from swps_pipeline.settings import Settings
from swps_pipeline.validate.corrections import is_correction

#: The code and name of the row of `collection_status` (and of the feedback report) for the rows and files
#: without a recognisable area: fixed values of the published table, whatever the language (`area_name` shows
#: the name in the reader's words).
UNATTRIBUTED = "non attribué"
UNATTRIBUTED_NAME = "Lignes et fichiers sans département reconnaissable"
COUNTS = ["positions_expected", "returns_received", "returns_valid", "returns_quarantined", "returns_missing",
          "files_rejected", "correction_files"]
STATUS_DTYPES = {"year": "int64", "department_code": object, "department_name": object,
                 **dict.fromkeys(COUNTS, "int64"), "last_file_date": object}


def received_returns(collection: CollectionYear) -> pd.DataFrame:
    """One row per return received: (department_code, key, position_id, valid); `key` is the position id, or the
    file and row of a quarantined row without one. Null department_code: unattributed."""
    valid = pd.DataFrame({"department_code": collection.valid["department_code"].to_numpy(),
                          "position_id": collection.valid["position_id"].to_numpy(), "valid": True})
    quarantine = collection.quarantine
    where = quarantine["source_file"] + " ligne " + quarantine["source_row"].astype("string")
    quarantined = pd.DataFrame({"department_code": collection.quarantine_departments.to_numpy(),
                                "position_id": quarantine["position_id"].to_numpy(),
                                "key": quarantine["position_id"].fillna(where).to_numpy(), "valid": False})
    rows = pd.concat([valid.assign(key=valid["position_id"]), quarantined], ignore_index=True)
    # A key with a valid row is valid; a key quarantined in several rows (conflicting copies) is one return.
    rows = rows.sort_values("valid", ascending=False, kind="stable")
    return rows.drop_duplicates(["department_code", "key"], ignore_index=True)


def missing_positions(collection: CollectionYear) -> pd.DataFrame:
    """The registry's positions expected this year that sent nothing at all (registry columns)."""
    expected = positions_to_report(collection.registry, collection.year)
    return expected[~expected["position_id"].isin(received_returns(collection)["position_id"])]


def collection_status(collection: CollectionYear) -> pd.DataFrame:
    """Per département (all 101, plus an unattributed row when some rows or files have no département):
    positions expected, returns received / valid / quarantined, missing, files refused, last file date."""
    codes = departements()[["department_code", "department_name"]]
    expected = positions_to_report(collection.registry, collection.year)
    received = received_returns(collection)
    missing = missing_positions(collection)
    rejected = collection.files_rejected[["source_file"]].merge(collection.files, on="source_file", how="left")
    corrections = collection.files[is_correction(collection.files["source_file"], collection.year)]
    key = received["department_code"].fillna(UNATTRIBUTED)
    per_department = pd.DataFrame({
        "positions_expected": expected.groupby("department_code").size(),
        "returns_valid": received[received["valid"]].groupby(key).size(),
        "returns_quarantined": received[~received["valid"]].groupby(key).size(),
        "returns_missing": missing.groupby("department_code").size(),
        "files_rejected": rejected.groupby(rejected["department_code"].fillna(UNATTRIBUTED)).size(),
        "correction_files": corrections.groupby("department_code")["source_file"].nunique(),
    })
    last = collection.files.dropna(subset=["received"]).groupby("department_code")["received"].max()
    rows = codes.copy()
    if UNATTRIBUTED in per_department.index:
        rows.loc[len(rows)] = [UNATTRIBUTED, UNATTRIBUTED_NAME]
    status = rows.join(per_department.fillna(0).astype("int64"), on="department_code").fillna(
        dict.fromkeys(COUNTS, 0))
    status["returns_received"] = status["returns_valid"] + status["returns_quarantined"]
    status["last_file_date"] = status["department_code"].map(last).astype(object)
    status["year"] = collection.year
    return status[list(STATUS_DTYPES)].astype(STATUS_DTYPES).reset_index(drop=True)


def national_status(status: pd.DataFrame) -> pd.DataFrame:
    """One row per year: the sums over départements (and the unattributed row), the last file date."""
    grouped = status.groupby("year")
    national = grouped[COUNTS].sum()
    national["departments_complete"] = grouped.apply(
        lambda rows: int(((rows["returns_missing"] == 0) & (rows["returns_quarantined"] == 0)
                          & (rows["department_code"] != UNATTRIBUTED)).sum()), include_groups=False)
    national["last_file_date"] = grouped["last_file_date"].agg(lambda dates: dates.dropna().max()
                                                              if dates.notna().any() else None)
    return national.reset_index()


def to_chase(status: pd.DataFrame) -> pd.DataFrame:
    """Départements with returns missing or to correct, most to do first."""
    todo = status[(status["returns_missing"] > 0) | (status["returns_quarantined"] > 0)
                  | (status["files_rejected"] > 0)]
    order = todo["returns_missing"] + todo["returns_quarantined"] + todo["files_rejected"]
    return todo.assign(order=order).sort_values(["order", "department_code"], ascending=[False, True]).drop(
        columns="order")


def area_name(code: str, say: Texts) -> str:
    """The name of an area as the feedback and the status show it (the unattributed row's in the reader's words)."""
    if code == UNATTRIBUTED:
        return say(texts.UNATTRIBUTED_NAME, area_level=active_profile().area_level)
    return str(departements().set_index("department_code")["department_name"][code])


def format_status(status: pd.DataFrame, synthetic: bool, today: dt.date, say: Texts | None = None) -> str:
    """The collection status as text for the terminal, in the reader's language: national view first, then whom
    to chase."""
    say = say or Texts()
    profile = active_profile()
    year = int(status["year"].iloc[0])
    national = national_status(status).iloc[0]
    labels = {column: say(label) for column, label in texts.SUMMARY_LABELS.items()}

    def date(value) -> str:
        return say.date(value) if isinstance(value, dt.date) else "—"

    lines = [say(texts.STATUS_TITLE, year=year, today=date(today))]
    if synthetic:
        lines.append(say(texts.FEEDBACK_SYNTHETIC))
    figures = ", ".join(f"{labels[c].lower()} {int(national[c])}" for c in COUNTS)
    lines.append(say(texts.STATUS_NATIONAL, country=profile.name, figures=(
        f"{figures}, {labels['last_file_date'].lower()} {date(national['last_file_date'])}")))
    chase = to_chase(status)
    if chase.empty:
        lines.append(say(texts.STATUS_ALL_IN))
        return "\n".join(lines)
    lines.append(say(texts.STATUS_TO_CHASE, areas=profile.area_level_plural.capitalize()))
    table = chase[["department_code", "department_name", *COUNTS, "last_file_date"]].copy()
    table["last_file_date"] = table["last_file_date"].map(date)
    table["department_name"] = [area_name(code, say) if code == UNATTRIBUTED else name
                                for code, name in zip(table["department_code"], table["department_name"])]
    table.columns = ["Code", profile.area_level.capitalize(), *(labels[c] for c in COUNTS), labels["last_file_date"]]
    lines.append(table.to_string(index=False))
    return "\n".join(lines)


def collection_status_report(year: int, settings: Settings) -> str:
    """`swps status --year`: the collection status of the year folder as it is now. Raises `RegistryError`."""
    collection = read_collection_year(settings, year)
    return format_status(collection_status(collection), collection.synthetic, dt.date.today())


def status_chart(national: pd.DataFrame, synthetic: bool, language: str | None = None) -> bytes:
    """Returns valid / to correct / missing per year (stacked bars), as PNG with `figures.to_png`, labelled in
    `language` (by default the active one)."""
    from swps_pipeline.figures import SYNTHETIC_STAMP, new_figure, to_png

    say = Texts(language)
    figure = new_figure(7.0, 4.0)
    axis = figure.add_subplot()
    years = national["year"].astype(str).to_numpy()
    bottom = np.zeros(len(national))
    for column, colour in [("returns_valid", "#2E7D32"), ("returns_quarantined", "#F9A825"),
                           ("returns_missing", "#C62828")]:
        values = national[column].to_numpy(dtype=float)
        axis.bar(years, values, bottom=bottom, color=colour, label=say(texts.SUMMARY_LABELS[column]))
        bottom += values
    axis.set_ylabel(say(texts.CHART_AXIS))
    axis.set_title(say(texts.CHART_TITLE))
    axis.legend(loc="upper left", fontsize=8)
    return to_png(figure, synthetic=synthetic, stamp_text=say(SYNTHETIC_STAMP))
