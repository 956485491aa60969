"""LangChain retrievers over the index.

``HybridRetriever`` is the pipeline's own retrieval (BM25 + MiniLM dense, reciprocal rank fusion) behind
LangChain's ``BaseRetriever``: it calls :meth:`rag.Pipeline.search`, so it returns exactly the passages the
pipeline would rank for that text, and composes in LCEL like any retriever::

    from rag import Pipeline
    from rag.retrievers import HybridRetriever

    retriever = HybridRetriever(pipeline=Pipeline(), k=3)     # or Pipeline().as_retriever(k=3)
    docs = retriever.invoke("When was the NATO-Russia Council meeting scheduled?")
    chain = retriever | (lambda docs: [d.metadata["chunk_id"] for d in docs])

Each ``Document`` is one chunk: ``id`` and ``metadata["chunk_id"]`` are ``<file>#<n>``; ``page_content`` is the
chunk text the retrievers scored. Its offsets, all into the original file text (``Pipeline.index.original_text(
source)``, the text citations quote):

- ``start`` / ``end``: the span of the original the chunk comes from. ``original[start:end]`` holds every
  sentence of ``page_content`` in order, and also what cleaning left out between them (menus, "Leave a
  comment" lines, runs of blank lines), so it equals ``page_content`` only when nothing was left out.
- ``sentences``: ``[[s, e], ...]``, the exact spans ``page_content`` is made of, and ``text_offsets``: where
  each starts in ``page_content``. For every ``i``: ``page_content[o : o + e - s] == original[s:e]`` with
  ``o = text_offsets[i]`` and ``(s, e) = sentences[i]``. Between them ``page_content`` has one space (same
  paragraph) or one newline (next paragraph).

Also in the metadata: ``source``, ``title``, ``date``, ``n`` and the scores ``rank``, ``fused_score``,
``dense_score``, ``lexical_score`` (``None`` where one retriever did not return the chunk).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from .types import Passage

__all__ = ["HybridRetriever", "passage_to_document"]


def _text_offsets(passage: Passage) -> list[int]:
    """Where each sentence span of the chunk starts in its text (the chunker joined them with one separator)."""
    offsets, pos = [], 0
    for s, e in passage.chunk.sentences:
        offsets.append(pos)
        pos += (e - s) + 1
    return offsets


def passage_to_document(passage: Passage) -> Document:
    """A retrieved :class:`~rag.types.Passage` as a LangChain ``Document`` (see the module docstring)."""
    chunk = passage.chunk
    return Document(
        id=chunk.id,
        page_content=chunk.text,
        metadata={
            "chunk_id": chunk.id,
            "source": chunk.source,
            "title": chunk.title,
            "date": chunk.date,
            "n": chunk.n,
            "start": chunk.start,
            "end": chunk.end,
            "sentences": [list(span) for span in chunk.sentences],
            "text_offsets": _text_offsets(passage),
            "rank": passage.rank,
            "fused_score": passage.fused_score,
            "dense_score": passage.dense_score,
            "lexical_score": passage.lexical_score,
        },
    )


class HybridRetriever(BaseRetriever):
    """BM25 + dense retrieval fused by RRF: :meth:`rag.Pipeline.search` as a LangChain retriever.

    ``pipeline`` defaults to the shared :func:`rag.default_pipeline` (settings from the environment; ``seeds/``
    indexed on first use). ``k`` defaults to ``RAG_TOP_K``; ``invoke(query, k=n)`` overrides it for one call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    pipeline: Any = Field(default=None, exclude=True)
    """The :class:`rag.Pipeline` whose index is searched (``None``: the default pipeline)."""
    k: int | None = None
    """Documents per query (``None``: the pipeline's ``RAG_TOP_K``)."""

    def model_post_init(self, context: Any) -> None:
        if self.pipeline is None:
            from . import default_pipeline

            self.pipeline = default_pipeline()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[Document]:
        passages = self.pipeline.search(query, k or self.k)
        return [passage_to_document(p) for p in passages]
