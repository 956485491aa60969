"""Sentence-aware chunking with token budgets (tiktoken ``cl100k_base``).

Consecutive sentences of a :class:`~rag.types.Document` are packed into chunks of at most
``chunk_tokens`` tokens. Each following chunk starts with the trailing sentences of the previous one whose
total is at most ``overlap_tokens`` and always adds at least one new sentence, so packing progresses. A
sentence longer than the budget is cut at whitespace into pieces that fit (each piece is still a span of
the original text). Every span stays an offset into ``Document.text``.
"""

from __future__ import annotations

import bisect
import hashlib

from ._tiktoken import count_tokens
from .lexicon import word_spans
from .types import Chunk, Document

__all__ = ["chunk_document"]

CharRange = tuple[int, int]  # (start, end) offsets into Document.text; not rag.citations.Span


def _split_long(text: str, s: int, e: int, budget: int) -> list[CharRange]:
    """Cut text[s:e] at whitespace into spans of at most ``budget`` tokens (a single over-long word is
    cut between characters)."""
    words = [(s + a, s + b) for a, b in word_spans(text[s:e])]
    pieces: list[CharRange] = []
    cur: CharRange | None = None
    for ws, we in words:
        if cur is None:
            if count_tokens(text[ws:we]) <= budget:
                cur = (ws, we)
                continue
            # a single word over the budget: largest prefixes that fit
            a = ws
            while a < we:
                lo, hi = a + 1, we
                while lo < hi:  # largest b with count(text[a:b]) <= budget
                    mid = (lo + hi + 1) // 2
                    if count_tokens(text[a:mid]) <= budget:
                        lo = mid
                    else:
                        hi = mid - 1
                pieces.append((a, lo))
                a = lo
            continue
        if count_tokens(text[cur[0] : we]) <= budget:
            cur = (cur[0], we)
        else:
            pieces.append(cur)
            cur = None
            if count_tokens(text[ws:we]) <= budget:
                cur = (ws, we)
            else:
                pieces.extend(_split_long(text, ws, we, budget))
    if cur is not None:
        pieces.append(cur)
    return pieces


def _join(text: str, units: list[CharRange], seg_of: list[int]) -> str:
    parts: list[str] = []
    prev = None
    for (s, e), seg in zip(units, seg_of):
        if parts:
            parts.append(" " if seg == prev else "\n")
        parts.append(text[s:e])
        prev = seg
    return "".join(parts)


def chunk_document(doc: Document, *, chunk_tokens: int = 180, overlap_tokens: int = 40) -> list[Chunk]:
    """Pack ``doc.sentences`` into chunks with ids ``<source>#<n>`` (n from 0). Deterministic."""
    if chunk_tokens < 1:
        raise ValueError("chunk_tokens must be >= 1")
    overlap_tokens = max(0, min(overlap_tokens, chunk_tokens - 1))
    text = doc.text
    seg_starts = [s for s, _ in doc.segments]

    def segment(span: CharRange) -> int:
        return bisect.bisect_right(seg_starts, span[0]) - 1

    # units: sentences, with over-long sentences cut into pieces
    units: list[CharRange] = []
    for s, e in doc.sentences:
        if count_tokens(text[s:e]) <= chunk_tokens:
            units.append((s, e))
        else:
            units.extend(_split_long(text, s, e, chunk_tokens))
    segs = [segment(u) for u in units]
    sizes = [count_tokens(text[s:e]) for s, e in units]

    def fits(i: int, j: int) -> bool:  # units[i..j] inclusive
        if sum(sizes[i : j + 1]) + (j - i) > 2 * chunk_tokens:
            return False  # cheap early reject
        return count_tokens(_join(text, units[i : j + 1], segs[i : j + 1])) <= chunk_tokens

    groups: list[tuple[int, int]] = []
    i = 0
    n = len(units)
    while i < n:
        j = i
        while j + 1 < n and fits(i, j + 1):
            j += 1
        groups.append((i, j))
        if j + 1 >= n:
            break
        # overlap: trailing units of this chunk totalling <= overlap_tokens, but after i, and leaving room
        k = j + 1
        while k - 1 > i and count_tokens(_join(text, units[k - 1 : j + 1], segs[k - 1 : j + 1])) <= overlap_tokens:
            k -= 1
        while k <= j and not fits(k, j + 1):
            k += 1
        i = k

    chunks: list[Chunk] = []
    for n_, (a, b) in enumerate(groups):
        spans = units[a : b + 1]
        body = _join(text, spans, segs[a : b + 1])
        chunks.append(
            Chunk(
                id=f"{doc.source}#{n_}",
                source=doc.source,
                n=n_,
                title=doc.title,
                date=doc.date,
                start=spans[0][0],
                end=spans[-1][1],
                text=body,
                hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
                sentences=tuple(spans),
            )
        )
    return chunks

