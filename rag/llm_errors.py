"""Chat-model exceptions → :class:`~rag.errors.LLMError`, by exception type, one map per backend.

``settings.llm`` picks the map: :func:`openai_map` (the ``openai`` SDK's errors, and the ``httpx``/``httpx2``
transport errors that escape while a stream is read) or :func:`local_map` (what llama-cpp-python raises). A
lookup walks the exception's MRO, so the most specific listed class wins (``APITimeoutError`` is an
``APIConnectionError`` and finds its own rule first) and a subclass a library adds later still gets its family's
message. Anything unlisted gets :data:`FAILED`, which carries the exception's own text (for an HTTP error, its
status code).

Messages name the endpoint without credentials (user, password and query string are dropped from the URL) and
:class:`~rag.errors.RagError` redacts anything that looks like a key.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

from .errors import LLMError
from .settings import Settings

__all__ = ["Rule", "llm_error", "openai_map", "local_map", "endpoint", "UNREACHABLE", "TIMEOUT", "RATE_LIMITED",
           "KEY_REJECTED", "FORBIDDEN", "NO_MODEL", "CUT_OFF", "FAILED", "PROMPT_REFUSED", "LOCAL_FAILED",
           "OUT_OF_MEMORY"]


@dataclass(frozen=True)
class Rule:
    """A message and its fix, as ``str.format`` templates over ``where`` (the endpoint), ``name`` (the exception
    class), ``detail`` (its text, 200 characters at most), ``timeout`` (RAG_LLM_TIMEOUT) and ``model``."""

    message: str
    fix: str

    def error(self, exc: BaseException, settings: Settings) -> LLMError:
        values = {"where": endpoint(settings), "name": type(exc).__name__, "detail": str(exc)[:200] or "no message",
                  "timeout": settings.llm_timeout, "model": settings.openai_model}
        return LLMError(self.message.format(**values), fix=self.fix.format(**values))


UNREACHABLE = Rule("Cannot reach the LLM at {where} ({name}).",
                   "Start the server or fix OPENAI_BASE_URL; or use RAG_LLM=local.")
TIMEOUT = Rule("The LLM at {where} did not answer within {timeout:.0f} s.", "Retry, or raise RAG_LLM_TIMEOUT.")
RATE_LIMITED = Rule("The LLM at {where} is rate-limiting requests (HTTP 429) after retries.",
                    "Wait a minute and retry.")
KEY_REJECTED = Rule("The LLM endpoint rejected the API key (HTTP 401).", "Check OPENAI_API_KEY.")
FORBIDDEN = Rule("The LLM at {where} refused the request (HTTP 403).",
                 "Check that OPENAI_API_KEY may use the model {model!r} (RAG_OPENAI_MODEL).")
NO_MODEL = Rule("The LLM at {where} has no model {model!r} or no chat endpoint (HTTP 404).",
                "Check RAG_OPENAI_MODEL, and OPENAI_BASE_URL (it usually ends in /v1).")
CUT_OFF = Rule("The LLM at {where} closed the stream before finishing its reply ({name}).",
               "Retry; if it persists, check the server.")
FAILED = Rule("The LLM failed ({name}: {detail}).", "Retry; if it persists, check the server.")

PROMPT_REFUSED = Rule("The local model cannot take this prompt ({detail}).",
                      "If the prompt exceeds the context window, raise RAG_N_CTX or lower RAG_TOP_K or "
                      "RAG_LLM_SENTENCES.")
LOCAL_FAILED = Rule("The local model failed while generating ({name}: {detail}).",
                    "Retry; if it persists, lower RAG_N_CTX or check that RAG_MODEL_PATH is a valid GGUF file.")
OUT_OF_MEMORY = Rule("The local model ran out of memory.", "Lower RAG_N_CTX, or set RAG_MODEL_PATH to a smaller model.")


def endpoint(settings: Settings) -> str:
    """OPENAI_BASE_URL as it may be shown: scheme, host, port and path only."""
    if not settings.openai_base_url:
        return "the configured endpoint"
    url = urlsplit(settings.openai_base_url)
    host = url.hostname or ""
    if url.port:
        host += f":{url.port}"
    return urlunsplit((url.scheme, host, url.path, "", ""))


def _http_clients() -> list:
    """The HTTP client packages installed: ``httpx``, and ``httpx2``, which openai >= 3 sends through."""
    found = []
    for name in ("httpx", "httpx2"):
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            pass
    return found


@lru_cache(maxsize=1)
def openai_map() -> Mapping[type[BaseException], Rule]:
    """Errors of ``RAG_LLM=openai`` (langchain-openai over the openai SDK). Built on first use: the SDK loads
    only when that backend fails."""
    import openai

    rules: dict[type[BaseException], Rule] = {
        ConnectionError: UNREACHABLE,
        TimeoutError: TIMEOUT,
    }
    for http in _http_clients():  # raised as they are while a stream is read (the SDK wraps them before it)
        rules.update({http.ConnectError: UNREACHABLE, http.TimeoutException: TIMEOUT,
                      http.RemoteProtocolError: CUT_OFF, http.ReadError: CUT_OFF})
    rules.update({
        openai.APIConnectionError: UNREACHABLE,
        openai.APITimeoutError: TIMEOUT,
        openai.RateLimitError: RATE_LIMITED,
        openai.AuthenticationError: KEY_REJECTED,
        openai.PermissionDeniedError: FORBIDDEN,
        openai.NotFoundError: NO_MODEL,
    })
    return MappingProxyType(rules)


@lru_cache(maxsize=1)
def local_map() -> Mapping[type[BaseException], Rule]:
    """Errors of ``RAG_LLM=local`` (llama-cpp-python): ``ValueError`` for a prompt it refuses (longer than the
    context window, or a message the wrapper cannot send), ``RuntimeError`` when decoding fails."""
    return MappingProxyType({ValueError: PROMPT_REFUSED, RuntimeError: LOCAL_FAILED, MemoryError: OUT_OF_MEMORY})


def llm_error(exc: BaseException, settings: Settings) -> LLMError:
    """The LLMError for an exception the chat model of ``settings.llm`` raised; an LLMError is returned as it is.
    (Other RagErrors, such as a missing API key, are the caller's to re-raise unchanged.)"""
    if isinstance(exc, LLMError):
        return exc
    rules = openai_map() if settings.llm == "openai" else local_map()
    rule = next((rules[cls] for cls in type(exc).__mro__ if cls in rules), FAILED)
    return rule.error(exc, settings)
