"""The index: what the rest of the package uses to write and read chunks, vectors and file records.

A facade over three modules with one job each:

- :mod:`rag.store`     the Chroma adapter (embedded or server, typed errors, records, queries);
- :mod:`rag.ingest`    the one plan-and-write path for folders and uploads (content hashes, crash-safe writes);
- :mod:`rag.chunking`  sentence-aware chunks.

BM25 is built on top by :mod:`rag.retrieval` from :meth:`Index.iter_chunks`. Writes hold one lock per Index.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from .embeddings import MiniLMEmbeddings, get_embeddings
from .ingest import ProgressFn, folders_of, ingest_documents, read_files
from .settings import Settings
from .store import ChromaStore, FileRecord, drop_embedded
from .types import Chunk, Document, IngestReport

__all__ = ["Index", "FileRecord", "ProgressFn", "drop_embedded"]


class Index:
    """Chunks and file records in Chroma; ingest and the reads retrieval needs."""

    def __init__(self, settings: Settings, embeddings: MiniLMEmbeddings | None = None):
        self.settings = settings
        self.embeddings = embeddings or get_embeddings(settings.embed_batch)  # swappable (tests, the bench)
        self._lock = threading.RLock()
        self.store = ChromaStore(settings)

    @property
    def chunks(self):
        """The chunk collection itself (a chromadb ``Collection``), for tests and tools that read it raw."""
        return self.store.chunks

    # -- writing --------------------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], progress: ProgressFn | None = None) -> IngestReport:
        """Index the files under ``paths``: unchanged files are skipped, changed ones replaced, and files gone
        from an ingested folder removed."""
        paths = [Path(p) for p in paths]
        report = IngestReport()
        with self._lock:
            return ingest_documents(self.store, self.embeddings, self.settings,
                                    read_files(paths, self.settings.max_file_bytes, report), report=report,
                                    progress=progress, folders=folders_of(paths), put_records=self._put_records)

    def add_documents(self, docs: Iterable[Document], progress: ProgressFn | None = None) -> IngestReport:
        """Index already-parsed documents (uploads, tests): the same plan and writes as :meth:`ingest`."""
        with self._lock:
            return ingest_documents(self.store, self.embeddings, self.settings, docs, progress=progress,
                                    put_records=self._put_records)

    def rebuild(self, paths: Iterable[str | Path], progress: ProgressFn | None = None) -> IngestReport:
        """Drop everything and ingest ``paths`` again (the documented way out of a corrupt index)."""
        with self._lock:
            self.store.reset()
            return self.ingest(paths, progress)

    def remove(self, source: str) -> None:
        with self._lock:
            self.store.remove(source)

    def _put_records(self, items: list[tuple[Document, int]], status: str, bump: bool = True) -> None:
        # Every record write of an ingest goes through here: tests/test_faults.py replaces this method to kill
        # the process between a group's chunks and its 'done' records.
        self.store.put_records(items, status, bump)

    # -- reading --------------------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise a clear error when the index folder vanished or is damaged (embedded mode)."""
        self.store.check()

    def count(self) -> int:
        return self.store.count()

    def file_records(self) -> dict[str, FileRecord]:
        return self.store.file_records()

    def fingerprint(self) -> str:
        """Changes whenever the set of servable files changes (see :meth:`rag.store.ChromaStore.fingerprint`)."""
        return self.store.fingerprint()

    def original_text(self, source: str) -> str:
        """The original text of an indexed file: citations' offsets point into this."""
        return self.store.original_text(source)

    def all_chunks(self, page: int = 1000) -> list[Chunk]:
        """Every servable chunk (files marked done, chunk written for the current file hash)."""
        records = self.file_records()
        return self.chunks_of({s: (r.hash, r.n_chunks) for s, r in records.items() if r.status == "done"}, page)

    def chunks_of(self, files: dict[str, tuple[str, int]], page: int = 1000) -> list[Chunk]:
        """The chunks of ``files`` ({source: (file hash, chunk count)}) written for that hash, sorted."""
        out = [c for batch in self.iter_chunks(files, page) for c in batch]
        out.sort(key=lambda c: (c.source, c.n))
        return out

    def iter_chunks(self, files: dict[str, tuple[str, int]], page: int = 1000) -> Iterator[list[Chunk]]:
        """The chunks of ``files`` written for their current hash, in batches of about ``page`` chunks."""
        return self.store.iter_chunks(files, page)

    def chunks_by_id(self, ids: list[str]) -> dict[str, tuple[Chunk, str]]:
        """{chunk id: (chunk, hash of the file version it was written for)} for the ids that exist."""
        return self.store.chunks_by_id(ids)

    def dense_ids(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``k`` nearest chunks."""
        return self.store.dense_ids(vector, k)
