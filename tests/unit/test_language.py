import pytest

from sluice.language import detect_language


@pytest.mark.parametrize(("text", "lang"), [
    ("The company said it would raise its dividend and that the board was pleased.", "en"),
    ("Die Bank hat mitgeteilt, dass der Gewinn im Jahr nicht gestiegen ist und sich auf", "de"),
    ("La société a annoncé que le chiffre d'affaires est en hausse pour les trois mois", "fr"),
    ("El gobierno dijo que la inflación de los precios se redujo en el mes de marzo", "es"),
    ("Компания сообщила о росте прибыли в первом квартале", "ru"),
    ("会社は利益が増えたと発表しました", "ja"),
    ("Shr 20 cts", None),  # too short to tell
])
def test_language_detects_offline(text, lang):
    assert detect_language(text) == lang
