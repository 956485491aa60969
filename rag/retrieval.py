"""Hybrid retrieval: BM25 (bm25s) and dense (Chroma) results fused by reciprocal rank fusion.

The BM25 index is built once per index state (a fingerprint of the file records) and reused for every query;
it is rebuilt only after an ingest (in this or another process) changed what is servable.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import numpy as np

from .index import Index
from .types import Chunk, Passage

__all__ = ["Retriever", "tokenize"]

logging.getLogger("bm25s").setLevel(logging.WARNING)

_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:[.,'’][A-Za-z0-9]+)*", re.UNICODE)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves said says say also
    according did does tell told""".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, with a light plural/possessive fold."""
    out = []
    for m in _WORD.finditer(text.lower()):
        w = m.group(0).replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        w = w.replace(",", "") if w.replace(",", "").replace(".", "").isdigit() else w
        if w in STOPWORDS:
            continue
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss") and not w.isdigit():
            w = w[:-1]
        out.append(w)
    return out


class _Lexical:
    def __init__(self, chunks: list[Chunk]):
        import bm25s

        self.chunks = chunks
        self.model = bm25s.BM25()
        corpus = [tokenize(f"{c.title} {c.text}") or ["_empty_"] for c in chunks]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
        self.vocab = vocab
        self.model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        terms = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not terms or not self.chunks:
            return []
        scores = self.model.get_scores(terms)
        k = min(k, len(self.chunks))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]


class Retriever:
    """``search(query)`` → fused, de-duplicated passages with dense, lexical and fused scores."""

    def __init__(self, index: Index, *, top_k: int = 5, candidates: int = 30, rrf_k: int = 60,
                 refresh_seconds: float = 2.0):
        self.index = index
        self.top_k = top_k
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.refresh_seconds = refresh_seconds
        self._lexical: _Lexical | None = None
        self._fingerprint = ""
        self._checked_at = 0.0
        self._servable: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def _refresh(self) -> _Lexical:
        now = time.monotonic()
        with self._lock:
            if self._lexical is not None and now - self._checked_at < self.refresh_seconds:
                return self._lexical
            fp = self.index.fingerprint()
            self._checked_at = now
            if self._lexical is None or fp != self._fingerprint:
                chunks = self.index.all_chunks()
                self._lexical = _Lexical(chunks)
                self._servable = {(c.id, c.hash) for c in chunks}
                self._fingerprint = fp
            return self._lexical

    def invalidate(self) -> None:
        with self._lock:
            self._lexical = None

    @property
    def chunks(self) -> list[Chunk]:
        return self._refresh().chunks

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        k = k or self.top_k
        lexical = self._refresh()
        vector = self.index.embeddings.embed_query(query)
        dense = [(c, s) for c, s in self.index.dense_search(vector, self.candidates) if (c.id, c.hash) in self._servable]
        sparse = lexical.search(query, self.candidates)
        passages: dict[str, Passage] = {}
        for rank, (chunk, score) in enumerate(dense, 1):
            p = passages.setdefault(chunk.id, Passage(chunk))
            p.dense_score = score
            p.fused_score += 1.0 / (self.rrf_k + rank)
        for rank, (chunk, score) in enumerate(sparse, 1):
            p = passages.setdefault(chunk.id, Passage(chunk))
            p.lexical_score = score
            p.fused_score += 1.0 / (self.rrf_k + rank)
        ranked = sorted(passages.values(), key=lambda p: (-p.fused_score, p.chunk.source, p.chunk.n))
        out: list[Passage] = []
        seen_text: set[str] = set()
        for p in ranked:
            if p.chunk.hash in seen_text:  # the same text under two file names: show it once
                continue
            seen_text.add(p.chunk.hash)
            p.rank = len(out) + 1
            out.append(p)
            if len(out) >= k:
                break
        return out
