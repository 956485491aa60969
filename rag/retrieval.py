"""Hybrid retrieval: BM25 and dense (Chroma) results fused by reciprocal rank fusion.

The BM25 index is built once per index state (a fingerprint of the file records) and reused for every query;
it is rebuilt only after an ingest (in this or another process) changed what is servable, and then only the
changed files are re-read. BM25 scores are bm25s's (Lucene variant; ``tests/test_retrieval.py`` holds them equal),
computed by a vectorised build over token ids that keeps per chunk only its id and token ids: chunk texts stay in
Chroma, and only the ``k`` passages a query returns are read back (100k chunks: ~110 MB in this process instead of
~600 MB with every chunk's text and metadata held in memory).
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import time
from dataclasses import dataclass

import numpy as np

from ._memory import release_freed_memory
from .index import Index
from .lexicon import tokenize
from .text import misspellings
from .types import Chunk, Passage

__all__ = ["Retriever"]

logging.getLogger("bm25s").setLevel(logging.WARNING)

SPELLING_CUTOFF = 0.8  # a query word no chunk has is read as the indexed word this close to it (rag.text's cutoff)


class _Lexical:
    """BM25 (Lucene variant, k1=1.5, b=0.75: bm25s's defaults and formulas) over token-id arrays, in numpy.

    Built vectorised from int32 token ids, a block of documents at a time: no per-document Python loops and no
    per-token Python objects, which made bm25s's build take seconds and hundreds of MB at 100k chunks.
    ``ids[i]`` is the chunk id of document ``i``; ``text_keys[i]`` a 64-bit prefix of its content hash."""

    k1, b = 1.5, 0.75
    block = 5_000  # documents per step of the build

    def __init__(self, ids: list[str], doc_ids: list[np.ndarray], vocab: dict[str, int],
                 text_keys: list[int] | None = None):
        self.ids = ids
        self.row = {cid: i for i, cid in enumerate(ids)}
        self.text_keys = np.array(text_keys if text_keys is not None else range(len(ids)), dtype=np.uint64)
        self.vocab = vocab
        self._by_initial: dict[str, list[str]] | None = None
        n_docs, n_vocab = len(ids), max(len(self.vocab), 1)
        lengths = np.fromiter((len(d) for d in doc_ids), dtype=np.int64, count=n_docs)
        # Pass 1, a block of documents at a time: (term, doc, tf) triples sorted by term, and document frequencies.
        blocks, df = [], np.zeros(n_vocab, dtype=np.int64)
        for start in range(0, n_docs, self.block):
            part = doc_ids[start : start + self.block]
            local = np.repeat(np.arange(len(part), dtype=np.int64), lengths[start : start + len(part)])
            keys, tf = np.unique(np.concatenate(part).astype(np.int64) * len(part) + local, return_counts=True)
            del local
            term = (keys // len(part)).astype(np.int32)
            blocks.append((term, (keys % len(part) + start).astype(np.int32), tf.astype(np.float32)))
            df += np.bincount(term, minlength=n_vocab)
            del keys, tf, term
        # Pass 2: each block's triples go straight to their place in the term-major (CSC) arrays, so the build
        # never sorts or copies all triples at once (its peak memory is what a serving process shows).
        self.indptr = np.concatenate([[0], np.cumsum(df)])
        self.indices = np.empty(int(self.indptr[-1]), dtype=np.int32)  # the docs holding each term, in doc order
        self.data = np.empty(int(self.indptr[-1]), dtype=np.float32)  # their BM25 weight for that term
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if n_docs else 1.0
        lengths32 = lengths.astype(np.float32)
        cursor = self.indptr[:-1].copy()
        while blocks:
            term, doc, tf = blocks.pop(0)
            dest = cursor[term] + (np.arange(len(term)) - np.searchsorted(term, term, side="left"))
            self.indices[dest] = doc
            norm = lengths32[doc]  # tf / (k1 * (1 - b + b * len / avg) + tf) * idf, in place
            norm *= self.b / avg
            norm += 1 - self.b
            norm *= self.k1
            norm += tf
            np.divide(tf, norm, out=norm)
            norm *= idf[term]
            self.data[dest] = norm
            cursor += np.bincount(term, minlength=n_vocab)
            del term, doc, tf, dest, norm

    @classmethod
    def from_chunks(cls, chunks: list[Chunk]) -> "_Lexical":
        vocab: dict[str, int] = {}
        return cls([c.id for c in chunks], [_token_ids(_chunk_tokens(c), vocab) for c in chunks], vocab,
                   [_text_key(c.hash) for c in chunks])

    def get_scores(self, terms: list[int]) -> np.ndarray:
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:  # a repeated query word counts again, as in bm25s
            if t >= len(self.indptr) - 1:  # a word added to the shared vocabulary after this was built
                continue
            lo, hi = self.indptr[t], self.indptr[t + 1]
            scores[self.indices[lo:hi]] += self.data[lo:hi]
        return scores

    def term_ids(self, query: str) -> list[int]:
        """The vocabulary ids of the query's words. A name no indexed text has ("Northgait", "Hoshizira") is taken
        as the indexed word it is a small misspelling of ("northgate"), as rag.text matches names; a lower-case word
        the articles do not use is left out, as before ("pledge" is not a slip of "pledged")."""
        out = []
        names = set(tokenize(" ".join(re.findall(r"\b[A-Z][\w'’-]*", query))))  # a word no text has may be a slip
        for t in tokenize(query):
            t_id = self.vocab.get(t)
            if t_id is None or not self._indexed(t_id):
                t_id = self._respelled(t) if t in names else None
            if t_id is not None:
                out.append(t_id)
        return out

    def _indexed(self, t_id: int) -> bool:
        return t_id < len(self.indptr) - 1 and self.indptr[t_id + 1] > self.indptr[t_id]

    def _respelled(self, word: str) -> int | None:
        if len(word) < 4 or not word.isalpha():
            return None
        if self._by_initial is None:  # built on the first unknown word: most queries never need it
            by_initial: dict[str, list[str]] = {}
            for w, t_id in list(self.vocab.items()):
                if w.isalpha() and len(w) >= 3 and self._indexed(t_id):
                    by_initial.setdefault(w[0], []).append(w)
            self._by_initial = by_initial
        close = misspellings(word, self._by_initial.get(word[0], ()), SPELLING_CUTOFF, most=3)
        if not close:
            return None
        df = lambda w: int(self.indptr[self.vocab[w] + 1] - self.indptr[self.vocab[w]])  # noqa: E731
        return self.vocab[max(close, key=lambda w: (difflib.SequenceMatcher(None, word, w).ratio(), df(w)))]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, BM25 score) pairs with a score above 0."""
        terms = self.term_ids(query)
        if not terms or not self.ids:
            return []
        scores = self.get_scores(terms)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _chunk_tokens(chunk: Chunk) -> list[str]:
    return tokenize(f"{chunk.title} {chunk.text}") or ["_empty_"]


def _token_ids(tokens: list[str], vocab: dict[str, int]) -> np.ndarray:
    return np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32, count=len(tokens))


def _text_key(content_hash: str) -> int:
    """64 bits of a chunk's content hash: the same text under two file names has the same key."""
    try:
        return int(content_hash[:16], 16)
    except ValueError:
        return hash(content_hash) & 0xFFFF_FFFF_FFFF_FFFF


@dataclass
class _FileEntry:
    hash: str
    ids: list[str]
    tokens: list[np.ndarray]
    text_keys: list[int]


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
        self._file_hash: dict[str, str] = {}  # source -> hash of the version the snapshot serves
        self._fingerprint = ""
        self._checked_at = 0.0
        self._files: dict[str, _FileEntry] = {}  # a changed index re-reads only the changed files
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
                for source in [s for s in self._files if s not in want or self._files[s].hash != want[s][0]]:
                    del self._files[source]
                stale = {s: v for s, v in want.items() if s not in self._files}
                if stale:
                    for batch in self.index.iter_chunks(stale):  # texts are tokenised and dropped, batch by batch
                        for c in sorted(batch, key=lambda c: (c.source, c.n)):
                            entry = self._files.setdefault(c.source, _FileEntry(stale[c.source][0], [], [], []))
                            entry.ids.append(c.id)
                            entry.tokens.append(_token_ids(_chunk_tokens(c), self._vocab))
                            entry.text_keys.append(_text_key(c.hash))
                    for source, (file_hash, _) in stale.items():  # a file with no chunks is still a known version
                        self._files.setdefault(source, _FileEntry(file_hash, [], [], []))
                ids, tokens, keys = [], [], []
                for source in sorted(self._files):
                    entry = self._files[source]
                    ids.extend(entry.ids)
                    tokens.extend(entry.tokens)
                    keys.extend(entry.text_keys)
                self._lexical = _Lexical(ids, tokens, self._vocab, keys)
                self._file_hash = {s: e.hash for s, e in self._files.items()}
                self._fingerprint = fp
                if len(stale) > 100:
                    release_freed_memory()
            return self._lexical

    def invalidate(self) -> None:
        """Re-check the index on the next search (only changed files are re-read)."""
        with self._lock:
            self._checked_at = float("-inf")
            self._fingerprint = ""

    @property
    def sources(self) -> set[str]:
        """The files being served (every chunk of each is searchable)."""
        self._refresh()
        return {s for s, e in self._files.items() if e.ids}

    def search(self, query: str, k: int | None = None, *, max_per_source: int | None = None) -> list[Passage]:
        """The ``k`` best passages by fused rank. With ``max_per_source`` (questions that ask across articles) a
        file gets at most that many while passages from other files are left; spare places are then filled in
        rank order."""
        k = k or self.top_k
        lexical = self._refresh()
        file_hash = self._file_hash
        vector = self.index.embeddings.embed_query(query)
        # ids only from Chroma; only ids in the servable snapshot count (pending or stale chunks are not in it)
        dense = [(cid, s) for cid, s in self.index.dense_ids(vector, self.candidates) if cid in lexical.row]
        sparse = lexical.search(query, self.candidates)
        fused: dict[str, list] = {}  # id -> [fused, dense, lexical]
        for scores, slot in ((dense, 1), (sparse, 2)):
            for rank, (cid, score) in enumerate(scores, 1):
                entry = fused.setdefault(cid, [0.0, None, None])
                entry[slot] = score
                entry[0] += 1.0 / (self.rrf_k + rank)
        ranked = sorted(fused, key=lambda cid: (-fused[cid][0], lexical.row[cid]))  # ties: by file, then chunk
        chosen: list[str] = []
        seen: set[int] = set()
        for cid in ranked:
            key = int(lexical.text_keys[lexical.row[cid]])
            if key in seen:  # the same text under two file names: show it once
                continue
            seen.add(key)
            chosen.append(cid)
        if max_per_source:
            chosen = _spread_over_sources(chosen, max_per_source)
        out: list[Passage] = []
        pos = 0
        while len(out) < k and pos < len(chosen):
            want = chosen[pos : pos + k - len(out) + 2]  # a couple of spares in case one changed meanwhile
            pos += len(want)
            got = self.index.chunks_by_id(want)
            for cid in want:
                if cid not in got or len(out) >= k:
                    continue
                chunk, written_for = got[cid]
                if file_hash.get(chunk.source) != written_for:  # rewritten by another process since the snapshot
                    self.invalidate()
                    continue
                score, d, lex = fused[cid]
                out.append(Passage(chunk, fused_score=score, dense_score=d, lexical_score=lex, rank=len(out) + 1))
        return out


def _spread_over_sources(ranked: list[str], cap: int) -> list[str]:
    """``ranked`` chunk ids reordered so that each file's first ``cap`` come first (in rank order), then the rest
    (in rank order)."""
    per_source: dict[str, int] = {}
    first, rest = [], []
    for cid in ranked:
        source = cid.rsplit("#", 1)[0]
        per_source[source] = per_source.get(source, 0) + 1
        (first if per_source[source] <= cap else rest).append(cid)
    return first + rest
