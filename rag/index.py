"""The index: chunk vectors in Chroma (through langchain-chroma), file records beside them, BM25 on top.

Chroma is the single source of truth, so the embedded client and a Chroma server behave the same:

- ``<collection>``        one record per chunk: id ``<source>#<n>``, text, vector, offsets, hashes;
- ``<collection>_files``  one record per file: id = source, document = original text, metadata = hash,
                          title, date, path, chunk count and a ``status`` (``pending`` while its chunks are
                          being written, ``done`` after).

Re-ingest compares file hashes: unchanged files are skipped, changed files get their old chunks deleted and
new ones written, files gone from an ingested folder are removed. A file is marked ``pending`` *before* any of
its chunks change and ``done`` only after all are written, so a crash mid-ingest leaves a ``pending`` record
that the next ingest redoes instead of skipping, and retrieval never serves chunks of a pending file.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chunking import chunk_document
from .documents import iter_files, load_document
from .embeddings import MiniLMEmbeddings, get_embeddings
from .errors import FileError, IndexCorruptError, RagError, VectorStoreError
from .settings import Settings
from .types import Chunk, Document, IngestReport

__all__ = ["Index", "FileRecord"]

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]  # (message, done, total)


@dataclass(frozen=True)
class FileRecord:
    source: str
    hash: str
    status: str
    path: str
    title: str
    date: str | None
    n_chunks: int


# chromadb keeps one client per folder per process and refuses a second one "with different settings". Our
# client uses chromadb's default Settings (read from the environment), exactly what a stock
# ``langchain_chroma.Chroma(persist_directory=...)`` builds, so one opened beside a Pipeline shares its client.
# Telemetry is turned off the one way both read: the environment (a value the user set is kept).
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings()
    if settings.server_mode:
        headers = {"x-chroma-token": settings.chroma_token} if settings.chroma_token else None
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, headers=headers, settings=chroma_settings
            )
            client.heartbeat()
        except Exception as exc:
            raise VectorStoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({type(exc).__name__}).",
                fix="Start it with `chroma run --path DIR --host HOST --port PORT`, or unset RAG_CHROMA_HOST "
                "to use the embedded index.",
            ) from None
        return client
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise IndexCorruptError(
            f"The index at {path} cannot be opened ({type(exc).__name__}: {exc}).",
            fix="Rebuild it with `rag ingest --rebuild` (re-reads your files; nothing else is lost).",
        ) from None


def drop_embedded(settings: Settings) -> None:
    """Forget this process's cached Chroma client for the embedded index folder and delete the folder.

    chromadb keeps one client per folder for the life of the process, so without this a folder that was
    deleted or damaged behind its back would keep being served from the stale client after a rebuild."""
    path = settings.index_dir / "chroma"
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
        if system is not None:
            system.stop()
    except Exception as exc:  # a private chromadb detail: never let it block the rebuild
        log.debug("could not drop the cached Chroma client: %s", exc)
    shutil.rmtree(path, ignore_errors=True)


class Index:
    """Chunks and file records in Chroma, plus the lexical index built from them."""

    def __init__(self, settings: Settings, embeddings: MiniLMEmbeddings | None = None):
        self.settings = settings
        self.embeddings = embeddings or get_embeddings(settings.embed_batch)
        self._lock = threading.RLock()
        self._text_cache: dict[tuple[str, str], str] = {}
        self._connect()

    # -- connection -------------------------------------------------------------------------------------------

    def _connect(self) -> None:
        from langchain_chroma import Chroma

        self.client = _make_client(self.settings)
        try:
            self.store = Chroma(
                client=self.client,
                collection_name=self.settings.collection,
                embedding_function=self.embeddings,
                collection_metadata={"hnsw:space": "cosine"},
            )
            self.chunks = self.store._collection
            self.files = self.client.get_or_create_collection(
                self.settings.collection + "_files", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
            # One record whose "version" changes on every write of file records: a cheap fingerprint.
            self.state = self.client.get_or_create_collection(
                self.settings.collection + "_state", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
        except RagError:
            raise
        except Exception as exc:
            raise self._wrap(exc) from None

    def _wrap(self, exc: Exception) -> RagError:
        if isinstance(exc, RagError):
            return exc
        if self.settings.server_mode:
            return VectorStoreError(
                f"The Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port} failed "
                f"({type(exc).__name__}: {exc}).",
                fix="Check that `chroma run` is up; the request can be retried once it is.",
            )
        return IndexCorruptError(
            f"The index at {self.settings.index_dir} cannot be read ({type(exc).__name__}: {exc}).",
            fix="Rebuild it with `rag ingest --rebuild`.",
        )

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run a Chroma call; reconnect once (a restarted server or a replaced folder) before giving up."""
        try:
            return fn()
        except RagError:
            raise
        except Exception:
            try:
                self._connect()
                return fn()
            except RagError:
                raise
            except Exception as exc:
                raise self._wrap(exc) from None

    def check(self) -> None:
        """Raise a clear error when the index folder vanished or is damaged (embedded mode)."""
        if not self.settings.server_mode:
            db = self.settings.index_dir / "chroma" / "chroma.sqlite3"
            if not db.exists():
                raise IndexCorruptError(
                    f"The index at {self.settings.index_dir} is missing.",
                    fix="Rebuild it with `rag ingest --rebuild` (or restart the app, which re-indexes seeds/).",
                )
        self._call(lambda: self.chunks.count())

    # -- file records -----------------------------------------------------------------------------------------

    def file_records(self) -> dict[str, FileRecord]:
        # Paged: one unbounded get() fails past ~32k records ("too many SQL variables" in Chroma's SQLite).
        out = {}
        offset, page = 0, 1000  # small pages: Chroma keeps ~20 kB of memory per record of the largest page
        while True:
            got = self._call(lambda: self.files.get(include=["metadatas"], limit=page, offset=offset))
            for source, meta in zip(got["ids"], got["metadatas"]):
                meta = meta or {}
                out[source] = FileRecord(
                    source=source,
                    hash=meta.get("hash", ""),
                    status=meta.get("status", ""),
                    path=meta.get("path", ""),
                    title=meta.get("title", ""),
                    date=meta.get("date") or None,
                    n_chunks=int(meta.get("n_chunks", 0)),
                )
            offset += len(got["ids"])
            if len(got["ids"]) < page:
                return out

    def fingerprint(self) -> str:
        """Changes whenever the set of servable files changes (any process, any machine).

        Cheap at any size: every write of file records also writes a new random ``version`` into the one-record
        ``<collection>_state`` collection; the file count is mixed in so a writer killed between its record write
        and its version write is still noticed when files were added or removed."""
        got = self._call(lambda: self.state.get(ids=["state"], include=["metadatas"]))
        version = (got["metadatas"][0] or {}).get("version", "") if got["ids"] else ""
        return f"{version}:{self._call(lambda: self.files.count())}"

    def _bump(self) -> None:
        meta = {"version": uuid.uuid4().hex, "updated": time.time()}
        self._call(lambda: self.state.upsert(ids=["state"], metadatas=[meta], embeddings=[[1.0]]))

    def original_text(self, source: str) -> str:
        """The original text of an indexed file: citations' offsets point into this."""
        got = self._call(lambda: self.files.get(ids=[source], include=["documents", "metadatas"]))
        if not got["ids"]:
            raise IndexCorruptError(f"No indexed file named {source!r}.", fix="Ingest it with `rag ingest PATH`.")
        return got["documents"][0]

    def _put_record(self, doc: Document, status: str, n_chunks: int) -> None:
        self._put_records([(doc, n_chunks)], status)

    def _put_records(self, items: list[tuple[Document, int]], status: str, bump: bool = True) -> None:
        """Upsert the records of several files in one call, then bump the state version."""
        now = time.time()
        metas = [
            {
                "hash": doc.hash,
                "status": status,
                "path": doc.path,
                "title": doc.title,
                "date": doc.date or "",
                "n_chunks": n_chunks,
                "updated": now,
            }
            for doc, n_chunks in items
        ]
        ids = [doc.source for doc, _ in items]
        if status == "done":  # the 'pending' write before it stored the text: only the metadata changes now
            self._call(lambda: self.files.update(ids=ids, metadatas=metas))
        else:
            self._call(lambda: self.files.upsert(ids=ids, documents=[doc.text for doc, _ in items], metadatas=metas,
                                                 embeddings=[[1.0]] * len(items)))
        if bump:
            self._bump()

    # -- ingest -----------------------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], progress: ProgressFn | None = None) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        paths = [Path(p) for p in paths]
        files = []
        for p in paths:
            try:
                # absolute paths in the records, so a later ingest from another folder still finds removed files
                files.extend(Path(os.path.abspath(f)) for f in iter_files([p]))
            except FileError as exc:
                report.refused.append((str(p), str(exc)))
        with self._lock:
            records = self.file_records()
            seen: set[str] = set()
            todo: list[tuple[Document, str]] = []
            for f in files:
                try:
                    doc = load_document(f, max_bytes=self.settings.max_file_bytes)
                except FileError as exc:
                    report.refused.append((str(f), str(exc)))
                    continue
                if doc.source in seen:
                    report.refused.append((str(f), f"another file named {doc.source} is in the same ingest; rename one"))
                    continue
                seen.add(doc.source)
                rec = records.get(doc.source)
                if rec and rec.hash == doc.hash and rec.status == "done":
                    report.unchanged.append(doc.source)
                else:
                    todo.append((doc, "updated" if rec else "added"))
            planned = [(doc, kind, chunk_document(doc, chunk_tokens=self.settings.chunk_tokens,
                                                 overlap_tokens=self.settings.chunk_overlap_tokens))
                       for doc, kind in todo]
            self._write_planned(planned, progress, report)
            # Files that were ingested from one of these folders and are gone now.
            folders = [d for p in paths if p.is_dir() for d in (Path(os.path.abspath(p)), p.resolve())]
            for source, rec in records.items():
                if source in seen or not rec.path:
                    continue
                rec_path = Path(rec.path)
                if any(rec_path.is_relative_to(d) for d in folders) and not rec_path.exists():
                    self.remove(source)
                    report.removed.append(source)
            report.chunks_total = self._call(lambda: self.chunks.count())
        self._release_bulk()
        report.seconds = time.perf_counter() - started
        return report

    def _release_bulk(self) -> None:
        release = getattr(self.embeddings, "release_bulk", None)  # tests and the bench swap the embeddings
        if release is not None:
            release()

    def _groups(self, planned: list) -> Iterable[list]:
        """Consecutive files packed into groups of about ``embed_batch * 16`` chunks: one embedding call and a few
        Chroma calls per group instead of four calls and a small, badly padded embedding batch per file (every
        Chroma write costs 30-50 ms however small it is)."""
        size = max(1, self.settings.embed_batch) * 16
        group: list = []
        n = 0
        for item in planned:
            if any(other[0].source == item[0].source for other in group):  # the same name twice: in order
                yield group
                group, n = [], 0
            group.append(item)
            n += len(item[-1])
            if n >= size:
                yield group
                group, n = [], 0
        if group:
            yield group

    def _write_planned(self, planned: list[tuple[Document, str, list[Chunk]]], progress: ProgressFn | None,
                       report: IngestReport) -> None:
        """Embed and store planned files, a group at a time (see :meth:`_groups`)."""
        total = sum(len(chunks) for _, _, chunks in planned)
        for group in self._groups(planned):
            items = [(doc, chunks) for doc, _, chunks in group]
            vectors = self.embeddings.embed_array([c.text for _, chunks in items for c in chunks])
            self._store_files(items, vectors, replacing=any(kind == "updated" for _, kind, _ in group))
            for doc, kind, chunks in group:
                (report.updated if kind == "updated" else report.added).append(doc.source)
                report.chunks_written += len(chunks)
            if progress:
                progress(f"indexing {items[-1][0].source}", report.chunks_written, total)

    def _store_files(self, items: list[tuple[Document, list[Chunk]]], vectors: Any, replacing: bool) -> None:
        """Store several embedded files: all marked ``pending`` before any chunk changes, ``done`` after all are
        written. Going ``pending`` changes what is servable only for files that were ``done`` before
        (``replacing``)."""
        self._put_records([(doc, len(chunks)) for doc, chunks in items], "pending", bump=replacing)
        sources = [doc.source for doc, _ in items]
        if replacing:  # a file without a record has no chunks: they are only ever written after its record
            self._call(lambda: self.chunks.delete(where={"source": {"$in": sources}}))
        pairs = [(doc, c) for doc, chunks in items for c in chunks]
        step = 1000  # below Chroma's max batch size
        for i in range(0, len(pairs), step):
            part = pairs[i : i + step]
            metas = []
            for doc, c in part:
                m = c.metadata()
                m["file_hash"] = doc.hash
                metas.append(m)
            self._call(lambda: self.chunks.upsert(ids=[c.id for _, c in part], documents=[c.text for _, c in part],
                                                  metadatas=metas, embeddings=vectors[i : i + step]))
        self._put_records([(doc, len(chunks)) for doc, chunks in items], "done")

    def add_documents(self, docs: Iterable[Document], progress: ProgressFn | None = None) -> IngestReport:
        """Index already-parsed documents (uploads, tests). Same hashing and records as :meth:`ingest`."""
        started = time.perf_counter()
        report = IngestReport()
        with self._lock:
            records = self.file_records()
            planned = []
            for doc in docs:
                rec = records.get(doc.source)
                if rec and rec.hash == doc.hash and rec.status == "done":
                    report.unchanged.append(doc.source)
                    continue
                chunks = chunk_document(doc, chunk_tokens=self.settings.chunk_tokens,
                                        overlap_tokens=self.settings.chunk_overlap_tokens)
                planned.append((doc, "updated" if rec else "added", chunks))
            self._write_planned(planned, progress, report)
            report.chunks_total = self._call(lambda: self.chunks.count())
        self._release_bulk()
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, source: str) -> None:
        with self._lock:
            self._call(lambda: self.chunks.delete(where={"source": source}))
            self._call(lambda: self.files.delete(ids=[source]))
            self._bump()

    def count(self) -> int:
        return self._call(lambda: self.chunks.count())

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
        """The chunks of ``files`` written for their current hash, in batches of about ``page`` chunks, so a
        caller that keeps only what it needs of each batch never holds the whole corpus's text.

        Read by source (an indexed lookup) rather than by offset, which gets slower with every page (22 s for
        100k chunks by offset, 11 s by source)."""
        batch: list[str] = []
        n = 0

        def read() -> list[Chunk]:
            got = self._call(lambda: self.chunks.get(where={"source": {"$in": batch}},
                                                     include=["documents", "metadatas"]))
            return [Chunk.from_record(cid, text, meta)
                    for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])
                    if files.get(meta.get("source"), ("",))[0] == meta.get("file_hash")]

        for source in sorted(files):
            batch.append(source)
            n += max(1, files[source][1])
            if n >= page or len(batch) >= 500:
                yield read()
                batch, n = [], 0
        if batch:
            yield read()

    def chunks_by_id(self, ids: list[str]) -> dict[str, tuple[Chunk, str]]:
        """{chunk id: (chunk, hash of the file version it was written for)} for the ids that exist."""
        if not ids:
            return {}
        got = self._call(lambda: self.chunks.get(ids=list(ids), include=["documents", "metadatas"]))
        return {cid: (Chunk.from_record(cid, text, meta), meta.get("file_hash", ""))
                for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])}

    def dense_ids(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``k`` nearest chunks. Asks Chroma for ids and distances only:
        fetching documents and metadata too costs ~10x more at 100k chunks (p95 ~100 ms against ~10 ms)."""
        got = self._call(lambda: self.chunks.query(query_embeddings=[vector], n_results=k, include=["distances"]))
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0])]

    def rebuild(self, paths: Iterable[str | Path], progress: ProgressFn | None = None) -> IngestReport:
        """Drop everything and ingest ``paths`` again (the documented way out of a corrupt index)."""
        with self._lock:
            if not self.settings.server_mode:
                drop_embedded(self.settings)
            else:
                for name in (self.settings.collection, self.settings.collection + "_files",
                             self.settings.collection + "_state"):
                    try:
                        self.client.delete_collection(name)
                    except Exception:
                        pass
            self._text_cache.clear()
            self._connect()
            return self.ingest(paths, progress)
