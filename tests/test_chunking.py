"""Sentence-aware chunking with tiktoken budgets."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from rag._tiktoken import CL100K_CACHE_KEY, count_tokens, get_encoding, prepare_cache
from rag.chunking import chunk_document
from rag.documents import load_document, parse_document

ROOT = Path(__file__).resolve().parents[1]
SEED_FILES = sorted((ROOT / "seeds").glob("*.txt"))


@pytest.fixture(autouse=True)
def rag_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    # prepare_cache() sets TIKTOKEN_CACHE_DIR; let monkeypatch restore it so no other test sees a temp folder
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)


def check_chunks(doc, chunks, chunk_tokens, overlap_tokens):
    assert chunks, "a document with sentences yields chunks"
    assert [c.n for c in chunks] == list(range(len(chunks)))
    assert [c.id for c in chunks] == [f"{doc.source}#{i}" for i in range(len(chunks))]
    for c in chunks:
        assert c.source == doc.source and c.title == doc.title and c.date == doc.date
        assert count_tokens(c.text) <= chunk_tokens, (c.id, count_tokens(c.text))
        assert c.sentences
        assert c.start == c.sentences[0][0] and c.end == c.sentences[-1][1]
        assert 0 <= c.start < c.end <= len(doc.text)
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
            assert doc.text[s:e] in c.text
        assert c.text.startswith(doc.text[c.sentences[0][0] : c.sentences[0][1]])
        assert c.text.endswith(doc.text[c.sentences[-1][0] : c.sentences[-1][1]])
        assert c.hash == hashlib.sha256(c.text.encode("utf-8")).hexdigest()
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start > prev.start, "each chunk starts later"
        assert nxt.end > prev.end, "each chunk adds a new sentence"
        shared = [s for s in nxt.sentences if s in prev.sentences]
        if shared:
            assert shared == list(prev.sentences[-len(shared) :]), "overlap is the tail of the previous chunk"
            overlap_text = "".join(doc.text[s:e] for s, e in shared)
            assert count_tokens(overlap_text) <= overlap_tokens + len(shared)
    # every sentence of the document is covered by chunk spans
    covered = [span for c in chunks for span in c.sentences]
    for s, e in doc.sentences:
        pieces = [(a, b) for a, b in covered if s <= a and b <= e]
        assert pieces, (s, e)
        assert min(a for a, _ in pieces) == s and max(b for _, b in pieces) == e


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_seed_chunks(path):
    doc = load_document(path)
    chunks = chunk_document(doc)
    check_chunks(doc, chunks, 180, 40)
    # whole sentences only (no sentence of a seed is over the budget)
    assert {span for c in chunks for span in c.sentences} == set(doc.sentences)


def test_seed_chunks_overlap():
    doc = load_document(SEED_FILES[2])
    chunks = chunk_document(doc, chunk_tokens=120, overlap_tokens=40)
    check_chunks(doc, chunks, 120, 40)
    assert len(chunks) >= 3
    assert any(set(a.sentences) & set(b.sentences) for a, b in zip(chunks, chunks[1:]))


def test_ids_stable_across_runs():
    doc1 = load_document(SEED_FILES[1])
    doc2 = load_document(SEED_FILES[1])
    a = chunk_document(doc1)
    b = chunk_document(doc2)
    assert [(c.id, c.hash, c.start, c.end) for c in a] == [(c.id, c.hash, c.start, c.end) for c in b]
    assert a == b


@pytest.mark.parametrize("chunk_tokens, overlap_tokens", [(30, 10), (60, 0), (200, 80), (1000, 40)])
def test_budgets(chunk_tokens, overlap_tokens):
    for path in SEED_FILES:
        doc = load_document(path)
        check_chunks(doc, chunk_document(doc, chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens),
                     chunk_tokens, overlap_tokens)


def test_long_sentence_is_split_at_whitespace():
    words = " ".join(f"word{i}" for i in range(400))
    raw = f"Short Title\n\n{words} ends here. A short sentence follows."
    doc = parse_document("long.txt", raw)
    chunks = chunk_document(doc, chunk_tokens=50, overlap_tokens=10)
    check_chunks(doc, chunks, 50, 10)
    for c in chunks:
        for s, e in c.sentences:
            assert not doc.text[s:e][0].isspace() and not doc.text[s:e][-1].isspace()
    assert chunks[-1].text.endswith("A short sentence follows.")


def test_single_huge_word_is_cut():
    raw = "Title Line\n\n" + "x" * 3000 + " is a very long token. Done now."
    doc = parse_document("huge.txt", raw)
    chunks = chunk_document(doc, chunk_tokens=40, overlap_tokens=5)
    check_chunks(doc, chunks, 40, 5)


def test_segments_joined_with_newline():
    raw = "Heading Of Doc\n\nFirst paragraph sentence one here. Sentence two here.\n\nSecond paragraph here now."
    doc = parse_document("p.txt", raw)
    (chunk,) = chunk_document(doc)
    assert chunk.text == (
        "Heading Of Doc\nFirst paragraph sentence one here. Sentence two here.\nSecond paragraph here now."
    )
    assert chunk.metadata()["source"] == "p.txt"


def test_tiktoken_offline_cache(tmp_path, monkeypatch):
    folder = prepare_cache()
    assert folder == tmp_path / "home" / "tiktoken"
    assert (folder / CL100K_CACHE_KEY).is_file()
    assert hashlib.sha256((folder / CL100K_CACHE_KEY).read_bytes()).hexdigest() == (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
    )
    assert os.environ.get("TIKTOKEN_CACHE_DIR")
    enc = get_encoding()
    assert enc is get_encoding()
    assert enc.decode(enc.encode("Hello, NATO!")) == "Hello, NATO!"
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2


def test_stock_tiktoken_works_offline(tmp_path, monkeypatch):
    import tiktoken
    import tiktoken.load

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tk"))
    prepare_cache()
    assert (tmp_path / "tk" / CL100K_CACHE_KEY).is_file()

    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    data = tiktoken.load.read_file_cached(
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    )
    assert len(data) > 1_000_000
