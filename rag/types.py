"""The words everyone uses: Document, Chunk, Passage, Citation, Answer, IngestReport."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Union

from .trace import AnswerTrace

__all__ = ["Document", "Chunk", "Passage", "Citation", "Answer", "IngestReport", "StreamEvent", "Delta", "Final",
           "AnswerTrace"]


@dataclass(frozen=True)
class Document:
    """One file. ``text`` is the original file text; ``segments`` are the (start, end) spans of it that
    survive cleaning (boilerplate removed); ``sentences`` are sentence spans inside those segments.
    Every offset is into ``text``, so ``text[s:e]`` is always the original characters."""

    source: str
    title: str
    date: str | None
    text: str
    segments: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]
    path: str = ""
    hash: str = ""

    @property
    def clean_text(self) -> str:
        return "\n".join(self.text[s:e] for s, e in self.segments)


@dataclass(frozen=True)
class Chunk:
    """A run of consecutive sentences of one document. ``id`` is ``<source>#<n>``; ``start``/``end`` are
    offsets in the original file; ``sentences`` are the sentence spans it holds (original offsets)."""

    id: str
    source: str
    n: int
    title: str
    date: str | None
    start: int
    end: int
    text: str
    hash: str
    sentences: tuple[tuple[int, int], ...] = ()

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n": self.n,
            "title": self.title,
            "date": self.date or "",
            "start": self.start,
            "end": self.end,
            "hash": self.hash,
            "sentences": json.dumps([list(s) for s in self.sentences]),
        }

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> "Chunk":
        return cls(
            id=chunk_id,
            source=meta["source"],
            n=int(meta["n"]),
            title=meta.get("title", ""),
            date=meta.get("date") or None,
            start=int(meta["start"]),
            end=int(meta["end"]),
            text=text,
            hash=meta.get("hash", ""),
            sentences=tuple(tuple(s) for s in json.loads(meta.get("sentences") or "[]")),
        )


@dataclass
class Passage:
    """A retrieved chunk and its scores. ``rank`` is 1-based in the fused list."""

    chunk: Chunk
    fused_score: float = 0.0
    dense_score: float | None = None
    lexical_score: float | None = None
    rank: int = 0

    id = property(lambda self: self.chunk.id, doc="the chunk id, ``<file>#<n>``")
    source = property(lambda self: self.chunk.source, doc="the file name")
    title = property(lambda self: self.chunk.title)
    text = property(lambda self: self.chunk.text)
    start = property(lambda self: self.chunk.start, doc="offset of the chunk in the original file")
    end = property(lambda self: self.chunk.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk.id,
            "source": self.chunk.source,
            "title": self.chunk.title,
            "date": self.chunk.date,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "text": self.chunk.text,
            "rank": self.rank,
            "fused_score": self.fused_score,
            "dense_score": self.dense_score,
            "lexical_score": self.lexical_score,
        }


@dataclass(frozen=True)
class Citation:
    """``original_text(source)[start:end] == quote`` always holds."""

    n: int
    source: str
    title: str
    chunk_id: str
    quote: str
    start: int
    end: int
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        quote = self.quote if len(self.quote) <= 80 else self.quote[:77] + "..."
        return f"Citation([{self.n}] {self.source} {self.start}:{self.end} {quote!r})"

    def _repr_markdown_(self) -> str:
        return f"**[{self.n}]** *{self.title}* (`{self.source}`, chars {self.start}–{self.end})\n\n> {self.quote}"


@dataclass
class Answer:
    """A verified answer. Invariants (tested on every answer):

    - every ``[n]`` in ``text`` has exactly one citation with that ``n``; every citation is used; n runs 1..k;
    - ``abstained`` implies no citations and no ``[n]`` in ``text``.
    """

    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    contexts: list[Passage] = field(default_factory=list)
    trace: AnswerTrace = field(default_factory=AnswerTrace)
    question: str = ""

    @property
    def metadata(self) -> dict[str, Any]:
        """``trace`` as a flat dict (the fields that were set)."""
        return self.trace.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "contexts": [p.to_dict() for p in self.contexts],
            "metadata": self.metadata,
        }

    def __repr__(self) -> str:
        kind = "abstained" if self.abstained else f"{len(self.citations)} citations"
        return f"Answer({self.text!r}, {kind})"

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        """Plain text: the answer, then numbered sources with file and quote."""
        lines = [self.text]
        if self.citations:
            lines.append("")
            lines.append("Sources:")
            for c in self.citations:
                lines.append(f"[{c.n}] {c.title} ({c.source}, chars {c.start}-{c.end})")
                lines.append(f'    "{c.quote}"')
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        parts = [html.escape(self.text)]
        if self.citations:
            parts.append("")
            parts.extend(
                f"{c.n}. *{html.escape(c.title)}* (`{c.source}`) — “{html.escape(c.quote)}”" for c in self.citations
            )
        return "\n".join(parts)


@dataclass(frozen=True)
class Delta:
    """New, unverified draft text as the model writes it (shown while waiting; only ``Final`` counts)."""

    text: str
    kind: ClassVar[str] = "delta"


@dataclass(frozen=True)
class Final:
    """The last event of a stream: the verified answer (or the abstention)."""

    answer: Answer
    kind: ClassVar[str] = "answer"


StreamEvent = Union[Delta, Final]  # what :meth:`Pipeline.stream` yields: Delta events, then one Final


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["refused"] = [{"path": p, "reason": r} for p, r in self.refused]
        return d

    def summary(self) -> str:
        text = (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"removed {len(self.removed)}, refused {len(self.refused)}; "
            f"{self.chunks_written} chunks written, {self.chunks_total} in the index ({self.seconds:.1f} s)"
        )
        for path, reason in self.refused:
            text += f"\n  refused {path}: {reason}"
        return text
