"""Smoke check of the scale benchmark (evals/bench.py) at its smallest size: it runs end to end (ours and the naive
baseline, ingest, retrieval, streamed answers with the local model) and writes sane numbers. No timed asserts: the
figures themselves come from `rag bench` on a quiet machine (evals/bench/bench.md)."""

from __future__ import annotations

import json
import math

import numpy as np


def _numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


def test_bench_smallest_size_writes_sane_outputs(tmp_path, monkeypatch):
    from evals.bench import main

    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    out = tmp_path / "bench"
    argv = ["--sizes", "120", "--queries", "20", "--answers", "1", "--answers-large", "0", "--raw-sample", "40",
            "--stock-queries", "2", "--profile-files", "0", "--out", str(out), "--work", str(tmp_path / "work")]
    assert main(argv) == 0

    for name in ("bench.json", "bench.md", "bench.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = json.loads((out / "bench.json").read_text())
    assert all(math.isfinite(x) and x >= 0 for x in _numbers(res)), "every figure is a finite, non-negative number"

    ours, naive = res["ingest"]["120"]["ours"], res["ingest"]["120"]["naive"]
    assert 80 <= ours["chunks"] <= 200 and naive["chunks"] > 0
    assert ours["chunks_per_s"] > 0 and naive["chunks_per_s"] > 0 and ours["raw_model"]["chunks_per_s"] > 0
    assert 0 <= ours["outside_embedding_share"] < 1
    assert ours["disk_mb"] > 0 and naive["disk_mb"] > 0 and ours["peak_rss_mb"] > 50

    serve = res["serve"]["120"]
    o, n = serve["ours"], serve["naive"]
    assert o["chunks"] == ours["chunks"] and n["chunks"] == naive["chunks"]
    for lat in (o["retrieval_ms"], n["retrieval_ms"]):
        assert lat["n"] == 20 and 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    assert n["retrieval_ms_stock"]["n"] == 2
    a = o["answers"]
    assert a["n"] == 1 and a["invariants_hold"] == 1, "every benchmarked answer holds the citation invariants"
    assert 0 < a["first_token_s"]["p50"] <= a["total_s"]["p50"]
    assert n["answers"]["n"] == 1 and 0 < n["answers"]["first_token_s"]["p50"] <= n["answers"]["total_s"]["p50"]
    assert o["peak_rss_mb"] > 50 and n["peak_rss_mb"] > 50

    assert {t["target"].split(" ")[0] for t in res["targets"]} >= {"retrieval", "ingest", "time", "full", "serving"}
    md = (out / "bench.md").read_text()
    for heading in ("## Ingest", "## Retrieval latency", "## Answers", "## Targets"):
        assert heading in md
    assert "| 1" in md  # table rows with figures


def test_derived_vectors_reuse_real_ones_and_perturb_the_rest():
    """The 100k-chunk vectors: the same text gets its real vector, other texts a unit vector near a real one."""
    from evals.bench_ingest import DerivedVectors

    rng = np.random.default_rng(0)
    real = rng.normal(size=(5, 384)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    derived = DerivedVectors({f"text {i}": real[i] for i in range(5)}, seed=3)
    out = derived.embed_array(["text 2", "something new", "text 4"])
    assert np.allclose(out[0], real[2]) and np.allclose(out[2], real[4])
    assert abs(np.linalg.norm(out[1]) - 1) < 1e-5
    assert (real @ out[1]).max() > 0.85  # near one of the real vectors
    assert (derived.real, derived.derived) == (2, 1)
    again = DerivedVectors({f"text {i}": real[i] for i in range(5)}, seed=3).embed_array(["text 2", "something new"])
    assert np.allclose(again[1], out[1]), "seeded: the same corpus gets the same vectors"
