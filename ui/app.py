"""The chat page: a thin Gradio layer over :class:`rag.Pipeline`.

    from ui.app import build_demo, serve
    serve()                                    # RAG_HOST / RAG_PORT / RAG_AUTH from the environment
    demo = build_demo(pipeline)                # or build it yourself and demo.launch(...)

The page streams the model's draft (shown as an unverified draft), then replaces it with the verified answer
whose [n] markers link to source cards: the cited sentence highlighted inside its paragraph. Abstentions get a
grey "no answer in the articles" box and no cards. Two API endpoints come with it:
``/ask`` (question -> ``Answer.to_dict()``) and, when uploads are on, ``/upload`` (files -> report HTML).
Everything goes through the public Pipeline API; no index or LLM is touched directly (only
``pipeline.index.original_text`` and ``count`` are read, to show paragraphs and the index size).
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import gradio as gr

from rag import Answer, FileError, Final, Pipeline, RagError, get_settings
from rag.documents import SUPPORTED_SUFFIXES
from rag.errors import ConfigurationError

from . import render
from .api_schema import AskAnswer
from .assets import CSS, JS

__all__ = ["build_demo", "serve", "EXAMPLES", "read_upload", "safe_name", "SeedIndexer", "ChatBlocks"]

log = logging.getLogger(__name__)

EXAMPLES = [
    "When was the NATO-Russia Council meeting scheduled?",
    "How much was the US military aid package Blinken announced?",
    "Who visited Kyiv on Monday?",
    "How many troops has Russia massed near Ukraine's border?",
]



def _theme() -> gr.themes.Base:
    # Local font stacks only: the page must not fetch anything from the internet.
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        radius_size="md",
        font=["Inter", "Segoe UI", "Helvetica Neue", "Arial", "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


class ChatBlocks(gr.Blocks):
    """``gr.Blocks`` that brings its own theme, CSS and JS to ``launch()`` (Gradio 6 takes them there), so
    ``build_demo(...).launch(server_name=..., server_port=...)`` gives the styled page."""

    pipeline: Pipeline
    seeder: "SeedIndexer"
    respond: Any
    upload: Any

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        kwargs.setdefault("theme", _theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("js", JS)
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("footer_links", [])
        settings = self.pipeline.settings
        # Gradio refuses far larger uploads itself; anything up to this reaches our check and its clear message.
        kwargs.setdefault("max_file_size", max(2 * settings.max_file_bytes, 10_000_000))
        self.seeder.start()
        return super().launch(*args, **kwargs)


# ------------------------------------------------------------------------------------------------ seeding


class SeedIndexer:
    """Indexes seeds/ in the background when the index is empty, and reports progress for the status line."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.state = "idle"  # idle | indexing | ready | error
        self.message = ""
        self.done = 0
        self.total = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self.state = "indexing"
            self.message = "Checking the index…"
            self._thread = threading.Thread(target=self._run, name="seed-indexer", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, message: str, done: int, total: int) -> None:
        self.message, self.done, self.total = message, done, total

    def _run(self) -> None:
        try:
            if self.pipeline.index.count() == 0 and Path(self.pipeline.settings.seeds_dir).is_dir():
                self.message = f"Indexing {Path(self.pipeline.settings.seeds_dir).name}/ …"
                log.info("empty index: indexing %s", self.pipeline.settings.seeds_dir)
                report = self.pipeline.ingest([self.pipeline.settings.seeds_dir], progress=self._progress)
                log.info("seed ingest: %s", report.summary())
            self.state = "ready"
        except RagError as exc:
            self.state, self.message = "error", str(exc)
            log.error("indexing seeds failed: %s", exc)
        except Exception as exc:  # never kill the page because of the seeder
            self.state, self.message = "error", f"Indexing failed ({type(exc).__name__}: {exc})."
            log.exception("indexing seeds failed")

    def status_html(self) -> str:
        if self.state == "indexing":
            frac = f" {self.done}/{self.total} passages" if self.total else ""
            return (f'<div class="rag-status busy"><span class="rag-spinner"></span>'
                    f"{render.esc(self.message)}{frac}</div>")
        if self.state == "error":
            return f'<div class="rag-status bad">{render.esc(self.message)}</div>'
        try:
            n = self.pipeline.index.count()
        except RagError as exc:
            return f'<div class="rag-status bad">{render.esc(str(exc))}</div>'
        uploads = "uploads on" if self.pipeline.settings.allow_uploads else "uploads off"
        return f'<div class="rag-status ok"><span class="dot"></span>{n} passages indexed · {uploads}</div>'


# ------------------------------------------------------------------------------------------------ uploads


def safe_name(name: str) -> str:
    """The base file name only (no folders from the client, no control characters, no leading dots)."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    return base[:120]


def read_upload(name: str, path: str | Path, max_bytes: int) -> str:
    """The UTF-8 text of an uploaded file, or FileError saying why it is refused and what to do."""
    kinds = ", ".join(SUPPORTED_SUFFIXES)
    if not name:
        raise FileError("The file has no usable name.", fix="Rename it, e.g. article.txt.")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileError(f"{name} has an unsupported type ({suffix or 'no suffix'}).",
                        fix=f"Save the article as text with one of: {kinds}.")
    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        raise FileError(f"{name} is empty (0 bytes).", fix="Upload a file with article text in it.")
    if size > max_bytes:
        raise FileError(f"{name} is too large ({size:,} bytes; the limit is {max_bytes:,}).",
                        fix="Split it into smaller files, or raise RAG_MAX_FILE_BYTES.")
    data = p.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(f"{name} is UTF-16 text, not UTF-8.", fix="Re-save it with UTF-8 encoding.")
    head = data[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in data or controls > max(8, len(head) // 50):
        raise FileError(f"{name} looks binary (it holds NUL or control bytes), not text.",
                        fix=f"Extract the article's text and save it as UTF-8 ({kinds}).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(f"{name} is not valid UTF-8 (bad byte at position {exc.start}).",
                        fix="Re-save it with UTF-8 encoding.") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise FileError(f"{name} contains only whitespace.", fix="Upload a file with article text in it.")
    return text


def _upload_report(added: list[str], updated: list[str], unchanged: list[str],
                   refused: list[tuple[str, str]], passages: int | None) -> str:
    rows = []
    for label, cls, names in (("Added", "ok", added), ("Updated", "ok", updated), ("Unchanged", "meh", unchanged)):
        for n in names:
            rows.append(f'<li class="{cls}"><b>{label}</b> {render.esc(n)}</li>')
    for n, reason in refused:
        rows.append(f'<li class="bad"><b>Refused</b> {render.esc(n)}: {render.esc(reason)}</li>')
    total = f'<div class="rag-upload-total">{passages} passages in the index.</div>' if passages is not None else ""
    return f'<div class="rag-upload-report"><ul>{"".join(rows)}</ul>{total}</div>'


# ------------------------------------------------------------------------------------------------ the page


def _new_state() -> dict[str, Any]:
    return {"display": [], "history": []}


def build_demo(pipeline: Pipeline | None = None) -> ChatBlocks:
    """The chat page over ``pipeline`` (default: a Pipeline with settings from the environment)."""
    pipeline = pipeline or Pipeline(get_settings())
    settings = pipeline.settings
    seeder = SeedIndexer(pipeline)

    def original_text(source: str) -> str:
        return pipeline.index.original_text(source)

    # -- handlers ------------------------------------------------------------------------------------------

    def respond(question: str, state: dict[str, Any]):
        """Stream one turn: (textbox, chatbot, sources, state)."""
        question = question or ""
        if not question.strip():
            gr.Warning("Type a question about the articles first.")
            yield gr.update(), gr.update(), gr.update(), state
            return
        state = {"display": list(state["display"]), "history": list(state["history"])}
        display = state["display"]
        display.append({"role": "user", "content": render.question_html(question)})
        display.append({"role": "assistant", "content": render.draft_html("", "Searching the articles…")})
        searching = '<div class="rag-sources-empty">Looking for sources…</div>'
        yield "", display, searching, state
        started = time.perf_counter()
        if seeder.state == "indexing":  # answer over the whole index, not a half-written one
            display[-1]["content"] = render.draft_html("", "Waiting for the articles to be indexed…")
            yield "", display, searching, state
            seeder.wait()
        draft, last_push, answer = "", 0.0, None
        try:
            for event in pipeline.stream(question, history=state["history"]):
                if isinstance(event, Final):
                    answer = event.answer
                    break
                draft += event.text
                now = time.perf_counter()
                if now - last_push > 0.08:
                    last_push = now
                    display[-1]["content"] = render.draft_html(draft)
                    yield "", display, searching, state
        except RagError as exc:
            display[-1]["content"] = render.error_html(str(exc))
            yield "", display, render.EMPTY_SOURCES, state
            return
        except Exception as exc:  # a bug must not kill the session: show it, keep the page alive
            log.exception("answering failed")
            display[-1]["content"] = render.error_html(
                f"Unexpected error ({type(exc).__name__}). The page still works; try again or rephrase.")
            yield "", display, render.EMPTY_SOURCES, state
            return
        if answer is None:  # the pipeline always ends with an answer; be safe anyway
            display[-1]["content"] = render.error_html("No answer was produced. Try again.")
            yield "", display, render.EMPTY_SOURCES, state
            return
        seconds = time.perf_counter() - started
        for msg in display[:-1]:  # the cards now belong to this answer: older [n] stop being links
            if msg["role"] == "assistant":
                msg["content"] = render.delink(msg["content"])
        display[-1]["content"] = render.answer_html(answer, seconds)
        state["history"] += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        yield "", display, render.sources_html(answer, original_text), state

    def clear():
        return [], render.EMPTY_SOURCES, _new_state(), ""

    def use_example(evt: gr.SelectData):
        value = evt.value if isinstance(evt.value, dict) else {}
        return value.get("text", "")

    def ask_api(question: str) -> AskAnswer:
        """Answer one question: returns Answer.to_dict() (text, citations with exact quotes and offsets,
        abstained, contexts, metadata)."""
        try:
            answer: Answer = pipeline.ask(question)
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return answer.to_dict()

    # Real types, not this module's postponed annotation strings: Gradio reads them to type /ask in view_api().
    ask_api.__annotations__ = {"question": str, "return": AskAnswer}

    def upload(files: list[str] | None):
        """Add articles (.txt, .md, .html); returns a report of what was added, updated or refused and why."""
        if not settings.allow_uploads:
            raise gr.Error("Uploads are turned off. Set RAG_ALLOW_UPLOADS=1 to allow them.")
        files = [f for f in (files or []) if f]
        if not files:
            return render.esc("Choose one or more .txt, .md or .html files first.")
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        refused: list[tuple[str, str]] = []
        seen: set[str] = set()
        limit = settings.max_upload_files
        for i, f in enumerate(files):
            path = f if isinstance(f, str) else getattr(f, "path", None) or getattr(f, "name", "")
            name = safe_name(Path(str(path)).name)
            if i >= limit:
                refused.append((name, f"more than {limit} files in one upload (RAG_MAX_UPLOAD_FILES); "
                                      "upload the rest separately."))
                continue
            if name in seen:
                refused.append((name, "another file with this name is in the same upload; rename one."))
                continue
            seen.add(name)
            try:
                text = read_upload(name, path, settings.max_file_bytes)
                report = pipeline.add_texts([(name, text)])
            except RagError as exc:  # a bad file is refused alone; the index is untouched by it
                refused.append((name, str(exc)))
                continue
            except OSError as exc:
                refused.append((name, f"cannot be read ({exc.strerror or exc})."))
                continue
            added += report.added
            updated += report.updated
            unchanged += report.unchanged
            refused += [(safe_name(p), r) for p, r in report.refused]
        try:
            passages = pipeline.index.count()
        except RagError:
            passages = None
        if added or updated:
            gr.Info(f"Indexed {len(added) + len(updated)} article(s).")
        return _upload_report(added, updated, unchanged, refused, passages)

    def status(progress=gr.Progress()):
        seeder.start()
        while seeder.state == "indexing":
            if seeder.total:
                progress((seeder.done, seeder.total), desc=seeder.message, unit="passages")
            yield seeder.status_html()
            time.sleep(0.4)
        yield seeder.status_html()

    # -- layout --------------------------------------------------------------------------------------------

    with ChatBlocks(title="Cited answers from the news", analytics_enabled=False, fill_width=True) as demo:
        state = gr.State(_new_state())
        with gr.Row(elem_id="rag-header", equal_height=True):
            gr.HTML(
                '<div class="rag-brand"><h1>Ask the articles</h1><p>Every sentence of an answer cites the exact '
                "passage that supports it. When the articles don't say, the answer says so.</p></div>",
                elem_id="rag-brand",
            )
            status_line = gr.HTML(seeder.status_html() if seeder.state != "idle" else "", elem_id="rag-status")
        with gr.Row(elem_id="rag-main", equal_height=False):
            with gr.Column(scale=3, min_width=420, elem_id="rag-chat-col"):
                chatbot = gr.Chatbot(
                    elem_id="rag-chat",
                    height=620,
                    render_markdown=False,
                    sanitize_html=True,
                    show_label=False,
                    feedback_options=None,
                    buttons=[],
                    placeholder=(
                        "<div class='rag-placeholder'><b>Ask a question about the news articles.</b><br>"
                        "Answers stream in as a draft, then settle into the verified answer with "
                        "[1], [2] markers linked to their sources.</div>"
                    ),
                    examples=[{"text": q, "display_text": q} for q in EXAMPLES],
                )
                with gr.Row(elem_id="rag-input-row", equal_height=True):
                    question = gr.Textbox(
                        placeholder="Ask about the articles, e.g. “Who visited Kyiv on Monday?”",
                        show_label=False, lines=1, max_lines=4, scale=8, elem_id="rag-question", container=False,
                        max_length=settings.max_question_chars, autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-send")
                    clear_btn = gr.Button("Clear", variant="secondary", scale=1, min_width=80, elem_id="rag-clear")
            with gr.Column(scale=2, min_width=340, elem_id="rag-sources-col"):
                sources = gr.HTML(render.EMPTY_SOURCES, elem_id="rag-sources", label="Sources", show_label=False,
                                  js_on_load=None, max_height=700, container=False)
        if settings.allow_uploads:
            with gr.Accordion("Add articles", open=False, elem_id="rag-upload"):
                gr.HTML(
                    '<div class="rag-upload-help">Plain text, Markdown or HTML '
                    f'({render.esc(", ".join(SUPPORTED_SUFFIXES))}), '
                    f"UTF-8, up to {settings.max_file_bytes:,} bytes each and {settings.max_upload_files} files at "
                    "a time. A file with the name of an indexed one replaces it.</div>"
                )
                with gr.Row():
                    files = gr.File(file_count="multiple", type="filepath", label="Articles", scale=3,
                                    elem_id="rag-files")
                    with gr.Column(scale=2):
                        add_btn = gr.Button("Add to the index", variant="primary", elem_id="rag-add")
                        upload_report = gr.HTML("", elem_id="rag-upload-report")
            add_btn.click(upload, inputs=[files], outputs=[upload_report], api_name="upload",
                          concurrency_id="ingest", concurrency_limit=1).then(
                lambda: None, outputs=[files], api_visibility="private", queue=False
            ).then(lambda: seeder.status_html(), outputs=[status_line], api_visibility="private", queue=False)

        # -- events ----------------------------------------------------------------------------------------
        chat_io = dict(inputs=[question, state], outputs=[question, chatbot, sources, state])
        question.submit(respond, api_visibility="private", **chat_io)
        send.click(respond, api_visibility="private", **chat_io)
        chatbot.example_select(use_example, outputs=[question], api_visibility="private", queue=False).then(
            respond, api_visibility="private", **chat_io
        )
        clear_btn.click(clear, outputs=[chatbot, sources, state, question], api_visibility="private", queue=False)
        chatbot.clear(clear, outputs=[chatbot, sources, state, question], api_visibility="private", queue=False)
        demo.load(status, outputs=[status_line], api_visibility="private", show_progress="minimal",
                  concurrency_limit=None)
        gr.api(ask_api, api_name="ask")

    demo.pipeline = pipeline
    demo.seeder = seeder
    demo.respond = respond  # the chat handler, for tests
    demo.upload = upload
    # Several users at once, each with their own gr.State; the local model serialises itself with a lock.
    demo.queue(default_concurrency_limit=4)
    return demo


def _parse_auth(auth: str) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigurationError("RAG_AUTH must look like user:password.", fix="Fix RAG_AUTH or unset it.")
    return user, password


def serve(host: str | None = None, port: int | None = None, share: bool = False, *, pipeline: Pipeline | None = None,
          block: bool = True):
    """Start the chat page (``rag serve``). Host, port and auth default to RAG_HOST, RAG_PORT and RAG_AUTH.
    If the index is empty, seeds/ is indexed in the background while the page comes up (its status line
    shows the progress)."""
    pipeline = pipeline or Pipeline(get_settings())
    settings = pipeline.settings
    auth = _parse_auth(settings.auth)
    demo = build_demo(pipeline)
    demo.seeder.start()
    host = host or settings.host
    port = int(port or settings.port)
    print(f"Chat page on http://{host}:{port}" + (" (login required)" if auth else ""), flush=True)
    return demo.launch(server_name=host, server_port=port, share=bool(share), auth=auth,
                       auth_message="Sign in to ask the articles." if auth else None,
                       prevent_thread_lock=not block, quiet=False)


if __name__ == "__main__":
    serve()
