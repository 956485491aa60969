"""Shared fixtures. Everything is real: real Chroma, real ONNX embeddings, the real local GGUF model.

A fake chat model (``fake_chat``) exists only for unit tests of control flow."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
OUTPUT = ROOT / "tests" / "output"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def original_text(source: str, folder: Path = SEEDS) -> str:
    return (folder / source).read_text(encoding="utf-8")


def assert_answer_invariants(answer, texts: dict[str, str] | None = None, pipeline=None) -> None:
    """The invariants every answer must hold (DESIGN.md)."""
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    ns = [c.n for c in answer.citations]
    if answer.abstained:
        assert answer.citations == [], "an abstention carries no citations"
        assert not markers, "an abstention carries no [n] markers"
        return
    assert answer.citations, "a non-abstained answer has citations"
    assert ns == list(range(1, len(ns) + 1)), f"citations numbered 1..k, got {ns}"
    assert set(markers) == set(ns), f"markers {sorted(set(markers))} vs citations {ns}"
    first_use = list(dict.fromkeys(markers))
    assert first_use == ns, f"numbered in order of first use: {first_use}"
    for c in answer.citations:
        if pipeline is not None:
            text = pipeline.index.original_text(c.source)
        else:
            text = (texts or {}).get(c.source) or original_text(c.source)
        assert text[c.start : c.end] == c.quote, f"offsets of [{c.n}] do not match the quote"
        assert c.chunk_id.startswith(c.source + "#")
        assert len(c.quote) < 700, "a quote is a sentence or two, not a whole chunk"


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rag_home")


@pytest.fixture(scope="session")
def seeded_pipeline(session_home):
    """A Pipeline with the real local model over an index of seeds/, shared by the whole session."""
    from rag import Pipeline, Settings

    settings = Settings.from_env({"RAG_HOME": str(session_home), "RAG_SEEDS_DIR": str(SEEDS)})
    pipeline = Pipeline(settings)
    pipeline.ingest([SEEDS])
    return pipeline


@pytest.fixture
def fresh_settings(tmp_path):
    from rag import Settings

    return Settings.from_env({"RAG_HOME": str(tmp_path / "home"), "RAG_SEEDS_DIR": str(SEEDS)})


@pytest.fixture
def fake_chat():
    """A chat model that replies with fixed drafts (for control-flow unit tests only); ``finish_reason`` is what
    its stream reports at the end, as llama.cpp and OpenAI streams do ("stop", or "length" at the token limit)."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    class FakeChat(GenericFakeChatModel):
        finish_reason: str | None = None

        def _stream(self, *args, **kwargs):
            yield from super()._stream(*args, **kwargs)
            if self.finish_reason:
                yield ChatGenerationChunk(message=AIMessageChunk(
                    content="", response_metadata={"finish_reason": self.finish_reason}))

    def make(*replies: str, finish_reason: str | None = None):
        return FakeChat(messages=iter([AIMessage(content=r) for r in replies]), finish_reason=finish_reason)

    return make


@pytest.fixture(scope="session")
def llama_server():
    """A real OpenAI-compatible server (llama-cpp-python's) serving the default GGUF on 127.0.0.1."""
    from rag.llm import default_gguf_path

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "llama_server.py"), "--model", str(default_gguf_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 90, proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a free port; yields (host, port, data_dir, proc)."""
    data = tmp_path_factory.mktemp("chroma_server")
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma) if chroma.exists() else "chroma", "run", "--path", str(data), "--host", "127.0.0.1",
           "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        wait_for_port(port, 60, proc)
        yield ("127.0.0.1", port, data, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
