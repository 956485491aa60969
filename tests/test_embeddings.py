"""The local embedding model: real int8 MiniLM through onnxruntime, checked by SHA-256, two sessions that agree."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from rag import ConfigurationError
from rag import embeddings as E


@pytest.fixture(scope="module")
def model():
    return E.MiniLMEmbeddings(batch_size=32)


def test_vectors_are_normalised_and_mean_something(model):
    v = model.embed_array([
        "NATO foreign ministers will meet on January 7 to discuss the crisis.",
        "The alliance's foreign ministers hold a meeting on January 7 about the crisis.",
        "The recipe needs two eggs and a cup of flour.",
    ])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.8 > 0.2 > v[0] @ v[2]
    assert model.embed_query("NATO") == pytest.approx(model.embed_documents(["NATO"])[0], abs=1e-6)


def test_the_serving_and_the_ingest_sessions_give_the_same_vectors(model):
    texts = [f"Town{i:03d} approved a tram line costing {i * 7} million on day {i % 28 + 1}." for i in range(150)]
    assert len(texts) >= model.bulk_texts
    bulk = model.embed_array(texts)  # one call of an ingest's size: the session with the memory arena
    assert model._bulk is not None
    small = np.concatenate([model.embed_array(texts[i : i + 10]) for i in range(0, len(texts), 10)])
    np.testing.assert_allclose(bulk, small, atol=1e-4)
    model.release_bulk()
    assert model._bulk is None
    np.testing.assert_allclose(model.embed_array(texts[:5]), bulk[:5], atol=1e-4)


def test_an_ingest_releases_the_ingest_session(tmp_path, monkeypatch):
    from rag import Pipeline, Settings

    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(30):
        (folder / f"a{i:02d}.txt").write_text(
            "\n\n".join(f"Paragraph {j} of report {i}: the council of Town{i:03d} approved a budget of {i * j} "
                        f"million for roads, schools and the harbour on day {j}." for j in range(40)),
            encoding="utf-8")
    p = Pipeline(Settings.from_env({"RAG_HOME": str(tmp_path / "home")}), auto_ingest=False)
    calls = []
    real = p.index.embeddings.embed_array
    monkeypatch.setattr(p.index.embeddings, "embed_array",  # the process-wide model: undone after the test
                        lambda texts: calls.append(len(texts)) or real(texts))
    report = p.ingest([folder])
    assert report.chunks_written >= 128 and max(calls) >= p.index.embeddings.bulk_texts  # the ingest session ran
    assert p.index.embeddings._bulk is None  # and was dropped with its arena when the ingest ended


@pytest.mark.parametrize("which", ["model", "tokenizer"])
def test_a_damaged_model_file_is_refused_with_the_fix(which, tmp_path, monkeypatch):
    source = E._model_path() if which == "model" else E.TOKENIZER_PATH
    damaged = tmp_path / source.name
    shutil.copy(source, damaged)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    if which == "model":
        monkeypatch.setattr(E, "_model_path", lambda: damaged)
    else:
        monkeypatch.setattr(E, "TOKENIZER_PATH", damaged)
    with pytest.raises(ConfigurationError, match="SHA-256.*reinstall"):
        E.MiniLMEmbeddings()
