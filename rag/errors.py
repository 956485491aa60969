"""One error hierarchy for the whole package.

Every message says what went wrong *and what to do next*. Messages never contain secrets
(API keys, tokens): use :func:`redact` on anything that might echo configuration.

    RagError                       base: catch this to catch everything we raise on purpose
    ├── UserInputError             the caller can fix it by changing the input
    │   ├── QuestionError          empty, too long, or not text
    │   └── FileError              missing path, empty, binary, not UTF-8, too large, wrong type
    ├── ConfigurationError         a setting is missing or invalid (e.g. no OPENAI_API_KEY)
    ├── BackendError               a service we depend on failed at run time
    │   ├── LLMError               the chat model endpoint is unreachable, timed out or answered badly
    │   └── VectorStoreError       Chroma (embedded or server) is unreachable or failed
    └── IndexError_                the index is missing or corrupt (exported as ``IndexCorruptError``)
"""

from __future__ import annotations

import re

__all__ = [
    "RagError",
    "UserInputError",
    "QuestionError",
    "FileError",
    "ConfigurationError",
    "BackendError",
    "LLMError",
    "VectorStoreError",
    "IndexCorruptError",
    "redact",
]


class RagError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None):
        self.fix = fix
        full = message if not fix else f"{message} {fix}"
        super().__init__(redact(full))


class UserInputError(RagError):
    """The input is wrong; changing it fixes the problem."""

    exit_code = 2


class QuestionError(UserInputError):
    """The question is empty, too long, or unusable."""


class FileError(UserInputError):
    """A file or folder cannot be ingested (missing, empty, binary, not UTF-8, too large, unsupported)."""

    def __init__(self, message: str, *, path: str | None = None, fix: str | None = None):
        self.path = path
        super().__init__(message, fix=fix)


class ConfigurationError(RagError):
    """A setting is missing or invalid."""

    exit_code = 3


class BackendError(RagError):
    """A service the pipeline depends on failed while running."""

    exit_code = 4


class LLMError(BackendError):
    """The chat model could not produce an answer (unreachable, timeout, HTTP error, malformed reply)."""


class VectorStoreError(BackendError):
    """Chroma could not be reached or failed."""


class IndexCorruptError(RagError):
    """The index is missing pieces or cannot be read; rebuild it."""

    exit_code = 5


_SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|authorization|password)\s*[=:]\s*)['\"]?[^\s'\",]{4,}"),
]
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a configured secret so that :func:`redact` removes it wherever it appears."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """Remove anything that looks like (or is known to be) a secret from ``text``."""
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        else:
            text = pattern.sub("***", text)
    return text
