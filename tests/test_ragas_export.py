"""The eval's ragas export loads in ragas 0.4 unchanged and scores with ragas' own ID-based and non-LLM metrics.

A few gold items (answerable and unanswerable) are asked through ``evals.run.evaluate`` on the seeded pipeline,
exported with ``evals.run.write_ragas``, loaded with ``ragas.EvaluationDataset.from_jsonl`` and scored with
``ragas.evaluate`` (``raise_exceptions=True``: a crash on any row fails the test).
"""

from __future__ import annotations

import json
import math
import warnings

import pytest

from evals.run import evaluate, load_gold, write_ragas

CONTEXT_LISTS = ("retrieved_contexts", "retrieved_context_ids", "reference_contexts", "reference_context_ids")


@pytest.fixture(scope="module")
def export(seeded_pipeline, tmp_path_factory):
    gold = load_gold()
    items = [g for g in gold if g["answerable"]][:4] + [g for g in gold if not g["answerable"]][:2]
    report = evaluate(items, seeded_pipeline, progress=False)
    out = tmp_path_factory.mktemp("ragas")
    counts = write_ragas(report.results, out)
    return out, counts, report


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rows_carry_context_ids_and_no_empty_list_ragas_needs(export):
    out, counts, report = export
    assert counts == {"scored": 4, "unanswerable": 2, "left_out": 0}
    scored = _rows(out / "ragas.jsonl")
    assert len(scored) == 4
    for row, result in zip(scored, [r for r in report.results if r.item["answerable"]]):
        for key in CONTEXT_LISTS:
            assert isinstance(row[key], list) and row[key], f"{key} is empty"
        assert len(row["retrieved_context_ids"]) == len(row["retrieved_contexts"])
        assert len(row["reference_context_ids"]) == len(row["reference_contexts"])
        assert row["retrieved_context_ids"] == [p.id for p in result.answer.contexts]
        for rid, ref in zip(row["reference_context_ids"], result.item["reference_contexts"]):
            if rid in row["retrieved_context_ids"]:  # a hit: that retrieved chunk holds the quote
                text = row["retrieved_contexts"][row["retrieved_context_ids"].index(rid)]
                assert " ".join(ref["quote"].split()) in " ".join(text.split())
            else:
                assert rid.startswith(ref["source"] + "#unretrieved-")
    unanswerable = _rows(out / "ragas_unanswerable.jsonl")
    assert len(unanswerable) == 2
    for row in unanswerable:
        assert "reference_contexts" not in row and "reference_context_ids" not in row
        assert row["response"] and row["reference"]


def test_ragas_loads_and_scores_the_export(export, monkeypatch):
    monkeypatch.setenv("RAGAS_DO_NOT_TRACK", "true")
    from ragas import EvaluationDataset
    from ragas import evaluate as ragas_evaluate

    with warnings.catch_warnings():  # ragas 0.4 marks these classes for a move to ragas.metrics.collections
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.metrics import (
            ExactMatch,
            IDBasedContextPrecision,
            IDBasedContextRecall,
            NonLLMContextPrecisionWithReference,
            NonLLMContextRecall,
            NonLLMStringSimilarity,
            StringPresence,
        )

    out, _, _ = export
    dataset = EvaluationDataset.from_jsonl(str(out / "ragas.jsonl"))
    assert len(dataset) == 4
    result = ragas_evaluate(
        dataset,
        metrics=[IDBasedContextPrecision(), IDBasedContextRecall(), NonLLMContextPrecisionWithReference(),
                 NonLLMContextRecall(), NonLLMStringSimilarity(), ExactMatch(), StringPresence()],
        show_progress=False, raise_exceptions=True,
    )
    scores = result.to_pandas()
    for metric in ("id_based_context_precision", "id_based_context_recall", "non_llm_context_precision_with_reference",
                   "non_llm_context_recall", "non_llm_string_similarity", "exact_match", "string_present"):
        values = list(scores[metric])
        assert len(values) == 4 and all(not math.isnan(v) and 0.0 <= v <= 1.0 for v in values), (metric, values)
    # The retrieval finds these items' passages (hit@5 is 1.0 on the gold set): ID-based recall sees it.
    assert scores["id_based_context_recall"].mean() >= 0.75

    unanswerable = EvaluationDataset.from_jsonl(str(out / "ragas_unanswerable.jsonl"))
    result = ragas_evaluate(unanswerable, metrics=[NonLLMStringSimilarity(), ExactMatch(), StringPresence()],
                            show_progress=False, raise_exceptions=True)
    assert len(result.to_pandas()) == 2
