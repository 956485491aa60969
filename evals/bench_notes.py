"""The notes under the scale benchmark's targets: why each figure is what it is, written from the run's own
measurements (stage timings, memory readings, the profiled ingest and its Chroma write probe) so that no figure
in the prose can go stale."""

from __future__ import annotations

from .bench_common import fmt, label

__all__ = ["notes"]


def notes(res: dict) -> list[str]:
    """Measured context for the targets, one paragraph each; a paragraph whose measurements the run did not take
    (no answers, no profile) is left out."""
    out = [_first_token(res), _memory(res), _ingest(res), _model_in_ingest(res), _profile_share(res)]
    return [n for n in out if n]


def _first_token(res: dict) -> str:
    small = res["serve"].get(str(min(res["sizes"])), {})
    ours, naive = small.get("ours", {}), small.get("naive", {})
    a, b = ours.get("answers"), naive.get("answers")
    if not a:
        return ""
    st = a.get("stages_ms", {})
    first_ms = a["first_token_s"]["p50"] * 1000
    attention = " with flash attention" if ours.get("config", {}).get("flash_attn") else ""
    text = (f"Time to first token: ours p50 {a['first_token_s']['p50']:.2f} s, of which retrieval "
            f"{fmt(st.get('retrieval_ms'))} ms p50 and the evidence check (embedding the passages' sentences) "
            f"{fmt(st.get('evidence_ms'))} ms p50; the rest, {fmt(a.get('model_before_first_token_ms'))} ms p50, "
            f"is the prompt built and read by the local model on {res['machine']['cpus']} cores{attention} (the "
            "system prompt's tokens are reused from the previous answer; see profile_answer.txt).")
    if b:
        k = naive.get("config", {}).get("k")
        share = (st.get("retrieval_ms") or 0) / first_ms if first_ms else None
        text += (f" The baseline, same model, {fmt(k)} whole passages in its prompt, takes "
                 f"{b['first_token_s']['p50']:.2f} s; retrieval is {fmt(share * 100 if share is not None else None)}% "
                 "of our first-token time.")
    return text


def _memory(res: dict) -> str:
    sizes = res["sizes"]
    rows = []
    for s in sizes:
        o = res["serve"][str(s)]["ours"]
        rows.append(f"{label(s)}: {o['rss_after_retrieval_mb']:.0f} MB after the index is loaded, "
                    f"{o['peak_rss_mb']:.0f} MB peak with the LLM")
    small, large = res["serve"][str(min(sizes))]["ours"], res["serve"][str(max(sizes))]["ours"]
    text = "Serving memory (ours): " + "; ".join(rows) + "."
    if "rss_start_mb" in small:
        text += (f" At {label(min(sizes))} chunks the process holds {small['rss_start_mb']:.0f} MB before the pipeline "
                 f"is built (Python and the project's imports) and {small['rss_after_retrieval_mb']:.0f} MB once the index, "
                 "BM25 and the ONNX session for queries are loaded")
        if "rss_after_llm_mb" in small:
            text += (f"; loading the local LLM (n_ctx {small.get('config', {}).get('n_ctx', '–')}) adds "
                     f"{small['rss_after_llm_mb'] - small['rss_after_retrieval_mb']:.0f} MB before its buffers grow "
                     "while answering")
        text += "."
    if len(sizes) > 1:
        text += (f" From {label(min(sizes))} to {label(max(sizes))} chunks the loaded process grows by "
                 f"{large['rss_after_retrieval_mb'] - small['rss_after_retrieval_mb']:.0f} MB: the collections' HNSW "
                 f"segments ({fmt(large.get('hnsw_mb'))} MB on disk at {label(max(sizes))}) and BM25 over token ids "
                 "(chunk ids, token arrays, term-major weights).")
    return text + " Chunk texts stay in Chroma; only the returned passages are read back."


def _ingest(res: dict) -> str:
    ingest = res.get("ingest", {})
    if not ingest:
        return ""
    largest = max(int(k) for k in ingest)
    ours = ingest[str(largest)]["ours"]
    text = (f"Ingest against the raw model ({label(largest)}): {ours['outside_embedding_share'] * 100:.1f}% of our "
            "ingest time is outside the model.")
    prof = res.get("profile_ingest")
    if prof and prof.get("chunks") and "chroma_upsert_s" in prof:
        n = prof["chunks"]
        text += (f" In the profiled ingest ({n} chunks) Chroma's writes take {prof['chroma_upsert_s'] * 1000 / n:.2f} "
                 f"ms a chunk and tiktoken's counts for chunking {prof['tiktoken_s'] * 1000 / n:.2f} ms a chunk (and "
                 f"{prof.get('tiktoken_load_s', 0):.2f} s once, loading the encoding); reading and cleaning the files "
                 "take the rest.")
        probe = prof.get("fts_probe")
        if probe:
            doc, meta = probe["text_as_document_per_s"], probe["text_as_metadata_per_s"]
            text += (f" Chroma's full-text index of the chunk text costs {1000 / doc - 1000 / meta:.2f} ms a record: "
                     f"the same {probe['records']} records write at {doc:,.0f}/s with the text as the document and "
                     f"{meta:,.0f}/s with it in the metadata instead (not done: LangChain's Chroma and anyone reading "
                     "the collection expect the text as the document).")
    spread = []
    for s in res.get("embed_sizes", []):
        r = ingest.get(str(s), {}).get("ours", {}).get("slice_vs_raw") or []
        if len(r) > 1:
            spread.append(f"{min(r):.2f}-{max(r):.2f} over its {len(r)} slices at {label(s)}")
    if spread:
        text += (f" The ratio moves with the load of this shared {res['machine']['cpus']}-core machine: ours / raw "
                 "was " + ", ".join(spread) + ".")
    return text


def _model_in_ingest(res: dict) -> str:
    ingest = res.get("ingest", {})
    if not ingest:
        return ""
    ours = ingest[str(max(int(k) for k in ingest))]["ours"]
    if not ours.get("embed_seconds") or not ours.get("raw_model", {}).get("chunks_per_s"):
        return ""
    prof = res.get("profile_ingest") or {}
    session = f", {prof['session_s']:.2f} s in the profiled ingest" if prof.get("session_s") else ""
    return (f"The model itself: {ours['chunks'] / ours['embed_seconds']:.1f} chunks/s inside the ingest against "
            f"{ours['raw_model']['chunks_per_s']:.1f} in the raw run, which uses a session whose memory arena has "
            f"already grown (each ingest creates its session{session}, and grows the arena over its first batches).")


def _profile_share(res: dict) -> str:
    prof = res.get("profile_ingest")
    if not prof or not prof.get("profiled_total_s"):
        return ""
    return (f"Profiled ingest ({prof['chunks']} chunks, cProfile): "
            f"{prof['embed_cum_s'] / prof['profiled_total_s'] * 100:.0f}% of the time is in the embedding model "
            "(profile_ingest.txt).")
