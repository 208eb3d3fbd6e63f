"""Units in configuration values and --set overrides."""

from __future__ import annotations

import pytest

from cryochar.core.errors import ConfigError
from cryochar.core.overrides import apply_overrides, parse_overrides
from cryochar.core.units import dbm_to_watt, parse_quantity, watt_to_dbm


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (6e9, "Hz", 6e9), ("6 GHz", "Hz", 6e9), ("6GHz", "Hz", 6e9), ("1.5 kHz", "Hz", 1500.0),
    ("12 mK", "K", 0.012), ("0.012", "K", 0.012), ("50 us", "s", 50e-6), ("10 nW", "W", 1e-8),
    ("-30 dBm", "dBm", -30.0), (-30, "dBm", -30.0), ("20 dB", "dB", 20.0), (3, "K", 3.0),
])
def test_quantities_convert_to_si(value, unit, expected):
    assert parse_quantity(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "unit", "message"), [
    ("12 mK", "Hz", "expected a frequency in Hz, got a temperature"),
    ("6 GHz", "K", "expected a temperature in K, got a frequency"),
    ("3 parsecs", "Hz", "unknown unit"), ("fast", "s", "expected a time"),
    (True, "K", "boolean"), ([1, 2], "Hz", "got list"), ("nan", "Hz", "expected"),
    ("-30 dBmW", "dBm", "unknown unit"),
])
def test_wrong_units_are_explained(value, unit, message):
    with pytest.raises(ValueError, match=message):
        parse_quantity(value, unit)


def test_dbm_round_trip():
    assert dbm_to_watt(0) == pytest.approx(1e-3)
    assert watt_to_dbm(dbm_to_watt(-47.3)) == pytest.approx(-47.3)


def test_overrides_parse_yaml_values():
    parsed = parse_overrides(["seed=7", "twin.fridge.base_temperature=0.012",
                              "powers_dbm=[-30, -20]", "label=hello", "flag=true"])
    assert parsed == {"seed": 7, "twin.fridge.base_temperature": 0.012,
                      "powers_dbm": [-30, -20], "label": "hello", "flag": True}


@pytest.mark.parametrize("item", ["novalue", "=3", "a..b=1", "x=[1,"])
def test_malformed_overrides_are_config_errors(item):
    with pytest.raises(ConfigError) as info:
        parse_overrides([item])
    assert info.value.exit_code == 2
    assert "--set" in info.value.one_line()


def test_apply_overrides_sets_nested_keys_without_touching_input():
    data = {"twin": {"fridge": {"base_temperature": 0.01}}}
    merged = apply_overrides(data, {"twin.fridge.base_temperature": 0.02, "twin.vna.model": "X"})
    assert merged["twin"]["fridge"]["base_temperature"] == 0.02
    assert merged["twin"]["vna"] == {"model": "X"}
    assert data["twin"]["fridge"]["base_temperature"] == 0.01


def test_override_through_a_scalar_is_refused():
    with pytest.raises(ConfigError, match="not a mapping"):
        apply_overrides({"seed": 3}, {"seed.x": 1})
