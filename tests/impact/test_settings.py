"""Impact settings: from a parameter file's `impact:` section, the Launchpad config, and into every row."""

from __future__ import annotations

import numpy as np
import pytest

from swps_pipeline import economics
from swps_pipeline.defs.impact import ImpactConfig
from swps_pipeline.impact.results import estimate_impact
from swps_pipeline.impact.settings import ImpactSettings, ImpactSettingsError, settings_from_parameters_file

STAGGERED = {2018.0: 10, 2020.0: 10, 2022.0: 10, np.nan: 10}


def test_parameter_file_impact_section(tmp_path):
    path = tmp_path / "what-if.yaml"
    path.write_text("settings:\n  n_draws: 500\nimpact:\n  control_group: never_treated\n  base_period: universal\n"
                    "  anticipation: 1\n  aggregations: [simple, dynamic]\n", encoding="utf-8")
    settings = settings_from_parameters_file(str(path))
    assert (settings.control_group, settings.base_period, settings.anticipation) == ("never_treated", "universal", 1)
    assert settings.aggregations == ("simple", "dynamic")
    # the economics loader reads the same file and leaves the impact section alone
    assert economics.load_parameters(path).settings is not None
    # run-config fields override the file
    assert settings_from_parameters_file(str(path), {"anticipation": 0}).anticipation == 0


@pytest.mark.parametrize(("section", "message"), [
    ("  control_group: everyone\n", "impact setting control_group: 'everyone' is not one of not_yet_treated, "
                                    "never_treated"),
    ("  lag: 2\n", "unknown impact setting 'lag'"),
    ("  anticipation: -1\n", "impact setting anticipation: expected a whole number ≥ 0, got -1"),
])
def test_bad_impact_settings_give_one_line(tmp_path, section, message):
    path = tmp_path / "bad.yaml"
    path.write_text("impact:\n" + section, encoding="utf-8")
    with pytest.raises(ImpactSettingsError, match=message) as error:
        settings_from_parameters_file(str(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_launchpad_config_has_described_enum_fields():
    schema = ImpactConfig.to_config_schema().as_field().config_type
    fields = schema.fields
    assert fields["control_group"].description.startswith("Comparison départements for Callaway–Sant'Anna")
    enum = fields["control_group"].config_type.inner_type
    assert [value.config_value for value in enum.enum_values] == ["not_yet_treated", "never_treated"]
    assert all(field.description for field in fields.values())
    settings = ImpactConfig(base_period="universal", aggregations=["group"]).settings()
    assert settings == ImpactSettings(base_period="universal", aggregations=("group",))


def test_settings_are_columns_of_every_callaway_santanna_row(simulate):
    panel = simulate(2, lambda e: np.full(e.shape, 0.1), STAGGERED)
    settings = ImpactSettings(control_group="never_treated", base_period="universal", anticipation=1,
                              aggregations=("simple", "calendar"), n_boot=199)
    result = estimate_impact(panel, settings, sensitivity_analysis=False)
    cs = result.impact_estimates.query("model == 'callaway_santanna'")
    assert set(cs["control_group"]) == {"never_treated"} and set(cs["base_period"]) == {"universal"}
    assert set(cs["anticipation"]) == {1}
    assert set(cs["term"]) == {"att_overall", "att_calendar_2018", "att_calendar_2019", "att_calendar_2020",
                               "att_calendar_2021", "att_calendar_2022", "att_calendar_2023", "att_calendar_2024",
                               "att_calendar_2025", "att_calendar_overall", "pretest_wald_chi2"}
    # one year of anticipation: the cells compare with g − 2, and the effect from g on is still recovered
    cells = result.group_time.query("model == 'callaway_santanna'")
    assert (cells["base_year"] == cells["cohort"] - 2).all()
    overall = result.row("callaway_santanna", "att_overall")
    assert overall["ci_low"] < 0.1 < overall["ci_high"]
