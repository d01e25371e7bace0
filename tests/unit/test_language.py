import pytest

from sluice.language import confidence, detect_language


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


@pytest.mark.parametrize(("text", "lang"), [
    # spaCy's own example sentences (spacy/lang/*/examples.py): real text the stopword
    # profiles alone could not place, so correction used to take them for English
    ("Wie deutsche Startups die Technologie vorantreiben wollen: Künstliche Intelligenz", "de"),
    ("La France ne devrait pas manquer d'électricité cet été, même en cas de canicule", "fr"),
    ("Le automobili a guida autonoma spostano la responsabilità assicurativa verso i "
     "produttori", "it"),
    ("Apple está querendo comprar uma startup do Reino Unido por 100 milhões de dólares", "pt"),
])
def test_language_lingua_places_short_text_the_profiles_cannot(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(("text", "english"), [
    ("El gato come pescado.", False),  # spaCy's Spanish example: under 5 words, undetected
    ("Shr 20 cts", True),  # Reuters 637 opens so; lingua leans English, enough
    ("> If the creator didnt say you could have it", True),  # SpamAssassin 296
])
def test_language_confidence_for_short_undetected_text(text, english):
    assert detect_language(text) is None or english
    assert (confidence(text, "en") >= 0.1) is english
