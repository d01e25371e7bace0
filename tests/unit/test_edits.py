from sluice.edits import Edit, apply_edits
from sluice.records import Document, Entity


def test_edits_move_entities_corrections_and_mentions_and_undo():
    text = "Paris paid 5 mln dlrs for teh Acme plant"
    doc = Document(id="d", source="s", format="txt", text=text,
                   entities=(Entity(start=30, end=34, label="ORG", text="Acme"),),
                   metadata={"currency": [{"text": "5 mln dlrs", "start": 11, "end": 21}]})
    doc = apply_edits(doc, [Edit(11, 21, "5000000 USD", "currency")])
    doc = apply_edits(doc, [Edit(27, 30, "the")])
    assert doc.text == "Paris paid 5000000 USD for the Acme plant"
    (ent,) = doc.entities
    assert doc.text[ent.start:ent.end] == "Acme"
    mention = doc.metadata["currency"][0]
    assert doc.text[mention["start"]:mention["end"]] == "5000000 USD"
    assert [c.kind for c in doc.corrections] == ["currency", "spelling"]
    undone = doc.text
    for c in sorted(doc.corrections, key=lambda c: c.start, reverse=True):
        assert undone[c.start:c.end] == c.after
        undone = undone[:c.start] + c.before + undone[c.end:]
    assert undone == text
