"""Faults: kill -9 during ingest, the index folder deleted under a live Pipeline, a misbehaving LLM endpoint
(tests/fake_openai.py), and a Chroma server that stops and comes back.

Every failure must surface as one clear error that names the fix, never as a half answer."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, assert_answer_invariants, free_port, wait_for_port
from fake_openai import FakeOpenAI

from rag import Delta, IndexCorruptError, LLMError, Pipeline, Settings, VectorStoreError
from rag.index import Index

pytestmark = pytest.mark.timeout(400)

KNOWN_Q = "Which news agency did Josep Borrell speak to about the purpose of his trip to Ukraine?"
KNOWN_SOURCE = "001_7658c4148b7d94c0.txt"
KNOWN_QUOTE = ("The European Union's top diplomat told Poland’s PAP news agency that the purpose of his trip is to talk "
               "to the Ukrainians about their concerns and ways to address them.")
API_KEY = "sk-test-SECRET123456789"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update({"RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS), "RAG_ANSWER_MODE": "extractive"}, **extra)
    return env


# ------------------------------------------------------------------------------------- kill -9 during ingest

_SUBJECTS = ["The harbour authority", "The city council", "A regional court", "The energy ministry", "Local farmers",
             "The national railway", "A university team", "The central bank", "Union leaders", "The health agency"]
_VERBS = ["approved", "rejected", "announced", "postponed", "criticised", "funded", "reviewed", "expanded"]
_OBJECTS = ["a new ferry terminal", "the water pipeline", "a wind farm", "the school budget", "a bridge repair",
            "the hospital wing", "a tram line", "the grain subsidy", "a data centre", "the flood barrier"]


def make_articles(folder: Path, n: int = 40, paragraphs: int = 3, only: list[int] | None = None,
                  version: int = 0) -> Path:
    """``n`` distinct generated articles (a few chunks each), reproducible; ``only`` rewrites just those
    articles, with the text of ``version``."""
    import random

    folder.mkdir(parents=True, exist_ok=True)
    for i in (range(n) if only is None else only):
        r = random.Random(i + 1000 * version)
        town = f"Town{i:03d}"
        lines = [f"{town} report number {i}", ""]
        for _ in range(paragraphs):
            lines.append(" ".join(
                f"{r.choice(_SUBJECTS)} of {town} {r.choice(_VERBS)} {r.choice(_OBJECTS)} costing {r.randint(2, 900)} "
                f"million on day {r.randint(1, 28)}, officials in {town} said." for _ in range(4)))
            lines.append("")
        (folder / f"article_{i:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def index_state(home: Path) -> dict:
    """Everything the crash checks need, read straight from Chroma."""
    index = Index(Settings.from_env({"RAG_HOME": str(home)}))
    records = index.file_records()
    got = index.chunks.get(include=["metadatas"])
    chunks = {cid: m for cid, m in zip(got["ids"], got["metadatas"])}
    return {"records": records, "chunks": chunks, "count": index.count()}


class _Reader(threading.Thread):
    """Collects a pipe's bytes so the test can watch the progress bar without blocking."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.data, self.lock = stream, b"", threading.Lock()
        self.start()

    def run(self) -> None:
        for chunk in iter(lambda: self.stream.read1(4096), b""):
            with self.lock:
                self.data += chunk

    def groups_done(self) -> int:
        """Write groups finished in this run (the progress bar names the last file of each)."""
        with self.lock:
            text = self.data.decode("utf-8", "replace")
        return len({w for w in text.replace("\r", "\n").split() if w.startswith("article_")})


# Small embedding batches: the index writes files in groups of ~8 x RAG_EMBED_BATCH chunks, so this makes ~10
# groups of ~4 files out of the 40 articles and gives the kills many different places to land.
SMALL_GROUPS = {"RAG_EMBED_BATCH": "1"}


def _ingest_proc(home: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(folder)], cwd=ROOT,
                            env=_env(home, **SMALL_GROUPS), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_during_ingest_then_reingest(tmp_path):
    folder = make_articles(tmp_path / "articles")
    home = tmp_path / "home"
    # crash exactly between the last chunk of a file and its 'done' record
    crash = (
        "import os, signal, sys\n"
        "from rag.index import Index\n"
        "real, calls = Index._put_records, []\n"
        "def put(self, items, status, *args, **kwargs):\n"
        "    if status == 'done':\n"
        "        calls.append(1)\n"
        "        if len(calls) == 2:  # the second write group: all its chunks are in, its 'done' records not yet\n"
        "            print('CRASH', *[doc.source for doc, _ in items], flush=True)\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(self, items, status, *args, **kwargs)\n"
        "Index._put_records = put\n"
        "from rag.cli import main\n"
        f"sys.exit(main(['ingest', {str(folder)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, env=_env(home, **SMALL_GROUPS), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    crashed = set(proc.stdout.split("CRASH", 1)[1].split())
    assert crashed

    # what a reader sees after the crash: the crashed file is pending and none of its chunks is served
    check = (
        "import json, sys\n"
        "from rag import Pipeline, Settings\n"
        f"p = Pipeline(Settings.from_env({{'RAG_HOME': {str(home)!r}}}), auto_ingest=False)\n"
        "recs = p.index.file_records()\n"
        "served = p.retriever.sources\n"
        "print(json.dumps({'pending': sorted(s for s, r in recs.items() if r.status != 'done'),"
        " 'served': sorted(served)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=_env(home), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert crashed <= set(seen["pending"])
    assert not set(seen["pending"]) & set(seen["served"])

    outcomes = []
    # time-based kills (start-up, opening the index, first files), then kills keyed to the progress bar
    # (mid-ingest, wherever the next file happens to be: record, chunk delete, chunk upsert or 'done' record)
    # Before every run a dozen articles get new text, so each run has several write groups of work left however
    # far the previous one got (and the kills also land while files are being replaced, not only added).
    for run, (kind, at) in enumerate([("progress", 1), ("time", 0.5), ("progress", 2), ("time", 1.5),
                                      ("progress", 1), ("time", 3.0)], 1):
        make_articles(folder, only=[(run * 7 + j) % 40 for j in range(12)], version=run)
        proc = _ingest_proc(home, folder)
        reader = _Reader(proc.stderr)
        start = time.monotonic()
        while proc.poll() is None:
            if kind == "time" and time.monotonic() - start >= at:
                break
            if kind == "progress" and reader.groups_done() >= at:
                break
            if time.monotonic() - start > 120:
                break
            time.sleep(0.02)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        reader.join(5)
        outcomes.append((kind, at, "killed" if killed else f"finished rc={proc.returncode}"))
    assert sum(1 for o in outcomes if o[2] == "killed") >= 4, outcomes
    assert any(o[0] == "progress" and o[2] == "killed" for o in outcomes), outcomes

    final = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "--json", str(folder)], cwd=ROOT,
                           env=_env(home), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    report = json.loads(final.stdout)
    assert not report["refused"]

    state = index_state(home)
    fresh_home = tmp_path / "fresh"
    fresh_report = Index(Settings.from_env({"RAG_HOME": str(fresh_home)})).ingest([folder])
    fresh = index_state(fresh_home)
    assert fresh_report.chunks_total == fresh["count"] > 40

    assert state["count"] == fresh["count"], outcomes
    assert {cid: m["hash"] for cid, m in state["chunks"].items()} == {cid: m["hash"] for cid, m in fresh["chunks"].items()}
    assert set(state["records"]) == {f.name for f in folder.iterdir()}
    assert [s for s, r in state["records"].items() if r.status != "done"] == []  # no pending records left
    for cid, m in state["chunks"].items():  # no orphans: every chunk belongs to a finished file, current version
        rec = state["records"].get(m["source"])
        assert rec is not None and rec.status == "done" and rec.hash == m["file_hash"], cid
        assert cid == f"{m['source']}#{m['n']}"
    assert len({(m["source"], m["n"]) for m in state["chunks"].values()}) == len(state["chunks"])  # no duplicates
    for source, rec in state["records"].items():
        assert rec.n_chunks == sum(1 for m in state["chunks"].values() if m["source"] == source)

    p = Pipeline(Settings.from_env({"RAG_HOME": str(home), "RAG_ANSWER_MODE": "extractive"}), auto_ingest=False)
    first = (folder / "article_007.txt").read_text(encoding="utf-8").split("\n")[2]
    subject, verb = first.split(" of Town007 ")[0], first.split(" of Town007 ")[1].split()[0]
    a = p.ask(f"What did {subject.lower()} of Town007 {verb.replace('ed', '')}?")
    assert not a.abstained and all(c.source == "article_007.txt" for c in a.citations)
    assert_answer_invariants(a, pipeline=p)
    print("kill outcomes:", outcomes)


# ----------------------------------------------------------------------------- index deleted under a live app


def test_index_folder_deleted_while_live(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    p = Pipeline(Settings.from_env({"RAG_HOME": str(tmp_path / "home"), "RAG_SEEDS_DIR": str(folder),
                                    "RAG_ANSWER_MODE": "extractive"}))
    p.ingest()
    count = p.index.count()
    assert not p.ask(KNOWN_Q).abstained
    shutil.rmtree(tmp_path / "home" / "index")
    for call in (lambda: p.ask(KNOWN_Q), lambda: list(p.stream(KNOWN_Q))):
        with pytest.raises(IndexCorruptError) as err:
            call()
        assert "rag ingest --rebuild" in str(err.value)
    report = p.rebuild()
    assert report.chunks_total == count and sorted(report.added) == sorted(os.listdir(folder))
    a = p.ask(KNOWN_Q)
    assert not a.abstained and any(c.source == KNOWN_SOURCE and "PAP" in c.quote for c in a.citations)
    assert_answer_invariants(a, pipeline=p)
    # and it is really on disk: a second Pipeline on the same folder sees the rebuilt index
    assert (tmp_path / "home" / "index" / "chroma" / "chroma.sqlite3").exists()
    assert Pipeline(p.settings, auto_ingest=False).index.count() == count


# ------------------------------------------------------------------------------------------- LLM failures


@pytest.fixture(scope="module")
def base_pipeline(tmp_path_factory):
    p = Pipeline(Settings.from_env({"RAG_HOME": str(tmp_path_factory.mktemp("faults_home")),
                                    "RAG_SEEDS_DIR": str(SEEDS), "RAG_ANSWER_MODE": "extractive"}))
    p.ingest([SEEDS])
    return p


def openai_pipeline(base: Pipeline, base_url: str, **extra: str) -> Pipeline:
    env = {"RAG_HOME": base.settings.home, "RAG_LLM": "openai", "OPENAI_API_KEY": API_KEY,
           "OPENAI_BASE_URL": base_url, "RAG_ANSWER_MODE": "auto", "RAG_LLM_TIMEOUT": "10", "RAG_LLM_RETRIES": "2",
           **extra}
    return Pipeline(Settings.from_env(env), index=base.index)


def assert_fails_cleanly(p: Pipeline, *needles: str) -> LLMError:
    """ask() raises LLMError; stream() yields draft deltas at most, never an answer event."""
    with pytest.raises(LLMError) as err:
        p.ask(KNOWN_Q)
    events = []
    with pytest.raises(LLMError):
        for event in p.stream(KNOWN_Q):
            events.append(event)
    assert all(isinstance(e, Delta) for e in events)
    message = str(err.value)
    for needle in needles:
        assert needle in message, message
    assert API_KEY not in message
    return err.value


def test_llm_ok_through_fake_server(base_pipeline):
    with FakeOpenAI(script=["ok"], reply=KNOWN_QUOTE + " [1]") as fake:
        a = openai_pipeline(base_pipeline, fake.base_url).ask(KNOWN_Q)
        assert len(fake.chat_requests) == 1
        assert fake.chat_requests[0]["body"]["stream"] is True
    assert not a.abstained and a.metadata["extractive"] is False
    assert [c.quote for c in a.citations] == [KNOWN_QUOTE]
    assert_answer_invariants(a, pipeline=base_pipeline)


def test_llm_connection_refused(base_pipeline):
    port = free_port()  # nothing listens here
    p = openai_pipeline(base_pipeline, f"http://127.0.0.1:{port}/v1", RAG_LLM_RETRIES="1")
    assert_fails_cleanly(p, "Cannot reach the LLM", f"127.0.0.1:{port}", "OPENAI_BASE_URL")


def test_llm_timeout(base_pipeline):
    with FakeOpenAI(script=["sleep"], sleep_seconds=30) as fake:
        p = openai_pipeline(base_pipeline, fake.base_url, RAG_LLM_TIMEOUT="1", RAG_LLM_RETRIES="1")
        assert_fails_cleanly(p, "did not answer within", "RAG_LLM_TIMEOUT")
        assert len(fake.chat_requests) == 2 * 2  # ask + stream, each 1 try + 1 retry


def test_llm_429_then_success_retries_with_backoff(base_pipeline):
    with FakeOpenAI(script=["429", "429", "ok"], reply=KNOWN_QUOTE + " [1]") as fake:
        a = openai_pipeline(base_pipeline, fake.base_url, RAG_LLM_RETRIES="2").ask(KNOWN_Q)
        times = [r["time"] for r in fake.chat_requests]
    assert len(times) == 3
    assert all(b > a for a, b in zip(times, times[1:]))
    assert not a.abstained and [c.quote for c in a.citations] == [KNOWN_QUOTE]
    assert_answer_invariants(a, pipeline=base_pipeline)


def test_llm_429_always_is_a_clear_error(base_pipeline):
    with FakeOpenAI(script=["429"]) as fake:
        p = openai_pipeline(base_pipeline, fake.base_url, RAG_LLM_RETRIES="1")
        assert_fails_cleanly(p, "rate-limiting", "retry")
        assert len(fake.chat_requests) == 2 * 2


def test_llm_500_always(base_pipeline):
    with FakeOpenAI(script=["500"]) as fake:
        p = openai_pipeline(base_pipeline, fake.base_url, RAG_LLM_RETRIES="2")
        assert_fails_cleanly(p, "LLM failed", "500", "Retry")
        assert len(fake.chat_requests) == 2 * 3  # ask + stream, each 1 try + 2 retries


def test_llm_malformed_stream_chunk(base_pipeline):
    with FakeOpenAI(script=["garbage"], reply=KNOWN_QUOTE + " [1]") as fake:
        p = openai_pipeline(base_pipeline, fake.base_url)
        assert_fails_cleanly(p, "LLM failed", "Retry")


def test_llm_stream_cut_off(base_pipeline):
    """The server sends half a reply and hangs up: an error, not the verified half."""
    with FakeOpenAI(script=["hangup"], reply=KNOWN_QUOTE + " [1]") as fake:
        p = openai_pipeline(base_pipeline, fake.base_url)
        assert_fails_cleanly(p, "closed the stream", "Retry")


def test_llm_failure_during_follow_up_rewrite(base_pipeline):
    """With history, the condense call fails first: still one clear LLMError, no answer."""
    with FakeOpenAI(script=["500"]) as fake:
        p = openai_pipeline(base_pipeline, fake.base_url, RAG_LLM_RETRIES="0")
        history = [{"role": "user", "content": "Who is Josep Borrell?"},
                   {"role": "assistant", "content": "The EU foreign policy chief."}]
        with pytest.raises(LLMError):
            p.ask("Which news agency did he speak to about his trip?", history)


# ------------------------------------------------------------------------------------ Chroma server restarts


def _chroma(port: int, data: Path) -> subprocess.Popen:
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma) if chroma.exists() else "chroma", "run", "--path", str(data), "--host", "127.0.0.1",
           "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    wait_for_port(port, 60, proc)
    return proc


def test_chroma_server_stops_mid_session(tmp_path):
    port, data = free_port(), tmp_path / "chroma_data"
    proc = _chroma(port, data)
    try:
        p = Pipeline(Settings.from_env({"RAG_HOME": str(tmp_path / "home"), "RAG_CHROMA_HOST": "127.0.0.1",
                                        "RAG_CHROMA_PORT": str(port), "RAG_ANSWER_MODE": "extractive",
                                        "RAG_SEEDS_DIR": str(SEEDS)}))
        p.ingest([SEEDS])
        count = p.index.count()
        before = p.ask(KNOWN_Q)
        assert not before.abstained

        proc.kill()
        proc.wait(30)
        for call in (lambda: p.ask(KNOWN_Q), lambda: p.search("Borrell"), lambda: p.ingest([SEEDS])):
            with pytest.raises(VectorStoreError) as err:
                call()
            assert "chroma run" in str(err.value) and f"127.0.0.1:{port}" in str(err.value)

        proc = _chroma(port, data)  # same port, same data folder
        after = p.ask(KNOWN_Q)  # the same Pipeline object
        assert after.text == before.text and after.citations == before.citations
        assert_answer_invariants(after, pipeline=p)
        assert p.index.count() == count
        assert p.ingest([SEEDS]).unchanged == sorted(f.name for f in SEEDS.glob("*.txt"))
    finally:
        proc.kill()
        proc.wait(30)
