"""Money amounts as structured mentions: "$1.2bn", "US$ 300 mln", "stg 50 mln",
"€3,5 Mio.", "5 cts", "1.5 mln Canadian dlrs" -> (amount, ISO-4217 code).

A currency word whose country is not in the sentence ("crowns", "pesos", "dinars") gives
no mention rather than a guess. Codes are the ISO-4217 ones of the text's time (DEM, FRF).
"""

from __future__ import annotations

import re
from typing import Any

from sluice.numbers import NUMBER, SCALE, amount_pattern, find_amounts, scaled

# qualifier -> code, per currency word; "" is the unqualified default
_DOLLAR = {"": "USD", "u.s.": "USD", "us": "USD", "american": "USD", "canadian": "CAD",
           "can": "CAD", "australian": "AUD", "aust": "AUD", "aus": "AUD",
           "n.z.": "NZD", "nz": "NZD", "new zealand": "NZD", "h.k.": "HKD", "hk": "HKD",
           "hong kong": "HKD", "singapore": "SGD", "taiwan": "TWD",
           "zimbabwe": "ZWD", "jamaican": "JMD", "bermuda": "BMD"}
_FRANC = {"": "FRF", "french": "FRF", "swiss": "CHF", "belgian": "BEF", "luxembourg": "LUF",
          "cfa": "XOF"}
_CROWN = {"swedish": "SEK", "danish": "DKK", "norwegian": "NOK", "czech": "CSK",
          "icelandic": "ISK"}
_POUND = {"sterling": "GBP", "british": "GBP", "irish": "IEP", "egyptian": "EGP",
          "cyprus": "CYP", "maltese": "MTL", "lebanese": "LBP"}
_MARK = {"": "DEM", "german": "DEM", "west german": "DEM", "deutsche": "DEM",
         "finnish": "FIM"}
_PESO = {"mexican": "MXN", "philippine": "PHP", "argentine": "ARS", "chilean": "CLP",
         "colombian": "COP", "uruguayan": "UYU"}
_RUPEE = {"": "INR", "indian": "INR", "pakistani": "PKR", "sri lankan": "LKR"}
_WORDS: dict[str, tuple[dict[str, str], float]] = {
    "dlrs": (_DOLLAR, 1), "dlr": (_DOLLAR, 1), "dollars": (_DOLLAR, 1), "dollar": (_DOLLAR, 1),
    "cts": (_DOLLAR, 0.01), "cents": (_DOLLAR, 0.01), "cent": (_DOLLAR, 0.01),
    "francs": (_FRANC, 1), "franc": (_FRANC, 1), "crowns": (_CROWN, 1), "kronor": (_CROWN, 1),
    "kroner": (_CROWN, 1), "pounds sterling": ({"": "GBP"}, 1), "stg": ({"": "GBP"}, 1),
    "sterling": ({"": "GBP"}, 1), "pounds": (_POUND, 1), "pence": ({"": "GBP"}, 0.01),
    "marks": (_MARK, 1), "mark": (_MARK, 1), "dmk": ({"": "DEM"}, 1), "pesos": (_PESO, 1),
    "rupees": (_RUPEE, 1), "yen": ({"": "JPY"}, 1), "lire": ({"": "ITL"}, 1),
    "lira": ({"": "ITL", "turkish": "TRL"}, 1), "guilders": ({"": "NLG"}, 1),
    "pesetas": ({"": "ESP"}, 1), "escudos": ({"": "PTE"}, 1), "schillings": ({"": "ATS"}, 1),
    "drachmas": ({"": "GRD"}, 1), "riyals": ({"": "SAR", "saudi": "SAR", "qatari": "QAR"}, 1),
    "rand": ({"": "ZAR"}, 1), "won": ({"": "KRW"}, 1), "yuan": ({"": "CNY"}, 1),
    "renminbi": ({"": "CNY"}, 1), "cruzados": ({"": "BRC"}, 1), "australs": ({"": "ARA"}, 1),
    "ringgit": ({"": "MYR"}, 1), "baht": ({"": "THB"}, 1), "rupiah": ({"": "IDR"}, 1),
    "shekels": ({"": "ILS"}, 1), "ecus": ({"": "XEU"}, 1), "ecu": ({"": "XEU"}, 1),
    "euros": ({"": "EUR"}, 1), "euro": ({"": "EUR"}, 1), "dinars": ({"kuwaiti": "KWD"}, 1),
    "bolivianos": ({"": "BOB"}, 1), "nairas": ({"": "NGN"}, 1), "naira": ({"": "NGN"}, 1),
    "kwacha": ({"": "ZMK"}, 1),
}
_ISO = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "DEM", "FRF", "ITL", "NLG", "HKD")
_SYMBOLS = {"us$": "USD", "u.s.$": "USD", "$": "USD", "a$": "AUD", "c$": "CAD", "can$": "CAD",
            "hk$": "HKD", "nz$": "NZD", "s$": "SGD", "£": "GBP", "€": "EUR", "¥": "JPY",
            "stg": "GBP", "dm": "DEM", "sfr": "CHF", "ffr": "FRF", "dfl": "NLG", "rs": "INR",
            **{code.lower(): code for code in _ISO}}
_QUALIFIERS = sorted({q for table, _ in _WORDS.values() for q in table if q}, key=len,
                     reverse=True)
_SUFFIX = amount_pattern("|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)),
                         "|".join(re.escape(q) for q in _QUALIFIERS))
_SYMBOL = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
# "$1.2bn", "US$ 300 mln", "stg 50 mln", "€3,5 Mio.": symbol or code first, glued scales too
_PREFIX = re.compile(rf"(?<![\w$])(?P<sym>{_SYMBOL}) ?(?P<num>{NUMBER})"
                     rf"(?:(?: ?(?P<scale>{SCALE}))|(?P<glued>bn|mn|m|b|k)\b)?",
                     re.IGNORECASE)
_SCALED = re.compile(rf" {SCALE} ", re.IGNORECASE)
_PHYSICAL = re.compile(r"\b(?:per|capacity|output|produc\w*|weigh\w*|crop|harvest)\b",
                       re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"(?<=[a-z]{2}\.)\s+(?=[A-Z])|;\s")  # not after "U.S."
_GLUED = {"bn": "bn", "b": "bn", "mn": "mn", "m": "mn", "k": "thousand"}


def find_currency(text: str) -> list[dict[str, Any]]:
    """Money mentions in text order: text, start, end, amount, currency (ISO 4217)."""
    found = {m["start"]: m for m in _prefixed(text)}
    for a in find_amounts(text, _SUFFIX):
        code = _code(a.unit, a.qualifier, text[max(0, a.start - 300):a.start])
        if code is None and _unit_key(a.unit) == "pounds":
            code = _pounds(text, a.start, a.end)
        if code is None or any(m["start"] <= a.start < m["end"] for m in found.values()):
            continue
        factor = _WORDS[_unit_key(a.unit)][1]
        found[a.start] = _mention(text, a.start, a.end, a.value * factor, code)
    return [found[k] for k in sorted(found)]


def _prefixed(text: str) -> list[dict[str, Any]]:
    out = []
    for m in _PREFIX.finditer(text):
        scale = m.group("scale") or (_GLUED[m.group("glued").lower()] if m.group("glued")
                                     else None)
        code = _SYMBOLS[m.group("sym").lower()]
        out.append(_mention(text, m.start(), m.end(), scaled(m.group("num"), scale), code))
    return out


def _code(unit: str, qualifier: str, before: str) -> str | None:
    table = _WORDS[_unit_key(unit)][0]
    if qualifier:
        return table.get(qualifier.lower(), table.get(""))
    if "" in table:
        return table[""]  # "dlrs" are U.S. dollars unless qualified right there
    # "Swedish ... 50 mln crowns": a country adjective earlier in the sentence decides
    sentence = _SENTENCE_BREAK.split(before)[-1].lower()
    named = [q for q in table if q and re.search(rf"\b{re.escape(q)}\b", sentence)]
    return table[named[0]] if len(named) == 1 else None


def _pounds(text: str, start: int, end: int) -> str | None:
    """"50 mln pounds" is money; unscaled pounds, or pounds in a sentence about output,
    capacity or rates, are weight (left to sluice.units)."""
    sentence = text[max(0, start - 150):end + 40]
    if not _SCALED.search(text, start, end) or _PHYSICAL.search(sentence):
        return None
    return "GBP"


def _unit_key(unit: str) -> str:
    return re.sub(r"\s+", " ", unit.lower())


def _mention(text: str, start: int, end: int, amount: float, code: str) -> dict[str, Any]:
    return {"text": text[start:end], "start": start, "end": end,
            "amount": round(amount, 6), "currency": code}
