"""``Pipeline`` as a LangChain Runnable: ``invoke``, ``batch``, ``stream``, ``ainvoke``, ``astream``, ``abatch``,
``with_config``, ``|`` composition, all returning the verified :class:`~rag.types.Answer`.

Input is a question string or a dict ``{"question": ..., "history": [...]}`` (``"user_input"`` is accepted for
``"question"``, as in ragas and ``evals/gold.jsonl``; ``history`` is what :meth:`Pipeline.ask` takes: earlier
Answers, ``{"role", "content"}`` messages or (user, assistant) pairs)::

    from rag import Pipeline
    p = Pipeline()
    p.invoke("Who visited Kyiv on Monday?")                              # Answer
    p.batch(["Who visited Kyiv on Monday?", "When was the NATO-Russia Council meeting scheduled?"])
    await p.ainvoke({"question": "How long did their meeting last?", "history": [earlier_answer]})
    chain = p.with_config(run_name="cited-qa", tags=["news"]) | (lambda a: a.format())

Runs are traced like any Runnable: callbacks and tags passed in ``config`` (or ``with_config``) see one chain run
for the pipeline, with the chat model's calls (the follow-up rewrite, the draft) as its child runs.

**Two streams.** ``Pipeline.stream(question, history)`` is the pipeline's own stream and is unchanged: it yields
:class:`~rag.types.StreamEvent` items, ``"delta"`` events with the model's unverified draft as it is written,
then one ``"answer"`` event. The Runnable stream (``stream(input, config)``: whenever a RunnableConfig is
passed, which is how LCEL and ``with_config(...)`` call it; and ``astream``, ``transform``) yields the verified
``Answer`` once, when it is ready: an LCEL step's output has to be an ``Answer``, and the draft is not one (its
text and citations may still change). The draft tokens of a Runnable run are still visible as the chat model's
``on_chat_model_stream`` events in ``astream_events``.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableConfig
from typing_extensions import NotRequired, TypedDict

from .errors import QuestionError
from .types import Answer

if TYPE_CHECKING:
    from .retrievers import HybridRetriever

__all__ = ["PipelineRunnable", "PipelineInput", "QuestionInput"]


class QuestionInput(TypedDict):
    """A question with its conversation so far (``user_input`` may stand for ``question``)."""

    question: NotRequired[str]
    user_input: NotRequired[str]
    history: NotRequired[list[Any] | None]


PipelineInput = str | QuestionInput


def parse_input(value: Any) -> tuple[Any, list[Any] | None]:
    """(question, history) from a Runnable input. A string is the question; anything else but a dict is passed
    on as the question, so :meth:`Pipeline.ask` refuses it with its usual ``QuestionError``."""
    if isinstance(value, dict):
        key = "question" if "question" in value else "user_input" if "user_input" in value else None
        if key is None:
            raise QuestionError(f"The input dict has no 'question' (keys: {', '.join(map(str, value)) or 'none'}).",
                                fix='Pass the question as a string, or as {"question": ..., "history": [...]}.')
        return value[key], value.get("history")
    return value, None


class PipelineRunnable(Runnable[PipelineInput, Answer]):
    """The Runnable half of :class:`rag.Pipeline` (a mixin: the pipeline supplies ``ask`` and ``stream``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        events = cls.__dict__.get("stream")
        if events is not None and not getattr(events, "_dispatches", False):
            cls.stream = _dispatching_stream(events)

    # -- schema --------------------------------------------------------------------------------------------------

    @property
    def InputType(self) -> Any:  # noqa: N802 (LangChain's name)
        return PipelineInput

    @property
    def OutputType(self) -> type[Answer]:  # noqa: N802
        return Answer

    # -- the Runnable protocol -----------------------------------------------------------------------------------

    def invoke(self, input: PipelineInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        """The verified Answer (like :meth:`Pipeline.ask`), as a traced chain run."""
        return self._call_with_config(self._answer, input, config, run_type="chain", **kwargs)

    def _answer(self, input: PipelineInput) -> Answer:
        question, history = parse_input(input)
        return self.ask(question, history)  # type: ignore[attr-defined]

    def transform(self, input: Iterator[PipelineInput], config: RunnableConfig | None = None,
                  **kwargs: Any) -> Iterator[Answer]:
        """LCEL streaming: the input (its chunks joined, as Runnable does) answered once."""
        final = _join_chunks(input)
        yield self.invoke(final, config, **kwargs)

    def _runnable_stream(self, input: PipelineInput, config: RunnableConfig | None = None,
                         **kwargs: Any) -> Iterator[Answer]:
        yield self.invoke(input, config, **kwargs)

    async def astream(self, input: PipelineInput, config: RunnableConfig | None = None,
                      **kwargs: Any) -> AsyncIterator[Answer]:
        yield await self.ainvoke(input, config, **kwargs)

    # -- LangChain retriever -------------------------------------------------------------------------------------

    def as_retriever(self, k: int | None = None, **kwargs: Any) -> "HybridRetriever":
        """This pipeline's hybrid retrieval as a LangChain retriever (:class:`rag.retrievers.HybridRetriever`)."""
        from .retrievers import HybridRetriever

        return HybridRetriever(pipeline=self, k=k, **kwargs)


def _join_chunks(chunks: Iterator[Any]) -> Any:
    final, got = None, False
    for chunk in chunks:
        if not got:
            final, got = chunk, True
            continue
        try:
            final = final + chunk
        except TypeError:
            final = chunk
    return final


_CONFIG_KEYS = frozenset(RunnableConfig.__annotations__)


def _dispatching_stream(events):
    """``stream`` serving both callers: ``stream(question, history)`` -> the pipeline's StreamEvents (unchanged);
    ``stream(input, config)`` (a RunnableConfig dict given positionally or as ``config=``, or Runnable keyword
    arguments) -> the Runnable stream of Answers. A history is a list (or None), never a dict."""

    @functools.wraps(events)
    def stream(self, input: Any, history: Any = None, config: RunnableConfig | None = None, **kwargs: Any):
        if isinstance(history, dict) and set(history) <= _CONFIG_KEYS:
            history, config = None, history
        if config is not None or kwargs:
            if history is not None:
                raise TypeError("Pass the history inside the input ({'question': ..., 'history': [...]}) when "
                                "calling stream() with a RunnableConfig.")
            return self._runnable_stream(input, config, **kwargs)
        return events(self, input, history)

    stream.__doc__ = (events.__doc__ or "").rstrip() + (
        "\n\n        Called the Runnable way, ``stream(input, config)`` yields the verified Answer once instead "
        "(see :mod:`rag.runnable`).")
    stream._dispatches = True  # type: ignore[attr-defined]
    return stream
