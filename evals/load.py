"""Load test of the chat page: N concurrent sessions for T seconds against the real Gradio server.

    python -m evals.load                                     # 20 sessions x 120 s, the default local model
    python -m evals.load --answer-mode extractive            # no LLM (fast answers, tests the rest)
    python -m evals.load --sessions 20 --seconds 20 --json out.json

Each session is one ``gradio_client.Client`` (its own Gradio session and ``gr.State``). It plays conversations
taken from ``evals/gold.jsonl``: standalone questions and follow-ups (the earlier turns of a ``follow_up`` item are
asked first, in the same session, so the follow-up really depends on the chat history). Turns go through the
page's own chat handler (the one the Ask button calls; a ``gradio_client`` can call it once its endpoint is marked
callable, see :func:`enable_chat`), and every third turn also goes through the public ``/ask`` API.

Checked for every turn: no error (no exception, no error bubble, a final answer or abstention bubble). Checked for
every answer the server produced (recorded inside the server by :class:`RecordingPipeline`, so chat-handler answers
are checked too): the answer invariants, with each quote equal to the seed file's text at its offsets.

Reported: turns, errors, invalid answers, abstentions, latency p50/p95/max per path, throughput, and the server
process's RSS before (after warm-up) and after the run.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVALS = Path(__file__).resolve().parent
ROOT = EVALS.parent
SEEDS = ROOT / "seeds"
GOLD = EVALS / "gold.jsonl"

__all__ = ["RecordingPipeline", "conversations", "enable_chat", "run_load", "LoadResult", "check_answer", "main"]


# ---------------------------------------------------------------------------------------------- inputs


def conversations(gold: Path = GOLD) -> list[list[str]]:
    """Standalone questions (one turn) and follow-up conversations (earlier user turns, then the follow-up)."""
    out: list[list[str]] = []
    for line in gold.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        turns = [m["content"] for m in item.get("history") or [] if m.get("role") == "user"]
        out.append(turns + [item["user_input"]])
    return out


def _recording_class():
    from rag import Pipeline

    class RecordingPipeline(Pipeline):
        """A Pipeline that keeps every final Answer it gives out (thread-safe), so the load run can check the
        answers the page showed, not only those returned by the API."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.answers: list[Any] = []
            self._record_lock = threading.Lock()

        def stream(self, question: str, history: list[Any] | None = None) -> Iterator[Any]:
            for event in super().stream(question, history):
                if event.kind == "answer":
                    with self._record_lock:
                        self.answers.append(event.answer)
                yield event

    return RecordingPipeline


def __getattr__(name: str):  # RecordingPipeline without importing rag at module import time
    if name == "RecordingPipeline":
        return _recording_class()
    raise AttributeError(name)


# ---------------------------------------------------------------------------------------------- checks


def check_answer(answer: Any, texts: Callable[[str], str]) -> str | None:
    """The answer invariants; returns what is wrong, or None."""
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    ns = [c.n for c in answer.citations]
    if answer.abstained:
        return "an abstention with citations or markers" if answer.citations or markers else None
    if not answer.citations:
        return "an answer without citations"
    if ns != list(range(1, len(ns) + 1)) or set(markers) != set(ns):
        return f"markers {sorted(set(markers))} do not match citations {ns}"
    for c in answer.citations:
        if texts(c.source)[c.start : c.end] != c.quote:
            return f"quote [{c.n}] is not the text of {c.source} at {c.start}:{c.end}"
    return None


def _bubble_problem(outputs: Any) -> str | None:
    """The chat handler's outputs: (textbox, chatbot messages, sources html)."""
    try:
        messages = outputs[1]
        last = messages[-1]
        content = last["content"]
        html = content if isinstance(content, str) else " ".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    except Exception as exc:  # noqa: BLE001 - any shape problem is an error of the run
        return f"unexpected chat output ({type(exc).__name__})"
    if last.get("role") != "assistant":
        return "the last message is not the answer"
    if "rag-error" in html:
        return "error bubble: " + re.sub(r"<[^>]+>", " ", html)[:200]
    if "rag-draft" in html:
        return "the draft was never replaced by the verified answer"
    if "rag-answer" not in html and "rag-abstain" not in html:
        return "no answer bubble"
    return None


# ---------------------------------------------------------------------------------------------- the run


def enable_chat(client: Any, demo: Any) -> tuple[int, int | None]:
    """Make the page's own chat handler (and its Clear handler) callable from this ``gradio_client.Client``.

    The page registers them as private events (they are not part of the documented API; the browser calls them
    by index). The server accepts the call; only the client refuses private endpoints, so the test marks them
    valid on its side. Returns (chat fn_index, clear fn_index or None)."""
    chat = clear = None
    for index, fn in demo.fns.items():
        name = getattr(fn.fn, "__name__", "")
        if name == "respond" and chat is None and len(fn.inputs) == 2:
            chat = index
        elif name == "clear" and clear is None:
            clear = index
    if chat is None:
        raise RuntimeError("the page has no chat handler named 'respond'")
    for index in (chat, clear):
        if index is not None:
            client.endpoints[index].is_valid = True
    return chat, clear


@dataclass
class LoadResult:
    sessions: int
    seconds: float
    wall_seconds: float = 0.0
    chat_latencies: list[float] = field(default_factory=list)
    api_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    answers_checked: int = 0
    abstentions: int = 0
    follow_ups: int = 0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_timeline_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the run, RSS)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        return len(self.chat_latencies) + len(self.api_latencies)

    def summary(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions, "seconds": self.seconds, "wall_seconds": round(self.wall_seconds, 1),
            "turns": self.turns, "chat_turns": len(self.chat_latencies), "api_calls": len(self.api_latencies),
            "follow_ups": self.follow_ups, "errors": len(self.errors), "invalid_answers": len(self.invalid),
            "answers_checked": self.answers_checked, "abstentions": self.abstentions,
            "throughput_per_s": round(self.turns / self.wall_seconds, 2) if self.wall_seconds else 0.0,
            "chat_p50_s": _pct(self.chat_latencies, 50), "chat_p95_s": _pct(self.chat_latencies, 95),
            "chat_max_s": round(max(self.chat_latencies), 2) if self.chat_latencies else None,
            "api_p50_s": _pct(self.api_latencies, 50), "api_p95_s": _pct(self.api_latencies, 95),
            "rss_before_mb": round(self.rss_before_mb), "rss_after_mb": round(self.rss_after_mb),
            "rss_peak_mb": round(self.rss_peak_mb),
            "rss_ratio": round(self.rss_after_mb / self.rss_before_mb, 2) if self.rss_before_mb else None,
            "rss_every_30s_mb": [round(mb) for _, mb in self.rss_timeline_mb[2::3]],
            **self.config,
        }

    def table(self) -> str:
        s = self.summary()
        rows = [
            ("sessions x seconds", f"{s['sessions']} x {s['seconds']:g} s (wall {s['wall_seconds']} s)"),
            ("turns (chat / API)", f"{s['turns']} ({s['chat_turns']} / {s['api_calls']}), {s['follow_ups']} follow-ups"),
            ("throughput", f"{s['throughput_per_s']} turns/s"),
            ("errors", str(s["errors"])),
            ("answers checked / invalid", f"{s['answers_checked']} / {s['invalid_answers']}"),
            ("abstentions", str(s["abstentions"])),
            ("chat latency p50 / p95 / max", f"{s['chat_p50_s']} / {s['chat_p95_s']} / {s['chat_max_s']} s"),
            ("/ask latency p50 / p95", f"{s['api_p50_s']} / {s['api_p95_s']} s"),
            ("server RSS before / after / peak", f"{s['rss_before_mb']} / {s['rss_after_mb']} / {s['rss_peak_mb']} MB"
                                                 f" (x{s['rss_ratio']})"),
            ("RSS every 30 s", " → ".join(f"{mb}" for mb in s["rss_every_30s_mb"]) + " MB"),
        ]
        width = max(len(k) for k, _ in rows)
        lines = [f"| {'measure'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
        lines += [f"| {k.ljust(width)} | {v} |" for k, v in rows]
        return "\n".join(lines)


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return round(v[k], 2)


def run_load(url: str, demo: Any, pipeline: Any, *, sessions: int = 20, seconds: float = 20.0,
             convos: list[list[str]] | None = None, api_every: int = 3, max_turns_per_session: int = 500,
             seed: int = 0, texts: Callable[[str], str] | None = None) -> LoadResult:
    """Run ``sessions`` concurrent clients for ``seconds`` (each finishes the turn it is in), then check every
    answer ``pipeline`` (a RecordingPipeline behind ``demo``) produced."""
    import psutil
    from gradio_client import Client

    convos = convos or conversations()
    texts = texts or pipeline.index.original_text
    proc = psutil.Process()
    result = LoadResult(sessions=sessions, seconds=seconds)
    result.rss_before_mb = result.rss_peak_mb = proc.memory_info().rss / 2**20
    lock = threading.Lock()
    start_answers = len(pipeline.answers)
    stop = threading.Event()

    began = time.monotonic()

    def watch_memory() -> None:
        ticks = 0
        while not stop.wait(0.5):
            rss = proc.memory_info().rss / 2**20
            ticks += 1
            with lock:
                result.rss_peak_mb = max(result.rss_peak_mb, rss)
                if ticks % 20 == 0:  # every 10 s
                    result.rss_timeline_mb.append((time.monotonic() - began, rss))

    def session(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        order = list(range(len(convos)))
        rng.shuffle(order)
        try:
            client = Client(url, verbose=False)
            chat, clear = enable_chat(client, demo)
        except Exception as exc:  # noqa: BLE001
            with lock:
                result.errors.append(f"session {number}: cannot connect ({type(exc).__name__}: {exc})")
            return
        turns = 0
        i = 0
        while time.monotonic() < deadline and turns < max_turns_per_session:
            convo = convos[order[i % len(order)]]
            i += 1
            if clear is not None:
                try:
                    client.predict(fn_index=clear)
                except Exception as exc:  # noqa: BLE001
                    with lock:
                        result.errors.append(f"session {number}: clear failed ({type(exc).__name__}: {exc})")
            for k, question in enumerate(convo):
                if time.monotonic() >= deadline and k == 0:
                    break
                t = time.perf_counter()
                try:
                    outputs = client.predict(question, fn_index=chat)
                    problem = _bubble_problem(outputs)
                except Exception as exc:  # noqa: BLE001
                    problem = f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - t
                with lock:
                    result.chat_latencies.append(elapsed)
                    result.follow_ups += k > 0
                    if problem:
                        result.errors.append(f"session {number} chat {question!r}: {problem}")
                turns += 1
            if i % api_every == 1 and time.monotonic() < deadline:  # the 1st, 4th, 7th... conversation
                question = convo[0]
                t = time.perf_counter()
                try:
                    answer = client.predict(question, api_name="/ask")
                    problem = None if isinstance(answer, dict) and "citations" in answer else "not an Answer dict"
                except Exception as exc:  # noqa: BLE001
                    problem = f"{type(exc).__name__}: {exc}"
                with lock:
                    result.api_latencies.append(time.perf_counter() - t)
                    if problem:
                        result.errors.append(f"session {number} /ask {question!r}: {problem}")
                turns += 1
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass

    memory = threading.Thread(target=watch_memory, daemon=True)
    memory.start()
    began = time.monotonic()
    deadline = began + seconds
    threads = [threading.Thread(target=session, args=(n,), name=f"load-{n}") for n in range(sessions)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    result.wall_seconds = time.monotonic() - began
    stop.set()
    memory.join()
    result.rss_after_mb = proc.memory_info().rss / 2**20
    result.rss_peak_mb = max(result.rss_peak_mb, result.rss_after_mb)
    with pipeline._record_lock:
        answers = list(pipeline.answers[start_answers:])
    result.answers_checked = len(answers)
    for answer in answers:
        result.abstentions += bool(answer.abstained)
        problem = check_answer(answer, texts)
        if problem:
            result.invalid.append(f"{answer.question!r}: {problem}")
    return result


# ---------------------------------------------------------------------------------------------- command


def launch(answer_mode: str | None, home: Path, env: dict[str, str] | None = None):
    """A RecordingPipeline over seeds/ in ``home`` behind the real page on a free port; returns (demo, url, p)."""
    import os
    import socket

    from rag import Settings
    from ui.app import build_demo

    values = {**os.environ, **(env or {}), "RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS)}
    if answer_mode:
        values["RAG_ANSWER_MODE"] = answer_mode
    pipeline = _recording_class()(Settings.from_env(values))
    pipeline.ingest([SEEDS])
    demo = build_demo(pipeline)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    demo.seeder.wait(300)
    return demo, f"http://127.0.0.1:{port}/", pipeline


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--answer-mode", choices=["auto", "llm", "extractive"], default=None,
                    help="default: RAG_ANSWER_MODE or auto (the default local model)")
    ap.add_argument("--json", default=None, help="also write the summary here")
    args = ap.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="rag-load-"))
    demo, url, pipeline = launch(args.answer_mode, home)
    try:
        warm = pipeline.ask("When was the NATO-Russia Council meeting scheduled?")  # load model and index
        pipeline.answers.clear()
        print(f"page on {url}; warm-up answer in {warm.metadata.get('total_ms', 0) / 1000:.1f} s; "
              f"{args.sessions} sessions x {args.seconds:g} s ...", file=sys.stderr, flush=True)
        result = run_load(url, demo, pipeline, sessions=args.sessions, seconds=args.seconds)
        desc = pipeline.describe_safe()
        result.config = {"answer_mode": pipeline.settings.answer_mode, "backend": desc.get("backend"),
                         "model": desc.get("model"),
                         "queue_concurrency": getattr(getattr(demo, "_queue", None), "default_concurrency_limit", None)}
    finally:
        demo.close()
    print(result.table())
    print(f"\nanswer mode {result.config['answer_mode']}, backend {result.config['backend']}, "
          f"model {result.config['model']}")
    for e in (result.errors + result.invalid)[:20]:
        print("  problem:", e)
    if args.json:
        Path(args.json).write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
    return 0 if not result.errors and not result.invalid else 1


if __name__ == "__main__":
    sys.exit(main())
