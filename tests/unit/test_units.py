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


# Real sentences, cited by source: Reuters-21578 body index (wires datelined outside the US),
# State of the Union file, SpamAssassin message id, PDF in ../shared/corpora/pdf.
@pytest.mark.parametrize(("text", "want"), [
    # Reuters 12279: a kilometre distance
    ("some 240 km north of Tokyo", [(240_000.0, "m")]),
    # SpamAssassin 00542: km/h and km/s rates
    ("IIRC it's ~180 km/s spreadeagled and ~210 km/h head-down.",
     [(180_000.0, "m/s"), (58.3333333, "m/s")]),
    # SpamAssassin 00027 and 00080: numbers glued to the unit
    ("Guaranteed to lose 10-12 lbs in 30 days", [(4.5359237, "kg"), (5.44310844, "kg")]),
    ("Hold the 4oz bottle about four inches from your open mouth",
     [(0.11339809, "kg"), (0.1016, "m")]),
    # SpamAssassin 00016: millimetres
    ("Up to three 80mm case fans can be fitted!", [(0.08, "m")]),
    # SOTU 1931 Hoover and 1926 Coolidge: cubic yards, square miles
    ("over 380,000,000 cubic yards of material have been moved",
     [(380e6 * 0.764554857984, "m3")]),
    ("now covers about 100,000 square miles", [(1e5 * 2_589_988.110336, "m2")]),
    # SOTU 2000 Clinton: a rate per gallon, range sharing the unit
    ("cars that get 70 to 80 miles a gallon", [(70 * 1609.344 / 0.003785411784, "m/m3"),
                                               (80 * 1609.344 / 0.003785411784, "m/m3")]),
    # Reuters 16016: a yield per hectare
    ("an average yield of 3.5 tonnes per hectare", [(0.35, "kg/m2")]),
    # Reuters 15955 and SOTU 1942 Roosevelt: deadweight tonnage
    ("The French ship Capitaine Wallis, 13,847 dwt, berthed", [(13_847_000.0, "kg")]),
    ("we shall build 6,000,000 deadweight tons", [(6e6 * 1016.0469088, "kg")]),
    # SOTU 1898 McKinley: displacement tons are long tons
    ("battle ships of about 13,500 tons trial displacement", [(13_500 * 1016.0469088, "kg")]),
    # SOTU 1896 Cleveland: fine ounces are troy ounces
    ("9,688,821 fine ounces of gold", [(9_688_821 * 0.0311034768, "kg")]),
    # SOTU 1904 Roosevelt: word numbers, a range, a rate after "of <noun>"
    ("from fifty to one hundred tons of dried figs annually",
     [(50 * 907.18474 / 31_536_000, "kg/s"), (100 * 907.18474 / 31_536_000, "kg/s")]),
    # PDF issue-604.pdf: ranges in centimetres, activity per mass
    ("GTV should be expanded by 0.5-1.5 cm to CTV.", [(0.005, "m"), (0.015, "m")]),
    ("a 150 mCi dose for a 70 kg adult would translate to 2.15 mCi/kg",
     [(5.55e9, "Bq"), (70.0, "kg"), (7.955e7, "Bq/kg")]),
])
def test_units_read_real_sentences(text, want):
    got = [(m["si_value"], m["si_unit"]) for m in find_units(text)]
    assert [u for _, u in got] == [u for _, u in want]
    assert [v for v, _ in got] == pytest.approx([v for v, _ in want], rel=1e-6)


def test_units_share_the_thousands_of_a_range():
    # the example: "13 to 14,000 feet" is 13,000 to 14,000 feet
    assert [m["value"] for m in find_units("flying at 13 to 14,000 feet")] == [13_000, 14_000]


def test_units_read_a_speed_in_kilometres_an_hour():
    # the example: a speed, not a distance; "kilometre" singular is read too
    got = [(m["si_value"], m["si_unit"]) for m in find_units(
        "winds of 30 kilometres an hour over one kilometre")]
    assert got == [(pytest.approx(8.3333333), "m/s"), (1000.0, "m")]


@pytest.mark.parametrize(("text", "want"), [
    # Reuters 1451 (Poland) and 989 (USSR, Poland): temperatures below zero, in kelvin
    ("ground temperatures as low as minus 20 degrees C, Spokesman", [(253.15, "K")]),
    ("as temperatures drop to minus 10 to 0 degrees F.", [(249.816667, "K"),
                                                          (255.372222, "K")]),
    # SpamAssassin 00664: a difference of temperature, not a temperature
    ("as much as 2.6 degrees Celsius cooler,' said Yujin Minobe", [(2.6, "K")]),
    # Reuters 1864 (Turkey), SOTU 1966 Johnson: speeds
    ("Snow whipped by 48 kph winds continued to fall on Istanbul", [(13.3333333, "m/s")]),
    ("in excess of 2,000 miles per hour.", [(894.08, "m/s")]),
    # Reuters 1798 (Australia), 17087 (West Germany), 1463 (Argentina): metric units
    ("The 2,750 square metre site will be repurchased", [(2750.0, "m2")]),
    ("the water level had reached 815 centimetres and was forecast to rise to 820-830 cm",
     [(8.15, "m"), (8.2, "m"), (8.3, "m")]),
    ("Rainfall measured between 15 and 270 mm in Buenos Aires", [(0.015, "m"), (0.27, "m")]),
    # SOTU 1903 Roosevelt: nautical miles; Reuters 5341 (Japan): ships' gross (register) tons
    ("a strip ten miles wide and extending three nautical miles into the sea",
     [(16_093.44, "m"), (5556.0, "m")]),
    ("six vessels totalling 329,999 gross tons", [(329_999 * 2.8316846592, "m3")]),
    # SpamAssassin 00009 and 00594: numbers glued to the unit
    ("tall and weighing 210lbs, he is renowned for his strength", [(95.2543977, "kg")]),
    ("August 20th, 7lbs, 14oz, 8:30pm.", [(3.17514659, "kg"), (0.396893324, "kg")]),
])
def test_units_read_temperatures_speeds_and_metric_units(text, want):
    got = [(m["si_value"], m["si_unit"]) for m in find_units(text)]
    assert [u for _, u in got] == [u for _, u in want]
    assert [v for v, _ in got] == pytest.approx([v for v, _ in want], rel=1e-6)


@pytest.mark.parametrize("text", [
    # SpamAssassin 00242: pounds after a euro amount are sterling
    "from only 170 Euros - about 105 pounds - fully inclusive of postage and packing.",
    # SOTU 1881 Arthur: "the sum of 15,000 pounds"
    "the British Government paying in full the sum of 15,000 pounds, most of which",
    # SpamAssassin 00131, 00939, 00112: shoe size, an idiom, "mm" for millions
    ">Benoit claimed the prize for his size 14 feet.",
    "kill two birds with one stone?",
    "trading with an extremely low market valuation under 10 mm.",
    # hard negatives: models, sections, scores, decades, postal codes (Reuters, spam, SOTU)
    "wide-body B747 freighter aircraft", "Microsoft delayed Windows 2000 Service Pack 3",
    "Iraqi planes intercepted an Iranian F-4 Phantom", "a 3-0 win", "in the early 1990s",
    "Section 12 of the general Indian appropriation act", "Laval, Quebec, Canada H7M 4M2",
    "But my machine has 256mb of ram.... not 640k.",
])
def test_units_leave_out_what_is_not_a_quantity(text):
    assert find_units(text) == []


def test_units_read_pint_once_and_cache_the_table(tmp_path, monkeypatch):
    import sys

    from sluice import units

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    units.unit_table.cache_clear()
    built = units.unit_table()
    assert list(tmp_path.glob("sluice/units-*.json"))
    units.unit_table.cache_clear()
    assert units.unit_table() == built  # read back from the cache
    assert built["nautical miles"][:2] == ("m", 1852.0) and "pint" in sys.modules
