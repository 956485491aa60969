"""The public API: ``Pipeline`` ties documents → index → retrieval → answer/citations together.

The UI, the CLI and the eval all go through this class; none of them reaches into the index or the LLM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .answer import abstention_text, build_messages, cosine_pairs
from .compose import answer_shape, asks_across_articles, compose_answer
from .drafting import stream_draft
from .evidence import assess_evidence
from .conversation import (Rewrite, check_rewrite, deterministic_rewrite, needs_context, normalise_history,
                           resolve_ordinal)
from .dates import annotate_relative_dates
from .documents import parse_document
from .errors import FileError, IndexCorruptError, LLMError, RagError
from .guard import is_refusal_request
from .index import Index, ProgressFn
from .inputs import check_question, upload_name
from .llm_errors import endpoint, llm_error
from .prompts import load_prompt, render
from .runnable import PipelineRunnable
from .settings import Settings, get_settings
from .trace import AnswerTrace
from .types import Answer, Delta, Final, IngestReport, Passage, StreamEvent
from .verification import verify_draft

__all__ = ["Pipeline"]

log = logging.getLogger(__name__)


class Pipeline(PipelineRunnable):
    """Cited question answering over a folder of articles.

    >>> p = Pipeline()                 # settings from the environment; seeds/ indexed on first use
    >>> a = p.ask("When was the NATO-Russia Council meeting scheduled?")
    >>> a.text, a.citations, a.abstained
    """

    def __init__(self, settings: Settings | None = None, *, chat_model: Any = None, index: Index | None = None,
                 auto_ingest: bool = True):
        self.settings = (settings or get_settings()).validate()
        self._chat_model = chat_model
        self._index = index
        self._retriever = None
        self.auto_ingest = auto_ingest
        self._init_lock = threading.Lock()

    # -- lazily built parts ------------------------------------------------------------------------------------

    @property
    def index(self) -> Index:
        if self._index is None:
            with self._init_lock:
                if self._index is None:
                    self._index = Index(self.settings)
        return self._index

    @property
    def retriever(self):
        from .retrieval import Retriever

        if self._retriever is None:
            index = self.index
            with self._init_lock:
                if self._retriever is None:
                    if self.auto_ingest and index.count() == 0 and Path(self.settings.seeds_dir).is_dir():
                        log.info("empty index: indexing %s", self.settings.seeds_dir)
                        index.ingest([self.settings.seeds_dir])
                    self._retriever = Retriever(index, top_k=self.settings.top_k,
                                                candidates=self.settings.candidates, rrf_k=self.settings.rrf_k)
        return self._retriever

    @property
    def chat_model(self):
        if self._chat_model is None:
            from .llm import make_chat_model

            self._chat_model = make_chat_model(self.settings)
        return self._chat_model

    def describe(self) -> dict[str, str]:
        from .llm import describe_model

        if self.settings.answer_mode == "extractive":
            return {"backend": "extractive", "model": "none"}
        return describe_model(self.chat_model)

    # -- ingest and search -------------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path] | None = None, progress: ProgressFn | None = None) -> IngestReport:
        paths = list(paths) if paths is not None else [self.settings.seeds_dir]
        report = self.index.ingest(paths, progress)
        if self._retriever is not None:
            self._retriever.invalidate()
        return report

    def add_texts(self, files: list[tuple[str, str]], progress: ProgressFn | None = None) -> IngestReport:
        """Index (file name, text) pairs that did not come from disk, e.g. uploads."""
        docs, refused = [], []
        for name, text in files:
            try:
                source = upload_name(name)
                if not isinstance(text, str):
                    raise FileError(f"{source!r} is not text.", path=source, fix="Upload UTF-8 text or HTML.")
                size = len(text.encode("utf-8", "surrogatepass"))
                if size > self.settings.max_file_bytes:
                    raise FileError(f"{source!r} is too large ({size:,} bytes; the limit is "
                                    f"{self.settings.max_file_bytes:,}).", path=source,
                                    fix="Split it into smaller files, or raise RAG_MAX_FILE_BYTES.")
                docs.append(parse_document(source, text, suffix=Path(source).suffix.lower() or ".txt", path=""))
            except FileError as exc:
                refused.append((str(name)[:200], str(exc)))
        report = self.index.add_documents(docs, progress)
        report.refused.extend(refused)
        if self._retriever is not None:
            self._retriever.invalidate()
        return report

    def rebuild(self, paths: Iterable[str | Path] | None = None, progress: ProgressFn | None = None) -> IngestReport:
        if self._index is None and not self.settings.server_mode:
            try:
                self.index
            except IndexCorruptError:  # too damaged to open: the rebuild is the documented way out
                from .index import drop_embedded

                drop_embedded(self.settings)
        report = self.index.rebuild(list(paths) if paths is not None else [self.settings.seeds_dir], progress)
        if self._retriever is not None:
            self._retriever.invalidate()
        return report

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        return self.retriever.search(self._check_question(query), k)

    # -- answering ---------------------------------------------------------------------------------------------

    def _check_question(self, question: Any) -> str:
        return check_question(question, self.settings.max_question_chars)

    def ask(self, question: str, history: list[Any] | None = None) -> Answer:
        final = None
        for event in self.stream(question, history):
            if isinstance(event, Final):
                final = event.answer
        if final is None:  # stream() always ends with a Final; this guards a broken subclass
            raise RuntimeError("Pipeline.stream ended without a final answer")
        return final

    def _rewrite(self, question: str, history: list[dict[str, str]]) -> Rewrite:
        if not history or not needs_context(question):
            return Rewrite(question, "none")
        if self.settings.answer_mode != "extractive":
            try:
                convo = "\n".join(f"{m['role']}: {m['content'][:400]}" for m in history[-4:])
                prompt = render("condense", history=convo, question=question)
                reply = self._invoke([("human", prompt)])
                candidate = reply.strip().splitlines()[0].strip().strip('"') if reply.strip() else ""
                problem = check_rewrite(candidate, question, history)
                if not problem:
                    return Rewrite(candidate, "llm")
                reason = f"model rewrite unusable: {problem}"
            except LLMError as exc:
                reason = f"model rewrite failed: {exc}"
        else:
            reason = "extractive mode"
        return Rewrite(deterministic_rewrite(question, history), "deterministic", reason)

    def _invoke(self, messages) -> str:
        try:
            return str(self.chat_model.invoke(messages).content)
        except RagError:
            raise
        except Exception as exc:
            raise self._llm_error(exc) from None

    def _llm_error(self, exc: Exception) -> LLMError:
        return llm_error(exc, self.settings)

    def stream(self, question: str, history: list[Any] | None = None) -> Iterator[StreamEvent]:
        """Yield ``Delta`` events with draft text as the model writes it, then one ``Final`` with the verified
        Answer. The draft is unverified; only the final answer's text and citations count."""
        started = time.perf_counter()
        question = self._check_question(question)
        history_msgs = normalise_history(history)
        trace = AnswerTrace(answer_mode=self.settings.answer_mode, **self.describe_safe())
        if is_refusal_request(question):
            trace.refusal = True
            yield from _abstain(load_prompt("refusal"), [], trace, question, started)
            return
        resolved = resolve_ordinal(question, history_msgs)
        rewrite = self._rewrite(resolved, history_msgs)
        if resolved != question and rewrite.method == "none":
            rewrite = Rewrite(resolved, "ordinal")
        question = resolved
        trace.rewritten_question, trace.rewrite_method = rewrite.question, rewrite.method
        trace.rewrite_fallback_reason = rewrite.reason or None
        passages = self._retrieve(question, rewrite.question, trace)
        original = _FileCache(self.index.original_text)
        t = time.perf_counter()
        previous = next((m["content"] for m in reversed(history_msgs) if m["role"] == "user"), None)
        evidence = assess_evidence(rewrite.question, passages, original, self.index.embeddings.embed_cached,
                                   asked=question, previous=previous)
        trace.evidence_ms = _ms(t)
        if not evidence.ok:
            trace.abstain_reason, trace.missing_terms = evidence.reason, evidence.missing or None
            yield from _abstain(abstention_text(question, passages), passages, trace, question, started)
            return
        trace.answer_shape = answer_shape(evidence.info).kind
        text, citations = "", []
        if self.settings.answer_mode in ("auto", "llm"):
            verified = yield from self._draft_and_verify(rewrite.question, passages, evidence, original, trace, started)
            text, citations = verified.text, verified.citations
        trace.extractive = not text and self.settings.answer_mode in ("auto", "extractive")
        if trace.extractive:
            text, citations = compose_answer(evidence)
        if not text:
            trace.abstain_reason = "no sentence of the draft is supported by the passages"
            yield from _abstain(abstention_text(question, passages), passages, trace, question, started, delta=False)
            return
        trace.total_ms = _ms(started)
        text = annotate_relative_dates(text, citations)
        yield Final(Answer(text, citations, False, passages, trace, question))

    def _retrieve(self, question: str, standalone: str, trace: AnswerTrace) -> list[Passage]:
        t = time.perf_counter()
        self.index.check()
        per_file = 2 if asks_across_articles(question) or asks_across_articles(standalone) else None
        passages = self.retriever.search(standalone, max_per_source=per_file)
        trace.passages_per_file_max = per_file
        trace.retrieval_ms = _ms(t)
        return passages

    def _draft_and_verify(self, question: str, passages: list[Passage], evidence, original, trace: AnswerTrace,
                          started: float):
        focus = [sp for _, sp in evidence.ranked[: self.settings.llm_sentences]]
        draft = yield from stream_draft(
            self.chat_model, build_messages(question, passages, focus), started=started,
            needs_finish=self.settings.llm == "openai", endpoint=endpoint(self.settings),
            to_error=self._llm_error)
        trace.first_token_ms, trace.llm_ms, trace.draft = draft.first_token_ms, draft.llm_ms, draft.text
        trace.draft_cut_at_token_limit = draft.cut_at_token_limit or None
        verified = verify_draft(draft, passages, original, cosine_pairs(self.index.embeddings.embed_cached), evidence,
                                extractive_fallback=self.settings.answer_mode == "auto")
        trace.sentences_kept, trace.sentences_dropped = verified.kept, verified.dropped
        trace.sentences_recited, trace.llm_rejected = verified.recited, verified.rejected
        return verified

    def describe_safe(self) -> dict[str, str]:
        try:
            return self.describe()
        except RagError:
            raise
        except Exception as exc:  # describing must never hide the real error path
            return {"backend": self.settings.llm, "model": f"unavailable ({type(exc).__name__})"}


class _FileCache:
    """One read of each cited file per question."""

    def __init__(self, read: Callable[[str], str]):
        self._read, self._texts = read, {}

    def __call__(self, source: str) -> str:
        if source not in self._texts:
            self._texts[source] = self._read(source)
        return self._texts[source]


def _abstain(text: str, passages: list[Passage], trace: AnswerTrace, question: str, started: float, *,
             delta: bool = True) -> Iterator[StreamEvent]:
    trace.total_ms = _ms(started)
    if delta:
        yield Delta(text)
    yield Final(Answer(text, [], True, passages, trace, question))


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
