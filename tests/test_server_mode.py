"""Server mode: the index lives in a real `chroma run` server (RAG_CHROMA_HOST/PORT), shared by processes.

The embedded PersistentClient is not process-safe (one process per index folder); the server is the way to let
several processes ingest and answer at once, which the concurrency test below does with real OS processes.
Answers are extractive here (RAG_ANSWER_MODE=extractive): these tests are about the store, not the LLM.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import SEEDS, assert_answer_invariants, free_port

ROOT = Path(__file__).resolve().parents[1]


def _env(chroma_server, home: Path, collection: str, **extra: str) -> dict[str, str]:
    host, port, _, _ = chroma_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(home), RAG_CHROMA_HOST=host, RAG_CHROMA_PORT=str(port), RAG_COLLECTION=collection,
               RAG_ANSWER_MODE="extractive", RAG_SEEDS_DIR=str(SEEDS), ANONYMIZED_TELEMETRY="False")
    env.update(extra)
    return env


def _pipeline(env: dict[str, str]):
    from rag import Pipeline, Settings

    return Pipeline(Settings.from_env(env), auto_ingest=False)


def _collection_state(index) -> tuple[list[str], list[dict]]:
    got = index.chunks.get(include=["metadatas"])
    return list(got["ids"]), list(got["metadatas"])


def test_ingest_ask_reingest_and_a_second_client(chroma_server, tmp_path):
    import chromadb

    from rag.errors import VectorStoreError

    collection = f"srv{uuid.uuid4().hex[:8]}"
    env = _env(chroma_server, tmp_path / "home", collection)
    p = _pipeline(env)
    assert p.settings.server_mode
    report = p.ingest([SEEDS])
    assert sorted(report.added) == sorted(f.name for f in SEEDS.glob("*.txt"))
    n = p.index.count()
    assert n == report.chunks_total > 0
    assert not (tmp_path / "home" / "index" / "chroma").exists(), "server mode must not open an embedded index"

    answer = p.ask("Who is the spokesman for Angela Merkel mentioned in the coverage of her call with Joe Biden?")
    assert not answer.abstained and answer.citations
    assert "Seibert" in answer.text
    assert_answer_invariants(answer)  # offsets checked against the files on disk
    assert_answer_invariants(answer, pipeline=p)  # and against the text stored in the server

    fingerprint = p.index.fingerprint()
    again = p.ingest([SEEDS])
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 5
    assert p.index.count() == n and p.index.fingerprint() == fingerprint

    # visible from another client: plain chromadb, and a second Pipeline with its own RAG_HOME (token sent too)
    host, port, _, _ = chroma_server
    raw = chromadb.HttpClient(host=host, port=port)
    assert raw.get_collection(collection).count() == n
    assert set(raw.get_collection(collection + "_files").get()["ids"]) == set(report.added)
    other = _pipeline(_env(chroma_server, tmp_path / "other", collection, RAG_CHROMA_TOKEN="unused-token"))
    assert other.index.count() == n
    hits = other.search("Steffen Seibert spokesman")
    assert hits and hits[0].source == "000_ee4ae77310ddbc9c.txt"

    # a server that is not there: a clear error that says what to do
    with pytest.raises(VectorStoreError) as err:
        _pipeline(_env(chroma_server, tmp_path / "x", collection, RAG_CHROMA_PORT=str(free_port()))).index
    assert "chroma run" in str(err.value)


INGESTER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from rag import Pipeline
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    result = {"reports": [], "errors": []}
    try:
        p = Pipeline(auto_ingest=False)
        files = sorted(folder.glob("*.txt"))
        for i in range(0, len(files), 10):  # three ingests of ten files: several pending -> done transitions
            result["reports"].append(p.ingest(files[i : i + 10]).to_dict())
    except Exception as exc:
        result["errors"].append(repr(exc))
    out.write_text(json.dumps(result))
""")

ASKER = textwrap.dedent("""
    import json, re, sys, time
    from pathlib import Path
    from rag import Pipeline
    stop, out, probe, probe_source = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    questions = [
        "Who is the spokesman for Angela Merkel mentioned in the coverage of her call with Joe Biden?",
        "Which news agency did Josep Borrell speak to about the purpose of his trip to Ukraine?",
        "What does Antony Blinken often call Ukraine's internal threat?",
    ]
    result = {"answers": 0, "cited": 0, "searches": 0, "errors": [], "bad": [], "saw_new_files": False}
    p = Pipeline(auto_ingest=False)

    def valid(a):
        marks = [int(m) for m in re.findall(r"\\[(\\d+)\\]", a.text)]
        ns = [c.n for c in a.citations]
        if a.abstained:
            return not ns and not marks
        if not ns or ns != list(range(1, len(ns) + 1)) or set(marks) != set(ns):
            return False
        return all(p.index.original_text(c.source)[c.start:c.end] == c.quote for c in a.citations)

    i = 0
    while True:
        done = stop.exists()
        try:
            a = p.ask(questions[i % len(questions)])
            result["answers"] += 1
            result["cited"] += bool(a.citations)
            if not valid(a):
                result["bad"].append(a.to_dict())
            p.search(probe)
            result["searches"] += 1
        except Exception as exc:
            result["errors"].append(repr(exc))
        i += 1
        if done and i >= 3:
            break
    deadline = time.time() + 20  # the new files become searchable here without a restart (fingerprint refresh)
    while time.time() < deadline and not result["saw_new_files"]:
        result["saw_new_files"] = any(h.source == probe_source for h in p.search(probe))
        time.sleep(0.5)
    out.write_text(json.dumps(result))
""")


def test_two_processes_ingest_and_ask_at_once(chroma_server, tmp_path):
    from evals.synth import article
    from rag.chunking import chunk_document
    from rag.documents import load_document

    collection = f"conc{uuid.uuid4().hex[:8]}"
    env = _env(chroma_server, tmp_path / "home", collection)
    p = _pipeline(env)
    p.ingest([SEEDS])

    def short(i: int) -> tuple[str, str]:  # the first paragraphs of a synthetic article: 2-3 chunks, fast to embed
        a = article(i, seed=11)
        paragraphs = a.text.split("\n\n")
        text = paragraphs[0]
        for para in paragraphs[1:]:
            if len(text) > 1500:
                break
            text += "\n\n" + para
        return a.name, text + "\n"

    live = tmp_path / "live"
    live.mkdir()
    for i in range(30):
        name, text = short(i)
        (live / name).write_text(text, encoding="utf-8")
    extra = tmp_path / "extra"  # the test process writes too, at the same time
    extra.mkdir()
    for i in range(100, 102):
        name, text = short(i)
        (extra / name).write_text(text, encoding="utf-8")
    probe_source = "syn_000000.txt"
    probe = (live / probe_source).read_text(encoding="utf-8").splitlines()[0]  # its title

    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "ingester.py").write_text(INGESTER)
    (scripts / "asker.py").write_text(ASKER)
    stop = tmp_path / "stop"
    child_env = {**env, "RAG_HOME": str(tmp_path / "child_home"), "PYTHONPATH": str(ROOT)}
    ingester = subprocess.Popen([sys.executable, str(scripts / "ingester.py"), str(live), str(tmp_path / "ing.json")],
                                env=child_env, cwd=str(ROOT))
    asker = subprocess.Popen([sys.executable, str(scripts / "asker.py"), str(stop), str(tmp_path / "ask.json"), probe,
                              probe_source], env=child_env, cwd=str(ROOT))
    try:
        own_searches = 0
        extra_report = None
        while ingester.poll() is None:
            if extra_report is None:
                extra_report = p.ingest([extra])
            assert p.search("NATO troops at the border")
            own_searches += 1
            time.sleep(0.5)
        assert ingester.wait(timeout=120) == 0
        stop.write_text("stop")
        assert asker.wait(timeout=120) == 0
    finally:
        for proc in (ingester, asker):
            if proc.poll() is None:
                proc.kill()

    ing = json.loads((tmp_path / "ing.json").read_text())
    ask = json.loads((tmp_path / "ask.json").read_text())
    assert ing["errors"] == [] and ask["errors"] == []
    assert sum(len(r["added"]) for r in ing["reports"]) == 30
    assert ask["answers"] >= 3 and ask["cited"] >= 1 and ask["searches"] >= 3
    assert ask["bad"] == [], "every answer during the run has valid citations"
    assert ask["saw_new_files"], "a running process picks up files another process ingested"
    assert extra_report is not None and len(extra_report.added) == 2 and own_searches >= 1

    # the final state equals what a fresh ingest of the same files gives, chunk for chunk
    files = sorted(SEEDS.glob("*.txt")) + sorted(live.glob("*.txt")) + sorted(extra.glob("*.txt"))
    expected = {c.id for f in files for c in chunk_document(load_document(f), chunk_tokens=p.settings.chunk_tokens,
                                                                   overlap_tokens=p.settings.chunk_overlap_tokens)}
    ids, metas = _collection_state(p.index)
    assert len(ids) == len(set(ids)), "no duplicate chunk ids"
    assert set(ids) == expected and p.index.count() == len(expected)
    records = p.index.file_records()
    assert set(records) == {f.name for f in files}
    per_source: dict[str, int] = {}
    for meta in metas:  # no orphans: every chunk belongs to a 'done' record of the same file version
        rec = records.get(meta["source"])
        assert rec is not None and rec.status == "done" and rec.hash == meta["file_hash"], meta["source"]
        per_source[meta["source"]] = per_source.get(meta["source"], 0) + 1
    assert all(per_source.get(s, 0) == r.n_chunks for s, r in records.items())
    assert len(p.search("NATO troops at the border")) == p.settings.top_k
