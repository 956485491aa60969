"""What a run writes: ``results.jsonl``, ``summary.json``, ``report.md``, the ragas export and two PNG plots.

Every figure in the report comes from the run's :class:`evals.scoring.Report` or from the code's own constants
(``SUPPORT_LCS``); the prose holds no measured number of its own, so it cannot go stale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import metrics as M
from .dataset import FACTOID
from .gate import DIRECTIONS, Failure, check, fmt, load_thresholds, waived
from .ragas_export import write_ragas
from .scoring import Report

__all__ = ["render_report", "write_outputs", "LABELS", "SUMMARY_ORDER", "FORM_COLUMNS"]

LABELS = {
    "hit_at_1": "hit@1", "hit_at_3": "hit@3", "hit_at_5": "hit@5", "mrr": "MRR",
    "source_recall_at_5": "source recall@5", "key_fact_recall": "key-fact recall",
    "citation_recall": "citation recall", "citation_precision": "citation precision",
    "fabricated_citations": "fabricated citations", "abstention_accuracy": "abstention accuracy",
    "false_abstention": "false abstention", "abstention_with_citations": "abstentions with citations",
    "errors": "errors", "refused_legitimate": "legitimate questions refused", "latency_p50_s": "latency p50 (s)",
    "latency_p95_s": "latency p95 (s)", "first_token_p50_s": "first token p50 (s)",
    "first_token_p95_s": "first token p95 (s)", "cpu_p50_s": "CPU time p50 (s)", "cpu_p95_s": "CPU time p95 (s)",
    "judge_faithfulness": "LLM judge faithfulness", "judge_correctness": "LLM judge correctness",
    "answer_words": "answer words (median)", "median_words_factoid": "words, single-fact + number/date (median)",
    "citations_per_answer": "citations per answer", "citations_single_fact": "citations per single-fact answer",
    "answer_relevance": "answer relevance", "reference_f1": "reference token F1",
    "reference_rougeL": "reference ROUGE-L", "extractive_share": "extractive share",
    "quoted_headline_or_question": "headlines/questions quoted", "verifier_precision": "verifier precision",
    "verifier_recall": "verifier recall", "verifier_pairs": "verifier pairs", "n_answered": "answered",
}
SUMMARY_ORDER = ["citation_precision", "citation_recall", "fabricated_citations", "abstention_accuracy",
                 "false_abstention", "abstention_with_citations", "hit_at_5", "hit_at_1", "mrr", "source_recall_at_5",
                 "key_fact_recall", "refused_legitimate", "errors", "answer_words", "median_words_factoid",
                 "citations_per_answer", "citations_single_fact", "answer_relevance", "reference_f1",
                 "reference_rougeL", "extractive_share", "quoted_headline_or_question", "verifier_precision",
                 "verifier_recall", "verifier_pairs", "latency_p50_s", "latency_p95_s", "first_token_p50_s",
                 "first_token_p95_s", "cpu_p50_s", "cpu_p95_s", "judge_faithfulness", "judge_correctness"]
CATEGORY_COLUMNS = ["hit_at_5", "mrr", "key_fact_recall", "citation_recall", "citation_precision",
                    "fabricated_citations", "abstention_accuracy", "false_abstention", "errors", "latency_p50_s"]
FORM_COLUMNS = ["n_answered", "answer_words", "citations_per_answer", "answer_relevance", "reference_f1",
                "reference_rougeL", "extractive_share", "quoted_headline_or_question"]
WORST_KEYS = ["abstention_correct", "hit_at_5", "mrr", "key_fact_recall", "citation_recall", "citation_precision",
              "fabricated_citations", "abstention_with_citations", "answer_words", "answer_relevance",
              "reference_f1", "judge_faithfulness", "judge_correctness"]


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _limit(m: str, mins: dict[str, Any], maxs: dict[str, Any]) -> str:
    return f"≥ {mins[m]:g}" if m in mins else (f"≤ {maxs[m]:g}" if m in maxs else "")


def _overall_table(report: Report, thresholds: dict[str, Any], baseline: dict[str, Any] | None,
                   failures: Sequence[Failure]) -> list[str]:
    o = report.overall
    lines = ["| metric | value | floor / max | baseline | status |", "|---|---|---|---|---|"]
    mins, maxs = thresholds.get("min", {}), thresholds.get("max", {})
    base = (baseline or {}).get("metrics", {}) if baseline else {}
    failed = {(f.metric, f.kind) for f in failures}
    missed = {w.split(" = ", 1)[0] for w in waived(report, thresholds)}
    for m in SUMMARY_ORDER:
        if m not in o:
            continue
        b = fmt(base.get(m), m) if m in base else ""
        value = "not measured" if o[m] is None and m.startswith("verifier_") else fmt(o[m], m)
        if o[m] is None:
            status = ("not measured" if m.startswith("verifier_") else "n/a") if (m in mins or m in maxs) else ""
        elif m in mins or m in maxs or (m in base and m in DIRECTIONS):
            bad = [k for (mm, k) in failed if mm == m]
            status = "FAIL (" + ", ".join(bad) + ")" if bad else ("target missed, waived" if m in missed else "pass")
        else:
            status = ""
        lines.append(f"| {LABELS.get(m, m)} | {value} | {_limit(m, mins, maxs)} | {b} | {status} |")
    return lines


def _category_table(report: Report, cols: Sequence[str]) -> list[str]:
    lines = ["| category | n | " + " | ".join(LABELS.get(c, c) for c in cols) + " |", "|---|---|" + "---|" * len(cols)]
    for cat, agg in report.by_category.items():
        lines.append(f"| {cat} | {agg['n_items']} | " + " | ".join(fmt(agg.get(c), c) for c in cols) + " |")
    return lines


def _worst(report: Report, n: int) -> list[str]:
    lines = [f"## The {n} worst items", ""]
    for i, r in enumerate(report.worst(n), 1):
        s = r.scores
        lines += [f"### {i}. `{r.id}` ({r.category})", ""]
        for turn in r.item.get("history") or []:
            lines += [f"> *{turn['role']}:* {_md(turn['content'])}", ">"]
        if r.item.get("history"):
            lines[-1] = ""
        lines += [f"**Question:** {_md(r.item['user_input'])}", "", f"**Reference:** {_md(r.item['reference'])}", ""]
        if r.answer is None:
            lines.append(f"**Error:** {_md(r.error)}")
        else:
            kind = "abstained" if r.answer.abstained else ("extractive" if s.get("extractive") else "LLM draft")
            lines += [f"**Answer** ({kind}): {_md(r.answer.text)}", ""]
            for c in r.answer.citations:
                lines.append(f"- [{c.n}] `{c.source}` {c.start}:{c.end} — “{_md(c.quote)}”")
        shown = ", ".join(f"{k}={fmt(s[k], k) if not isinstance(s[k], bool) else s[k]}" for k in WORST_KEYS
                          if s.get(k) is not None)
        lines += ["", f"Scores: {shown}; wall {(r.wall_ms or 0) / 1000:.1f} s"]
        for sent in s.get("sentences") or []:
            if not sent["supported"]:
                lines.append(f"- unsupported sentence (LCS {sent['lcs']:.2f}, numbers "
                             f"{'ok' if sent['numbers_ok'] else 'missing'}, cites {sent['cited']}): "
                             f"{_md(sent['text'])}")
        for why in s.get("fabricated") or []:
            lines.append(f"- fabricated: {_md(why)}")
        for quoted in s.get("quoted") or []:
            lines.append(f"- headline or question as an answer sentence: {_md(quoted)}")
        lines.append("")
    return lines


def _how_measured() -> list[str]:
    factoid = " and ".join(f"`{c}`" for c in FACTOID)
    return [
        "## How it is measured", "",
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
        "the answer's metadata. See evals/metrics.py.", "",
        "Answer form, over answered items (evals/answer_form.py): words = words of the answer without its [n] "
        f"markers (median; the factoid median over {factoid}); citations per answer (mean; and over "
        "`single_fact` answers); answer relevance = share of the answer's sentences that address the question: "
        "a sentence addresses it when it holds one of the question's relation words (lemmas of what it asks "
        "about, not its names; derivations count), or, for a question that has none, names one of the "
        "question's names and, for a question asking for a date, number, amount, share, duration, person or "
        "place, holds a value of that kind, or, for a question asking for a date, number, amount, share or "
        "duration, names one of its names and holds such a value; reference F1 / ROUGE-L = SQuAD token F1 and ROUGE-L F between the "
        "answer and the gold reference (lowercase, no punctuation, no articles, no [n]), answerable items only; "
        "extractive share = answered items whose metadata says extractive; headlines/questions quoted = answer "
        "sentences equal to a cited article's title or ending with \"?\". The verifier's precision and recall "
        "are measured on its labelled pairs (evals/verifier/pairs.jsonl), not on this run's answers.", ""]


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
    lines += ["", report.judge_status, ""]
    if report.verifier_status:
        lines += [report.verifier_status, ""]
    if o.get("extractive_share") is not None:
        why = (" (answer mode extractive: no model)" if cfg.get("answer_mode") == "extractive"
               else " (the model's draft did not survive verification)")
        lines += [f"Answers built extractively{why}: {o['extractive_share']:.0%} of answered items.", ""]
    verdict = "PASS" if not failures else f"FAIL ({len(failures)})"
    lines.append(f"**Gate: {verdict}** — baseline: {baseline_note}.")
    lines += [f"- {f.message}" for f in failures]
    lines += [f"- TARGET MISSED: {w}" for w in waived(report, thresholds)]
    lines += ["", "## Overall", ""] + _overall_table(report, thresholds, baseline, failures)
    lines += ["", "## By category", ""] + _category_table(report, CATEGORY_COLUMNS)
    lines += ["", "## Answer form by category (answered items)", ""] + _category_table(report, FORM_COLUMNS)
    if report.errors:
        lines += ["", "## Items that raised an error (each counts as a failure)", ""]
        lines += [f"- `{r.id}` ({r.category}): {_md(r.error)}" for r in report.errors]
    judge_errors = [r for r in report.results if r.scores.get("judge_error")]
    if judge_errors:
        lines += ["", "## LLM judge errors", ""]
        lines += [f"- `{r.id}`: {_md(r.scores['judge_error'])}" for r in judge_errors]
    lines += [""] + _worst(report, 10) + _how_measured()
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
               "verifier": report.verifier_status or None, "overall": report.overall,
               "by_category": report.by_category, "failures": [f.message for f in failures],
               "errors": [{"id": r.id, "error": r.error} for r in report.errors]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(render_report(report, thresholds, baseline, failures, baseline_note),
                                   encoding="utf-8")
    _plots(report, out)
    return out
