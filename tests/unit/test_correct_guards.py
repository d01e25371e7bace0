"""The precision rules of issue 10, each on real text: typo costs, where a word stands
(mojibake, code, a name the text capitalises), glued and derived words, and the stricter
settings for e-mail. Sentences are from even-indexed (tuning) documents of
../shared/corpora/*.jsonl.gz, cited by 0-based line, as written by their authors."""

import pytest

from sluice.config import CorrectConfig
from sluice.correct import correct_outside_entities, for_document, load_speller
from sluice.spelling_guards import beside_odd_char, derived, glued_or_cut, in_code, named_in_text
from sluice.typo_cost import SLIP, typo_cost

EMAIL = {"from": "someone@example.org", "message_id": "<1@example.org>"}


@pytest.fixture(scope="module")
def speller():
    return load_speller()


def changes(speller, text: str, cfg: CorrectConfig | None = None) -> list[tuple[str, str]]:
    _, corrections = correct_outside_entities(text, [], speller, None, cfg or CorrectConfig())
    return [(c.before, c.after) for c in corrections]


def test_typo_cost_prices_human_slips_below_other_edits():
    # learned from codespell's pairs (sluice.typo_channel): one common slip costs at most SLIP
    assert typo_cost("recieve", "receive") <= SLIP  # swap
    assert typo_cost("untill", "until") <= SLIP  # doubled
    assert typo_cost("seperate", "separate") <= SLIP  # a vowel for a vowel
    assert SLIP < typo_cost("accomadate", "accommodate") < 2 * SLIP  # undoubled + vowel
    assert typo_cost("bridge", "bridle") > SLIP  # an unrelated letter
    assert typo_cost("rhe", "the") < typo_cost("xhe", "the")  # r is next to t


def test_two_edit_misspelling_is_fixed_in_a_real_wire(speller):
    # Reuters 8962, with "accommodate" written as the Aspell list's "accomadate"
    text = ("Petricioli nevertheless said Baker showed flexibility in being prepared to "
            "accomadate different proposals and promised to look into alternatives.")
    assert changes(speller, text) == [("accomadate", "accommodate")]


def test_mojibake_neighbour_leaves_the_word(speller):
    # SpamAssassin 56 and 764: an accented letter lost to the wrong encoding
    text = "Our core product D\ufffdiseditor \ufffd allows organisations to publish information"
    at = text.index("iseditor")
    assert beside_odd_char(text, at, at + len("iseditor"))
    assert changes(speller, text) == []
    text = "to move to productive and co\ufffdperative relations with the United States"
    assert changes(speller, text) == []


def test_code_around_a_word_leaves_it(speller):
    # SpamAssassin 1512 and 1426
    text = ("$spamtest->add_all_addresses_to_whitelist ($mail); } elsif "
            "($opt{'remove-from-whitelist'}) {")
    at = text.index("elsif")
    assert in_code(text, at, at + 5)
    assert changes(speller, text) == []
    text = ('#!/bin/sh # call this file "spamassassin-wrapper" and chmod +x it { echo '
            '"From $1 `date`" sed -e')
    assert changes(speller, text) == []


def test_quoted_prose_is_not_code():
    # SpamAssassin 368, quoted with '>' on every line: still prose
    text = ("> > The Windows I/O model does definately blow the doors off the UNIX one, "
            "> > but then they had select to point at")
    at = text.index("definately")
    assert not in_code(text, at, at + len("definately"))


def test_a_word_the_text_also_capitalises_is_a_name(speller):
    # SpamAssassin 266: a signature and the address made from the name
    text = "pretty please? Udhay -- ((Udhay Shankar N)) ((udhay @ pobox.com))"
    assert named_in_text(text, "udhay")
    assert changes(speller, text) == []
    assert not named_in_text("Thier own guardian. Then thier choices", "thier")


def test_glued_and_cut_words_are_not_fixed_by_dropping_letters(speller):
    # SpamAssassin 222 and 568
    assert glued_or_cut("aumix", "mix") and glued_or_cut("spellingis", "spelling")
    assert not glued_or_cut("tthe", "the")
    text = ("you now just need to adjust the volume levels with e.g. aumix and alsamixer "
            "because everything is muted by default.")
    assert changes(speller, text) == []


def test_derived_words_are_not_typos_but_kept_e_is(speller):
    def known(word):
        return speller.known(word, CorrectConfig())

    assert derived("delisted", known) and derived("reregulation", known)
    assert not derived("giveing", known) and not derived("truely", known)
    # Reuters 1302
    text = ("Kaiser Cement common shares will be delisted from the New York Stock "
            "Exchange.")
    assert changes(speller, text) == []


def test_british_double_consonant_is_no_typo(speller):
    # Reuters 1954
    text = ("industries like leasing and transport that have benefitted from the yen's rise "
            "will remain robust, it said.")
    assert changes(speller, text) == []


def test_email_settings_are_stricter_and_still_fix_plain_typos(speller):
    cfg = CorrectConfig()
    strict = for_document(EMAIL, "jsonl", cfg)
    assert strict.min_confidence > cfg.min_confidence and strict.max_cost < cfg.max_cost
    assert for_document({}, "txt", cfg) == cfg
    assert for_document({}, "eml", cfg) == strict
    # SpamAssassin 2614: a classic swap, fixed in e-mail too
    text = ("a system that I have developed for a client. I did not recieve payment for "
            "this particular piece of code")
    assert changes(speller, text, strict) == [("recieve", "receive")]
    # SpamAssassin 1118, 1352: a word and slang the dictionary lacks, left in e-mail
    text = "the use of the win32 codecs are the ones encoded with a strange DivX 3 format"
    assert changes(speller, text, strict) == []
    text = "Doing the blogging thang again at http://www.groovymother.com/"
    assert changes(speller, text, strict) == []
