"""Load on the real chat page: 20 concurrent gradio_client sessions for 20 seconds (standalone questions and
follow-ups through the page's chat handler, plus the /ask API), extractive answers.

Asserts: no errors, every answer the server produced holds the invariants with quotes equal to the seed texts,
and the server's memory does not run away (after < 2x before). Latency is recorded, never asserted; the full run
(20 sessions x 2 minutes, the default local model) is ``python -m evals.load`` (see evals/reliability.md)."""

from __future__ import annotations

import json

import pytest
from conftest import OUTPUT, SEEDS

from evals.load import conversations, launch, run_load

pytestmark = pytest.mark.timeout(300)


def seed_text(source: str) -> str:
    return (SEEDS / source).read_text(encoding="utf-8")


def test_twenty_sessions_for_twenty_seconds(tmp_path):
    demo, url, pipeline = launch("extractive", tmp_path / "home")
    try:
        pipeline.ask("When was the NATO-Russia Council meeting scheduled?")  # warm-up: index, embeddings, BM25
        pipeline.answers.clear()
        convos = conversations()
        assert any(len(c) > 1 for c in convos), "the question list has follow-ups"
        result = run_load(url, demo, pipeline, sessions=20, seconds=20, convos=convos, texts=seed_text)
    finally:
        demo.close()
    summary = result.summary()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "load.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n" + result.table())
    assert result.errors == [], result.errors[:5]
    assert result.invalid == [], result.invalid[:5]
    assert result.turns >= 20 and result.follow_ups > 0
    assert result.answers_checked >= result.turns  # every turn produced an answer the server recorded
    assert result.abstentions < result.answers_checked
    assert result.rss_after_mb < 2 * result.rss_before_mb, summary
