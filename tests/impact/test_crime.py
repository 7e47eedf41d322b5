"""Recorded-crime ingestion: the real edition (format A), hand-written format A and B files, file errors."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact.crime import (
    CrimeFileError,
    population_by_department_year,
    read_crime_file,
    read_recorded_crime,
)

HEADER_A = "classe;annee;Code.département;Code.région;unité.de.compte;millPOP;millLOG;faits;POP;LOG;tauxpourmille"
HEADER_B = ("Code_departement;Code_region;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;insee_pop;"
            "insee_pop_millesime;insee_log;insee_log_millesime")
ROWS_A = [
    "Coups et blessures volontaires intrafamiliaux;21;77;11;victime;20;20;3763;1428636;634163,17;2,633980",
    "Vols de véhicules;21;77;11;véhicule;20;20;2500;1428636;634163,17;1,749893",
    "Coups et blessures volontaires intrafamiliaux;22;2A;94;victime;20;20;301;158507;90000,5;1,899",
]
ROWS_B = [
    "01;84;2024;Violences physiques intrafamiliales;Victime;2100;3,16;664000;2022;320000,5;2022",
    "01;84;2024;Vols de véhicules;Véhicule;NA;;664000;2022;320000,5;2022",
    "01;84;2024;Escroqueries et fraudes aux moyens de paiement;Infraction;5000;7,53;664000;2022;320000,5;2022",
]


def _write(path, header, rows, compress=False):
    data = ("\n".join([header, *rows]) + "\n").encode("utf-8-sig")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_real_edition_as_published(real_crime_file):
    crime = read_crime_file(real_crime_file)
    assert len(crime) == 9898
    assert crime["department_code"].nunique() == 101
    assert sorted(crime["year"].unique()) == list(range(2016, 2023))
    assert crime.groupby("indicator").size().eq(101 * 7).all() and crime["indicator"].nunique() == 14
    row = crime[(crime["department_code"] == "77") & (crime["year"] == 2021)
                & (crime["indicator"] == "intrafamily_physical_violence")].iloc[0]
    assert (row["count"], row["population"], row["population_year"], row["unit"]) == (3763, 1428636, 2020, "victime")
    assert row["rate_per_1000"] == pytest.approx(3763 / 1428636 * 1000)
    assert {"sexual_violence", "vehicle_theft", "non_family_physical_violence"} <= set(crime["indicator"])
    assert set(crime["department_code"]) >= {"01", "2A", "2B", "971", "976"}


def test_real_population_carried_forward_and_back(real_crime_file):
    crime = read_crime_file(real_crime_file)
    population = population_by_department_year(crime, range(2015, 2025)).set_index(["department_code", "year"])
    assert len(population) == 101 * 10
    # Seine-et-Marne: reference year 2020 for 2021-2022 in the file, carried to 2023-2024
    assert tuple(population.loc[("77", 2021)]) == (1428636, 2020)
    assert tuple(population.loc[("77", 2024)]) == (1428636, 2020)
    # before the file's first year, its first population (2016) is used
    assert tuple(population.loc[("77", 2015)]) == (1397665, 2016)
    # Mayotte has only the 2017 reference year
    assert tuple(population.loc[("976", 2016)]) == (256518, 2017)


def test_format_a_gzipped_two_digit_years(tmp_path):
    (tmp_path / "crime").mkdir()
    _write(tmp_path / "crime" / "edition-a.csv.gz", HEADER_A, ROWS_A, compress=True)
    crime = read_recorded_crime(tmp_path / "crime")
    # sorted by indicator, département, year
    assert list(crime["year"]) == [2022, 2021, 2021]
    assert list(crime["indicator"]) == ["intrafamily_physical_violence", "intrafamily_physical_violence",
                                        "vehicle_theft"]
    assert list(crime["department_code"]) == ["2A", "77", "77"]
    assert list(crime["population_year"]) == [2020, 2020, 2020]
    assert crime["count"].tolist() == [301, 3763, 2500]
    assert crime["rate_per_1000"].tolist() == pytest.approx([1.899, 2.633980, 1.749893])
    assert crime["unit"].tolist() == ["victime", "victime", "vehicule"]


def test_format_b_renamed_and_new_indicators(tmp_path):
    _write(tmp_path / "b.csv", HEADER_B, ROWS_B)
    crime = read_recorded_crime(tmp_path).set_index("indicator")
    assert list(crime.index) == ["fraud", "intrafamily_physical_violence", "vehicle_theft"]
    assert crime.loc["intrafamily_physical_violence", "count"] == 2100
    assert crime.loc["intrafamily_physical_violence", "rate_per_1000"] == pytest.approx(3.16)
    assert crime.loc["intrafamily_physical_violence", "unit"] == "victime"
    assert crime.loc["fraud", "population"] == 664000 and crime.loc["fraud", "population_year"] == 2022
    # NA count and empty rate stay missing, never 0
    assert crime.loc["vehicle_theft", "count"] is pd.NA
    assert np.isnan(crime.loc["vehicle_theft", "rate_per_1000"])


def test_one_edition_at_a_time(tmp_path):
    _write(tmp_path / "old.csv.gz", HEADER_A, ROWS_A, compress=True)
    _write(tmp_path / "new.csv", HEADER_B, ROWS_B)
    with pytest.raises(CrimeFileError, match=r"several recorded-crime files .*\(new\.csv, old\.csv\.gz\)"):
        read_recorded_crime(tmp_path)
    assert read_recorded_crime(tmp_path, edition="old")["year"].max() == 2022
    assert read_recorded_crime(tmp_path, edition="new.csv")["year"].max() == 2024
    with pytest.raises(CrimeFileError, match=r"edition 'newest' not found .*files: new\.csv, old\.csv\.gz"):
        read_recorded_crime(tmp_path, edition="newest")


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(CrimeFileError, match=r"no recorded-crime file"):
        read_recorded_crime(tmp_path)
    (tmp_path / "broken.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(CrimeFileError, match=r"broken\.csv\.gz is unreadable"):
        read_recorded_crime(tmp_path)
    (tmp_path / "broken.csv.gz").unlink()
    _write(tmp_path / "other.csv", "dep;year;value", ["01;2020;3"])
    with pytest.raises(CrimeFileError, match=r"other\.csv has an unknown header"):
        read_recorded_crime(tmp_path)
    _write(tmp_path / "other.csv", HEADER_B, [ROWS_B[0].replace(";2100;", ";deux mille;")])
    with pytest.raises(CrimeFileError, match=r"other\.csv: column nombre has non-numeric values such as 'deux mille'"):
        read_recorded_crime(tmp_path)
