"""The scale benchmark's serving workers (:mod:`evals.bench` runs each in its own process): retrieval latency
after one cold query, streamed answers with the local model, and the memory the serving process holds at each
step (the index loaded, the LLM loaded), for ours and for the naive baseline."""

from __future__ import annotations

import cProfile
import json
import re
import time
from pathlib import Path
from typing import Any

from .bench_common import disk_mb, latency_stats, loadavg, peak_rss_mb, profile_text, rss_mb, settings_for

__all__ = ["answer_questions", "check_answer", "time_answers", "w_ours_serve", "w_naive_serve", "hnsw_mb"]

ROOT = Path(__file__).resolve().parent.parent


def answer_questions(n: int) -> list[str]:
    """Answerable single-fact and number/date gold questions without history (their articles are in every corpus)."""
    items = [json.loads(line) for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    picked = [i["user_input"] for i in items if i.get("answerable") and not i.get("history")
              and i.get("category") in ("single_fact", "number_date")]
    return picked[:n]


def check_answer(answer, original_text) -> bool:
    """The answer invariants (DESIGN.md) that can be checked without the test helpers."""
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.text)]
    ns = [c.n for c in answer.citations]
    if answer.abstained:
        return not ns and not markers
    if not ns or ns != list(range(1, len(ns) + 1)) or set(markers) != set(ns):
        return False
    return all(original_text(c.source)[c.start : c.end] == c.quote for c in answer.citations)


def time_answers(stream_fn, questions: list[str]) -> tuple[list[float], list[float], list[Any]]:
    """(first-token seconds, total seconds, final objects) for each question; ``stream_fn(q)`` yields
    ``(kind, payload)`` with kind "delta" or "final"."""
    first, total, finals = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        t_first = None
        final = None
        for kind, payload in stream_fn(q):
            if kind == "delta" and t_first is None:
                t_first = time.perf_counter() - t0
            if kind == "final":
                final = payload
        t_total = time.perf_counter() - t0
        first.append(t_first if t_first is not None else t_total)
        total.append(t_total)
        finals.append(final)
    return first, total, finals


def w_ours_serve(task: dict) -> dict:
    from rag.pipeline import Pipeline

    rss_start = rss_mb()
    t0 = time.perf_counter()
    p = Pipeline(settings_for(task["home"]), auto_ingest=False)
    queries = task["queries"]
    p.search(queries[0])
    cold = time.perf_counter() - t0
    rss_after_index = rss_mb()
    st = p.settings
    lat = []
    load0 = loadavg()
    for q in queries:
        t = time.perf_counter()
        p.search(q)
        lat.append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {"chunks": p.index.count(), "cold_first_query_s": cold, "retrieval_ms": latency_stats(lat),
                           "rss_start_mb": rss_start, "rss_after_retrieval_mb": rss_after_index,
                           "loadavg": [load0, loadavg()],
                           "config": {"chunk_tokens": st.chunk_tokens, "chunk_overlap_tokens": st.chunk_overlap_tokens,
                                      "top_k": st.top_k, "n_ctx": st.n_ctx, "flash_attn": st.flash_attn}}
    if task.get("profile_retrieval"):
        prof = cProfile.Profile()
        prof.enable()
        for q in queries[: min(50, len(queries))]:
            p.search(q)
        prof.disable()
        Path(task["profile_retrieval"]).write_text(
            profile_text(prof, f"retrieval, {min(50, len(queries))} queries at {out['chunks']} chunks (ours)"))
    questions = task["questions"]
    if questions:
        p.chat_model.invoke([("human", "Hi")], max_tokens=1)  # load the model outside the timings
        out["rss_after_llm_mb"] = rss_mb()

        def stream(q):
            for ev in p.stream(q):
                if ev.kind == "delta":
                    yield "delta", ev.text
                elif ev.kind == "answer":
                    yield "final", ev.answer

        first, total, answers = time_answers(stream, questions)
        out["answers"] = {
            "n": len(questions), "first_token_s": latency_stats(first), "total_s": latency_stats(total),
            "abstained": sum(a.abstained for a in answers),
            "extractive": sum(bool(a.metadata.get("extractive")) for a in answers if not a.abstained),
            "cited": sum(bool(a.citations) for a in answers),
            "invariants_hold": sum(check_answer(a, p.index.original_text) for a in answers),
            "stages_ms": {k: latency_stats([a.metadata[k] for a in answers if k in a.metadata])["p50"]
                          for k in ("retrieval_ms", "evidence_ms", "first_token_ms", "llm_ms", "total_ms")},
            # from the start of the answer to its first token, less retrieval and the evidence check: the prompt
            # built and read by the model
            "model_before_first_token_ms": latency_stats([
                a.metadata["first_token_ms"] - a.metadata["retrieval_ms"] - a.metadata["evidence_ms"]
                for a in answers if all(k in a.metadata for k in ("first_token_ms", "retrieval_ms", "evidence_ms"))
            ])["p50"],
        }
        if task.get("profile_answers"):
            prof = cProfile.Profile()
            prof.enable()
            for q in questions[:2]:
                p.ask(q)
            prof.disable()
            Path(task["profile_answers"]).write_text(profile_text(prof, "two answers at the smallest size (ours)"))
    out["peak_rss_mb"] = peak_rss_mb()
    out["disk_mb"] = disk_mb(Path(task["home"]) / "index")
    out["hnsw_mb"] = hnsw_mb(Path(task["home"]) / "index")
    return out


def hnsw_mb(index_dir: Path) -> float:
    """The on-disk size of the collections' HNSW segments (Chroma keeps one folder per vector segment beside its
    SQLite file; the serving process loads them into memory)."""
    return sum(disk_mb(d) for d in index_dir.rglob("*") if d.is_dir() and (d / "header.bin").exists())


def w_naive_serve(task: dict) -> dict:
    from evals.naive_baseline import NaiveRAG

    queries = task["queries"]
    t0 = time.perf_counter()
    stock = NaiveRAG(task["dir"])
    stock.search(queries[0])
    cold = time.perf_counter() - t0
    lat_stock = []
    for q in queries[: task["stock_queries"]]:
        t = time.perf_counter()
        stock.search(q)
        lat_stock.append((time.perf_counter() - t) * 1000)
    kept = NaiveRAG(task["dir"], keep_session=True)
    kept.search(queries[0])
    lat_kept = []
    load0 = loadavg()
    for q in queries:
        t = time.perf_counter()
        kept.search(q)
        lat_kept.append((time.perf_counter() - t) * 1000)
    out: dict[str, Any] = {"chunks": kept.count(), "cold_first_query_s": cold,
                           "retrieval_ms_stock": latency_stats(lat_stock), "retrieval_ms": latency_stats(lat_kept),
                           "loadavg": [load0, loadavg()],
                           "config": {"chunk_size": kept.chunk_size, "chunk_overlap": kept.chunk_overlap, "k": kept.k}}
    questions = task["questions"]
    if questions:
        stock.llm.invoke([("human", "Hi")], max_tokens=1)

        def stream(q):
            text = []
            for part in stock.stream(q):
                if part:
                    text.append(part)
                    yield "delta", part
            yield "final", "".join(text)

        first, total, answers = time_answers(stream, questions)
        out["answers"] = {"n": len(questions), "first_token_s": latency_stats(first), "total_s": latency_stats(total),
                          "with_bracket_citations": sum(bool(re.search(r"\[\d+\]", a or "")) for a in answers)}
    out["peak_rss_mb"] = peak_rss_mb()
    out["disk_mb"] = disk_mb(Path(task["dir"]))
    return out
