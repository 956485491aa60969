"""Scores of one answer and their aggregates over a set of answers (overall and per category).

Every per-item score is a pure function of the gold item, the answer (text, citations, abstained flag, contexts,
metadata) and the corpus texts, so a finished run's ``results.jsonl`` can be scored again without asking
(:func:`evals.runner.rescore`). The metric definitions live in :mod:`evals.metrics` (faithfulness, retrieval,
abstention) and :mod:`evals.answer_form` (length, citations, relevance, similarity to the reference).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import answer_form as F
from . import metrics as M
from .dataset import CATEGORIES, FACTOID

__all__ = ["ItemResult", "Report", "score_answer", "error_scores", "aggregate", "by_category", "NOT_RUN_TEXT"]

NOT_RUN_TEXT = "LLM judge: not run (no endpoint configured)"  # see evals.judge.NOT_RUN


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
        s.update(_form_scores(item, answer))
    first = (answer.metadata or {}).get("first_token_ms")
    s["first_token_ms"] = first
    s["extractive"] = (answer.metadata or {}).get("extractive")
    s["refused"] = bool((answer.metadata or {}).get("refusal"))
    return s


def _form_scores(item: dict[str, Any], answer: Any) -> dict[str, Any]:
    """The answer-form scores of an answered item (issue 13 point 4; :mod:`evals.answer_form`)."""
    quoted = F.headline_or_question_sentences(answer.text, answer.citations)
    s: dict[str, Any] = {
        "answer_words": F.answer_words(answer.text),
        "citations": len(answer.citations),
        "answer_relevance": F.answer_relevance(item["user_input"], answer.text, answer.citations,
                                               item.get("history")),
        "quoted_headline_or_question": len(quoted),
        "quoted": quoted,
    }
    if item["answerable"]:
        s["reference_f1"] = F.token_f1(answer.text, item["reference"])
        s["reference_rougeL"] = F.rouge_l(answer.text, item["reference"])
    return s


def error_scores(item: dict[str, Any], error: str) -> dict[str, Any]:
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
    out.update(_form_aggregates(answered))
    judged = [r for r in results if "judge_faithfulness" in r.scores or "judge_correctness" in r.scores]
    if judged:
        out["judge_faithfulness"] = _mean(r.scores.get("judge_faithfulness") for r in judged)
        out["judge_correctness"] = _mean(r.scores.get("judge_correctness") for r in judged)
    return out


def _form_aggregates(answered: Sequence[ItemResult]) -> dict[str, Any]:
    """Answer form over the answered items: medians of length, means of the rest, the count of quoted headlines."""
    factoid = [r for r in answered if r.category in FACTOID]
    single = [r for r in answered if r.category == "single_fact"]
    return {
        "answer_words": M.percentile([r.scores["answer_words"] for r in answered if "answer_words" in r.scores], 50),
        "median_words_factoid": M.percentile([r.scores["answer_words"] for r in factoid
                                              if "answer_words" in r.scores], 50),
        "citations_per_answer": _mean(r.scores.get("citations") for r in answered),
        "citations_single_fact": _mean(r.scores.get("citations") for r in single),
        "answer_relevance": _mean(r.scores.get("answer_relevance") for r in answered),
        "reference_f1": _mean(r.scores.get("reference_f1") for r in answered),
        "reference_rougeL": _mean(r.scores.get("reference_rougeL") for r in answered),
        "quoted_headline_or_question": sum(r.scores.get("quoted_headline_or_question", 0) for r in answered),
    }


def by_category(results: Sequence[ItemResult]) -> dict[str, dict[str, Any]]:
    """Aggregates per gold category (in :data:`CATEGORIES` order) and per kind of unanswerable item."""
    groups: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        groups[r.category].append(r)
        if r.item.get("abstain_kind"):
            groups[f"unanswerable: {r.item['abstain_kind']}"].append(r)
    order = [c for c in CATEGORIES if c in groups] + sorted(c for c in groups if c not in CATEGORIES)
    return {c: aggregate(groups[c]) for c in order}


@dataclass
class Report:
    results: list[ItemResult]
    overall: dict[str, Any]
    by_category: dict[str, dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    judge_status: str = NOT_RUN_TEXT
    seconds: float = 0.0
    setup_seconds: float = 0.0
    run_id: str = ""
    full_run: bool = False
    verifier_status: str = ""  # set by the CLI: the verifier's figures are not of this run's answers

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
