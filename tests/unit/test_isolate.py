from sluice.isolate import isolate
from sluice.records import Document


def docs(*texts: str) -> list[Document]:
    return [Document(id=t, source=f"src/{t}", format="txt", text=t) for t in texts]


def upper_unless_bad(batch):
    if any(d.text == "bad" for d in batch):
        raise ValueError("cannot handle 'bad'")
    return [d.model_copy(update={"text": d.text.upper()}) for d in batch]


def test_isolate_one_bad_document_does_not_sink_the_batch():
    ok, failures = isolate("clean", upper_unless_bad, docs("a", "bad", "c"))
    assert [d.text for d in ok] == ["A", "C"]
    assert len(failures) == 1
    f = failures[0]
    assert (f.stage, f.error_class, f.doc_id, f.source) == ("clean", "CleanError", "bad", "src/bad")
    assert f.message == "ValueError: cannot handle 'bad'"


def test_isolate_fast_path_and_empty():
    assert isolate("clean", upper_unless_bad, docs("a"))[0][0].text == "A"
    assert isolate("clean", upper_unless_bad, []) == ([], [])
