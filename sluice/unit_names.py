"""The units Sluice reads in prose, as pint expressions; names, aliases, symbols and SI factors
come from pint's registry (`sluice.units.unit_table`), not from a table kept here.

Only the choice is ours: which of pint's ~1,000 units occur in news and mail, which of their
symbols are safe to read ("km" is, "m", "t", "g", "in" and "mm" next to money are not), and
the few senses pint does not define ("bpd", "gross tons", news-style "tons").
"""

from __future__ import annotations

# (pint expression, read its pint name, aliases and symbol too?, extra surface forms)
UNITS: tuple[tuple[str, bool, tuple[str, ...]], ...] = (
    ("meter", True, ()),
    ("kilometer", True, ("kilometre", "kms", "kilo metres")),
    ("centimeter", True, ("centimetre",)),
    ("millimeter", True, ("millimetre",)),
    ("micrometer", True, ("micron", "µm", "μm")),
    ("point", False, ("pt",)),  # typographic (pint's "pt" is a pint); glued only: "10pt"
    ("mile", True, ("statute mile",)),
    ("nautical_mile", True, ()),
    ("foot", True, ()),
    ("inch", True, ('"', "″")),  # inch marks only glued to a number: see units.py
    ("yard", True, ("yds",)),
    ("43560 * foot ** 2", False, ("acre",)),  # the international acre; pint's is US survey
    ("hectare", True, ()),
    ("square_mile", True, ("square mile", "sq mile", "sq. mile")),
    ("square_foot", True, ("sq foot", "sq feet", "sq. ft.", "sq. ft", "sq ft", "sq. feet")),
    ("kilometer ** 2", False, ("square kilometre", "square kilometer", "sq km", "sq. km",
                               "km2", "km²")),
    ("meter ** 2", False, ("square metre", "square meter", "sq m", "sq metre", "m²")),
    ("yard ** 2", False, ("square yard", "sq yd")),
    ("centimeter ** 2", False, ("square centimetre", "square centimeter", "cm squared",
                                "cm2", "cm²")),
    ("meter ** 3", False, ("cubic metre", "cubic meter", "cu m", "m³")),
    ("cubic_foot", True, ("cubic foot", "cu ft", "cu. ft.")),
    ("cubic_yard", True, ("cubic yard", "cu yd")),
    ("metric_ton", True, ("metric ton", "metric tonne", "dwt", "deadweight tonne",
                          "dead weight tonne", "tonnes dwt", "mt")),  # "10,000 mt bulk sugar"
    ("ton", True, ("short ton", "net ton")),  # news "tons" are US short tons
    ("long_ton", True, ("long ton", "deadweight ton", "dead weight ton", "displacement ton")),
    ("100 * foot ** 3", False, ("gross ton", "gross register ton", "gross registered ton",
                                "grt", "gross tonne")),  # a register ton: ships' volume
    ("kilogram", True, ("kilo", "kgs")),
    ("gram", False, ("gram", "gramme")),
    ("milligram", False, ("milligram", "mg")),
    ("pound", True, ("lbs",)),
    ("ounce", True, ("ozs",)),
    ("troy_ounce", True, ("troy ounce", "troy oz", "fine ounce", "fine troy ounce")),
    ("carat", False, ("carat",)),
    ("stone", False, ("stone",)),  # "16 stone"; not "16 stone walls" (units.py)
    ("gram / metric_ton", False, ("g/t", "g/tonne")),  # ore grades
    ("hundredweight", False, ("hundredweight", "cwt")),
    ("oil_barrel", False, ("barrel", "bbl", "bbls")),
    ("gallon", True, ("gals",)),
    ("imperial_gallon", False, ("imperial gallon",)),
    ("liter", True, ("liters", "litres")),
    ("milliliter", True, ("millilitre", "ml")),
    ("hectoliter", True, ("hectolitre",)),
    ("bushel", False, ("bushel",)),
    ("board_foot", False, ("board foot", "board feet")),
    ("oil_barrel / day", False, ("bpd", "b/d", "bpsd", "barrels per day", "barrel a day",
                                 "barrels a day", "barrels per day")),
    ("mile_per_hour", True, ("miles per hour", "miles an hour", "mile an hour")),
    ("kilometer_per_hour", True, ("km/h", "kmh", "km/hr", "km per hour", "kilometres per hour",
                                  "kilometers per hour", "kilometres an hour",
                                  "kilometers an hour")),
    ("knot", False, ("knot",)),
    ("mile / gallon", False, ("mpg",)),
    ("watt", False, ("watt",)),
    ("kilowatt", False, ("kilowatt", "kw")),
    ("megawatt", False, ("megawatt", "mw")),
    ("gigawatt", False, ("gigawatt", "gw")),
    ("kilowatt_hour", False, ("kilowatt hour", "kilowatt-hour", "kwh")),
    ("megawatt_hour", False, ("megawatt hour", "megawatt-hour", "mwh")),
    ("gigawatt_hour", False, ("gigawatt hour", "gigawatt-hour", "gwh")),
    ("kilocalorie", False, ("calorie", "kilocalorie", "kcal")),  # food calories
    ("british_thermal_unit", False, ("btu", "btus", "british thermal unit")),
    ("horsepower", False, ("horsepower", "hp")),
    ("hertz", False, ("hertz", "hz")),
    ("kilohertz", False, ("kilohertz", "khz")),
    ("megahertz", False, ("megahertz", "mhz")),
    ("gigahertz", False, ("gigahertz", "ghz")),
    ("curie", False, ("curie",)),
    ("millicurie", False, ("millicurie", "mCi")),
    ("1 / minute", False, ("rpm",)),  # revolutions per second are Hz
    ("degree_Celsius", False, ("°C", "° C", "ºC", "degrees Celsius", "degree Celsius",
                               "degrees centigrade", "degrees C", "deg C", "C")),
    ("degree_Fahrenheit", False, ("°F", "° F", "ºF", "degrees Fahrenheit",
                                  "degree Fahrenheit", "degrees F", "deg F", "F")),
)

# Symbols read as written only: "MCI" is a company, "mCi" a millicurie; a bare "F" or "C"
# only where the sentence is about temperature (units.py)
CASE_SENSITIVE = frozenset({"mCi", "C", "F", "mt"})  # "mt": not "Mt" (mount), "MT"
# Marks read as inches only glued to a number that no open quotation precedes
INCH_MARKS = frozenset({'"', "″"})  # not "''": minutes and seconds of arc
# pint symbols safe to read in prose; "m", "t", "g", "in", "a", "l" collide with words,
# money ("$5m") or other units
SAFE_SYMBOLS = frozenset({"km", "cm", "mm", "ft", "lb", "oz", "kg", "ha", "nmi", "mph",
                          "kph", "gal", "yd", "mi"})
# Time units a rate can be "per": "a day", "per year", "/h"; a year is 365 days (house rule)
TIMES: dict[str, str] = {
    "second": "second", "sec": "second", "s": "second", "minute": "minute", "min": "minute",
    "hour": "hour", "hr": "hour", "h": "hour", "day": "day", "week": "week",
    "month": "365 / 12 * day", "year": "365 * day", "annum": "365 * day",
}
ADVERBS: dict[str, str] = {"annually": "year", "yearly": "year", "per annum": "year",
                           "daily": "day", "hourly": "hour", "weekly": "week",
                           "monthly": "month"}
# SI base units as the metadata has always written them; derived units by their own name
SI_SYMBOLS = {"kilogram": "kg", "meter": "m", "kelvin": "K", "second": "s"}
SI_NAMED = {"kg*m2/s3": "W", "kg*m2/s2": "J", "1/s": "Hz", "1/m2": "m/m3"}
