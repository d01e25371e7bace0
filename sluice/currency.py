"""Money amounts as structured mentions: "$1.2bn", "US$ 300 mln", "stg 50 mln",
"€3,5 Mio.", "5 cts", "1.5 mln Canadian dlrs", "$AUD1.1 billion", "half a million dollars"
-> (amount, ISO-4217 code).

A bare "$" or "dollars", or a currency word whose country the sentence does not name
("crowns", "pesos"), takes the currency of the document's country when a `Context` gives
one (a Reuters `places` label, the sender's country domain, the country the text names);
such mentions are marked `inferred`. Without a context a bare dollar is the U.S. dollar
and an unnamed crown gives no mention rather than a guess. Codes are the ISO-4217 ones of
the text's time (DEM, FRF).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from babel.numbers import get_currency_name, get_territory_currencies, list_currencies

from sluice.countries import place_country, territories
from sluice.numbers import NUMBER, SCALE, amount_pattern, find_amounts, scaled

# qualifier -> code, per currency word; "" is the unqualified default
_DOLLAR = {"": "USD", "u.s.": "USD", "us": "USD", "american": "USD", "united states": "USD",
           "canadian": "CAD", "can": "CAD", "australian": "AUD", "aust": "AUD", "aus": "AUD",
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
_SHILLING = {"kenyan": "KES", "ugandan": "UGX", "tanzanian": "TZS", "austrian": "ATS"}
_WORDS: dict[str, tuple[dict[str, str], float]] = {
    "dlrs": (_DOLLAR, 1), "dlr": (_DOLLAR, 1), "dollars": (_DOLLAR, 1), "dollar": (_DOLLAR, 1),
    "bucks": (_DOLLAR, 1), "buck": (_DOLLAR, 1),
    "cts": (_DOLLAR, 0.01), "cents": (_DOLLAR, 0.01), "cent": (_DOLLAR, 0.01),
    "francs": (_FRANC, 1), "franc": (_FRANC, 1), "crowns": (_CROWN, 1), "kronor": (_CROWN, 1),
    "kroner": (_CROWN, 1), "pounds sterling": ({"": "GBP"}, 1), "stg": ({"": "GBP"}, 1),
    "sterling": ({"": "GBP"}, 1), "pounds": (_POUND, 1), "pence": ({"": "GBP"}, 0.01),
    "marks": (_MARK, 1), "mark": (_MARK, 1), "dmk": ({"": "DEM"}, 1), "pesos": (_PESO, 1),
    "markka": ({"": "FIM", "finnish": "FIM"}, 1), "shillings": (_SHILLING, 1),
    "rupees": (_RUPEE, 1), "yen": ({"": "JPY"}, 1), "lire": ({"": "ITL"}, 1),
    "lira": ({"": "ITL", "turkish": "TRL"}, 1), "guilders": ({"": "NLG"}, 1),
    "guilder": ({"": "NLG"}, 1),
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
# the word in a currency's English name (CLDR, via babel) that each currency word stands for
_NAMED = {"dlrs": "dollar", "dlr": "dollar", "bucks": "dollar", "buck": "dollar",
          "cts": "dollar", "cents": "dollar", "cent": "dollar", "crowns": "kron|korun",
          "kronor": "kron", "kroner": "kron", "lire": "lira", "pounds": "pound"}
_ISO = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "DEM", "FRF", "ITL", "NLG", "HKD")
_SYMBOLS = {"us$": "USD", "u.s.$": "USD", "us $": "USD", "$us": "USD", "$": "USD",
            "a$": "AUD", "$a": "AUD", "c$": "CAD", "can$": "CAD", "hk$": "HKD", "$hk": "HKD",
            "nz$": "NZD", "$nz": "NZD", "s$": "SGD", "r$": "BRL", "£": "GBP", "€": "EUR",
            "¥": "JPY", "stg": "GBP", "dm": "DEM", "sfr": "CHF", "ffr": "FRF", "dfl": "NLG",
            "rs": "INR", **{code.lower(): code for code in _ISO}}
# ISO codes that are also English words: written in capitals they are still words
_WORDLIKE = {"ALL", "BOB", "CUP", "GEL", "MAD", "MOP", "NAD", "PEN", "RUB", "SOS", "TOP", "TRY",
             "TMM", "BAM", "XXX", "XTS", "NPR"}  # NPR: the radio network
_CODES = frozenset(list_currencies()) - _WORDLIKE
_QUALIFIERS = sorted({q for table, _ in _WORDS.values() for q in table if q}, key=len,
                     reverse=True)
_SUFFIX = amount_pattern("|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)),
                         "|".join(re.escape(q) for q in _QUALIFIERS), words=True)
_SYMBOL = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_CAPS = r"(?-i:[A-Z]{3})"
# "$1.2bn", "$6M", "$500k", and "US$ 22.5 M" with a space when the letter is a capital
_GLUE = r"(?:(?: ?(?P<scale>{0}|mil\b))|(?P<glued>(?-i: (?:BN|MN|M|B|K))|bn|mn|mil|m|b|k)\b)?"
# "$1.2bn", "US$ 300 mln", "$AUD1.1 billion", "€3,5 Mio.", "$200-300 million"; not a
# version ("PHP 3.0.9")
_PREFIX = re.compile(rf"(?<![\w$])(?=[^\W\d_]|[$£€¥])"
                     rf"(?P<sym>\${_CAPS}|{_CAPS}\$|{_SYMBOL}|{_CAPS}) ?"
                     rf"(?P<num>{NUMBER})(?![.,]?\d){_GLUE.format(SCALE)}"
                     rf"(?:(?P<dash>-|–| to )(?P<upper>{NUMBER})(?![\d%])"
                     rf"{_GLUE.format(SCALE).replace('?P<', '?P<u')})?", re.IGNORECASE)
_CODE_AFTER = re.compile(rf"(?<![\w.,$])(?P<num>{NUMBER}) ?(?P<code>{_CAPS})\b")
_PHONE = re.compile(r"[-.]\d{3}[-.]\d{4}\b")
# "a dollar a week", "a dollar and a half": not "a dollar rise", "a dollar exchange rate"
_A_DOLLAR = re.compile(r"\ba (?:dollar|buck)(?= (?:a|an|per|each|and a half)\b)", re.IGNORECASE)
_HALF = re.compile(r" and a half\b")
_CENTS_AFTER = re.compile(r",? and ")
_POST_QUALIFIER = re.compile(r" \(?(U\.S\.(?!\w)|(?:US|Canadian|Australian|Singapore)\b)\)?")
_YEAR = re.compile(r"(?:18|19|20)\d\d")
_ADJECTIVAL = {"sterling", "dollar", "dlr", "franc", "mark"}
_SHARED_SCALE = re.compile(r" ?(?:-|–|to|and|or) ?")
_SCALED = re.compile(rf" {SCALE} ", re.IGNORECASE)
_PHYSICAL = re.compile(r"\b(?:per|capacity|output|produc\w*|weigh\w*|crop|harvest)\b",
                       re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"(?<=[a-z]{2}\.)\s+(?=[A-Z])|;\s")  # not after "U.S."
_GLUED = {"bn": "bn", "b": "bn", "mn": "mn", "m": "mn", "mil": "mn", "k": "thousand"}


class Context(NamedTuple):
    """The currency a document's own country uses, at the document's date."""

    territory: str | None = None  # ISO 3166 alpha-2, e.g. "AU"
    local: str | None = None  # e.g. "AUD"
    us_named: bool = False  # the document writes "U.S. dlrs" and never its own dollar


NO_CONTEXT = Context()


def find_currency(text: str, context: Context = NO_CONTEXT) -> list[dict[str, Any]]:
    """Money mentions in text order: text, start, end, amount, currency (ISO 4217) and
    inferred (the document's context, not the mention, decided the currency)."""
    found = {m["start"]: m for m in _prefixed(text, context)}
    for a in find_amounts(text, _SUFFIX):
        if any(m["start"] <= a.start < m["end"] for m in found.values()):
            continue
        key = _unit_key(a.unit)
        if key in _ADJECTIVAL and _YEAR.fullmatch(text, a.start, a.end - len(a.unit) - 1):
            continue  # "an average 1987 sterling exchange rate"
        qualifier = a.qualifier or _post_qualifier(text, a.end, key)
        plain = _code(key, qualifier, text[max(0, a.start - 300):a.start])
        code = _in_context(key, qualifier, plain, context)
        if code is None and key == "pounds":
            code = _pounds(text, a.start, a.end)
        if code is not None:
            found[a.start] = _mention(text, a.start, a.end, a.value * _WORDS[key][1], code,
                                      code != plain)
    for m in _coded(text):
        if not any(f["start"] <= m["start"] < f["end"] for f in found.values()):
            found[m["start"]] = m
    for m in _A_DOLLAR.finditer(text):
        if not any(f["start"] <= m.start() < f["end"] for f in found.values()):
            code = _in_context("dollar", "", "USD", context)
            found[m.start()] = _mention(text, m.start(), m.end(), 1.0, code, code != "USD")
    return _joined(text, [found[k] for k in sorted(found)])


def document_context(metadata: Mapping[str, Any], text: str) -> Context:
    """The document's country: a `places` label, the sender's country domain, else the
    country its text names most (twice at least); and its currency at the document's date."""
    from sluice.dates import document_date  # dateutil is slow to import

    territory = _from_places(metadata.get("places")) or _from_sender(
        str(metadata.get("from") or ""), text) or _from_text(text)
    if territory is None:
        return NO_CONTEXT
    local = _currency_of(territory, document_date(dict(metadata)) or date.today())
    if local is None:
        return Context(territory)
    us_named = _is_dollar(local) and local != "USD" and _names_only_us(text, local)
    return Context(territory, local, us_named)


def _prefixed(text: str, context: Context) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in _PREFIX.finditer(text):
        code = _symbol_code(m.group("sym"))
        if code is None or _PHONE.match(text, m.end("num")):
            continue
        inferred = m.group("sym") == "$" and (code := _in_context(
            "dollar", "", code, context)) != "USD"
        scale, upper_scale = _scale(m, ""), _scale(m, "u")
        if m.group("upper") and m.group("dash") == " to " and upper_scale is None:
            m = _PREFIX.match(text[:m.start("dash")], m.start())  # "$2.9m to 61,131 people"
        if m.group("upper") is None:
            out.append(_mention(text, m.start(), m.end(), scaled(m.group("num"), scale),
                                code, inferred))
            continue
        low = scaled(m.group("num"), scale or _shared(m.group("num"), upper_scale))
        low_end = max(m.end("num"), m.end("scale"), m.end("glued"))
        out.append(_mention(text, m.start(), low_end, low, code, inferred))
        out.append(_mention(text, m.start("upper"), m.end(),
                            scaled(m.group("upper"), upper_scale), code, inferred))
    return _share_scales(text, out)


def _symbol_code(symbol: str) -> str | None:
    if symbol.lower() in _SYMBOLS:
        return _SYMBOLS[symbol.lower()]
    code = symbol.strip("$")
    return code if code in _CODES else None


def _scale(m: re.Match[str], prefix: str) -> str | None:
    glued, scale = m.group(prefix + "glued"), m.group(prefix + "scale")
    if scale:
        return "mln" if scale.lower() == "mil" else scale  # "$680 mil"
    return _GLUED[glued.strip().lower()] if glued else None


def _shared(number: str, scale: str | None) -> str | None:
    """"$200-300 million": the 200 is in millions too; "$500,000 to 1 mln" keeps its size."""
    return scale if scaled(number, None) < 1000 else None


def _share_scales(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """"$400 to $500 million": the first amount takes the scale of the second."""
    for first, second in zip(found, found[1:], strict=False):
        gap = text[first["end"]:second["start"]]
        bare = re.fullmatch(rf"\D{{0,4}}(?:{NUMBER})", first["text"])
        scale = re.search(rf"(?:{SCALE}|(?<=\d)(?:bn|mn|m|b|k)\b)$", second["text"],
                          re.IGNORECASE)
        if bare and scale and _SHARED_SCALE.fullmatch(gap) and first["amount"] < 1000:
            first["amount"] = round(first["amount"] * second["amount"] / scaled(
                re.search(NUMBER, second["text"]).group(), None), 6)
    return found


def _coded(text: str) -> list[dict[str, Any]]:
    """"45.00GBP", "$50,000 USD": an ISO code in capitals after the number."""
    return [_mention(text, m.start(), m.end(), scaled(m.group("num"), None), m.group("code"),
                     False) for m in _CODE_AFTER.finditer(text) if m.group("code") in _CODES]


def _joined(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """"Four dollars and 25 cents" is one amount; so is "a dollar and a half"."""
    out: list[dict[str, Any]] = []
    for m in found:
        prev = out[-1] if out else None
        if prev and prev["currency"] == m["currency"] and m["amount"] < 1 \
                and re.search(r"cents?$", m["text"], re.IGNORECASE) \
                and re.search(r"(?:dollars?|bucks?)$", prev["text"], re.IGNORECASE) \
                and _CENTS_AFTER.fullmatch(text[prev["end"]:m["start"]]):
            out[-1] = _mention(text, prev["start"], m["end"], prev["amount"] + m["amount"],
                               m["currency"], prev["inferred"])
            continue
        half = _HALF.match(text, m["end"])
        if half and re.search(r"(?:dollar|buck)$", m["text"], re.IGNORECASE):
            m = _mention(text, m["start"], half.end(), m["amount"] + 0.5, m["currency"],
                         m["inferred"])
        out.append(m)
    return out


def _post_qualifier(text: str, end: int, key: str) -> str:
    """"1.34 dlrs Canadian", "one dlr U.S.", "$3 (U.S.)"."""
    if _WORDS[key][0] is not _DOLLAR or not (m := _POST_QUALIFIER.match(text, end)):
        return ""
    return m.group(1)


def _code(key: str, qualifier: str, before: str) -> str | None:
    table = _WORDS[key][0]
    if qualifier:
        return table.get(qualifier.lower(), table.get(""))
    if "" in table:
        return table[""]  # "dlrs" are U.S. dollars unless qualified right there
    # "Swedish ... 50 mln crowns": a country adjective earlier in the sentence decides
    sentence = _SENTENCE_BREAK.split(before)[-1].lower()
    named = [q for q in table if q and re.search(rf"\b{re.escape(q)}\b", sentence)]
    return table[named[0]] if len(named) == 1 else None


def _in_context(key: str, qualifier: str, plain: str | None, context: Context) -> str | None:
    """The document's own currency for an unqualified word that can name it: "dlrs" in a
    Canadian wire, "francs" in a Belgian one, "crowns" in a Danish one."""
    table = _WORDS[key][0]
    if key == "pounds":
        return plain  # pounds may be weight: sluice.units decides (see _pounds)
    if qualifier or context.local is None or (plain is not None and plain != table.get("")):
        return plain  # qualified right there, or a country adjective in the sentence decided
    word = _NAMED.get(key, key.rstrip("s"))
    if not re.search(rf"\b(?:{word})", get_currency_name(context.local, locale="en").lower()):
        return plain
    if word == "dollar" and context.us_named:
        return plain
    return context.local


def _pounds(text: str, start: int, end: int) -> str | None:
    """"50 mln pounds" is money; unscaled pounds, or pounds in a sentence about output,
    capacity or rates, are weight (left to sluice.units)."""
    sentence = text[max(0, start - 150):end + 40]
    if not _SCALED.search(text, start, end) or _PHYSICAL.search(sentence):
        return None
    return "GBP"


def _unit_key(unit: str) -> str:
    return re.sub(r"\s+", " ", unit.lower())


def _mention(text: str, start: int, end: int, amount: float, code: str,
             inferred: bool) -> dict[str, Any]:
    return {"text": text[start:end], "start": start, "end": end,
            "amount": round(amount, 6), "currency": code, "inferred": inferred}


# -- the document's country ---------------------------------------------------------------

# short names CLDR does not list, so that "America" counts for the United States
_NAME_ALIASES = {"America": "US", "U.S.": "US", "Britain": "GB"}


@lru_cache(maxsize=1)
def _territory_names() -> re.Pattern[str]:
    names = [n.title() for n in territories() if len(n) > 3] + list(_NAME_ALIASES)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?=[A-Z])({alternatives})(?![\w])")  # capitals first: fast


def _name_code(name: str) -> str:
    return _NAME_ALIASES.get(name) or territories()[name.lower()]


def _from_places(places: Any) -> str | None:
    labels = places.split(",") if isinstance(places, str) else places or []
    return next((code for label in labels if (code := place_country(label))), None)


def _from_sender(sender: str, text: str) -> str | None:
    """The country domain of the sender's address ("jm@jmason.ie" -> IE; "uk" is GB) when
    the text names that country too: spam is often sent from vanity domains (.cc, .ca)."""
    tld = re.search(r"@[\w.-]+\.([a-z]{2})>?\s*$", sender.lower())
    if tld is None:
        return None
    code = "GB" if tld.group(1) == "uk" else tld.group(1).upper()
    named = any(_name_code(m.group(1)) == code for m in _territory_names().finditer(text))
    return code if named else None


def _from_text(text: str) -> str | None:
    counts: dict[str, int] = {}
    for m in _territory_names().finditer(text):
        code = _name_code(m.group(1))
        counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


@lru_cache(maxsize=4096)
def _currency_of(territory: str, when: date) -> str | None:
    try:
        found = get_territory_currencies(territory, start_date=when, end_date=when,
                                         tender=True)
    except Exception:  # noqa: BLE001 -- a territory CLDR does not know ("SU") has no currency
        return None
    return found[0] if found else None


def _is_dollar(code: str) -> bool:
    return "dollar" in get_currency_name(code, locale="en").lower()


def _names_only_us(text: str, local: str) -> bool:
    """The writer qualified U.S. dollars and never the local ones, so a bare "dlrs" is U.S."""
    codes = {(m["currency"], bool(re.match(r"(?i)(?:u\.?s|\$us|usd)", m["text"]) or re.search(
        r"(?i)u\.s\.? dl|us dollar|u\.s\. dollar", m["text"]))) for m in find_currency(text)}
    return ("USD", True) in codes and not any(c == local for c, _ in codes)
