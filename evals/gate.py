"""The eval's gate: floors and maxima (``thresholds.toml``), documented waivers, and the baseline of the last
accepted full run. :func:`check` returns every failure; the CLI exits 1 on any with ``--check``.

A waiver (``[waivers.<metric>]`` with ``floor`` for a ``[min]`` metric or ``ceiling`` for a ``[max]`` one, and a
``reason``) keeps the target visible: a value between the target and the waiver limit is not a failure but is
reported as "TARGET MISSED" on every run (:func:`waived`); past the waiver limit it fails.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dataset import BASELINE, THRESHOLDS

__all__ = ["Failure", "load_thresholds", "load_baseline", "check", "waived", "unmeasured", "baseline_payload",
           "baseline_applies", "fmt", "DIRECTIONS", "COUNT_METRICS"]

# Which way is better, for every metric the gate or the baseline can hold.
DIRECTIONS = {
    "hit_at_1": "higher", "hit_at_3": "higher", "hit_at_5": "higher", "mrr": "higher", "source_recall_at_5": "higher",
    "key_fact_recall": "higher", "citation_recall": "higher", "citation_precision": "higher",
    "abstention_accuracy": "higher", "false_abstention": "lower", "fabricated_citations": "lower",
    "abstention_with_citations": "lower", "errors": "lower", "refused_legitimate": "lower",
    "answer_relevance": "higher", "reference_f1": "higher", "reference_rougeL": "higher",
    "quoted_headline_or_question": "lower",
}
COUNT_METRICS = {"fabricated_citations", "abstention_with_citations", "errors", "refused_legitimate",
                 "quoted_headline_or_question", "verifier_pairs"}
WORD_METRICS = {"answer_words", "median_words_factoid"}  # medians of word counts: one decimal


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


def fmt(v: Any, metric: str = "") -> str:
    """A figure as the reports print it: counts as integers, rates with three decimals, n/a for none."""
    if v is None:
        return "n/a"
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    if metric in COUNT_METRICS or isinstance(v, int):
        return f"{int(v)}"
    if metric in WORD_METRICS:
        return f"{v:.1f}"
    return f"{v:.3f}"


def check(report: Any, thresholds: dict[str, Any], baseline: dict[str, Any] | None = None) -> list[Failure]:
    """Every metric under its floor, over its maximum, or worse than the baseline by more than the tolerance.

    Metrics that don't apply to the run (``None``, e.g. abstention accuracy on a run without unanswerable items)
    are not failures; :func:`unmeasured` lists them."""
    o = report.overall
    failures: list[Failure] = []
    for metric, floor in thresholds.get("min", {}).items():
        v = o.get(metric)
        waiver = thresholds.get("waivers", {}).get(metric)
        if v is not None and v < floor - 1e-9 and not (waiver and "floor" in waiver
                                                        and v >= float(waiver["floor"]) - 1e-9):
            failures.append(Failure(metric, "floor", v, floor,
                                    f"{metric} = {fmt(v, metric)} is under its floor {floor:g} by {floor - v:.3f}"))
    for metric, cap in thresholds.get("max", {}).items():
        v = o.get(metric)
        waiver = thresholds.get("waivers", {}).get(metric)
        if v is not None and v > cap + 1e-9 and not (waiver and "ceiling" in waiver
                                                      and v <= float(waiver["ceiling"]) + 1e-9):
            failures.append(Failure(metric, "max", v, cap,
                                    f"{metric} = {fmt(v, metric)} is over its maximum {cap:g} by {v - cap:.3g}"))
    if baseline:
        tol = float(thresholds.get("tolerance", 0.0))
        for metric, base in (baseline.get("metrics") or {}).items():
            v, direction = o.get(metric), DIRECTIONS.get(metric)
            if v is None or base is None or direction is None:
                continue
            if direction == "higher" and v < base - tol - 1e-9:
                failures.append(Failure(metric, "baseline", v, base,
                                        f"{metric} = {fmt(v, metric)} fell below the baseline {fmt(base, metric)} "
                                        f"by {base - v:.3f} (tolerance {tol:g})"))
            elif direction == "lower" and v > base + tol + 1e-9:
                failures.append(Failure(metric, "baseline", v, base,
                                        f"{metric} = {fmt(v, metric)} rose above the baseline {fmt(base, metric)} "
                                        f"by {v - base:.3g} (tolerance {tol:g})"))
    return failures


def waived(report: Any, thresholds: dict[str, Any]) -> list[str]:
    """Metrics past their target but within a documented, temporary waiver limit: reported on every run."""
    out = []
    for metric, waiver in thresholds.get("waivers", {}).items():
        v, cap = report.overall.get(metric), thresholds.get("max", {}).get(metric)
        if v is not None and cap is not None and "ceiling" in waiver and cap + 1e-9 < v <= float(waiver["ceiling"]) + 1e-9:
            out.append(f"{metric} = {fmt(v, metric)} misses its target {cap:g} by {v - cap:.3f}; WAIVED up to "
                       f"{float(waiver['ceiling']):g} ({waiver.get('reason', 'no reason given')})")
            continue
        floor = thresholds.get("min", {}).get(metric)
        if "floor" not in waiver:
            continue
        if v is not None and floor is not None and v < floor - 1e-9 and v >= float(waiver["floor"]) - 1e-9:
            out.append(f"{metric} = {fmt(v, metric)} misses its target {floor:g} by {floor - v:.3f}; WAIVED down to "
                       f"{float(waiver['floor']):g} ({waiver.get('reason', 'no reason given')})")
    return out


def unmeasured(report: Any, thresholds: dict[str, Any]) -> list[str]:
    gated = list(thresholds.get("min", {})) + list(thresholds.get("max", {}))
    return [m for m in gated if report.overall.get(m) is None]


def baseline_payload(report: Any) -> dict[str, Any]:
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


def baseline_applies(report: Any, baseline: dict[str, Any] | None) -> tuple[bool, str]:
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
