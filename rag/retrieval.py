"""Hybrid retrieval: BM25 and dense (Chroma) results fused by reciprocal rank fusion.

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


def _fold(w: str) -> str | None:
    """One lower-cased word → its token, or None for a stopword."""
    w = w.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace(",", "") if w.replace(",", "").replace(".", "").isdigit() else w
    if w in STOPWORDS:
        return None
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss") and not w.isdigit():
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed") and not w.endswith("eed"):
        w = w[:-2]
    return w


_FOLDED: dict[str, str | None] = {}  # word → token: news text repeats words, so folding is mostly one dict lookup


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, with a light fold of plurals, possessives, -ed and -ing."""
    out = []
    folded = _FOLDED
    for word in _WORD.findall(text.lower()):
        if word in folded:
            token = folded[word]
        else:
            token = _fold(word)
            if len(folded) < 1_000_000:
                folded[word] = token
        if token is not None:
            out.append(token)
    return out


class _Lexical:
    """BM25 (Lucene variant, k1=1.5, b=0.75: bm25s's defaults and formulas) over token-id arrays, in numpy.

    Built vectorised from int32 token ids, a block of documents at a time: no per-document Python loops and no
    per-token Python objects, which made bm25s's build take seconds and hundreds of MB at 100k chunks."""

    k1, b = 1.5, 0.75
    block = 20_000  # documents per step of the build

    def __init__(self, chunks: list[Chunk], doc_ids: list[np.ndarray] | None = None,
                 vocab: dict[str, int] | None = None):
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        if doc_ids is None:
            vocab = {}
            doc_ids = [_token_ids(_chunk_tokens(c), vocab) for c in chunks]
        self.vocab = vocab if vocab is not None else {}
        n_docs, n_vocab = len(chunks), max(len(self.vocab), 1)
        lengths = np.fromiter((len(d) for d in doc_ids), dtype=np.int64, count=n_docs)
        # (term, doc, tf) triples, built per block of documents to keep the transient memory small
        terms, docs, tfs = [], [], []
        for start in range(0, n_docs, self.block):
            part = doc_ids[start : start + self.block]
            ids = np.concatenate(part).astype(np.int64)
            local = np.repeat(np.arange(len(part), dtype=np.int64), lengths[start : start + len(part)])
            keys, tf = np.unique(ids * len(part) + local, return_counts=True)
            del ids, local
            terms.append((keys // len(part)).astype(np.int32))
            docs.append((keys % len(part) + start).astype(np.int32))
            tfs.append(tf.astype(np.float32))
            del keys, tf
        term = np.concatenate(terms) if terms else np.zeros(0, dtype=np.int32)
        doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        tf = np.concatenate(tfs) if tfs else np.zeros(0, dtype=np.float32)
        del terms, docs, tfs
        order = np.argsort(term, kind="stable")  # by term, then document (blocks are in document order)
        term, doc, tf = term[order], doc[order], tf[order]
        del order
        df = np.bincount(term, minlength=n_vocab)
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        avg = lengths.mean() if n_docs else 1.0
        tf = tf.astype(np.float32)
        tfc = tf / (self.k1 * ((1 - self.b) + self.b * lengths[doc] / avg) + tf)
        self.data = (idf[term] * tfc).astype(np.float32)  # one column per term: the docs holding it
        self.indices = doc.astype(np.int32)
        self.indptr = np.concatenate([[0], np.cumsum(df)])

    def get_scores(self, terms: list[int]) -> np.ndarray:
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        for t in terms:  # a repeated query word counts again, as in bm25s
            if t >= len(self.indptr) - 1:  # a word added to the shared vocabulary after this was built
                continue
            lo, hi = self.indptr[t], self.indptr[t + 1]
            scores[self.indices[lo:hi]] += self.data[lo:hi]
        return scores

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        terms = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not terms or not self.chunks:
            return []
        scores = self.get_scores(terms)
        k = min(k, len(self.chunks))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]


def _chunk_tokens(chunk: Chunk) -> list[str]:
    return tokenize(f"{chunk.title} {chunk.text}") or ["_empty_"]


def _token_ids(tokens: list[str], vocab: dict[str, int]) -> np.ndarray:
    return np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32, count=len(tokens))


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
        # source -> (file hash, its chunks, their BM25 token ids): a changed index re-reads only the changed files
        self._files: dict[str, tuple[str, list[Chunk], list[np.ndarray]]] = {}
        self._vocab: dict[str, int] = {}  # grows; ids of words no longer in the index just score nothing
        self._lock = threading.Lock()

    def _refresh(self) -> _Lexical:
        now = time.monotonic()
        with self._lock:
            if self._lexical is not None and now - self._checked_at < self.refresh_seconds:
                return self._lexical
            fp = self.index.fingerprint()  # one tiny read; file records are read only when it changed
            self._checked_at = now
            if self._lexical is None or fp != self._fingerprint:
                records = self.index.file_records()
                want = {s: (r.hash, r.n_chunks) for s, r in records.items() if r.status == "done"}
                for source in [s for s in self._files if s not in want or self._files[s][0] != want[s][0]]:
                    del self._files[source]
                stale = {s: v for s, v in want.items() if s not in self._files}
                if stale:
                    grouped: dict[str, list[Chunk]] = {s: [] for s in stale}
                    for c in self.index.chunks_of(stale):
                        grouped[c.source].append(c)
                    for source, chunks in grouped.items():
                        self._files[source] = (stale[source][0], chunks,
                                               [_token_ids(_chunk_tokens(c), self._vocab) for c in chunks])
                chunks, doc_ids = [], []
                for source in sorted(self._files):
                    chunks.extend(self._files[source][1])
                    doc_ids.extend(self._files[source][2])
                self._lexical = _Lexical(chunks, doc_ids, self._vocab)
                self._fingerprint = fp
            return self._lexical

    def invalidate(self) -> None:
        """Re-check the index on the next search (only changed files are re-read)."""
        with self._lock:
            self._checked_at = 0.0
            self._fingerprint = ""

    @property
    def chunks(self) -> list[Chunk]:
        return self._refresh().chunks

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        k = k or self.top_k
        lexical = self._refresh()
        vector = self.index.embeddings.embed_query(query)
        # ids only from Chroma; the chunks come from the servable snapshot (pending or stale chunks are not in it)
        dense = [(lexical.by_id[cid], s) for cid, s in self.index.dense_ids(vector, self.candidates)
                 if cid in lexical.by_id]
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
