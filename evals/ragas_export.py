"""The run's answers as rows of ragas' ``EvaluationDataset`` (``SingleTurnSample`` fields), so that ragas' own
metrics can score this eval's answers (``tests/test_ragas_export.py`` loads and scores them)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["ragas_row", "write_ragas"]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _reference_id(reference: dict[str, Any], i: int, contexts: Sequence[Any]) -> str:
    quote = _squash(reference["quote"])
    for p in contexts:
        if p.source == reference["source"] and quote in _squash(p.text):
            return p.id
    return f"{reference['source']}#unretrieved-{i}"


def ragas_row(result: Any) -> dict[str, Any]:
    """One row for an :class:`evals.scoring.ItemResult`.

    ``retrieved_contexts`` / ``retrieved_context_ids``: the retrieved passages' chunk texts and chunk ids
    (``<file>#<n>``), in rank order. ``reference_contexts``: the gold quotes; ``reference_context_ids``: one
    id per quote, in the same order, in the same id space: the first retrieved chunk of the quote's file
    whose text holds the quote (whitespace-normalised), or ``<file>#unretrieved-<i>`` when none does (a
    miss for ragas' ID-based recall). Unanswerable items have no reference context: their rows carry no
    ``reference_contexts`` / ``reference_context_ids`` keys (see :func:`write_ragas`)."""
    a, item = result.answer, result.item
    contexts = list(a.contexts) if a is not None else []
    row: dict[str, Any] = {
        "user_input": item["user_input"],
        "retrieved_contexts": [p.text for p in contexts],
        "retrieved_context_ids": [p.id for p in contexts],
        "response": a.text if a is not None else "",
        "reference": item["reference"],
    }
    references = item["reference_contexts"]
    if references:
        row["reference_contexts"] = [rc["quote"] for rc in references]
        row["reference_context_ids"] = [_reference_id(rc, i, contexts) for i, rc in enumerate(references, 1)]
    return row


def write_ragas(results: Sequence[Any], out: Path) -> dict[str, int]:
    """The ragas export. ``ragas.jsonl``: every item ragas' context metrics can score, i.e. an answerable gold
    item whose answer came with retrieved passages, so that none of ``retrieved_contexts``,
    ``retrieved_context_ids``, ``reference_contexts`` and ``reference_context_ids`` is ever an empty list
    (ragas' non-LLM context precision and recall take a max over each). ``ragas_unanswerable.jsonl``: the
    unanswerable items (no reference context exists; ``reference`` is the expected abstention), for ragas'
    response metrics only. An item that failed with an error is in ``results.jsonl`` only."""
    rows = [ragas_row(r) for r in results]
    scored = [row for row in rows if row.get("reference_contexts") and row["retrieved_contexts"]]
    unanswerable = [row for row in rows if "reference_contexts" not in row]
    for name, part in (("ragas.jsonl", scored), ("ragas_unanswerable.jsonl", unanswerable)):
        with open(Path(out) / name, "w", encoding="utf-8") as fh:
            for row in part:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"scored": len(scored), "unanswerable": len(unanswerable), "left_out": len(rows) - len(scored) - len(unanswerable)}
