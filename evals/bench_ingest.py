"""The scale benchmark's ingest workers (:mod:`evals.bench` runs each in its own process): our ingest and the
baseline's on the real embedding model, the derived large corpora written with :class:`DerivedVectors`, and the
profiled ingest, which also measures what Chroma's writes and tiktoken cost per chunk and how fast Chroma writes
records with the chunk text as the document against the text in the metadata (its full-text index)."""

from __future__ import annotations

import cProfile
import pstats
import random
import shutil
import time
from pathlib import Path

import numpy as np

from .bench_common import Timed, cpu_s, disk_mb, files_mb, loadavg, peak_rss_mb, profile_text, settings_for

__all__ = ["DerivedVectors", "SIGMA", "w_ours_ingest", "w_naive_ingest", "sum_slices", "w_ours_derive",
           "w_naive_derive", "w_profile_ingest"]

SIGMA = 0.02  # the per-dimension noise of a derived vector, before it is normalised


class DerivedVectors:
    """Embeddings for the derived large corpus: the real vector when the text was embedded, else a real vector of
    a random embedded chunk plus seeded noise. Stands in for the embedding model at write time only."""

    def __init__(self, by_text: dict[str, np.ndarray], seed: int, sigma: float = SIGMA):
        self.by_text = by_text
        self.base = np.stack(list(by_text.values())).astype(np.float32)
        self.rng = np.random.default_rng(seed)
        self.sigma = sigma
        self.real = self.derived = 0

    def embed_array(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.base.shape[1]), dtype=np.float32)
        for i, t in enumerate(texts):
            v = self.by_text.get(t)
            if v is not None:
                out[i] = v
                self.real += 1
            else:
                w = self.base[self.rng.integers(len(self.base))] + self.rng.normal(0, self.sigma, self.base.shape[1])
                out[i] = w / np.linalg.norm(w)
                self.derived += 1
        return out

    # the LangChain Embeddings surface, for the baseline's Chroma wrapper
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("derived vectors are for writing only")


def w_ours_ingest(task: dict) -> dict:
    """Ingest ``files`` (one slice of the corpus) into our index, then time the raw model on a seeded sample of the
    chunk texts just written."""
    from rag.pipeline import Pipeline

    p = Pipeline(settings_for(task["home"], task["corpus"]), auto_ingest=False)
    index = p.index  # opens Chroma and loads the embedding model (not part of the ingest time)
    timed = Timed(index.embeddings.embed_array)
    index.embeddings.embed_array = timed
    paths = [Path(f) for f in task["files"]] if task.get("files") else [Path(task["corpus"])]
    load0, cpu0 = loadavg(), cpu_s()
    t0 = time.perf_counter()
    report = p.ingest(paths)
    seconds = time.perf_counter() - t0
    cpu = cpu_s() - cpu0
    del index.embeddings.embed_array
    chunks = report.chunks_written
    # the raw model on the same texts (a seeded sample when large)
    records = index.file_records()
    written = {s: (records[s].hash, records[s].n_chunks) for s in report.added + report.updated}
    texts = [c.text for c in index.chunks_of(written)]
    sample = random.Random(task["seed"]).sample(texts, min(task["raw_sample"], len(texts)))
    index.embeddings.embed_array(sample[: index.embeddings.bulk_texts])  # creates the ingest session untimed
    cpu1 = cpu_s()
    t1 = time.perf_counter()
    index.embeddings.embed_array(sample)
    raw_seconds = time.perf_counter() - t1
    return {
        "chunks": chunks, "files": len(report.added) + len(report.updated), "seconds": seconds, "cpu_seconds": cpu,
        "chunks_per_s": chunks / seconds, "corpus_mb": files_mb(paths),
        "embed_seconds": timed.seconds, "embed_calls": timed.calls,
        "outside_embedding_share": 1 - timed.seconds / seconds,
        "raw_model": {"texts": len(sample), "seconds": raw_seconds, "cpu_seconds": cpu_s() - cpu1,
                      "chunks_per_s": len(sample) / raw_seconds},
        "disk_mb": disk_mb(Path(task["home"]) / "index"), "peak_rss_mb": peak_rss_mb(),
        "loadavg": [load0, loadavg()], "refused": len(report.refused),
    }


def w_naive_ingest(task: dict) -> dict:
    from evals.naive_baseline import NaiveRAG

    rag = NaiveRAG(task["dir"])
    timed = Timed(rag.embeddings.embed_documents)
    rag.embeddings.embed_documents = timed
    paths = [Path(f) for f in task["files"]] if task.get("files") else [Path(task["corpus"])]
    load0, cpu0 = loadavg(), cpu_s()
    t0 = time.perf_counter()
    chunks = rag.ingest_files(paths) if task.get("files") else rag.ingest(task["corpus"])
    seconds = time.perf_counter() - t0
    return {
        "chunks": chunks, "seconds": seconds, "cpu_seconds": cpu_s() - cpu0, "chunks_per_s": chunks / seconds,
        "corpus_mb": files_mb(paths), "embed_seconds": timed.seconds,
        "outside_embedding_share": 1 - timed.seconds / seconds,
        "disk_mb": disk_mb(Path(task["dir"])), "peak_rss_mb": peak_rss_mb(), "loadavg": [load0, loadavg()],
    }


def sum_slices(parts: list[dict]) -> dict:
    """One ingest figure from the per-slice results (rates are totals over totals)."""
    out = {k: sum(p[k] for p in parts) for k in ("chunks", "seconds", "cpu_seconds", "corpus_mb", "embed_seconds")}
    out["chunks_per_s"] = out["chunks"] / out["seconds"]
    out["chunks_per_cpu_s"] = out["chunks"] / out["cpu_seconds"]
    out["outside_embedding_share"] = 1 - out["embed_seconds"] / out["seconds"]
    out["disk_mb"] = parts[-1]["disk_mb"]
    out["peak_rss_mb"] = max(p["peak_rss_mb"] for p in parts)
    out["loadavg"] = [x for p in parts for x in p["loadavg"]]
    out["slices"] = len(parts)
    if "raw_model" in parts[0]:
        raw = {k: sum(p["raw_model"][k] for p in parts) for k in ("texts", "seconds", "cpu_seconds")}
        raw["chunks_per_s"] = raw["texts"] / raw["seconds"]
        raw["chunks_per_cpu_s"] = raw["texts"] / raw["cpu_seconds"]
        out["raw_model"] = raw
        out["files"] = sum(p["files"] for p in parts)
        out["slice_vs_raw"] = [p["chunks_per_s"] / p["raw_model"]["chunks_per_s"] for p in parts]
    return out


def w_ours_derive(task: dict) -> dict:
    from rag.index import Index
    from rag.pipeline import Pipeline

    src = Index(settings_for(task["src_home"]))
    by_text: dict[str, np.ndarray] = {}
    offset = 0
    while True:
        got = src.chunks.get(include=["documents", "embeddings"], limit=2000, offset=offset)
        if not len(got["ids"]):
            break
        for text, vec in zip(got["documents"], got["embeddings"]):
            by_text[text] = np.asarray(vec, dtype=np.float32)
        offset += len(got["ids"])
    p = Pipeline(settings_for(task["home"], task["corpus"]), auto_ingest=False)
    derived = DerivedVectors(by_text, task["seed"])
    p.index.embeddings = derived  # only for writing; the serving process loads the real model
    t0 = time.perf_counter()
    report = p.ingest([task["corpus"]])
    seconds = time.perf_counter() - t0
    return {
        "chunks": report.chunks_written, "files": len(report.added), "seconds_without_embedding": seconds,
        "chunks_per_s_without_embedding": report.chunks_written / seconds,
        "real_vectors": derived.real, "derived_vectors": derived.derived, "source_vectors": len(by_text),
        "disk_mb": disk_mb(Path(task["home"]) / "index"), "peak_rss_mb": peak_rss_mb(),
    }


def w_naive_derive(task: dict) -> dict:
    from evals.naive_baseline import NaiveRAG

    src = NaiveRAG(task["src_dir"])
    by_text: dict[str, np.ndarray] = {}
    offset = 0
    while True:
        got = src.store.get(include=["documents", "embeddings"], limit=2000, offset=offset)
        if not len(got["ids"]):
            break
        for text, vec in zip(got["documents"], got["embeddings"]):
            by_text[text] = np.asarray(vec, dtype=np.float32)
        offset += len(got["ids"])
    derived = DerivedVectors(by_text, task["seed"])
    rag = NaiveRAG(task["dir"], embeddings=derived)
    t0 = time.perf_counter()
    chunks = rag.ingest(task["corpus"])
    seconds = time.perf_counter() - t0
    return {
        "chunks": chunks, "seconds_without_embedding": seconds, "chunks_per_s_without_embedding": chunks / seconds,
        "real_vectors": derived.real, "derived_vectors": derived.derived, "source_vectors": len(by_text),
        "disk_mb": disk_mb(Path(task["dir"])), "peak_rss_mb": peak_rss_mb(),
    }


def w_profile_ingest(task: dict) -> dict:
    """A profiled ingest of the first ``files`` files into a fresh index; the costs per chunk are read from the
    profile, then the same records are written twice more for :func:`_fts_probe`."""
    from rag.pipeline import Pipeline

    shutil.rmtree(task["home"], ignore_errors=True)  # a fresh index, so every file is really ingested
    folder = Path(task["home"]) / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    for f in sorted(Path(task["corpus"]).glob("*.txt"))[: task["files"]]:
        shutil.copyfile(f, folder / f.name)
    p = Pipeline(settings_for(task["home"], str(folder)), auto_ingest=False)
    _ = p.index.embeddings
    prof = cProfile.Profile()
    prof.enable()
    report = p.ingest([folder])
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # own time of everything

    def cum(name: str, in_file: str) -> float:
        return sum(v[3] for k, v in stats.stats.items() if k[2] == name and k[0].endswith(in_file))

    Path(task["out"]).write_text(profile_text(prof, f"ingest of {report.chunks_written} chunks (ours, cProfile)"))
    return {"chunks": report.chunks_written, "embed_cum_s": cum("_embed", "embeddings.py"), "profiled_total_s": total,
            "chroma_upsert_s": cum("upsert", "Collection.py"),
            "tiktoken_load_s": cum("get_encoding", "_tiktoken.py"),  # once per process, inside the first count
            "tiktoken_s": cum("count_tokens", "_tiktoken.py") - cum("get_encoding", "_tiktoken.py"),
            "session_s": cum("_new_session", "embeddings.py"),
            "fts_probe": _fts_probe(p.index.chunks, Path(task["home"]) / "fts_probe")}


def _fts_probe(collection, folder: Path) -> dict:
    """Records per second when Chroma gets the chunk text as the document (indexed for full-text search) and when
    it gets the same text in the metadata instead; same ids, vectors and metadata otherwise."""
    import chromadb

    got = collection.get(include=["documents", "embeddings", "metadatas"])
    client = chromadb.PersistentClient(path=str(folder))
    out = {"records": len(got["ids"])}
    for kind in ("document", "metadata"):
        col = client.create_collection(f"probe_{kind}", metadata={"hnsw:space": "cosine"}, embedding_function=None)
        t0 = time.perf_counter()
        for i in range(0, len(got["ids"]), 1000):
            part = slice(i, i + 1000)
            metas = got["metadatas"][part]
            if kind == "document":
                col.upsert(ids=got["ids"][part], embeddings=got["embeddings"][part], metadatas=metas,
                           documents=got["documents"][part])
            else:
                col.upsert(ids=got["ids"][part], embeddings=got["embeddings"][part],
                           metadatas=[{**m, "text": t} for m, t in zip(metas, got["documents"][part])])
        out[f"text_as_{kind}_per_s"] = len(got["ids"]) / (time.perf_counter() - t0)
    return out
