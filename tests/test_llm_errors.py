"""rag.llm_errors: chat-model exceptions map to LLMError by type, one map per backend, never echoing a secret.

Exceptions are real instances: built with the openai SDK's own constructors (over the HTTP client package it
sends through), and raised by the SDK itself against tests/fake_openai.py and a closed port."""

from __future__ import annotations

import importlib.util

import openai
import pytest
from conftest import free_port
from fake_openai import FakeOpenAI

from rag import LLMError, Settings
from rag.llm_errors import (CUT_OFF, FAILED, FORBIDDEN, KEY_REJECTED, LOCAL_FAILED, NO_MODEL, OUT_OF_MEMORY,
                            PROMPT_REFUSED, RATE_LIMITED, TIMEOUT, UNREACHABLE, endpoint, llm_error)

KEY = "sk-test-NEVERSHOWN1234567"
# Credentials in the URL too: user:password and a query-string key must not reach a message.
BASE_URL = "http://admin:hunter2pass@127.0.0.1:9/v1?api-key=querysecret99"
# openai >= 3 sends through httpx2 and annotates its exceptions with its types; older versions use httpx.
HTTP = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")


def _settings(llm: str = "openai", **env: str) -> Settings:
    return Settings.from_env({"RAG_LLM": llm, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": BASE_URL,
                              "RAG_LLM_TIMEOUT": "7", "RAG_OPENAI_MODEL": "gpt-test", **env})


def _request():
    return HTTP.Request("POST", "http://127.0.0.1:9/v1/chat/completions",
                        headers={"Authorization": f"Bearer {KEY}"})


def _status(cls: type, code: int, message: str):
    response = HTTP.Response(code, request=_request(), json={"error": {"message": message}})
    return cls(f"Error code: {code} - {message}", response=response, body={"message": message})


def _expected(rule, settings: Settings, exc: BaseException) -> str:
    return str(rule.error(exc, settings))


def assert_clean(message: str) -> None:
    for secret in (KEY, "hunter2pass", "admin:", "querysecret99"):
        assert secret not in message, message


OPENAI_CASES = [
    (lambda: openai.APIConnectionError(request=_request()), UNREACHABLE, ["Cannot reach the LLM", "127.0.0.1:9/v1",
                                                                           "OPENAI_BASE_URL", "RAG_LLM=local"]),
    (lambda: openai.APITimeoutError(request=_request()), TIMEOUT, ["did not answer within 7 s", "RAG_LLM_TIMEOUT"]),
    (lambda: _status(openai.RateLimitError, 429, "Rate limit reached"), RATE_LIMITED, ["HTTP 429", "Wait a minute"]),
    (lambda: _status(openai.AuthenticationError, 401, f"Incorrect API key provided: {KEY}"), KEY_REJECTED,
     ["rejected the API key (HTTP 401)", "Check OPENAI_API_KEY"]),
    (lambda: _status(openai.PermissionDeniedError, 403, "no access"), FORBIDDEN, ["HTTP 403", "'gpt-test'"]),
    (lambda: _status(openai.NotFoundError, 404, "model not found"), NO_MODEL, ["HTTP 404", "RAG_OPENAI_MODEL"]),
    (lambda: _status(openai.InternalServerError, 500, "internal failure"), FAILED,
     ["LLM failed", "InternalServerError", "500", "Retry"]),
    (lambda: _status(openai.BadRequestError, 400, f"bad header Bearer {KEY}"), FAILED, ["LLM failed", "400"]),
    (lambda: HTTP.RemoteProtocolError("peer closed connection without sending complete message body"), CUT_OFF,
     ["closed the stream before finishing", "Retry"]),
    (lambda: HTTP.ReadTimeout("timed out", request=_request()), TIMEOUT, ["did not answer within 7 s"]),
    (lambda: HTTP.ConnectError("[Errno 111] Connection refused"), UNREACHABLE, ["Cannot reach the LLM"]),
    (lambda: ConnectionRefusedError(111, "Connection refused"), UNREACHABLE, ["Cannot reach the LLM"]),
    (lambda: KeyError("choices"), FAILED, ["LLM failed (KeyError: 'choices')"]),
]


@pytest.mark.parametrize("make, rule, needles", OPENAI_CASES, ids=[type(c[0]()).__name__ for c in OPENAI_CASES])
def test_openai_exceptions_map_by_type(make, rule, needles):
    settings = _settings()
    exc = make()
    err = llm_error(exc, settings)
    assert type(err) is LLMError
    message = str(err)
    assert message == _expected(rule, settings, exc)  # the rule of its type, nothing else
    assert err.fix and message.endswith(err.fix)
    for needle in needles:
        assert needle in message, message
    assert_clean(message)


def test_the_most_specific_type_wins():
    """APITimeoutError is an APIConnectionError; RateLimitError is an APIStatusError: each gets its own rule."""
    settings = _settings()
    assert isinstance(openai.APITimeoutError(request=_request()), openai.APIConnectionError)
    assert "did not answer" in str(llm_error(openai.APITimeoutError(request=_request()), settings))

    class ProxyRateLimit(openai.RateLimitError):  # a subclass nobody listed still gets its family's rule
        pass

    assert "rate-limiting" in str(llm_error(_status(ProxyRateLimit, 429, "slow"), settings))


def test_classification_is_by_type_not_by_name_or_text():
    """The old classifier matched 'Connection' in class names and 'connect' in messages."""
    settings = _settings()

    class ConnectionPoolMisconfigured(Exception):
        pass

    for exc in (ConnectionPoolMisconfigured("bad pool"), RuntimeError("could not connect the dots")):
        assert str(llm_error(exc, settings)).startswith("The LLM failed"), exc


def test_local_backend_map():
    settings = _settings("local")
    cases = [
        (ValueError("Requested tokens (2100) exceed context window of 2048"), PROMPT_REFUSED,
         ["cannot take this prompt", "exceed context window of 2048", "RAG_N_CTX"]),
        (RuntimeError("llama_decode returned -1"), LOCAL_FAILED, ["local model failed", "llama_decode returned -1"]),
        (MemoryError(), OUT_OF_MEMORY, ["ran out of memory", "RAG_N_CTX"]),
        (openai.APIConnectionError(request=_request()), FAILED, ["LLM failed (APIConnectionError"]),
    ]
    for exc, rule, needles in cases:
        message = str(llm_error(exc, settings))
        assert message == _expected(rule, settings, exc)
        for needle in needles:
            assert needle in message, message


def test_the_backend_picks_the_map():
    exc = ValueError("Requested tokens (2100) exceed context window of 2048")
    assert "cannot take this prompt" in str(llm_error(exc, _settings("local")))
    assert str(llm_error(exc, _settings("openai"))).startswith("The LLM failed (ValueError")
    exc = openai.APIConnectionError(request=_request())
    assert "Cannot reach" in str(llm_error(exc, _settings("openai")))


def test_an_llm_error_passes_through_unchanged():
    original = LLMError("The local model did not finish within 5 s.", fix="Retry, or raise RAG_LLM_TIMEOUT.")
    assert llm_error(original, _settings("local")) is original
    assert llm_error(original, _settings("openai")) is original


def test_endpoint_shows_no_credentials():
    assert endpoint(_settings()) == "http://127.0.0.1:9/v1"
    assert endpoint(_settings(OPENAI_BASE_URL="https://api.example.com/v1")) == "https://api.example.com/v1"
    assert endpoint(Settings.from_env({"RAG_LLM": "openai"})) == "the configured endpoint"


def test_a_secret_in_the_exception_text_is_redacted():
    settings = _settings()
    message = str(llm_error(RuntimeError(f"upstream said: Authorization: Bearer {KEY}"), settings))
    assert message.startswith("The LLM failed (RuntimeError: upstream said:")
    assert_clean(message)


# -- exceptions the SDK raises itself -------------------------------------------------------------------------


def _client(base_url: str, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=base_url, max_retries=0, timeout=timeout)


def _raised(client: openai.OpenAI, stream: bool = False) -> BaseException:
    with pytest.raises(Exception) as info:
        reply = client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hi"}],
                                               stream=stream)
        if stream:
            for _ in reply:
                pass
    return info.value


def test_real_sdk_errors_map_to_their_messages():
    port = free_port()  # nothing listens here
    settings = _settings(OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1")
    message = str(llm_error(_raised(_client(f"http://127.0.0.1:{port}/v1")), settings))
    assert message.startswith(f"Cannot reach the LLM at http://127.0.0.1:{port}/v1 (APIConnectionError)"), message
    for behaviour, stream, needle in [("429", False, "rate-limiting"), ("401echo", False, "rejected the API key"),
                                      ("500echo", False, "LLM failed (InternalServerError: Error code: 500"),
                                      ("sleep", False, "did not answer within 7 s"),
                                      ("garbage", True, "LLM failed (JSONDecodeError")]:
        with FakeOpenAI(script=[behaviour], sleep_seconds=3) as fake:
            exc = _raised(_client(fake.base_url, timeout=0.5), stream)
            message = str(llm_error(exc, _settings(OPENAI_BASE_URL=fake.base_url)))
        assert needle in message, (behaviour, type(exc), message)
        assert KEY not in message
