"""Hybrid retrieval on the real index of seeds/: BM25 (bm25s's Lucene scoring) + dense MiniLM, fused by RRF.

``rag.retrieval`` scores BM25 with its own vectorised build over token ids (so that a changed index re-reads only
the changed files and 100k chunks build in about a second); these tests hold its scores equal to bm25s's, its
fusion to reciprocal rank fusion of the two real rankings, and its refresh to the changed files only."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest
from conftest import ROOT, SEEDS

from rag import Pipeline, Settings
from rag.lexicon import tokenize
from rag.retrieval import _chunk_tokens, _Lexical, _spread_over_sources

GOLD = [json.loads(line) for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home = tmp_path_factory.mktemp("retrieval_home")
    p = Pipeline(Settings.from_env({"RAG_HOME": str(home), "RAG_ANSWER_MODE": "extractive"}), auto_ingest=False)
    p.ingest([SEEDS])
    return p


@pytest.mark.parametrize("block", [20_000, 7])  # one build block, and many (as at 100k chunks)
def test_bm25_scores_equal_bm25s_lucene_scores(pipeline, block, monkeypatch):
    import bm25s

    monkeypatch.setattr(_Lexical, "block", block)
    chunks = pipeline.index.all_chunks()
    ours = _Lexical.from_chunks(chunks)
    reference = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    reference.index([_chunk_tokens(c) for c in chunks], show_progress=False)
    compared = 0
    for item in GOLD:
        terms = [t for t in tokenize(item["user_input"]) if t in ours.vocab]
        if not terms:
            continue
        expected = reference.get_scores(terms)
        got = ours.get_scores([ours.vocab[t] for t in terms])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        assert got.max() > 0
        compared += 1
    assert compared >= 70


def test_passages_carry_scores_and_offsets_into_the_original_file(pipeline):
    passages = pipeline.search("How many people has the war in eastern Ukraine killed?")
    assert len(passages) == pipeline.settings.top_k
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    assert any(p.source == "001_7658c4148b7d94c0.txt" and "13,200" in p.text for p in passages[:2])
    fused = [p.fused_score for p in passages]
    assert fused == sorted(fused, reverse=True)
    for p in passages:
        assert p.dense_score is not None or p.lexical_score is not None
        original = (SEEDS / p.source).read_text(encoding="utf-8")
        assert 0 <= p.start < p.end <= len(original)
        for s, e in p.chunk.sentences:  # every sentence of the passage is a span of the original file
            assert p.start <= s < e <= p.end and original[s:e] in p.text
        assert p.id == f"{p.source}#{p.chunk.n}"


def test_fusion_is_reciprocal_rank_fusion_of_the_dense_and_bm25_rankings(pipeline):
    query = "Which news agency did Josep Borrell talk to?"
    retriever = pipeline.retriever
    k, rrf = retriever.candidates, retriever.rrf_k
    lexical = retriever._refresh()
    dense = [cid for cid, _ in pipeline.index.dense_ids(pipeline.index.embeddings.embed_query(query), k)]
    sparse = [cid for cid, _ in lexical.search(query, k)]
    expected: dict[str, float] = {}
    for ranking in (dense, sparse):
        for rank, cid in enumerate(ranking, 1):
            expected[cid] = expected.get(cid, 0.0) + 1.0 / (rrf + rank)
    got = retriever.search(query, k=len(expected))
    assert {p.id: p.fused_score for p in got} == pytest.approx({cid: expected[cid] for cid in (p.id for p in got)})
    best = max(expected.values())
    assert got[0].fused_score == pytest.approx(best)
    both = [p for p in got if p.dense_score is not None and p.lexical_score is not None]
    assert both and got[0] in both  # the top passage is found by both retrievers


def test_spreading_over_sources_keeps_rank_order_within_each_part():
    ranked = ["a#0", "a#1", "a#2", "b#0", "a#3", "c#4", "b#1", "b#2"]
    assert _spread_over_sources(ranked, 2) == ["a#0", "a#1", "b#0", "c#4", "b#1", "a#2", "a#3", "b#2"]
    assert _spread_over_sources(ranked, 10) == ranked


def test_a_question_across_articles_gets_passages_from_several_files(pipeline):
    question = "How many members does NATO have according to the different articles?"
    plain = pipeline.search(question)
    assert max(Counter(p.source for p in plain).values()) > 2  # one file would fill the context on its own
    spread = pipeline.retriever.search(question, max_per_source=2)
    counts = Counter(p.source for p in spread)
    assert len(spread) == len(plain) and max(counts.values()) <= 2 and len(counts) >= 3
    assert spread[0].id == plain[0].id
    assert [p.fused_score for p in spread] == sorted((p.fused_score for p in spread), reverse=True)
    asked = pipeline.ask(question)
    assert [p.id for p in asked.contexts] == [p.id for p in spread]


def test_a_changed_index_rereads_only_the_changed_files(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    p = Pipeline(Settings.from_env({"RAG_HOME": str(tmp_path / "home")}), auto_ingest=False)
    p.ingest([folder])
    assert p.search("Borrell")  # builds BM25 over all five files
    read: list[list[str]] = []
    real = p.index.iter_chunks

    def spy(files, *args, **kwargs):
        read.append(sorted(files))
        return real(files, *args, **kwargs)

    p.index.iter_chunks = spy
    (folder / "zz_new.txt").write_text("The Baltic grid operator switched the BRELL ring off on Sunday.\n",
                                       encoding="utf-8")
    p.ingest([folder])
    hits = p.search("BRELL ring Baltic grid operator")
    assert read == [["zz_new.txt"]]  # the other four files' chunks and tokens were reused, not re-read
    new = [h for h in hits if h.source == "zz_new.txt"]  # found, and first on BM25 (its fused rank also depends on
    assert new and new[0].lexical_score == max(h.lexical_score or 0 for h in hits), hits  # the dense side)
    (folder / "zz_new.txt").unlink()
    p.ingest([folder])
    assert all(h.source != "zz_new.txt" for h in p.search("BRELL ring Baltic grid operator"))
    assert read[1:] == []  # a removal re-reads nothing


def test_a_file_rewritten_by_another_process_after_the_snapshot_is_not_served_stale(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "a.txt").write_text("The harbour of Town001 opened a new ferry terminal on Monday, officials said.\n",
                                  encoding="utf-8")
    settings = Settings.from_env({"RAG_HOME": str(tmp_path / "home")})
    p = Pipeline(settings, auto_ingest=False)
    p.ingest([folder])
    p.retriever.refresh_seconds = 3600  # the snapshot would otherwise be re-checked every 2 s
    assert p.search("ferry terminal Town001")[0].source == "a.txt"
    from rag.index import Index

    other = Index(settings)  # another process's view of the same index
    (folder / "a.txt").write_text("The harbour of Town001 closed its old ferry terminal on Friday, officials said.\n",
                                  encoding="utf-8")
    other.ingest([folder])
    stale = p.search("ferry terminal Town001")  # the snapshot still holds the old version's tokens
    assert all("opened a new" not in x.text for x in stale)
    assert stale == [] or all("closed its old" in x.text for x in stale)
    fresh = p.search("ferry terminal Town001")  # the mismatch invalidated the snapshot
    assert fresh and "closed its old" in fresh[0].text


def _chunks(texts: dict[str, str]):
    from rag.types import Chunk

    return [Chunk(f"{src}#0", src, 0, "", None, 0, len(t), t, f"{i:064x}") for i, (src, t) in enumerate(texts.items())]


def test_a_misspelt_name_finds_the_chunk_that_spells_it_right():
    lexical = _Lexical.from_chunks(_chunks({
        "coach.txt": "Northgate coach Tomasz Wierzbicki said his side were ready.",
        "deal.txt": "Hoshizora Holdings agreed to buy a stake in a logistics firm.",
        "other.txt": "The council pledged more money for the harbour wall.",
    }))
    assert [cid for cid, _ in lexical.search("Who coaches Northgait Rovers?", 3)][:1] == ["coach.txt#0"]
    assert [cid for cid, _ in lexical.search("Who runs Hoshizira?", 3)] == ["deal.txt#0"]
    # a lower-case word no chunk has is not read as another word ("pledge" is found by its folding, "harbor" not
    # respelt to "harbour"), and a name no text comes close to finds nothing
    assert [cid for cid, _ in lexical.search("pledge", 3)] == ["other.txt#0"]
    assert lexical.search("harbor", 3) == [] and lexical.search("Quorvath", 3) == []


def test_word_forms_fold_to_one_term():
    assert tokenize("coaches coach coached") == ["coach"] * 3
    assert tokenize("pledge pledged pledges") == ["pledg"] * 3
    assert tokenize("wishes wish") == ["wish", "wish"]
