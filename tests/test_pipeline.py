"""The spine end to end on real parts: Chroma, ONNX embeddings, the local GGUF model, a real OpenAI-compatible server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import SEEDS, assert_answer_invariants

from rag import Answer, Citation, ConfigurationError, Pipeline, QuestionError, Settings

ANSWERABLE = [
    ("When was the NATO-Russia Council meeting scheduled?", "January 12"),
    ("How much was the military aid package that Antony Blinken announced?", "725 million"),
    ("How many people has the nearly eight-year war in eastern Ukraine killed?", "13,200"),
    ("Who visited Kyiv on Monday?", "Scholz"),
    ("How long did the meeting between Zelenskyy and Scholz last?", "two and a half hours"),
    ("Which countries make up the Bucharest Nine?", "Lithuania"),
]


@pytest.mark.parametrize("question,fact", ANSWERABLE)
def test_default_pipeline_answers_with_verified_citations(seeded_pipeline, question, fact):
    answer = seeded_pipeline.ask(question)
    assert not answer.abstained, answer.metadata
    assert fact.lower() in answer.text.lower()
    assert_answer_invariants(answer)
    assert answer.contexts and all(p.rank >= 1 for p in answer.contexts)
    assert answer.metadata["backend"] == "llama-cpp"


def test_every_sentence_of_an_answer_ends_with_a_citation(seeded_pipeline):
    answer = seeded_pipeline.ask("When will Josep Borrell begin his visit to Ukraine?")
    import re

    sentences = [s for s in re.split(r"(?<=\])\.?\s+", answer.text.strip()) if s]
    assert sentences and all(re.search(r"\[\d+\]\.?$", s.strip()) for s in sentences), answer.text


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Australia?", "On what date will the NATO summit at The Hague take place?"],
)
def test_abstains_without_sources_when_articles_do_not_say(seeded_pipeline, question):
    answer = seeded_pipeline.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert "[" not in answer.text
    assert "don't say" in answer.text
    assert_answer_invariants(answer)


def test_stream_yields_deltas_then_one_verified_answer(seeded_pipeline):
    events = list(seeded_pipeline.stream("When was the NATO-Russia Council meeting scheduled?"))
    kinds = [e.kind for e in events]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1
    assert "delta" in kinds
    assert_answer_invariants(events[-1].answer)


def test_answer_shapes_for_notebooks(seeded_pipeline):
    answer = seeded_pipeline.ask("When was the NATO-Russia Council meeting scheduled?")
    assert isinstance(answer, Answer) and isinstance(answer.citations[0], Citation)
    d = answer.to_dict()
    json.dumps(d)
    assert d["citations"][0]["quote"] == answer.citations[0].quote
    assert "[1]" in answer._repr_markdown_() or "1." in answer._repr_markdown_()
    assert "Citation([1]" in repr(answer.citations[0])
    assert "Answer(" in repr(answer)


def test_ingest_is_idempotent(fresh_settings):
    p = Pipeline(fresh_settings)
    first = p.ingest([SEEDS])
    assert len(first.added) == 5 and first.chunks_total > 20
    second = p.ingest([SEEDS])
    assert second.unchanged == sorted(second.unchanged) and len(second.unchanged) == 5
    assert not second.added and not second.updated and second.chunks_written == 0
    assert second.chunks_total == first.chunks_total
    ids = p.index.chunks.get()["ids"]
    assert len(ids) == len(set(ids)) == first.chunks_total


def test_changed_file_replaces_its_chunks_and_deleted_file_is_removed(fresh_settings, tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    p = Pipeline(fresh_settings)
    p.ingest([folder])
    target = folder / "004_564980538acac505.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("26 Western countries", "31 Western countries"),
                      encoding="utf-8")
    report = p.ingest([folder])
    assert report.updated == ["004_564980538acac505.txt"] and len(report.unchanged) == 4
    texts = p.index.chunks.get(where={"source": "004_564980538acac505.txt"})["documents"]
    assert any("31 Western countries" in t for t in texts)
    assert not any("26 Western countries" in t for t in texts)
    answer = p.ask("How many Western countries are ready to deploy troops to secure a ceasefire?")
    assert "31" in answer.text
    assert_answer_invariants(answer, pipeline=p)
    before = p.index.count()
    target.unlink()
    report = p.ingest([folder])
    assert report.removed == ["004_564980538acac505.txt"]
    assert p.index.count() < before
    assert not p.index.chunks.get(where={"source": "004_564980538acac505.txt"})["ids"]


def test_a_crash_mid_ingest_is_redone_not_skipped(fresh_settings, tmp_path):
    """A file left 'pending' (its chunks half written) is re-ingested next time, not treated as unchanged."""
    p = Pipeline(fresh_settings)
    p.ingest([SEEDS])
    full = p.index.count()
    doc_source = "002_25fc6714e320a4db.txt"
    from rag.documents import load_document

    doc = load_document(SEEDS / doc_source)
    p.index.store.put_records([(doc, 0)], "pending")  # what a kill between "pending" and "done" leaves
    ids = p.index.chunks.get(where={"source": doc_source})["ids"]
    p.index.chunks.delete(ids=ids[: len(ids) // 2])
    assert doc_source not in {c.source for c in p.index.all_chunks()}  # pending files are never served
    report = p.ingest([SEEDS])
    assert report.updated == [doc_source]
    assert p.index.count() == full


def test_openai_backend_against_a_real_openai_compatible_server(llama_server, tmp_path):
    settings = Settings.from_env({
        "RAG_HOME": str(tmp_path), "RAG_SEEDS_DIR": str(SEEDS), "RAG_LLM": "openai", "RAG_ANSWER_MODE": "llm",
        "OPENAI_BASE_URL": llama_server, "OPENAI_API_KEY": "sk-local-test-key", "RAG_OPENAI_MODEL": "smollm2",
    })
    p = Pipeline(settings)
    p.ingest([SEEDS])
    events = list(p.stream("When was the NATO-Russia Council meeting scheduled?"))
    assert sum(e.kind == "delta" for e in events) >= 2, "tokens streamed from the server"
    answer = events[-1].answer
    assert answer.metadata["backend"] == "openai-chat"
    assert answer.metadata["draft"]
    assert_answer_invariants(answer, pipeline=p)
    assert answer.metadata["extractive"] is False


def test_the_local_model_streams_its_finish_reason_like_openai():
    from rag.llm import LlamaCppChat, default_gguf_path

    model = LlamaCppChat(model_path=str(default_gguf_path()), max_tokens=5)
    chunks = list(model.stream([("human", "Write a long story about the sea.")]))
    assert "".join(str(c.content) for c in chunks).strip()
    reasons = [c.response_metadata["finish_reason"] for c in chunks if c.response_metadata.get("finish_reason")]
    assert reasons == ["length"]  # cut at max_tokens
    short = list(LlamaCppChat(model_path=str(default_gguf_path()), max_tokens=200).stream([("human", "Say hi.")]))
    assert [c.response_metadata["finish_reason"] for c in short if c.response_metadata.get("finish_reason")] == ["stop"]


def test_openai_backend_without_key_says_what_to_set(tmp_path):
    settings = Settings.from_env({"RAG_HOME": str(tmp_path), "RAG_LLM": "openai"})
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        Pipeline(settings, auto_ingest=False).chat_model


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 2001, None])
def test_bad_questions_raise_question_error(seeded_pipeline, question):
    with pytest.raises(QuestionError):
        seeded_pipeline.ask(question)


def test_cli_ask_json_and_search(session_home):
    env = {"RAG_HOME": str(session_home), "RAG_SEEDS_DIR": str(SEEDS), "RAG_ANSWER_MODE": "extractive",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "--json", "Who visited Kyiv on Monday?"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["citations"] and "Scholz" in data["text"]
    out = subprocess.run([sys.executable, "-m", "rag.cli", "search", "Bucharest Nine"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0 and "001_7658c4148b7d94c0.txt#" in out.stdout
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "  "], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 2 and "empty" in out.stderr


def test_module_level_ask_uses_a_default_pipeline(monkeypatch, session_home):
    import rag

    monkeypatch.setenv("RAG_HOME", str(session_home))
    monkeypatch.setenv("RAG_ANSWER_MODE", "extractive")
    monkeypatch.setattr(rag, "_default", None)
    answer = rag.ask("When was the NATO-Russia Council meeting scheduled?")
    assert "January 12" in answer.text
    assert_answer_invariants(answer)
