"""Ask a pipeline every gold item and score the answers (:func:`evaluate`), or score a finished run again from its
files alone (:func:`rescore`), so that a change of a metric or of the gold key facts needs no model.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .dataset import ROOT, UNANSWERABLE, load_gold, load_seeds
from .scoring import NOT_RUN_TEXT, ItemResult, Report, aggregate, by_category, error_scores, score_answer

__all__ = ["evaluate", "rescore"]


def evaluate(items: Sequence[dict[str, Any]], pipeline: Any, *, seeds: dict[str, str] | None = None,
             judge: Any = None, progress: bool = True, config: dict[str, Any] | None = None) -> Report:
    """Ask every item, score every answer. ``pipeline`` is anything with ``ask(question, history=...)``
    returning a :class:`rag.Answer`; ``judge`` (optional) has ``score(item, answer) -> dict``.
    An item whose ``ask`` raises is kept, scored as a failure, and listed in ``report.errors``."""
    from tqdm import tqdm

    if seeds is None:
        folder = getattr(getattr(pipeline, "settings", None), "seeds_dir", None) or ROOT / "seeds"
        seeds = load_seeds(folder)
    started = time.perf_counter()
    results: list[ItemResult] = []
    bar = tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    for item in bar:
        bar.set_postfix_str(item["id"])
        r = ItemResult(item)
        t, c = time.perf_counter(), time.process_time()
        try:
            r.answer = pipeline.ask(item["user_input"], history=item.get("history") or None)
            r.wall_ms = round((time.perf_counter() - t) * 1000, 1)
            r.cpu_ms = round((time.process_time() - c) * 1000, 1)
            r.scores = score_answer(item, r.answer, seeds)
            r.scores["wall_ms"], r.scores["cpu_ms"] = r.wall_ms, r.cpu_ms
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # an error is a failure of that item, never a silent skip
            r.wall_ms = round((time.perf_counter() - t) * 1000, 1)
            r.error = f"{type(exc).__name__}: {exc}"
            r.scores = error_scores(item, r.error)
        if judge is not None and r.answer is not None:
            try:
                r.scores.update(judge.score(item, r.answer))
            except Exception as exc:  # listed in the report, not hidden
                r.scores["judge_error"] = f"{type(exc).__name__}: {exc}"
        results.append(r)
    bar.close()
    return Report(results, aggregate(results), by_category(results), dict(config or {}),
                  seconds=round(time.perf_counter() - started, 1))


def _answer_from_record(rec: dict[str, Any]) -> Any:
    from rag.types import Answer, AnswerTrace, Chunk, Citation, Passage

    contexts = []
    for i, c in enumerate(rec.get("retrieved_contexts") or [], 1):
        n = int(str(c["chunk_id"]).rsplit("#", 1)[-1]) if "#" in str(c["chunk_id"]) else i
        chunk = Chunk(c["chunk_id"], c["source"], n, "", None, int(c["start"]), int(c["end"]), c["text"], "")
        contexts.append(Passage(chunk, rank=int(c.get("rank") or i)))
    return Answer(rec["response"], [Citation(**c) for c in rec.get("citations") or []], bool(rec["abstained"]),
                  contexts, AnswerTrace.from_dict(rec.get("metadata") or {}), rec["user_input"])


def rescore(run_dir: str | Path, gold: Sequence[dict[str, Any]] | None = None,
            seeds: dict[str, str] | None = None) -> Report:
    """Score a finished run again (``results.jsonl`` of ``run_dir``) with the current metrics, without asking the
    pipeline: for a change of the metrics or of the gold set's key facts."""
    run_dir = Path(run_dir)
    by_id = {it["id"]: it for it in (gold if gold is not None else load_gold())}
    seeds = seeds if seeds is not None else load_seeds(ROOT / "seeds")
    results = []
    for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        item = by_id.get(rec["id"]) or {k: rec[k] for k in ("id", "category", "user_input", "reference",
                                                             "reference_contexts", "key_facts")}
        item.setdefault("answerable", item["category"] not in UNANSWERABLE)
        item.setdefault("history", rec.get("history", []))
        meta = rec.get("metadata") or {}
        r = ItemResult(item, wall_ms=meta.get("wall_ms"), cpu_ms=meta.get("cpu_ms"))
        if rec.get("error"):
            r.error = rec["error"]
            r.scores = error_scores(item, r.error)
        else:
            r.answer = _answer_from_record(rec)
            r.scores = score_answer(item, r.answer, seeds)
            r.scores["wall_ms"], r.scores["cpu_ms"] = r.wall_ms, r.cpu_ms
        for k in ("judge_faithfulness", "judge_correctness", "judge_error"):
            if k in (rec.get("scores") or {}):
                r.scores[k] = rec["scores"][k]
        results.append(r)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    report = Report(results, aggregate(results), by_category(results), summary.get("config", {}),
                    judge_status=summary.get("judge", NOT_RUN_TEXT), seconds=summary.get("seconds", 0.0),
                    setup_seconds=summary.get("setup_seconds", 0.0), run_id=summary.get("run_id", run_dir.name),
                    full_run=bool(summary.get("full_run")))
    report.config["rescored"] = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return report
