"""One plan-and-write path for everything that enters the index: folders (``rag ingest``) and uploads.

documents → plan by content hash (new, changed, unchanged; files gone from an ingested folder: removed) →
chunk → embed → write crash-safely → :class:`~rag.types.IngestReport`.

Crash safety: a file's record is marked ``pending`` *before* any of its chunks change and ``done`` only after
all are written, so a crash mid-ingest leaves a ``pending`` record that the next ingest redoes instead of
skipping, and retrieval never serves chunks of a pending file. Files are written in groups (:func:`groups`):
one embedding call and a few Chroma calls per group instead of several per file.

The caller holds the index's write lock (:class:`rag.index.Index` does).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chunking import chunk_document
from .documents import iter_files, load_document
from .errors import FileError
from .settings import Settings
from .store import ChromaStore, FileRecord
from .types import Chunk, Document, IngestReport

__all__ = ["ProgressFn", "RecordWriter", "Planned", "Plan", "read_files", "folders_of", "plan", "groups", "write",
           "ingest_documents"]

ProgressFn = Callable[[str, int, int], None]  # (message, done, total)
RecordWriter = Callable[[list[tuple[Document, int]], str, bool], None]  # (items, status, bump)


@dataclass(frozen=True)
class Planned:
    """A file to write: ``kind`` is ``added`` (no record yet) or ``updated`` (its old chunks are replaced)."""

    doc: Document
    kind: str
    chunks: list[Chunk]


@dataclass
class Plan:
    """What an ingest will do: files to write, sources left as they are, sources to remove."""

    write: list[Planned] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def read_files(paths: Sequence[Path], max_bytes: int, report: IngestReport) -> Iterator[Document]:
    """The documents under ``paths``, loaded one at a time as the plan asks for them; a path or file that
    cannot be read goes into ``report.refused`` and never stops the others."""
    files: list[Path] = []
    for p in paths:
        try:
            # absolute paths in the records, so a later ingest from another folder still finds removed files
            files.extend(Path(os.path.abspath(f)) for f in iter_files([p]))
        except FileError as exc:
            report.refused.append((str(p), str(exc)))
    for f in files:
        try:
            yield load_document(f, max_bytes=max_bytes)
        except FileError as exc:
            report.refused.append((str(f), str(exc)))


def folders_of(paths: Sequence[Path]) -> list[Path]:
    """The folders among ``paths`` (as given and resolved): files recorded under them and gone are removed."""
    return [d for p in paths if p.is_dir() for d in (Path(os.path.abspath(p)), p.resolve())]


def _gone(record: FileRecord, folders: Sequence[Path]) -> bool:
    if not record.path:  # uploads have no path: only remove() deletes them
        return False
    path = Path(record.path)
    return any(path.is_relative_to(d) for d in folders) and not path.exists()


def plan(docs: Iterable[Document], records: dict[str, FileRecord], settings: Settings, report: IngestReport,
         folders: Sequence[Path] = ()) -> Plan:
    """Compare ``docs`` with the index's file records by content hash and chunk what must be written. A second
    document with a name already in this ingest is refused (one source, one record)."""
    out = Plan()
    seen: set[str] = set()
    for doc in docs:
        if doc.source in seen:
            report.refused.append((doc.path or doc.source,
                                   f"another file named {doc.source} is in the same ingest; rename one"))
            continue
        seen.add(doc.source)
        rec = records.get(doc.source)
        if rec and rec.hash == doc.hash and rec.status == "done":
            out.unchanged.append(doc.source)
            continue
        chunks = chunk_document(doc, chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens)
        out.write.append(Planned(doc, "updated" if rec else "added", chunks))
    out.removed = [source for source, rec in records.items() if source not in seen and _gone(rec, folders)]
    return out


def groups(planned: list[Planned], size: int) -> Iterator[list[Planned]]:
    """Consecutive files packed into groups of about ``size`` chunks (every Chroma write costs 30-50 ms however
    small it is, and a small embedding batch is badly padded)."""
    group: list[Planned] = []
    n = 0
    for item in planned:
        group.append(item)
        n += len(item.chunks)
        if n >= size:
            yield group
            group, n = [], 0
    if group:
        yield group


def _write_group(group: list[Planned], vectors: Any, store: ChromaStore, put_records: RecordWriter) -> None:
    """All files of the group ``pending`` before any chunk changes, ``done`` after all are written. Going
    ``pending`` changes what is servable only for files that were ``done`` before, so only then is it bumped."""
    items = [(p.doc, len(p.chunks)) for p in group]
    replacing = any(p.kind == "updated" for p in group)
    put_records(items, "pending", replacing)
    if replacing:  # a file without a record has no chunks: they are only ever written after its record
        store.delete_chunks([p.doc.source for p in group])
    store.write_chunks([(p.doc, c) for p in group for c in p.chunks], vectors)
    put_records(items, "done", True)


def write(planned: list[Planned], store: ChromaStore, embeddings: Any, settings: Settings, report: IngestReport,
          progress: ProgressFn | None = None, put_records: RecordWriter | None = None) -> None:
    """Embed and store planned files a group of ``16 x RAG_EMBED_BATCH`` chunks at a time."""
    put_records = put_records or store.put_records
    total = sum(len(p.chunks) for p in planned)
    for group in groups(planned, max(1, settings.embed_batch) * 16):
        vectors = embeddings.embed_array([c.text for p in group for c in p.chunks])
        _write_group(group, vectors, store, put_records)
        for p in group:
            (report.updated if p.kind == "updated" else report.added).append(p.doc.source)
            report.chunks_written += len(p.chunks)
        if progress:
            progress(f"indexing {group[-1].doc.source}", report.chunks_written, total)


def ingest_documents(store: ChromaStore, embeddings: Any, settings: Settings, docs: Iterable[Document], *,
                     report: IngestReport | None = None, progress: ProgressFn | None = None,
                     folders: Sequence[Path] = (), put_records: RecordWriter | None = None) -> IngestReport:
    """Plan ``docs`` against the index, write the plan, remove what left ``folders``; the report of it all.

    ``put_records`` writes file records (default ``store.put_records``): the one seam between a group's chunks
    and its ``done`` records, where the crash tests kill the process."""
    started = time.perf_counter()
    report = report if report is not None else IngestReport()
    todo = plan(docs, store.file_records(), settings, report, folders)
    report.unchanged.extend(todo.unchanged)
    write(todo.write, store, embeddings, settings, report, progress, put_records)
    for source in todo.removed:
        store.remove(source)
        report.removed.append(source)
    report.chunks_total = store.count()
    release = getattr(embeddings, "release_bulk", None)  # tests and the bench swap the embeddings
    if release is not None:
        release()
    report.seconds = time.perf_counter() - started
    return report
