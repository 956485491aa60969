"""The faithfulness eval and its CI gate: ``rag eval`` / ``python -m evals.run``.

Runs ``pipeline.ask(item["user_input"], history=item["history"])`` for every item of ``evals/gold.jsonl`` and
scores each answer with :mod:`evals.metrics` (retrieval hit@k and MRR, key-fact recall, ALCE citation recall and
precision with the eval's own support judgement, fabricated citations, abstention accuracy, false abstention,
latency). Results go to ``evals/results/<run-id>/`` (``report.md``, ``results.jsonl``, ``ragas.jsonl``,
``summary.json`` and two PNG plots) and, for a full run, to ``evals/results/latest/``.

``--check`` compares the overall figures with the floors and maxima of ``evals/thresholds.toml`` and, for a full run
with the same backend, model and answer mode, with ``evals/baseline.json`` (a drop larger than the tolerance fails),
and exits 1 naming each failing metric.

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
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import metrics as M

__all__ = ["main", "evaluate", "check", "Report", "Failure", "load_gold", "select_items", "load_thresholds",
           "load_baseline", "write_outputs", "score_answer", "aggregate", "build_pipeline", "baseline_payload",
           "GOLD", "THRESHOLDS", "BASELINE", "RESULTS", "CATEGORIES", "DIRECTIONS"]

EVALS = Path(__file__).resolve().parent
ROOT = EVALS.parent
GOLD = EVALS / "gold.jsonl"
THRESHOLDS = EVALS / "thresholds.toml"
BASELINE = EVALS / "baseline.json"
RESULTS = EVALS / "results"
CATEGORIES = ["single_fact", "number_date", "list", "multi_article", "follow_up", "yes_no", "why_how", "typo",
              "lowercase", "unanswerable", "injection"]


@dataclass(frozen=True)
class EvalSet:
    """A gold set, the corpus it is asked against, and its own floors and baseline."""
    name: str
    gold: Path
    corpus: Path | None  # None: the settings' seeds folder
    thresholds: Path
    baseline: Path
    corpus_filter: str | None = None  # keep only items whose "corpus" field is this

    def items(self) -> list[dict[str, Any]]:
        rows = load_gold(self.gold)
        return [r for r in rows if self.corpus_filter is None or r.get("corpus") == self.corpus_filter]

    @property
    def results(self) -> Path:
        return RESULTS if self.name == "seeds" else RESULTS / self.name
UNANSWERABLE = ("unanswerable", "injection")

# Which way is better, for every metric the gate or the baseline can hold.
DIRECTIONS = {
    "hit_at_1": "higher", "hit_at_3": "higher", "hit_at_5": "higher", "mrr": "higher", "source_recall_at_5": "higher",
    "key_fact_recall": "higher", "citation_recall": "higher", "citation_precision": "higher",
    "abstention_accuracy": "higher", "false_abstention": "lower", "fabricated_citations": "lower",
    "abstention_with_citations": "lower", "errors": "lower", "refused_legitimate": "lower",
}
LABELS = {
    "hit_at_1": "hit@1", "hit_at_3": "hit@3", "hit_at_5": "hit@5", "mrr": "MRR",
    "source_recall_at_5": "source recall@5", "key_fact_recall": "key-fact recall",
    "citation_recall": "citation recall", "citation_precision": "citation precision",
    "fabricated_citations": "fabricated citations", "abstention_accuracy": "abstention accuracy",
    "false_abstention": "false abstention", "abstention_with_citations": "abstentions with citations",
    "errors": "errors", "refused_legitimate": "legitimate questions refused", "latency_p50_s": "latency p50 (s)", "latency_p95_s": "latency p95 (s)",
    "first_token_p50_s": "first token p50 (s)", "first_token_p95_s": "first token p95 (s)",
    "cpu_p50_s": "CPU time p50 (s)", "cpu_p95_s": "CPU time p95 (s)",
    "judge_faithfulness": "LLM judge faithfulness", "judge_correctness": "LLM judge correctness",
}
SUMMARY_ORDER = ["citation_precision", "citation_recall", "fabricated_citations", "abstention_accuracy",
                 "false_abstention", "abstention_with_citations", "hit_at_5", "hit_at_1", "mrr", "source_recall_at_5",
                 "key_fact_recall", "refused_legitimate", "errors", "latency_p50_s", "latency_p95_s", "first_token_p50_s",
                 "first_token_p95_s", "cpu_p50_s", "cpu_p95_s", "judge_faithfulness", "judge_correctness"]
NOT_RUN_TEXT = "LLM judge: not run (no endpoint configured)"
COUNT_METRICS = {"fabricated_citations", "abstention_with_citations", "errors", "refused_legitimate"}


NEWS = EVALS / "news"
SETS = {
    "seeds": EvalSet("seeds", GOLD, None, THRESHOLDS, BASELINE),
    # news the project was not built on: 27 articles in 9 domains and house styles (evals/news/README.md)
    "news": EvalSet("news", NEWS / "gold.jsonl", NEWS / "articles", NEWS / "thresholds.toml", NEWS / "baseline.json",
                    "articles"),
    # the same entities with every asked fact removed: every item must abstain
    "news-distractors": EvalSet("news-distractors", NEWS / "gold.jsonl", NEWS / "distractors",
                                NEWS / "thresholds_distractors.toml", NEWS / "baseline_distractors.json",
                                "distractors"),
}


# -- gold items ---------------------------------------------------------------------------------------------------

def load_gold(path: str | Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def select_items(items: Sequence[dict[str, Any]], limit: int | None = None,
                 category: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Filter by category, then keep ``limit`` items taken round-robin over the categories (gold order within
    each), so a small subset still covers every category."""
    cats = [category] if isinstance(category, str) else list(category or [])
    pool = [it for it in items if not cats or it["category"] in cats]
    if limit is None or limit >= len(pool):
        return list(pool)
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in pool:
        by_cat[it["category"]].append(it)
    order = [c for c in CATEGORIES if c in by_cat] + [c for c in by_cat if c not in CATEGORIES]
    picked: list[dict[str, Any]] = []
    i = 0
    while len(picked) < limit:
        for c in order:
            if i < len(by_cat[c]) and len(picked) < limit:
                picked.append(by_cat[c][i])
        i += 1
    ids = {it["id"] for it in picked}
    return [it for it in pool if it["id"] in ids]


def load_seeds(folder: str | Path) -> dict[str, str]:
    """File name → original text, read byte-exact (citations' offsets point into this)."""
    folder = Path(folder)
    return {p.name: p.read_bytes().decode("utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


# -- scoring ------------------------------------------------------------------------------------------------------

@dataclass
class ItemResult:
    item: dict[str, Any]
    answer: Any = None
    error: str | None = None
    wall_ms: float | None = None
    cpu_ms: float | None = None
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.item["id"]

    @property
    def category(self) -> str:
        return self.item["category"]

    def to_record(self) -> dict[str, Any]:
        a = self.answer
        return {
            "id": self.id,
            "category": self.category,
            "user_input": self.item["user_input"],
            "history": self.item.get("history", []),
            "response": a.text if a is not None else None,
            "abstained": a.abstained if a is not None else None,
            "citations": [c.to_dict() for c in a.citations] if a is not None else [],
            "retrieved_contexts": [
                {"rank": p.rank or i, "chunk_id": p.id, "source": p.source, "start": p.start, "end": p.end,
                 "text": p.text} for i, p in enumerate(a.contexts, 1)
            ] if a is not None else [],
            "reference": self.item["reference"],
            "reference_contexts": self.item["reference_contexts"],
            "key_facts": self.item["key_facts"],
            "error": self.error,
            "scores": self.scores,
            "metadata": {**(dict(a.metadata) if a is not None else {}), "wall_ms": self.wall_ms,
                         "cpu_ms": self.cpu_ms},
        }

    def to_ragas(self) -> dict[str, Any]:
        """One row of ragas' ``EvaluationDataset`` (``SingleTurnSample`` fields).

        ``retrieved_contexts`` / ``retrieved_context_ids``: the retrieved passages' chunk texts and chunk ids
        (``<file>#<n>``), in rank order. ``reference_contexts``: the gold quotes; ``reference_context_ids``: one
        id per quote, in the same order, in the same id space: the first retrieved chunk of the quote's file
        whose text holds the quote (whitespace-normalised), or ``<file>#unretrieved-<i>`` when none does (a
        miss for ragas' ID-based recall). Unanswerable items have no reference context: their rows carry no
        ``reference_contexts`` / ``reference_context_ids`` keys (see :func:`write_ragas`)."""
        a = self.answer
        contexts = list(a.contexts) if a is not None else []
        row: dict[str, Any] = {
            "user_input": self.item["user_input"],
            "retrieved_contexts": [p.text for p in contexts],
            "retrieved_context_ids": [p.id for p in contexts],
            "response": a.text if a is not None else "",
            "reference": self.item["reference"],
        }
        references = self.item["reference_contexts"]
        if references:
            row["reference_contexts"] = [rc["quote"] for rc in references]
            row["reference_context_ids"] = [_reference_id(rc, i, contexts) for i, rc in enumerate(references, 1)]
        return row


def _squash(text: str) -> str:
    return " ".join(text.split())


def _reference_id(reference: dict[str, Any], i: int, contexts: Sequence[Any]) -> str:
    quote = _squash(reference["quote"])
    for p in contexts:
        if p.source == reference["source"] and quote in _squash(p.text):
            return p.id
    return f"{reference['source']}#unretrieved-{i}"


def write_ragas(results: Sequence["ItemResult"], out: Path) -> dict[str, int]:
    """The ragas export. ``ragas.jsonl``: every item ragas' context metrics can score, i.e. an answerable gold
    item whose answer came with retrieved passages, so that none of ``retrieved_contexts``,
    ``retrieved_context_ids``, ``reference_contexts`` and ``reference_context_ids`` is ever an empty list
    (ragas' non-LLM context precision and recall take a max over each). ``ragas_unanswerable.jsonl``: the
    unanswerable items (no reference context exists; ``reference`` is the expected abstention), for ragas'
    response metrics only. An item that failed with an error is in ``results.jsonl`` only."""
    rows = [r.to_ragas() for r in results]
    scored = [row for row in rows if row.get("reference_contexts") and row["retrieved_contexts"]]
    unanswerable = [row for row in rows if "reference_contexts" not in row]
    for name, part in (("ragas.jsonl", scored), ("ragas_unanswerable.jsonl", unanswerable)):
        with open(out / name, "w", encoding="utf-8") as fh:
            for row in part:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"scored": len(scored), "unanswerable": len(unanswerable), "left_out": len(rows) - len(scored) - len(unanswerable)}


def score_answer(item: dict[str, Any], answer: Any, seeds: dict[str, str]) -> dict[str, Any]:
    """Every per-item score (``None`` where a metric doesn't apply to the item)."""
    answerable = bool(item["answerable"])
    s: dict[str, Any] = {"answerable": answerable, "abstained": bool(answer.abstained), "error": False}
    sources = [p.source for p in answer.contexts]
    gold = [rc["source"] for rc in item["reference_contexts"]]
    if answerable:
        s.update(M.retrieval_scores(gold, sources))
        s["key_fact_recall"] = M.key_fact_recall(answer.text, item["key_facts"])
        s["false_abstention"] = float(answer.abstained)
        s["abstention_correct"] = not answer.abstained
    else:
        s["abstention_correct"] = bool(answer.abstained)
    fabricated = M.fabricated_citations(answer.text, answer.citations, seeds)
    s["fabricated_citations"] = len(fabricated)
    s["fabricated"] = fabricated
    s["abstention_with_citations"] = int(M.abstention_violation(answer.text, answer.citations, answer.abstained))
    if not answer.abstained:
        quotes = {c.n: c.quote for c in answer.citations}
        cs = M.score_citations(answer.text, quotes)
        s["citation_recall"] = cs.recall
        s["citation_precision"] = cs.precision
        s["citation_links"] = cs.links
        s["sentences"] = [x.to_dict() for x in cs.sentences]
    first = (answer.metadata or {}).get("first_token_ms")
    s["first_token_ms"] = first
    s["extractive"] = (answer.metadata or {}).get("extractive")
    s["refused"] = bool((answer.metadata or {}).get("refusal"))
    return s


def _error_scores(item: dict[str, Any], error: str) -> dict[str, Any]:
    """An item whose ask() raised: it fails everything that applies to it."""
    s: dict[str, Any] = {"answerable": bool(item["answerable"]), "abstained": None, "error": True,
                         "error_message": error, "abstention_correct": False, "fabricated_citations": 0,
                         "abstention_with_citations": 0}
    if item["answerable"]:
        s.update({"hit_at_1": 0.0, "hit_at_3": 0.0, "hit_at_5": 0.0, "mrr": 0.0, "source_recall_at_5": 0.0,
                  "key_fact_recall": 0.0, "false_abstention": 1.0})
    return s


def _mean(values: Iterable[Any]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def aggregate(results: Sequence[ItemResult]) -> dict[str, Any]:
    """Overall figures of a set of item results (``None`` where nothing applies)."""
    answerable = [r for r in results if r.item["answerable"]]
    unanswerable = [r for r in results if not r.item["answerable"]]
    answered = [r for r in results if not r.scores.get("error") and not r.scores.get("abstained")]
    out: dict[str, Any] = {"n_items": len(results), "n_answerable": len(answerable),
                           "n_unanswerable": len(unanswerable), "n_answered": len(answered)}
    for k in ("hit_at_1", "hit_at_3", "hit_at_5", "mrr", "source_recall_at_5", "key_fact_recall", "false_abstention"):
        out[k] = _mean(r.scores.get(k) for r in answerable)
    out["citation_recall"] = _mean(r.scores.get("citation_recall") for r in answered)
    out["citation_precision"] = _mean(r.scores.get("citation_precision") for r in answered)
    out["fabricated_citations"] = sum(r.scores.get("fabricated_citations", 0) for r in results)
    out["abstention_accuracy"] = _mean(float(r.scores["abstention_correct"]) for r in unanswerable)
    out["abstention_with_citations"] = sum(r.scores.get("abstention_with_citations", 0) for r in results)
    out["errors"] = sum(1 for r in results if r.scores.get("error"))
    out["refused_legitimate"] = sum(1 for r in answerable if r.scores.get("refused"))
    walls = [r.wall_ms / 1000 for r in results if r.wall_ms is not None and not r.scores.get("error")]
    firsts = [r.scores["first_token_ms"] / 1000 for r in results if r.scores.get("first_token_ms") is not None]
    out["latency_p50_s"] = M.percentile(walls, 50)
    out["latency_p95_s"] = M.percentile(walls, 95)
    cpus = [r.cpu_ms / 1000 for r in results if r.cpu_ms is not None and not r.scores.get("error")]
    out["cpu_p50_s"] = M.percentile(cpus, 50)
    out["cpu_p95_s"] = M.percentile(cpus, 95)
    out["first_token_p50_s"] = M.percentile(firsts, 50)
    out["first_token_p95_s"] = M.percentile(firsts, 95)
    out["extractive_share"] = _mean(float(bool(r.scores.get("extractive"))) for r in answered)
    judged = [r for r in results if "judge_faithfulness" in r.scores or "judge_correctness" in r.scores]
    if judged:
        out["judge_faithfulness"] = _mean(r.scores.get("judge_faithfulness") for r in judged)
        out["judge_correctness"] = _mean(r.scores.get("judge_correctness") for r in judged)
    return out


@dataclass
class Report:
    results: list[ItemResult]
    overall: dict[str, Any]
    by_category: dict[str, dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    judge_status: str = "LLM judge: not run (no endpoint configured)"  # see evals.judge.NOT_RUN
    seconds: float = 0.0
    setup_seconds: float = 0.0
    run_id: str = ""
    full_run: bool = False

    @property
    def errors(self) -> list[ItemResult]:
        return [r for r in self.results if r.scores.get("error")]

    def worst(self, n: int = 10) -> list[ItemResult]:
        return sorted(self.results, key=lambda r: (-_badness(r), r.id))[:n]


def _badness(r: ItemResult) -> float:
    s = r.scores
    if s.get("error"):
        return 100.0
    bad = 0.0 if s.get("abstention_correct") else 2.0
    for k in ("hit_at_5", "key_fact_recall", "citation_recall", "citation_precision"):
        if s.get(k) is not None:
            bad += 1.0 - s[k]
    bad += 3.0 * s.get("fabricated_citations", 0) + 3.0 * s.get("abstention_with_citations", 0)
    for k in ("judge_faithfulness", "judge_correctness"):
        if s.get(k) is not None:
            bad += 0.5 * (1.0 - s[k])
    return bad


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
            r.scores = _error_scores(item, r.error)
        if judge is not None and r.answer is not None:
            try:
                r.scores.update(judge.score(item, r.answer))
            except Exception as exc:  # listed in the report, not hidden
                r.scores["judge_error"] = f"{type(exc).__name__}: {exc}"
        results.append(r)
    bar.close()
    by_cat: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        by_cat[r.category].append(r)
        if r.item.get("abstain_kind"):
            by_cat[f"unanswerable: {r.item['abstain_kind']}"].append(r)
    order = [c for c in CATEGORIES if c in by_cat] + sorted(c for c in by_cat if c not in CATEGORIES)
    return Report(results, aggregate(results), {c: aggregate(by_cat[c]) for c in order}, dict(config or {}),
                  seconds=round(time.perf_counter() - started, 1))


def _answer_from_record(rec: dict[str, Any]) -> Any:
    from rag.types import Answer, Chunk, Citation, Passage

    contexts = []
    for i, c in enumerate(rec.get("retrieved_contexts") or [], 1):
        n = int(str(c["chunk_id"]).rsplit("#", 1)[-1]) if "#" in str(c["chunk_id"]) else i
        chunk = Chunk(c["chunk_id"], c["source"], n, "", None, int(c["start"]), int(c["end"]), c["text"], "")
        contexts.append(Passage(chunk, rank=int(c.get("rank") or i)))
    meta = {k: v for k, v in (rec.get("metadata") or {}).items() if k not in ("wall_ms", "cpu_ms")}
    return Answer(rec["response"], [Citation(**c) for c in rec.get("citations") or []], bool(rec["abstained"]),
                  contexts, meta, rec["user_input"])


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
            r.scores = _error_scores(item, r.error)
        else:
            r.answer = _answer_from_record(rec)
            r.scores = score_answer(item, r.answer, seeds)
            r.scores["wall_ms"], r.scores["cpu_ms"] = r.wall_ms, r.cpu_ms
        for k in ("judge_faithfulness", "judge_correctness", "judge_error"):
            if k in (rec.get("scores") or {}):
                r.scores[k] = rec["scores"][k]
        results.append(r)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    by_cat: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        by_cat[r.category].append(r)
        if r.item.get("abstain_kind"):
            by_cat[f"unanswerable: {r.item['abstain_kind']}"].append(r)
    order = [c for c in CATEGORIES if c in by_cat] + sorted(c for c in by_cat if c not in CATEGORIES)
    report = Report(results, aggregate(results), {c: aggregate(by_cat[c]) for c in order}, summary.get("config", {}),
                    judge_status=summary.get("judge", NOT_RUN_TEXT), seconds=summary.get("seconds", 0.0),
                    setup_seconds=summary.get("setup_seconds", 0.0), run_id=summary.get("run_id", run_dir.name),
                    full_run=bool(summary.get("full_run")))
    report.config["rescored"] = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return report


# -- the gate -----------------------------------------------------------------------------------------------------

@dataclass
class Failure:
    metric: str
    kind: str  # "floor" | "max" | "baseline"
    value: float
    limit: float
    message: str

    def __str__(self) -> str:
        return self.message


def load_thresholds(path: str | Path = THRESHOLDS) -> dict[str, Any]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {"min": dict(data.get("min", {})), "max": dict(data.get("max", {})),
            "tolerance": float(data.get("tolerance", 0.0)), "waivers": dict(data.get("waivers", {}))}


def load_baseline(path: str | Path = BASELINE) -> dict[str, Any] | None:
    path = Path(path)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _fmt(v: Any, metric: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    if metric in COUNT_METRICS or isinstance(v, int):
        return f"{int(v)}"
    return f"{v:.3f}"


def check(report: Report, thresholds: dict[str, Any], baseline: dict[str, Any] | None = None) -> list[Failure]:
    """Every metric under its floor, over its maximum, or worse than the baseline by more than the tolerance.

    Metrics that don't apply to the run (``None``, e.g. abstention accuracy on a run without unanswerable items)
    are not failures; :func:`unmeasured` lists them."""
    o = report.overall
    failures: list[Failure] = []
    for metric, floor in thresholds.get("min", {}).items():
        v = o.get(metric)
        waiver = thresholds.get("waivers", {}).get(metric)
        if v is not None and v < floor - 1e-9 and not (waiver and v >= float(waiver["floor"]) - 1e-9):
            failures.append(Failure(metric, "floor", v, floor,
                                    f"{metric} = {_fmt(v, metric)} is under its floor {floor:g} by {floor - v:.3f}"))
    for metric, cap in thresholds.get("max", {}).items():
        v = o.get(metric)
        waiver = thresholds.get("waivers", {}).get(metric)
        if v is not None and v > cap + 1e-9 and not (waiver and "ceiling" in waiver
                                                      and v <= float(waiver["ceiling"]) + 1e-9):
            failures.append(Failure(metric, "max", v, cap,
                                    f"{metric} = {_fmt(v, metric)} is over its maximum {cap:g} by {v - cap:.3g}"))
    if baseline:
        tol = float(thresholds.get("tolerance", 0.0))
        for metric, base in (baseline.get("metrics") or {}).items():
            v, direction = o.get(metric), DIRECTIONS.get(metric)
            if v is None or base is None or direction is None:
                continue
            if direction == "higher" and v < base - tol - 1e-9:
                failures.append(Failure(metric, "baseline", v, base,
                                        f"{metric} = {_fmt(v, metric)} fell below the baseline {_fmt(base, metric)} "
                                        f"by {base - v:.3f} (tolerance {tol:g})"))
            elif direction == "lower" and v > base + tol + 1e-9:
                failures.append(Failure(metric, "baseline", v, base,
                                        f"{metric} = {_fmt(v, metric)} rose above the baseline {_fmt(base, metric)} "
                                        f"by {v - base:.3g} (tolerance {tol:g})"))
    return failures


def waived(report: Report, thresholds: dict[str, Any]) -> list[str]:
    """Metrics under their target floor but above a documented, temporary waiver floor: reported on every run."""
    out = []
    for metric, waiver in thresholds.get("waivers", {}).items():
        v, cap = report.overall.get(metric), thresholds.get("max", {}).get(metric)
        if v is not None and cap is not None and "ceiling" in waiver and cap + 1e-9 < v <= float(waiver["ceiling"]) + 1e-9:
            out.append(f"{metric} = {_fmt(v, metric)} misses its target {cap:g} by {v - cap:.3f}; WAIVED up to "
                       f"{float(waiver['ceiling']):g} ({waiver.get('reason', 'no reason given')})")
            continue
        floor = thresholds.get("min", {}).get(metric)
        if "floor" not in waiver:
            continue
        if v is not None and floor is not None and v < floor - 1e-9 and v >= float(waiver["floor"]) - 1e-9:
            out.append(f"{metric} = {_fmt(v, metric)} misses its target {floor:g} by {floor - v:.3f}; WAIVED down to "
                       f"{float(waiver['floor']):g} ({waiver.get('reason', 'no reason given')})")
    return out


def unmeasured(report: Report, thresholds: dict[str, Any]) -> list[str]:
    gated = list(thresholds.get("min", {})) + list(thresholds.get("max", {}))
    return [m for m in gated if report.overall.get(m) is None]


def baseline_payload(report: Report) -> dict[str, Any]:
    metrics = {k: report.overall.get(k) for k in DIRECTIONS if report.overall.get(k) is not None}
    return {
        "comment": "Last accepted overall figures of the full eval on the default pipeline; "
                   "write with `rag eval --update-baseline`.",
        "run_id": report.run_id,
        "config": {k: report.config.get(k) for k in ("llm", "backend", "model", "answer_mode")},
        "gold_sha256": report.config.get("gold_sha256"),
        "n_items": report.overall["n_items"],
        "metrics": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()},
    }


def baseline_applies(report: Report, baseline: dict[str, Any] | None) -> tuple[bool, str]:
    if not report.full_run:
        return False, "a subset run (--limit/--category) is not comparable with the full-run baseline"
    if not baseline:
        return False, "no baseline file"
    if baseline.get("gold_sha256") and baseline.get("gold_sha256") != report.config.get("gold_sha256"):
        return False, "the gold set changed since the baseline was written"
    want = baseline.get("config") or {}
    for key in ("llm", "model", "answer_mode"):
        if want.get(key) and want.get(key) != report.config.get(key):
            return False, f"the baseline is for {key}={want.get(key)}, this run has {report.config.get(key)}"
    return True, f"baseline run {baseline.get('run_id', '?')}"


# -- outputs ------------------------------------------------------------------------------------------------------

def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_report(report: Report, thresholds: dict[str, Any], baseline: dict[str, Any] | None,
                  failures: Sequence[Failure], baseline_note: str) -> str:
    o, cfg = report.overall, report.config
    lines = [f"# Faithfulness eval — {report.run_id or 'run'}", ""]
    lines.append(
        f"{o['n_items']} items ({o['n_answerable']} answerable, {o['n_unanswerable']} unanswerable/injection) · "
        f"backend `{cfg.get('backend', '?')}` · model `{cfg.get('model', '?')}` · answer mode "
        f"`{cfg.get('answer_mode', '?')}` · gold `{cfg.get('gold_sha256', '?')}` · "
        f"{report.seconds:.0f} s asking + {report.setup_seconds:.0f} s setup"
        + ("" if report.full_run else " · **subset run**")
        + (f" · rescored {cfg['rescored']} with the current metrics" if cfg.get("rescored") else "")
    )
    lines.append("")
    lines.append(report.judge_status)
    lines.append("")
    if o.get("extractive_share") is not None:
        why = (" (answer mode extractive: no model)" if cfg.get("answer_mode") == "extractive"
               else " (the model's draft did not survive verification)")
        lines.append(f"Answers built extractively{why}: {o['extractive_share']:.0%} of answered items.")
        lines.append("")
    verdict = "PASS" if not failures else f"FAIL ({len(failures)})"
    lines.append(f"**Gate: {verdict}** — baseline: {baseline_note}.")
    for f in failures:
        lines.append(f"- {f.message}")
    lines += ["", "## Overall", "", "| metric | value | floor / max | baseline | status |", "|---|---|---|---|---|"]
    mins, maxs = thresholds.get("min", {}), thresholds.get("max", {})
    base = (baseline or {}).get("metrics", {}) if baseline else {}
    failed = {(f.metric, f.kind) for f in failures}
    for m in SUMMARY_ORDER:
        if m not in o:
            continue
        limit = f"≥ {mins[m]:g}" if m in mins else (f"≤ {maxs[m]:g}" if m in maxs else "")
        b = _fmt(base.get(m), m) if m in base else ""
        if o[m] is None:
            status = "n/a" if (m in mins or m in maxs) else ""
        elif m in mins or m in maxs or (m in base and m in DIRECTIONS):
            bad = [k for (mm, k) in failed if mm == m]
            status = "FAIL (" + ", ".join(bad) + ")" if bad else "pass"
        else:
            status = ""
        lines.append(f"| {LABELS.get(m, m)} | {_fmt(o[m], m)} | {limit} | {b} | {status} |")
    cols = ["hit_at_5", "mrr", "key_fact_recall", "citation_recall", "citation_precision", "fabricated_citations",
            "abstention_accuracy", "false_abstention", "errors", "latency_p50_s"]
    lines += ["", "## By category", "",
              "| category | n | " + " | ".join(LABELS[c] for c in cols) + " |",
              "|---|---|" + "---|" * len(cols)]
    for cat, agg in report.by_category.items():
        lines.append(f"| {cat} | {agg['n_items']} | " + " | ".join(_fmt(agg.get(c), c) for c in cols) + " |")
    if report.errors:
        lines += ["", "## Items that raised an error (each counts as a failure)", ""]
        for r in report.errors:
            lines.append(f"- `{r.id}` ({r.category}): {_md(r.error)}")
    judge_errors = [r for r in report.results if r.scores.get("judge_error")]
    if judge_errors:
        lines += ["", "## LLM judge errors", ""]
        for r in judge_errors:
            lines.append(f"- `{r.id}`: {_md(r.scores['judge_error'])}")
    lines += ["", "## The 10 worst items", ""]
    for i, r in enumerate(report.worst(10), 1):
        s = r.scores
        lines.append(f"### {i}. `{r.id}` ({r.category})")
        lines.append("")
        for turn in r.item.get("history") or []:
            lines.append(f"> *{turn['role']}:* {_md(turn['content'])}")
            lines.append(">")
        if r.item.get("history"):
            lines[-1] = ""
        lines.append(f"**Question:** {_md(r.item['user_input'])}")
        lines.append("")
        lines.append(f"**Reference:** {_md(r.item['reference'])}")
        lines.append("")
        if r.answer is None:
            lines.append(f"**Error:** {_md(r.error)}")
        else:
            kind = "abstained" if r.answer.abstained else ("extractive" if s.get("extractive") else "LLM draft")
            lines.append(f"**Answer** ({kind}): {_md(r.answer.text)}")
            lines.append("")
            for c in r.answer.citations:
                lines.append(f"- [{c.n}] `{c.source}` {c.start}:{c.end} — “{_md(c.quote)}”")
        keys = ["abstention_correct", "hit_at_5", "mrr", "key_fact_recall", "citation_recall", "citation_precision",
                "fabricated_citations", "abstention_with_citations", "judge_faithfulness", "judge_correctness"]
        shown = ", ".join(f"{k}={_fmt(s[k], k) if not isinstance(s[k], bool) else s[k]}" for k in keys
                          if s.get(k) is not None)
        lines.append("")
        lines.append(f"Scores: {shown}; wall {(r.wall_ms or 0) / 1000:.1f} s")
        for sent in s.get("sentences") or []:
            if not sent["supported"]:
                lines.append(f"- unsupported sentence (LCS {sent['lcs']:.2f}, numbers "
                             f"{'ok' if sent['numbers_ok'] else 'missing'}, cites {sent['cited']}): "
                             f"{_md(sent['text'])}")
        for why in s.get("fabricated") or []:
            lines.append(f"- fabricated: {_md(why)}")
        lines.append("")
    lines += ["## How it is measured", "",
              "Retrieval: hit@k = a gold source file among the first k retrieved passages; MRR = 1/rank of the first "
              "passage from a gold source. Key-fact recall: share of key facts with a variant in the answer "
              "(normalised text). Citations, ALCE-style, judged independently of the pipeline's own check: a "
              "sentence (markers and added date annotations removed) is supported by its quotes when ROUGE-L's union "
              "LCS of content words (the longest common subsequence with each clause of the quotes, united) covers "
              f"≥ {M.SUPPORT_LCS:g} of the sentence's content words and every number in the sentence is in the "
              "quotes. Citation recall = supported sentences / sentences; "
              "citation precision = citation links whose quote supports the sentence (or is needed for it) / links. "
              "Fabricated = citations outside the seed files or whose seed text [start:end] is not the quote, and "
              "[n] markers without a citation. Latency: wall time around ask() (it grows with other load on the "
              "machine; the CPU time of the process during ask(), all threads, grows much less); first token from "
              "the answer's metadata. See evals/metrics.py.", ""]
    return "\n".join(lines)


def _plots(report: Report, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    cols = ["hit_at_5", "key_fact_recall", "citation_recall", "citation_precision", "abstention_accuracy",
            "false_abstention"]
    cats = list(report.by_category)
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / len(cols)
    for j, c in enumerate(cols):
        vals = [report.by_category[cat].get(c) for cat in cats]
        xs = [i + (j - (len(cols) - 1) / 2) * width for i in range(len(cats))]
        ax.bar(xs, [v if v is not None else 0 for v in vals], width, label=LABELS[c])
        for x, v in zip(xs, vals):
            if v is None:
                ax.text(x, 0.01, "n/a", rotation=90, ha="center", va="bottom", fontsize=6, color="grey")
    ax.set_xticks(range(len(cats)), [f"{c}\n(n={report.by_category[c]['n_items']})" for c in cats], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"Metrics by category — {report.config.get('model', '')} ({report.config.get('answer_mode', '')})")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.tight_layout()
    fig.savefig(out / "metrics_by_category.png", dpi=110)
    plt.close(fig)
    written.append("metrics_by_category.png")

    walls = [r.wall_ms / 1000 for r in report.results if r.wall_ms is not None]
    firsts = [r.scores["first_token_ms"] / 1000 for r in report.results if r.scores.get("first_token_ms") is not None]
    fig, ax = plt.subplots(figsize=(7, 4))
    top = max(walls + firsts + [0.1])
    bins = [top * i / 20 for i in range(21)]
    ax.hist(walls, bins=bins, alpha=0.7, label=f"answer wall time (n={len(walls)})")
    if firsts:
        ax.hist(firsts, bins=bins, alpha=0.6, label=f"first token (n={len(firsts)})")
    for q, style in ((50, "--"), (95, ":")):
        v = M.percentile(walls, q)
        if v is not None:
            ax.axvline(v, color="black", linestyle=style, linewidth=1, label=f"p{q} {v:.2f} s")
    ax.set_xlabel("seconds")
    ax.set_ylabel("items")
    ax.set_title("Latency per answer")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    written.append("latency.png")
    return written


def write_outputs(report: Report, out: str | Path, thresholds: dict[str, Any] | None = None,
                  baseline: dict[str, Any] | None = None, failures: Sequence[Failure] | None = None,
                  baseline_note: str = "not compared") -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    thresholds = thresholds if thresholds is not None else load_thresholds()
    failures = list(failures) if failures is not None else check(report, thresholds, None)
    with open(out / "results.jsonl", "w", encoding="utf-8") as fh:
        for r in report.results:
            fh.write(json.dumps(r.to_record(), ensure_ascii=False, default=str) + "\n")
    write_ragas(report.results, out)
    summary = {"run_id": report.run_id, "config": report.config, "full_run": report.full_run,
               "seconds": report.seconds, "setup_seconds": report.setup_seconds, "judge": report.judge_status,
               "overall": report.overall, "by_category": report.by_category,
               "failures": [f.message for f in failures],
               "errors": [{"id": r.id, "error": r.error} for r in report.errors]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(render_report(report, thresholds, baseline, failures, baseline_note),
                                   encoding="utf-8")
    _plots(report, out)
    return out


# -- the command --------------------------------------------------------------------------------------------------

def build_pipeline(home: str | Path | None = None, answer_mode: str | None = None, env: dict[str, str] | None = None,
                   corpus: str | Path | None = None):
    """A Pipeline from the environment's settings on its own RAG_HOME (default: a fresh temp dir) with its corpus
    (default: the seeds folder) ingested, warmed up with one untimed question. Returns (pipeline, home, created)."""
    from rag import Pipeline, Settings

    env = dict(os.environ if env is None else env)
    created = home is None
    home = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix="rag-eval-"))
    env["RAG_HOME"] = str(home)
    if corpus is not None:
        env["RAG_SEEDS_DIR"] = str(corpus)
    if answer_mode:
        env["RAG_ANSWER_MODE"] = answer_mode
    settings = Settings.from_env(env)
    pipeline = Pipeline(settings)
    pipeline.ingest([settings.seeds_dir])
    pipeline.ask("What do the articles report?")  # loads the model, embeddings and index: not timed
    return pipeline, home, created


def _config(pipeline: Any, gold_path: Path) -> dict[str, Any]:
    settings = pipeline.settings
    desc = pipeline.describe_safe() if hasattr(pipeline, "describe_safe") else {}
    cfg = {"llm": settings.llm, "answer_mode": settings.answer_mode, "backend": desc.get("backend"),
           "model": desc.get("model"), "top_k": settings.top_k, "gold": str(gold_path),
           "gold_sha256": _sha256(gold_path), "python": sys.version.split()[0]}
    if settings.llm == "openai":
        cfg["openai_base_url"] = settings.openai_base_url or "(default)"
    return cfg


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag eval", description="Run the faithfulness eval over the gold sets.")
    p.add_argument("--check", action="store_true", help="exit 1 when a metric misses its floor or the baseline")
    p.add_argument("--set", dest="sets", action="append", default=None, choices=[*SETS, "all"],
                   help="which gold set (repeatable; default all: " + ", ".join(SETS) + ")")
    p.add_argument("--limit", type=int, default=None, help="only N items, taken round-robin over the categories")
    p.add_argument("--category", action="append", default=None, choices=CATEGORIES,
                   help="only this category (repeatable)")
    p.add_argument("--out", default=None, help="output folder (default: evals/results/[<set>/]<run-id>/)")
    p.add_argument("--answer-mode", choices=["auto", "llm", "extractive"], default=None,
                   help="override RAG_ANSWER_MODE")
    p.add_argument("--judge", action="store_true", help="run the LLM judge (needs OPENAI_API_KEY; or RAG_EVAL_JUDGE=1)")
    p.add_argument("--update-baseline", action="store_true", help="write each set's baseline from this full run")
    p.add_argument("--home", default=None, help="RAG_HOME for the eval's index (default: a fresh temp dir)")
    p.add_argument("--gold", default=None, help=argparse.SUPPRESS)
    p.add_argument("--thresholds", default=None, help=argparse.SUPPRESS)
    p.add_argument("--baseline", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--rescore", metavar="RUN_DIR", default=None,
                   help="score a finished run's results.jsonl again with the current metrics (no asking); "
                        "writes into RUN_DIR unless --out is given")
    return p


def _chosen_sets(args: argparse.Namespace) -> list[EvalSet]:
    names = args.sets or (["seeds"] if args.gold or args.rescore or args.out or args.home else ["all"])
    if "all" in names:
        names = list(SETS)
    chosen = []
    for name in dict.fromkeys(names):
        es = SETS[name]
        if args.gold or args.thresholds or args.baseline:  # test hooks: one set with other files
            es = EvalSet(es.name, Path(args.gold or es.gold), es.corpus, Path(args.thresholds or es.thresholds),
                         Path(args.baseline or es.baseline), es.corpus_filter if not args.gold else None)
        chosen.append(es)
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(argv) if argv is not None else None)
    sets = _chosen_sets(args)
    if len(sets) > 1 and (args.out or args.home):
        print("error: --out/--home need a single --set.", file=sys.stderr)
        return 2
    gates: dict[str, bool] = {}
    codes = [_run_set(args, es, gates) for es in sets]
    if len(sets) > 1:
        print("gates: " + ", ".join(f"{name} {'pass' if ok else 'FAIL'}" for name, ok in gates.items()))
    return max(codes) if codes else 0


def _run_set(args: argparse.Namespace, es: EvalSet, gates: dict[str, bool] | None = None) -> int:
    from rag.errors import RagError, redact

    from .judge import make_judge

    all_items = es.items()
    items = select_items(all_items, args.limit, args.category)
    full = len(items) == len(all_items)
    if args.update_baseline and not full:
        print("error: --update-baseline needs the full gold set (drop --limit/--category).", file=sys.stderr)
        return 2
    thresholds = load_thresholds(es.thresholds)
    baseline = load_baseline(es.baseline)
    if args.rescore:
        return _rescore_main(args, all_items, thresholds, baseline, es)
    if not items:
        print(f"eval [{es.name}]: no items selected", file=sys.stderr)
        return 0
    run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else es.results / run_id
    t0 = time.perf_counter()
    home = None
    created = False
    try:
        pipeline, home, created = build_pipeline(args.home, args.answer_mode, corpus=es.corpus)
        setup = time.perf_counter() - t0
        judge, judge_status = make_judge(pipeline.settings, args.judge)
        config = _config(pipeline, es.gold)
        config["set"] = es.name
        print(f"eval [{es.name}]: {len(items)} items, backend {config['backend']}, model {config['model']}, "
              f"answer mode {config['answer_mode']}; setup {setup:.1f} s", file=sys.stderr)
        report = evaluate(items, pipeline, seeds=load_seeds(pipeline.settings.seeds_dir), judge=judge,
                          progress=not args.no_progress, config=config)
    except RagError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    finally:
        if created and home is not None:
            shutil.rmtree(home, ignore_errors=True)
    report.run_id, report.full_run, report.setup_seconds = run_id, full, round(setup, 1)
    report.judge_status = judge_status
    applies, note = baseline_applies(report, baseline)
    failures = check(report, thresholds, baseline if applies else None)
    if not applies:
        note = f"not compared ({note})"
    write_outputs(report, out, thresholds, baseline if applies else None, failures, note)
    if full and not args.out:
        latest = es.results / "latest"
        shutil.rmtree(latest, ignore_errors=True)
        shutil.copytree(out, latest)
    if args.update_baseline:
        es.baseline.write_text(json.dumps(baseline_payload(report), indent=2) + "\n", encoding="utf-8")
        print(f"baseline written to {es.baseline}", file=sys.stderr)
    print(f"== set {es.name} ==")
    _print_summary(report, thresholds, failures, note, out, time.perf_counter() - t0)
    if gates is not None:
        gates[es.name] = not failures
    if args.check:
        for m in unmeasured(report, thresholds):
            print(f"note: {m} not measured in this run (no items it applies to)")
        return 1 if failures else 0
    return 0


def _rescore_main(args: argparse.Namespace, all_items: list[dict[str, Any]], thresholds: dict[str, Any],
                  baseline: dict[str, Any] | None, es: EvalSet) -> int:
    t0 = time.perf_counter()
    report = rescore(args.rescore, all_items, load_seeds(es.corpus) if es.corpus else None)
    if args.update_baseline and not report.full_run:
        print("error: --update-baseline needs a full run.", file=sys.stderr)
        return 2
    applies, note = baseline_applies(report, baseline)
    failures = check(report, thresholds, baseline if applies else None)
    if not applies:
        note = f"not compared ({note})"
    out = Path(args.out) if args.out else Path(args.rescore)
    write_outputs(report, out, thresholds, baseline if applies else None, failures, note)
    if args.update_baseline:
        es.baseline.write_text(json.dumps(baseline_payload(report), indent=2) + "\n", encoding="utf-8")
        print(f"baseline written to {es.baseline}", file=sys.stderr)
    _print_summary(report, thresholds, failures, note, out, time.perf_counter() - t0)
    return (1 if failures else 0) if args.check else 0


def _print_summary(report: Report, thresholds: dict[str, Any], failures: Sequence[Failure], note: str, out: Path,
                   seconds: float) -> None:
    o = report.overall
    mins, maxs = thresholds.get("min", {}), thresholds.get("max", {})
    print(f"{o['n_items']} items in {seconds:.0f} s ({report.seconds:.0f} s asking); {report.judge_status}")
    for m in SUMMARY_ORDER:
        if m in o:
            limit = f"(≥ {mins[m]:g})" if m in mins else (f"(≤ {maxs[m]:g})" if m in maxs else "")
            print(f"  {LABELS.get(m, m):<28} {_fmt(o[m], m):>8} {limit}")
    for r in report.errors:
        print(f"  ERROR {r.id}: {r.error}")
    print(f"baseline: {note}")
    for w in waived(report, thresholds):
        print(f"  TARGET MISSED: {w}")
    if failures:
        print("GATE FAILED:")
        for f in failures:
            print(f"  {f.message}")
    else:
        print("gate: pass")
    print(f"report: {out / 'report.md'}")


if __name__ == "__main__":
    sys.exit(main())
