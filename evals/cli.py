"""``rag eval``: run (or re-score) the gold sets, write each set's outputs, print its summary and gate.

The verifier's precision and recall (issue 13 point 2) are measured once per invocation on their own labelled
pairs (``evals.verifier.verifier_scores``) and shown with every set; until that module exists they are reported
as "not measured", never as a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .dataset import CATEGORIES, SETS, EvalSet, file_sha256, load_seeds, select_items
from .gate import Failure, baseline_applies, baseline_payload, check, fmt, load_baseline, load_thresholds, \
    unmeasured, waived
from .report import LABELS, SUMMARY_ORDER, write_outputs
from .runner import evaluate, rescore
from .scoring import Report

__all__ = ["main", "build_pipeline", "verifier_figures", "VERIFIER_KEYS"]

VERIFIER_KEYS = ("verifier_precision", "verifier_recall", "verifier_pairs")


def verifier_figures() -> tuple[dict[str, Any], str]:
    """(the verifier's figures, a status line). Figures are None when the verifier is not there or fails."""
    none = {k: None for k in VERIFIER_KEYS}
    if importlib.util.find_spec("evals.verifier") is None:
        return none, "Verifier: not measured (evals/verifier.py does not exist yet)"
    try:
        from . import verifier

        scores = verifier.verifier_scores()
        figures = {k: scores[k] for k in VERIFIER_KEYS}
    except Exception as exc:  # shown in the summary and the report, and the gate lists the metric as unmeasured
        return none, f"Verifier: not measured ({type(exc).__name__}: {exc})"
    return figures, (f"Verifier on its labelled pairs (evals/verifier/pairs.jsonl): precision "
                     f"{fmt(figures['verifier_precision'])}, recall {fmt(figures['verifier_recall'])}, "
                     f"{fmt(figures['verifier_pairs'], 'verifier_pairs')} pairs")


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
           "gold_sha256": file_sha256(gold_path), "python": sys.version.split()[0]}
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
    verifier = verifier_figures()
    gates: dict[str, bool] = {}
    codes = [_run_set(args, es, verifier, gates) for es in sets]
    if len(sets) > 1:
        print("gates: " + ", ".join(f"{name} {'pass' if ok else 'FAIL'}" for name, ok in gates.items()))
    return max(codes) if codes else 0


def _gate_and_write(args: argparse.Namespace, es: EvalSet, report: Report, verifier: tuple[dict[str, Any], str],
                    out: Path) -> tuple[dict[str, Any], list[Failure], str]:
    """Gate one set's run (asked or re-scored), write its outputs and, if asked, its baseline."""
    report.overall.update(verifier[0])
    report.verifier_status = verifier[1]
    thresholds, baseline = load_thresholds(es.thresholds), load_baseline(es.baseline)
    applies, note = baseline_applies(report, baseline)
    failures = check(report, thresholds, baseline if applies else None)
    if not applies:
        note = f"not compared ({note})"
    write_outputs(report, out, thresholds, baseline if applies else None, failures, note)
    if args.update_baseline:
        es.baseline.write_text(json.dumps(baseline_payload(report), indent=2) + "\n", encoding="utf-8")
        print(f"baseline written to {es.baseline}", file=sys.stderr)
    return thresholds, failures, note


def _run_set(args: argparse.Namespace, es: EvalSet, verifier: tuple[dict[str, Any], str],
             gates: dict[str, bool] | None = None) -> int:
    from rag.errors import RagError, redact

    from .judge import make_judge

    all_items = es.items()
    items = select_items(all_items, args.limit, args.category)
    full = len(items) == len(all_items)
    t0 = time.perf_counter()
    if args.rescore:
        report = rescore(args.rescore, all_items, load_seeds(es.corpus) if es.corpus else None)
        if args.update_baseline and not report.full_run:
            print("error: --update-baseline needs a full run.", file=sys.stderr)
            return 2
        out = Path(args.out or args.rescore)
        thresholds, failures, note = _gate_and_write(args, es, report, verifier, out)
        return _print_summary(args, es, report, thresholds, failures, note, out, time.perf_counter() - t0, None)
    if args.update_baseline and not full:
        print("error: --update-baseline needs the full gold set (drop --limit/--category).", file=sys.stderr)
        return 2
    if not items:
        print(f"eval [{es.name}]: no items selected", file=sys.stderr)
        return 0
    run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else es.results / run_id
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
    thresholds, failures, note = _gate_and_write(args, es, report, verifier, out)
    if full and not args.out:
        latest = es.results / "latest"
        shutil.rmtree(latest, ignore_errors=True)
        shutil.copytree(out, latest)
    return _print_summary(args, es, report, thresholds, failures, note, out, time.perf_counter() - t0, gates)


def _print_summary(args: argparse.Namespace, es: EvalSet, report: Report, thresholds: dict[str, Any],
                   failures: Sequence[Failure], note: str, out: Path, seconds: float,
                   gates: dict[str, bool] | None) -> int:
    """Print one set's figures and gate; return its exit code."""
    o = report.overall
    mins, maxs = thresholds.get("min", {}), thresholds.get("max", {})
    if not args.rescore:
        print(f"== set {es.name} ==")
    print(f"{o['n_items']} items in {seconds:.0f} s ({report.seconds:.0f} s asking); {report.judge_status}")
    print(report.verifier_status)
    for m in SUMMARY_ORDER:
        if m in o:
            limit = f"(≥ {mins[m]:g})" if m in mins else (f"(≤ {maxs[m]:g})" if m in maxs else "")
            value = "not measured" if m in VERIFIER_KEYS and o[m] is None else fmt(o[m], m)
            print(f"  {LABELS.get(m, m):<42} {value:>8} {limit}")
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
    if gates is not None:
        gates[es.name] = not failures
    if args.check:
        if not args.rescore:
            for m in unmeasured(report, thresholds):
                why = report.verifier_status if m in VERIFIER_KEYS else "no items it applies to"
                print(f"note: {m} not measured in this run ({why})")
        return 1 if failures else 0
    return 0
