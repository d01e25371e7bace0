"""Country labels to ISO 3166 codes, from CLDR (babel): Reuters `places` ("hong-kong",
"west-germany"), metadata such as `country: "Canada"`, and names in text."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

# Reuters `places` labels and other names that are not CLDR territory names
PLACE_ALIASES = {"uk": "GB", "usa": "US", "west germany": "DE", "east germany": "DD",
                 "ussr": "SU", "hong kong": "HK", "britain": "GB"}
_GROUPINGS = {"EU", "EZ", "UN", "QO", "ZZ"}  # CLDR codes that are not countries


@lru_cache(maxsize=1)
def territories() -> dict[str, str]:
    """English territory name (lower case) -> ISO 3166 code, from CLDR via babel."""
    names = {}
    for code, name in Locale("en").territories.items():
        if code.isalpha() and len(code) == 2 and code not in _GROUPINGS:
            names[re.sub(r" \(.*\)| SAR China", "", name).lower()] = code
    return names


def place_country(label: str) -> str | None:
    """The ISO code of a place label ("hong-kong", "Canada", "usa"), or None."""
    name = str(label).strip().lower().replace("-", " ")
    return PLACE_ALIASES.get(name) or territories().get(name)
