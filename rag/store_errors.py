"""Chroma's exceptions → the project's errors, by exception type (the store's half of issue 15's error maps;
:mod:`rag.llm_errors` is the chat model's).

:func:`error_map` sends a chromadb or httpx exception class to a rule; :func:`store_error` walks the exception's
MRO, so the most specific listed class wins. What the type does not tell apart is told by the mode: a server
that failed (:class:`~rag.errors.VectorStoreError`, retry once it is up) or an embedded folder that cannot be
read (:class:`~rag.errors.IndexCorruptError`, rebuild it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from types import MappingProxyType

from .errors import IndexCorruptError, RagError, VectorStoreError
from .settings import Settings

__all__ = ["ErrorRule", "error_map", "store_error", "unreachable", "unopenable"]

ErrorRule = Callable[[BaseException, Settings], RagError]


def _server(settings: Settings) -> str:
    return f"{settings.chroma_host}:{settings.chroma_port}"


def _failed(exc: BaseException, settings: Settings) -> RagError:
    """Any other failure: the server failed (server mode) or the folder cannot be read (embedded)."""
    if settings.server_mode:
        return VectorStoreError(f"The Chroma server at {_server(settings)} failed ({type(exc).__name__}: {exc}).",
                                fix="Check that `chroma run` is up; the request can be retried once it is.")
    return IndexCorruptError(f"The index at {settings.index_dir} cannot be read ({type(exc).__name__}: {exc}).",
                             fix="Rebuild it with `rag ingest --rebuild`.")


def unreachable(exc: BaseException, settings: Settings) -> RagError:
    """The server cannot be reached (refused, reset, timed out); at connect time, any failure of the server."""
    if not settings.server_mode:
        return _failed(exc, settings)
    return VectorStoreError(
        f"Cannot reach the Chroma server at {_server(settings)} ({type(exc).__name__}).",
        fix="Start it with `chroma run --path DIR --host HOST --port PORT`, or unset RAG_CHROMA_HOST to use the "
        "embedded index.")


def _refused(exc: BaseException, settings: Settings) -> RagError:
    return VectorStoreError(f"The Chroma server at {_server(settings)} refused the request ({type(exc).__name__}).",
                            fix="Set RAG_CHROMA_TOKEN to the token the server was started with.")


def unopenable(exc: BaseException, settings: Settings) -> RagError:
    """The embedded folder cannot be opened at all: only a rebuild helps."""
    return IndexCorruptError(
        f"The index at {settings.index_dir / 'chroma'} cannot be opened ({type(exc).__name__}: {exc}).",
        fix="Rebuild it with `rag ingest --rebuild` (re-reads your files; nothing else is lost).")


@lru_cache(maxsize=1)
def error_map() -> Mapping[type[BaseException], ErrorRule]:
    """Exception type -> rule. Built on first use: chromadb and httpx load only when an index is opened."""
    import httpx
    from chromadb import errors as chroma_errors

    return MappingProxyType({
        httpx.TransportError: unreachable,  # HttpClient: refused, reset, timed out, cut off
        ConnectionError: unreachable,
        chroma_errors.ChromaAuthError: _refused,
        chroma_errors.AuthorizationError: _refused,
    })


def store_error(exc: BaseException, settings: Settings, default: ErrorRule = _failed) -> RagError:
    """The project's error for a chromadb/httpx exception: the rule of the most specific class of ``exc`` in
    :func:`error_map`, else ``default``. A RagError is returned as it is."""
    if isinstance(exc, RagError):
        return exc
    rules = error_map()
    rule = next((rules[cls] for cls in type(exc).__mro__ if cls in rules), default)
    return rule(exc, settings)
