import pytest

from sluice.units import find_units


@pytest.mark.parametrize(("text", "si_value", "si_unit"), [
    ("winds of 12 mph", 5.36448, "m/s"),
    ("5,000 tonnes of sugar", 5_000_000.0, "kg"),
    ("1.5 mln barrels per day", 1.5e6 * 0.158987294928 / 86400, "m3/s"),
    ("300,000 bpd of crude", 300_000 * 0.158987294928 / 86400, "m3/s"),
    ("2.5 mln troy ounces", 2.5e6 * 0.0311034768, "kg"),
    ("100,000 ounces of gold", 100_000 * 0.0311034768, "kg"),
    ("100,000 ounces of cheese", 100_000 * 0.028349523125, "kg"),
    ("12.5 mln short tons", 12.5e6 * 907.18474, "kg"),
    ("a 267-km pipeline", 267_000.0, "m"),
    ("1,270 megawatts", 1.27e9, "W"),
    ("800 acres", 800 * 4046.8564224, "m2"),
])
def test_units_convert_to_si(text, si_value, si_unit):
    (found,) = find_units(text)
    assert found["si_unit"] == si_unit
    assert found["si_value"] == pytest.approx(si_value, rel=1e-6)
    assert text[found["start"]:found["end"]] == found["text"]


def test_units_ranges_share_the_unit_and_skip_spans_are_left_out():
    text = "7.5 to 7.7 mln tonnes"
    assert [m["si_value"] for m in find_units(text)] == [7.5e9, 7.7e9]
    assert find_units(text, skip=[(0, len(text))]) == []
