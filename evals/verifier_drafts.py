"""Raw material for the verifier's labelled set (issue 13, point 2): real model drafts and the spans they are checked
against, so ``evals/verifier/pairs.jsonl`` can be regrown when the pipeline or the model changes.

Every draft the set is built from is kept in ``evals/verifier/drafts/<model>.<set>.jsonl`` (eval runs' ``latest``
folders are overwritten by every run, so the set's raw material is frozen here). Three steps:

``generate``    asks a local GGUF model (``--model``, e.g. Qwen2.5-Coder-1.5B-Instruct) gold questions of the seed
                and news sets with ``RAG_ANSWER_MODE=llm`` on a temporary ``RAG_HOME`` and stores each raw draft with
                the passages it was written from (chunk ids, offsets, sentence spans). It loads the LLM: run it
                under ``flock /tmp/llm.lock``. Items already stored are not asked again.
``import-run``  stores the drafts (``metadata.draft``) of a finished eval run, e.g. of the default model.
``candidates``  turns every stored draft into unlabelled (sentence, span) pairs: each draft sentence
                (:func:`rag.citations.split_sentences`) with the span the verifier compares it to. A pair whose
                model, question, sentence and span are already in ``pairs.jsonl`` keeps its label; the others are
                labelled by hand (see ``evals/verifier/README.md``). No LLM.

    flock /tmp/llm.lock python -m evals.verifier_drafts generate --model /path/to/model.gguf --seeds 30 --news 40
    python -m evals.verifier_drafts import-run --set news evals/results/news/latest/results.jsonl
    python -m evals.verifier_drafts candidates --out /tmp/candidates.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .dataset import EVALS, ROOT, SETS, UNANSWERABLE, select_items

__all__ = ["DRAFTS", "CORPUS", "generate", "eval_run_drafts", "stored_drafts", "candidate_pairs", "main"]

VERIFIER = EVALS / "verifier"
DRAFTS = VERIFIER / "drafts"
CORPUS = {"seeds": ROOT / "seeds", "news": EVALS / "news" / "articles"}


def _passage_record(p: Any) -> dict[str, Any]:
    c = p.chunk
    return {"rank": p.rank, "chunk_id": c.id, "source": c.source, "start": c.start, "end": c.end,
            "sentences": [list(s) for s in c.sentences]}


def generate(model_path: str, set_name: str, limit: int, out: Path, threads: int = 2) -> int:
    """Ask ``limit`` answerable items of a gold set (round-robin over categories) and write one JSON line per item:
    the draft, the passages the model saw numbered as its ``[n]`` refer to them, and what verification kept.
    Items already in ``out`` are not asked again (a larger ``limit`` adds items; an interrupted run resumes).
    Returns how many items were asked."""
    from rag.errors import RagError

    from .cli import build_pipeline

    eval_set = SETS[set_name]
    done = set()
    if out.is_file():
        done = {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines() if line.strip()}
    items = select_items([it for it in eval_set.items() if it["category"] not in UNANSWERABLE], limit)
    items = [it for it in items if it["id"] not in done]
    if not items:
        return 0
    # measurement, not serving: a slow 1.5B model on two cores may need more than the default 60 s per reply
    env = {"RAG_LLM_TIMEOUT": "300", **os.environ, "RAG_MODEL_PATH": model_path, "RAG_ANSWER_MODE": "llm",
           "RAG_N_THREADS": str(threads)}
    with tempfile.TemporaryDirectory(prefix="rag-verifier-") as home:
        pipeline, _, _ = build_pipeline(home, env=env, corpus=eval_set.corpus)
        model = Path(model_path).name
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as f:
            for item in items:
                try:
                    answer = pipeline.ask(item["user_input"], history=item.get("history") or None)
                except RagError as exc:  # not stored: the next run asks it again
                    print(f"{item['id']}: skipped, {exc}", file=sys.stderr)
                    continue
                trace = answer.trace
                row = {"id": item["id"], "set": set_name, "model": model, "user_input": item["user_input"],
                       "draft": trace.draft, "response": answer.text, "abstained": answer.abstained,
                       "sentences_kept": trace.sentences_kept, "sentences_dropped": trace.sentences_dropped,
                       "llm_rejected": trace.llm_rejected,
                       "passages": [_passage_record(p) for p in answer.contexts]}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                f.flush()
                print(f"{item['id']}: {(trace.draft or '(no draft)')[:100]!r}", file=sys.stderr)
    return len(items)


def _chunks_by_id(set_name: str) -> dict[str, Any]:
    """The corpus' chunks as the index holds them (same parser and chunker, default sizes), by chunk id."""
    from rag.chunking import chunk_document
    from rag.documents import load_documents
    from rag.settings import Settings

    settings = Settings()
    docs, refused = load_documents(CORPUS[set_name])
    if refused:
        raise RuntimeError(f"cannot read {refused}; the corpus of {set_name} must parse as the eval indexed it")
    chunks = [c for d in docs for c in chunk_document(d, chunk_tokens=settings.chunk_tokens,
                                                        overlap_tokens=settings.chunk_overlap_tokens)]
    return {c.id: c for c in chunks}


def eval_run_drafts(set_name: str, results: Path) -> list[dict[str, Any]]:
    """The drafts of a finished eval run (its ``results.jsonl``) in the ``generate`` format; each passage's sentence
    spans come from chunking the corpus again, checked against the offsets the run recorded."""
    chunks = _chunks_by_id(set_name)
    rows = []
    for line in results.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        meta = r.get("metadata") or {}
        if not meta.get("draft"):
            continue
        passages = []
        for ctx in r["retrieved_contexts"]:
            chunk = chunks.get(ctx["chunk_id"])
            if chunk is None or (chunk.start, chunk.end) != (ctx["start"], ctx["end"]):
                raise RuntimeError(f"{results}: chunk {ctx['chunk_id']} of {r['id']} is not what chunking the "
                                   f"corpus gives now; regrow the set from a run on the current chunker")
            passages.append({"rank": ctx["rank"], "chunk_id": chunk.id, "source": chunk.source,
                             "start": chunk.start, "end": chunk.end, "sentences": [list(s) for s in chunk.sentences]})
        rows.append({"id": r["id"], "set": set_name, "model": meta.get("model", "?"), "user_input": r["user_input"],
                     "draft": meta["draft"], "response": r["response"], "abstained": r["abstained"],
                     "sentences_kept": meta.get("sentences_kept"), "sentences_dropped": meta.get("sentences_dropped"),
                     "llm_rejected": meta.get("llm_rejected"), "passages": passages})
    return rows


def _read_file(set_name: str) -> Callable[[str], str]:
    folder = CORPUS[set_name]
    cache: dict[str, str] = {}

    def read(source: str) -> str:
        if source not in cache:
            cache[source] = (folder / source).read_bytes().decode("utf-8")
        return cache[source]

    return read


def candidate_pairs(drafts: Iterable[dict[str, Any]], similarity: Callable[[list[tuple[str, str]]], list[float]]
                    ) -> list[dict[str, Any]]:
    """Each draft sentence with the span the verifier decides on: the best span (``_best_span``) of the passages
    it cites, else of all passages (as :func:`rag.citations.enforce` re-cites), else, when no span holds its
    numbers and names, the most similar span of all passages. Repeats (same model, sentence and span) once."""
    from rag.citations import TERM_COVERAGE, _best_span, candidate_spans, split_sentences
    from rag.types import Chunk, Passage

    out, seen = [], set()
    for d in drafts:
        if not d.get("draft"):
            continue  # abstained before drafting
        read = _read_file(d["set"])
        passages = [Passage(Chunk(p["chunk_id"], p["source"], 0, "", None, p["start"], p["end"], "", "",
                                  tuple(tuple(s) for s in p["sentences"])), rank=p["rank"]) for p in d["passages"]]
        groups = candidate_spans(passages, read)
        every = [sp for g in groups for sp in g]
        if not every:
            continue
        for sentence, nums in split_sentences(d["draft"]):
            cited = [sp for n in nums if 1 <= n <= len(groups) for sp in groups[n - 1]]
            span, cov = _best_span(sentence, cited, read) if cited else (None, -1.0)
            if span is None or cov < TERM_COVERAGE:
                other, other_cov = _best_span(sentence, every, read)
                if other is not None and (span is None or other_cov > cov):
                    span, cov = other, other_cov
            if span is None:
                scores = similarity([(sentence, sp.text) for sp in every])
                span = every[max(range(len(every)), key=scores.__getitem__)]
            key = (d["model"], sentence, span.source, span.start, span.end)
            if key in seen:
                continue
            seen.add(key)
            out.append({"model": d["model"], "set": d["set"], "question_id": d["id"], "user_input": d["user_input"],
                        "sentence": sentence, "span": span.text, "source": span.source, "start": span.start,
                        "end": span.end, "cited": nums})
    return out


def _similarity() -> Callable[[list[tuple[str, str]]], list[float]]:
    from rag.answer import cosine_pairs
    from rag.embeddings import get_embeddings

    return cosine_pairs(get_embeddings().embed_cached)


def stored_drafts(folder: Path = DRAFTS) -> list[dict[str, Any]]:
    """Every stored draft record, file by file in name order."""
    rows: list[dict[str, Any]] = []
    for f in sorted(folder.glob("*.jsonl")):
        rows.extend(json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    return rows


def _write_rows(rows: Iterable[dict[str, Any]], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.verifier_drafts", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    g = sub.add_parser("generate", help="ask a GGUF model gold questions; store its drafts (loads the LLM)")
    g.add_argument("--model", required=True, help="GGUF file (RAG_MODEL_PATH)")
    g.add_argument("--seeds", type=int, default=30, help="seed-set questions")
    g.add_argument("--news", type=int, default=40, help="news-set questions")
    g.add_argument("--threads", type=int, default=int(os.environ.get("RAG_N_THREADS", "2")))
    r = sub.add_parser("import-run", help="store the drafts of a finished eval run")
    r.add_argument("--set", dest="set_name", required=True, choices=sorted(CORPUS), help="the run's gold set")
    r.add_argument("results", help="the run's results.jsonl")
    c = sub.add_parser("candidates", help="unlabelled (sentence, span) pairs from every stored draft (no LLM)")
    c.add_argument("--out", required=True, help="JSONL file to write")
    args = p.parse_args(argv)
    if args.step == "generate":
        stem = Path(args.model).name.removesuffix(".gguf")
        for set_name, n in (("seeds", args.seeds), ("news", args.news)):
            if n > 0:
                generate(args.model, set_name, n, DRAFTS / f"{stem}.{set_name}.jsonl", args.threads)
        return 0
    if args.step == "import-run":
        rows = eval_run_drafts(args.set_name, Path(args.results))
        if not rows:
            raise SystemExit(f"{args.results} holds no drafts (an extractive-mode run?)")
        stem = rows[0]["model"].removesuffix(".gguf")
        out = DRAFTS / f"{stem}.{args.set_name}.jsonl"
        print(f"{_write_rows(rows, out)} drafts -> {out}")
        return 0
    pairs = candidate_pairs(stored_drafts(), _similarity())
    labelled = {}
    if (VERIFIER / "pairs.jsonl").is_file():
        for line in (VERIFIER / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            labelled[(r["model"], r["question_id"], r["sentence"], r["source"], r["start"], r["end"])] = r
    for pair in pairs:
        old = labelled.get((pair["model"], pair["question_id"], pair["sentence"], pair["source"], pair["start"],
                            pair["end"]))
        if old is not None:
            pair.update(supported=old["supported"], note=old.get("note", ""))
    n = _write_rows(pairs, Path(args.out))
    print(f"{n} pairs ({sum('supported' in p for p in pairs)} already labelled) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
