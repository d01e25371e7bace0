import pytest

from sluice.clean import STEPS, clean_document, repair_line_wraps
from sluice.config import CleanConfig
from sluice.records import Document


def doc(text: str, content_type: str = "text/plain") -> Document:
    return Document(id="d", source="s", format="txt", text=text, content_type=content_type)


@pytest.mark.parametrize(("raw", "expected"), [
    ("donâ€™t go to the cafÃ©", "don't go to the café"),
    ("price\x03 list\x00", "price list"),
    ("a\r\nb", "a b"),
    ("too    many\t\tspaces  ", "too many spaces"),
    ("\ufb01nance", "finance"),  # NFKC folds the ligature
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


def test_clean_html_to_main_text():
    html = ("<html><head><title>t</title><style>p{}</style></head><body><p>Main text of the "
            "page, long enough to count as an article body for extraction.</p>"
            "<script>var x = 1;</script></body></html>")
    out = clean_document(doc(html, "text/html"), CleanConfig())
    assert "Main text of the page" in out.text
    assert "var x" not in out.text and "<p>" not in out.text
    assert out.content_type == "text/plain"


def test_clean_steps_are_switchable():
    cfg = CleanConfig(steps=("whitespace",))
    assert clean_document(doc("donâ€™t  x"), cfg).text == "donâ€™t x"


def test_clean_step_names_are_all_known():
    assert set(CleanConfig().steps) <= set(STEPS)


def test_clean_returns_new_record():
    original = doc("a  b")
    cleaned = clean_document(original, CleanConfig())
    assert original.text == "a  b" and cleaned.text == "a b"
