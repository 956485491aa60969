"""The README's headline figures on this machine: ingest time for seeds/, retrieval and answer latency on the
default pipeline, peak RSS. ``python -m evals.spine_figures [--answers N]`` prints a Markdown table.

A script, not a test: timings are reported, never asserted."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.spine_figures")
    parser.add_argument("--answers", type=int, default=20, help="questions answered end to end")
    args = parser.parse_args(argv)

    from rag import Pipeline, Settings

    items = [json.loads(line) for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    questions = [i["user_input"] for i in items if not i["history"]]
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        p = Pipeline(Settings.from_env({"RAG_HOME": home, "RAG_SEEDS_DIR": str(ROOT / "seeds")}))
        report = p.ingest([ROOT / "seeds"])
        ingest_s = time.perf_counter() - t0  # includes loading the embedding model
        again = time.perf_counter()
        p.ingest([ROOT / "seeds"])
        reingest_s = time.perf_counter() - again
        p.search("warm up")
        retrieval = []
        for q in questions:
            t = time.perf_counter()
            p.search(q)
            retrieval.append((time.perf_counter() - t) * 1000)
        p.ask("When was the NATO-Russia Council meeting scheduled?")  # loads the model once
        answers, first, model_first = [], [], []
        for q in questions[: args.answers]:
            t = time.perf_counter()
            got_first = None
            for event in p.stream(q):
                if event.kind == "delta" and got_first is None:
                    got_first = time.perf_counter() - t
                if event.kind == "answer" and "first_token_ms" in event.answer.metadata:
                    model_first.append(event.answer.metadata["first_token_ms"] / 1000)
            answers.append(time.perf_counter() - t)
            first.append(got_first if got_first is not None else answers[-1])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("ingest `seeds/` (5 files, %d chunks), cold, incl. model load" % report.chunks_total, f"{ingest_s:.2f} s"),
        ("re-ingest `seeds/` (all unchanged)", f"{reingest_s * 1000:.0f} ms"),
        (f"retrieval p50 / p95 ({len(retrieval)} gold questions)",
         f"{statistics.median(retrieval):.1f} / {pct(retrieval, 0.95):.1f} ms"),
        (f"first streamed text p50 / p95 ({len(first)} questions; an abstention streams at once)",
         f"{statistics.median(first):.2f} / {pct(first, 0.95):.2f} s"),
        (f"first model token p50 / p95 ({len(model_first)} questions that reached the model)",
         f"{statistics.median(model_first):.2f} / {pct(model_first, 0.95):.2f} s"),
        (f"cited answer p50 / p95 ({len(answers)} questions, default local model, auto mode)",
         f"{statistics.median(answers):.2f} / {pct(answers, 0.95):.2f} s"),
        ("peak RSS (index, embeddings, BM25, LLM loaded)", f"{rss_mb:.0f} MB"),
    ]
    print("| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
