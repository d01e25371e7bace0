import pytest

from sluice.clean import STEPS, clean_document, clean_documents, repair_line_wraps
from sluice.config import CLEAN_STEPS, CleanConfig, load_config
from sluice.errors import ConfigError
from sluice.records import Document


def doc(text: str, content_type: str = "text/plain", fmt: str = "txt", **meta) -> Document:
    return Document(id="d", source="s", format=fmt, text=text, content_type=content_type,
                    metadata=meta)


def only(*steps: str, **kwargs) -> CleanConfig:
    return CleanConfig(steps=steps, **kwargs)


@pytest.mark.parametrize(("raw", "expected"), [
    ("donâ€™t go to the cafÃ©", "don't go to the café"),
    ("price\x03 list\x00", "price list"),
    ("a\r\nb", "a b"),
    ("too    many\t\tspaces  ", "too many spaces"),
    ("\ufb01nance", "finance"),  # NFKC folds the ligature
    ("1\u00bd cups, x\u00b2", "1\u00bd cups, x\u00b2"),  # but not fractions or powers
    ("\u201cQuoted\u201d \u2014 it\u2019s\u2026", "\"Quoted\" - it's..."),
    ("zero\u200bwidth", "zerowidth"),
])
def test_clean_fixes_text(raw, expected):
    assert clean_document(doc(raw), CleanConfig()).text == expected


def test_clean_repairs_reuters_line_wraps():
    raw = ("Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the\n"
           "drought since early January.\n    The dry period means the temporao will be late.")
    text = repair_line_wraps(raw)
    assert text.split("\n")[0].endswith("alleviating the drought since early January.")
    assert "\n    The dry period" in text


def test_clean_keeps_list_items_and_blank_lines():
    raw = "Items:\n- one\n- two\n\nNext paragraph here."
    assert repair_line_wraps(raw) == raw


@pytest.mark.parametrize(("raw", "numbers", "expected"), [
    ("Items:\n\u2022 first\n* second\n- third", False, "Items:\nfirst\nsecond\nthird"),
    ("1. Board met\n2. Vote", False, "1. Board met\n2. Vote"),
    ("1. Board met\n(b) Vote", True, "Board met\nVote"),
    ("a - b stays", False, "a - b stays"),
])
def test_clean_list_markers(raw, numbers, expected):
    assert clean_document(doc(raw), only("list_markers", list_numbers=numbers)).text == expected


def test_clean_html_to_main_text():
    html = ("<html><head><title>t</title><style>p{}</style></head><body><p>Main text of the "
            "page, long enough to count as an article body for extraction.</p>"
            "<script>var x = 1;</script></body></html>")
    out = clean_document(doc(html, "text/html"), CleanConfig())
    assert "Main text of the page" in out.text
    assert "var x" not in out.text and "<p>" not in out.text
    assert out.content_type == "text/plain"


@pytest.mark.parametrize(("body", "kept"), [
    ("Thanks, see below.\n\nOn Mon, 3 Mar 2003, Bob wrote:\n> old text\n> more",
     "Thanks, see below."),
    ("Agreed.\n> quoted line\nMy answer.", "Agreed.\nMy answer."),
    ("Body here.\n-- \nJohn Smith\nACME Corp", "Body here."),
    ("Fine.\n-----Original Message-----\nFrom: x", "Fine."),
    ("Yes.\nFrom: Ann\nSent: Monday\nTo: Bob\nSubject: re", "Yes."),
])
def test_clean_email_strips_quotes_and_signatures(body, kept):
    assert clean_document(doc(body, fmt="eml"), only("email")).text == kept


def test_clean_email_leaves_other_formats_alone():
    text = "> a markdown quote\nand text"
    assert clean_document(doc(text), only("email")).text == text


def test_clean_boilerplate_drops_shared_edges_and_signoff():
    docs = [doc(f"ACME NEWSWIRE\nStory number {i} is about cocoa prices.\n Reuter\n\x03")
            for i in range(5)]
    out = clean_documents(docs, only("control_chars", "boilerplate"))
    assert [d.text for d in out] == [f"Story number {i} is about cocoa prices." for i in range(5)]


def test_clean_boilerplate_keeps_lines_shared_by_few_documents():
    docs = [doc("Shr 20 cts vs 15 cts\nNet up"), doc("Shr 20 cts vs 15 cts\nNet down")] + [
        doc(f"Other story {i}\nwith text") for i in range(30)]
    out = clean_documents(docs, only("boilerplate"))
    assert out[0].text == "Shr 20 cts vs 15 cts\nNet up"


def test_clean_boilerplate_drops_page_headers_within_a_document():
    page = "ANNUAL REPORT 1986 - PAGE"
    text = "\n".join(f"{page}\nBody paragraph {i} with content." for i in range(3))
    assert page not in clean_document(doc(text), only("boilerplate")).text


@pytest.mark.parametrize(("mode", "expected"), [
    ("keep", "Mail bob@x.com or see https://x.com/a, call +1 212 555 0100."),
    ("mask", "Mail [EMAIL] or see [URL], call [PHONE]."),
    ("drop", "Mail or see , call ."),
])
def test_clean_contacts_keep_mask_drop(mode, expected):
    text = "Mail bob@x.com or see https://x.com/a, call +1 212 555 0100."
    cfg = only("contacts", urls=mode, emails=mode, phones=mode)
    assert clean_document(doc(text), cfg).text == expected


def test_clean_language_step_sets_language_once():
    text = "Die Bank hat mitgeteilt, dass der Gewinn nicht gestiegen ist und sich auf"
    assert clean_document(doc(text), only("language")).language == "de"
    declared = doc(text).model_copy(update={"language": "en"})
    assert clean_document(declared, only("language")).language == "en"


def test_clean_metadata_steps_record_mentions_with_offsets():
    text = "On March 3 it sold 5,000 tonnes for 1.5 mln dlrs, up from last Tuesday."
    out = clean_document(doc(text, date="26-FEB-1987 15:01:01.79"), CleanConfig())
    meta = out.metadata
    assert meta["document_date"] == "1987-02-26"
    assert [(m["amount"], m["currency"]) for m in meta["currency"]] == [(1.5e6, "USD")]
    assert [(m["si_value"], m["si_unit"]) for m in meta["units"]] == [(5e6, "kg")]
    assert [(m["text"], m["iso"]) for m in meta["dates"]] == [
        ("March 3", "1987-03-03"), ("last Tuesday", "1987-02-24")]
    for key in ("currency", "units", "dates"):
        assert all(out.text[m["start"]:m["end"]] == m["text"] for m in meta[key])
    assert out.corrections == () and out.text == text


def test_clean_currency_and_unit_rewrites_are_recorded_and_undoable():
    text = "It paid $1.2bn for 12 mph fans."
    cfg = CleanConfig(currency_rewrite=True, units_rewrite=True)
    out = clean_document(doc(text), cfg)
    assert out.text == "It paid 1200000000 USD for 5.36448 m/s fans."
    assert [(c.before, c.kind) for c in out.corrections] == [("$1.2bn", "currency"),
                                                             ("12 mph", "unit")]
    undone = out.text
    for c in reversed(out.corrections):
        undone = undone[:c.start] + c.before + undone[c.end:]
    assert undone == text


def test_clean_steps_are_switchable():
    cfg = CleanConfig(steps=("whitespace",))
    assert clean_document(doc("donâ€™t  x"), cfg).text == "donâ€™t x"


def test_clean_step_names_match_the_registry():
    assert set(CLEAN_STEPS) == set(STEPS)


@pytest.mark.parametrize(("steps", "message"), [
    (["whitespace", "spellcheck"], "unknown step"),
    (["currency", "whitespace"], "must come before"),
])
def test_clean_bad_step_lists_fail_before_any_document(steps, message):
    with pytest.raises(ConfigError, match=rf"clean\.steps.*{message}"):
        load_config(overrides={"clean.steps": steps}, environ={})


def test_clean_returns_new_record():
    original = doc("a  b")
    cleaned = clean_document(original, CleanConfig())
    assert original.text == "a  b" and cleaned.text == "a b"


@pytest.mark.parametrize("text", [
    "Pan Am Corp <PN> and Brooks <BRK> said <PA> shares rose.",
    "Standard Oil <SRD> to form unit with BP <BP>.",
])
def test_clean_reuters_tickers_are_not_html(text):
    from sluice.clean import html_to_text

    assert html_to_text(doc(text), CleanConfig()).text == text
