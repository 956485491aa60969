"""Scale benchmark: our pipeline against the naive LangChain baseline, side by side, on one machine.

    python -m evals.bench                                   # sizes 1000,10000,100000 → evals/bench/
    rag bench --sizes 1000,10000,100000 --out evals/bench
    rag bench --sizes 300 --queries 20 --answers 2          # the CI smoke run

What it measures, per corpus size (chunks of the synthetic corpus of :mod:`evals.synth`):

- ingest chunks/s (sizes up to ``--embed-max``), for ours, the baseline (:mod:`evals.naive_baseline`) and the raw
  embedding model alone (``MiniLMEmbeddings.embed_array`` on a seeded sample of the same chunk texts), plus the
  share of our ingest time spent outside the embedding model;
- retrieval latency p50/p95/p99 over ``--queries`` queries (after one cold query, timed apart: it builds BM25);
- answer latency p50/p95 and time to the first streamed token with the local model (``--answers`` questions at the
  smallest size, ``--answers-large`` at the others so that serving memory includes the LLM);
- peak RSS of each system's process (every phase runs in its own process; ``ru_maxrss``, with psutil checkpoints);
- on-disk index size.

Sizes above ``--embed-max`` are not embedded: their corpus is generated and chunked for real, and every chunk
whose text exists in the ``--embed-max`` corpus (which is a prefix of it) gets its real vector; every other chunk gets
the real vector of a random chunk of that corpus plus a small seeded perturbation (``evals.bench_ingest.SIGMA`` per
dimension, then normalised). The chunks go through each system's normal write path (our ``Index.ingest``; the baseline's
``Chroma.add_documents``) with only the embedding function replaced, so metadata and file records are the real ones.
Latencies at those sizes are real; retrieval *quality* there is not meaningful.

Writes ``bench.json`` (everything), ``bench.md`` (tables, ratios, targets and notes whose every figure is measured
in the run), ``bench.png`` and ``profile_*.txt``. The code: workers in :mod:`evals.bench_ingest` and
:mod:`evals.bench_serve` (each run in its own process by this module), the report in :mod:`evals.bench_report` and
:mod:`evals.bench_notes`.

Tried for the ingest rate and not kept (chromadb 1.5.9, onnxruntime on 2 busy cores): turning off Chroma's
full-text index through a collection ``Schema`` (the embedded client still filled its FTS table), writing to
Chroma in a thread while the next group is embedded, and the same with onnxruntime's thread spinning off (the
overlap saved nothing, and without spinning the model itself was slower).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .bench_common import loadavg, log
from .bench_ingest import sum_slices, w_naive_derive, w_naive_ingest, w_ours_derive, w_ours_ingest, w_profile_ingest
from .bench_report import write_report
from .bench_serve import answer_questions, w_naive_serve, w_ours_serve

__all__ = ["main", "build_parser"]

ROOT = Path(__file__).resolve().parent.parent


WORKERS = {f.__name__[2:]: f for f in (w_ours_ingest, w_naive_ingest, w_ours_derive, w_naive_derive, w_ours_serve,
                                        w_naive_serve, w_profile_ingest)}


def _run_worker(kind: str, task: dict, work: Path, timeout: float = 3600) -> dict:
    task_file = work / f"task_{kind}_{int(time.time() * 1000)}.json"
    result_file = task_file.with_suffix(".out.json")
    task_file.write_text(json.dumps({**task, "kind": kind, "result": str(result_file)}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_CHROMA_")}
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evals.bench", "--worker", str(task_file)], env=env, cwd=str(ROOT),
                          timeout=timeout)
    if proc.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"benchmark worker {kind} failed with exit code {proc.returncode}")
    result = json.loads(result_file.read_text())
    result["wall_s"] = time.perf_counter() - started
    return result


def _worker_main(task_file: str) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING)
    task = json.loads(Path(task_file).read_text())
    result = WORKERS[task["kind"]](task)
    Path(task["result"]).write_text(json.dumps(result))
    return 0


# ----------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag bench", description="Scale benchmark: ours vs a naive LangChain baseline.")
    p.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes in chunks, comma separated")
    p.add_argument("--queries", type=int, default=200, help="retrieval queries per size")
    p.add_argument("--stock-queries", type=int, default=20,
                   help="queries for the baseline's stock embedding function (a new ONNX session per call)")
    p.add_argument("--answers", type=int, default=20,
                   help="answered questions at the smallest size (20: a p50 that moves less between runs)")
    p.add_argument("--answers-large", type=int, default=2, help="answered questions at the other sizes")
    p.add_argument("--embed-max", type=int, default=10000, help="largest size embedded for real; larger are derived")
    p.add_argument("--raw-sample", type=int, default=1000, help="texts for the raw embedding throughput")
    p.add_argument("--slices", type=int, default=4,
                   help="ingest the corpora from 5000 chunks up in this many interleaved slices")
    p.add_argument("--profile-files", type=int, default=40, help="files in the profiled ingest (0: no profiles)")
    p.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    p.add_argument("--out", default=str(ROOT / "evals" / "bench"))
    p.add_argument("--work", default="", help="scratch folder (default: a temporary one, removed after)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--worker", default="", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.worker:
        return _worker_main(args.worker)
    from evals import synth
    from evals.naive_baseline import ensure_onnx_cache

    started = time.perf_counter()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    embed_sizes = [s for s in sizes if s <= args.embed_max] or [min(sizes)]
    if any(s > max(embed_sizes) for s in sizes) and args.embed_max not in embed_sizes:
        embed_sizes.append(args.embed_max)  # the derived sizes need a real corpus to borrow vectors from
        embed_sizes.sort()
    out = Path(args.out)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="rag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if not args.no_baseline:
        ensure_onnx_cache(work / "chroma-onnx")
    res: dict[str, Any] = {
        "argv": list(argv or []), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version(), "loadavg_start": loadavg()},
        "sizes": sizes, "embed_sizes": embed_sizes, "queries": args.queries, "answers": args.answers,
        "ingest": {}, "derive": {}, "serve": {},
    }
    all_sizes = sorted(set(sizes) | set(embed_sizes))
    corpora = {}
    for s in all_sizes:
        corpora[s] = work / f"corpus_{s}"
        info = synth.make_corpus(corpora[s], s, seed=args.seed)
        log(f"corpus {s}: {info['articles']} synthetic articles + seeds in {corpora[s]}")
    queries = synth.queries(args.queries, seed=args.seed)
    homes = {s: work / f"ours_{s}" for s in all_sizes}
    dirs = {s: work / f"naive_{s}" for s in all_sizes}
    for s in all_sizes:
        shutil.rmtree(homes[s], ignore_errors=True)
        shutil.rmtree(dirs[s], ignore_errors=True)
    try:
        for s in embed_sizes:
            # The corpus is ingested in slices, alternating which system goes first, so that both systems and the
            # raw model see the same machine load (this box is shared; a drifting load skews sequential runs).
            files = sorted(str(f) for f in corpora[s].glob("*.txt"))
            n_slices = 1 if s < 500 else (2 if s < 5000 else max(1, args.slices))
            step = -(-len(files) // n_slices)
            parts: dict[str, list[dict]] = {"ours": [], "naive": []}
            for k in range(n_slices):
                part = files[k * step : (k + 1) * step]
                if not part:
                    continue
                order = ["ours", "naive"] if k % 2 == 0 else ["naive", "ours"]
                for system in order:
                    if system == "naive" and args.no_baseline:
                        continue
                    log(f"ingest {s}, slice {k + 1}/{n_slices} ({len(part)} files): {system}")
                    if system == "ours":
                        task = {"home": str(homes[s]), "corpus": str(corpora[s]), "files": part, "seed": args.seed + k,
                                "raw_sample": max(1, args.raw_sample // n_slices)}
                        parts["ours"].append(_run_worker("ours_ingest", task, work))
                    else:
                        task = {"dir": str(dirs[s]), "corpus": str(corpora[s]), "files": part}
                        parts["naive"].append(_run_worker("naive_ingest", task, work))
            entry = {system: sum_slices(v) for system, v in parts.items() if v}
            log(f"  ours {entry['ours']['chunks']} chunks, {entry['ours']['chunks_per_s']:.1f}/s; "
                 f"raw model {entry['ours']['raw_model']['chunks_per_s']:.1f}/s"
                 + (f"; baseline {entry['naive']['chunks']} chunks, {entry['naive']['chunks_per_s']:.1f}/s"
                    if "naive" in entry else ""))
            res["ingest"][str(s)] = entry
        src = max(embed_sizes)
        for s in sizes:
            if s in embed_sizes:
                continue
            log(f"derive {s} from the real vectors of {src}: ours")
            entry = {"ours": _run_worker("ours_derive", {"src_home": str(homes[src]), "home": str(homes[s]),
                                                           "corpus": str(corpora[s]), "seed": args.seed}, work)}
            if not args.no_baseline:
                log(f"derive {s}: baseline")
                entry["naive"] = _run_worker("naive_derive", {"src_dir": str(dirs[src]), "dir": str(dirs[s]),
                                                               "corpus": str(corpora[s]), "seed": args.seed}, work)
            res["derive"][str(s)] = entry
        questions_small = answer_questions(args.answers)
        questions_large = answer_questions(args.answers_large)
        profile = args.profile_files > 0
        for s in sizes:
            qs = questions_small if s == min(sizes) else questions_large
            log(f"serve {s}: ours ({len(queries)} queries, {len(qs)} answers)")
            task = {"home": str(homes[s]), "queries": queries, "questions": qs}
            if profile and s == max(sizes):
                task["profile_retrieval"] = str(out / "profile_retrieval.txt")
            if profile and s == min(sizes):
                task["profile_answers"] = str(out / "profile_answer.txt")
            out.mkdir(parents=True, exist_ok=True)
            entry = {"ours": _run_worker("ours_serve", task, work)}
            log(f"  ours p50 {entry['ours']['retrieval_ms']['p50']:.1f} ms, "
                 f"p95 {entry['ours']['retrieval_ms']['p95']:.1f} ms")
            if not args.no_baseline:
                log(f"serve {s}: baseline")
                entry["naive"] = _run_worker("naive_serve", {"dir": str(dirs[s]), "queries": queries, "questions": qs,
                                                             "stock_queries": args.stock_queries}, work)
                log(f"  baseline p50 {entry['naive']['retrieval_ms']['p50']:.1f} ms")
            res["serve"][str(s)] = entry
        if profile:
            log("profiled ingest")
            res["profile_ingest"] = _run_worker("profile_ingest", {
                "home": str(work / "profile_home"), "corpus": str(corpora[min(sizes)]), "files": args.profile_files,
                "out": str(out / "profile_ingest.txt")}, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    res["machine"]["loadavg_end"] = loadavg()
    res["total_minutes"] = (time.perf_counter() - started) / 60
    write_report(res, out)
    log(f"wrote {out / 'bench.md'} ({res['total_minutes']:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
