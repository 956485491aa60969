"""The Chroma adapter: one connection (embedded ``PersistentClient`` or a ``chroma run`` server through
``HttpClient``), three collections, every failure raised as the project's error (:mod:`rag.store_errors`).
It knows records and vectors, not files or chunking (:mod:`rag.ingest` decides what to write, :mod:`rag.index`
is the facade the rest of the package uses).

Chroma is the single source of truth, so the embedded client and a server behave the same:

- ``<collection>``        one record per chunk: id ``<source>#<n>``, text, vector, offsets, hashes;
- ``<collection>_files``  one record per file: id = source, document = original text, metadata = hash, title,
                          date, path, chunk count and a ``status`` (``pending`` while its chunks are being
                          written, ``done`` after);
- ``<collection>_state``  one record whose random ``version`` changes on every write of file records.

The chunk collection is opened exactly as a stock ``langchain_chroma.Chroma(collection_name=...)`` opens it, so
one built beside a Pipeline reads the same vectors.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import IndexCorruptError, RagError
from .settings import Settings
from .store_errors import store_error, unopenable, unreachable
from .types import Chunk, Document

__all__ = ["ChromaStore", "FileRecord", "drop_embedded"]

log = logging.getLogger(__name__)

# chromadb keeps one client per folder per process and refuses a second one "with different settings". Our
# client uses chromadb's default Settings (read from the environment), exactly what a stock
# ``langchain_chroma.Chroma(persist_directory=...)`` builds, so one opened beside a Pipeline shares its client.
# Telemetry is turned off the one way both read: the environment (a value the user set is kept).
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@dataclass(frozen=True)
class FileRecord:
    """One indexed file, as its record in ``<collection>_files`` describes it."""

    source: str
    hash: str
    status: str  # "pending" while its chunks are written, "done" after: only done files are served
    path: str  # absolute path for files ingested from disk, "" for uploads
    title: str
    date: str | None
    n_chunks: int

    @classmethod
    def from_metadata(cls, source: str, meta: Mapping[str, Any] | None) -> "FileRecord":
        meta = meta or {}
        return cls(source=source, hash=meta.get("hash", ""), status=meta.get("status", ""),
                   path=meta.get("path", ""), title=meta.get("title", ""), date=meta.get("date") or None,
                   n_chunks=int(meta.get("n_chunks", 0)))


# -- connection ---------------------------------------------------------------------------------------------


def _connect(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.server_mode:
        headers = {"x-chroma-token": settings.chroma_token} if settings.chroma_token else None
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, headers=headers,
                                         settings=ChromaSettings())
            client.heartbeat()
        except Exception as exc:
            raise store_error(exc, settings, default=unreachable) from None
        return client
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings())
    except Exception as exc:
        raise store_error(exc, settings, default=unopenable) from None


def drop_embedded(settings: Settings) -> None:
    """Forget this process's cached Chroma client for the embedded index folder and delete the folder.

    chromadb keeps one client per folder for the life of the process, so without this a folder that was
    deleted or damaged behind its back would keep being served from the stale client after a rebuild."""
    path = settings.index_dir / "chroma"
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        # Private on purpose: chromadb 1.x has no public call that stops one folder's shared System whatever its
        # refcount (Client.close() drops one reference; clear_system_cache() forgets every folder, stopping none).
        system = SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
        if system is not None:
            system.stop()
    except Exception as exc:  # a private chromadb detail: never let it block the rebuild
        log.debug("could not drop the cached Chroma client: %s", exc)
    shutil.rmtree(path, ignore_errors=True)


class ChromaStore:
    """The three collections of one index, every call wrapped: a failure is retried once on a fresh connection
    (a restarted server, a replaced folder), then raised as the project's error (:func:`store_error`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.connect()

    def connect(self) -> None:
        self.client = _connect(self.settings)
        name = self.settings.collection
        try:
            # the arguments langchain-chroma opens a collection with (it embeds itself; Chroma never does)
            self.chunks = self.client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"},
                                                               embedding_function=None)
            self.files = self.client.get_or_create_collection(name + "_files", metadata={"hnsw:space": "l2"},
                                                              embedding_function=None)
            self.state = self.client.get_or_create_collection(name + "_state", metadata={"hnsw:space": "l2"},
                                                              embedding_function=None)
        except Exception as exc:
            raise store_error(exc, self.settings) from None

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run a Chroma call; reconnect once before giving up."""
        try:
            return fn()
        except RagError:
            raise
        except Exception:
            try:
                self.connect()
                return fn()
            except Exception as exc:
                raise store_error(exc, self.settings) from None

    def reset(self) -> None:
        """Drop every collection (embedded: the whole folder) and connect to empty ones."""
        if self.settings.server_mode:
            from chromadb.errors import NotFoundError

            name = self.settings.collection
            for collection in (name, name + "_files", name + "_state"):
                try:
                    self.client.delete_collection(collection)
                except NotFoundError:  # already gone (another process rebuilt it)
                    pass
                except Exception as exc:
                    raise store_error(exc, self.settings) from None
        else:
            drop_embedded(self.settings)
        self.connect()

    def check(self) -> None:
        """Raise a clear error when the index folder vanished or is damaged (embedded mode)."""
        if not self.settings.server_mode and not (self.settings.index_dir / "chroma" / "chroma.sqlite3").exists():
            raise IndexCorruptError(
                f"The index at {self.settings.index_dir} is missing.",
                fix="Rebuild it with `rag ingest --rebuild` (or restart the app, which re-indexes seeds/).")
        self.count()

    def count(self) -> int:
        return self.call(lambda: self.chunks.count())

    # -- file records -------------------------------------------------------------------------------------------

    def file_records(self) -> dict[str, FileRecord]:
        # Paged: one unbounded get() fails past ~32k records ("too many SQL variables" in Chroma's SQLite).
        out = {}
        offset, page = 0, 1000  # small pages: Chroma keeps ~20 kB of memory per record of the largest page
        while True:
            got = self.call(lambda: self.files.get(include=["metadatas"], limit=page, offset=offset))
            for source, meta in zip(got["ids"], got["metadatas"]):
                out[source] = FileRecord.from_metadata(source, meta)
            offset += len(got["ids"])
            if len(got["ids"]) < page:
                return out

    def put_records(self, items: list[tuple[Document, int]], status: str, bump: bool = True) -> None:
        """Upsert the records of several files ((document, chunk count) pairs) in one call, then bump the state
        version. ``pending`` stores the original text too; ``done`` follows it and changes only the metadata."""
        now = time.time()
        metas = [{"hash": doc.hash, "status": status, "path": doc.path, "title": doc.title, "date": doc.date or "",
                  "n_chunks": n_chunks, "updated": now} for doc, n_chunks in items]
        ids = [doc.source for doc, _ in items]
        if status == "done":
            self.call(lambda: self.files.update(ids=ids, metadatas=metas))
        else:
            self.call(lambda: self.files.upsert(ids=ids, documents=[doc.text for doc, _ in items], metadatas=metas,
                                                embeddings=[[1.0]] * len(items)))
        if bump:
            self.bump()

    def bump(self) -> None:
        meta = {"version": uuid.uuid4().hex, "updated": time.time()}
        self.call(lambda: self.state.upsert(ids=["state"], metadatas=[meta], embeddings=[[1.0]]))

    def fingerprint(self) -> str:
        """Changes whenever the set of servable files changes (any process, any machine).

        Cheap at any size: every write of file records also writes a new random ``version`` into the one-record
        ``<collection>_state`` collection; the file count is mixed in so a writer killed between its record write
        and its version write is still noticed when files were added or removed."""
        got = self.call(lambda: self.state.get(ids=["state"], include=["metadatas"]))
        version = (got["metadatas"][0] or {}).get("version", "") if got["ids"] else ""
        return f"{version}:{self.call(lambda: self.files.count())}"

    def original_text(self, source: str) -> str:
        """The original text of an indexed file: citations' offsets point into this."""
        got = self.call(lambda: self.files.get(ids=[source], include=["documents"]))
        if not got["ids"]:
            raise IndexCorruptError(f"No indexed file named {source!r}.", fix="Ingest it with `rag ingest PATH`.")
        return got["documents"][0]

    # -- chunks -------------------------------------------------------------------------------------------------

    def write_chunks(self, pairs: list[tuple[Document, Chunk]], vectors: Any) -> None:
        """Upsert chunks (each with the document it belongs to, whose hash it records) and their vectors."""
        step = 1000  # below Chroma's max batch size
        for i in range(0, len(pairs), step):
            part = pairs[i : i + step]
            metas = [{**c.metadata(), "file_hash": doc.hash} for doc, c in part]
            self.call(lambda: self.chunks.upsert(ids=[c.id for _, c in part], documents=[c.text for _, c in part],
                                                 metadatas=metas, embeddings=vectors[i : i + step]))

    def delete_chunks(self, sources: list[str]) -> None:
        self.call(lambda: self.chunks.delete(where={"source": {"$in": sources}}))

    def remove(self, source: str) -> None:
        """Delete a file's chunks and its record."""
        self.delete_chunks([source])
        self.call(lambda: self.files.delete(ids=[source]))
        self.bump()

    def iter_chunks(self, files: dict[str, tuple[str, int]], page: int = 1000) -> Iterator[list[Chunk]]:
        """The chunks of ``files`` ({source: (file hash, chunk count)}) written for that hash, in batches of
        about ``page`` chunks, so a caller that keeps only what it needs of each batch never holds the whole
        corpus's text.

        Read by source (an indexed lookup) rather than by offset, which gets slower with every page (22 s for
        100k chunks by offset, 11 s by source)."""
        batch: list[str] = []
        n = 0

        def read() -> list[Chunk]:
            got = self.call(lambda: self.chunks.get(where={"source": {"$in": batch}},
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
        got = self.call(lambda: self.chunks.get(ids=list(ids), include=["documents", "metadatas"]))
        return {cid: (Chunk.from_record(cid, text, meta), meta.get("file_hash", ""))
                for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])}

    def dense_ids(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``k`` nearest chunks. Asks Chroma for ids and distances only:
        fetching documents and metadata too costs ~10x more at 100k chunks (p95 ~100 ms against ~10 ms)."""
        got = self.call(lambda: self.chunks.query(query_embeddings=[vector], n_results=k, include=["distances"]))
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0])]
