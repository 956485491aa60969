"""The faithfulness eval and its CI gate: ``rag eval`` / ``python -m evals.run``.

Runs ``pipeline.ask(item["user_input"], history=item["history"])`` for every item of each gold set and scores each
answer: retrieval hit@k and MRR, key-fact recall, ALCE citation recall and precision with the eval's own support
judgement, fabricated citations, abstention accuracy, false abstention, latency (:mod:`evals.metrics`), and the
answer's form: words, citations per answer, answer relevance, token F1 and ROUGE-L against the gold reference,
extractive share, headlines or questions quoted (:mod:`evals.answer_form`). Results go to
``evals/results/[<set>/]<run-id>/`` (``report.md``, ``results.jsonl``, ``ragas.jsonl``, ``summary.json`` and two
PNG plots) and, for a full run, to ``.../latest/``.

``--check`` compares the overall figures with the floors, maxima and waivers of the set's ``thresholds.toml`` and,
for a full run with the same backend, model and answer mode, with its baseline (a drop larger than the tolerance
fails), and exits 1 naming each failing metric.

    rag eval                                   # the default pipeline (local model, auto mode), fresh index
    rag eval --check                           # ... and the gate
    rag eval --limit 15 --answer-mode extractive
    rag eval --category unanswerable --out /tmp/run
    rag eval --update-baseline                 # accept this full run's figures as the new baseline
    RAG_LLM=openai OPENAI_BASE_URL=... OPENAI_API_KEY=... rag eval   # another backend
    OPENAI_API_KEY=... rag eval --judge        # also the optional LLM judge (faithfulness, correctness)
    rag eval --rescore evals/results/latest    # score a finished run again after a metric change (no asking)

From Python: ``report = evaluate(items, pipeline)`` takes any object with ``ask(question, history=...)`` that
returns a :class:`rag.Answer`; ``check(report, thresholds, baseline)`` returns the list of failures.

This module is the stable entry point; the code lives in :mod:`evals.dataset` (gold sets), :mod:`evals.scoring`
(per-item scores, aggregates), :mod:`evals.runner` (asking, re-scoring), :mod:`evals.gate` (floors, waivers,
baseline), :mod:`evals.report` and :mod:`evals.ragas_export` (outputs) and :mod:`evals.cli` (the command).
"""

from __future__ import annotations

import sys

from .cli import build_pipeline, main
from .dataset import (BASELINE, CATEGORIES, GOLD, RESULTS, SETS, THRESHOLDS, EvalSet, load_gold, load_seeds,
                      select_items)
from .gate import (DIRECTIONS, Failure, baseline_applies, baseline_payload, check, load_baseline, load_thresholds,
                   unmeasured, waived)
from .ragas_export import write_ragas
from .report import render_report, write_outputs
from .runner import evaluate, rescore
from .scoring import ItemResult, Report, aggregate, score_answer

__all__ = ["main", "evaluate", "rescore", "check", "waived", "unmeasured", "Report", "ItemResult", "Failure",
           "load_gold", "load_seeds", "select_items", "load_thresholds", "load_baseline", "write_outputs",
           "write_ragas", "render_report", "score_answer", "aggregate", "build_pipeline", "baseline_payload",
           "baseline_applies", "EvalSet", "SETS", "GOLD", "THRESHOLDS", "BASELINE", "RESULTS", "CATEGORIES",
           "DIRECTIONS"]

if __name__ == "__main__":
    sys.exit(main())
